// Inline JavaScript for the integer instructions that dominate compiled C, used by the translator (translate.ts):
// data processing with immediate shifts (and, in A32, register shifts), MOVW/MOVT, multiplies (long ones without
// S too), bitfield extracts and inserts, loads and stores with immediate or shifted-register offsets (a word load to
// the PC included: POP {pc} as LDR pc, [sp], #4), LDM/STM/PUSH/POP, extends, CLZ, reads of the user thread ID
// registers, branches, and the barriers and hints that do nothing here. Operands are constants in the generated code; registers are `r[n]`, flags the CpuState
// fields (the translator turns both into locals), memory `mem`. Anything not recognised here (or writing the PC,
// or whose flags would need the shifter's rotated-immediate carry) returns undefined and the translator calls the
// instruction's handler instead, so the interpreter stays the reference. EXIT in the code leaves the block after
// this instruction (an indirect branch has set `c.next`; for a direct one the translator sets it to the target).

export interface Emitted {
  readonly code: string;
  /** The code accesses memory (the translator records the instruction's index for a precise fault). */
  readonly mayFault: boolean;
  /** A direct branch's target (its code says EXIT where it is taken; the translator sets `c.next`). */
  readonly target?: number;
}

/** The condition tests of the ARM ARM's ConditionPassed, over the 0/1 flag fields (the translator finds them as
 * `if (test)` in the code, to test flags it has left pending instead). */
export const CONDITIONS = [
  'c.z === 1', 'c.z === 0', 'c.c === 1', 'c.c === 0', 'c.n === 1', 'c.n === 0', 'c.v === 1', 'c.v === 0',
  '(c.c === 1 && c.z === 0)', '(c.c === 0 || c.z === 1)', 'c.n === c.v', 'c.n !== c.v',
  '(c.z === 0 && c.n === c.v)', '(c.z === 1 || c.n !== c.v)',
];

/**
 * C and V of x - y and of x + y (v is the 32-bit result), without a carry in: x - y borrows when y > x (unsigned),
 * x + y carries when the sum wraps below x; V is set when the operands' signs rule out the result's. The translator
 * finds these statements in the code to compute them only where something reads them.
 */
export const SUBTRACT_CARRY_OVERFLOW = 'c.c = (x >>> 0) >= (y >>> 0) ? 1 : 0; c.v = ((x ^ y) & (x ^ v)) >>> 31;';
export const ADD_CARRY_OVERFLOW = 'c.c = (v >>> 0) < (x >>> 0) ? 1 : 0; c.v = ((x ^ v) & (y ^ v)) >>> 31;';
/** N and Z of the result v (every flag-setting instruction's code contains this statement). */
export const NEGATIVE_ZERO = 'c.n = v >>> 31; c.z = v === 0 ? 1 : 0;';

/** A second operand: its value, and the shifter carry out where it changes C (undefined: C unchanged). */
interface Operand {
  readonly value: string;
  readonly carry?: string;
}

/** Data-processing operations by their A32 opcode (T32 opcodes are mapped onto these). */
const enum Op { AND, EOR, SUB, RSB, ADD, ADC, SBC, RSC, TST, TEQ, CMP, CMN, ORR, MOV, BIC, MVN, ORN }

const LOGICAL = new Set([Op.AND, Op.EOR, Op.TST, Op.TEQ, Op.ORR, Op.MOV, Op.BIC, Op.MVN, Op.ORN]);
const TESTS = new Set([Op.TST, Op.TEQ, Op.CMP, Op.CMN]);

function reg(n: number, pc: number): string {
  return n === 15 ? String(pc | 0) : `r[${n}]`;
}

/** A register shifted by an immediate (DecodeImmShift applied here), as an operand with its carry out. */
function shiftedRegister(m: number, type: number, imm5: number, pc: number): Operand {
  const v = reg(m, pc);
  switch (type) {
    case 0: return imm5 === 0 ? { value: v } : { value: `(${v} << ${imm5})`, carry: `((${v} >>> ${32 - imm5}) & 1)` };
    case 1: return imm5 === 0 ? { value: '0', carry: `(${v} >>> 31)` } : { value: `((${v} >>> ${imm5}) | 0)`, carry: `((${v} >>> ${imm5 - 1}) & 1)` };
    case 2: return imm5 === 0 ? { value: `(${v} >> 31)`, carry: `(${v} >>> 31)` } : { value: `(${v} >> ${imm5})`, carry: `((${v} >>> ${imm5 - 1}) & 1)` };
    default:
      return imm5 === 0
        ? { value: `((${v} >>> 1) | (c.c << 31))`, carry: `(${v} & 1)` }
        : { value: `((${v} >>> ${imm5}) | (${v} << ${32 - imm5}))`, carry: `((${v} >>> ${imm5 - 1}) & 1)` };
  }
}

