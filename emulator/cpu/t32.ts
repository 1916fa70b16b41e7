// T32 (Thumb-2) decoder: a 16-bit instruction (second = -1) or a 32-bit one (two halfwords) at a known address
// → a handler. Encodings from the ARM Architecture Reference Manual ARMv7-A/R, section A6.
import { decodeImmShift, type Handler } from './alu';
import {
  Op, ParallelOp, Unary, Width, bitfieldExtract, bitfieldInsert, branch, branchExchange, branchLink, breakpoint,
  clearExclusive, compareBranch, conditionalBranch, dataProcessing, divide, extend, immOperand, isLogical, loadExclusive,
  loadLiteral, loadStore, loadStoreDual, loadStoreMultiple, movConstant, movTop, multiply, multiplyHalves,
  multiplyHalvesLong, multiplyLong, multiplyWordHalf, mostSignificantMultiply, nop, packHalfwords, parallel, readApsr,
  regOperand, regShiftedOperand, saturate, saturatingArith, select, storeExclusive, sumAbsoluteDifferences,
  supervisorCall, tableBranch, undefinedInstruction, unary, type Operand,
} from './ops';
import {
  accessBanked, changeProcessorState, coprocessor, exceptionReturn, firmwareCall, readStatus, returnFromException,
  storeReturnState, unprivilegedAccess, hint, writeStatus,
} from './system-ops';
import { decodeVfp } from './vfp';

const bits = (word: number, hi: number, lo: number): number => (word >>> lo) & ((1 << (hi - lo + 1)) - 1);
const bit = (word: number, n: number): boolean => ((word >>> n) & 1) === 1;
const rnOf = (hw1: number): number => hw1 & 0xf;
const signExtend = (value: number, width: number): number => (value << (32 - width)) >> (32 - width);

/** Whether the instruction being decoded is inside an IT block. Only the IT instruction starts a block (branching
 * into one is UNPREDICTABLE), so this is a static property of the address and is fixed at decode time. */
let inItBlock = false;

export function decodeThumb(first: number, second: number, address: number, inIt: boolean): Handler {
  inItBlock = inIt;
  return second < 0 ? decode16(first, address) : decode32(first, second, address);
}

/** 16-bit data processing sets flags only outside an IT block. */
function dp16(op: Op, d: number, n: number, operandFor: (setCarry: boolean) => Operand): Handler {
  return inItBlock ? dataProcessing(op, d, n, operandFor(false), false) : dataProcessing(op, d, n, operandFor(isLogical(op)), true);
}

const DP16_OPS: readonly Op[] = [Op.AND, Op.EOR, Op.MOV, Op.MOV, Op.MOV, Op.ADC, Op.SBC, Op.MOV, Op.TST, Op.RSB, Op.CMP, Op.CMN, Op.ORR, Op.MOV, Op.BIC, Op.MVN];
const LOAD_STORE_REG16: readonly [boolean, Width][] = [
  [false, Width.Word], [false, Width.Half], [false, Width.Byte], [true, Width.SignedByte],
  [true, Width.Word], [true, Width.Half], [true, Width.Byte], [true, Width.SignedHalf],
];

