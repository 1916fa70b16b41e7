// The dense form of decoded A32 instructions, and the one function that executes it. A kernel's boot runs tens of
// millions of instructions interpreted over some 27,000 warm blocks: there a handler closure per instruction (one
// megamorphic call each, to a closure and a context of its own scattered over the heap) costs 55-100 ns, most of it
// the host's cache misses. The common integer instructions are decoded instead into four int32s each, in a typed
// array shared by the blocks decoded together (cpu.ts), and executed by `executeDense`, a single function with a
// switch on the form (compiled once, with a jump table; registers and memory in locals). Every other instruction
// keeps its closure: the form CALL runs the block's handler at that index, so the handlers stay the reference
// semantics (the tests compare both) and the dense form is only a cache of decoding, never state.
import { addFlags, bxWritePc, multiply64, setNZ, shift, shiftC, wide } from './alu';
import { CP15_BY_KEY, cp15Key, cp15Storage } from './cp15';
import { Mode } from './modes';
import { Op, Width, alu, isLogical, nop, reverseBytes } from './ops';
import { cpsrAsRead, sendEvent } from './system-ops';
import type { Handler } from './alu';
import type { CpuState } from './state';

/** int32s per instruction: the form with its condition, and three operand words. */
export const DENSE_STRIDE = 4;

/**
 * What an instruction is, in the low byte of its first word (the A32 condition above it; 14, always, for CALL, whose
 * handler tests its own). Operand words by form (d, n, t, m: register numbers; `shifter`: m | type << 4 | amount << 8
 * with type 4 for RRX, as DecodeImmShift gives them):
 */
export const enum Form {
  /** The block's handler at this index. */
  Call,
  /** [d | n << 4 | op << 8 | s << 12, immediate, carry out of the rotated immediate or -1]: any ALU operation. */
  DataImmediate,
  /** [d | n << 4 | op << 8 | s << 12, shifter]: any ALU operation on a register shifted by an immediate. */
  DataRegister,
  /** [d | n << 4 | op << 8, immediate]: AND, EOR, RSB, ORR, BIC without flags, Rn not the PC. */
  ArithmeticImmediate,
  /** [d | n << 4 | op << 8, shifter]: AND, EOR, SUB, RSB, ADD, ORR, MOV, BIC, MVN without flags, not of the PC. */
  ArithmeticRegister,
  /** [d, value]: MOV, MVN or MOVW of a constant, MOV of the PC, ADR, without flags. */
  MoveConstant,
  /** [d, m]: MOV of a register, without flags. The forms named for one operation do not read the PC. */
  MoveRegister,
  /** [d, n, k]: ADD and SUB (k negated) of a constant, without flags. */
  AddConstant,
  /** [n, k]: CMP of a constant. */
  CompareConstant,
  /** [n, m]: CMP of a register. */
  CompareRegister,
  /** [n, k]: TST of a constant. */
  TestConstant,
  /** [d, imm16]: MOVT. */
  MoveTop,
  /** [t, n, delta]: LDR and STR (word or byte) at Rn + delta without writeback. */
  LoadWord, LoadByte, StoreWord, StoreByte,
  /** [t | n << 4 | width << 8 | load << 12 | index << 13 | wback << 14, delta]: the other loads and stores with an
   * immediate offset (halfwords, signed, pre- and post-indexed). */
  LoadStoreImmediate,
  /** [t | n << 4 | width << 8 | load << 12 | index << 13 | wback << 14 | add << 15, shifter]: with a register offset. */
  LoadStoreRegister,
  /** [n | load << 4 | wback << 5 | increment << 6 | count << 8, list, offset of the lowest address from Rn]: LDM/STM
   * (and PUSH/POP) of the current mode's registers, the PC included. */
  LoadStoreMultiple,
  /** [d | n << 4 | op << 8 | s << 12, m | type << 4 | rs << 8]: any ALU operation on a register shifted by a register. */
  DataShiftedByRegister,
  /** [d | n << 4 | m << 8 | s << 12, accumulator or -1]: MUL, MLA. */
  Multiply,
  /** [t | n << 4 | load << 12 | index << 13 | wback << 14 | t2 << 16, delta]: LDRD/STRD of Rt and Rt2 (Rt+1 in A32),
   * immediate offset. */
  LoadStoreDual,
  /** []: barriers, PLD, NOP and the hints that do nothing here (their handler is the shared no-op). */
  Nop,
  /** [d, m | rotation << 8, left shift | right shift << 8 | signed << 16]: SXTB, SXTH, UXTB, UXTH (rotated, not
   * accumulating), and SBFX, UBFX (rotation 0): a field shifted to the top, then back down. */
  ExtractField,
  /** [d, m]: CLZ. */
  CountLeadingZeros,
  /** [d, 1 for TPIDRURO, 0 for TPIDRURW]: MRC of the user thread ID registers (Linux's `current`). */
  ReadThreadId,
  /** [target]: B. */
  Branch,
  /** [target, return address]: BL. */
  BranchLink,
  /** [m, return address or -1 (BX)]: BX and BLX of a register. */
  BranchExchange,
  /** [n, target, 1 for CBNZ]: CBZ, CBNZ. */
  CompareBranch,
  /** [n, m, 1 for TBH]: TBB, TBH (Rn the PC reads as the instruction's address + 4). */
  TableBranch,
  /** [d | n << 4 | op << 8, m]: AND, EOR, ORR, MOV, BIC, MVN of a register setting N and Z (Thumb's 16-bit forms). */
  LogicalFlags,
  /** [d | n << 4 | carry in << 8, b]: ADDS (b the constant, carry in 0) and SUBS (b its complement, carry in 1). */
  AddFlags,
  /** [target, return address or -1]: BLX (immediate) and BX PC, a change of instruction set to a constant target
   * (bit 0 set for Thumb state). */
  BranchExchangeConstant,
  /** [dLo | dHi << 4 | n << 8 | m << 12 | s << 16, signed | accumulate << 1]: UMULL, UMLAL, SMULL, SMLAL. */
  MultiplyLong,
  /** [d, m, 0 for REV, 1 for REV16, 2 for REVSH]. */
  ByteReverse,
  /** [d]: MRS of the CPSR. */
  ReadStatus,
  /** []: SEV. */
  SendEvent,
  /** [t, n, offset]: LDREX (word), which marks the address in the exclusive monitor. */
  LoadExclusive,
  /** [d, t | n << 4, offset]: STREX (word), which stores only while the monitor holds the address. */
  StoreExclusive,
  // The forms from here on keep their block's handler, which runs where their fast path does not apply (USR mode, a
  // user-mode CPU): what the handler does there (UNDEFINED, or its user-mode register) is no business of theirs.
  /** [t, storage index]: MRC of a CP15 register kept in the system CPU's storage (TPIDRPRW, the ID registers), at PL1. */
  ReadSystemRegister,
  /** []: MCR of a cache or branch predictor maintenance operation, nothing to do at PL1. */
  MaintenanceNop,
}

