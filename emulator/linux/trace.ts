// What a trace shows of a user process: its threads' accesses to the machine's device registers (a VFIO driver
// programming the DMAC through the mmap'ed region), each on its thread's lane at the instant the CPU made it.
import type { Machine } from '../machine/machine';
import { deviceRegister, type MachineTraceRecorder } from '../machine/trace';
import type { LinuxProcess } from './process';

/** The first thread is `cpu0`, others `cpu0 thread TID` (as the debugger names them). */
export function processThreadName(tid: number): string {
  return tid === MAIN_TID ? 'cpu0' : `cpu0 thread ${tid}`;
}

const MAIN_TID = 1;

/**
 * Records the process's device accesses into `recorder` until the returned function is called; `stackOf` (a
 * debugger's unwinder) gives the return addresses of the frames above the accessing instruction at `pc`.
 */
export function traceDeviceAccesses(process: LinuxProcess, machine: Machine, recorder: MachineTraceRecorder, stackOf?: (pc: number) => readonly number[]): () => void {
  const threads = new Map<number, { tid: number; name: string }>();
  process.memory.onDeviceAccess = (_address, physical, size, value, write) => {
    const tid = process.current.tid;
    let thread = threads.get(tid);
    if (!thread) threads.set(tid, (thread = { tid, name: processThreadName(tid) }));
    const cpu = process.cpu;
    // During an instruction r15 reads as its address plus 8 (ARM) or 4 (Thumb).
    const pc = (cpu.r[15] - (cpu.thumb ? 4 : 8)) >>> 0;
    recorder.cpuAccess(thread, machine.now, pc, deviceRegister(machine, physical), write, size, value, stackOf?.(pc));
  };
  return () => (process.memory.onDeviceAccess = undefined);
}
