// A32 (ARM state) decoder: one 32-bit word at a known address → a handler closed over its operands.
// Encodings from the ARM Architecture Reference Manual ARMv7-A/R, section A5 (ARM instruction set encoding).
import { decodeImmShift, whenCondition, type Handler } from './alu';
import {
  Op, ParallelOp, Unary, Width, bitfieldExtract, bitfieldInsert, branch, branchExchange, branchLink, breakpoint,
  conditionalBranch,
  clearExclusive, aluResult, dataProcessing, divide, extend, immOperand, isLogical, loadExclusive, loadStore,
  loadStoreDual, loadStoreMultiple, multiply, multiplyHalves, multiplyHalvesLong, multiplyLong, multiplyWordHalf, nop,
  parallel, readApsr, regOperand, regShiftedOperand, saturate, saturatingArith, select, storeExclusive,
  sumAbsoluteDifferences, supervisorCall, undefinedInstruction, unary, movTop, movConstant, packHalfwords,
  mostSignificantMultiply,
} from './ops';
import {
  accessBanked, changeProcessorState, coprocessor, exceptionReturn, firmwareCall, loadMultipleReturn, readStatus,
  returnFromException, storeReturnState, unprivilegedAccess, userRegisters, hint, writeStatus,
} from './system-ops';
import { decodeVfp } from './vfp';

const bits = (word: number, hi: number, lo: number): number => (word >>> lo) & ((1 << (hi - lo + 1)) - 1);
const bit = (word: number, n: number): boolean => ((word >>> n) & 1) === 1;

export function decodeArm(word: number, address: number): Handler {
  const cond = word >>> 28;
  if (cond === 0xf) return decodeUnconditional(word, address);
  if (bits(word, 27, 24) === 0b1010) return conditionalBranch(cond, address + 8 + ((word << 8) >> 6));
  return whenCondition(cond, decodeConditional(word, address));
}

function undef(word: number, what: string): Handler {
  return undefinedInstruction(word, 4, what);
}

function decodeUnconditional(word: number, address: number): Handler {
  if (bits(word, 27, 25) === 0b101) {
    const offset = ((word << 8) >> 6) | (bit(word, 24) ? 2 : 0);
    return branchLink(address + 8 + offset, address + 4, true);
  }
  if (((word & 0xfffffff0) >>> 0) === 0xf57ff040 || ((word & 0xfffffff0) >>> 0) === 0xf57ff050 || ((word & 0xfffffff0) >>> 0) === 0xf57ff060) return nop;
  if (word === 0xf57ff01f) return clearExclusive;
  if (((word & 0xfff1fe20) >>> 0) === 0xf1000000) {
    return changeProcessorState(bits(word, 19, 18), bit(word, 8), bit(word, 7), bit(word, 6), bit(word, 17) ? bits(word, 4, 0) : -1);
  }
  if (((word & 0xfe5fffe0) >>> 0) === 0xf84d0500) {
    return storeReturnState(bits(word, 4, 0), bit(word, 23), bit(word, 24), bit(word, 21), word, 4);
  }
  if (((word & 0xfe50ffff) >>> 0) === 0xf8100a00) {
    return returnFromException(bits(word, 19, 16), bit(word, 23), bit(word, 24), bit(word, 21), word, 4);
  }
  // PLD, PLDW, PLI: hints.
  if (bits(word, 27, 26) === 0b01 && bit(word, 20) && bits(word, 15, 12) === 0xf) return nop;
  if (bits(word, 27, 25) === 0b001 || (bits(word, 27, 24) === 0b0100 && !bit(word, 20))) return undef(word, 'Advanced SIMD (NEON) is not implemented (AT_HWCAP does not advertise it)');
  return undef(word, 'unallocated unconditional instruction');
}