/** Whether the dense form at `offset` needs its instruction's handler too (for its slow path). */
export function denseKeepsHandler(code: Int32Array, offset: number): boolean {
  return (code[offset] & 0xff) >= Form.ReadSystemRegister;
}

const AL = 14;
/** The first word of the form CALL: always, as its handler tests the condition itself. */
const CALL = Form.Call | (AL << 8);

const bits = (word: number, hi: number, lo: number): number => (word >>> lo) & ((1 << (hi - lo + 1)) - 1);
const bit = (word: number, n: number): number => (word >>> n) & 1;

/** DecodeImmShift as a shifter word (type 4: RRX; LSR/ASR #0 mean 32). */
export function shifter(m: number, type: number, imm5: number): number {
  if (type === 3 && imm5 === 0) return m | (4 << 4) | (1 << 8);
  return m | (type << 4) | ((imm5 === 0 && (type === 1 || type === 2) ? 32 : imm5) << 8);
}

/**
 * Writes the dense form of the A32 `word` at `address` into `code` at `offset`; returns false (leaving the form CALL
 * written) for what it does not cover: what writes the PC other than a branch or LDM, privileged and unpredictable
 * forms, and everything that is not plain integer data processing, a load or store, or a branch.
 */
export function denseArm(word: number, address: number, code: Int32Array, offset: number): boolean {
  code[offset] = CALL;
  const cond = word >>> 28;
  if ((word & 0xfe000000) === (0xfa000000 | 0)) {
    // BLX (immediate): to Thumb code, the H bit its halfword.
    code[offset] = Form.BranchExchangeConstant | (AL << 8);
    set(code, offset, Form.BranchExchangeConstant, (address + 8 + ((word << 8) >> 6) + (bit(word, 24) << 1)) | 1, (address + 4) | 0);
    return true;
  }
  if (cond === 0xf) return false;
  const form = denseConditional(word, address, code, offset);
  if (form === Form.Call) return false;
  code[offset] = form | (cond << 8);
  return true;
}

/** The dense form of an instruction left to its `handler`: CALL, or no call at all for the shared no-op. */
export function denseHandler(handler: Handler, code: Int32Array, offset: number): void {
  code[offset] = handler === nop ? Form.Nop | (AL << 8) : CALL;
}

