// Driver-side helpers for the debug instruction interface (pl330-isa.md §9): the register values a driver writes to
// issue DMAGO, DMAKILL and DMASEV. Tests, the CLI and the debugger use them instead of hand-built constants.
import type { MmioDevice } from '../bus/bus';
import { place } from '../bus/registers';
import { INSTRUCTIONS, OperandKind, Operation, writeField } from './isa';
import { DBGINST0_FIELDS, PL330_REGISTER_MAP } from './registers';

const offset = (name: string): number => PL330_REGISTER_MAP.named(name)!.offset;
export const DBGINST0 = offset('DBGINST0');
export const DBGINST1 = offset('DBGINST1');
export const DBGCMD = offset('DBGCMD');

export interface DebugInstruction {
  readonly inst0: number;
  readonly inst1: number;
}

/** The instruction's bytes, encoded from the instruction table with its operands by kind. */
function encode(operation: Operation, operands: Partial<Record<OperandKind, number>>): Uint8Array {
  const spec = INSTRUCTIONS.find((s) => s.operation === operation)!;
  const bytes = new Uint8Array(6);
  bytes[0] = spec.opcode;
  for (const op of spec.operands) writeField(bytes, 0, op.field, operands[op.kind] ?? 0);
  return bytes;
}

/** DBGINST0/1 for an instruction on the manager (channel undefined) or on a channel, by the register's fields. */
function debugInstruction(bytes: Uint8Array, channel?: number): DebugInstruction {
  const inst0 = place(DBGINST0_FIELDS.debug_thread, channel === undefined ? 0 : 1) | place(DBGINST0_FIELDS.channel_number, channel ?? 0) |
    place(DBGINST0_FIELDS.instruction_byte0, bytes[0]) | place(DBGINST0_FIELDS.instruction_byte1, bytes[1]);
  return { inst0: inst0 >>> 0, inst1: (bytes[2] | (bytes[3] << 8) | (bytes[4] << 16) | (bytes[5] << 24)) >>> 0 };
}

/** DMAGO Cn, address[, ns] issued on the manager thread. */
export function debugGo(channel: number, address: number, nonSecure = false): DebugInstruction {
  return debugInstruction(encode('GO', { channel, nsFlag: nonSecure ? 1 : 0, imm32: address >>> 0 }));
}

/** DMAKILL on a channel, or on the manager when channel is 'manager'. */
export function debugKill(channel: number | 'manager'): DebugInstruction {
  return debugInstruction(encode('KILL', {}), channel === 'manager' ? undefined : channel);
}

/** DMASEV E issued on the manager thread. */
export function debugSev(event: number): DebugInstruction {
  return debugInstruction(encode('SEV', { event }));
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