/** One data-processing instruction; undefined when it writes the PC. */
function dataProcessing(op: Op, d: number, a: string, b: Operand, s: boolean): string | undefined {
  const test = TESTS.has(op);
  if (d === 15 && !test) return undefined;
  let value: string;
  let flags = '';
  if (LOGICAL.has(op)) {
    switch (op) {
      case Op.AND: case Op.TST: value = `${a} & ${b.value}`; break;
      case Op.EOR: case Op.TEQ: value = `${a} ^ ${b.value}`; break;
      case Op.ORR: value = `${a} | ${b.value}`; break;
      case Op.ORN: value = `${a} | ~${b.value}`; break;
      case Op.BIC: value = `${a} & ~${b.value}`; break;
      case Op.MOV: value = b.value; break;
      default: value = `~${b.value}`; break;
    }
    if (s || test) flags = `${NEGATIVE_ZERO}${b.carry === undefined ? '' : ' c.c = carry;'}`;
    const carry = (s || test) && b.carry !== undefined ? `const carry = ${b.carry}; ` : '';
    return `{ ${carry}const v = ${value} | 0; ${test ? '' : `r[${d}] = v; `}${flags} }`;
  }
  if (!s && !test) {
    switch (op) {
      case Op.ADD: value = `(${a} + ${b.value}) | 0`; break;
      case Op.ADC: value = `(${a} + ${b.value} + c.c) | 0`; break;
      case Op.SUB: value = `(${a} - ${b.value}) | 0`; break;
      case Op.SBC: value = `(${a} + ~${b.value} + c.c) | 0`; break;
      case Op.RSB: value = `(${b.value} - ${a}) | 0`; break;
      default: value = `(${b.value} + ~${a} + c.c) | 0`; break;
    }
    return `r[${d}] = ${value};`;
  }
  // AddWithCarry (alu.ts addFlags) written out, so that the flags can live in locals of the translated block.
  const setFlags = (carryOverflow: string): string => `${NEGATIVE_ZERO} ${carryOverflow}${test ? '' : ` r[${d}] = v;`} }`;
  switch (op) {
    case Op.SUB: case Op.CMP: case Op.RSB: {
      const [x, y] = op === Op.RSB ? [b.value, a] : [a, b.value];
      return `{ const x = ${x}, y = ${y}, v = (x - y) | 0; ${setFlags(SUBTRACT_CARRY_OVERFLOW)}`;
    }
    case Op.ADD: case Op.CMN:
      return `{ const x = ${a}, y = ${b.value}, v = (x + y) | 0; ${setFlags(ADD_CARRY_OVERFLOW)}`;
    default: {
      const [x, y] = op === Op.ADC ? [a, b.value] : op === Op.SBC ? [a, `~${b.value}`] : [b.value, `~${a}`];
      return `{ const x = ${x}, y = ${y}, ci = c.c, v = (x + y + ci) | 0; ` +
        setFlags('c.c = (x >>> 0) + (y >>> 0) + ci > 0xffffffff ? 1 : 0; c.v = ((x ^ v) & (y ^ v)) >>> 31;');
    }
  }
}

const LOADS = ['mem.read32(A)', 'mem.read8(A)', 'mem.read16(A)', '((mem.read8(A) << 24) >> 24)', '((mem.read16(A) << 16) >> 16)'];
const STORES = ['mem.write32(A, V)', 'mem.write8(A, V & 0xff)', 'mem.write16(A, V & 0xffff)'];
const enum Width { Word, Byte, Half, SignedByte, SignedHalf }

/** A load or store with the offset already an expression; undefined when it loads the PC. */
function loadStore(load: boolean, width: Width, t: number, n: number, offset: string, add: boolean, index: boolean, wback: boolean, pc: number): string | undefined {
  if (load && t === 15 && width !== Width.Word) return undefined;
  if (n === 15 && wback) return undefined;
  const base = n === 15 ? String((pc & ~3) | 0) : `r[${n}]`;
  const offsetAddress = offset === '0' ? base : `(${base} ${add ? '+' : '-'} ${offset})`;
  const address = `(${index ? offsetAddress : base}) | 0`;
  const back = wback ? ` r[${n}] = ${offsetAddress} | 0;` : '';
  // The address is always the constant `a`: the translator turns `mem.read8(a)` and the like into direct accesses.
  if (load && t === 15) {
    // LoadWritePC (POP {pc} as LDR pc, [sp], #4): the base written back, then the block leaves to the loaded address.
    return `{ const a = ${address}${wback ? `, w = ${offsetAddress} | 0` : ''}; const v = mem.read32(a);${wback ? ` r[${n}] = w;` : ''} ${interworking('v')} }`;
  }
  if (load) {
    // The base is read before the load writes Rt (the handlers' order: Rt, then the written-back base).
    if (wback) return `{ const a = ${address}, w = ${offsetAddress} | 0; r[${t}] = ${LOADS[width].replace('A', 'a')}; r[${n}] = w; }`;
    return `{ const a = ${address}; r[${t}] = ${LOADS[width].replace('A', 'a')}; }`;
  }
  if (width > Width.Half) return undefined;
  return `{ const a = ${address}; ${STORES[width].replace('A', 'a').replace('V', `r[${t}]`)};${back} }`;
}

/** LDM/STM (PUSH/POP): the handler's order (ops.ts loadStoreMultiple); undefined for an STM of the PC. */
function multiple(load: boolean, n: number, list: number, increment: boolean, before: boolean, wback: boolean): string | undefined {
  if (list === 0 || n === 15 || (!load && (list & 0x8000) !== 0)) return undefined;
  const registers: number[] = [];
  for (let i = 0; i < 16; i++) if (list & (1 << i)) registers.push(i);
  const count = registers.length;
  const first = increment ? (before ? 4 : 0) : (before ? -4 * count : -4 * count + 4);
  const back = wback ? ` r[${n}] = (b + ${increment ? 4 * count : -4 * count}) | 0;` : '';
  // Each access's address is `a` (the translator turns the accesses into direct ones).
  const address = (i: number): string => `${i === 0 ? 'let a' : 'a'} = (b + ${first + 4 * i}) | 0;`;
  if (load) {
    // Every word is loaded before anything is written (an abort leaves the instruction restartable), then the base
    // is written back (unless it is loaded) and the registers; the PC last (it is the highest register): the block
    // leaves to where it points.
    const loads = registers.map((_, i) => `${address(i)} const v${i} = mem.read32(a);`).join(' ');
    const writes = registers.map((t, i) => (t === 15 ? interworking(`v${i}`) : `r[${t}] = v${i};`)).join(' ');
    return `{ const b = r[${n}]; ${loads}${(list & (1 << n)) !== 0 ? '' : back} ${writes} }`;
  }
  return `{ const b = r[${n}]; ${registers.map((t, i) => `${address(i)} mem.write32(a, r[${t}]);`).join(' ')}${back} }`;
}