function denseConditional(word: number, address: number, code: Int32Array, o: number): Form {
  const rn = bits(word, 19, 16), rd = bits(word, 15, 12), rm = bits(word, 3, 0);
  const other = denseOther(word, code, o, rd, rm);
  if (other !== Form.Call) return other;
  switch (bits(word, 27, 25)) {
    case 0b000: {
      if (bit(word, 4) === 1 && bit(word, 7) === 1) return denseExtraLoadStore(word, code, o);
      if (bits(word, 24, 23) === 0b10 && bit(word, 20) === 0) {
        // BX, BLX (register).
        if ((word & 0x0ffffff0) === 0x012fff10) return set(code, o, Form.BranchExchange, rm, -1);
        if ((word & 0x0ffffff0) === 0x012fff30) return set(code, o, Form.BranchExchange, rm, (address + 4) | 0);
        return Form.Call;
      }
      if (rd === 15) return Form.Call; // writes of the PC
      const op = bits(word, 24, 21) as Op;
      const s = bit(word, 20);
      if (bit(word, 4) === 1) {
        const rs = bits(word, 11, 8);
        if (rn === 15 || rm === 15 || rs === 15) return Form.Call; // UNPREDICTABLE
        return set(code, o, Form.DataShiftedByRegister, rd | (rn << 4) | (op << 8) | (s << 12), rm | (bits(word, 6, 5) << 4) | (rs << 8));
      }
      const type = bits(word, 6, 5), imm5 = bits(word, 11, 7);
      if (type === 0 && imm5 === 0) {
        // R15 reads as the instruction's address + 8: a constant here.
        if (op === Op.MOV && s === 0) return rm === 15 ? set(code, o, Form.MoveConstant, rd, (address + 8) | 0) : set(code, o, Form.MoveRegister, rd, rm);
        if (op === Op.CMP && rn !== 15 && rm !== 15) return set(code, o, Form.CompareRegister, rn, rm);
      }
      if (s === 0 && ARITHMETIC.has(op) && rn !== 15 && rm !== 15) return set(code, o, Form.ArithmeticRegister, rd | (rn << 4) | (op << 8), shifter(rm, type, imm5));
      return set(code, o, Form.DataRegister, rd | (rn << 4) | (op << 8) | (s << 12), shifter(rm, type, imm5));
    }
    case 0b001: {
      if (rd === 15) return Form.Call;
      if (bits(word, 24, 23) === 0b10 && bit(word, 20) === 0) {
        const imm16 = (rn << 12) | bits(word, 11, 0);
        if (bits(word, 22, 21) === 0b00) return set(code, o, Form.MoveConstant, rd, imm16);
        if (bits(word, 22, 21) === 0b10) return set(code, o, Form.MoveTop, rd, imm16);
        return Form.Call; // MSR, hints
      }
      const op = bits(word, 24, 21) as Op;
      const s = bit(word, 20);
      const rotation = bits(word, 11, 8) * 2;
      const imm8 = word & 0xff;
      const imm = rotation === 0 ? imm8 : (imm8 >>> rotation) | (imm8 << (32 - rotation));
      if (s === 0) {
        if (op === Op.MOV) return set(code, o, Form.MoveConstant, rd, imm);
        if (op === Op.MVN) return set(code, o, Form.MoveConstant, rd, ~imm);
        if (op === Op.ADD && rn !== 15) return set(code, o, Form.AddConstant, rd, rn, imm);
        if (op === Op.SUB && rn !== 15) return set(code, o, Form.AddConstant, rd, rn, -imm | 0);
      }
      if (s === 0 && ARITHMETIC.has(op) && rn !== 15) return set(code, o, Form.ArithmeticImmediate, rd | (rn << 4) | (op << 8), imm);
      if (s === 0 && rn === 15 && (op === Op.ADD || op === Op.SUB)) return set(code, o, Form.MoveConstant, rd, (address + 8 + (op === Op.ADD ? imm : -imm)) | 0); // ADR
      if (op === Op.CMP && rn !== 15) return set(code, o, Form.CompareConstant, rn, imm);
      if (op === Op.TST && rotation === 0 && rn !== 15) return set(code, o, Form.TestConstant, rn, imm);
      return set(code, o, Form.DataImmediate, rd | (rn << 4) | (op << 8) | (s << 12), imm, rotation === 0 ? -1 : imm >>> 31);
    }
    case 0b010:
    case 0b011: {
      const p = bit(word, 24), u = bit(word, 23), byte = bit(word, 22), w = bit(word, 21), l = bit(word, 20);
      const register = bits(word, 27, 25) === 0b011;
      if (register && bit(word, 4) === 1) return Form.Call; // media instructions
      if (p === 0 && w === 1) return Form.Call; // LDRT, STRT: unprivileged
      return denseLoadStore(code, o, l, byte === 1 ? Width.Byte : Width.Word, rd, rn, p, p === 0 || w === 1, u,
        register ? shifter(rm, bits(word, 6, 5), bits(word, 11, 7)) : -1, bits(word, 11, 0));
    }
    case 0b100: {
      const list = bits(word, 15, 0);
      if (list === 0 || bit(word, 22) === 1 || rn === 15) return Form.Call; // empty, user registers, exception return
      const load = bit(word, 20), increment = bit(word, 23), before = bit(word, 24);
      let wback = bit(word, 21);
      // Writeback of a base that is also loaded: the loaded value wins (as the handler leaves it).
      if (load === 1 && (list & (1 << rn)) !== 0) wback = 0;
      const count = popCount(list);
      const start = increment ? (before ? 4 : 0) : (before ? -4 * count : -4 * count + 4);
      return set(code, o, Form.LoadStoreMultiple, rn | (load << 4) | (wback << 5) | (increment << 6) | (count << 8), list, start);
    }
    case 0b101: {
      const target = (address + 8 + ((word << 8) >> 6)) | 0;
      return bit(word, 24) === 1 ? set(code, o, Form.BranchLink, target, (address + 4) | 0) : set(code, o, Form.Branch, target);
    }
    default:
      return Form.Call;
  }
}

/**
 * Extends, bitfield extracts, CLZ, byte reversals, MRS of the CPSR, SEV, the word exclusives and the common CP15
 * accesses (the PC as an operand, and UNPREDICTABLE register choices: left to the handler).
 */
function denseOther(word: number, code: Int32Array, o: number, rd: number, rm: number): Form {
  if ((word & 0x0fffffff) === 0x0320f004) return Form.SendEvent;
  const rn = bits(word, 19, 16);
  if ((word & 0x0ff00fff) === 0x01900f9f) return rd === 15 || rn === 15 ? Form.Call : set(code, o, Form.LoadExclusive, rd, rn, 0);
  if (rd === 15 || rm === 15) return Form.Call;
  if ((word & 0x0f000010) === 0x0e000010) return denseCoprocessorAccess(word, code, o);
  if ((word & 0x0fff0ff0) === 0x016f0f10) return set(code, o, Form.CountLeadingZeros, rd, rm);
  if ((word & 0x0fff0fff) === 0x010f0000) return set(code, o, Form.ReadStatus, rd);
  const reversal = BYTE_REVERSALS.indexOf(word & 0x0fff0ff0);
  if (reversal >= 0) return set(code, o, Form.ByteReverse, rd, rm, reversal);
  if ((word & 0x0ff00ff0) === 0x01800f90) return denseStoreExclusive(code, o, rd, rm, rn, 0);
  // SXTB, SXTH, UXTB, UXTH: 0110 1U1H 1111 Rd rot 0111 Rm.
  if ((word & 0x0fbf03f0) === 0x06af0070 || (word & 0x0fbf03f0) === 0x06bf0070) {
    const unsigned = bit(word, 22), half = bit(word, 20);
    const width = half === 1 ? 16 : 8;
    return set(code, o, Form.ExtractField, rd, rm | (bits(word, 11, 10) * 8) << 8, (32 - width) | ((32 - width) << 8) | ((1 - unsigned) << 16));
  }
  // SBFX, UBFX: 0111 1U1 widthm1 Rd lsb 101 Rn (an lsb + width past bit 31 is UNPREDICTABLE).
  if ((word & 0x0fa00070) === 0x07a00050) {
    const lsb = bits(word, 11, 7), width = bits(word, 20, 16) + 1;
    if (lsb + width > 32) return Form.Call;
    return set(code, o, Form.ExtractField, rd, rm, (32 - lsb - width) | ((32 - width) << 8) | ((1 - bit(word, 22)) << 16));
  }
  return Form.Call;
}

