// Handler factories shared by the A32 and T32 decoders: each returns a closure over the decoded operands, so an
// instruction's fields are extracted once and its execution touches only CpuState.
import {
  addFlags, aluWritePc, bxWritePc, conditionPassed, multiply64, setNZ, shift, shiftC, signedSaturate, unsignedSaturate, wide,
  type Handler, type Shift,
} from './alu';
import type { CpuState } from './state';

/**
 * A second operand: an immediate or a shifted register. Variants made with `setCarry` also set C (logical ops with
 * S). A plain constant or unshifted register says so (`constant`, `register`) so that factories can specialise.
 */
export interface Operand {
  (c: CpuState): number;
  readonly constant?: number;
  readonly register?: number;
  /** A register shifted by a constant LSL/LSR/ASR amount (1..31), without carry out. */
  readonly shifted?: { readonly m: number; readonly type: Shift; readonly amount: number };
}

export const enum Op {
  AND, EOR, SUB, RSB, ADD, ADC, SBC, RSC, TST, TEQ, CMP, CMN, ORR, MOV, BIC, MVN, ORN,
}

export function isLogical(op: Op): boolean {
  return op === Op.AND || op === Op.EOR || op === Op.TST || op === Op.TEQ || op === Op.ORR || op === Op.MOV ||
    op === Op.BIC || op === Op.MVN || op === Op.ORN;
}

export function immOperand(value: number, carry: number, setCarry: boolean): Operand {
  const v = value | 0;
  if (setCarry && carry >= 0) return (c: CpuState) => { c.c = carry; return v; };
  return Object.assign(() => v, { constant: v });
}

export function regOperand(m: number, type: Shift, amount: number, setCarry: boolean): Operand {
  if (setCarry) return (c: CpuState) => shiftC(c, c.r[m], type, amount);
  if (amount === 0 && type === 0) return Object.assign((c: CpuState) => c.r[m], { register: m });
  const shifted = { m, type, amount };
  switch (type) {
    case 0: return Object.assign((c: CpuState) => c.r[m] << amount, { shifted });
    case 1: return amount === 32 ? () => 0 : Object.assign((c: CpuState) => (c.r[m] >>> amount) | 0, { shifted });
    case 2: return amount === 32 ? (c: CpuState) => c.r[m] >> 31 : Object.assign((c: CpuState) => c.r[m] >> amount, { shifted });
    default: return (c: CpuState) => shift(c, c.r[m], type, amount);
  }
}

export function regShiftedOperand(m: number, type: Shift, s: number, setCarry: boolean): Operand {
  if (setCarry) return (c) => shiftC(c, c.r[m], type, c.r[s] & 0xff);
  return (c) => shift(c, c.r[m], type, c.r[s] & 0xff);
}

/** The result of a data-processing operation without setting flags (exception returns compute PC with it). */
export function aluResult(c: CpuState, op: Op, a: number, b: number): number {
  return alu(c, op, a, b, false);
}

// How each arithmetic operation adds (ARITHMETIC_FORMS by Op): the operands swapped (RSB, RSC), the second one
// inverted (subtractions), a carry in of 1 or of the C flag.
const INVERTED = 1, REVERSED = 2, CARRY_ONE = 4, CARRY_FLAG = 8;
const ARITHMETIC_FORMS = Int8Array.from({ length: 16 }, (_, op) => {
  switch (op) {
    case Op.SUB: case Op.CMP: return INVERTED | CARRY_ONE;
    case Op.RSB: return INVERTED | REVERSED | CARRY_ONE;
    case Op.ADC: return CARRY_FLAG;
    case Op.SBC: return INVERTED | CARRY_FLAG;
    case Op.RSC: return INVERTED | REVERSED | CARRY_FLAG;
    default: return 0; // ADD, CMN
  }
});

/** One data-processing operation; flag setting for the logical ones leaves C to the operand. */
export function alu(c: CpuState, op: Op, a: number, b: number, s: boolean): number {
  let result: number;
  switch (op) {
    case Op.AND: case Op.TST: result = a & b; break;
    case Op.EOR: case Op.TEQ: result = a ^ b; break;
    case Op.ORR: result = a | b; break;
    case Op.ORN: result = a | ~b; break;
    case Op.MOV: result = b; break;
    case Op.BIC: result = a & ~b; break;
    case Op.MVN: result = ~b; break;
    default: {
      // The arithmetic operations, all as x + y + carry in one path from a table: an operation first met late (RSBS,
      // SBC) then takes no path V8 has not seen, and does not make it drop the optimized code that inlines this.
      const form = ARITHMETIC_FORMS[op];
      const x = form & REVERSED ? b : a;
      const y = (form & REVERSED ? a : b) ^ -(form & INVERTED);
      const carry = ((form & CARRY_ONE) >>> 2) | (c.c & ((form & CARRY_FLAG) >>> 3));
      return s ? addFlags(c, x, y, carry) : (x + y + carry) | 0;
    }
  }
  if (s) setNZ(c, result);
  return result;
}