/** MUL/MLA/MLS; `a` < 0 for MUL. */
function multiply(d: number, n: number, m: number, a: number, s: boolean, subtract: boolean): string | undefined {
  if (d === 15 || n === 15 || m === 15 || a === 15) return undefined;
  const product = `Math.imul(r[${n}], r[${m}])`;
  const value = a < 0 ? product : subtract ? `(r[${a}] - ${product}) | 0` : `(${product} + r[${a}]) | 0`;
  return s ? `{ const v = ${value}; r[${d}] = v; ${NEGATIVE_ZERO} }` : `r[${d}] = ${value};`;
}

/**
 * UMULL/UMLAL/SMULL/SMLAL without S: the 64-bit product (plus RdHi:RdLo) from 16-bit partial products, exact in
 * doubles (alu.ts multiply64's arithmetic), both registers written after every operand is read.
 */
function multiplyLong(dLo: number, dHi: number, n: number, m: number, signed: boolean, accumulate: boolean): string | undefined {
  if ([dLo, dHi, n, m].includes(15)) return undefined;
  const low = `xl * yl + (mid & 0xffff) * 65536${accumulate ? ` + (r[${dLo}] >>> 0)` : ''}`;
  const high = `xh * yh + Math.floor(mid / 65536) + Math.floor(lo / 4294967296)${accumulate ? ` + (r[${dHi}] >>> 0)` : ''}` +
    (signed ? ` - (r[${n}] < 0 ? y : 0) - (r[${m}] < 0 ? x : 0)` : '');
  return `{ const x = r[${n}] >>> 0, y = r[${m}] >>> 0, xl = x & 0xffff, xh = x >>> 16, yl = y & 0xffff, yh = y >>> 16, ` +
    `mid = xh * yl + xl * yh, lo = ${low}, hi = ${high}; r[${dLo}] = lo | 0; r[${dHi}] = hi | 0; }`;
}

/** SBFX/UBFX (ops.ts bitfieldExtract); undefined where the field runs past bit 31 (UNPREDICTABLE). */
function bitfieldExtract(d: number, n: number, lsb: number, width: number, signed: boolean): string | undefined {
  if (lsb + width > 32) return undefined;
  const field = `(r[${n}] << ${32 - lsb - width}) ${signed ? '>>' : '>>>'} ${32 - width}`;
  return `r[${d}] = ${signed ? field : `(${field}) | 0`};`;
}

/** BFI, or BFC (n < 0): bits lsb..msb of Rd replaced; undefined where msb < lsb (UNPREDICTABLE). */
function bitfieldInsert(d: number, n: number, lsb: number, msb: number): string | undefined {
  if (msb < lsb) return undefined;
  const width = msb - lsb + 1;
  const mask = width >= 32 ? -1 : ((1 << width) - 1) << lsb;
  return `r[${d}] = (r[${d}] & ${~mask})${n < 0 ? '' : ` | ((r[${n}] << ${lsb}) & ${mask})`};`;
}

/** BXWritePC / LoadWritePC (alu.ts bxWritePc): bit 0 of the target selects the instruction set; BLX links. */
function interworking(target: string, link?: number): string {
  return `{ const t = ${target};${link === undefined ? '' : ` r[14] = ${link | 0};`} if (t & 1) { c.thumb = true; c.next = (t & ~1) >>> 0; } else { c.thumb = false; c.next = (t & ~3) >>> 0; } EXIT }`;
}

/** LDRD/STRD with an immediate offset or an offset register (ops.ts loadStoreDual's order). */
function dual(load: boolean, t: number, t2: number, n: number, offset: string, add: boolean, index: boolean, wback: boolean): string | undefined {
  if (t === 15 || t2 === 15 || n === 15) return undefined;
  const address = `const b = r[${n}], o = (b ${add ? '+' : '-'} ${offset}) | 0; let a = ${index ? 'o' : 'b'};`;
  const back = wback ? ` r[${n}] = o;` : '';
  if (load) return `{ ${address} const lo = mem.read32(a); a = (a + 4) | 0; const hi = mem.read32(a);${back} r[${t}] = lo; r[${t2}] = hi; }`;
  return `{ ${address} mem.write32(a, r[${t}]); a = (a + 4) | 0; mem.write32(a, r[${t2}]);${back} }`;
}

/** The T32 extends' op field (first halfword, bits 6:4: SXTAH, UXTAH, SXTAB16, UXTAB16, SXTAB, UXTAB) as the A32
 * op1 of the same instruction (1: none). */
const T32_EXTEND_OP1 = [3, 7, 0, 4, 2, 6, 1, 1];

function conditional(cond: number, code: string): string {
  return cond === 14 ? code : `if (${CONDITIONS[cond]}) { ${code} }`;
}

/** The target of the branch the instruction being emitted contains (emitInstruction resets it). */
let branchTarget: number | undefined;