/** REV, REV16, REVSH (the word masked by 0x0fff0ff0), in the order of ByteReverse's kinds. */
const BYTE_REVERSALS = [0x06bf0f30, 0x06bf0fb0, 0x06ff0fb0];

/** STREX (word) of Rt to [Rn + offset], status in Rd; the UNPREDICTABLE register choices are left to the handler. */
export function denseStoreExclusive(code: Int32Array, o: number, d: number, t: number, n: number, offset: number): Form {
  if (d === 15 || t === 15 || n === 15 || d === n || d === t) return Form.Call;
  return set(code, o, Form.StoreExclusive, d, t | (n << 4), offset);
}

/**
 * MRC and MCR of CP15 (`word` as A32 encodes them, T32's the same with its condition bits 0xe): the user thread ID
 * registers, the registers a system CPU keeps in storage (TPIDRPRW, the ID registers: CTR...) and the cache
 * maintenance operations. MRC to the PC (the flags) keeps its handler.
 */
export function denseCoprocessorAccess(word: number, code: Int32Array, o: number): Form {
  const t = bits(word, 15, 12);
  if (bits(word, 11, 8) !== 15 || t === 15) return Form.Call;
  const read = bit(word, 20) === 1;
  const register = CP15_BY_KEY.get(cp15Key(15, bits(word, 23, 21), bits(word, 19, 16), word & 0xf, bits(word, 7, 5), false));
  if (register === undefined) return Form.Call;
  if (read && register.name === 'TPIDRURO') return set(code, o, Form.ReadThreadId, t, 1);
  if (read && register.name === 'TPIDRURW') return set(code, o, Form.ReadThreadId, t, 0);
  if (read && register.access !== 'wo' && (register.kind === 'storage' || register.kind === 'id')) return set(code, o, Form.ReadSystemRegister, t, 2 * cp15Storage(register));
  if (!read && register.kind === 'nop' && register.access !== 'ro') return Form.MaintenanceNop;
  return Form.Call;
}

/** LDRH/STRH/LDRSB/LDRSH (not LDRD/STRD, not the unprivileged forms). */
function denseExtraLoadStore(word: number, code: Int32Array, o: number): Form {
  const kind = bits(word, 6, 5);
  const p = bit(word, 24), u = bit(word, 23), w = bit(word, 21), l = bit(word, 20);
  const rn = bits(word, 19, 16), rd = bits(word, 15, 12), rm = bits(word, 3, 0);
  if (kind === 0) {
    // MUL, MLA, UMULL, UMLAL, SMULL, SMLAL (not UMAAL, MLS, the exclusives): R15 anywhere is UNPREDICTABLE.
    const op = bits(word, 24, 21), rs = bits(word, 11, 8);
    if (op >= 4 && op <= 7) return denseMultiplyLong(code, o, rd, rn, rm, rs, bit(word, 20), bit(word, 22), bit(word, 21));
    if ((op !== 0 && op !== 1) || rn === 15 || rm === 15 || rs === 15 || (op === 1 && rd === 15)) return Form.Call;
    return set(code, o, Form.Multiply, rn | (rm << 4) | (rs << 8) | (l << 12), op === 1 ? rd : -1);
  }
  if (p === 0 && w === 1) return Form.Call; // LDRHT and the like
  if (l === 0 && kind !== 1) {
    // LDRD, STRD with an immediate offset: Rt even and not R14; writeback of R15 or of a loaded register UNPREDICTABLE.
    const wback = p === 0 || w === 1;
    if (bit(word, 22) === 0 || (rd & 1) === 1 || rd === 14 || (wback && (rn === 15 || rn === rd || rn === rd + 1))) return Form.Call;
    const imm = (bits(word, 11, 8) << 4) | rm;
    return set(code, o, Form.LoadStoreDual, rd | (rn << 4) | ((kind === 2 ? 1 : 0) << 12) | (p << 13) | ((wback ? 1 : 0) << 14) | ((rd + 1) << 16), u === 1 ? imm : -imm);
  }
  const width = kind === 1 ? Width.Half : kind === 2 ? Width.SignedByte : Width.SignedHalf;
  const immediate = bit(word, 22) === 1;
  return denseLoadStore(code, o, l, width, rd, rn, p, p === 0 || w === 1, u, immediate ? -1 : shifter(rm, 0, 0),
    (bits(word, 11, 8) << 4) | rm);
}

/** UMULL, UMLAL, SMULL, SMLAL of Rn and Rm into RdHi:RdLo; R15 anywhere and RdHi = RdLo are UNPREDICTABLE. */
export function denseMultiplyLong(code: Int32Array, o: number, dLo: number, dHi: number, n: number, m: number, s: number, signed: number, accumulate: number): Form {
  if (dLo === 15 || dHi === 15 || n === 15 || m === 15 || dLo === dHi) return Form.Call;
  return set(code, o, Form.MultiplyLong, dLo | (dHi << 4) | (n << 8) | (m << 12) | (s << 16), signed | (accumulate << 1));
}