export function dataProcessing(op: Op, d: number, n: number, b: Operand, s: boolean): Handler {
  if (d !== 15) {
    const fast = b.constant !== undefined ? withConstant(op, d, n, b.constant, s)
      : b.register !== undefined ? withRegister(op, d, n, b.register, s)
      : b.shifted !== undefined && !s ? withShiftedRegister(op, d, n, b.shifted.m, b.shifted.type, b.shifted.amount)
      : undefined;
    if (fast) return fast;
  }
  if (op === Op.TST || op === Op.TEQ || op === Op.CMP || op === Op.CMN) return (c) => { alu(c, op, c.r[n], b(c), true); };
  if (d === 15) return (c) => aluWritePc(c, alu(c, op, c.r[n], b(c), s));
  switch (op) {
    case Op.MOV: return s ? (c) => { const v = b(c); setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = b(c); };
    case Op.ADD: return s ? (c) => { c.r[d] = addFlags(c, c.r[n], b(c), 0); } : (c) => { c.r[d] = c.r[n] + b(c); };
    case Op.SUB: return s ? (c) => { c.r[d] = addFlags(c, c.r[n], ~b(c), 1); } : (c) => { c.r[d] = c.r[n] - b(c); };
    case Op.AND: return s ? (c) => { const v = c.r[n] & b(c); setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] & b(c); };
    case Op.ORR: return s ? (c) => { const v = c.r[n] | b(c); setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] | b(c); };
    case Op.EOR: return s ? (c) => { const v = c.r[n] ^ b(c); setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] ^ b(c); };
    case Op.BIC: return s ? (c) => { const v = c.r[n] & ~b(c); setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] & ~b(c); };
    case Op.MVN: return s ? (c) => { const v = ~b(c); setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = ~b(c); };
    default: return (c) => { c.r[d] = alu(c, op, c.r[n], b(c), s); };
  }
}

/** The common operations with an immediate (whose carry out, if any, is not needed): no operand call. */
function withConstant(op: Op, d: number, n: number, k: number, s: boolean): Handler | undefined {
  const notK = ~k;
  switch (op) {
    case Op.MOV: return s ? (c) => { setNZ(c, k); c.r[d] = k; } : (c) => { c.r[d] = k; };
    case Op.MVN: return s ? undefined : (c) => { c.r[d] = notK; };
    case Op.ADD: return s ? (c) => { c.r[d] = addFlags(c, c.r[n], k, 0); } : (c) => { c.r[d] = c.r[n] + k; };
    case Op.SUB: return s ? (c) => { c.r[d] = addFlags(c, c.r[n], notK, 1); } : (c) => { c.r[d] = c.r[n] - k; };
    case Op.CMP: return (c) => { addFlags(c, c.r[n], notK, 1); };
    case Op.CMN: return (c) => { addFlags(c, c.r[n], k, 0); };
    case Op.TST: return (c) => { setNZ(c, c.r[n] & k); };
    case Op.AND: return s ? (c) => { const v = c.r[n] & k; setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] & k; };
    case Op.ORR: return s ? (c) => { const v = c.r[n] | k; setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] | k; };
    case Op.EOR: return s ? (c) => { const v = c.r[n] ^ k; setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] ^ k; };
    case Op.BIC: return s ? (c) => { const v = c.r[n] & notK; setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] & notK; };
    case Op.RSB: return s ? (c) => { c.r[d] = addFlags(c, k, ~c.r[n], 1); } : (c) => { c.r[d] = k - c.r[n]; };
    default: return undefined;
  }
}

/** The common operations, without flags, on a register shifted by a constant (e.g. `eor r2, r2, r2, lsl #13`). */
function withShiftedRegister(op: Op, d: number, n: number, m: number, type: Shift, k: number): Handler | undefined {
  if (type === 0) {
    switch (op) {
      case Op.MOV: return (c) => { c.r[d] = c.r[m] << k; };
      case Op.ADD: return (c) => { c.r[d] = c.r[n] + (c.r[m] << k); };
      case Op.SUB: return (c) => { c.r[d] = c.r[n] - (c.r[m] << k); };
      case Op.EOR: return (c) => { c.r[d] = c.r[n] ^ (c.r[m] << k); };
      case Op.ORR: return (c) => { c.r[d] = c.r[n] | (c.r[m] << k); };
      case Op.AND: return (c) => { c.r[d] = c.r[n] & (c.r[m] << k); };
      default: return undefined;
    }
  }
  if (type === 1) {
    switch (op) {
      case Op.MOV: return (c) => { c.r[d] = c.r[m] >>> k; };
      case Op.ADD: return (c) => { c.r[d] = c.r[n] + (c.r[m] >>> k); };
      case Op.SUB: return (c) => { c.r[d] = c.r[n] - (c.r[m] >>> k); };
      case Op.EOR: return (c) => { c.r[d] = c.r[n] ^ (c.r[m] >>> k); };
      case Op.ORR: return (c) => { c.r[d] = c.r[n] | (c.r[m] >>> k); };
      case Op.AND: return (c) => { c.r[d] = c.r[n] & (c.r[m] >>> k); };
      default: return undefined;
    }
  }
  switch (op) {
    case Op.MOV: return (c) => { c.r[d] = c.r[m] >> k; };
    case Op.ADD: return (c) => { c.r[d] = c.r[n] + (c.r[m] >> k); };
    case Op.SUB: return (c) => { c.r[d] = c.r[n] - (c.r[m] >> k); };
    default: return undefined;
  }
}

