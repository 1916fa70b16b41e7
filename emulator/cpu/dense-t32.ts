// The dense form (dense.ts) of T32 instructions: the same forms and executor as A32 code, only the decoding differs.
// An instruction inside an IT block carries its condition from ITSTATE (the 16-bit data processing in one sets no
// flags); R15 reads as the address + 4, and the literal loads and ADR, which align it down to a word, are written
// with constant addresses or a delta from it. What writes the PC otherwise, UNPREDICTABLE forms and everything
// uncommon keep their handler (the form CALL).
import { ARITHMETIC, Form, denseCoprocessorAccess, denseLoadStore, denseMultiplyLong, denseStoreExclusive, popCount, set, shifter } from './dense';
import { Op, Width } from './ops';

const AL = 14;

const bits = (word: number, hi: number, lo: number): number => (word >>> lo) & ((1 << (hi - lo + 1)) - 1);
const bit = (word: number, n: number): number => (word >>> n) & 1;
const signExtend = (value: number, width: number): number => (value << (32 - width)) >> (32 - width);

/** The condition of a B<cond> just decoded (its own, outside an IT block), else -1. */
let branchCondition = -1;

/**
 * Writes the dense form of the 16-bit (`second` < 0) or 32-bit T32 instruction at `address`, with ITSTATE `itBefore`,
 * into `code` at `offset`; returns false (the form CALL written) for what it does not cover.
 */
export function denseThumb(first: number, second: number, address: number, itBefore: number, code: Int32Array, offset: number): boolean {
  branchCondition = -1;
  const form = second < 0 ? dense16(first, address, itBefore !== 0, code, offset) : dense32(first, second, address, itBefore !== 0, code, offset);
  const condition = branchCondition >= 0 ? branchCondition : itBefore !== 0 ? itBefore >>> 4 : AL;
  code[offset] = form === Form.Call ? Form.Call | (AL << 8) : form | (condition << 8);
  return form !== Form.Call;
}

/** The loads and stores of the 16-bit register-offset encodings, by opc: [load, width]. */
const LOAD_STORE_REGISTER: readonly (readonly [number, Width])[] = [
  [0, Width.Word], [0, Width.Half], [0, Width.Byte], [1, Width.SignedByte],
  [1, Width.Word], [1, Width.Half], [1, Width.Byte], [1, Width.SignedHalf],
];

/** 16-bit data processing on registers (opcode → operation; shifts by a register as MOV of a shifted register). */
const DATA16: readonly Op[] = [Op.AND, Op.EOR, Op.MOV, Op.MOV, Op.MOV, Op.ADC, Op.SBC, Op.MOV, Op.TST, Op.RSB, Op.CMP, Op.CMN, Op.ORR, Op.MOV, Op.BIC, Op.MVN];
const SHIFT_BY_REGISTER: readonly number[] = [0, 0, 0, 1, 2, 0, 0, 3];
/** The logical operations whose flags of a plain register are N and Z alone. */
const LOGICAL = new Set([Op.AND, Op.EOR, Op.ORR, Op.MOV, Op.BIC, Op.MVN]);

