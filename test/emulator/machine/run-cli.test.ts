// `dmalab run --platform` runs a program on a DMAC of a devicetree machine; `dmalab run --scenario` runs a VFIO
// scenario; mistakes get usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');
const PLATFORM = join(ROOT, 'examples/platforms/vexpress-mmu400-dma330.dts');
const dmalab = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/dmalab'), ...args], { encoding: 'utf8', cwd: ROOT });
const work = mkdtempSync(join(tmpdir(), 'dmalab-run-'));

test('a program runs on the DMAC --dmac names, in the RAM the devicetree describes', () => {
  const program = join(work, 'copy.pl330');
  writeFileSync(program, '.channel 0x80001000\nDMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI\nDMAMOV SAR, 0x80002000\nDMAMOV DAR, 0x80003000\nDMALP 2\nDMALD\nDMAST\nDMALPEND\nDMASEV 1\nDMAEND\n');
  const data = join(work, 'data.bin');
  writeFileSync(data, Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7)));
  const r = dmalab('run', program, '--platform', PLATFORM, '--dmac', '2c0a2000.dma', '--mem', `0x80002000=${data}`, '--dump', '0x80003000:32', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.dumps['0x80003000'], Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7)).toString('hex'));
  assert.equal(out.registers.INT_EVENT_RIS, 0b10);
  assert.equal(out.fault, null);
});

test('outside the platform RAM the DMAC takes a bus error, decoded', () => {
  const program = join(work, 'bad.pl330');
  writeFileSync(program, '.channel 0x80001000\nDMAMOV SAR, 0x10\nDMALD\nDMAEND\n');
  const r = dmalab('run', program, '--platform', PLATFORM, '--json');
  assert.equal(r.status, 1, r.stderr);
  assert.match(JSON.parse(r.stdout).fault.description, /data_read_err/);
});

test("run --scenario runs the VFIO_PLATFORM guide's Test Case 1 to PASS; bad names and flag mixes are usage errors", () => {
  const r = dmalab('run', '--scenario', 'vfio-test-case-1');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\nPASS\n$/);
  assert.equal(dmalab('run', '--scenario', 'nope').status, 2);
  assert.equal(dmalab('run', join(work, 'copy.pl330'), '--platform', PLATFORM, '--channels', '4').status, 2);
  assert.equal(dmalab('run', join(work, 'copy.pl330'), '--platform', PLATFORM, '--dmac', 'ffff.dma').status, 2);
  assert.equal(dmalab('run', join(work, 'copy.pl330'), '--dmac', '1').status, 2);
});

test("run dispatches an ARM executable to the CPU: the VFIO_PLATFORM guide's VFIO driver copies with the DMAC and passes", () => {
  const elf = join(ROOT, 'examples/vfio-pl330/vfio-pl330');
  const r = dmalab('run', elf);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /copy of 4096 bytes: PASS/);
  const wrong = dmalab('run', elf, '--json');
  assert.equal(wrong.status, 2);
  // With --json, the usage error is the JSON object on stdout that scripts read.
  assert.match(JSON.parse(wrong.stdout).error.message, /--json: not for an ARM executable/);
});