function decodeConditional(word: number, address: number): Handler {
  const op1 = bits(word, 27, 25);
  const rn = bits(word, 19, 16), rd = bits(word, 15, 12), rm = bits(word, 3, 0);
  switch (op1) {
    case 0b000:
      if (bit(word, 4) && bit(word, 7)) return decodeMultiplyAndExtraLoadStore(word);
      if (bits(word, 24, 23) === 0b10 && !bit(word, 20)) return decodeMiscellaneous(word, address);
      return decodeDataProcessingRegister(word);
    case 0b001: {
      if (bits(word, 24, 23) === 0b10 && !bit(word, 20)) {
        const imm16 = (rn << 12) | bits(word, 11, 0);
        switch (bits(word, 22, 21)) {
          case 0b00: return movConstant(rd, imm16);
          case 0b10: return movTop(rd, imm16);
          default:
            if (bits(word, 19, 16) === 0 && !bit(word, 22)) {
              return hint(word & 0xff);
            }
            return writeStatus(immOperand(rotatedImmediate(word), -1, false), bits(word, 19, 16), bit(word, 22), word, 4);
        }
      }
      const op = bits(word, 24, 21) as Op;
      const s = bit(word, 20);
      const imm = rotatedImmediate(word);
      const carry = bits(word, 11, 8) === 0 ? -1 : imm >>> 31;
      return dataProcessingChecked(word, op, rd, rn, immOperand(imm, carry, s && isLogical(op)), s);
    }
    case 0b010:
    case 0b011: {
      if (op1 === 0b011 && bit(word, 4)) return decodeMedia(word);
      const p = bit(word, 24), u = bit(word, 23), byte = bit(word, 22), w = bit(word, 21), l = bit(word, 20);
      const offset = op1 === 0b010 ? immOperand(bits(word, 11, 0), -1, false) : regOperand(rm, ...decodeImmShift(bits(word, 6, 5), bits(word, 11, 7)), false);
      const access = loadStore(l, byte ? Width.Byte : Width.Word, rd, rn, offset, u, p, !p || w);
      return !p && w ? unprivilegedAccess(access) : access; // LDRT, STRT, LDRBT, STRBT
    }
    case 0b100: {
      const list = bits(word, 15, 0);
      if (list === 0) return undef(word, 'LDM/STM with an empty register list');
      if (bit(word, 22)) {
        if (bit(word, 20) && list & 0x8000) return loadMultipleReturn(rn, list, bit(word, 23), bit(word, 24), bit(word, 21), word);
        return userRegisters(bit(word, 20), rn, list, bit(word, 23), bit(word, 24), word);
      }
      return loadStoreMultiple(bit(word, 20), rn, list, bit(word, 23), bit(word, 24), bit(word, 21));
    }
    case 0b101: {
      const target = address + 8 + ((word << 8) >> 6);
      return bit(word, 24) ? branchLink(target, address + 4, false) : branch(target);
    }
    default: {
      if (bits(word, 27, 24) === 0xf) return supervisorCall(bits(word, 23, 0));
      const coproc = bits(word, 11, 8);
      if ((coproc & 0xe) === 0xa) return decodeVfp(word, address, false) ?? undef(word, 'unimplemented VFP instruction');
      if ((coproc === 15 || coproc === 14) && bits(word, 27, 24) === 0xe && bit(word, 4)) {
        return coprocessor(coproc, bit(word, 20), rd, -1, bits(word, 23, 21), rn, rm, bits(word, 7, 5), word, 4);
      }
      if (coproc === 15 && bits(word, 27, 21) === 0b1100010) return coprocessor(15, bit(word, 20), rd, rn, bits(word, 7, 4), 0, rm, 0, word, 4);
      return undef(word, `coprocessor p${coproc} instruction`);
    }
  }
}

function rotatedImmediate(word: number): number {
  const rotation = bits(word, 11, 8) * 2;
  const imm8 = word & 0xff;
  return rotation === 0 ? imm8 : (imm8 >>> rotation) | (imm8 << (32 - rotation));
}

function dataProcessingChecked(word: number, op: Op, rd: number, rn: number, operand: ReturnType<typeof immOperand>, s: boolean): Handler {
  if (rd === 15 && s && !(op >= Op.TST && op <= Op.CMN)) return exceptionReturn((c) => aluResult(c, op, c.r[rn], operand(c)), word, 4);
  return dataProcessing(op, rd, rn, operand, s);
}

function decodeDataProcessingRegister(word: number): Handler {
  const op = bits(word, 24, 21) as Op;
  const s = bit(word, 20);
  const rn = bits(word, 19, 16), rd = bits(word, 15, 12), rm = bits(word, 3, 0);
  const setCarry = s && isLogical(op);
  const operand = bit(word, 4)
    ? regShiftedOperand(rm, bits(word, 6, 5), bits(word, 11, 8), setCarry)
    : regOperand(rm, ...decodeImmShift(bits(word, 6, 5), bits(word, 11, 7)), setCarry);
  return dataProcessingChecked(word, op, rd, rn, operand, s);
}