function dense16(hw: number, address: number, inIt: boolean, code: Int32Array, o: number): Form {
  const lo3 = hw & 7, mid3 = bits(hw, 5, 3), high3 = bits(hw, 8, 6), r8 = bits(hw, 10, 8), imm8 = hw & 0xff;
  const s = inIt ? 0 : 1;
  switch (hw >>> 12) {
    case 0b0000:
    case 0b0001: {
      const op = bits(hw, 12, 11);
      if (op !== 3) {
        // LSL, LSR, ASR (immediate): MOV(S) of a shifted register.
        const imm5 = bits(hw, 10, 6);
        if (op === 0 && imm5 === 0) return s === 0 ? set(code, o, Form.MoveRegister, lo3, mid3) : set(code, o, Form.LogicalFlags, lo3 | (Op.MOV << 8), mid3);
        return s === 1 ? set(code, o, Form.DataRegister, lo3 | (Op.MOV << 8) | (1 << 12), shifter(mid3, op, imm5))
          : set(code, o, Form.ArithmeticRegister, lo3 | (Op.MOV << 8), shifter(mid3, op, imm5));
      }
      const subtract = bit(hw, 9), operation = subtract === 1 ? Op.SUB : Op.ADD;
      if (bit(hw, 10) === 1) {
        if (s === 0) return set(code, o, Form.AddConstant, lo3, mid3, subtract === 1 ? -high3 : high3);
        return addFlags(code, o, lo3, mid3, subtract, high3);
      }
      return dataRegister(code, o, operation, s, lo3, mid3, high3);
    }
    case 0b0010:
    case 0b0011:
      switch (bits(hw, 12, 11)) {
        case 0: return s === 0 ? set(code, o, Form.MoveConstant, r8, imm8) : set(code, o, Form.DataImmediate, r8 | (Op.MOV << 8) | (1 << 12), imm8, -1);
        case 1: return set(code, o, Form.CompareConstant, r8, imm8);
        default: {
          if (s === 0) return set(code, o, Form.AddConstant, r8, r8, bit(hw, 11) === 1 ? -imm8 : imm8);
          return addFlags(code, o, r8, r8, bit(hw, 11), imm8);
        }
      }
    case 0b0100: {
      if (bits(hw, 11, 10) === 0) {
        const opcode = bits(hw, 9, 6), operation = DATA16[opcode];
        switch (opcode) {
          case 2: case 3: case 4: case 7:
            return set(code, o, Form.DataShiftedByRegister, lo3 | (Op.MOV << 8) | (s << 12), lo3 | (SHIFT_BY_REGISTER[opcode] << 4) | (mid3 << 8));
          case 8: case 11:
            return set(code, o, Form.DataRegister, (lo3 << 4) | (operation << 8) | (1 << 12), mid3);
          case 10:
            return set(code, o, Form.CompareRegister, lo3, mid3);
          case 9: // NEG: RSB #0
            return s === 0 ? set(code, o, Form.ArithmeticImmediate, lo3 | (mid3 << 4) | (Op.RSB << 8), 0)
              : set(code, o, Form.DataImmediate, lo3 | (mid3 << 4) | (Op.RSB << 8) | (1 << 12), 0, -1);
          case 13:
            return set(code, o, Form.Multiply, lo3 | (mid3 << 4) | (lo3 << 8) | (s << 12), -1);
          default:
            return dataRegister(code, o, operation, s, lo3, lo3, mid3);
        }
      }
      if (bits(hw, 11, 10) === 1) {
        // On high registers, no flags but CMP's; the PC as an operand or destination is left to the handlers.
        const m = bits(hw, 6, 3), dn = (bit(hw, 7) << 3) | lo3;
        switch (bits(hw, 9, 8)) {
          case 0:
            if (dn === 15) return Form.Call;
            // ADD Rdn, PC (position-independent code): a constant added.
            return m === 15 ? set(code, o, Form.AddConstant, dn, dn, (address + 4) | 0) : set(code, o, Form.ArithmeticRegister, dn | (dn << 4) | (Op.ADD << 8), m);
          case 1: return dn === 15 || m === 15 ? Form.Call : set(code, o, Form.CompareRegister, dn, m);
          case 2:
            if (dn === 15) return Form.Call;
            return m === 15 ? set(code, o, Form.MoveConstant, dn, (address + 4) | 0) : set(code, o, Form.MoveRegister, dn, m);
          default:
            // BX PC: to the ARM code 4 bytes on (word-aligned, or UNPREDICTABLE).
            if (m === 15) return bit(hw, 7) === 0 && (address & 2) === 0 ? set(code, o, Form.BranchExchangeConstant, (address + 4) | 0, -1) : Form.Call;
            return set(code, o, Form.BranchExchange, m, bit(hw, 7) === 1 ? (address + 2) | 1 : -1);
        }
      }
      // LDR (literal): R15 is the address + 4 when it runs, the literal at Align(PC, 4) + imm.
      return set(code, o, Form.LoadWord, r8, 15, imm8 * 4 - (address & 2));
    }
    case 0b0101: {
      const [load, width] = LOAD_STORE_REGISTER[bits(hw, 11, 9)];
      return denseLoadStore(code, o, load, width, lo3, mid3, 1, false, 1, high3, 0);
    }
    case 0b0110:
    case 0b0111:
    case 0b1000: {
      const width = hw >>> 12 === 0b1000 ? Width.Half : bit(hw, 12) === 1 ? Width.Byte : Width.Word;
      const scale = width === Width.Word ? 4 : width === Width.Half ? 2 : 1;
      return denseLoadStore(code, o, bit(hw, 11), width, lo3, mid3, 1, false, 1, -1, bits(hw, 10, 6) * scale);
    }
    case 0b1001:
      return denseLoadStore(code, o, bit(hw, 11), Width.Word, r8, 13, 1, false, 1, -1, imm8 * 4);
    case 0b1010:
      return bit(hw, 11) === 1 ? set(code, o, Form.AddConstant, r8, 13, imm8 * 4) : set(code, o, Form.MoveConstant, r8, ((address + 4) & ~3) + imm8 * 4);
    case 0b1011:
      return denseMisc16(hw, address, inIt, code, o);
    case 0b1100: {
      const list = imm8;
      if (list === 0) return Form.Call;
      const load = bit(hw, 11), wback = load === 0 || (list & (1 << r8)) === 0 ? 1 : 0;
      return set(code, o, Form.LoadStoreMultiple, r8 | (load << 4) | (wback << 5) | (1 << 6) | (popCount(list) << 8), list, 0);
    }
    case 0b1101: {
      const cond = bits(hw, 11, 8);
      if (cond >= 0xe || inIt) return Form.Call; // UDF, SVC; a B<cond> in an IT block is UNPREDICTABLE
      branchCondition = cond;
      return set(code, o, Form.Branch, (address + 4 + signExtend(imm8, 8) * 2) | 0);
    }
    case 0b1110:
      if (bit(hw, 11) === 1) return Form.Call;
      return set(code, o, Form.Branch, (address + 4 + signExtend(bits(hw, 10, 0), 11) * 2) | 0);
    default:
      return Form.Call;
  }
}

