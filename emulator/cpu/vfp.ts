// VFPv3 (D0-D31) decoder, shared by A32 and T32 (the encodings are the same below the condition/prefix bits).
// Single-precision arithmetic is done in doubles and rounded by the Float32Array store, which is exact for
// +, -, *, / and sqrt (double has more than 2 × 24 + 2 significand bits). No short vectors (FPSCR.LEN = 0).
import type { Handler } from './alu';
import type { CpuState } from './state';
import { fpexcAccess } from './system-ops';

const bits = (word: number, hi: number, lo: number): number => (word >>> lo) & ((1 << (hi - lo + 1)) - 1);
const bit = (word: number, n: number): number => (word >>> n) & 1;

const SIGN = -0x80000000;
const FPSCR_FLAGS_MASK = 0x0fffffff;

/** VFPExpandImm for an 8-bit immediate, as a (float32-exact) number. */
function expandImmediate(imm8: number): number {
  const b = (imm8 >>> 6) & 1;
  const exponent = ((b ^ 1) << 7) | (b ? 0x7c : 0) | ((imm8 >>> 4) & 3);
  const scratch = new Float32Array(new Int32Array([((imm8 >>> 7) << 31) | (exponent << 23) | ((imm8 & 0xf) << 19)]).buffer);
  return scratch[0];
}

function compare(c: CpuState, a: number, b: number): void {
  const flags = a !== a || b !== b ? 0x3 : a === b ? 0x6 : a < b ? 0x8 : 0x2;
  c.fpscr = (c.fpscr & FPSCR_FLAGS_MASK) | (flags << 28);
}

function roundToNearestEven(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  return diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
}

/** FPToFixed with 0 fraction bits: saturating, NaN → 0. */
function toInteger(c: CpuState, v: number, signed: boolean, towardZero: boolean): number {
  if (v !== v) return 0;
  let rounded: number;
  if (towardZero) rounded = Math.trunc(v);
  else {
    switch ((c.fpscr >>> 22) & 3) {
      case 0: rounded = roundToNearestEven(v); break;
      case 1: rounded = Math.ceil(v); break;
      case 2: rounded = Math.floor(v); break;
      default: rounded = Math.trunc(v);
    }
  }
  if (signed) return rounded > 2147483647 ? 2147483647 : rounded < -2147483648 ? -2147483648 : rounded;
  return (rounded > 4294967295 ? 4294967295 : rounded < 0 ? 0 : rounded) | 0;
}

type Binary = (a: number, b: number) => number;

// NaN results follow FPProcessNaNs (FPSCR.DN = 0): the first signalling NaN operand, else the first quiet one,
// quietened; an invalid operation on numbers gives the default NaN (positive, unlike the x86 host's). These
// work on the raw words, because a JavaScript NaN does not keep its sign or payload reliably.
function isNaN32(w: number): boolean {
  return (w & 0x7f800000) === 0x7f800000 && (w & 0x7fffff) !== 0;
}

