// What a kernel debug session costs over the bare system machine: Debian's 6.1 armmp-lpae Image booted to
// "Run /init" (one CPU, cryptomgr.notests=1) on the bare machine, then in a kernel session without breakpoints, then in
// one with function breakpoints that never hit (checked by the CPUs once per decoded block). Wall times and the
// ratios to the bare run, all in this process. Then, from the pause there, a step back of cpu0 (the nearest of the
// session's checkpoints, taken every 10 ms of machine time, restored and re-executed to one instruction earlier), as a
// ratio to the boot's average time per 10 ms of machine time.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelRuntime } from '../debugger/runtime/kernel-runtime';
import { platformFromDtb } from '../emulator/machine/from-dtb';
import { bootKernel } from '../emulator/machine/linux-boot';
import { SystemMachine } from '../emulator/machine/system';
import { loadPlatformDtb, packageRoot } from '../scenarios/platform';

const GUEST = join(packageRoot(), '.cache', 'guest', 'boot');
const IMAGE = join(GUEST, 'Image');
const INITRD = join(GUEST, 'initramfs.cpio.gz');
const BOOTARGS = 'console=ttyAMA0 cryptomgr.notests=1';
const MARK = 'Run /init';
const CHECKPOINT_INTERVAL_NS = 10_000_000;
const NEVER_HIT = ['panic', 'oops_enter', 'die', 'bad_mode', 'arm_smmu_context_fault'];

function bare(): number {
  const dtb = loadPlatformDtb();
  let console = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { console += String.fromCharCode(byte); } });
  bootKernel(system, { kernel: new Uint8Array(readFileSync(IMAGE)), dtb, initrd: new Uint8Array(readFileSync(INITRD)), bootargs: BOOTARGS });
  const t = performance.now();
  while (!console.includes(MARK)) system.run(1_000_000);
  return performance.now() - t;
}

function session(breakpoints: readonly string[]): Promise<{ wall: number; runtime: KernelRuntime }> {
  const files = { readText: (p: string) => readFileSync(p, 'utf8'), readBytes: (p: string) => new Uint8Array(readFileSync(p)) };
  const runtime = KernelRuntime.launch({ kernel: IMAGE, initrd: INITRD, append: BOOTARGS, cpus: 1, stopOnEntry: false, trace: false }, files, () => {});
  const bound = runtime.setFunctionBreakpoints(breakpoints.map((name) => ({ name }))).filter((b) => b.verified).length;
  if (bound !== breakpoints.length) throw new Error(`${breakpoints.length - bound} breakpoint(s) not bound`);
  runtime.setEventFilters([]);
  let console = '';
  const t = performance.now();
  return new Promise((resolve, reject) => {
    runtime.on('output', (text: string) => {
      console += text;
      if (console.includes(MARK)) runtime.pause();
    });
    runtime.once('stopped', (stop) => (stop.reason === 'pause' ? resolve({ wall: performance.now() - t, runtime }) : reject(new Error(`stopped: ${JSON.stringify(stop)}`))));
    runtime.start();
  });
}

/** Times a step back of cpu0 from where the session paused, against the boot's wall time per checkpoint interval. */
function stepBack(runtime: KernelRuntime, wall: number): void {
  const machineNs = runtime.machineTime;
  let stopped = '';
  runtime.once('stopped', (stop) => { stopped = stop.reason; });
  const t = performance.now();
  runtime.stepBack(1);
  const back = performance.now() - t;
  if (stopped !== 'step') throw new Error(`step back stopped with '${stopped}'`);
  const perInterval = wall / (machineNs / CHECKPOINT_INTERVAL_NS);
  console.log(`step back of cpu0 at ${(machineNs / 1e9).toFixed(2)} s of machine time: ${back.toFixed(0)} ms (${(back / perInterval).toFixed(2)}x the boot's ${perInterval.toFixed(0)} ms per 10 ms of machine time)`);
}

async function main(): Promise<void> {
  if (!existsSync(IMAGE)) {
    console.log(`skipped: ${IMAGE} is missing (examples/guest/fetch.sh)`);
    return;
  }
  const base = bare();
  console.log(`bare system machine to "${MARK}": ${(base / 1000).toFixed(1)} s`);
  const plain = await session([]);
  console.log(`kernel session, no breakpoints: ${(plain.wall / 1000).toFixed(1)} s (${(plain.wall / base).toFixed(2)}x)`);
  stepBack(plain.runtime, plain.wall);
  const watched = await session(NEVER_HIT);
  console.log(`kernel session, ${NEVER_HIT.length} function breakpoints never hit: ${(watched.wall / 1000).toFixed(1)} s (${(watched.wall / base).toFixed(2)}x)`);
}

void main();