/** ADDS or SUBS of a constant. */
function addFlags(code: Int32Array, o: number, d: number, n: number, subtract: number, imm: number): Form {
  return set(code, o, Form.AddFlags, d | (n << 4) | (subtract << 8), subtract === 1 ? ~imm : imm);
}

/** A data-processing operation on two registers, with or without flags. */
function dataRegister(code: Int32Array, o: number, operation: Op, s: number, d: number, n: number, m: number): Form {
  if (s === 0 && ARITHMETIC.has(operation)) return set(code, o, Form.ArithmeticRegister, d | (n << 4) | (operation << 8), m);
  if (s === 1 && LOGICAL.has(operation)) return set(code, o, Form.LogicalFlags, d | (n << 4) | (operation << 8), m);
  return set(code, o, Form.DataRegister, d | (n << 4) | (operation << 8) | (s << 12), m);
}

function denseMisc16(hw: number, address: number, inIt: boolean, code: Int32Array, o: number): Form {
  const lo3 = hw & 7, mid3 = bits(hw, 5, 3);
  switch (bits(hw, 11, 8)) {
    case 0b0000: {
      const imm = bits(hw, 6, 0) * 4;
      return set(code, o, Form.AddConstant, 13, 13, bit(hw, 7) === 1 ? -imm : imm);
    }
    case 0b0010: {
      // SXTH, SXTB, UXTH, UXTB.
      const kind = bits(hw, 7, 6), width = kind & 1 ? 8 : 16;
      return set(code, o, Form.ExtractField, lo3, mid3, (32 - width) | ((32 - width) << 8) | ((kind < 2 ? 1 : 0) << 16));
    }
    case 0b0001: case 0b0011: case 0b1001: case 0b1011: {
      const offset = ((bit(hw, 9) << 5) | bits(hw, 7, 3)) * 2;
      return set(code, o, Form.CompareBranch, lo3, (address + 4 + offset) | 0, bit(hw, 11));
    }
    case 0b0100: case 0b0101: {
      const list = (hw & 0xff) | (bit(hw, 8) << 14);
      if (list === 0) return Form.Call;
      const count = popCount(list);
      return set(code, o, Form.LoadStoreMultiple, 13 | (1 << 5) | (count << 8), list, -4 * count);
    }
    case 0b1100: case 0b1101: {
      const list = (hw & 0xff) | (bit(hw, 8) << 15);
      if (list === 0) return Form.Call;
      return set(code, o, Form.LoadStoreMultiple, 13 | (1 << 4) | (1 << 5) | (1 << 6) | (popCount(list) << 8), list, 0);
    }
    case 0b1010: {
      // REV, REV16, REVSH (0b10: HLT).
      const kind = bits(hw, 7, 6);
      return kind === 2 ? Form.Call : set(code, o, Form.ByteReverse, lo3, mid3, kind === 3 ? 2 : kind);
    }
    case 0b1111:
      // IT (resolved while decoding), NOP, YIELD and SEV; WFE, WFI keep their handlers.
      if ((hw & 0xf) !== 0) return inIt ? Form.Call : Form.Nop;
      if (bits(hw, 7, 4) === 4) return Form.SendEvent;
      return bits(hw, 7, 4) >= 2 && bits(hw, 7, 4) <= 3 ? Form.Call : Form.Nop;
    default:
      return Form.Call;
  }
}