function branch(target: number, link?: number): string {
  branchTarget = target >>> 0;
  return `${link === undefined ? '' : `r[14] = ${link | 0}; `}EXIT`;
}

/**
 * JavaScript for one instruction, or undefined (the handler runs it). `it` is the ITSTATE before it, `pc` the value
 * R15 reads as, `fallthrough` the address after it.
 */
export function emitInstruction(encoding: number, thumb: boolean, it: number, pc: number, fallthrough: number): Emitted | undefined {
  branchTarget = undefined;
  const code = thumb ? (encoding > 0xffff ? thumb32(encoding >>> 16, encoding & 0xffff, pc) : thumb16(encoding, it !== 0, pc))
    : arm(encoding, pc, fallthrough);
  // The PC is only ever read as a constant; anything else naming R15 is left to the handler.
  if (code === undefined || code.includes('r[15]')) return undefined;
  const cond = thumb ? (it === 0 ? 14 : it >>> 4) : encoding >>> 28;
  if (cond === 15) return code === '' ? { code, mayFault: false } : undefined; // arm() passes only the hints
  return { code: conditional(cond, code), mayFault: code.includes('mem.'), target: branchTarget };
}

// ---- T32, 16-bit ------------------------------------------------------------------------------------------------

/** The 16-bit data-processing (register) opcodes, as A32 operations (undefined: not emitted). */
const THUMB_DP: (Op | undefined)[] = [
  Op.AND, Op.EOR, undefined, undefined, undefined, Op.ADC, Op.SBC, undefined, Op.TST, Op.RSB, Op.CMP, Op.CMN, Op.ORR, undefined, Op.BIC, Op.MVN,
];

function thumb16(h: number, inIt: boolean, pc: number): string | undefined {
  const s = !inIt;
  const lo = h & 7, mid = (h >>> 3) & 7, hi8 = (h >>> 8) & 7;
  switch (h >>> 11) {
    case 0b00000: case 0b00001: case 0b00010: {
      const type = h >>> 11;
      const imm5 = (h >>> 6) & 31;
      if (type === 0 && imm5 === 0 && inIt) return undefined; // MOV (register) encoding T2 is not permitted in IT
      return dataProcessing(Op.MOV, lo, '0', shiftedRegister(mid, type, imm5, pc), s);
    }
    case 0b00011: {
      const operand = (h & 0x400) !== 0 ? { value: String((h >>> 6) & 7) } : { value: `r[${(h >>> 6) & 7}]` };
      return dataProcessing((h & 0x200) !== 0 ? Op.SUB : Op.ADD, lo, `r[${mid}]`, operand, s);
    }
    case 0b00100: return dataProcessing(Op.MOV, hi8, '0', { value: String(h & 0xff) }, s);
    case 0b00101: return dataProcessing(Op.CMP, 0, `r[${hi8}]`, { value: String(h & 0xff) }, true);
    case 0b00110: return dataProcessing(Op.ADD, hi8, `r[${hi8}]`, { value: String(h & 0xff) }, s);
    case 0b00111: return dataProcessing(Op.SUB, hi8, `r[${hi8}]`, { value: String(h & 0xff) }, s);
    case 0b01000: {
      if ((h & 0xfc00) === 0x4000) {
        const op = THUMB_DP[(h >>> 6) & 15];
        if (((h >>> 6) & 15) === 13) return multiply(lo, mid, lo, -1, s, false);
        if (op === undefined) return undefined;
        if (op === Op.RSB) return dataProcessing(Op.RSB, lo, `r[${mid}]`, { value: '0' }, s);
        const test = op === Op.TST || op === Op.CMP || op === Op.CMN;
        return dataProcessing(op, lo, `r[${lo}]`, { value: `r[${mid}]` }, s || test);
      }
      if ((h & 0xfc00) === 0x4400) {
        const d = ((h >>> 4) & 8) | lo;
        const m = (h >>> 3) & 15;
        switch ((h >>> 8) & 3) {
          case 0: return dataProcessing(Op.ADD, d, reg(d, pc), { value: reg(m, pc) }, false);
          case 1: return dataProcessing(Op.CMP, 0, reg(d, pc), { value: reg(m, pc) }, true);
          case 2: return dataProcessing(Op.MOV, d, '0', { value: reg(m, pc) }, false);
          default:
            // BX / BLX (register); BLX writes LR after reading its target (BLX LR).
            if (m === 15 || (h & 7) !== 0) return undefined;
            return interworking(`r[${m}]`, (h & 0x80) !== 0 ? (pc - 2) | 1 : undefined);
        }
      }
      return undefined;
    }
    case 0b01001: return loadStore(true, Width.Word, hi8, 15, String((h & 0xff) * 4), true, true, false, pc);
    case 0b01010: case 0b01011: {
      const ops: [boolean, Width][] = [[false, Width.Word], [false, Width.Half], [false, Width.Byte], [true, Width.SignedByte],
        [true, Width.Word], [true, Width.Half], [true, Width.Byte], [true, Width.SignedHalf]];
      const [load, width] = ops[(h >>> 9) & 7];
      return loadStore(load, width, lo, mid, `r[${(h >>> 6) & 7}]`, true, true, false, pc);
    }
    case 0b01100: case 0b01101: return loadStore((h & 0x800) !== 0, Width.Word, lo, mid, String(((h >>> 6) & 31) * 4), true, true, false, pc);
    case 0b01110: case 0b01111: return loadStore((h & 0x800) !== 0, Width.Byte, lo, mid, String((h >>> 6) & 31), true, true, false, pc);
    case 0b10000: case 0b10001: return loadStore((h & 0x800) !== 0, Width.Half, lo, mid, String(((h >>> 6) & 31) * 2), true, true, false, pc);
    case 0b10010: case 0b10011: return loadStore((h & 0x800) !== 0, Width.Word, hi8, 13, String((h & 0xff) * 4), true, true, false, pc);
    case 0b10100: return `r[${hi8}] = ${((pc & ~3) + (h & 0xff) * 4) | 0};`;
    case 0b10101: return `r[${hi8}] = (r[13] + ${(h & 0xff) * 4}) | 0;`;
    case 0b10110: case 0b10111: {
      if ((h & 0xff00) === 0xb000) return `r[13] = (r[13] ${(h & 0x80) !== 0 ? '-' : '+'} ${(h & 0x7f) * 4}) | 0;`;
      if ((h & 0xff00) === 0xb200) {
        return [`r[${lo}] = (r[${mid}] << 16) >> 16;`, `r[${lo}] = (r[${mid}] << 24) >> 24;`, `r[${lo}] = r[${mid}] & 0xffff;`,
          `r[${lo}] = r[${mid}] & 0xff;`][(h >>> 6) & 3];
      }
      if ((h & 0xfe00) === 0xb400) return multiple(false, 13, (h & 0xff) | ((h & 0x100) << 6), false, true, true); // PUSH
      if ((h & 0xfe00) === 0xbc00) return multiple(true, 13, (h & 0xff) | ((h & 0x100) << 7), true, false, true); // POP
      if ((h & 0xff00) === 0xbf00 && (h & 0xf) !== 0 && !inIt) return ''; // IT: resolved when decoding
      if (h === 0xbf00) return ''; // NOP
      if ((h & 0xf500) === 0xb100) {
        if (inIt) return undefined;
        const target = pc + (((h >>> 3) & 0x40) | ((h >>> 2) & 0x3e));
        return `if (r[${lo}] ${(h & 0x800) !== 0 ? '!==' : '==='} 0) { ${branch(target)} }`;
      }
      return undefined;
    }
    case 0b11000: return multiple(false, hi8, h & 0xff, true, false, true);
    case 0b11001: return multiple(true, hi8, h & 0xff, true, false, (h & (1 << hi8)) === 0);
    case 0b11010: case 0b11011: {
      const cond = (h >>> 8) & 15;
      if (cond >= 14 || inIt) return undefined;
      return conditional(cond, branch(pc + (((h & 0xff) << 24) >> 23)));
    }
    case 0b11100: return inIt ? undefined : branch(pc + (((h & 0x7ff) << 21) >> 20));
    default: return undefined;
  }
}

