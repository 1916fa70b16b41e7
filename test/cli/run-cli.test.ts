import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patternBytes } from '../support/pl330-machine';

const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'dmalab-run-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'run', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('dmalab run --json: memcpy with --mem and --dump, registers by TRM name', () => {
  const data = patternBytes(64, 11);
  writeFileSync(join(dir, 'src.bin'), data);
  const r = run([join(__dirname, '..', '..', 'examples', 'pl330', 'memcpy.pl330'), '--mem', `0x2000=${join(dir, 'src.bin')}`, '--dump', '0x3000:64', '--dump', `0x3000:64=${join(dir, 'out.bin')}`, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.fault, null);
  assert.equal(out.dumps['0x3000'], Buffer.from(data).toString('hex'));
  assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'out.bin'))), data);
  assert.equal(out.registers.CPC0, 0x101c);
  assert.equal(out.registers.SAR0, 0x2040);
  assert.equal(out.registers.CCR0, 0x000d4035);
  assert.equal(out.registers.INT_EVENT_RIS, 1);
  for (const name of ['DSR', 'DPC', 'INTEN', 'FSRD', 'FSRC', 'FTRD', 'CSR7', 'LC0_7', 'LC1_7', 'FTR7', 'DAR7']) assert.equal(typeof out.registers[name], 'number', name);
  assert.equal(out.outcome.stop, 'idle');
});

test('dmalab run: a fault gives a non-zero status and is decoded in words; raw binaries run too', () => {
  writeFileSync(join(dir, 'bad.bin'), Uint8Array.from([0xbc, 0x03, 0, 0, 0, 0, 0x00]));
  const r = run([join(dir, 'bad.bin'), '--load', '0x4000', '--channel', '2']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /fault on channel 2 at 0x00004000: operand_invalid \(invalid operand/);
  const j = JSON.parse(run([join(dir, 'bad.bin'), '--load', '0x4000', '--channel', '2', '--json']).stdout);
  assert.deepEqual(j.fault.bits, ['operand_invalid']);
  assert.equal(j.registers.FSRC, 4);
});

test('dmalab run: waiting forever is reported (status 4), runaways hit the budget (3), a missing --platform file is named (6)', () => {
  writeFileSync(join(dir, 'wait.pl330'), '.channel 0x1000\n DMAWFE 5\n DMAEND\n');
  const w = run([join(dir, 'wait.pl330')]);
  assert.equal(w.status, 4);
  assert.match(w.stdout, /channel 0 waits for event 5 with nothing left to signal it/);
  writeFileSync(join(dir, 'spin.pl330'), '.channel 0x1000\n DMALPFE\n DMANOP\n DMALPEND\n');
  const s = run([join(dir, 'spin.pl330'), '--max-cycles', '10000']);
  assert.equal(s.status, 3);
  assert.match(s.stdout, /gave up after 10000 cycles/);
  const p = run([join(dir, 'wait.pl330'), '--platform', 'x.dtb']);
  assert.equal(p.status, 6);
  assert.equal(p.stderr, 'dmalab run: x.dtb: no such file\n');
});

test('dmalab run --trace prints instructions, bus accesses and state changes', () => {
  const r = run([join(__dirname, '..', '..', 'examples', 'pl330', 'memcpy.pl330'), '--trace']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /channel 0 0x00001014: DMALD\n.*read 0x00002000 16 bytes/);
  assert.match(r.stdout, /channel 0 signals event 0/);
  assert.match(r.stdout, /channel 0: Completing -> Stopped/);
});

test('dmalab run boots a .manager program, which starts its channels', () => {
  writeFileSync(join(dir, 'mgr.pl330'), `.manager 0x800
    DMAGO C3, work
    DMAWFE 1
    DMAEND
.channel 0x1000
work:
    DMAMOV DAR, 0x4242
    DMASEV 1
    DMAEND
`);
  const j = JSON.parse(run([join(dir, 'mgr.pl330'), '--json']).stdout);
  assert.equal(j.fault, null);
  assert.equal(j.registers.DAR3, 0x4242);
  assert.equal(j.registers.DPC, 0x800 + 6 + 2 + 1);
  assert.equal(j.registers.DSR & 15, 0);
});