/** T32 data-processing opcodes (hw1[8:5]) → operation (ORN, PKHBT and the rest: left to the handlers; ORN of the PC
 * is MVN). */
const DATA32: readonly (Op | undefined)[] = [Op.AND, Op.BIC, Op.ORR, undefined, Op.EOR, undefined, undefined, undefined, Op.ADD, undefined, Op.ADC, Op.SBC, undefined, Op.SUB, Op.RSB, undefined];

/** The operation of a 32-bit data-processing instruction, its compare when Rd is the PC, or undefined. */
function operation32(opcode: number, s: number, rd: number, rn: number): Op | undefined {
  let op = opcode === 3 && rn === 15 ? Op.MVN : DATA32[opcode];
  if (op === undefined) return undefined;
  if (rd === 15) {
    if (s === 0) return undefined;
    op = op === Op.AND ? Op.TST : op === Op.EOR ? Op.TEQ : op === Op.ADD ? Op.CMN : op === Op.SUB ? Op.CMP : undefined;
  }
  if (rn === 15) return op === Op.ORR ? Op.MOV : op === Op.MVN ? op : undefined;
  return op;
}

function dense32(hw1: number, hw2: number, address: number, inIt: boolean, code: Int32Array, o: number): Form {
  const op1 = bits(hw1, 12, 11);
  const rn = hw1 & 0xf, rd = bits(hw2, 11, 8), rt = bits(hw2, 15, 12), rm = hw2 & 0xf;
  if (op1 === 0b01) {
    if (bits(hw1, 10, 9) === 0b00) return bit(hw1, 6) === 0 ? denseMultiple32(hw1, hw2, code, o) : denseDual32(hw1, hw2, code, o);
    if (bits(hw1, 10, 9) !== 0b01) return denseCoprocessor(hw1, hw2, code, o);
    // Data processing (shifted register).
    const s = bit(hw1, 4), op = operation32(bits(hw1, 8, 5), s, rd, rn);
    if (op === undefined || rm === 15) return Form.Call;
    const n = op === Op.MOV || op === Op.MVN ? 0 : rn;
    const type = bits(hw2, 5, 4), imm5 = (bits(hw2, 14, 12) << 2) | bits(hw2, 7, 6);
    if (type === 0 && imm5 === 0) {
      if (op === Op.MOV && s === 0) return set(code, o, Form.MoveRegister, rd, rm);
      if (op === Op.CMP) return set(code, o, Form.CompareRegister, n, rm);
    }
    if (s === 0 && ARITHMETIC.has(op)) return set(code, o, Form.ArithmeticRegister, rd | (n << 4) | (op << 8), shifter(rm, type, imm5));
    return set(code, o, Form.DataRegister, rd | (n << 4) | (op << 8) | (s << 12), shifter(rm, type, imm5));
  }
  if (op1 === 0b10) {
    if (bit(hw2, 15) === 1) return denseBranch32(hw1, hw2, address, inIt, code, o);
    const imm12 = (bit(hw1, 10) << 11) | (bits(hw2, 14, 12) << 8) | (hw2 & 0xff);
    if (bit(hw1, 9) === 0) return denseImmediate32(hw1, imm12, rd, rn, code, o);
    if (rd === 15) return Form.Call;
    // Plain binary immediate.
    switch (bits(hw1, 8, 4)) {
      case 0b00000: return rn === 15 ? set(code, o, Form.MoveConstant, rd, ((address + 4) & ~3) + imm12) : set(code, o, Form.AddConstant, rd, rn, imm12);
      case 0b01010: return rn === 15 ? set(code, o, Form.MoveConstant, rd, ((address + 4) & ~3) - imm12) : set(code, o, Form.AddConstant, rd, rn, -imm12);
      case 0b00100: return set(code, o, Form.MoveConstant, rd, (rn << 12) | imm12);
      case 0b01100: return set(code, o, Form.MoveTop, rd, (rn << 12) | imm12);
      case 0b10100: case 0b11100: {
        // SBFX, UBFX.
        const lsb = (bits(hw2, 14, 12) << 2) | bits(hw2, 7, 6), width = (hw2 & 0x1f) + 1;
        if (rn === 15 || lsb + width > 32) return Form.Call;
        return set(code, o, Form.ExtractField, rd, rn, (32 - lsb - width) | ((32 - width) << 8) | ((bit(hw1, 7) ^ 1) << 16));
      }
      default: return Form.Call;
    }
  }
  // op1 === 0b11
  if (bit(hw1, 10) === 1) return denseCoprocessor(hw1, hw2, code, o);
  if (bits(hw1, 10, 9) === 0b00) return bit(hw1, 8) === 1 && bit(hw1, 4) === 0 ? Form.Call : denseLoadStore32(hw1, hw2, address, code, o);
  if (rd === 15 || rm === 15) return Form.Call;
  if (bits(hw1, 10, 8) === 0b010) {
    // Data processing (register).
    if (rt !== 0xf || rn === 15 && bit(hw2, 7) === 0) return Form.Call;
    const op = bits(hw1, 7, 4), op2 = bits(hw2, 7, 4);
    if (bit(hw1, 7) === 0 && op2 === 0) {
      // LSL, LSR, ASR, ROR (register).
      return set(code, o, Form.DataShiftedByRegister, rd | (Op.MOV << 8) | (bit(hw1, 4) << 12), rn | (bits(hw1, 6, 5) << 4) | (rm << 8));
    }
    if (bit(hw1, 7) === 0 && bit(hw2, 7) === 1 && rn === 15 && (op === 0 || op === 1 || op === 4 || op === 5)) {
      // SXTH, UXTH, SXTB, UXTB (rotated, not accumulating).
      const width = op < 2 ? 16 : 8;
      return set(code, o, Form.ExtractField, rd, rm | (bits(hw2, 5, 4) * 8) << 8, (32 - width) | ((32 - width) << 8) | ((1 - (op & 1)) << 16));
    }
    if (op === 0b1011 && op2 === 0b1000 && rn === rm) return set(code, o, Form.CountLeadingZeros, rd, rm);
    return Form.Call;
  }
  if (bits(hw1, 10, 4) === 0b0110000 && bits(hw2, 7, 4) === 0 && rn !== 15) {
    // MUL, MLA.
    return set(code, o, Form.Multiply, rd | (rn << 4) | (rm << 8), rt === 15 ? -1 : rt);
  }
  if (bits(hw1, 10, 7) === 0b0111 && bit(hw1, 4) === 0 && bits(hw2, 7, 4) === 0) {
    // SMULL, UMULL, SMLAL, UMLAL (SP anywhere: UNPREDICTABLE).
    if (rt === 13 || rd === 13 || rn === 13 || rm === 13) return Form.Call;
    return denseMultiplyLong(code, o, rt, rd, rn, rm, 0, 1 - bit(hw1, 5), bit(hw1, 6));
  }
  return Form.Call;
}