function decode16(hw: number, address: number): Handler {
  const pc = address + 4;
  const lo3 = hw & 7, mid3 = bits(hw, 5, 3), high3 = bits(hw, 8, 6), r8 = bits(hw, 10, 8), imm8 = hw & 0xff;
  switch (hw >>> 12) {
    case 0b0000:
    case 0b0001: {
      const op = bits(hw, 12, 11);
      if (op !== 3) {
        const [type, amount] = decodeImmShift(op, bits(hw, 10, 6));
        return dp16(Op.MOV, lo3, 0, (sc) => regOperand(mid3, type, amount, sc));
      }
      const operand = bit(hw, 10) ? () => immOperand(high3, -1, false) : () => regOperand(high3, 0, 0, false);
      return dp16(bit(hw, 9) ? Op.SUB : Op.ADD, lo3, mid3, operand);
    }
    case 0b0010:
    case 0b0011: {
      const ops = [Op.MOV, Op.CMP, Op.ADD, Op.SUB];
      const op = ops[bits(hw, 12, 11)];
      if (op === Op.CMP) return dataProcessing(Op.CMP, 0, r8, immOperand(imm8, -1, false), true);
      return dp16(op, r8, r8, () => immOperand(imm8, -1, false));
    }
    case 0b0100: {
      if (bits(hw, 11, 10) === 0) {
        const opcode = bits(hw, 9, 6);
        const op = DP16_OPS[opcode];
        switch (opcode) {
          case 2: case 3: case 4: case 7:
            return dp16(Op.MOV, lo3, 0, (sc) => regShiftedOperand(lo3, [0, 0, 0, 1, 2, 0, 0, 3][opcode], mid3, sc));
          case 8: case 10: case 11:
            return dataProcessing(op, 0, lo3, regOperand(mid3, 0, 0, false), true);
          case 9:
            return dp16(Op.RSB, lo3, mid3, () => immOperand(0, -1, false));
          case 13:
            return multiply(lo3, mid3, lo3, -1, !inItBlock, false);
          default:
            return dp16(op, lo3, lo3, () => regOperand(mid3, 0, 0, false));
        }
      }
      if (bits(hw, 11, 10) === 1) {
        const m = bits(hw, 6, 3);
        const dn = (bit(hw, 7) ? 8 : 0) | lo3;
        switch (bits(hw, 9, 8)) {
          case 0: return dataProcessing(Op.ADD, dn, dn, regOperand(m, 0, 0, false), false);
          case 1: return dataProcessing(Op.CMP, 0, dn, regOperand(m, 0, 0, false), true);
          case 2: return dataProcessing(Op.MOV, dn, 0, regOperand(m, 0, 0, false), false);
          default: return branchExchange(m, bit(hw, 7), (address + 2) | 1);
        }
      }
      return loadLiteral(Width.Word, r8, ((pc & ~3) + imm8 * 4) >>> 0);
    }
    case 0b0101: {
      const [isLoad, width] = LOAD_STORE_REG16[bits(hw, 11, 9)];
      return loadStore(isLoad, width, lo3, mid3, regOperand(high3, 0, 0, false), true, true, false);
    }
    case 0b0110:
    case 0b0111:
    case 0b1000: {
      const imm5 = bits(hw, 10, 6);
      const width = hw >>> 12 === 0b1000 ? Width.Half : bit(hw, 12) ? Width.Byte : Width.Word;
      const scale = width === Width.Word ? 4 : width === Width.Half ? 2 : 1;
      return loadStore(bit(hw, 11), width, lo3, mid3, immOperand(imm5 * scale, -1, false), true, true, false);
    }
    case 0b1001:
      return loadStore(bit(hw, 11), Width.Word, r8, 13, immOperand(imm8 * 4, -1, false), true, true, false);
    case 0b1010:
      if (!bit(hw, 11)) return movConstant(r8, (pc & ~3) + imm8 * 4);
      return dataProcessing(Op.ADD, r8, 13, immOperand(imm8 * 4, -1, false), false);
    case 0b1011:
      return decodeMisc16(hw, address);
    case 0b1100: {
      const list = imm8;
      if (list === 0) return undefinedInstruction(hw, 2, 'LDM/STM with an empty register list');
      const isLoad = bit(hw, 11);
      return loadStoreMultiple(isLoad, r8, list, true, false, !isLoad || (list & (1 << r8)) === 0);
    }
    case 0b1101: {
      const cond = bits(hw, 11, 8);
      if (cond === 0xf) return supervisorCall(imm8);
      if (cond === 0xe) return undefinedInstruction(hw, 2, 'permanently undefined (UDF)');
      return conditionalBranch(cond, pc + signExtend(imm8, 8) * 2);
    }
    default:
      if (bit(hw, 11)) return undefinedInstruction(hw, 2, 'invalid 16-bit Thumb encoding');
      return branch(pc + signExtend(bits(hw, 10, 0), 11) * 2);
  }
}

