// `dmalab run` as a user drives it: the file's configuration directives, security of events and peripherals,
// scripted peripherals, one exit status per outcome, JSON that stays JSON, memory ranges checked against RAM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'dmalab-run-options-'));
const PLATFORM = join(ROOT, 'examples/platforms/vexpress-mmu400-dma330.dts');
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'run', ...args], { encoding: 'utf8', cwd: work, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const source = (name: string, text: string): string => {
  writeFileSync(join(work, name), text);
  return name;
};

test("the file's configuration directives configure the DMAC the program runs on", () => {
  const events = source('events.pl330', '.events 32\n.channel 0x1000\n DMASEV 20\n DMAEND\n');
  const r = run(events, '--json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(JSON.parse(r.stdout).registers.INT_EVENT_RIS, 1 << 20);
  const two = source('two.pl330', '.channels 2\n.channel 0x1000\n DMAEND\n');
  const wide = run(two, '--channel', '5');
  assert.equal(wide.status, 2);
  assert.match(wide.stderr, /--channel: '5' is not an integer from 0 to 1/);
  assert.equal(run(two, '--channel', '5', '--channels', '8').status, 0, 'the command line overrides the file');
  const mfifo = source('mfifo.pl330', '.channel 0x1000\n DMAMOV CCR, SB16 SS64 DB16 DS64\n DMALD\n DMALD\n DMAST\n DMAST\n DMAEND\n');
  assert.equal(run(mfifo, '--mfifo-lines', '32').status, 0, 'two bursts of 16 x 8 bytes fill 32 lines of 8 bytes');
  const small = run(mfifo, '--mfifo-lines', '16', '--json');
  assert.equal(small.status, 1);
  assert.deepEqual(JSON.parse(small.stdout).fault.bits, ['lockup_err'], 'the second DMALD never finds room in 16 lines');
});

test('--ns-events and --ns-peripherals set CR3/CR4: a non-secure channel may use them, and only them', () => {
  const prog = source('ns.pl330', '.channel 0x1000\n DMAMOV CCR, SB1 SS8 SP2 DB1 DS8 DP2\n DMAFLUSHP P1\n DMASEV 3\n DMAEND\n');
  const secure = run(prog, '--ns', '--json');
  assert.equal(secure.status, 1);
  assert.deepEqual(JSON.parse(secure.stdout).fault.bits, ['ch_periph_err']);
  const events = run(prog, '--ns', '--ns-peripherals', '1', '--json');
  assert.deepEqual(JSON.parse(events.stdout).fault.bits, ['ch_evnt_err']);
  const ok = run(prog, '--ns', '--ns-peripherals', '0-2', '--ns-events', '3,5', '--json');
  assert.equal(ok.status, 0, ok.stdout);
  assert.equal(run(prog, '--ns', '--ns-peripherals', 'all', '--ns-events', 'all').status, 0);
  assert.equal(run(prog, '--ns-events', '40').status, 2);
  assert.equal(run(prog, '--ns-events', '3', '--platform', PLATFORM).status, 2, 'the devicetree decides the DMAC');
});

test('--periph scripts a request interface; the trace shows the handshakes; a stuck program has its own status', () => {
  const rx = source('rx.pl330', `.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAF DB4 DS32 DAI
    DMAMOV DAR, 0x9000
    DMALPFE
        DMAWFP P3, periph
        DMALDPB P3
        DMALDPS P3
        DMASTB
        DMASTS
    DMALPEND
    DMAEND
`);
  const stuck = run(rx);
  assert.equal(stuck.status, 4);
  assert.match(stuck.stdout, /^finished after \d+ cycles: channel 0 waits for peripheral 3 with nothing left to signal it \(--periph 3=SCRIPT connects a peripheral that requests\)$/m);
  const exhausted = run(rx, '--periph', '3=single');
  assert.equal(exhausted.status, 4);
  assert.match(exhausted.stdout, /^finished after \d+ cycles: channel 0 waits for peripheral 3 with nothing left to signal it$/m, 'a peripheral is connected: its script ran out');
  const r = run(rx, '--periph', '3=burst*2,last@300', '--trace');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /peripheral 3 requests burst\n/);
  assert.match(r.stdout, /channel 0 acknowledges the burst request of peripheral 3/);
  assert.match(r.stdout, /\[ *3\d\d\] +peripheral 3 requests single \(last\)/);
  assert.match(r.stdout, /peripheral 3: 3 request\(s\) acknowledged, 0 flush\(es\), 0 scripted request\(s\) never raised/);
  const j = JSON.parse(run(rx, '--periph', '3=burst*2,last@300', '--json').stdout);
  assert.deepEqual(j.peripherals, [{ peripheral: 3, acknowledged: ['burst', 'burst', 'single'], flushes: 0, unsent: 0 }]);
  assert.equal(j.registers.DAR0, 0x9000 + 16 + 16 + 4);
  assert.equal(run(rx, '--periph', '3=brust').status, 2);
  assert.equal(run(rx, '--periph', '9=burst').status, 2);
});

test('--json stays JSON: with --trace the trace is in it; assembly errors are JSON with status 5', () => {
  const r = run(join(ROOT, 'examples/pl330/memcpy.pl330'), '--json', '--trace');
  const j = JSON.parse(r.stdout);
  assert.ok(j.trace.some((line: string) => /DMAEND/.test(line)));
  assert.equal(j.outcome.status, 0);
  const bad = source('bad.pl330', '.channel 0x1000\n DMAMOV CCR, SB4 SS32\n DMASEV 20\n DMAEND\n');
  const e = run(bad, '--json');
  assert.equal(e.status, 5);
  assert.equal(e.stderr, '');
  const out = JSON.parse(e.stdout);
  assert.equal(out.outcome.stop, 'not-run');
  assert.deepEqual(out.diagnostics.map((d: { line: number; col: number; code: string }) => [d.line, d.col, d.code]), [[3, 9, 'event-range']]);
  assert.equal(run(bad).status, 5);
});

test('a .manager program refuses --channel and --ns, which start a channel program', () => {
  const mgr = source('mgr.pl330', '.manager 0x0\n DMAEND\n');
  const r = run(mgr, '--ns');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--channel and --ns start a channel program, but mgr\.pl330 boots its \.manager program/);
});