function isNaN64(hi: number, lo: number): boolean {
  return (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0;
}

/** Writes the NaN result of an operation on single registers `operands` (in operand order) into S[d]. */
function nanResult32(c: CpuState, d: number, operands: readonly number[]): void {
  const w = c.w;
  let chosen = -1;
  for (const o of operands) if (isNaN32(w[o]) && !(w[o] & 0x400000)) { chosen = o; break; }
  if (chosen < 0) for (const o of operands) if (isNaN32(w[o])) { chosen = o; break; }
  w[d] = chosen < 0 ? 0x7fc00000 : w[chosen] | 0x400000;
}

/** The same for D registers. */
function nanResult64(c: CpuState, d: number, operands: readonly number[]): void {
  const w = c.w;
  let chosen = -1;
  for (const o of operands) if (isNaN64(w[2 * o + 1], w[2 * o]) && !(w[2 * o + 1] & 0x80000)) { chosen = o; break; }
  if (chosen < 0) for (const o of operands) if (isNaN64(w[2 * o + 1], w[2 * o])) { chosen = o; break; }
  if (chosen < 0) { w[2 * d] = 0; w[2 * d + 1] = 0x7ff80000; }
  else { w[2 * d] = w[2 * chosen]; w[2 * d + 1] = w[2 * chosen + 1] | 0x80000; }
}

export function decodeVfp(word: number, address: number, thumb: boolean): Handler | undefined {
  const double = bit(word, 8) === 1;
  const vd = bits(word, 15, 12), vn = bits(word, 19, 16), vm = bits(word, 3, 0);
  const D = bit(word, 22), N = bit(word, 7), M = bit(word, 5);
  const d = double ? (D << 4) | vd : (vd << 1) | D;
  const n = double ? (N << 4) | vn : (vn << 1) | N;
  const m = double ? (M << 4) | vm : (vm << 1) | M;
  const rt = vd;

  // 64-bit transfers between two core registers and a D register (or two S registers).
  if (bits(word, 27, 21) === 0b1100010) {
    const rt2 = vn;
    const toCore = bit(word, 20) === 1;
    const low = double ? 2 * ((M << 4) | vm) : (vm << 1) | M;
    return toCore ? (c) => { c.r[rt] = c.w[low]; c.r[rt2] = c.w[low + 1]; } : (c) => { c.w[low] = c.r[rt]; c.w[low + 1] = c.r[rt2]; };
  }

  // Loads and stores.
  if (bits(word, 27, 25) === 0b110) {
    const p = bit(word, 24), u = bit(word, 23), w = bit(word, 21), load = bit(word, 20) === 1;
    const rn = vn;
    const imm8 = word & 0xff;
    const first = double ? 2 * d : d;
    if (p === 1 && w === 0) {
      const offset = u ? imm8 * 4 : -imm8 * 4;
      const pcBase = ((address + (thumb ? 4 : 8)) & ~3) >>> 0;
      const base = (c: CpuState): number => (rn === 15 ? pcBase : c.r[rn]);
      if (double) {
        return load
          ? (c) => { const a = (base(c) + offset) >>> 0; c.w[first] = c.mem.read32(a); c.w[first + 1] = c.mem.read32((a + 4) >>> 0); }
          : (c) => { const a = (base(c) + offset) >>> 0; c.mem.write32(a, c.w[first]); c.mem.write32((a + 4) >>> 0, c.w[first + 1]); };
      }
      return load ? (c) => { c.w[first] = c.mem.read32((base(c) + offset) >>> 0); } : (c) => { c.mem.write32((base(c) + offset) >>> 0, c.w[first]); };
    }
    if (p === u) return undefined;
    const words = double ? imm8 & ~1 : imm8;
    if (words === 0 || first + words > 64) return undefined;
    const bytes = imm8 * 4;
    return (c) => {
      const start = u ? c.r[rn] : c.r[rn] - bytes;
      let a = start >>> 0;
      if (load) for (let i = 0; i < words; i++, a = (a + 4) >>> 0) c.w[first + i] = c.mem.read32(a);
      else for (let i = 0; i < words; i++, a = (a + 4) >>> 0) c.mem.write32(a, c.w[first + i]);
      if (w) c.r[rn] = u ? start + bytes : start;
    };
  }

  if (bits(word, 27, 24) !== 0b1110) return undefined;

  if (bit(word, 4) === 1) {
    // Transfers between core registers and VFP registers.
    const toCore = bit(word, 20) === 1;
    if (!double) {
      const op = bits(word, 23, 21);
      const sn = (vn << 1) | N;
      if (op === 0) return toCore ? (c) => { c.r[rt] = c.w[sn]; } : (c) => { c.w[sn] = c.r[rt]; };
      if (op === 7) {
        if (vn === 1) {
          if (!toCore) return (c) => { c.fpscr = c.r[rt]; };
          if (rt === 15) return (c) => { c.setFlags((c.fpscr & ~FPSCR_FLAGS_MASK) | (c.q << 27)); };
          return (c) => { c.r[rt] = c.fpscr; };
        }
        if (vn === 8) return fpexcAccess(toCore, rt, word);
        // FPSID, MVFR0/1: what a VFPv3-D32 without Advanced SIMD reports.
        const ids: Record<number, number> = { 0: 0x410330c0, 7: 0x10110222, 6: 0x00000000 };
        const value = ids[vn];
        if (toCore && value !== undefined && rt !== 15) return (c) => { c.r[rt] = value; };
        return undefined;
      }
      return undefined;
    }
    // Scalar (32-bit element) transfers: VMOV Dd[x], Rt and VMOV Rt, Dn[x].
    const dn = (N << 4) | vn;
    if (bits(word, 6, 5) === 0 && bit(word, 22) === 0 && bit(word, 23) === 0) {
      const index = 2 * dn + bit(word, 21);
      return toCore ? (c) => { c.r[rt] = c.w[index]; } : (c) => { c.w[index] = c.r[rt]; };
    }
    return undefined;
  }

  // Data processing.
  const opc1 = bits(word, 23, 20) & 0b1011;
  const op6 = bit(word, 6) === 1;
  const binary = (f: Binary): Handler => {
    const operands = [n, m];
    return double
      ? (c) => { const r = f(c.d[n], c.d[m]); if (r === r) c.d[d] = r; else nanResult64(c, d, operands); }
      : (c) => { const r = f(c.s[n], c.s[m]); if (r === r) c.s[d] = r; else nanResult32(c, d, operands); };
  };
  const round = double ? (x: number) => x : Math.fround;
  /** d = ±d ± n*m with the product rounded first (VFP multiply-accumulate is not fused); a NaN d wins. */
  const accumulate = (negateD: boolean, negateProduct: boolean): Handler => {
    const dFirst = [d], product = [n, m];
    return double
      ? (c) => {
        const p = c.d[n] * c.d[m];
        const r = (negateD ? -c.d[d] : c.d[d]) + (negateProduct ? -p : p);
        if (r === r) c.d[d] = r;
        else if (isNaN64(c.w[2 * d + 1], c.w[2 * d])) nanResult64(c, d, dFirst);
        else nanResult64(c, d, product);
      }
      : (c) => {
        const p = Math.fround(c.s[n] * c.s[m]);
        const r = (negateD ? -c.s[d] : c.s[d]) + (negateProduct ? -p : p);
        if (r === r) c.s[d] = r;
        else if (isNaN32(c.w[d])) nanResult32(c, d, dFirst);
        else nanResult32(c, d, product);
      };
  };
  switch (opc1) {
    case 0b0000: return accumulate(false, op6);
    case 0b0001: return accumulate(true, op6);
    case 0b0010: return op6 ? binary((a, b) => -round(a * b)) : binary((a, b) => a * b);
    case 0b0011: return op6 ? binary((a, b) => a - b) : binary((a, b) => a + b);
    case 0b1000: return op6 ? undefined : binary((a, b) => a / b);
    case 0b1011: break;
    default: return undefined;
  }
  if (!op6) {
    const value = expandImmediate((vn << 4) | vm);
    return double ? (c) => { c.d[d] = value; } : (c) => { c.s[d] = value; };
  }
  const opc2 = vn;
  const op7 = N === 1;
  const hiWord = (reg: number): number => (double ? 2 * reg + 1 : reg);
  switch (opc2) {
    case 0b0000:
      if (!op7) return double ? (c) => { c.w[2 * d] = c.w[2 * m]; c.w[2 * d + 1] = c.w[2 * m + 1]; } : (c) => { c.w[d] = c.w[m]; };
      return double ? (c) => { c.w[2 * d] = c.w[2 * m]; c.w[2 * d + 1] = c.w[2 * m + 1] & 0x7fffffff; } : (c) => { c.w[d] = c.w[m] & 0x7fffffff; };
    case 0b0001:
      if (!op7) return double ? (c) => { c.w[2 * d] = c.w[2 * m]; c.w[hiWord(d)] = c.w[hiWord(m)] ^ SIGN; } : (c) => { c.w[d] = c.w[m] ^ SIGN; };
      return double
        ? (c) => { const r = Math.sqrt(c.d[m]); if (r === r) c.d[d] = r; else nanResult64(c, d, [m]); }
        : (c) => { const r = Math.sqrt(c.s[m]); if (r === r) c.s[d] = r; else nanResult32(c, d, [m]); };
    case 0b0100: return double ? (c) => compare(c, c.d[d], c.d[m]) : (c) => compare(c, c.s[d], c.s[m]);
    case 0b0101: return double ? (c) => compare(c, c.d[d], 0) : (c) => compare(c, c.s[d], 0);
    case 0b0111: {
      if (!op7) return undefined;
      // VCVT between precisions: the destination is the other size.
      if (double) { const sd = (vd << 1) | D; return (c) => { c.s[sd] = c.d[m]; }; }
      const dd = (D << 4) | vd;
      return (c) => { c.d[dd] = c.s[m]; };
    }
    case 0b1000: {
      const sm = (vm << 1) | M;
      return double
        ? (op7 ? (c) => { c.d[d] = c.w[sm]; } : (c) => { c.d[d] = c.w[sm] >>> 0; })
        : (op7 ? (c) => { c.s[d] = c.w[sm]; } : (c) => { c.s[d] = c.w[sm] >>> 0; });
    }
    case 0b1100:
    case 0b1101: {
      const signed = opc2 === 0b1101;
      const sd = (vd << 1) | D;
      return double ? (c) => { c.w[sd] = toInteger(c, c.d[m], signed, op7); } : (c) => { c.w[sd] = toInteger(c, c.s[m], signed, op7); };
    }
  }
  return undefined;
}