function decodeMultiplyAndExtraLoadStore(word: number): Handler {
  const rn = bits(word, 19, 16), rd = bits(word, 15, 12), rs = bits(word, 11, 8), rm = bits(word, 3, 0);
  const s = bit(word, 20);
  if (bits(word, 6, 5) === 0) {
    if (!bit(word, 24)) {
      switch (bits(word, 23, 21)) {
        case 0: return multiply(rn, rm, rs, -1, s, false);
        case 1: return multiply(rn, rm, rs, rd, s, false);
        case 2: return multiplyLong(rd, rn, rm, rs, false, true, false, true);
        case 3: return multiply(rn, rm, rs, rd, false, true);
        case 4: return multiplyLong(rd, rn, rm, rs, false, false, s);
        case 5: return multiplyLong(rd, rn, rm, rs, false, true, s);
        case 6: return multiplyLong(rd, rn, rm, rs, true, false, s);
        default: return multiplyLong(rd, rn, rm, rs, true, true, s);
      }
    }
    if (!bit(word, 23)) return undef(word, 'SWP/SWPB are not implemented (use LDREX/STREX)');
    switch (bits(word, 22, 20)) {
      case 0: return storeExclusive(Width.Word, rd, rm, -1, rn, 0);
      case 1: return loadExclusive(Width.Word, rd, -1, rn, 0);
      case 2: return storeExclusive(Width.Word, rd, rm, rm + 1, rn, 0);
      case 3: return loadExclusive(Width.Word, rd, rd + 1, rn, 0);
      case 4: return storeExclusive(Width.Byte, rd, rm, -1, rn, 0);
      case 5: return loadExclusive(Width.Byte, rd, -1, rn, 0);
      case 6: return storeExclusive(Width.Half, rd, rm, -1, rn, 0);
      default: return loadExclusive(Width.Half, rd, -1, rn, 0);
    }
  }
  const p = bit(word, 24), u = bit(word, 23), w = bit(word, 21);
  const offset = bit(word, 22) ? immOperand((rs << 4) | rm, -1, false) : regOperand(rm, 0, 0, false);
  const wback = !p || w;
  if (!p && w) {
    // LDRHT, STRHT, LDRSBT, LDRSHT.
    const kind = bits(word, 6, 5);
    if (!s && kind !== 1) return undef(word, 'unallocated unprivileged load/store');
    const width = kind === 1 ? Width.Half : kind === 2 ? Width.SignedByte : Width.SignedHalf;
    return unprivilegedAccess(loadStore(s, width, rd, rn, offset, u, false, true));
  }
  switch (bits(word, 6, 5)) {
    case 1: return loadStore(s, Width.Half, rd, rn, offset, u, p, wback);
    case 2: return s ? loadStore(true, Width.SignedByte, rd, rn, offset, u, p, wback) : loadStoreDual(true, rd, rd + 1, rn, offset, u, p, wback);
    default: return s ? loadStore(true, Width.SignedHalf, rd, rn, offset, u, p, wback) : loadStoreDual(false, rd, rd + 1, rn, offset, u, p, wback);
  }
}

function decodeMiscellaneous(word: number, address: number): Handler {
  const rn = bits(word, 19, 16), rd = bits(word, 15, 12), rs = bits(word, 11, 8), rm = bits(word, 3, 0);
  const op = bits(word, 22, 21);
  if (bit(word, 7)) {
    const x = bit(word, 5), y = bit(word, 6);
    switch (op) {
      case 0: return multiplyHalves(rn, rm, rs, rd, x, y);
      case 1: return multiplyWordHalf(rn, rm, rs, x ? -1 : rd, y);
      case 2: return multiplyHalvesLong(rd, rn, rm, rs, x, y);
      default: return multiplyHalves(rn, rm, rs, -1, x, y);
    }
  }
  switch (bits(word, 6, 4)) {
    case 0: {
      const spsr = bit(word, 22);
      if (bit(word, 9)) {
        const sysm = (spsr ? 0x20 : 0) | (bit(word, 8) ? 0x10 : 0) | bits(word, 19, 16);
        return op & 1 ? accessBanked(false, rm, sysm, word, 4) : accessBanked(true, rd, sysm, word, 4);
      }
      if (op & 1) return writeStatus(regOperand(rm, 0, 0, false), bits(word, 19, 16), spsr, word, 4);
      return spsr ? readStatus(rd, true, word, 4) : readApsr(rd);
    }
    case 1:
      if (op === 1) return branchExchange(rm, false, 0);
      if (op === 3) return unary(Unary.CLZ, rd, rm);
      break;
    case 3:
      if (op === 1) return branchExchange(rm, true, address + 4);
      break;
    case 5: return saturatingArith(rd, rn, rm, (op & 1) === 1, (op & 2) === 2);
    case 7:
      if (op === 1) return breakpoint((bits(word, 19, 8) << 4) | rm);
      if (op === 2) return firmwareCall(true, (bits(word, 19, 8) << 4) | rm, word, 4);
      if (op === 3) return firmwareCall(false, rm, word, 4);
      break;
  }
  return undef(word, 'unallocated miscellaneous instruction');
}

