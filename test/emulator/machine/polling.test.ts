// One clock for the CPU and the DMACs: a compiled userspace VFIO driver that polls the DMA-330's registers (CSR0,
// INT_EVENT_RIS, FSRC, DBGSTATUS) sees the hardware progress while it spins, and one that waits for the interrupt in
// a second thread is woken by it. The same run gives the same interleaving every time, and the DMAC's clock rate
// comes from the devicetree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlatform } from '../../../scenarios/platform';
import { platformMachine, runElf } from '../../../cli/run-elf';
import { HostKernel } from '../../../emulator/host/kernel';
import { hostKernelHooks } from '../../../emulator/linux/host-kernel';
import { LinuxProcess } from '../../../emulator/linux/process';
import { Workspace } from '../../../emulator/linux/workspace';
import { Machine } from '../../../emulator/machine/machine';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../../support/toolchain';

const armhf = VARIANTS[0];
const skip = toolchainAvailable(armhf) ? false : `${armhf.compiler} or qemu-arm is not installed`;
const PLATFORM = join(ROOT, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts');

function runDriver(mode: 'poll' | 'thread', platform = PLATFORM): { stdout: string; stderr: string; status: number } {
  const program = compile(join(ROOT, 'test', 'emulator', 'machine', 'programs', 'vfio-polling.c'), armhf);
  let stdout = '';
  let stderr = '';
  const status = runElf({
    program, args: [mode], machine: platformMachine(platform), env: [], maxInstructions: 2e8, stdin: () => new Uint8Array(0),
  }, {
    stdout: (data) => { stdout += typeof data === 'string' ? data : Buffer.from(data).toString(); },
    stderr: (text) => { stderr += text; },
  });
  return { stdout, stderr, status };
}

/** The VFIO_PLATFORM guide's platform with a `clock-frequency` on the first DMA-330. */
function platformWithDmacClock(hz: number): { path: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-clock-'));
  const text = readFileSync(PLATFORM, 'utf8').replace('reg = <0 0x2c0a0000 0 0x1000>;', `reg = <0 0x2c0a0000 0 0x1000>;\n\t\tclock-frequency = <${hz}>;`);
  const path = join(dir, 'platform.dts');
  writeFileSync(path, text);
  return { path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

const runningReads = (stdout: string): number => Number(/CSR0 polled until Stopped: (\d+) reads/.exec(stdout)?.[1]);

test('a driver polling CSR0, INT_EVENT_RIS, FSRC and DBGSTATUS sees the DMA-330 progress while it spins', { skip }, () => {
  const { stdout, stderr, status } = runDriver('poll');
  assert.equal(stderr, '');
  assert.ok(runningReads(stdout) > 0, `the channel was seen Executing before Stopped:\n${stdout}`);
  assert.match(stdout, /INT_EVENT_RIS event 0: set/);
  assert.ok(Number(/INT_EVENT_RIS polled until event 0: (\d+) reads saw it clear first/.exec(stdout)?.[1]) > 0, `the event was seen clear before set:\n${stdout}`);
  // The copy from an unmapped IOVA: the SMMU stops the read, the channel faults (FSRC bit 0), DMAKILL stops it.
  assert.match(stdout, /FSRC channel 0 faulting \(after polling\), FTR0 0x[0-9a-f]+, CSR0 state 15\n/);
  // Debug instructions complete within the DBGCMD write (as on QEMU; the TRM gives no latency): the driver reads
  // DBGSTATUS before each of its four commands and finds the interface idle each time.
  assert.match(stdout, /after DMAKILL: FSRC 0x0 CSR0 state 0, DBGSTATUS waits 0\n/);
  assert.match(stdout, /copy of 16384 bytes: PASS\n$/);
  assert.equal(status, 0);
});

test('a driver whose interrupt thread blocks on the eventfd wakes the main thread through a condition variable', { skip }, () => {
  const { stdout, stderr, status } = runDriver('thread');
  assert.equal(stderr, '');
  assert.match(stdout, /^interrupt thread: count 1, INT_EVENT_RIS 0x1\nmain thread: woken after the interrupt, CSR0 0x0\ncopy of 16384 bytes: PASS\n$/);
  assert.equal(status, 0);
});

test('the same program on the same machine interleaves CPU and DMA identically, run after run', { skip }, () => {
  const first = runDriver('poll');
  const second = runDriver('poll');
  assert.equal(second.stdout, first.stdout);
});

test('budgets split into single instructions (as the debugger steps) interleave exactly as one straight run', { skip }, () => {
  const program = readFileSync(compile(join(ROOT, 'test', 'emulator', 'machine', 'programs', 'vfio-polling.c'), armhf));
  const start = () => {
    const machine = new Machine(loadPlatform(PLATFORM));
    let stdout = '';
    const proc = new LinuxProcess(program, {
      bus: machine.bus, ...hostKernelHooks(new HostKernel(machine)), workspace: new Workspace(tmpdir()), argv: ['/vfio-polling', 'poll'], env: [],
      stdout: (d) => { stdout += Buffer.from(d).toString(); }, stderr: (d) => { stdout += Buffer.from(d).toString(); },
    });
    return { machine, proc, output: () => stdout };
  };
  const straight = start();
  assert.deepEqual(straight.proc.run(2e8), { kind: 'exit', status: 0 });
  const stepped = start();
  // Single instructions around the DMA's start and the polling, then growing odd-sized budgets.
  let outcome;
  for (let budget = 1, n = 0; outcome === undefined; n++) {
    outcome = stepped.proc.run(budget);
    if (n > 200_000) budget = 7919;
  }
  assert.deepEqual(outcome, { kind: 'exit', status: 0 });
  assert.equal(stepped.output(), straight.output());
  assert.equal(stepped.proc.cpu.retired, straight.proc.cpu.retired);
  assert.equal(stepped.machine.now, straight.machine.now);
  assert.deepEqual(stepped.machine.dmacs.map((d) => d.device.cycle), straight.machine.dmacs.map((d) => d.device.cycle));
});

test("the DMAC's clock-frequency in the devicetree sets how many CPU instructions a copy takes", { skip }, () => {
  const slow = platformWithDmacClock(25_000_000);
  const fast = platformWithDmacClock(1_000_000_000);
  try {
    const slowReads = runningReads(runDriver('poll', slow.path).stdout);
    const defaultReads = runningReads(runDriver('poll').stdout);
    const fastReads = runningReads(runDriver('poll', fast.path).stdout);
    // The default DMAC clock (250 MHz) lies between; a 10x slower DMAC keeps the CPU polling about 10x longer.
    assert.ok(slowReads > defaultReads && defaultReads > fastReads, `${slowReads} > ${defaultReads} > ${fastReads}`);
    const ratio = slowReads / defaultReads;
    assert.ok(ratio > 8 && ratio < 12, `25 MHz vs 250 MHz: ${ratio.toFixed(2)}x the polls`);
  } finally {
    slow.dispose();
    fast.dispose();
  }
});