function decodeMisc16(hw: number, address: number): Handler {
  const pc = address + 4;
  const lo3 = hw & 7, mid3 = bits(hw, 5, 3);
  switch (bits(hw, 11, 8)) {
    case 0b0000:
      return dataProcessing(bit(hw, 7) ? Op.SUB : Op.ADD, 13, 13, immOperand(bits(hw, 6, 0) * 4, -1, false), false);
    case 0b0010: {
      const kind = bits(hw, 7, 6);
      return extend(lo3, -1, mid3, 0, kind & 1 ? 8 : 16, kind < 2, false);
    }
    case 0b0001: case 0b0011: case 0b1001: case 0b1011: {
      const offset = ((bit(hw, 9) ? 32 : 0) | bits(hw, 7, 3)) * 2;
      return compareBranch(lo3, bit(hw, 11), pc + offset);
    }
    case 0b0100: case 0b0101:
      return loadStoreMultiple(false, 13, (hw & 0xff) | (bit(hw, 8) ? 0x4000 : 0), false, true, true);
    case 0b1100: case 0b1101:
      return loadStoreMultiple(true, 13, (hw & 0xff) | (bit(hw, 8) ? 0x8000 : 0), true, false, true);
    case 0b1010: {
      const kind = bits(hw, 7, 6);
      if (kind === 2) break;
      return unary([Unary.REV, Unary.REV16, Unary.REV, Unary.REVSH][kind], lo3, mid3);
    }
    case 0b1110:
      return breakpoint(hw & 0xff);
    case 0b1111: {
      // NOP, YIELD, WFE, WFI, SEV (hint number in bits 7:4); IT is resolved by the block decoder (cpu.ts).
      return (hw & 0xf) === 0 ? hint((hw >>> 4) & 0xf) : nop;
    }
    case 0b0110:
      if (bits(hw, 7, 5) === 0b011) return changeProcessorState(bit(hw, 4) ? 3 : 2, bit(hw, 2), bit(hw, 1), bit(hw, 0), -1);
      break;
  }
  return undefinedInstruction(hw, 2, 'unallocated 16-bit Thumb instruction');
}

/** ThumbExpandImm_C: the value, and the carry out (-1 when C is unchanged). */
function thumbExpandImmediate(imm12: number): [number, number] {
  const imm8 = imm12 & 0xff;
  if ((imm12 >>> 10) === 0) {
    switch ((imm12 >>> 8) & 3) {
      case 0: return [imm8, -1];
      case 1: return [imm8 | (imm8 << 16), -1];
      case 2: return [(imm8 << 8) | (imm8 << 24), -1];
      default: return [imm8 | (imm8 << 8) | (imm8 << 16) | (imm8 << 24), -1];
    }
  }
  const unrotated = 0x80 | (imm12 & 0x7f);
  const rotation = imm12 >>> 7;
  const value = (unrotated >>> rotation) | (unrotated << (32 - rotation));
  return [value, value >>> 31];
}

/** T32 data-processing opcodes (hw1[8:5]) → operation; Rd = PC with S turns some into compares. */
const T32_DP_OPS: (Op | undefined)[] = [Op.AND, Op.BIC, Op.ORR, Op.ORN, Op.EOR, undefined, undefined, undefined, Op.ADD, undefined, Op.ADC, Op.SBC, undefined, Op.SUB, Op.RSB, undefined];

function t32DataProcessing(word: number, opcode: number, s: boolean, rd: number, rn: number, operandFor: (setCarry: boolean) => Operand): Handler | undefined {
  let op = T32_DP_OPS[opcode];
  if (op === undefined) return undefined;
  if (rd === 15 && s) {
    if (op === Op.AND) op = Op.TST;
    else if (op === Op.EOR) op = Op.TEQ;
    else if (op === Op.ADD) op = Op.CMN;
    else if (op === Op.SUB) op = Op.CMP;
    else return undefinedInstruction(word, 4, 'flag-setting data processing into PC');
  }
  if (rn === 15) {
    if (op === Op.ORR) op = Op.MOV;
    else if (op === Op.ORN) op = Op.MVN;
  }
  return dataProcessing(op, rd, rn, operandFor(s && isLogical(op)), s);
}

const T32_PARALLEL_OPS: (ParallelOp | undefined)[] = [ParallelOp.ADD8, ParallelOp.ADD16, ParallelOp.ASX, undefined, ParallelOp.SUB8, ParallelOp.SUB16, ParallelOp.SAX, undefined];