/** A load or store with an immediate (`registerOffset` < 0) or a register offset. */
export function denseLoadStore(code: Int32Array, o: number, load: number, width: Width, t: number, n: number, index: number,
  wback: boolean, add: number, registerOffset: number, imm: number): Form {
  // Writeback of the PC or into a loaded register, and a byte or halfword into the PC, are UNPREDICTABLE: left to the
  // handler's choice. A word loaded into the PC (POP of it alone, a jump table) interworks, as the handler does.
  if ((t === 15 && width !== Width.Word) || (wback && (n === 15 || (load === 1 && t === n)))) return Form.Call;
  const wb = wback ? 1 : 0;
  if (registerOffset < 0) {
    const delta = add === 1 ? imm : -imm;
    if (!wback && width <= Width.Byte && t !== 15) {
      const form = load === 1 ? (width === Width.Word ? Form.LoadWord : Form.LoadByte) : width === Width.Word ? Form.StoreWord : Form.StoreByte;
      return set(code, o, form, t, n, delta);
    }
    return set(code, o, Form.LoadStoreImmediate, t | (n << 4) | (width << 8) | (load << 12) | (index << 13) | (wb << 14), delta);
  }
  if ((registerOffset & 0xf) === 15) return Form.Call; // a PC offset: UNPREDICTABLE
  return set(code, o, Form.LoadStoreRegister, t | (n << 4) | (width << 8) | (load << 12) | (index << 13) | (wb << 14) | (add << 15), registerOffset);
}

/** What `arithmetic` computes. */
export const ARITHMETIC = new Set([Op.AND, Op.EOR, Op.SUB, Op.RSB, Op.ADD, Op.ORR, Op.MOV, Op.BIC, Op.MVN]);

/** The data-processing operations without flags (ARITHMETIC), on Rn's value and the second operand. */
function arithmetic(op: Op, x: number, b: number): number {
  switch (op) {
    case Op.AND: return x & b;
    case Op.EOR: return x ^ b;
    case Op.SUB: return (x - b) | 0;
    case Op.RSB: return (b - x) | 0;
    case Op.ADD: return (x + b) | 0;
    case Op.ORR: return x | b;
    case Op.MOV: return b;
    case Op.BIC: return x & ~b;
    default: return ~b;
  }
}

export function set(code: Int32Array, o: number, form: Form, a: number, b = 0, c = 0): Form {
  code[o + 1] = a;
  code[o + 2] = b;
  code[o + 3] = c;
  return form;
}

export function popCount(list: number): number {
  let count = 0;
  for (let v = list; v !== 0; v &= v - 1) count++;
  return count;
}

/** For each condition, the NZCV values (n << 3 | z << 2 | c << 1 | v) where it passes, as a 16-bit mask. */
const CONDITION_PASSES = Int32Array.from({ length: 16 }, (_, cond) => {
  let mask = 0;
  for (let nzcv = 0; nzcv < 16; nzcv++) {
    const n = nzcv >> 3, z = (nzcv >> 2) & 1, c = (nzcv >> 1) & 1, v = nzcv & 1;
    const passes = [z === 1, z === 0, c === 1, c === 0, n === 1, n === 0, v === 1, v === 0, c === 1 && z === 0,
      c === 0 || z === 1, n === v, n !== v, z === 0 && n === v, z === 1 || n !== v, true, true][cond];
    if (passes) mask |= 1 << nzcv;
  }
  return mask;
});

/** LoadStoreMultiple's loads, all made before any register changes (an abort leaves the instruction restartable). */
const loaded = new Int32Array(16);

/** A register shifted by an immediate (a shifter word), without carry out. */
function shifted(c: CpuState, r: Int32Array, word: number): number {
  const value = r[word & 0xf];
  const type = (word >>> 4) & 0xf;
  const amount = word >>> 8;
  // The common shifts inline (ROR by 1-31: RRX is type 4); the rest, and LSR/ASR #32, through `shift`.
  if (type === 0) return value << amount;
  if (type === 3) return (value >>> amount) | (value << (32 - amount));
  if (amount < 32) return type === 1 ? (value >>> amount) | 0 : type === 2 ? value >> amount : shift(c, value, type, amount);
  return shift(c, value, type, amount);
}

function isTest(op: Op): boolean {
  return op >= Op.TST && op <= Op.CMN;
}

/**
 * Runs up to `count` instructions of an A32 block whose dense form starts at `code[at]` and whose first instruction
 * is at `start`; returns how many ran. As the closure loop did, it leaves after the first instruction that changes
 * `next` (a branch or a stop), with `next` as that instruction left it. But only what can observe `next` and R15
 * gets them set before it runs: a handler, and a memory access (a device access reads the instruction's PC and
 * retired count from them, and a MemoryFault propagates with `next` at the faulting instruction's fall-through); the
 * integer instructions, most of a block, store neither (R15 is no state between instructions: the PC is `pc`).
 * A device that stops the CPU during an access (raising an interrupt input) ends the run after that instruction, as
 * a stop by a handler does: only what leaves the inline page-cache path can reach a device, so only that checks.
 */
