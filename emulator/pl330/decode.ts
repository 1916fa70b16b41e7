// The emulator's decoder: flat per-byte0 tables derived from the instruction table (isa.ts), so that executing an
// instruction costs a few array reads and no allocation.
import { INSTRUCTIONS, InstructionSpec, OPCODES, Operation, OperandKind, readField } from './isa';

/** Operation codes the interpreter switches on; Undefined and InvalidOperand are the two decode faults. */
export const enum Op {
  Undefined = 0, InvalidOperand, ADDH, ADNH, END, FLUSHP, GO, KILL, LD, LDP, LP, LPEND, MOV, NOP, RMB, SEV, ST, STP, STZ, WFE, WFP, WMB,
}

const OP_BY_OPERATION: Record<Operation, Op> = {
  ADDH: Op.ADDH, ADNH: Op.ADNH, END: Op.END, FLUSHP: Op.FLUSHP, GO: Op.GO, KILL: Op.KILL, LD: Op.LD, LDP: Op.LDP, LP: Op.LP,
  LPEND: Op.LPEND, MOV: Op.MOV, NOP: Op.NOP, RMB: Op.RMB, SEV: Op.SEV, ST: Op.ST, STP: Op.STP, STZ: Op.STZ, WFE: Op.WFE,
  WFP: Op.WFP, WMB: Op.WMB,
};

/** Request-flag condition of loads, stores and loop ends. */
export const enum Cond { Always = 0, Single = 1, Burst = 2 }

export const THREAD_MANAGER = 1;
export const THREAD_CHANNEL = 2;

/** byte0 → operation. */
export const DECODE_OP = new Uint8Array(256);
/** byte0 → instruction length (1 for an undefined opcode). */
export const DECODE_LENGTH = new Uint8Array(256).fill(1);
export const DECODE_COND = new Uint8Array(256);
/** byte0 → 1 for a DMALPEND that closes a DMALPFE loop. */
export const DECODE_FOREVER = new Uint8Array(256);
/** byte0 → bits of byte1 that must be zero. */
export const DECODE_RESERVED1 = new Uint8Array(256);
/** byte0 → THREAD_MANAGER | THREAD_CHANNEL: the threads allowed to execute it. */
export const DECODE_THREADS = new Uint8Array(256);
/** byte0 → the value of the operand encoded in byte0 itself (SAR/DAR, LC0/LC1, ns, DMAWFP kind). */
export const DECODE_BYTE0_OPERAND = new Uint8Array(256);
/** byte0 → the instruction spec, for messages and observers. */
export const DECODE_SPEC: readonly (InstructionSpec | undefined)[] = OPCODES.map((e) => e.spec);

for (let byte = 0; byte < 256; byte++) {
  const entry = OPCODES[byte];
  if (entry.invalid) {
    DECODE_OP[byte] = Op.InvalidOperand;
    DECODE_LENGTH[byte] = entry.invalid.length;
    DECODE_THREADS[byte] = THREAD_MANAGER | THREAD_CHANNEL;
    continue;
  }
  const spec = entry.spec;
  if (!spec) continue;
  DECODE_OP[byte] = OP_BY_OPERATION[spec.operation];
  DECODE_LENGTH[byte] = spec.length;
  DECODE_COND[byte] = spec.condition === 'single' ? Cond.Single : spec.condition === 'burst' ? Cond.Burst : Cond.Always;
  DECODE_FOREVER[byte] = spec.forever ? 1 : 0;
  DECODE_RESERVED1[byte] = spec.reservedByte1 ?? 0;
  DECODE_THREADS[byte] = (spec.threads.includes('manager') ? THREAD_MANAGER : 0) | (spec.threads.includes('channel') ? THREAD_CHANNEL : 0);
  const byte0Operand = spec.operands.find((o) => o.field.byte === 0);
  if (byte0Operand) DECODE_BYTE0_OPERAND[byte] = readField(new Uint8Array([byte, 0, 0, 0, 0, 0]), 0, byte0Operand.field);
}

/** Reads the operand of the given kind from an instruction's bytes, using the field the table gives it. */
export function operandOf(bytes: Uint8Array, kind: OperandKind): number {
  const spec = DECODE_SPEC[bytes[0]];
  const operand = spec?.operands.find((o) => o.kind === kind);
  if (!operand) throw new Error(`${spec?.mnemonic ?? 'opcode'} has no ${kind} operand`);
  return readField(bytes, 0, operand.field);
}

/** Fields shared by several instructions, taken from the table once. */
function fieldOf(kind: OperandKind) {
  const spec = INSTRUCTIONS.find((s) => s.operands.some((o) => o.kind === kind))!;
  return spec.operands.find((o) => o.kind === kind)!.field;
}
const eventField = fieldOf('event');
const periphField = fieldOf('periph');
const jumpField = fieldOf('backJump');
const countField = fieldOf('loopCount');
const channelField = fieldOf('channel');
const movRegField = fieldOf('movReg');

function byte1Reader(field: { byte: number; shift: number; bits: number }): (byte1: number) => number {
  if (field.byte !== 1 || field.shift + field.bits > 8) throw new Error('operand is not within byte 1');
  const mask = (1 << field.bits) - 1;
  const shift = field.shift;
  return (byte1) => (byte1 >>> shift) & mask;
}

export const eventNumber = byte1Reader(eventField);
export const peripheralNumber = byte1Reader(periphField);
export const backJump = byte1Reader(jumpField);
export const loopCountMinusOne = byte1Reader(countField);
export const goChannel = byte1Reader(channelField);
export const movRegister = byte1Reader(movRegField);