function decode32(hw1: number, hw2: number, address: number): Handler {
  const word = ((hw1 << 16) | hw2) >>> 0;
  const pc = address + 4;
  const op1 = bits(hw1, 12, 11);
  const rn = hw1 & 0xf;
  const rd = bits(hw2, 11, 8), rt = bits(hw2, 15, 12), rm = hw2 & 0xf;
  const undef = (detail: string) => undefinedInstruction(word, 4, detail);

  if (op1 === 0b01) {
    if (bits(hw1, 10, 9) === 0b00) {
      if (!bit(hw1, 6)) {
        // Load/store multiple.
        const mode = bits(hw1, 8, 7);
        if (mode === 0 || mode === 3) {
          const increment = mode === 3;
          return bit(hw1, 4)
            ? returnFromException(rn, increment, !increment, bit(hw1, 5), word, 4)
            : storeReturnState(hw2 & 0x1f, increment, !increment, bit(hw1, 5), word, 4);
        }
        const list = hw2 & 0xffff;
        return loadStoreMultiple(bit(hw1, 4), rn, list, mode === 1, mode === 2, bit(hw1, 5));
      }
      // Load/store dual, exclusive, table branch.
      const p = bit(hw1, 8), u = bit(hw1, 7), w = bit(hw1, 5), l = bit(hw1, 4);
      const imm8 = hw2 & 0xff;
      if (!p && !u && !w) {
        return l ? loadExclusive(Width.Word, rt, -1, rn, imm8 * 4) : storeExclusive(Width.Word, rd, rt, -1, rn, imm8 * 4);
      }
      if (!p && u && !w) {
        const op3 = bits(hw2, 7, 4);
        if (l) {
          if (op3 === 0 || op3 === 1) return tableBranch(rn, rm, op3 === 1);
          if (op3 === 4) return loadExclusive(Width.Byte, rt, -1, rn, 0);
          if (op3 === 5) return loadExclusive(Width.Half, rt, -1, rn, 0);
          if (op3 === 7) return loadExclusive(Width.Word, rt, rd, rn, 0);
        } else {
          if (op3 === 4) return storeExclusive(Width.Byte, rm, rt, -1, rn, 0);
          if (op3 === 5) return storeExclusive(Width.Half, rm, rt, -1, rn, 0);
          if (op3 === 7) return storeExclusive(Width.Word, rm, rt, rd, rn, 0);
        }
        return undef('unallocated load/store exclusive');
      }
      return loadStoreDual(l, rt, rd, rn, immOperand(imm8 * 4, -1, false), u, p, w);
    }
    if (bits(hw1, 10, 9) === 0b01) {
      // Data processing (shifted register).
      const opcode = bits(hw1, 8, 5);
      const [type, amount] = decodeImmShift(bits(hw2, 5, 4), (bits(hw2, 14, 12) << 2) | bits(hw2, 7, 6));
      if (opcode === 6) return packHalfwords(rd, rn, rm, (bits(hw2, 14, 12) << 2) | bits(hw2, 7, 6), bit(hw2, 5));
      return t32DataProcessing(word, opcode, bit(hw1, 4), rd, rn, (sc) => regOperand(rm, type, amount, sc)) ?? undef('unallocated data-processing opcode');
    }
    return decodeCoprocessor(word, hw1, hw2, address);
  }

  if (op1 === 0b10) {
    if (!bit(hw2, 15)) {
      const imm12 = (bit(hw1, 10) ? 0x800 : 0) | (bits(hw2, 14, 12) << 8) | (hw2 & 0xff);
      if (!bit(hw1, 9)) {
        const [value, carry] = thumbExpandImmediate(imm12);
        return t32DataProcessing(word, bits(hw1, 8, 5), bit(hw1, 4), rd, rn, (sc) => immOperand(value, carry, sc)) ?? undef('unallocated data-processing opcode');
      }
      // Plain binary immediate.
      const lsb = (bits(hw2, 14, 12) << 2) | bits(hw2, 7, 6);
      const field = hw2 & 0x1f;
      switch (bits(hw1, 8, 4)) {
        case 0b00000: return rn === 15 ? movConstant(rd, (pc & ~3) + imm12) : dataProcessing(Op.ADD, rd, rn, immOperand(imm12, -1, false), false);
        case 0b01010: return rn === 15 ? movConstant(rd, (pc & ~3) - imm12) : dataProcessing(Op.SUB, rd, rn, immOperand(imm12, -1, false), false);
        case 0b00100: return movConstant(rd, (rn << 12) | imm12);
        case 0b01100: return movTop(rd, (rn << 12) | imm12);
        case 0b10000: case 0b10010:
          if (bits(hw1, 8, 4) === 0b10010 && lsb === 0) return saturate(rd, rn, 0, 0, field + 1, true, true);
          return saturate(rd, rn, ...decodeImmShift(bit(hw1, 5) ? 2 : 0, lsb), field + 1, true, false);
        case 0b11000: case 0b11010:
          if (bits(hw1, 8, 4) === 0b11010 && lsb === 0) return saturate(rd, rn, 0, 0, field, false, true);
          return saturate(rd, rn, ...decodeImmShift(bit(hw1, 5) ? 2 : 0, lsb), field, false, false);
        case 0b10100: return bitfieldExtract(rd, rn, lsb, field + 1, true);
        case 0b11100: return bitfieldExtract(rd, rn, lsb, field + 1, false);
        case 0b10110: return bitfieldInsert(rd, rn === 15 ? -1 : rn, lsb, field);
      }
      return undef('unallocated plain binary immediate');
    }
    return decodeBranchesAndMisc(word, hw1, hw2, address);
  }

  // op1 === 0b11
  if (bit(hw1, 10)) return decodeCoprocessor(word, hw1, hw2, address);
  if (bits(hw1, 10, 9) === 0b00) {
    if (bit(hw1, 8) && !bit(hw1, 4)) return undef('Advanced SIMD element or structure load/store (NEON) is not implemented');
    return decodeLoadStoreSingle(word, hw1, hw2, address);
  }
  if (bits(hw1, 10, 8) === 0b010) {
    // Data processing (register).
    if (bits(hw2, 15, 12) !== 0xf) return undef('unallocated data-processing (register)');
    const op = bits(hw1, 7, 4), op2 = bits(hw2, 7, 4);
    if (!bit(hw1, 7) && op2 === 0) {
      return dataProcessing(Op.MOV, rd, 0, regShiftedOperand(rn, bits(hw1, 6, 5), rm, bit(hw1, 4)), bit(hw1, 4));
    }
    if (!bit(hw1, 7) && bit(hw2, 7)) {
      const rotation = bits(hw2, 5, 4) * 8;
      const n = rn === 15 ? -1 : rn;
      switch (op) {
        case 0: return extend(rd, n, rm, rotation, 16, true, false);
        case 1: return extend(rd, n, rm, rotation, 16, false, false);
        case 2: return extend(rd, n, rm, rotation, 8, true, true);
        case 3: return extend(rd, n, rm, rotation, 8, false, true);
        case 4: return extend(rd, n, rm, rotation, 8, true, false);
        case 5: return extend(rd, n, rm, rotation, 8, false, false);
      }
      return undef('unallocated extend');
    }
    if (bit(hw1, 7) && !bit(hw2, 7)) {
      const pop = T32_PARALLEL_OPS[bits(hw1, 6, 4)];
      const kind = bits(hw2, 5, 4);
      if (pop === undefined || kind === 3) return undef('unallocated parallel add/subtract');
      return parallel(rd, rn, rm, pop, !bit(hw2, 6), kind === 0 ? 'ge' : kind === 1 ? 'sat' : 'half');
    }
    if (bits(hw1, 7, 6) === 2 && bits(hw2, 7, 6) === 2) {
      const a = bits(hw1, 5, 4), b = bits(hw2, 5, 4);
      if (a === 0) return saturatingArith(rd, rn, rm, (b & 2) === 2, (b & 1) === 1);
      if (a === 1) return unary([Unary.REV, Unary.REV16, Unary.RBIT, Unary.REVSH][b], rd, rm);
      if (a === 2 && b === 0) return select(rd, rn, rm);
      if (a === 3 && b === 0) return unary(Unary.CLZ, rd, rm);
    }
    return undef('unallocated data-processing (register)');
  }
  if (bits(hw1, 10, 7) === 0b0110) {
    // Multiply, multiply accumulate, absolute difference.
    const ra = rt;
    const op = bits(hw1, 6, 4), op2 = bits(hw2, 5, 4);
    switch (op) {
      case 0:
        if (op2 === 0) return multiply(rd, rn, rm, ra === 15 ? -1 : ra, false, false);
        if (op2 === 1) return multiply(rd, rn, rm, ra, false, true);
        break;
      case 1: return multiplyHalves(rd, rn, rm, ra === 15 ? -1 : ra, bit(hw2, 5), bit(hw2, 4));
      case 3: if (bit(hw2, 5) === false) return multiplyWordHalf(rd, rn, rm, ra === 15 ? -1 : ra, bit(hw2, 4)); break;
      case 5: if (!bit(hw2, 5)) return mostSignificantMultiply(rd, rn, rm, ra === 15 ? -1 : ra, bit(hw2, 4), false); break;
      case 6: if (!bit(hw2, 5)) return mostSignificantMultiply(rd, rn, rm, ra, bit(hw2, 4), true); break;
      case 7: if (op2 === 0) return sumAbsoluteDifferences(rd, rn, rm, ra === 15 ? -1 : ra); break;
    }
    return undef('unimplemented multiply');
  }
  if (bits(hw1, 10, 7) === 0b0111) {
    // Long multiply, long multiply accumulate, divide.
    const op = bits(hw1, 6, 4), op2 = bits(hw2, 7, 4);
    const dLo = rt, dHi = rd;
    switch (op) {
      case 0: if (op2 === 0) return multiplyLong(dLo, dHi, rn, rm, true, false, false); break;
      case 1: if (op2 === 0xf) return divide(rd, rn, rm, true); break;
      case 2: if (op2 === 0) return multiplyLong(dLo, dHi, rn, rm, false, false, false); break;
      case 3: if (op2 === 0xf) return divide(rd, rn, rm, false); break;
      case 4:
        if (op2 === 0) return multiplyLong(dLo, dHi, rn, rm, true, true, false);
        if ((op2 & 0xc) === 8) return multiplyHalvesLong(dLo, dHi, rn, rm, bit(hw2, 5), bit(hw2, 4));
        break;
      case 6:
        if (op2 === 0) return multiplyLong(dLo, dHi, rn, rm, false, true, false);
        if (op2 === 6) return multiplyLong(dLo, dHi, rn, rm, false, true, false, true);
        break;
    }
    return undef('unimplemented long multiply');
  }
  return undef('unallocated 32-bit Thumb instruction');
}

