// `dmalab boot`: a bare-metal ELF prints on the console and powers off (status 0), on two CPUs too, a guest that never
// stops (a loop, or exceptions that retire nothing) ends at --max-seconds with 124, and a missing --kernel is a usage error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, toolsMissing } from '../support/bare-metal';
import { BRANCH_SELF, JUMP_TO_NOWHERE, NOT_KERNELS, syntheticImage } from '../support/synthetic-kernels';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const board = join(root, 'test', 'support', 'virt-a15.dts');
const skip = toolsMissing();

function boot(args: string[]) {
  return spawnSync(process.execPath, [cli, 'boot', ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

test('dmalab boot runs a bare-metal ELF with the UART as its console and exits 0 on PSCI SYSTEM_OFF', { skip }, () => {
  const r = boot(['--kernel', build('hello.c'), '--platform', board]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^hello from bare metal\ncpsr=0x600001d3\nmidr=0x414fc0f0\n/);
});

test('dmalab boot --cpus 2 starts the second CPU through PSCI: both CPUs share the banked GIC and a spinlock, exit 0', { skip }, () => {
  const r = boot(['--kernel', build('smp-gic.c'), '--platform', board, '--cpus', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /cpu1 ITARGETSR0=0x02020202\n/);
  assert.match(r.stdout, /cpu0 IAR \(SGI 5 from cpu1\)=0x00000405\n/);
  assert.match(r.stdout, /counter under the spinlock=0x00009c40\natomic counter=0x00009c40\n/);
});

test('dmalab boot stops a guest that runs past --max-seconds with status 124', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-boot-'));
  const image = join(dir, 'spin.bin');
  writeFileSync(image, syntheticImage([BRANCH_SELF]));
  const r = boot(['--kernel', image, '--max-seconds', '0.02']);
  assert.equal(r.status, 124);
  assert.match(r.stderr, /stopped after 0\.02 s of guest time \(--max-seconds\)/);
});

test('dmalab boot refuses a file that is no ARM kernel: one line naming the file and what it is, status 1 as other input errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-boot-'));
  for (const [name, { bytes, found }] of Object.entries(NOT_KERNELS)) {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    const r = boot(['--kernel', file, '--max-seconds', '60']);
    assert.equal(r.status, 1, `${name}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n').length, 2, `${name}: one line: ${r.stderr}`);
    assert.ok(r.stderr.startsWith(`dmalab boot: ${file}: `), r.stderr);
    assert.match(r.stderr.trimEnd(), found, name);
  }
});

test('dmalab boot ends a kernel sliding through zeroed RAM or jumping where nothing is with status 1 and the address, long before --max-seconds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-boot-'));
  const cases: [string, number[], RegExp][] = [
    ['slide.img', [], /^dmalab boot: cpu0 is executing zeroed memory at pc=0x8[0-9a-f]{7}: a page of 0x00000000 words \(andeq r0, r0, r0\) ran before it/],
    ['jump.img', [JUMP_TO_NOWHERE], /^dmalab boot: cpu0 is executing at pc=0x1[0-9a-f]{7}, where the platform has no memory or device/],
  ];
  for (const [name, code, message] of cases) {
    const image = join(dir, name);
    writeFileSync(image, syntheticImage(code));
    const r = boot(['--kernel', image, '--max-seconds', '3600']);
    assert.equal(r.status, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('dmalab boot on a terminal: three lines pasted at once (160 bytes, five times the PL011\'s FIFO) all reach the guest', { skip: skip || (spawnSync('script', ['--version']).status !== 0 && 'util-linux script is missing') }, async () => {
  // debug/echo.c echoes each line back with its checksum over every character, and powers off after three.
  const long = Array.from({ length: 150 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
  const checksum = (text: string): number => [...text].reduce((sum, c) => (Math.imul(sum, 31) + c.charCodeAt(0)) >>> 0, 0);
  const command = [process.execPath, cli, 'boot', '--kernel', build('debug/echo.c'), '--platform', board, '--max-seconds', '20'].map((a) => `'${a}'`).join(' ');
  // script(1) gives dmalab a terminal for its stdin; the lines go in once the prompt shows (the terminal is raw then).
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  // Lines lost, echo.c would poll for them until --max-seconds: its process group goes after a minute.
  const deadline = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  let output = '';
  child.stdout.on('data', (data: Buffer) => {
    if (!output.includes('echo> ') && (output += data.toString('latin1')).includes('echo> ')) child.stdin.write(`${long}\rtwo\rthree\r`);
    else output += data.toString('latin1');
  });
  const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(deadline);
  child.stdin.end();
  const lines = output.replace(/\r/g, '');
  assert.equal(status, 0, lines);
  assert.match(lines, new RegExp(`line: ${long.slice(0, 63)}\nchecksum=0x${checksum(long).toString(16).padStart(8, '0')}\n`));
  assert.match(lines, /line: two\nchecksum=0x[0-9a-f]{8}\n[^]*line: three\nchecksum=/);
});

test('dmalab boot ends an exception loop that retires nothing (vectors that abort) at --max-seconds with status 124', { skip }, () => {
  const r = boot(['--kernel', build('runaway/vector-abort.c'), '--platform', board, '--max-seconds', '5']);
  assert.equal(r.status, 124, r.stderr);
  assert.equal(r.stdout, 'vectors at nowhere\n');
  assert.match(r.stderr, /stopped after 5 s of guest time \(--max-seconds\)/);
});

test('dmalab boot with more CPUs than the GIC has interfaces is a usage error naming the limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-boot-'));
  const image = join(dir, 'spin.bin');
  writeFileSync(image, syntheticImage([BRANCH_SELF]));
  const r = boot(['--kernel', image, '--cpus', '9']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--cpus: 9 CPUs, but the platform's GIC has \d+ CPU interfaces/);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
});

test('dmalab boot --passthrough runs the kernel as a guest: the hypervisor says what it assigned, the guest\'s UART is the console; an unknown DMAC is a usage error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-boot-'));
  const image = join(dir, 'ok.bin');
  // movw/movt r0, 0x1c090000 (the guest's PL011); store 'o', 'k'; b .
  writeFileSync(image, syntheticImage([0xe3000000, 0xe3410c09, 0xe3a0106f, 0xe5801000, 0xe3a0106b, 0xe5801000, BRANCH_SELF]));
  const r = boot(['--kernel', image, '--passthrough', '2c0a0000.dma', '--max-seconds', '0.01']);
  assert.equal(r.status, 124, r.stderr);
  assert.equal(r.stdout, 'ok');
  assert.match(r.stderr, /^dmalab boot: guest RAM 0x80000000-0x9fffffff \(512 MiB\) is host 0xe0000000-0xffffffff\n/);
  assert.match(r.stderr, /2c0a0000\.dma passed through at guest 0xc000000, SPIs 112-120 \(irq0-irq7, abort\); stream 0 on 2b400000\.iommu context bank 0/);
  const bad = boot(['--kernel', image, '--passthrough', '2c0a9000.dma']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--passthrough: 2c0a9000\.dma: no such DMA-330 on the platform \(it has 2c0a0000\.dma, 2c0a1000\.dma, 2c0a2000\.dma, 2c0a3000\.dma\)/);
  assert.doesNotMatch(bad.stderr, /internal error|\n\s+at /);
});

test('dmalab boot without --kernel is a usage error', () => {
  const r = boot(['--platform', board]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--kernel FILE is required/);
});