// ---- T32, 32-bit ------------------------------------------------------------------------------------------------

/** T32 data-processing opcodes (bits 24:21) as A32 operations; Rd = 15 / Rn = 15 forms are the tests and moves. */
const T32_DP: (Op | undefined)[] = [
  Op.AND, Op.BIC, Op.ORR, Op.ORN, Op.EOR, undefined, undefined, undefined, Op.ADD, undefined, Op.ADC, Op.SBC, undefined, Op.SUB, Op.RSB, undefined,
];

function thumb32(h1: number, h2: number, pc: number): string | undefined {
  const n = h1 & 15, d = (h2 >>> 8) & 15, t = (h2 >>> 12) & 15;
  // Data processing (shifted register).
  if ((h1 & 0xfe00) === 0xea00) {
    const opcode = (h1 >>> 5) & 15;
    const s = (h1 & 0x10) !== 0;
    const imm5 = ((h2 >>> 10) & 0x1c) | ((h2 >>> 6) & 3);
    const b = shiftedRegister(h2 & 15, (h2 >>> 4) & 3, imm5, pc);
    return t32DataProcessing(opcode, s, n, d, b);
  }
  // Data processing (modified immediate): ThumbExpandImm_C (a rotated constant's bit 31 is the carry out).
  if ((h1 & 0xfa00) === 0xf000 && (h2 & 0x8000) === 0) {
    const imm12 = ((h1 & 0x400) << 1) | ((h2 >>> 4) & 0x700) | (h2 & 0xff);
    const byte = imm12 & 0xff;
    let operand: Operand;
    if (imm12 >>> 10 === 0) {
      const pattern = (imm12 >>> 8) & 3;
      if (pattern !== 0 && byte === 0) return undefined;
      operand = { value: String([byte, byte | (byte << 16), (byte << 8) | (byte << 24), byte * 0x01010101][pattern] | 0) };
    } else {
      const rotation = imm12 >>> 7;
      const value = (((0x80 | (imm12 & 0x7f)) >>> rotation) | ((0x80 | (imm12 & 0x7f)) << (32 - rotation))) | 0;
      operand = { value: String(value), carry: String(value >>> 31) };
    }
    return t32DataProcessing((h1 >>> 5) & 15, (h1 & 0x10) !== 0, n, d, operand);
  }
  // LDRD/STRD (immediate).
  if ((h1 & 0xfe40) === 0xe840 && (h1 & 0x0120) !== 0) {
    return dual((h1 & 0x10) !== 0, t, d, n, String((h2 & 0xff) * 4), (h1 & 0x80) !== 0, (h1 & 0x100) !== 0, (h1 & 0x20) !== 0);
  }
  // ADDW/SUBW, MOVW/MOVT, SBFX/UBFX, BFI/BFC (plain binary immediate).
  if ((h1 & 0xfa00) === 0xf200 && (h2 & 0x8000) === 0) {
    const imm12 = ((h1 & 0x400) << 1) | ((h2 >>> 4) & 0x700) | (h2 & 0xff);
    const imm16 = ((h1 & 15) << 12) | imm12;
    if (d === 13 || d === 15) return undefined;
    switch ((h1 >>> 4) & 0x1f) {
      case 0b00000: return n === 15 ? `r[${d}] = ${((pc & ~3) + imm12) | 0};` : n === 13 ? undefined : `r[${d}] = (r[${n}] + ${imm12}) | 0;`;
      case 0b01010: return n === 15 ? `r[${d}] = ${((pc & ~3) - imm12) | 0};` : n === 13 ? undefined : `r[${d}] = (r[${n}] - ${imm12}) | 0;`;
      case 0b00100: return `r[${d}] = ${imm16};`;
      case 0b01100: return `r[${d}] = (r[${d}] & 0xffff) | ${imm16 << 16};`;
      case 0b10100: case 0b11100: case 0b10110: {
        const lsb = ((h2 >>> 10) & 0x1c) | ((h2 >>> 6) & 3), field = h2 & 0x1f;
        if (((h1 >>> 4) & 0x1f) === 0b10110) return bitfieldInsert(d, n === 15 ? -1 : n, lsb, field);
        return bitfieldExtract(d, n, lsb, field + 1, (h1 & 0x80) === 0);
      }
      default: return undefined;
    }
  }
  // Loads and stores of a single register: LDR/STR{B,H} and LDRS{B,H} with imm12, imm8 or a shifted register.
  if ((h1 & 0xfe00) === 0xf800 && (h1 & 0x0070) !== 0x0070) {
    const load = (h1 & 0x10) !== 0;
    const size = (h1 >>> 5) & 3;
    const signed = (h1 & 0x100) !== 0;
    if ((t === 15 && !(load && size === 2)) || (signed && (!load || size === 2)) || size === 3) return undefined;
    const width = size === 2 ? Width.Word : size === 0 ? (signed ? Width.SignedByte : Width.Byte) : (signed ? Width.SignedHalf : Width.Half);
    if (n === 15) return load ? loadStore(true, width, t, 15, String(h2 & 0xfff), (h1 & 0x80) !== 0, true, false, pc) : undefined;
    if ((h1 & 0x80) !== 0) return loadStore(load, width, t, n, String(h2 & 0xfff), true, true, false, pc);
    if ((h2 & 0x0fc0) === 0) return loadStore(load, width, t, n, shiftedRegister(h2 & 15, 0, (h2 >>> 4) & 3, pc).value, true, true, false, pc);
    if ((h2 & 0x0800) !== 0) {
      const index = (h2 & 0x400) !== 0, add = (h2 & 0x200) !== 0, wback = (h2 & 0x100) !== 0;
      if (index && add && !wback) return undefined; // LDRT/STRT: unprivileged
      if (!index && !wback) return undefined;
      if (wback && n === t) return undefined;
      return loadStore(load, width, t, n, String(h2 & 0xff), add, index, wback, pc);
    }
    return undefined;
  }
  // LDM/STM (IA, DB).
  if ((h1 & 0xfe40) === 0xe800 && ((h1 >>> 7) & 3) !== 0 && ((h1 >>> 7) & 3) !== 3) {
    const increment = ((h1 >>> 7) & 3) === 1;
    return multiple((h1 & 0x10) !== 0, n, h2, increment, !increment, (h1 & 0x20) !== 0);
  }
  // SXTB/SXTH/UXTB/UXTH and their accumulating forms.
  if ((h1 & 0xff80) === 0xfa00 && (h2 & 0xf0c0) === 0xf080) return extension(T32_EXTEND_OP1[(h1 >>> 4) & 7], d, n, h2 & 15, ((h2 >>> 4) & 3) * 8);
  // MUL/MLA/MLS.
  if ((h1 & 0xfff0) === 0xfb00 && (h2 & 0x00e0) === 0) {
    if ((h2 & 0x10) !== 0) return multiply(d, n, h2 & 15, t, false, true);
    return multiply(d, n, h2 & 15, t === 15 ? -1 : t, false, false);
  }
  // SMULL/UMULL/SMLAL/UMLAL.
  if ((h1 & 0xff80) === 0xfb80 && (h1 & 0x10) === 0 && (h2 & 0xf0) === 0) {
    return multiplyLong(t, d, n, h2 & 15, (h1 & 0x20) === 0, (h1 & 0x40) !== 0);
  }
  // B.W (conditional or not) and BL.
  if ((h1 & 0xf800) === 0xf000 && (h2 & 0x8000) !== 0) {
    const s = (h1 >>> 10) & 1, j1 = (h2 >>> 13) & 1, j2 = (h2 >>> 11) & 1;
    if ((h2 & 0x5000) === 0x0000) {
      const cond = (h1 >>> 6) & 15;
      if (cond >= 14) return undefined;
      const offset = (((s << 20) | (j2 << 19) | (j1 << 18) | ((h1 & 0x3f) << 12) | ((h2 & 0x7ff) << 1)) << 11) >> 11;
      return conditional(cond, branch(pc + offset));
    }
    const i1 = 1 - (j1 ^ s), i2 = 1 - (j2 ^ s);
    const offset = (((s << 24) | (i1 << 23) | (i2 << 22) | ((h1 & 0x3ff) << 12) | ((h2 & 0x7ff) << 1)) << 7) >> 7;
    if ((h2 & 0x5000) === 0x1000) return branch(pc + offset);
    if ((h2 & 0x5000) === 0x5000) return branch(pc + offset, (pc | 1));
    return undefined;
  }
  return undefined;
}