/** The common operations with an unshifted register. */
function withRegister(op: Op, d: number, n: number, m: number, s: boolean): Handler | undefined {
  switch (op) {
    case Op.MOV: return s ? (c) => { const v = c.r[m]; setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[m]; };
    case Op.ADD: return s ? (c) => { c.r[d] = addFlags(c, c.r[n], c.r[m], 0); } : (c) => { c.r[d] = c.r[n] + c.r[m]; };
    case Op.SUB: return s ? (c) => { c.r[d] = addFlags(c, c.r[n], ~c.r[m], 1); } : (c) => { c.r[d] = c.r[n] - c.r[m]; };
    case Op.CMP: return (c) => { addFlags(c, c.r[n], ~c.r[m], 1); };
    case Op.CMN: return (c) => { addFlags(c, c.r[n], c.r[m], 0); };
    case Op.TST: return (c) => { setNZ(c, c.r[n] & c.r[m]); };
    case Op.AND: return s ? (c) => { const v = c.r[n] & c.r[m]; setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] & c.r[m]; };
    case Op.ORR: return s ? (c) => { const v = c.r[n] | c.r[m]; setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] | c.r[m]; };
    case Op.EOR: return s ? (c) => { const v = c.r[n] ^ c.r[m]; setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = c.r[n] ^ c.r[m]; };
    default: return undefined;
  }
}

/** ADR / ADD with a PC-relative constant that the decoder already computed. */
export function movConstant(d: number, value: number): Handler {
  const v = value | 0;
  return d === 15 ? (c) => aluWritePc(c, v) : (c) => { c.r[d] = v; };
}

export function movTop(d: number, imm16: number): Handler {
  return (c) => { c.r[d] = (c.r[d] & 0xffff) | (imm16 << 16); };
}

// ---- Loads and stores ----------------------------------------------------------------------------------------

export const enum Width {
  Word, Byte, Half, SignedByte, SignedHalf,
}

function load(c: CpuState, width: Width, address: number): number {
  switch (width) {
    case Width.Word: return c.mem.read32(address);
    case Width.Byte: return c.mem.read8(address);
    case Width.Half: return c.mem.read16(address);
    case Width.SignedByte: return (c.mem.read8(address) << 24) >> 24;
    default: return (c.mem.read16(address) << 16) >> 16;
  }
}

function store(c: CpuState, width: Width, address: number, value: number): void {
  if (width === Width.Word) c.mem.write32(address, value);
  else if (width === Width.Byte) c.mem.write8(address, value & 0xff);
  else c.mem.write16(address, value & 0xffff);
}

function writeLoaded(c: CpuState, t: number, value: number): void {
  if (t === 15) bxWritePc(c, value);
  else c.r[t] = value;
}