function decodeLoadStoreSingle(word: number, hw1: number, hw2: number, address: number): Handler {
  const pc = address + 4;
  const signed = bit(hw1, 8), positiveImm12 = bit(hw1, 7), size = bits(hw1, 6, 5), isLoad = bit(hw1, 4);
  const rn = hw1 & 0xf, rt = bits(hw2, 15, 12);
  if (size === 3) return undefinedInstruction(word, 4, 'unallocated load/store size');
  if (signed && !isLoad) return undefinedInstruction(word, 4, 'unallocated store');
  const width = size === 2 ? Width.Word : size === 1 ? (signed ? Width.SignedHalf : Width.Half) : signed ? Width.SignedByte : Width.Byte;
  // Loads of bytes/halfwords into PC are the preload hints PLD, PLI.
  if (isLoad && rt === 15 && size !== 2) return nop;
  if (rn === 15) {
    if (!isLoad) return undefinedInstruction(word, 4, 'store with a PC-relative address');
    const imm12 = hw2 & 0xfff;
    return loadLiteral(width, rt, (pc & ~3) + (positiveImm12 ? imm12 : -imm12));
  }
  if (positiveImm12) return loadStore(isLoad, width, rt, rn, immOperand(hw2 & 0xfff, -1, false), true, true, false);
  if (bits(hw2, 11, 8) === 0b1110) return unprivilegedAccess(loadStore(isLoad, width, rt, rn, immOperand(hw2 & 0xff, -1, false), true, true, false));
  if (bit(hw2, 11)) {
    const p = bit(hw2, 10), u = bit(hw2, 9), w = bit(hw2, 8);
    return loadStore(isLoad, width, rt, rn, immOperand(hw2 & 0xff, -1, false), u, p, w || !p);
  }
  if (bits(hw2, 10, 6) === 0) return loadStore(isLoad, width, rt, rn, regOperand(hw2 & 0xf, 0, bits(hw2, 5, 4), false), true, true, false);
  return undefinedInstruction(word, 4, 'unallocated load/store');
}