export function executeDense(c: CpuState, code: Int32Array, at: number, handlers: readonly Handler[], start: number, count: number,
  fallthrough: Uint32Array, pcValues: Int32Array): number {
  const r = c.r;
  const mem = c.mem;
  const { readTags, readViews, readOffsets, writeTags, writeViews, writeOffsets } = mem;
  // `o` walks the dense form; the instruction at code[o - DENSE_STRIDE] is the one executing. In an A32 block `pc + o`
  // is the address after it (instructions 4 bytes apart, DENSE_STRIDE int32s apart); a T32 block's `next` and R15
  // come from its `fallthrough` and `pcValues` (instructions 2 or 4 bytes long), and its forms never read the PC as
  // an operand.
  const pc = (start - at) | 0;
  const thumb = c.thumb; // the block's state (an instruction that changes it ends the run)
  if (thumb) {
    thumbFallthrough = fallthrough;
    thumbPcValues = pcValues;
  }
  const end = at + count * DENSE_STRIDE;
  let o = at;
  while (o < end) {
    const head = code[o];
    o += DENSE_STRIDE;
    if (head >>> 8 !== AL && ((CONDITION_PASSES[head >>> 8] >>> ((c.n << 3) | (c.z << 2) | (c.c << 1) | c.v)) & 1) === 0) continue;
    const a = code[o - 3];
    switch (head & 0xff) {
      case Form.Call: {
        const index = ((o - at) >> 2) - 1;
        const next = thumb ? thumbFallthrough[index] : (pc + o) >>> 0;
        c.next = next;
        r[15] = thumb ? thumbPcValues[index] : (pc + o + 4) | 0;
        handlers[index](c);
        if (c.next !== next || c.stop !== null) return (o - at) >> 2; // a branch, or a stop (a device's too)
        break;
      }
      case Form.DataImmediate: {
        const op = (a >>> 8) & 0xf, s = (a >>> 12) & 1;
        const carry = code[o - 1];
        if (s !== 0 && carry >= 0 && isLogical(op)) c.c = carry;
        const result = alu(c, op, readRegister(r, (a >>> 4) & 0xf, pc + o), code[o - 2], s !== 0);
        if (!isTest(op)) r[a & 0xf] = result;
        break;
      }
      case Form.DataRegister: {
        const op = (a >>> 8) & 0xf, s = (a >>> 12) & 1;
        const word = code[o - 2];
        r[15] = (pc + o + 4) | 0; // operands may be the PC
        const b = s !== 0 && isLogical(op) ? shiftC(c, r[word & 0xf], (word >>> 4) & 0xf, word >>> 8) : shifted(c, r, word);
        const result = alu(c, op, r[(a >>> 4) & 0xf], b, s !== 0);
        if (!isTest(op)) r[a & 0xf] = result;
        break;
      }
      case Form.ArithmeticImmediate:
        r[a & 0xf] = arithmetic((a >>> 8) & 0xf, r[(a >>> 4) & 0xf], code[o - 2]);
        break;
      case Form.ArithmeticRegister: {
        // A kernel's commonest (ADD and EOR of a register, plain, LSL'd or ROR'd, about 80 % of them: its hashes)
        // inline, not left to V8's choice of what to inline here.
        const word = code[o - 2], op = (a >>> 8) & 0xf, x = r[(a >>> 4) & 0xf];
        const value = r[word & 0xf], type = (word >>> 4) & 0xf, amount = word >>> 8;
        const b = type === 0 ? value << amount : type === 3 ? (value >>> amount) | (value << (32 - amount)) : shifted(c, r, word);
        r[a & 0xf] = op === Op.ADD ? (x + b) | 0 : op === Op.EOR ? x ^ b : arithmetic(op, x, b);
        break;
      }
      case Form.MoveConstant:
        r[a] = code[o - 2];
        break;
      case Form.MoveRegister:
        r[a] = r[code[o - 2]];
        break;
      case Form.AddConstant:
        r[a] = r[code[o - 2]] + code[o - 1];
        break;
      case Form.CompareConstant:
      case Form.CompareRegister: {
        // CMP's flags inline (addFlags of x, ~k and 1), for the same reason.
        const x = r[a], k = (head & 0xff) === Form.CompareConstant ? code[o - 2] : r[code[o - 2]];
        const result = (x - k) | 0;
        c.n = result >>> 31;
        c.z = result === 0 ? 1 : 0;
        c.c = x >>> 0 >= k >>> 0 ? 1 : 0;
        c.v = ((x ^ k) & (x ^ result)) >>> 31;
        break;
      }
      case Form.TestConstant:
        setNZ(c, r[a] & code[o - 2]);
        break;
      case Form.MoveTop:
        r[a] = (r[a] & 0xffff) | (code[o - 2] << 16);
        break;
      case Form.Nop:
        break;
      case Form.LogicalFlags: {
        const result = arithmetic((a >>> 8) & 0xf, r[(a >>> 4) & 0xf], r[code[o - 2]]);
        setNZ(c, result);
        r[a & 0xf] = result;
        break;
      }
      case Form.AddFlags:
        r[a & 0xf] = addFlags(c, r[(a >>> 4) & 0xf], code[o - 2], a >>> 8);
        break;
      case Form.Multiply: {
        const accumulator = code[o - 2];
        const result = (Math.imul(r[(a >>> 4) & 0xf], r[(a >>> 8) & 0xf]) + (accumulator < 0 ? 0 : r[accumulator])) | 0;
        if ((a >>> 12) & 1) setNZ(c, result);
        r[a & 0xf] = result;
        break;
      }
      case Form.ExtractField: {
        const m = code[o - 2], shifts = code[o - 1];
        const rotation = m >>> 8;
        const value = rotation === 0 ? r[m & 0xf] : (r[m & 0xf] >>> rotation) | (r[m & 0xf] << (32 - rotation));
        const top = value << (shifts & 0xff);
        r[a] = shifts >>> 16 !== 0 ? top >> ((shifts >>> 8) & 0xff) : top >>> ((shifts >>> 8) & 0xff);
        break;
      }
      default: {
        // The forms that access memory or branch: `next` and R15 as the handlers see them.
        const next = thumb ? thumbFallthrough[((o - at) >> 2) - 1] : (pc + o) >>> 0;
        c.next = next;
        r[15] = thumb ? thumbPcValues[((o - at) >> 2) - 1] : (pc + o + 4) | 0;
        switch (head & 0xff) {
          case Form.LoadWord: {
            // The memory's page cache read inline (CpuMemory), as translated code does: the commonest access,
            // not left to V8's choice of what to inline here.
            const address = (r[code[o - 2]] + code[o - 1]) | 0;
            const vpn = address >>> 12, x = address & 4095;
            if (readTags[vpn & 1023] === vpn && x < 4093) r[a] = readViews[vpn & 1023].getInt32(readOffsets[vpn & 1023] + x, true);
            else {
              r[a] = mem.read32(address);
              if (c.stop !== null) return (o - at) >> 2; // a device raised an interrupt: taken before what follows
            }
            break;
          }
          case Form.LoadByte:
            r[a] = mem.read8((r[code[o - 2]] + code[o - 1]) | 0);
            if (c.stop !== null) return (o - at) >> 2;
            break;
          case Form.StoreWord: {
            const address = (r[code[o - 2]] + code[o - 1]) | 0, value = r[a];
            const vpn = address >>> 12, x = address & 4095;
            if (writeTags[vpn & 1023] === vpn && x < 4093) writeViews[vpn & 1023].setInt32(writeOffsets[vpn & 1023] + x, value, true);
            else {
              mem.write32(address, value);
              if (c.stop !== null) return (o - at) >> 2;
            }
            break;
          }
          case Form.StoreByte:
            mem.write8((r[code[o - 2]] + code[o - 1]) | 0, r[a] & 0xff);
            if (c.stop !== null) return (o - at) >> 2;
            break;
          case Form.LoadStoreImmediate:
            loadStore(c, r, a, code[o - 2]);
            if (c.next !== next || c.stop !== null) return (o - at) >> 2; // the PC loaded, or a device's stop
            break;
          case Form.LoadStoreRegister: {
            const offset = shifted(c, r, code[o - 2]);
            loadStore(c, r, a, (a >>> 15) & 1 ? offset : -offset | 0);
            if (c.next !== next || c.stop !== null) return (o - at) >> 2;
            break;
          }
          case Form.LoadStoreDual:
            loadStoreDual(c, r, a, code[o - 2]);
            if (c.stop !== null) return (o - at) >> 2;
            break;
          case Form.LoadStoreMultiple:
            loadStoreMultiple(c, r, a, code[o - 2], code[o - 1]);
            if (c.next !== next || c.stop !== null) return (o - at) >> 2; // the PC loaded, or a device's stop
            break;
          case Form.Branch:
            c.next = a >>> 0;
            return (o - at) >> 2;
          case Form.BranchLink:
            r[14] = code[o - 2];
            c.next = a >>> 0;
            return (o - at) >> 2;
          case Form.CompareBranch:
            if ((r[a] === 0 ? 0 : 1) !== code[o - 1]) break;
            c.next = code[o - 2] >>> 0;
            return (o - at) >> 2;
          case Form.BranchExchange: {
            const target = r[a];
            if (code[o - 2] !== -1) r[14] = code[o - 2];
            bxWritePc(c, target);
            return (o - at) >> 2;
          }
          default:
            if (executeRare(c, r, head & 0xff, a, code, o, handlers, ((o - at) >> 2) - 1, next)) return (o - at) >> 2;
            break;
        }
      }
    }
  }
  c.next = thumb ? thumbFallthrough[((o - at) >> 2) - 1] : (pc + o) >>> 0;
  return (o - at) >> 2;
}