function t32DataProcessing(opcode: number, s: boolean, n: number, d: number, b: Operand): string | undefined {
  let op = T32_DP[opcode];
  if (op === undefined) return undefined;
  // With SP, only ADD/SUB (and CMP/CMN) are the SP forms; the others are left to the handler.
  if ((d === 13 || n === 13) && op !== Op.ADD && op !== Op.SUB) return undefined;
  if (d === 15) {
    if (!s) return undefined;
    op = op === Op.AND ? Op.TST : op === Op.EOR ? Op.TEQ : op === Op.ADD ? Op.CMN : op === Op.SUB ? Op.CMP : undefined;
    if (op === undefined) return undefined;
  }
  if (n === 15) {
    if (op === Op.ORR) op = Op.MOV;
    else if (op === Op.ORN) op = Op.MVN;
    else return undefined;
  }
  return dataProcessing(op, d, `r[${n}]`, b, s);
}

// ---- A32 --------------------------------------------------------------------------------------------------------

/** A register shifted by the bottom byte of another (the shifter without its carry out). */
function registerShiftedRegister(m: number, type: number, s: number): string {
  const v = `r[${m}]`, amount = `(r[${s}] & 0xff)`;
  switch (type) {
    case 0: return `(${amount} >= 32 ? 0 : ${v} << ${amount})`;
    case 1: return `(${amount} >= 32 ? 0 : (${v} >>> ${amount}) | 0)`;
    case 2: return `(${v} >> (${amount} >= 32 ? 31 : ${amount}))`;
    default: return `((${v} >>> (${amount} & 31)) | (${v} << (32 - (${amount} & 31))))`;
  }
}