function decodeBranchesAndMisc(word: number, hw1: number, hw2: number, address: number): Handler {
  const pc = address + 4;
  const op1 = bits(hw2, 14, 12);
  const s = bit(hw1, 10) ? 1 : 0;
  const j1 = bit(hw2, 13) ? 1 : 0, j2 = bit(hw2, 11) ? 1 : 0;
  if ((op1 & 0b101) === 0) {
    if (bits(hw1, 9, 7) !== 0b111) {
      const cond = bits(hw1, 9, 6);
      const offset = signExtend((s << 20) | (j2 << 19) | (j1 << 18) | (bits(hw1, 5, 0) << 12) | ((hw2 & 0x7ff) << 1), 21);
      return conditionalBranch(cond, pc + offset);
    }
    switch (bits(hw1, 10, 4)) {
      case 0b0111000: case 0b0111001:
        if (bit(hw2, 5)) return accessBanked(false, hw1 & 0xf, (bit(hw1, 4) ? 0x20 : 0) | (bit(hw2, 4) ? 0x10 : 0) | bits(hw2, 11, 8), word, 4);
        return writeStatus(regOperand(hw1 & 0xf, 0, 0, false), bits(hw2, 11, 8), bit(hw1, 4), word, 4);
      case 0b0111010:
        if (bits(hw2, 10, 8) !== 0) return changeProcessorState(bits(hw2, 10, 9), bit(hw2, 7), bit(hw2, 6), bit(hw2, 5), bit(hw2, 8) ? hw2 & 0x1f : -1);
        return hint(hw2 & 0xff);
      case 0b0111011:
        switch (bits(hw2, 7, 4)) {
          case 2: return clearExclusive;
          case 4: case 5: case 6: return nop; // DSB, DMB, ISB
        }
        break;
      case 0b0111101:
        if (rnOf(hw1) === 14 && bits(hw2, 11, 8) === 0xf) {
          const imm8 = hw2 & 0xff;
          return exceptionReturn((c) => c.r[14] - imm8, word, 4); // SUBS PC, LR, #imm8 (ERET when imm8 = 0)
        }
        break;
      case 0b0111110: case 0b0111111:
        if (bit(hw2, 5)) return accessBanked(true, bits(hw2, 11, 8), (bit(hw1, 4) ? 0x20 : 0) | (bit(hw2, 4) ? 0x10 : 0) | (hw1 & 0xf), word, 4);
        return bit(hw1, 4) ? readStatus(bits(hw2, 11, 8), true, word, 4) : readApsr(bits(hw2, 11, 8));
      case 0b1111110:
        if (op1 === 0) return firmwareCall(true, ((hw1 & 0xf) << 12) | (hw2 & 0xfff), word, 4);
        break; // UDF.W
      case 0b1111111:
        if (op1 === 0) return firmwareCall(false, hw1 & 0xf, word, 4);
        break; // UDF.W
    }
    return undefinedInstruction(word, 4, 'unallocated branch/miscellaneous control');
  }
  const i1 = (j1 ^ s) ^ 1, i2 = (j2 ^ s) ^ 1;
  const offset = signExtend((s << 24) | (i1 << 23) | (i2 << 22) | ((hw1 & 0x3ff) << 12) | ((hw2 & 0x7ff) << 1), 25);
  if ((op1 & 0b101) === 0b001) return branch(pc + offset);
  if ((op1 & 0b101) === 0b101) return branchLink(pc + offset, (address + 4) | 1, true);
  return branchLink(((pc & ~3) + (offset & ~3)) >>> 0, (address + 4) | 1, false);
}