/** MRC and MCR (T1) as A32 encodes them with the condition AL; MRC2, MCRR, LDC and the rest keep their handlers. */
function denseCoprocessor(hw1: number, hw2: number, code: Int32Array, o: number): Form {
  if ((hw1 & 0xff00) !== 0xee00 || (hw2 & 0x10) === 0) return Form.Call;
  return denseCoprocessorAccess((hw1 << 16) | hw2, code, o);
}

/** Data processing with a modified immediate (ThumbExpandImm). */
function denseImmediate32(hw1: number, imm12: number, rd: number, rn: number, code: Int32Array, o: number): Form {
  const s = bit(hw1, 4), op = operation32(bits(hw1, 8, 5), s, rd, rn);
  if (op === undefined) return Form.Call;
  const n = op === Op.MOV || op === Op.MVN ? 0 : rn;
  const imm8 = imm12 & 0xff;
  let value: number, carry = -1;
  if (imm12 >>> 10 === 0) {
    const pattern = (imm12 >>> 8) & 3;
    value = pattern === 0 ? imm8 : pattern === 1 ? imm8 | (imm8 << 16) : pattern === 2 ? (imm8 << 8) | (imm8 << 24) : imm8 * 0x01010101 | 0;
  } else {
    const unrotated = 0x80 | (imm12 & 0x7f), rotation = imm12 >>> 7;
    value = (unrotated >>> rotation) | (unrotated << (32 - rotation));
    carry = value >>> 31;
  }
  if (s === 0) {
    if (op === Op.MOV) return set(code, o, Form.MoveConstant, rd, value);
    if (op === Op.ADD) return set(code, o, Form.AddConstant, rd, n, value);
    if (op === Op.SUB) return set(code, o, Form.AddConstant, rd, n, -value | 0);
    if (ARITHMETIC.has(op)) return set(code, o, Form.ArithmeticImmediate, rd | (n << 4) | (op << 8), value);
  }
  if (op === Op.CMP) return set(code, o, Form.CompareConstant, n, value);
  if (op === Op.TST && carry < 0) return set(code, o, Form.TestConstant, n, value);
  return set(code, o, Form.DataImmediate, rd | (n << 4) | (op << 8) | (s << 12), value, carry);
}