test('memory: --mem over the program, outside RAM, past 0xffffffff; --dump likewise; the program outside the RAM', () => {
  writeFileSync(join(work, 'data.bin'), new Uint8Array(64));
  const memcpy = join(ROOT, 'examples/pl330/memcpy.pl330');
  const over = run(memcpy, '--mem', '0x1000=data.bin');
  assert.equal(over.status, 2);
  assert.match(over.stderr, /--mem 0x1000=data\.bin \(64 bytes\) overwrites the program at 0x00001000/);
  const top = run(memcpy, '--mem', '0xfffffff0=data.bin');
  assert.match(top.stderr, /runs 48 bytes past 0xffffffff/);
  assert.match(run(memcpy, '--dump', '0xffffff00:0x1000').stderr, /--dump 0xffffff00:0x1000 runs 3840 bytes past 0xffffffff/);
  for (const [flag, value, message] of [
    ['--mem', '0x2000=', "--mem: '0x2000=': no FILE after '='"],
    ['--dump', '0x3000:64=', "--dump: '0x3000:64=': no FILE after '='"],
    ['--dump', '0x3000:0x5000000', '--dump 0x3000:0x5000000: a printed dump holds at most 64 MiB; write a longer one to a file (ADDR:LEN=FILE)'],
  ]) {
    const r = run(memcpy, flag, value);
    assert.equal(r.status, 2, value);
    assert.equal(r.stderr.split('\n')[0], `dmalab run: ${message}`);
  }
  const copy = source('copy.pl330', '.channel 0x80001000\n DMAEND\n');
  const device = run(copy, '--platform', PLATFORM, '--mem', '0x2c0a0000=data.bin');
  assert.equal(device.status, 2);
  assert.match(device.stderr, /--mem 0x2c0a0000=data\.bin \(64 bytes\) is not in RAM \(0x2c0a0000 is /);
  const configured = run(copy, '--platform', PLATFORM, '--events', '32', '--ns-events', '3');
  assert.equal(configured.status, 2);
  assert.equal(configured.stderr.split('\n')[0], 'dmalab run: with --platform the DMA-330 configuration comes from the devicetree; drop --events, --ns-events');
  const low = source('low.pl330', '.channel 0x1000\n DMAEND\n');
  const outside = run(low, '--platform', PLATFORM);
  assert.equal(outside.status, 2);
  assert.match(outside.stderr, /the program at 0x00001000 \(1 bytes\) is not in RAM .*place it with \.channel ADDR or --load ADDR; the platform's RAM is 0x80000000-0xffffffff\n/);
  assert.match(device.stderr, /; the platform's RAM is 0x80000000-0xffffffff\n/, 'where the RAM is, for --mem too');
  // The error stays in sight: the command's synopsis follows it, not its whole help.
  const lines = outside.stderr.trimEnd().split('\n');
  assert.match(lines[1], /^usage: dmalab run PROGRAM /);
  assert.equal(lines.at(-1), "'dmalab run --help' describes the options.");
  assert.ok(lines.length <= 10, outside.stderr);
});

test('run --scenario: --json gives the steps and the verdict, --dmac picks the DMAC, --device is refused with the right name', () => {
  const r = run('--scenario', 'vfio-test-case-1', '--dmac', '2c0a1000.dma', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.pass, true);
  assert.equal(j.steps.at(-1), 'PASS');
  assert.ok(j.steps.some((line: string) => line.includes('echo vfio-amba > /sys/bus/amba/devices/2c0a1000.dma/driver_override')), 'the scenario binds the DMAC --dmac names');
  const device = run('--scenario', 'vfio-test-case-1', '--device', '2c0a1000.dma');
  assert.equal(device.status, 2);
  assert.match(device.stderr, /run names the DMAC with --dmac NAME/);
  assert.match(run('--scenario', 'vfio-test-case-1', '--trace').stderr, /--trace: not for --scenario/);
});

test('an ARM executable: its arguments without -- are named, --max-instructions takes C numbers, a runaway ends 137', () => {
  const elf = join(ROOT, 'examples/vfio-pl330/vfio-pl330');
  for (const command of ['run', 'run-elf']) {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), command, ...args], { encoding: 'utf8', cwd: work });
    const word = cli(elf, 'extra');
    assert.equal(word.status, 2, command);
    assert.match(word.stderr, new RegExp(`^dmalab ${command}: one PROGRAM; its own arguments go after '--': \\S+vfio-pl330 -- extra\\n`), command);
    const option = cli(elf, '--unmapped');
    assert.equal(option.status, 2, command);
    assert.match(option.stderr, new RegExp(`^dmalab ${command}: unknown option '--unmapped' \\(the program's own options go after '--': \\S+vfio-pl330 -- --unmapped\\)\\n`), command);
  }
  assert.match(run(join(ROOT, 'examples/pl330/memcpy.pl330'), '--unmapped').stderr, /^dmalab run: unknown option '--unmapped'\n/, 'a PL330 program takes no arguments');
  assert.match(run(elf, '--max-instructions', '1e6').stderr, /^dmalab run: --max-instructions: '1e6' is not an integer of at least 1 \(decimal, 0x hex or 0b binary\)\n/);
  // `--help` after `--` is the program's (vfio-pl330 takes its argument as the device name), not dmalab's.
  const help = run(elf, '--', '--help');
  assert.equal(help.status, 1);
  assert.doesNotMatch(help.stdout, /usage: dmalab/);
  assert.match(help.stderr, /^vfio-pl330: bind: \/sys\/bus\/amba\/devices\/--help\/driver_override: No such file or directory$/m);
  const runaway = run(elf, '--max-instructions', '0x1000');
  assert.equal(runaway.status, 137, runaway.stderr);
  assert.match(runaway.stderr, /stopped after 4096 instructions \(runaway program\?\)/);
});