/** LDR/STR family with an offset operand: `index` = pre-indexed, `wback` = base updated. */
export function loadStore(isLoad: boolean, width: Width, t: number, n: number, offset: Operand, add: boolean, index: boolean, wback: boolean): Handler {
  const k = offset.constant;
  if (k !== undefined && t !== 15) {
    const delta = add ? k : -k;
    if (isLoad) {
      if (width === Width.Word) {
        if (!wback) return (c) => { c.r[t] = c.mem.read32((c.r[n] + delta) | 0); };
        if (index) return (c) => { const a = c.r[n] + delta; c.r[t] = c.mem.read32(a | 0); c.r[n] = a; };
        return (c) => { const a = c.r[n]; c.r[t] = c.mem.read32(a | 0); c.r[n] = a + delta; };
      }
      if (width === Width.Byte) {
        if (!wback) return (c) => { c.r[t] = c.mem.read8((c.r[n] + delta) | 0); };
        if (index) return (c) => { const a = c.r[n] + delta; c.r[t] = c.mem.read8(a | 0); c.r[n] = a; };
        return (c) => { const a = c.r[n]; c.r[t] = c.mem.read8(a | 0); c.r[n] = a + delta; };
      }
    } else {
      if (width === Width.Word) {
        if (!wback) return (c) => { c.mem.write32((c.r[n] + delta) | 0, c.r[t]); };
        if (index) return (c) => { const a = c.r[n] + delta; c.mem.write32(a | 0, c.r[t]); c.r[n] = a; };
        return (c) => { const a = c.r[n]; c.mem.write32(a | 0, c.r[t]); c.r[n] = a + delta; };
      }
      if (width === Width.Byte) {
        if (!wback) return (c) => { c.mem.write8((c.r[n] + delta) | 0, c.r[t] & 0xff); };
        if (index) return (c) => { const a = c.r[n] + delta; c.mem.write8(a | 0, c.r[t] & 0xff); c.r[n] = a; };
        return (c) => { const a = c.r[n]; c.mem.write8(a | 0, c.r[t] & 0xff); c.r[n] = a + delta; };
      }
    }
  }
  const r = offset.register ?? (offset.shifted?.type === 0 ? offset.shifted.m : undefined);
  if (r !== undefined && add && index && !wback && t !== 15 && (width === Width.Word || width === Width.Byte)) {
    const k = offset.shifted?.amount ?? 0;
    if (isLoad) {
      return width === Width.Word
        ? (c) => { c.r[t] = c.mem.read32((c.r[n] + (c.r[r] << k)) | 0); }
        : (c) => { c.r[t] = c.mem.read8((c.r[n] + (c.r[r] << k)) | 0); };
    }
    return width === Width.Word
      ? (c) => { c.mem.write32((c.r[n] + (c.r[r] << k)) | 0, c.r[t]); }
      : (c) => { c.mem.write8((c.r[n] + (c.r[r] << k)) | 0, c.r[t] & 0xff); };
  }
  if (isLoad) {
    if (index && !wback && t !== 15) {
      if (width === Width.Word) return add ? (c) => { c.r[t] = c.mem.read32((c.r[n] + offset(c)) | 0); } : (c) => { c.r[t] = c.mem.read32((c.r[n] - offset(c)) | 0); };
      return add ? (c) => { c.r[t] = load(c, width, (c.r[n] + offset(c)) | 0); } : (c) => { c.r[t] = load(c, width, (c.r[n] - offset(c)) | 0); };
    }
    return (c) => {
      const base = c.r[n];
      const offsetAddress = add ? base + offset(c) : base - offset(c);
      const value = load(c, width, (index ? offsetAddress : base) | 0);
      if (wback) c.r[n] = offsetAddress;
      writeLoaded(c, t, value);
    };
  }
  if (index && !wback) {
    if (width === Width.Word) return add ? (c) => { c.mem.write32((c.r[n] + offset(c)) | 0, c.r[t]); } : (c) => { c.mem.write32((c.r[n] - offset(c)) | 0, c.r[t]); };
    return (c) => store(c, width, (add ? c.r[n] + offset(c) : c.r[n] - offset(c)) | 0, c.r[t]);
  }
  return (c) => {
    const base = c.r[n];
    const offsetAddress = add ? base + offset(c) : base - offset(c);
    store(c, width, (index ? offsetAddress : base) | 0, c.r[t]);
    if (wback) c.r[n] = offsetAddress;
  };
}

export function loadLiteral(width: Width, t: number, address: number): Handler {
  const a = address | 0;
  return (c) => writeLoaded(c, t, load(c, width, a));
}

export function loadStoreDual(isLoad: boolean, t: number, t2: number, n: number, offset: Operand, add: boolean, index: boolean, wback: boolean): Handler {
  return (c) => {
    const base = n === 15 ? c.r[15] & ~3 : c.r[n];
    const offsetAddress = add ? base + offset(c) : base - offset(c);
    const address = (index ? offsetAddress : base) | 0;
    if (isLoad) {
      const lo = c.mem.read32(address);
      const hi = c.mem.read32((address + 4) | 0);
      if (wback) c.r[n] = offsetAddress;
      c.r[t] = lo;
      c.r[t2] = hi;
    } else {
      c.mem.write32(address, c.r[t]);
      c.mem.write32((address + 4) | 0, c.r[t2]);
      if (wback) c.r[n] = offsetAddress;
    }
  };
}

/** What a memory's `readPageAt`/`writePageAt` gives where an access must be called. */
export const NO_PAGE = new Uint8Array(0);