/** SXTB/SXTH/UXTB/UXTH and their accumulating forms (SXTAB...): op1 = A32 bits 22:20, Rm rotated right. */
function extension(op1: number, d: number, n: number, m: number, rotation: number): string | undefined {
  const width = op1 === 2 || op1 === 6 ? 8 : op1 === 3 || op1 === 7 ? 16 : 0;
  if (width === 0) return undefined; // the dual forms (SXTB16, UXTB16)
  const rotated = rotation === 0 ? `r[${m}]` : `((r[${m}] >>> ${rotation}) | (r[${m}] << ${32 - rotation}))`;
  const value = op1 < 4 ? `((${rotated} << ${32 - width}) >> ${32 - width})` : `(${rotated} & ${width === 8 ? '0xff' : '0xffff'})`;
  return n === 15 ? `r[${d}] = ${value};` : `r[${d}] = (r[${n}] + ${value}) | 0;`;
}

/** The encodings the interpreter runs as NOPs (a32.ts): barriers, PLD/PLDW/PLI, and the hints NOP, YIELD, CSDB... */
function isArmNop(w: number): boolean {
  // DMB, DSB and ISB are in PLD's space (op = 01, bit 20, Rt = 15); CLREX is too, but clears the monitor.
  if (w >>> 28 === 15) return (w >>> 0) !== 0xf57ff01f && ((w >>> 26) & 3) === 1 && (w & 0x10f000) === 0x10f000;
  // MSR (immediate) to no field: a hint; WFE, WFI and SEV (2-4) stop the CPU.
  return (w & 0x0fff0000) === 0x03200000 && ((w & 0xff) < 2 || (w & 0xff) > 4);
}