/** LDM/STM (IA, DB) and PUSH/POP.W; the UNPREDICTABLE lists (SP, fewer than 2, PC and LR loaded, the base written
 * back and in the list) are left to the handlers. */
function denseMultiple32(hw1: number, hw2: number, code: Int32Array, o: number): Form {
  const mode = bits(hw1, 8, 7), n = hw1 & 0xf, list = hw2, load = bit(hw1, 4), wback = bit(hw1, 5);
  if (mode === 0 || mode === 3 || n === 15 || (list & 0x2000) !== 0 || popCount(list) < 2) return Form.Call;
  if (load === 0 ? (list & 0x8000) !== 0 : (list & 0xc000) === 0xc000) return Form.Call;
  if (wback === 1 && (list & (1 << n)) !== 0) return Form.Call;
  const increment = mode === 1 ? 1 : 0, count = popCount(list);
  return set(code, o, Form.LoadStoreMultiple, n | (load << 4) | (wback << 5) | (increment << 6) | (count << 8), list, increment === 1 ? 0 : -4 * count);
}

/** LDRD/STRD (immediate), TBB/TBH and LDREX/STREX (word; the byte, halfword and doubleword exclusives keep their
 * handlers). */
function denseDual32(hw1: number, hw2: number, code: Int32Array, o: number): Form {
  const p = bit(hw1, 8), u = bit(hw1, 7), w = bit(hw1, 5), load = bit(hw1, 4);
  const n = hw1 & 0xf, t = bits(hw2, 15, 12), t2 = bits(hw2, 11, 8), m = hw2 & 0xf;
  if (p === 0 && w === 0 && u === 0) {
    // LDREX, STREX (word; SP anywhere: UNPREDICTABLE).
    const offset = (hw2 & 0xff) * 4;
    if (n === 13 || t === 13 || (load === 1 && t2 !== 15)) return Form.Call;
    if (load === 1) return n === 15 || t === 15 ? Form.Call : set(code, o, Form.LoadExclusive, t, n, offset);
    return t2 === 13 ? Form.Call : denseStoreExclusive(code, o, t2, t, n, offset);
  }
  if (p === 0 && w === 0) {
    const op3 = bits(hw2, 7, 4);
    if (u === 0 || load === 0 || op3 > 1 || n === 13 || m === 13 || m === 15) return Form.Call;
    return set(code, o, Form.TableBranch, n, m, op3);
  }
  if (n === 15 || t === 13 || t === 15 || t2 === 13 || t2 === 15 || (load === 1 && t === t2) || (w === 1 && (n === t || n === t2))) return Form.Call;
  const imm = (hw2 & 0xff) * 4;
  return set(code, o, Form.LoadStoreDual, t | (n << 4) | (load << 12) | (p << 13) | (w << 14) | (t2 << 16), u === 1 ? imm : -imm);
}