/** LDM/STM (and PUSH/POP): `increment` with `before` picks IA/IB/DA/DB. */
export function loadStoreMultiple(isLoad: boolean, n: number, list: number, increment: boolean, before: boolean, wback: boolean): Handler {
  const regs: number[] = [];
  for (let i = 0; i < 16; i++) if (list & (1 << i)) regs.push(i);
  const count = regs.length;
  const startOffset = increment ? (before ? 4 : 0) : (before ? -4 * count : -4 * count + 4);
  const delta = increment ? 4 * count : -4 * count;
  const regArray = Int32Array.from(regs);
  const loadsBase = isLoad && (list & (1 << n)) !== 0;
  if (isLoad) {
    // Every load before any register changes: an abort part-way (a page the kernel has yet to make present or young)
    // leaves the base and the PC as they were, so the instruction can be restarted (one buffer per instruction).
    const values = new Int32Array(count);
    return (c) => {
      const base = c.r[n];
      let address = (base + startOffset) | 0;
      // Within one page the memory's cache holds: the words straight from it (a kernel's POP, LDMIA of a struct).
      const page = (address & 4095) <= 4096 - 4 * count ? c.mem.readPageAt(address) : NO_PAGE;
      if (page.length !== 0) {
        for (let i = 0, o = address & 4095; i < count; i++, o += 4) values[i] = page[o] | (page[o + 1] << 8) | (page[o + 2] << 16) | (page[o + 3] << 24);
      } else for (let i = 0; i < count; i++, address = (address + 4) | 0) values[i] = c.mem.read32(address);
      if (wback && !loadsBase) c.r[n] = base + delta;
      for (let i = 0; i < count; i++) {
        const reg = regArray[i];
        if (reg === 15) bxWritePc(c, values[i]);
        else c.r[reg] = values[i];
      }
    };
  }
  return (c) => {
    const base = c.r[n];
    let address = (base + startOffset) | 0;
    const page = (address & 4095) <= 4096 - 4 * count ? c.mem.writePageAt(address) : NO_PAGE;
    if (page.length !== 0) {
      for (let i = 0, o = address & 4095; i < count; i++, o += 4) {
        const value = c.r[regArray[i]];
        page[o] = value;
        page[o + 1] = value >>> 8;
        page[o + 2] = value >>> 16;
        page[o + 3] = value >>> 24;
      }
    } else for (let i = 0; i < count; i++, address = (address + 4) | 0) c.mem.write32(address, c.r[regArray[i]]);
    if (wback) c.r[n] = base + delta;
  };
}

// ---- Exclusives -----------------------------------------------------------------------------------------------

export function loadExclusive(width: Width, t: number, t2: number, n: number, offset: number): Handler {
  return (c) => {
    const address = (c.r[n] + offset) | 0;
    c.exclusiveAddress = address;
    if (t2 >= 0) {
      c.r[t] = c.mem.read32(address);
      c.r[t2] = c.mem.read32((address + 4) | 0);
    } else c.r[t] = load(c, width, address);
  };
}

/** STREX: succeeds (Rd = 0) only when the local monitor holds this address. One CPU, so no global monitor. */
export function storeExclusive(width: Width, d: number, t: number, t2: number, n: number, offset: number): Handler {
  return (c) => {
    const address = (c.r[n] + offset) | 0;
    if (c.exclusiveAddress !== address) {
      c.r[d] = 1;
      return;
    }
    if (t2 >= 0) {
      c.mem.write32(address, c.r[t]);
      c.mem.write32((address + 4) | 0, c.r[t2]);
    } else store(c, width, address, c.r[t]);
    c.exclusiveAddress = -1;
    c.r[d] = 0;
  };
}

export const clearExclusive: Handler = (c) => { c.exclusiveAddress = -1; };

// ---- Multiplies and divides -----------------------------------------------------------------------------------

export function multiply(d: number, n: number, m: number, a: number, s: boolean, subtract: boolean): Handler {
  if (a < 0) return s ? (c) => { const v = Math.imul(c.r[n], c.r[m]); setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = Math.imul(c.r[n], c.r[m]); };
  if (subtract) return (c) => { c.r[d] = c.r[a] - Math.imul(c.r[n], c.r[m]); };
  return s ? (c) => { const v = (Math.imul(c.r[n], c.r[m]) + c.r[a]) | 0; setNZ(c, v); c.r[d] = v; } : (c) => { c.r[d] = Math.imul(c.r[n], c.r[m]) + c.r[a]; };
}

/** UMULL/SMULL/UMLAL/SMLAL (`accumulate`), UMAAL (`addBoth`). */
export function multiplyLong(dLo: number, dHi: number, n: number, m: number, signed: boolean, accumulate: boolean, s: boolean, addBoth = false): Handler {
  return (c) => {
    if (addBoth) {
      multiply64(c.r[n], c.r[m], false, c.r[dLo], 0);
      multiply64(wide[0], 1, false, c.r[dHi], wide[1]);
    } else multiply64(c.r[n], c.r[m], signed, accumulate ? c.r[dLo] : 0, accumulate ? c.r[dHi] : 0);
    c.r[dLo] = wide[0];
    c.r[dHi] = wide[1];
    if (s) {
      c.n = wide[1] >>> 31;
      c.z = wide[0] === 0 && wide[1] === 0 ? 1 : 0;
    }
  };
}