function arm(w: number, pc: number, fallthrough: number): string | undefined {
  const n = (w >>> 16) & 15, d = (w >>> 12) & 15;
  const top = (w >>> 25) & 7;
  if (isArmNop(w)) return '';
  if (w >>> 28 === 15) return undefined;
  if (top === 0 && (w & 0x90) === 0x10 && (w & 0x01900000) !== 0x01000000) {
    // Data processing, register shifted by a register: the shifter's carry out (logical ones with S) is the handler's.
    const op = (w >>> 21) & 15 as Op;
    const s = (w & 0x100000) !== 0;
    if (LOGICAL.has(op) && s) return undefined;
    return dataProcessing(op, d, `r[${n}]`, { value: registerShiftedRegister(w & 15, (w >>> 5) & 3, (w >>> 8) & 15) }, s);
  }
  if ((w & 0x0fff0ff0) === 0x016f0f10) return `r[${d}] = Math.clz32(r[${w & 15}]);`;
  // MRC of TPIDRURW / TPIDRURO (c13, c0, 2/3): readable at every privilege level.
  if ((w & 0x0fff0fff) === 0x0e1d0f50 || (w & 0x0fff0fff) === 0x0e1d0f70) return `r[${d}] = c.${(w & 0x20) !== 0 ? 'tpidruro' : 'tpidrurw'};`;
  if ((w & 0x0f8003f0) === 0x06800070) return extension((w >>> 20) & 7, d, n, w & 15, ((w >>> 10) & 3) * 8);
  if (top === 0 && (w & 0x90) !== 0x90 && (w & 0x10) === 0) {
    // Data processing, register shifted by an immediate.
    const op = (w >>> 21) & 15 as Op;
    const s = (w & 0x100000) !== 0;
    if (TESTS.has(op) && !s) return undefined;
    return dataProcessing(op, d, reg(n, pc), shiftedRegister(w & 15, (w >>> 5) & 3, (w >>> 7) & 31, pc), s);
  }
  if (top === 1) {
    const op = (w >>> 21) & 15 as Op;
    const s = (w & 0x100000) !== 0;
    if (TESTS.has(op) && !s) {
      // MOVW / MOVT
      if ((w & 0x0ff00000) === 0x03000000 && d !== 15) return `r[${d}] = ${((w >>> 4) & 0xf000) | (w & 0xfff)};`;
      if ((w & 0x0ff00000) === 0x03400000 && d !== 15) return `r[${d}] = (r[${d}] & 0xffff) | ${((((w >>> 4) & 0xf000) | (w & 0xfff)) << 16)};`;
      return undefined;
    }
    const rotation = ((w >>> 8) & 15) * 2;
    const byte = w & 0xff;
    const value = rotation === 0 ? byte : ((byte >>> rotation) | (byte << (32 - rotation))) | 0;
    const carry = rotation === 0 ? undefined : String(value >>> 31);
    return dataProcessing(op, d, reg(n, pc), { value: String(value), carry }, s);
  }
  if (top === 2 || (top === 3 && (w & 0x10) === 0)) {
    // LDR/STR/LDRB/STRB (immediate or register shifted by an immediate).
    const index = (w & 0x1000000) !== 0, add = (w & 0x800000) !== 0, byte = (w & 0x400000) !== 0;
    const wback = !index || (w & 0x200000) !== 0, load = (w & 0x100000) !== 0;
    if (!index && (w & 0x200000) !== 0) return undefined; // LDRT/STRT
    if (wback && (n === d || n === 15)) return undefined;
    if (top === 3 && (w & 15) === 15) return undefined;
    const offset = top === 2 ? String(w & 0xfff) : shiftedRegister(w & 15, (w >>> 5) & 3, (w >>> 7) & 31, pc).value;
    if (offset.includes('c.c')) return undefined;
    return loadStore(load, byte ? Width.Byte : Width.Word, d, n, offset, add, index, wback, pc);
  }
  if (top === 0 && (w & 0x90) === 0x90 && (w & 0x60) !== 0 && (w & 0x0e000000) === 0) {
    // LDRH/STRH/LDRSB/LDRSH (extra load/store), immediate or register offset.
    const index = (w & 0x1000000) !== 0, add = (w & 0x800000) !== 0, immediate = (w & 0x400000) !== 0;
    const wback = !index || (w & 0x200000) !== 0, load = (w & 0x100000) !== 0;
    const sh = (w >>> 5) & 3;
    if (!index && (w & 0x200000) !== 0) return undefined;
    if (wback && (n === d || n === 15)) return undefined;
    if (!load && sh !== 1) return armDual(w, pc); // LDRD/STRD
    if (!immediate && (w & 15) === 15) return undefined;
    const width = sh === 1 ? Width.Half : sh === 2 ? Width.SignedByte : Width.SignedHalf;
    const offset = immediate ? String(((w >>> 4) & 0xf0) | (w & 15)) : `r[${w & 15}]`;
    return loadStore(load, width, d, n, offset, add, index, wback, pc);
  }
  if ((w & 0x0fffffd0) === 0x012fff10 && (w & 15) !== 15) return interworking(`r[${w & 15}]`, (w & 0x20) !== 0 ? fallthrough : undefined);
  if ((w & 0x0fc000f0) === 0x00000090) return multiply(n, w & 15, (w >>> 8) & 15, (w & 0x200000) !== 0 ? d : -1, (w & 0x100000) !== 0, false);
  if ((w & 0x0ff000f0) === 0x00600090) return multiply(n, w & 15, (w >>> 8) & 15, d, false, true);
  if ((w & 0x0f9000f0) === 0x00800090) return multiplyLong(d, n, w & 15, (w >>> 8) & 15, (w & 0x400000) !== 0, (w & 0x200000) !== 0);
  if ((w & 0x0fa00070) === 0x07a00050) return bitfieldExtract(d, w & 15, (w >>> 7) & 31, ((w >>> 16) & 31) + 1, (w & 0x400000) === 0);
  if ((w & 0x0fe00070) === 0x07c00010) return bitfieldInsert(d, (w & 15) === 15 ? -1 : w & 15, (w >>> 7) & 31, (w >>> 16) & 31);
  if (top === 4 && (w & 0x400000) === 0) {
    return multiple((w & 0x100000) !== 0, n, w & 0xffff, (w & 0x800000) !== 0, (w & 0x1000000) !== 0, (w & 0x200000) !== 0);
  }
  if (top === 5) {
    const target = pc + (((w & 0xffffff) << 8) >> 6);
    return branch(target, (w & 0x1000000) !== 0 ? fallthrough : undefined);
  }
  return undefined;
}

/** A32 LDRD (sh = 2) / STRD (sh = 3), immediate or register offset: Rt even, Rt2 = Rt + 1. */
function armDual(w: number, pc: number): string | undefined {
  const n = (w >>> 16) & 15, t = (w >>> 12) & 15;
  const index = (w & 0x1000000) !== 0, add = (w & 0x800000) !== 0, wback = !index || (w & 0x200000) !== 0;
  if ((t & 1) !== 0 || (!index && (w & 0x200000) !== 0)) return undefined;
  if (wback && (n === t || n === t + 1)) return undefined;
  if ((w & 0x400000) === 0 && (w & 15) === 15) return undefined;
  const offset = (w & 0x400000) !== 0 ? String(((w >>> 4) & 0xf0) | (w & 15)) : reg(w & 15, pc);
  return dual((w & 0x20) === 0, t, t + 1, n, offset, add, index, wback);
}
