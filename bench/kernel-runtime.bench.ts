// What a kernel debug session costs over the bare system machine: Debian's 6.1 armmp-lpae Image booted to
// "Run /init" (one CPU, cryptomgr.notests=1) on the bare machine, then in a kernel session without breakpoints, then in
// one with function breakpoints that never hit (checked by the CPUs once per decoded block). Wall times and the
// ratios to the bare run, all in this process.
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

function session(breakpoints: readonly string[]): Promise<number> {
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
    runtime.once('stopped', (stop) => (stop.reason === 'pause' ? resolve(performance.now() - t) : reject(new Error(`stopped: ${JSON.stringify(stop)}`))));
    runtime.start();
  });
}

async function main(): Promise<void> {
  if (!existsSync(IMAGE)) {
    console.log(`skipped: ${IMAGE} is missing (examples/guest/fetch.sh)`);
    return;
  }
  const base = bare();
  console.log(`bare system machine to "${MARK}": ${(base / 1000).toFixed(1)} s`);
  const plain = await session([]);
  console.log(`kernel session, no breakpoints: ${(plain / 1000).toFixed(1)} s (${(plain / base).toFixed(2)}x)`);
  const watched = await session(NEVER_HIT);
  console.log(`kernel session, ${NEVER_HIT.length} function breakpoints never hit: ${(watched / 1000).toFixed(1)} s (${(watched / base).toFixed(2)}x)`);
}

void main();