/**
 * The forms under 1 % of a kernel's instructions each and uncommon in user code (Thumb's flag-setting forms, CBZ,
 * extends and MUL stay in the loop: a bytewise CRC runs them all the time), out of `executeDense`: V8 compiles that loop smaller, with its
 * budget for inlining spent on the hot forms' helpers, and compiles only this function again when one of these is
 * first met late in a run. `next` and R15 are set as for a memory access (`index`: the instruction's in the block);
 * returns whether the run ends here (a branch taken, a slow path's handler branched or stopped, or a device accessed
 * stopped the CPU).
 */
function executeRare(c: CpuState, r: Int32Array, form: Form, a: number, code: Int32Array, o: number, handlers: readonly Handler[], index: number, next: number): boolean {
  switch (form) {
    case Form.DataShiftedByRegister: {
      const op = (a >>> 8) & 0xf, s = (a >>> 12) & 1;
      const word = code[o - 2];
      const value = r[word & 0xf], type = (word >>> 4) & 0xf, amount = r[word >>> 8] & 0xff;
      const b = s !== 0 && isLogical(op) ? shiftC(c, value, type, amount) : shift(c, value, type, amount);
      const result = alu(c, op, r[(a >>> 4) & 0xf], b, s !== 0);
      if (!isTest(op)) r[a & 0xf] = result;
      return false;
    }
    case Form.CountLeadingZeros:
      r[a] = Math.clz32(r[code[o - 2]]);
      return false;
    case Form.ReadThreadId:
      r[a] = code[o - 2] !== 0 ? c.tpidruro : c.tpidrurw;
      return false;
    case Form.MultiplyLong: {
      const kind = code[o - 2], lo = a & 0xf, hi = (a >>> 4) & 0xf;
      const accumulate = (kind & 2) !== 0;
      multiply64(r[(a >>> 8) & 0xf], r[(a >>> 12) & 0xf], (kind & 1) !== 0, accumulate ? r[lo] : 0, accumulate ? r[hi] : 0);
      r[lo] = wide[0];
      r[hi] = wide[1];
      if ((a >>> 16) & 1) {
        c.n = wide[1] >>> 31;
        c.z = wide[0] === 0 && wide[1] === 0 ? 1 : 0;
      }
      return false;
    }
    case Form.ByteReverse:
      r[a] = reverseBytes(code[o - 1], r[code[o - 2]]);
      return false;
    case Form.ReadStatus:
      r[a] = cpsrAsRead(c);
      return false;
    case Form.SendEvent:
      sendEvent(c);
      return false;
    case Form.ReadSystemRegister: {
      const system = c.system;
      if (system !== null && c.mode !== Mode.USR) {
        r[a] = system.cp15[code[o - 2]];
        return false;
      }
      handlers[index](c);
      return c.next !== next;
    }
    case Form.MaintenanceNop:
      if (c.system !== null && c.mode !== Mode.USR) return false;
      handlers[index](c);
      return c.next !== next;
    case Form.LoadExclusive: {
      const address = (r[code[o - 2]] + code[o - 1]) | 0;
      c.exclusiveAddress = address;
      r[a] = c.mem.read32(address);
      return c.stop !== null;
    }
    case Form.StoreExclusive: {
      const registers = code[o - 2];
      const address = (r[registers >>> 4] + code[o - 1]) | 0;
      // One store of the status either way: a path first taken late would make V8 drop this function's code.
      const held = c.exclusiveAddress === address;
      if (held) {
        c.mem.write32(address, r[registers & 0xf]);
        c.exclusiveAddress = -1;
      }
      r[a] = held ? 0 : 1;
      return c.stop !== null;
    }
    case Form.BranchExchangeConstant:
      if (code[o - 2] !== -1) r[14] = code[o - 2];
      bxWritePc(c, a);
      return true;
    default: {
      // TableBranch.
      const base = r[a], entry = r[code[o - 2]];
      const halfwords = code[o - 1] !== 0 ? c.mem.read16((base + 2 * entry) | 0) : c.mem.read8((base + entry) | 0);
      c.next = (r[15] + 2 * halfwords) >>> 0;
      return true;
    }
  }
}

