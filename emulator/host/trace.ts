// What a trace shows of the host-kernel model (a scenario's host: its drivers and its process, which run as
// TypeScript rather than on an emulated CPU): their accesses to device registers on the process's `cpu0` lane, at
// the instant the machine is at when they happen. They carry no program counter: there is no instruction.
import type { Machine } from '../machine/machine';
import { deviceRegister, type MachineTraceRecorder } from '../machine/trace';
import { processThreadName } from '../linux/trace';

const HOST_LANE = { tid: 1, name: processThreadName(1) };

/** Records the host's device accesses into `recorder` at `now()` (ps) until the returned function is called. */
export function traceHostDeviceAccesses(machine: Machine, recorder: MachineTraceRecorder, now: () => number): () => void {
  machine.hostDeviceAccess = (_address, physical, size, value, write) => recorder.cpuAccess(HOST_LANE, now(), undefined, deviceRegister(machine, physical), write, size, value);
  return () => (machine.hostDeviceAccess = undefined);
}
