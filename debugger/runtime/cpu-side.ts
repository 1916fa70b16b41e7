// What the debugger needs of the CPUs that run a user program, kept small so that how they run (one process today; a
// process's threads) can change behind it. The ARM executable kind implements it over a Linux process, stepping an
// instruction at a time while it checks breakpoints; the kernel kind (kernel-runtime.ts) drives the system machine's
// CPUs itself, at full speed with breakpoints checked by the CPUs per block.
import { CpuState } from '../../emulator/cpu/state';
import type { HalfwordReader } from '../../emulator/cpu/disasm';
import type { AccessListener, AccessWatch } from '../../emulator/linux/address-space';
import type { ProcessOutcome } from '../../emulator/linux/outcome';
import type { LinuxProcess } from '../../emulator/linux/process';
import type { LinuxThread } from '../../emulator/linux/threads';
import { processThreadName, traceDeviceAccesses } from '../../emulator/linux/trace';
import type { Machine } from '../../emulator/machine/machine';
import type { MachineTraceRecorder } from '../../emulator/machine/trace';

/** One CPU context, shown as one debugger thread. */
export interface CpuThread {
  /** Stable while the context lives (a thread id, a CPU number): the debugger keys its thread ids on it. */
  readonly key: number;
  readonly name: string;
  /** Its registers: r (r13 sp, r14 lr), pc, cpsr, thumb, it, VFP (a copy for a context off the CPU). */
  readonly cpu: CpuState;
}

export interface CpuSide {
  /** The live CPU contexts, in a stable order. */
  threads(): readonly CpuThread[];
  /** The context that ran the last instruction (where a stop is reported). */
  current(): CpuThread;
  /**
   * Runs up to `budget` instructions (the machine's devices keep pace); the program's end once it has ended, else
   * undefined. The debugger runs one instruction at a time while it steps or checks breakpoints.
   */
  run(budget: number): ProcessOutcome | undefined;
  /**
   * While no context can run (all wait): lets the machine run until one can, for at most `budget` instructions'
   * time, running no instruction; returns the time that passed in instructions (0 when one can run).
   */
  idle(budget: number): number;
  /** Code at a virtual address, a halfword at a time (undefined where nothing readable is mapped). */
  readonly readCode: HalfwordReader;
  /** Memory as a debugger looks at it (virtual addresses): readable bytes from `address` on, changing nothing. */
  inspect(address: number, length: number): Uint8Array;
  /** A debugger's write (ignores page protection); returns the bytes written. */
  patch(address: number, data: Uint8Array): number;
  /** Reports CPU stores into the ranges, and loads from those watching loads (none: stop watching); costs nothing
   * elsewhere. */
  watchAccesses(ranges: readonly AccessWatch[], listener: AccessListener | undefined): void;
  /** Records the CPUs' accesses to the machine's device registers in a trace from now on, with the return
   * addresses `stackOf` finds above each. */
  traceDevices(machine: Machine, recorder: MachineTraceRecorder, stackOf: (cpu: CpuState, pc: number) => readonly number[]): void;
}

/**
 * The CPU side of a user-mode process: its threads, which take turns on its one CPU (`cpu0` is the main thread,
 * `cpu0 thread TID` the others); a thread off the CPU shows the registers it was switched out with.
 */
export function processCpuSide(process: LinuxProcess): CpuSide {
  // The debugger steps one instruction at a time: the interpreter is the reference it shows.
  process.cpu.translation = false;
  const running = new WeakMap<LinuxThread, CpuThread>();
  const name = (t: LinuxThread): string => processThreadName(t.tid);
  const view = (t: LinuxThread): CpuThread => {
    if (t === process.current) {
      let thread = running.get(t);
      if (!thread) running.set(t, (thread = { key: t.tid, name: name(t), cpu: process.cpu }));
      return thread;
    }
    const saved = new CpuState(process.memory);
    if (t.context) saved.restore(t.context);
    return { key: t.tid, name: name(t), cpu: saved };
  };
  return {
    threads: () => process.threads.map(view),
    current: () => view(process.current),
    run: (budget) => process.run(budget),
    idle: (budget) => process.idle(budget),
    readCode: process.readCode,
    inspect: (address, length) => process.memory.inspect(address >>> 0, length),
    patch: (address, data) => process.memory.patch(address >>> 0, data),
    watchAccesses: (ranges, listener) => process.memory.watchAccesses(ranges, listener),
    traceDevices: (machine, recorder, stackOf) => void traceDeviceAccesses(process, machine, recorder, (pc) => stackOf(process.cpu, pc)),
  };
}