/** A Thumb block's `fallthrough` and `pcValues` while it runs: outside the loop's registers, which A32 code needs. */
let thumbFallthrough: Uint32Array = new Uint32Array(0);
let thumbPcValues: Int32Array = new Int32Array(0);

/** Rn as the instruction executing reads it (`after`: the address after it): the PC is its address + 8. */
function readRegister(r: Int32Array, n: number, after: number): number {
  return n === 15 ? (after + 4) | 0 : r[n];
}

/** By Width: the shift to the top and back that sign-extends a loaded value (0: a word, or zero-extended). */
const SIGN_EXTENSION = Int32Array.of(0, 0, 0, 24, 16);

/** LoadStoreImmediate/Register: Rn + delta, pre- or post-indexed; the base is written back after the access. */
function loadStore(c: CpuState, r: Int32Array, fields: number, delta: number): void {
  const t = fields & 0xf, n = (fields >>> 4) & 0xf, width = (fields >>> 8) & 0xf;
  const base = r[n];
  const offsetAddress = (base + delta) | 0;
  const address = (fields >>> 13) & 1 ? offsetAddress : base;
  const mem = c.mem;
  if ((fields >>> 12) & 1) {
    // The signed loads share the unsigned ones' paths: a path first taken late in a boot (LDRSB) would make V8 drop
    // the executor's optimized code.
    const value = width === Width.Word ? mem.read32(address) : width === Width.Byte || width === Width.SignedByte ? mem.read8(address) : mem.read16(address);
    const extend = SIGN_EXTENSION[width];
    const loaded = (value << extend) >> extend;
    if ((fields >>> 14) & 1) r[n] = offsetAddress;
    if (t === 15) bxWritePc(c, loaded);
    else r[t] = loaded;
    return;
  }
  const value = r[t];
  if (width === Width.Word) mem.write32(address, value);
  else if (width === Width.Byte) mem.write8(address, value & 0xff);
  else mem.write16(address, value & 0xffff);
  if ((fields >>> 14) & 1) r[n] = offsetAddress;
}

/**
 * LDM/STM within one page the memory's cache holds read or write it directly, as the handler does: through the
 * page's DataView, as LDR/STR's inline path and translated code do (a kernel pushes and pops on every call).
 */
function loadStoreMultiple(c: CpuState, r: Int32Array, fields: number, list: number, startOffset: number): void {
  const n = fields & 0xf, count = fields >>> 8;
  const base = r[n];
  let address = (base + startOffset) | 0;
  const within = (address & 4095) <= 4096 - 4 * count;
  const slot = (address >>> 12) & 1023;
  const written = base + ((fields >>> 6) & 1 ? 4 * count : -4 * count);
  const mem = c.mem;
  if ((fields >>> 4) & 1) {
    if (within && mem.readTags[slot] === address >>> 12) {
      // Nothing can fault now: the base is written back first, and a loaded base overrides it, as it would after.
      const view = mem.readViews[slot];
      if ((fields >>> 5) & 1) r[n] = written;
      for (let v = list, o = mem.readOffsets[slot] + (address & 4095); v !== 0; v &= v - 1, o += 4) {
        const reg = 31 - Math.clz32(v & -v);
        if (reg === 15) bxWritePc(c, view.getInt32(o, true));
        else r[reg] = view.getInt32(o, true);
      }
      return;
    }
    for (let i = 0; i < count; i++, address = (address + 4) | 0) loaded[i] = mem.read32(address);
    if ((fields >>> 5) & 1) r[n] = written;
    for (let v = list, i = 0; v !== 0; v &= v - 1, i++) {
      const reg = 31 - Math.clz32(v & -v);
      if (reg === 15) bxWritePc(c, loaded[i]);
      else r[reg] = loaded[i];
    }
    return;
  }
  if (within && mem.writeTags[slot] === address >>> 12) {
    const view = mem.writeViews[slot];
    for (let v = list, o = mem.writeOffsets[slot] + (address & 4095); v !== 0; v &= v - 1, o += 4) view.setInt32(o, r[31 - Math.clz32(v & -v)], true);
  } else for (let v = list; v !== 0; v &= v - 1, address = (address + 4) | 0) mem.write32(address, r[31 - Math.clz32(v & -v)]);
  if ((fields >>> 5) & 1) r[n] = written;
}

/** LDRD/STRD: both words accessed before the base is written back (the first load's fault changes nothing). */
function loadStoreDual(c: CpuState, r: Int32Array, fields: number, delta: number): void {
  const t = fields & 0xf, n = (fields >>> 4) & 0xf;
  const base = n === 15 ? r[15] & ~3 : r[n];
  const offsetAddress = (base + delta) | 0;
  const address = (fields >>> 13) & 1 ? offsetAddress : base;
  const mem = c.mem;
  if ((fields >>> 12) & 1) {
    const low = mem.read32(address);
    const high = mem.read32((address + 4) | 0);
    if ((fields >>> 14) & 1) r[n] = offsetAddress;
    r[t] = low;
    r[(fields >>> 16) & 0xf] = high;
    return;
  }
  mem.write32(address, r[t]);
  mem.write32((address + 4) | 0, r[(fields >>> 16) & 0xf]);
  if ((fields >>> 14) & 1) r[n] = offsetAddress;
}