function half(value: number, top: boolean): number {
  return top ? value >> 16 : (value << 16) >> 16;
}

/** SMULxy / SMLAxy (a >= 0) with Q on accumulate overflow. */
export function multiplyHalves(d: number, n: number, m: number, a: number, nTop: boolean, mTop: boolean): Handler {
  return (c) => {
    const product = half(c.r[n], nTop) * half(c.r[m], mTop);
    if (a < 0) c.r[d] = product;
    else {
      const sum = product + c.r[a];
      if (sum !== (sum | 0)) c.q = 1;
      c.r[d] = sum;
    }
  };
}

/** SMULWy / SMLAWy. */
export function multiplyWordHalf(d: number, n: number, m: number, a: number, mTop: boolean): Handler {
  return (c) => {
    const product = Math.floor((c.r[n] * half(c.r[m], mTop)) / 65536);
    if (a < 0) c.r[d] = product;
    else {
      const sum = product + c.r[a];
      if (sum !== (sum | 0)) c.q = 1;
      c.r[d] = sum;
    }
  };
}

/** SMLALxy. */
export function multiplyHalvesLong(dLo: number, dHi: number, n: number, m: number, nTop: boolean, mTop: boolean): Handler {
  return (c) => {
    const product = half(c.r[n], nTop) * half(c.r[m], mTop);
    multiply64(product, 1, true, c.r[dLo], c.r[dHi]);
    c.r[dLo] = wide[0];
    c.r[dHi] = wide[1];
  };
}

/** SDIV/UDIV: division by zero gives 0 (ARMv7-A with SCTLR.DZ = 0). */
export function divide(d: number, n: number, m: number, signed: boolean): Handler {
  if (signed) return (c) => { const divisor = c.r[m]; c.r[d] = divisor === 0 ? 0 : Math.trunc(c.r[n] / divisor); };
  return (c) => { const divisor = c.r[m] >>> 0; c.r[d] = divisor === 0 ? 0 : Math.trunc((c.r[n] >>> 0) / divisor); };
}

// ---- Bit manipulation -----------------------------------------------------------------------------------------

export const enum Unary {
  CLZ, REV, REV16, REVSH, RBIT,
}

function reverseBits(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return (v >>> 16) | (v << 16);
}