function decodeCoprocessor(word: number, hw1: number, hw2: number, address: number): Handler {
  const coproc = bits(hw2, 11, 8);
  const top = hw1 >>> 8;
  if (top === 0xef || top === 0xff) return undefinedInstruction(word, 4, 'Advanced SIMD (NEON) is not implemented (AT_HWCAP does not advertise it)');
  if ((coproc & 0xe) === 0xa && !bit(hw1, 12)) return decodeVfp(word, address, true) ?? undefinedInstruction(word, 4, 'unimplemented VFP instruction');
  if ((coproc === 15 || coproc === 14) && bits(hw1, 15, 8) === 0xee && bit(hw2, 4)) {
    return coprocessor(coproc, bit(hw1, 4), bits(hw2, 15, 12), -1, bits(hw1, 7, 5), hw1 & 0xf, hw2 & 0xf, bits(hw2, 7, 5), word, 4);
  }
  if (coproc === 15 && bits(hw1, 15, 5) === 0b11101100010) {
    return coprocessor(15, bit(hw1, 4), bits(hw2, 15, 12), hw1 & 0xf, bits(hw2, 7, 4), 0, hw2 & 0xf, 0, word, 4);
  }
  return undefinedInstruction(word, 4, `coprocessor p${coproc} instruction`);
}