const PARALLEL_OPS: (ParallelOp | undefined)[] = [ParallelOp.ADD16, ParallelOp.ASX, ParallelOp.SAX, ParallelOp.SUB16, ParallelOp.ADD8, undefined, undefined, ParallelOp.SUB8];

function decodeMedia(word: number): Handler {
  const rn = bits(word, 19, 16), rd = bits(word, 15, 12), rs = bits(word, 11, 8), rm = bits(word, 3, 0);
  const op2 = bits(word, 7, 5);
  switch (bits(word, 24, 23)) {
    case 0b00: {
      const op = PARALLEL_OPS[op2];
      const prefix = bits(word, 21, 20);
      if (op === undefined || prefix === 0) break;
      return parallel(rd, rn, rm, op, !bit(word, 22), prefix === 1 ? 'ge' : prefix === 2 ? 'sat' : 'half');
    }
    case 0b01: {
      const op1 = bits(word, 22, 20);
      const rotation = bits(word, 11, 10) * 8;
      if (op1 === 0 && (op2 & 1) === 0) return packHalfwords(rd, rn, rm, bits(word, 11, 7), bit(word, 6));
      if (op2 === 0b011) {
        const n = rn === 15 ? -1 : rn;
        switch (op1) {
          case 0: return extend(rd, n, rm, rotation, 8, true, true);
          case 2: return extend(rd, n, rm, rotation, 8, true, false);
          case 3: return extend(rd, n, rm, rotation, 16, true, false);
          case 4: return extend(rd, n, rm, rotation, 8, false, true);
          case 6: return extend(rd, n, rm, rotation, 8, false, false);
          case 7: return extend(rd, n, rm, rotation, 16, false, false);
        }
        break;
      }
      if (op1 === 0 && op2 === 0b101) return select(rd, rn, rm);
      if ((op1 & 2) === 2 && (op2 & 1) === 0) {
        const signed = (op1 & 4) === 0;
        const [type, amount] = decodeImmShift(bit(word, 6) ? 2 : 0, bits(word, 11, 7));
        return saturate(rd, rm, type, amount, bits(word, 20, 16) + (signed ? 1 : 0), signed, false);
      }
      if ((op1 === 2 || op1 === 6) && op2 === 1) return saturate(rd, rm, 0, 0, bits(word, 19, 16) + (op1 === 2 ? 1 : 0), op1 === 2, true);
      if (op1 === 3 && op2 === 1) return unary(Unary.REV, rd, rm);
      if (op1 === 3 && op2 === 5) return unary(Unary.REV16, rd, rm);
      if (op1 === 7 && op2 === 1) return unary(Unary.RBIT, rd, rm);
      if (op1 === 7 && op2 === 5) return unary(Unary.REVSH, rd, rm);
      break;
    }
    case 0b10: {
      const op1 = bits(word, 22, 20);
      if (op1 === 1 && op2 === 0) return divide(rn, rm, rs, true);
      if (op1 === 3 && op2 === 0) return divide(rn, rm, rs, false);
      if (op1 === 5 && (op2 & 6) === 0) return mostSignificantMultiply(rn, rm, rs, rd === 15 ? -1 : rd, bit(word, 5), false);
      if (op1 === 5 && (op2 & 6) === 6) return mostSignificantMultiply(rn, rm, rs, rd, bit(word, 5), true);
      break;
    }
    default: {
      const op1 = bits(word, 22, 20);
      if (op1 === 0 && op2 === 0) return sumAbsoluteDifferences(rn, rm, rs, rd === 15 ? -1 : rd);
      const lsb = bits(word, 11, 7), high = bits(word, 20, 16);
      if ((op1 & 6) === 2 && (op2 & 3) === 2) return bitfieldExtract(rd, rm, lsb, high + 1, true);
      if ((op1 & 6) === 6 && (op2 & 3) === 2) return bitfieldExtract(rd, rm, lsb, high + 1, false);
      if ((op1 & 6) === 4 && (op2 & 3) === 0) return bitfieldInsert(rd, rm === 15 ? -1 : rm, lsb, high);
      break;
    }
  }
  return undef(word, 'unimplemented media instruction');
}
