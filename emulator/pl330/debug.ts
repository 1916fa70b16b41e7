// Driver-side helpers for the debug instruction interface (pl330-isa.md §9): the register values a driver writes to
// issue DMAGO, DMAKILL and DMASEV. Tests, the CLI and the debugger use them instead of hand-built constants.
import type { MmioDevice } from '../bus/bus';
import { INSTRUCTIONS } from './isa';
import { PL330_REGISTER_MAP } from './registers';

const opcodeOf = (operation: string): number => INSTRUCTIONS.find((s) => s.operation === operation)!.opcode;
const GO = opcodeOf('GO');
const KILL = opcodeOf('KILL');
const SEV = opcodeOf('SEV');
const offset = (name: string): number => PL330_REGISTER_MAP.named(name)!.offset;
export const DBGINST0 = offset('DBGINST0');
export const DBGINST1 = offset('DBGINST1');
export const DBGCMD = offset('DBGCMD');

export interface DebugInstruction {
  readonly inst0: number;
  readonly inst1: number;
}

/** DMAGO Cn, address[, ns] issued on the manager thread. */
export function debugGo(channel: number, address: number, nonSecure = false): DebugInstruction {
  return { inst0: ((channel << 24) | ((GO | (nonSecure ? 2 : 0)) << 16)) >>> 0, inst1: address >>> 0 };
}

/** DMAKILL on a channel, or on the manager when channel is 'manager'. */
export function debugKill(channel: number | 'manager'): DebugInstruction {
  return channel === 'manager' ? { inst0: KILL << 16, inst1: 0 } : { inst0: ((KILL << 16) | (channel << 8) | 1) >>> 0, inst1: 0 };
}

/** DMASEV E issued on the manager thread. */
export function debugSev(event: number): DebugInstruction {
  return { inst0: (((event << 3) << 24) | (SEV << 16)) >>> 0, inst1: 0 };
}

/** Writes DBGINST0, DBGINST1 and DBGCMD as a driver does, through whatever reaches the registers (by offset). */
export function writeDebugInstruction(write: (offset: number, value: number) => void, insn: DebugInstruction): void {
  write(DBGINST0, insn.inst0);
  write(DBGINST1, insn.inst1);
  write(DBGCMD, 0);
}

/** The same, on the device model itself. */
export function issueDebug(device: MmioDevice, insn: DebugInstruction): void {
  writeDebugInstruction((offset, value) => device.write(offset, 4, value), insn);
}
