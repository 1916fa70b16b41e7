// What the debugger needs of the CPUs that run a program, kept small so that how they run (one process today; a
// process's threads, a kernel's CPUs under the machine's scheduler) can change behind it. The ARM executable kind
// implements it over a Linux process.
import type { Cpu } from '../../emulator/cpu/cpu';
import type { HalfwordReader } from '../../emulator/cpu/disasm';
import type { StoreListener, StoreWatch } from '../../emulator/linux/address-space';
import type { ProcessOutcome } from '../../emulator/linux/outcome';
import type { LinuxProcess } from '../../emulator/linux/process';

/** One CPU context, shown as one debugger thread. */
export interface CpuThread {
  /** Stable while the context lives (a thread id, a CPU number): the debugger keys its thread ids on it. */
  readonly key: number;
  readonly name: string;
  /** Its registers: r (r13 sp, r14 lr), pc, cpsr, thumb, it, VFP. */
  readonly cpu: Cpu;
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
  /** Code at a virtual address, a halfword at a time (undefined where nothing readable is mapped). */
  readonly readCode: HalfwordReader;
  /** Memory as a debugger looks at it (virtual addresses): readable bytes from `address` on, changing nothing. */
  inspect(address: number, length: number): Uint8Array;
  /** A debugger's write (ignores page protection); returns the bytes written. */
  patch(address: number, data: Uint8Array): number;
  /** Reports CPU stores into the ranges (none: stop watching); costs nothing elsewhere. */
  watchStores(ranges: readonly StoreWatch[], listener: StoreListener | undefined): void;
}

/** The CPU side of a user-mode process: one CPU context, `cpu0`. */
export function processCpuSide(process: LinuxProcess): CpuSide {
  const thread: CpuThread = { key: 0, name: 'cpu0', cpu: process.cpu };
  return {
    threads: () => [thread],
    current: () => thread,
    run: (budget) => process.run(budget),
    readCode: process.readCode,
    inspect: (address, length) => process.memory.inspect(address >>> 0, length),
    patch: (address, data) => process.memory.patch(address >>> 0, data),
    watchStores: (ranges, listener) => process.memory.watchStores(ranges, listener),
  };
}
