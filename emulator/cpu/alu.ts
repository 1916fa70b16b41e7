// Arithmetic shared by the A32 and T32 handlers (ARM ARM pseudocode: AddWithCarry, Shift_C, ConditionPassed,
// the ways of writing the PC). Flags live in CpuState fields; everything here is allocation-free.
import type { CpuState } from './state';

export type Handler = (c: CpuState) => void;

/** Handlers after which the decoder ends the block (they change mode, translation or stop the CPU). */
const blockEnders = new WeakSet<Handler>();

export function endsBlock<H extends Handler>(handler: H): H {
  blockEnders.add(handler);
  return handler;
}

export function isBlockEnd(handler: Handler): boolean {
  return blockEnders.has(handler);
}

export const enum Shift {
  LSL = 0,
  LSR = 1,
  ASR = 2,
  ROR = 3,
  RRX = 4,
}

export function conditionPassed(c: CpuState, cond: number): boolean {
  switch (cond) {
    case 0: return c.z === 1;
    case 1: return c.z === 0;
    case 2: return c.c === 1;
    case 3: return c.c === 0;
    case 4: return c.n === 1;
    case 5: return c.n === 0;
    case 6: return c.v === 1;
    case 7: return c.v === 0;
    case 8: return c.c === 1 && c.z === 0;
    case 9: return c.c === 0 || c.z === 1;
    case 10: return c.n === c.v;
    case 11: return c.n !== c.v;
    case 12: return c.z === 0 && c.n === c.v;
    case 13: return c.z === 1 || c.n !== c.v;
    default: return true;
  }
}

/** A conditionally executed instruction (A32 condition field, or inside a T32 IT block). */
export function whenCondition(cond: number, handler: Handler): Handler {
  if (cond !== 14 && isBlockEnd(handler)) return endsBlock((c) => { if (conditionPassed(c, cond)) handler(c); });
  switch (cond) {
    case 0: return (c) => { if (c.z === 1) handler(c); };
    case 1: return (c) => { if (c.z === 0) handler(c); };
    case 2: return (c) => { if (c.c === 1) handler(c); };
    case 3: return (c) => { if (c.c === 0) handler(c); };
    case 10: return (c) => { if (c.n === c.v) handler(c); };
    case 11: return (c) => { if (c.n !== c.v) handler(c); };
    case 14: return handler;
    default: return (c) => { if (conditionPassed(c, cond)) handler(c); };
  }
}

/** a + b + carry, setting NZCV. */
export function addFlags(c: CpuState, a: number, b: number, carry: number): number {
  const result = (a + b + carry) | 0;
  const unsigned = (a >>> 0) + (b >>> 0) + carry;
  c.n = result >>> 31;
  c.z = result === 0 ? 1 : 0;
  c.c = unsigned > 0xffffffff ? 1 : 0;
  c.v = ((a ^ result) & (b ^ result)) >>> 31;
  return result;
}

export function setNZ(c: CpuState, result: number): void {
  c.n = result >>> 31;
  c.z = result === 0 ? 1 : 0;
}

/** Decodes an immediate shift (type, imm5) into the shift actually applied (LSR/ASR #0 mean 32, ROR #0 is RRX). */
export function decodeImmShift(type: number, imm5: number): [Shift, number] {
  switch (type) {
    case 0: return [Shift.LSL, imm5];
    case 1: return [Shift.LSR, imm5 === 0 ? 32 : imm5];
    case 2: return [Shift.ASR, imm5 === 0 ? 32 : imm5];
    default: return imm5 === 0 ? [Shift.RRX, 1] : [Shift.ROR, imm5];
  }
}

/** Shift without carry out; amount may be 0..255 (register shifts). RRX reads C. */
export function shift(c: CpuState, value: number, type: Shift, amount: number): number {
  switch (type) {
    case Shift.LSL: return amount >= 32 ? 0 : value << amount;
    case Shift.LSR: return amount >= 32 ? 0 : (value >>> amount) | 0;
    case Shift.ASR: return value >> (amount >= 32 ? 31 : amount);
    case Shift.ROR: return amount === 0 ? value : (value >>> (amount & 31)) | (value << (32 - (amount & 31)));
    default: return (value >>> 1) | (c.c << 31);
  }
}

/** Shift_C: the result, with the shifter carry out written into c.c (unchanged for a zero shift). */
export function shiftC(c: CpuState, value: number, type: Shift, amount: number): number {
  if (amount === 0) return value;
  switch (type) {
    case Shift.LSL:
      if (amount > 32) { c.c = 0; return 0; }
      c.c = (value >>> (32 - amount)) & 1;
      return amount === 32 ? 0 : value << amount;
    case Shift.LSR:
      if (amount > 32) { c.c = 0; return 0; }
      c.c = (value >>> (amount - 1)) & 1;
      return amount === 32 ? 0 : (value >>> amount) | 0;
    case Shift.ASR:
      if (amount >= 32) { c.c = value >>> 31; return value >> 31; }
      c.c = (value >> (amount - 1)) & 1;
      return value >> amount;
    case Shift.ROR: {
      const m = amount & 31;
      const result = m === 0 ? value : (value >>> m) | (value << (32 - m));
      c.c = result >>> 31;
      return result;
    }
    default: {
      const result = (value >>> 1) | (c.c << 31);
      c.c = value & 1;
      return result;
    }
  }
}

/** BXWritePC: bit 0 selects Thumb. */
export function bxWritePc(c: CpuState, address: number): void {
  if (address & 1) {
    c.thumb = true;
    c.next = (address & ~1) >>> 0;
  } else {
    c.thumb = false;
    c.next = (address & ~3) >>> 0;
  }
}

/** ALUWritePC: interworking in ARM state (ARMv7), a plain branch in Thumb state. */
export function aluWritePc(c: CpuState, address: number): void {
  if (c.thumb) c.next = (address & ~1) >>> 0;
  else bxWritePc(c, address);
}

export function signedSaturate(c: CpuState, value: number, bits: number): number {
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  if (value > max) { c.q = 1; return max; }
  if (value < min) { c.q = 1; return min; }
  return value;
}

export function unsignedSaturate(c: CpuState, value: number, bits: number): number {
  const max = 2 ** bits - 1;
  if (value > max) { c.q = 1; return max; }
  if (value < 0) { c.q = 1; return 0; }
  return value;
}

/** The 64-bit result of `multiply64`: [low word, high word]. */
export const wide = new Int32Array(2);

/** a * b (+ the 64-bit accumulator hi:lo) into `wide`, without allocating (16-bit partial products stay exact). */
export function multiply64(a: number, b: number, signed: boolean, accLo: number, accHi: number): void {
  const ua = a >>> 0;
  const ub = b >>> 0;
  const al = ua & 0xffff, ah = ua >>> 16, bl = ub & 0xffff, bh = ub >>> 16;
  const middle = ah * bl + al * bh;
  const low = al * bl + (middle % 65536) * 65536 + (accLo >>> 0);
  let high = ah * bh + Math.floor(middle / 65536) + Math.floor(low / 4294967296) + (accHi >>> 0);
  if (signed) {
    if (a < 0) high -= ub;
    if (b < 0) high -= ua;
  }
  wide[0] = low % 4294967296;
  wide[1] = high % 4294967296;
}