/** LDR/STR (word, byte, halfword, signed) with an immediate, a register or a literal; PLD and the unprivileged forms
 * keep their handlers. */
function denseLoadStore32(hw1: number, hw2: number, address: number, code: Int32Array, o: number): Form {
  const signed = bit(hw1, 8), size = bits(hw1, 6, 5), load = bit(hw1, 4);
  const n = hw1 & 0xf, t = bits(hw2, 15, 12);
  if (size === 3 || (signed === 1 && load === 0) || (t === 15 && (load === 0 || size !== 2))) return Form.Call;
  const width = size === 2 ? Width.Word : size === 1 ? (signed === 1 ? Width.SignedHalf : Width.Half) : signed === 1 ? Width.SignedByte : Width.Byte;
  if (n === 15) {
    // A literal: R15 is the address + 4 when it runs, the literal at Align(PC, 4) +/- imm12.
    if (load === 0) return Form.Call;
    const imm12 = hw2 & 0xfff;
    return denseLoadStore(code, o, 1, width, t, 15, 1, false, 1, -1, (bit(hw1, 7) === 1 ? imm12 : -imm12) - (address & 2));
  }
  if (bit(hw1, 7) === 1) return denseLoadStore(code, o, load, width, t, n, 1, false, 1, -1, hw2 & 0xfff);
  if (bit(hw2, 11) === 1) {
    const p = bit(hw2, 10), u = bit(hw2, 9), w = bit(hw2, 8);
    if ((p === 0 && w === 0) || (p === 1 && u === 1 && w === 0)) return Form.Call; // undefined; LDRT and the like
    return denseLoadStore(code, o, load, width, t, n, p, w === 1 || p === 0, u, -1, hw2 & 0xff);
  }
  if (bits(hw2, 10, 6) !== 0 || (hw2 & 0xf) === 13) return Form.Call;
  return denseLoadStore(code, o, load, width, t, n, 1, false, 1, shifter(hw2 & 0xf, 0, bits(hw2, 5, 4)), 0);
}

/** B<cond>.W, B.W, BL, BLX and MRS of the CPSR (the other miscellaneous control instructions keep their handlers). */
function denseBranch32(hw1: number, hw2: number, address: number, inIt: boolean, code: Int32Array, o: number): Form {
  const op1 = bits(hw2, 14, 12);
  const s = bit(hw1, 10), j1 = bit(hw2, 13), j2 = bit(hw2, 11);
  // MRS Rd, CPSR (SP and the PC: UNPREDICTABLE).
  if (hw1 === 0xf3ef && (hw2 & 0xf0ff) === 0x8000) return bits(hw2, 11, 8) >= 13 ? Form.Call : set(code, o, Form.ReadStatus, bits(hw2, 11, 8));
  if ((op1 & 0b101) === 0) {
    if (bits(hw1, 9, 7) === 0b111 || inIt) return Form.Call;
    branchCondition = bits(hw1, 9, 6);
    const offset = signExtend((s << 20) | (j2 << 19) | (j1 << 18) | (bits(hw1, 5, 0) << 12) | ((hw2 & 0x7ff) << 1), 21);
    return set(code, o, Form.Branch, (address + 4 + offset) | 0);
  }
  const i1 = (j1 ^ s) ^ 1, i2 = (j2 ^ s) ^ 1;
  const offset = signExtend((s << 24) | (i1 << 23) | (i2 << 22) | ((hw1 & 0x3ff) << 12) | ((hw2 & 0x7ff) << 1), 25);
  if ((op1 & 0b101) === 0b001) return set(code, o, Form.Branch, (address + 4 + offset) | 0);
  if ((op1 & 0b101) === 0b101) return set(code, o, Form.BranchLink, (address + 4 + offset) | 0, (address + 4) | 1);
  // BLX (immediate): to ARM code at Align(PC, 4) + offset (an odd offset is UNDEFINED).
  if ((hw2 & 1) === 1) return Form.Call;
  return set(code, o, Form.BranchExchangeConstant, (((address + 4) & ~3) + offset) & ~3, (address + 4) | 1);
}