/** REV (`kind` 0), REV16 (1), REVSH (2) of `v`. */
export function reverseBytes(kind: number, v: number): number {
  if (kind === 0) return (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  if (kind === 1) return ((v & 0x00ff00ff) << 8) | ((v >>> 8) & 0x00ff00ff);
  return (((v & 0xff) << 24) >> 16) | ((v >>> 8) & 0xff);
}

export function unary(kind: Unary, d: number, m: number): Handler {
  switch (kind) {
    case Unary.CLZ: return (c) => { c.r[d] = Math.clz32(c.r[m]); };
    case Unary.REV: return (c) => { c.r[d] = reverseBytes(0, c.r[m]); };
    case Unary.REV16: return (c) => { c.r[d] = reverseBytes(1, c.r[m]); };
    case Unary.REVSH: return (c) => { c.r[d] = reverseBytes(2, c.r[m]); };
    default: return (c) => { c.r[d] = reverseBits(c.r[m]); };
  }
}

/** SXTB/UXTB/SXTH/UXTH/UXTB16/SXTB16 with rotation, and their accumulating forms (n >= 0). */
export function extend(d: number, n: number, m: number, rotation: number, bits: 8 | 16, signed: boolean, dual: boolean): Handler {
  if (dual) {
    return (c) => {
      const v = shift(c, c.r[m], 3, rotation);
      let lo = v & 0xff, hi = (v >>> 16) & 0xff;
      if (signed) { lo = (lo << 24) >> 24; hi = (hi << 24) >> 24; }
      if (n >= 0) { lo += c.r[n]; hi += c.r[n] >> 16; }
      c.r[d] = (lo & 0xffff) | (hi << 16);
    };
  }
  const sh = 32 - bits;
  return (c) => {
    const v = rotation === 0 ? c.r[m] : (c.r[m] >>> rotation) | (c.r[m] << (32 - rotation));
    const x = signed ? (v << sh) >> sh : (v << sh) >>> sh;
    c.r[d] = n >= 0 ? c.r[n] + x : x;
  };
}

export function bitfieldExtract(d: number, n: number, lsb: number, width: number, signed: boolean): Handler {
  const left = 32 - lsb - width;
  const right = 32 - width;
  return signed ? (c) => { c.r[d] = (c.r[n] << left) >> right; } : (c) => { c.r[d] = (c.r[n] << left) >>> right; };
}

/** BFI (n >= 0) or BFC (n < 0). */
export function bitfieldInsert(d: number, n: number, lsb: number, msb: number): Handler {
  const width = msb - lsb + 1;
  const mask = width >= 32 ? -1 : ((1 << width) - 1) << lsb;
  return (c) => {
    const source = n < 0 ? 0 : c.r[n] << lsb;
    c.r[d] = (c.r[d] & ~mask) | (source & mask);
  };
}

/** SSAT/USAT with a shifted operand; SSAT16/USAT16 saturate both halves. */
export function saturate(d: number, n: number, type: Shift, amount: number, bits: number, signed: boolean, dual: boolean): Handler {
  if (dual) {
    return (c) => {
      const v = c.r[n];
      const lo = signed ? signedSaturate(c, (v << 16) >> 16, bits) : unsignedSaturate(c, (v << 16) >> 16, bits);
      const hi = signed ? signedSaturate(c, v >> 16, bits) : unsignedSaturate(c, v >> 16, bits);
      c.r[d] = (lo & 0xffff) | (hi << 16);
    };
  }
  return (c) => {
    const v = shift(c, c.r[n], type, amount);
    c.r[d] = signed ? signedSaturate(c, v, bits) : unsignedSaturate(c, v, bits);
  };
}

/** SEL: bytes from Rn where GE is set, else from Rm. */
export function select(d: number, n: number, m: number): Handler {
  return (c) => {
    const ge = c.ge;
    const mask = (ge & 1 ? 0xff : 0) | (ge & 2 ? 0xff00 : 0) | (ge & 4 ? 0xff0000 : 0) | (ge & 8 ? 0xff000000 : 0);
    c.r[d] = (c.r[n] & mask) | (c.r[m] & ~mask);
  };
}

export const enum ParallelOp {
  ADD16, ASX, SAX, SUB16, ADD8, SUB8,
}

function lane(v: number, index: number, bits: number, signed: boolean): number {
  const raw = (v >>> (index * bits)) & ((1 << bits) - 1);
  return signed ? (raw << (32 - bits)) >> (32 - bits) : raw;
}

/** Parallel add/subtract: mode 'ge' (S/U prefixes, set GE), 'sat' (Q/UQ), 'half' (SH/UH). */
export function parallel(d: number, n: number, m: number, op: ParallelOp, signed: boolean, mode: 'ge' | 'sat' | 'half'): Handler {
  const bits = op === ParallelOp.ADD8 || op === ParallelOp.SUB8 ? 8 : 16;
  const count = 32 / bits;
  const max = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  const min = signed ? -(1 << (bits - 1)) : 0;
  return (c) => {
    const a = c.r[n], b = c.r[m];
    let result = 0, ge = 0;
    for (let i = 0; i < count; i++) {
      let x: number;
      let adds: boolean;
      if (op === ParallelOp.ASX) { adds = i === 1; x = adds ? lane(a, 1, bits, signed) + lane(b, 0, bits, signed) : lane(a, 0, bits, signed) - lane(b, 1, bits, signed); }
      else if (op === ParallelOp.SAX) { adds = i === 0; x = adds ? lane(a, 0, bits, signed) + lane(b, 1, bits, signed) : lane(a, 1, bits, signed) - lane(b, 0, bits, signed); }
      else { adds = op === ParallelOp.ADD16 || op === ParallelOp.ADD8; x = adds ? lane(a, i, bits, signed) + lane(b, i, bits, signed) : lane(a, i, bits, signed) - lane(b, i, bits, signed); }
      if (mode === 'half') x >>= 1;
      else if (mode === 'sat') x = x > max ? max : x < min ? min : x;
      else if (signed || !adds ? x >= 0 : x >= 1 << bits) ge |= bits === 8 ? 1 << i : 3 << (2 * i);
      result |= (x & ((1 << bits) - 1)) << (i * bits);
    }
    c.r[d] = result;
    if (mode === 'ge') c.ge = ge;
  };
}

/** USAD8 / USADA8 (a >= 0). */
export function sumAbsoluteDifferences(d: number, n: number, m: number, a: number): Handler {
  return (c) => {
    let sum = a >= 0 ? c.r[a] : 0;
    for (let i = 0; i < 32; i += 8) sum += Math.abs(((c.r[n] >>> i) & 0xff) - ((c.r[m] >>> i) & 0xff));
    c.r[d] = sum;
  };
}

/** QADD/QSUB/QDADD/QDSUB. */
export function saturatingArith(d: number, n: number, m: number, subtract: boolean, double: boolean): Handler {
  return (c) => {
    let b = c.r[n];
    if (double) b = signedSaturate(c, b * 2, 32);
    c.r[d] = signedSaturate(c, subtract ? c.r[m] - b : c.r[m] + b, 32);
  };
}

// ---- Branches and system --------------------------------------------------------------------------------------

/** B<cond>: the condition test inlined for the common conditions. */
export function conditionalBranch(cond: number, target: number): Handler {
  const t = target >>> 0;
  switch (cond) {
    case 0: return (c) => { if (c.z === 1) c.next = t; };
    case 1: return (c) => { if (c.z === 0) c.next = t; };
    case 2: return (c) => { if (c.c === 1) c.next = t; };
    case 3: return (c) => { if (c.c === 0) c.next = t; };
    case 10: return (c) => { if (c.n === c.v) c.next = t; };
    case 11: return (c) => { if (c.n !== c.v) c.next = t; };
    case 12: return (c) => { if (c.z === 0 && c.n === c.v) c.next = t; };
    case 13: return (c) => { if (c.z === 1 || c.n !== c.v) c.next = t; };
    case 14: return (c) => { c.next = t; };
    default: return (c) => { if (conditionPassed(c, cond)) c.next = t; };
  }
}

export function branch(target: number): Handler {
  const t = target >>> 0;
  return (c) => { c.next = t; };
}

/** BL / BLX (immediate): `toThumb` is the state at the target. */
export function branchLink(target: number, returnAddress: number, toThumb: boolean): Handler {
  const t = target >>> 0;
  const lr = returnAddress | 0;
  return (c) => { c.r[14] = lr; c.next = t; c.thumb = toThumb; };
}

export function branchExchange(m: number, link: boolean, returnAddress: number): Handler {
  const lr = returnAddress | 0;
  return link ? (c) => { const target = c.r[m]; c.r[14] = lr; bxWritePc(c, target); } : (c) => bxWritePc(c, c.r[m]);
}

/** CBZ / CBNZ. */
export function compareBranch(n: number, nonZero: boolean, target: number): Handler {
  const t = target >>> 0;
  return nonZero ? (c) => { if (c.r[n] !== 0) c.next = t; } : (c) => { if (c.r[n] === 0) c.next = t; };
}

/** TBB / TBH. */
export function tableBranch(n: number, m: number, halfwords: boolean): Handler {
  return halfwords
    ? (c) => { c.next = (c.r[15] + 2 * c.mem.read16((c.r[n] + 2 * c.r[m]) >>> 0)) >>> 0; }
    : (c) => { c.next = (c.r[15] + 2 * c.mem.read8((c.r[n] + c.r[m]) >>> 0)) >>> 0; };
}

export function supervisorCall(imm: number): Handler {
  return (c) => { c.stop = { kind: 'svc', imm }; };
}

/** BKPT and undefined instructions stop the CPU at themselves: `next` is set apart from the fall-through (to end
 * the block) and the run loop points the PC back at the instruction. */
export function breakpoint(imm: number): Handler {
  return (c) => { c.next = -1; c.stop = { kind: 'breakpoint', imm }; };
}

export function undefinedInstruction(encoding: number, size: 2 | 4, detail: string): Handler {
  const e = encoding >>> 0;
  return (c) => { c.next = -1; c.stop = { kind: 'undefined', encoding: e, size, detail }; };
}

export const nop: Handler = () => {};

export function readApsr(d: number): Handler {
  return (c) => { c.r[d] = c.cpsr & ~0x20 & ~0x0600fc00; };
}

/** PKHBT (tb = false) / PKHTB. */
export function packHalfwords(d: number, n: number, m: number, imm5: number, tb: boolean): Handler {
  if (tb) {
    const amount = imm5 === 0 ? 31 : imm5;
    return (c) => { c.r[d] = (c.r[n] & 0xffff0000) | ((c.r[m] >> amount) & 0xffff); };
  }
  return (c) => { c.r[d] = (c.r[n] & 0xffff) | ((c.r[m] << imm5) & 0xffff0000); };
}

/** SMMUL/SMMLA (a >= 0) and SMMLS (`subtract`): the top word of a 64-bit product, optionally rounded. */
export function mostSignificantMultiply(d: number, n: number, m: number, a: number, round: boolean, subtract: boolean): Handler {
  return (c) => {
    multiply64(c.r[n], c.r[m], true, 0, 0);
    let lo = wide[0] >>> 0, hi = wide[1];
    if (subtract) {
      hi = (c.r[a] - hi - (lo !== 0 ? 1 : 0)) | 0;
      lo = (4294967296 - lo) % 4294967296;
    } else if (a >= 0) hi = (hi + c.r[a]) | 0;
    if (round) hi = (hi + (lo >= 0x80000000 ? 1 : 0)) | 0;
    c.r[d] = hi;
  };
}
