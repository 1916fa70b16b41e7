// T32 (Thumb and Thumb-2) encodings as [mask, value, format] rows, from the ARM Architecture Reference Manual
// ARMv7-A/R section A6: 16-bit rows match a halfword, 32-bit rows match (first << 16) | second. Instructions in an IT
// block take the block's condition as their suffix, and 16-bit data processing there does not set flags (no `s`).
import {
  BARRIER_OPTIONS, CONDITIONS, SHIFT_NAMES, bit, bits, compileTable, hex, immediateShift, lookup, reg, registerList, signExtend,
  undefinedText, type FieldPrinter, type Fields,
} from './format';
import { NEON_PRINTERS, NEON_ROWS, NEON_TRANSFER_ROWS, thumbRow } from './neon';
import { COPROCESSOR_ROWS, VFP_PRINTERS, VFP_ROWS } from './vfp';

/** ThumbExpandImm of i:imm3:imm8 (A6.3.2). */
function expandImmediate(word: number): number {
  const imm12 = (bit(word, 26) << 11) | (bits(word, 14, 12) << 8) | (word & 0xff);
  const imm8 = imm12 & 0xff;
  if ((imm12 >>> 10) === 0) {
    switch ((imm12 >>> 8) & 3) {
      case 0: return imm8;
      case 1: return (imm8 << 16) | imm8;
      case 2: return ((imm8 << 24) | (imm8 << 8)) >>> 0;
      default: return ((imm8 << 24) | (imm8 << 16) | (imm8 << 8) | imm8) >>> 0;
    }
  }
  const unrotated = 0x80 | (imm12 & 0x7f);
  const rotation = imm12 >>> 7;
  return ((unrotated >>> rotation) | (unrotated << (32 - rotation))) >>> 0;
}

/** The branch offset of B/BL/BLX T4 encodings: S:I1:I2:imm10:imm11:0. */
function longBranchOffset(word: number): number {
  const s = bit(word, 26);
  const i1 = 1 - (bit(word, 13) ^ s);
  const i2 = 1 - (bit(word, 11) ^ s);
  return signExtend((s << 24) | (i1 << 23) | (i2 << 22) | (bits(word, 25, 16) << 12) | (bits(word, 10, 0) << 1), 25);
}

function plusMinus(value: number, add: boolean): string {
  return `#${add ? '' : '-'}${value}`;
}

const PARALLEL_OPS = ['add8', 'add16', 'asx', '', 'sub8', 'sub16', 'sax', ''];
const PARALLEL_PREFIXES = ['s', 'q', 'sh', '', 'u', 'uq', 'uh', ''];

/** `ite eq`'s `te` from firstcond and mask: t where a mask bit equals firstcond[0], up to the terminating 1. */
function itPattern(hw: number): string {
  const low = bit(hw, 4);
  const mask = hw & 15;
  let pattern = '';
  for (let b = 3; b > 0 && (mask & ((1 << b) - 1)) !== 0; b--) pattern += bit(mask, b) === low ? 't' : 'e';
  return pattern;
}

const T32_PRINTERS: Record<string, FieldPrinter> = {
  ...VFP_PRINTERS,
  ...NEON_PRINTERS,
  c: (f) => f.itCondition,
  /** 16-bit data processing sets the flags only outside an IT block. */
  S: (f) => (f.inIt ? '' : 's'),
  s: (f) => (bit(f.word, 20) ? 's' : ''),
  l0: (f) => reg(f.word & 7),
  l3: (f) => reg((f.word >>> 3) & 7),
  l6: (f) => reg((f.word >>> 6) & 7),
  l8: (f) => reg((f.word >>> 8) & 7),
  dn: (f) => reg((bit(f.word, 7) << 3) | (f.word & 7)),
  m4: (f) => reg(f.word >>> 3),
  imm3: (f) => `#${bits(f.word, 8, 6)}`,
  imm8: (f) => `#${f.word & 0xff}`,
  shift5: (f) => `#${bits(f.word, 10, 6) === 0 ? 32 : bits(f.word, 10, 6)}`,
  imm5: (f) => `#${bits(f.word, 10, 6)}`,
  imm5x2: (f) => `#${bits(f.word, 10, 6) * 2}`,
  imm5x4: (f) => `#${bits(f.word, 10, 6) * 4}`,
  imm8x4: (f) => `#${(f.word & 0xff) * 4}`,
  imm7x4: (f) => `#${(f.word & 0x7f) * 4}`,
  list8: (f) => registerList(f.word & 0xff),
  pushList: (f) => registerList((f.word & 0xff) | (bit(f.word, 8) << 14)),
  popList: (f) => registerList((f.word & 0xff) | (bit(f.word, 8) << 15)),
  ldmWriteback: (f) => ((f.word & (1 << ((f.word >>> 8) & 7))) === 0 ? '!' : ''),
  cond8: (f) => CONDITIONS[bits(f.word, 11, 8)],
  target8: (f) => hex(f.address + 4 + signExtend(f.word & 0xff, 8) * 2),
  target11: (f) => hex(f.address + 4 + signExtend(f.word & 0x7ff, 11) * 2),
  cbTarget: (f) => hex(f.address + 4 + ((bit(f.word, 9) << 6) | (bits(f.word, 7, 3) << 1))),
  svcImm: (f) => String(f.word & 0xff),
  hex8: (f) => `0x${(f.word & 0xff).toString(16).padStart(4, '0')}`,
  itPattern: (f) => itPattern(f.word),
  firstCondition: (f) => CONDITIONS[bits(f.word, 7, 4)] || 'al',
  // 32-bit fields.
  r0: (f) => reg(f.word),
  r8: (f) => reg(f.word >>> 8),
  r12: (f) => reg(f.word >>> 12),
  r16: (f) => reg(f.word >>> 16),
  list: (f) => registerList(f.word & 0xffff),
  wb: (f) => (bit(f.word, 21) ? '!' : ''),
  timm: (f) => `#${expandImmediate(f.word)}`,
  imm12: (f) => `#${(bit(f.word, 26) << 11) | (bits(f.word, 14, 12) << 8) | (f.word & 0xff)}`,
  imm16: (f) => `#${(bits(f.word, 19, 16) << 12) | (bit(f.word, 26) << 11) | (bits(f.word, 14, 12) << 8) | (f.word & 0xff)}`,
  shift: (f) => immediateShift(bits(f.word, 5, 4), (bits(f.word, 14, 12) << 2) | bits(f.word, 7, 6)),
  shiftType: (f) => SHIFT_NAMES[bits(f.word, 22, 21)],
  rotation: (f) => (bits(f.word, 5, 4) === 0 ? '' : `, ror #${bits(f.word, 5, 4) * 8}`),
  lsb: (f) => `#${(bits(f.word, 14, 12) << 2) | bits(f.word, 7, 6)}`,
  extractWidth: (f) => `#${(f.word & 31) + 1}`,
  insertWidth: (f) => `#${((f.word & 31) - ((bits(f.word, 14, 12) << 2) | bits(f.word, 7, 6)) + 1) >>> 0}`,
  satImm: (f) => `#${(f.word & 31) + (bit(f.word, 23) ? 0 : 1)}`,
  satShift: (f) => {
    const amount = (bits(f.word, 14, 12) << 2) | bits(f.word, 7, 6);
    return amount === 0 ? '' : `, ${bit(f.word, 21) ? 'asr' : 'lsl'} #${amount}`;
  },
  xy: (f) => `${bit(f.word, 5) ? 't' : 'b'}${bit(f.word, 4) ? 't' : 'b'}`,
  barrier: (f) => BARRIER_OPTIONS[f.word & 15] ?? `#${f.word & 15}`,
  blTarget: (f) => hex(f.address + 4 + longBranchOffset(f.word)),
  blxTarget: (f) => hex(((f.address + 4) & ~3) + longBranchOffset(f.word)),
  condBranch: (f) => CONDITIONS[bits(f.word, 25, 22)],
  condTarget: (f) => hex(f.address + 4 + signExtend((bit(f.word, 26) << 20) | (bit(f.word, 11) << 19) | (bit(f.word, 13) << 18) | (bits(f.word, 21, 16) << 12) | (bits(f.word, 10, 0) << 1), 21)),
  /** `[r1, #4]` of an imm12 load/store (an offset of 0 printed as no offset). */
  address12: (f) => ((f.word & 0xfff) === 0 ? `[${reg(f.word >>> 16)}]` : `[${reg(f.word >>> 16)}, #${f.word & 0xfff}]`),
  literal12: (f) => `[pc, ${plusMinus(f.word & 0xfff, bit(f.word, 23) === 1)}]`,
  /** imm8 forms: `[r1, #-4]`, `[r1], #4`, `[r1, #4]!`. */
  address8: (f) => {
    const base = reg(f.word >>> 16);
    const offset = plusMinus(f.word & 0xff, bit(f.word, 9) === 1);
    if (!bit(f.word, 10)) return `[${base}], ${offset}`;
    return `[${base}, ${offset}]${bit(f.word, 8) ? '!' : ''}`;
  },
  addressReg: (f) => {
    const amount = bits(f.word, 5, 4);
    return `[${reg(f.word >>> 16)}, ${reg(f.word)}${amount === 0 ? '' : `, lsl #${amount}`}]`;
  },
  /** LDRD/STRD: imm8 scaled by 4. */
  addressDual: (f) => {
    const base = reg(f.word >>> 16);
    const imm = (f.word & 0xff) * 4;
    const offset = plusMinus(imm, bit(f.word, 23) === 1);
    if (!bit(f.word, 24)) return `[${base}], ${offset}`;
    if (imm === 0 && bit(f.word, 23)) return `[${base}]${bit(f.word, 21) ? '!' : ''}`;
    return `[${base}, ${offset}]${bit(f.word, 21) ? '!' : ''}`;
  },
  exclusiveOffset: (f) => ((f.word & 0xff) === 0 ? '' : `, #${(f.word & 0xff) * 4}`),
  /** PKHBT/PKHTB: LSL, or ASR (#32 when 0) for the tb form (bit 5). */
  pkhShift: (f) => {
    const amount = (bits(f.word, 14, 12) << 2) | bits(f.word, 7, 6);
    if (bit(f.word, 5)) return `, asr #${amount === 0 ? 32 : amount}`;
    return amount === 0 ? '' : `, lsl #${amount}`;
  },
  udf16: (f) => `#${(bits(f.word, 19, 16) << 12) | (f.word & 0xfff)}`,
};

const ROWS_16 = (): (readonly [number, number, string])[] => [
  [0xffc0, 0x0000, 'mov{S}{c} {l0}, {l3}'],
  [0xf800, 0x0000, 'lsl{S}{c} {l0}, {l3}, {imm5}'],
  [0xf800, 0x0800, 'lsr{S}{c} {l0}, {l3}, {shift5}'],
  [0xf800, 0x1000, 'asr{S}{c} {l0}, {l3}, {shift5}'],
  [0xfe00, 0x1800, 'add{S}{c} {l0}, {l3}, {l6}'],
  [0xfe00, 0x1a00, 'sub{S}{c} {l0}, {l3}, {l6}'],
  [0xfe00, 0x1c00, 'add{S}{c} {l0}, {l3}, {imm3}'],
  [0xfe00, 0x1e00, 'sub{S}{c} {l0}, {l3}, {imm3}'],
  [0xf800, 0x2000, 'mov{S}{c} {l8}, {imm8}'],
  [0xf800, 0x2800, 'cmp{c} {l8}, {imm8}'],
  [0xf800, 0x3000, 'add{S}{c} {l8}, {imm8}'],
  [0xf800, 0x3800, 'sub{S}{c} {l8}, {imm8}'],
  ...['and', 'eor', 'lsl', 'lsr', 'asr', 'adc', 'sbc', 'ror', 'tst', 'neg', 'cmp', 'cmn', 'orr', 'mul', 'bic', 'mvn'].map((name, op): [number, number, string] => {
    const format = name === 'tst' || name === 'cmp' || name === 'cmn' ? `${name}{c} {l0}, {l3}` : `${name}{S}{c} {l0}, {l3}`;
    return [0xffc0, 0x4000 | (op << 6), format];
  }),
  [0xff00, 0x4400, 'add{c} {dn}, {m4}'],
  [0xff00, 0x4500, 'cmp{c} {dn}, {m4}'],
  [0xffff, 0x46c0, 'nop{c}'],
  [0xff00, 0x4600, 'mov{c} {dn}, {m4}'],
  [0xff84, 0x4700, 'bx{c} {m4}'],
  [0xff87, 0x4780, 'blx{c} {m4}'],
  [0xf800, 0x4800, 'ldr{c} {l8}, [pc, {imm8x4}]'],
  ...['str', 'strh', 'strb', 'ldrsb', 'ldr', 'ldrh', 'ldrb', 'ldrsh'].map((name, op): [number, number, string] => [0xfe00, 0x5000 | (op << 9), `${name}{c} {l0}, [{l3}, {l6}]`]),
  [0xf800, 0x6000, 'str{c} {l0}, [{l3}, {imm5x4}]'],
  [0xf800, 0x6800, 'ldr{c} {l0}, [{l3}, {imm5x4}]'],
  [0xf800, 0x7000, 'strb{c} {l0}, [{l3}, {imm5}]'],
  [0xf800, 0x7800, 'ldrb{c} {l0}, [{l3}, {imm5}]'],
  [0xf800, 0x8000, 'strh{c} {l0}, [{l3}, {imm5x2}]'],
  [0xf800, 0x8800, 'ldrh{c} {l0}, [{l3}, {imm5x2}]'],
  [0xf800, 0x9000, 'str{c} {l8}, [sp, {imm8x4}]'],
  [0xf800, 0x9800, 'ldr{c} {l8}, [sp, {imm8x4}]'],
  [0xf800, 0xa000, 'add{c} {l8}, pc, {imm8x4}'],
  [0xf800, 0xa800, 'add{c} {l8}, sp, {imm8x4}'],
  [0xff80, 0xb000, 'add{c} sp, {imm7x4}'],
  [0xff80, 0xb080, 'sub{c} sp, {imm7x4}'],
  [0xfd00, 0xb100, 'cbz {l0}, {cbTarget}'],
  [0xfd00, 0xb900, 'cbnz {l0}, {cbTarget}'],
  [0xffc0, 0xb200, 'sxth{c} {l0}, {l3}'],
  [0xffc0, 0xb240, 'sxtb{c} {l0}, {l3}'],
  [0xffc0, 0xb280, 'uxth{c} {l0}, {l3}'],
  [0xffc0, 0xb2c0, 'uxtb{c} {l0}, {l3}'],
  [0xfe00, 0xb400, 'push{c} {pushList}'],
  [0xfe00, 0xbc00, 'pop{c} {popList}'],
  [0xffc0, 0xba00, 'rev{c} {l0}, {l3}'],
  [0xffc0, 0xba40, 'rev16{c} {l0}, {l3}'],
  [0xffc0, 0xbac0, 'revsh{c} {l0}, {l3}'],
  [0xff00, 0xbe00, 'bkpt {hex8}'],
  [0xffff, 0xbf00, 'nop{c}'],
  [0xffff, 0xbf10, 'yield{c}'],
  [0xffff, 0xbf20, 'wfe{c}'],
  [0xffff, 0xbf30, 'wfi{c}'],
  [0xffff, 0xbf40, 'sev{c}'],
  [0xff0f, 0xbf00, ''],
  [0xfff0, 0xbff0, ''],
  [0xff00, 0xbf00, 'it{itPattern} {firstCondition}'],
  [0xf800, 0xc000, 'stmia{c} {l8}!, {list8}'],
  [0xf800, 0xc800, 'ldmia{c} {l8}{ldmWriteback}, {list8}'],
  [0xff00, 0xde00, 'udf{c} {imm8}'],
  [0xff00, 0xdf00, 'svc{c} {svcImm}'],
  [0xf000, 0xd000, 'b{cond8}.n {target8}'],
  [0xf800, 0xe000, 'b{c}.n {target11}'],
];

/** Load/store rows of one width and signedness: literal, imm12, unprivileged, imm8 and register forms. */
function loadStoreRows(name: string, op: number): [number, number, string][] {
  const base = 0xf8000000 | (op << 20);
  return [
    [0xff7f0000, base | 0x000f0000, `${name}{c}.w {r12}, {literal12}`],
    [0xfff00d00, base | 0x00000800, ''], // imm8 with neither index nor writeback (P = W = 0) is unallocated
    [0xfff00000, base | 0x00800000, `${name}{c}.w {r12}, {address12}`],
    [0xfff00f00, base | 0x00000e00, `${name}t{c} {r12}, {address8}`],
    [0xfff00800, base | 0x00000800, `${name}{c}.w {r12}, {address8}`],
    [0xfff00f00, base, `${name}{c}.w {r12}, {addressReg}`],
  ];
}

const DP_IMMEDIATE: [number, string][] = [[0, 'and'], [1, 'bic'], [2, 'orr'], [3, 'orn'], [4, 'eor'], [8, 'add'], [10, 'adc'], [11, 'sbc'], [13, 'sub'], [14, 'rsb']];
/** `.w` where a 16-bit encoding of the instruction exists (as objdump marks them). */
const HAS_NARROW = new Set(['and', 'bic', 'orr', 'eor', 'add', 'adc', 'sbc', 'sub', 'mov', 'mvn', 'tst', 'cmp', 'cmn']);
const wide = (name: string): string => (HAS_NARROW.has(name) ? '.w' : '');

/** Rows of the 16 data-processing opcodes; `opcodeMask` selects the encoding's fixed bits and the opcode. */
function dataProcessingRows(base: number, opcodeMask: number, operand: string): [number, number, string][] {
  const compare: [number, string][] = [[0, 'tst'], [4, 'teq'], [8, 'cmn'], [13, 'cmp']];
  const rows: [number, number, string][] = compare.map(([op, name]) => [(opcodeMask | 0x00100f00) >>> 0, (base | (op << 21) | 0x00100f00) >>> 0, `${name}{c}${wide(name)} {r16}, ${operand}`]);
  for (const [op, name] of [[2, 'mov'], [3, 'mvn']] as const) rows.push([(opcodeMask | 0x000f0000) >>> 0, (base | (op << 21) | 0x000f0000) >>> 0, `${name}{s}{c}.w {r8}, ${operand}`]);
  for (const [op, name] of DP_IMMEDIATE) rows.push([opcodeMask, (base | (op << 21)) >>> 0, `${name}{s}{c}${wide(name)} {r8}, {r16}, ${operand}`]);
  return rows;
}

/** Parallel add/subtract: one row per allocated prefix (bits 6:4) and operation (bits 22:20). */
function parallelRows(): [number, number, string][] {
  const rows: [number, number, string][] = [];
  PARALLEL_PREFIXES.forEach((prefix, p) => PARALLEL_OPS.forEach((op, o) => {
    if (prefix !== '' && op !== '') rows.push([0xfff0f0f0, (0xfa80f000 | (o << 20) | (p << 4)) >>> 0, `${prefix}${op}{c} {r8}, {r16}, {r0}`]);
  }));
  return rows;
}

const ROWS_32 = (): (readonly [number, number, string])[] => [
  // Branches and miscellaneous control.
  [0xf800d000, 0xf000d000, 'bl{c} {blTarget}'],
  [0xf800d001, 0xf000c000, 'blx{c} {blxTarget}'],
  [0xf800d000, 0xf0009000, 'b{c}.w {blTarget}'],
  [0xfffffff0, 0xf3bf8f40, 'dsb{c} {barrier}'],
  [0xfffffff0, 0xf3bf8f50, 'dmb{c} {barrier}'],
  [0xfffffff0, 0xf3bf8f60, 'isb{c} {barrier}'],
  [0xffffffff, 0xf3bf8f2f, 'clrex{c}'],
  [0xffffffff, 0xf3af8000, 'nop{c}.w'],
  [0xffffffff, 0xf3af8001, 'yield{c}.w'],
  [0xffffffff, 0xf3af8002, 'wfe{c}.w'],
  [0xffffffff, 0xf3af8003, 'wfi{c}.w'],
  [0xffffffff, 0xf3af8004, 'sev{c}.w'],
  [0xfffff0ff, 0xf3ef8000, 'mrs{c} {r8}, CPSR'],
  [0xfff0ffff, 0xf3808800, 'msr{c} CPSR_f, {r16}'],
  [0xfff0f000, 0xf7f0a000, 'udf{c}.w {udf16}'],
  [0xfb80d000, 0xf3808000, ''],
  [0xf800d000, 0xf0008000, 'b{condBranch}.w {condTarget}'],
  // Data processing: plain binary immediate.
  [0xfbff8000, 0xf20f0000, 'addw{c} {r8}, pc, {imm12}'],
  [0xfbf08000, 0xf2000000, 'addw{c} {r8}, {r16}, {imm12}'],
  [0xfbf08000, 0xf2a00000, 'subw{c} {r8}, {r16}, {imm12}'],
  [0xfbf08000, 0xf2400000, 'movw{c} {r8}, {imm16}'],
  [0xfbf08000, 0xf2c00000, 'movt{c} {r8}, {imm16}'],
  [0xfff08020, 0xf3400000, 'sbfx{c} {r8}, {r16}, {lsb}, {extractWidth}'],
  [0xfff08020, 0xf3c00000, 'ubfx{c} {r8}, {r16}, {lsb}, {extractWidth}'],
  [0xffff8020, 0xf36f0000, 'bfc{c} {r8}, {lsb}, {insertWidth}'],
  [0xfff08020, 0xf3600000, 'bfi{c} {r8}, {r16}, {lsb}, {insertWidth}'],
  [0xffd08020, 0xf3000000, 'ssat{c} {r8}, {satImm}, {r16}{satShift}'],
  [0xffd08020, 0xf3800000, 'usat{c} {r8}, {satImm}, {r16}{satShift}'],
  // Data processing: modified immediate, shifted register.
  ...dataProcessingRows(0xf0000000, 0xfbe08000, '{timm}'),
  [0xfff08030, 0xeac00000, 'pkhbt{c} {r8}, {r16}, {r0}{pkhShift}'],
  [0xfff08030, 0xeac00020, 'pkhtb{c} {r8}, {r16}, {r0}{pkhShift}'],
  ...dataProcessingRows(0xea000000, 0xffe08000, '{r0}{shift}'),
  // Register shifts, extends, parallel arithmetic, miscellaneous.
  [0xff80f0f0, 0xfa00f000, '{shiftType}{s}{c}.w {r8}, {r16}, {r0}'],
  [0xfffff0c0, 0xfa0ff080, 'sxth{c}.w {r8}, {r0}{rotation}'],
  [0xfffff0c0, 0xfa1ff080, 'uxth{c}.w {r8}, {r0}{rotation}'],
  [0xfffff0c0, 0xfa2ff080, 'sxtb16{c} {r8}, {r0}{rotation}'],
  [0xfffff0c0, 0xfa3ff080, 'uxtb16{c} {r8}, {r0}{rotation}'],
  [0xfffff0c0, 0xfa4ff080, 'sxtb{c}.w {r8}, {r0}{rotation}'],
  [0xfffff0c0, 0xfa5ff080, 'uxtb{c}.w {r8}, {r0}{rotation}'],
  [0xfff0f0c0, 0xfa00f080, 'sxtah{c} {r8}, {r16}, {r0}{rotation}'],
  [0xfff0f0c0, 0xfa10f080, 'uxtah{c} {r8}, {r16}, {r0}{rotation}'],
  [0xfff0f0c0, 0xfa40f080, 'sxtab{c} {r8}, {r16}, {r0}{rotation}'],
  [0xfff0f0c0, 0xfa50f080, 'uxtab{c} {r8}, {r16}, {r0}{rotation}'],
  [0xfff0f0f0, 0xfa80f080, 'qadd{c} {r8}, {r0}, {r16}'],
  [0xfff0f0f0, 0xfa80f090, 'qdadd{c} {r8}, {r0}, {r16}'],
  [0xfff0f0f0, 0xfa80f0a0, 'qsub{c} {r8}, {r0}, {r16}'],
  [0xfff0f0f0, 0xfa80f0b0, 'qdsub{c} {r8}, {r0}, {r16}'],
  [0xfff0f0f0, 0xfa90f080, 'rev{c}.w {r8}, {r16}'],
  [0xfff0f0f0, 0xfa90f090, 'rev16{c}.w {r8}, {r16}'],
  [0xfff0f0f0, 0xfa90f0a0, 'rbit{c} {r8}, {r16}'],
  [0xfff0f0f0, 0xfa90f0b0, 'revsh{c}.w {r8}, {r16}'],
  [0xfff0f0f0, 0xfaa0f080, 'sel{c} {r8}, {r16}, {r0}'],
  [0xfff0f0f0, 0xfab0f080, 'clz{c} {r8}, {r16}'],
  ...parallelRows(),
  // Multiplies and divides.
  [0xfff0f0f0, 0xfb00f000, 'mul{c}.w {r8}, {r16}, {r0}'],
  [0xfff000f0, 0xfb000000, 'mla{c} {r8}, {r16}, {r0}, {r12}'],
  [0xfff000f0, 0xfb000010, 'mls{c} {r8}, {r16}, {r0}, {r12}'],
  [0xfff0f0c0, 0xfb10f000, 'smul{xy}{c} {r8}, {r16}, {r0}'],
  [0xfff000c0, 0xfb100000, 'smla{xy}{c} {r8}, {r16}, {r0}, {r12}'],
  [0xfff0f0f0, 0xfb50f000, 'smmul{c} {r8}, {r16}, {r0}'],
  [0xfff000f0, 0xfb500000, 'smmla{c} {r8}, {r16}, {r0}, {r12}'],
  [0xfff000f0, 0xfb600000, 'smmls{c} {r8}, {r16}, {r0}, {r12}'],
  [0xfff0f0f0, 0xfb70f000, 'usad8{c} {r8}, {r16}, {r0}'],
  [0xfff000f0, 0xfb700000, 'usada8{c} {r8}, {r16}, {r0}, {r12}'],
  [0xfff000f0, 0xfb800000, 'smull{c} {r12}, {r8}, {r16}, {r0}'],
  [0xfff0f0f0, 0xfb90f0f0, 'sdiv{c} {r8}, {r16}, {r0}'],
  [0xfff000f0, 0xfba00000, 'umull{c} {r12}, {r8}, {r16}, {r0}'],
  [0xfff0f0f0, 0xfbb0f0f0, 'udiv{c} {r8}, {r16}, {r0}'],
  [0xfff000c0, 0xfbc00080, 'smlal{xy}{c} {r12}, {r8}, {r16}, {r0}'],
  [0xfff000f0, 0xfbc00000, 'smlal{c} {r12}, {r8}, {r16}, {r0}'],
  [0xfff000f0, 0xfbe00000, 'umlal{c} {r12}, {r8}, {r16}, {r0}'],
  [0xfff000f0, 0xfbe00060, 'umaal{c} {r12}, {r8}, {r16}, {r0}'],
  // Exclusives, table branches, dual and multiple loads/stores.
  [0xfff00f00, 0xe8500f00, 'ldrex{c} {r12}, [{r16}{exclusiveOffset}]'],
  [0xfff00000, 0xe8400000, 'strex{c} {r8}, {r12}, [{r16}{exclusiveOffset}]'],
  [0xfff0fff0, 0xe8d0f000, 'tbb{c} [{r16}, {r0}]'],
  [0xfff0fff0, 0xe8d0f010, 'tbh{c} [{r16}, {r0}, lsl #1]'],
  [0xfff00fff, 0xe8d00f4f, 'ldrexb{c} {r12}, [{r16}]'],
  [0xfff00fff, 0xe8d00f5f, 'ldrexh{c} {r12}, [{r16}]'],
  [0xfff000ff, 0xe8d0007f, 'ldrexd{c} {r12}, {r8}, [{r16}]'],
  [0xfff00ff0, 0xe8c00f40, 'strexb{c} {r0}, {r12}, [{r16}]'],
  [0xfff00ff0, 0xe8c00f50, 'strexh{c} {r0}, {r12}, [{r16}]'],
  [0xfff000f0, 0xe8c00070, 'strexd{c} {r0}, {r12}, {r8}, [{r16}]'],
  [0xff600000, 0xe8400000, ''],
  [0xfe500000, 0xe8400000, 'strd{c} {r12}, {r8}, {addressDual}'],
  [0xfe500000, 0xe8500000, 'ldrd{c} {r12}, {r8}, {addressDual}'],
  [0xffd00000, 0xe8800000, 'stmia{c}.w {r16}{wb}, {list}'],
  [0xffd00000, 0xe8900000, 'ldmia{c}.w {r16}{wb}, {list}'],
  [0xffd00000, 0xe9000000, 'stmdb{c} {r16}{wb}, {list}'],
  [0xffd00000, 0xe9100000, 'ldmdb{c} {r16}{wb}, {list}'],
  // Single loads and stores; PLD is LDRB to the PC.
  [0xfff0f000, 0xf890f000, 'pld{c} {address12}'],
  [0xfff0ff00, 0xf810fc00, 'pld{c} {address8}'],
  [0xfff0ffc0, 0xf810f000, 'pld{c} {addressReg}'],
  [0xff7ff000, 0xf81ff000, 'pld{c} {literal12}'],
  [0xfff0f000, 0xf8b0f000, 'pldw{c} {address12}'],
  [0xfff0ff00, 0xf830fc00, 'pldw{c} {address8}'],
  [0xfff0f000, 0xf990f000, 'pli{c} {address12}'],
  [0xfff0ff00, 0xf910fc00, 'pli{c} {address8}'],
  [0xff7ff000, 0xf91ff000, 'pli{c} {literal12}'],
  ...loadStoreRows('str', 0x4),
  ...loadStoreRows('ldr', 0x5),
  ...loadStoreRows('strh', 0x2),
  ...loadStoreRows('ldrh', 0x3),
  ...loadStoreRows('strb', 0x0),
  ...loadStoreRows('ldrb', 0x1),
  ...loadStoreRows('ldrsh', 0x13),
  ...loadStoreRows('ldrsb', 0x11),
  // Coprocessor space: VFP, then CP15 and other coprocessor register transfers.
  ...NEON_ROWS.map(thumbRow),
  ...[...VFP_ROWS, ...NEON_TRANSFER_ROWS, ...COPROCESSOR_ROWS].map(([mask, value, format]): [number, number, string] => [(mask | 0xf0000000) >>> 0, (value | 0xe0000000) >>> 0, format]),
  // LDC2/STC2 of coprocessors 0-7 (P = U = W = 0 is MCRR2/MRRC2; 8-15 hold Advanced SIMD and reserved space).
  [0xffa00000, 0xfc000000, ''],
  [0xfe100800, 0xfc000000, 'stc2{long} {cp}, {cpd}, {cpAddress}'],
  [0xfe100800, 0xfc100000, 'ldc2{long} {cp}, {cpd}, {cpAddress}'],
  // Coprocessors 8 and 9 are reserved; 10 and 11 are the VFP rows above (the rest of their space is Advanced SIMD).
  [0xff000e10, 0xee000810, ''],
  [0xff000e10, 0xee000a10, ''],
  [0xff100010, 0xee000010, 'mcr{c} {cp}, {opc1}, {r12}, {crn}, {crm}, {{opc2}}'],
  [0xff100010, 0xee100010, 'mrc{c} {cp}, {opc1}, {mrcTarget}, {crn}, {crm}, {{opc2}}'],
];

const TABLE_16 = compileTable(ROWS_16, T32_PRINTERS);
const TABLE_32 = compileTable(ROWS_32, T32_PRINTERS);

/** Whether a first halfword starts a 32-bit instruction (bits 15:11 are 0b11101, 0b11110 or 0b11111). */
export function isWide(first: number): boolean {
  return (first & 0xffff) >>> 11 >= 0b11101;
}

export interface ThumbText {
  readonly text: string;
  readonly length: 2 | 4;
  /** ITSTATE after this instruction (0 outside an IT block). */
  readonly itState: number;
}

/** objdump-style text of the Thumb instruction at `address` (`second` is read only for 32-bit encodings), with
 * `itState` the ITSTATE in force at it (0 outside an IT block). */
export function disassembleT32(first: number, second: number, address: number, itState = 0): ThumbText {
  const inIt = (itState & 15) !== 0;
  const itCondition = inIt ? CONDITIONS[itState >>> 4] || 'al' : '';
  const next = !inIt || (itState & 7) === 0 ? 0 : (itState & 0xe0) | ((itState << 1) & 0x1f);
  first &= 0xffff;
  if (isWide(first)) {
    const word = ((first << 16) | (second & 0xffff)) >>> 0;
    const fields: Fields = { word, address, itCondition, inIt };
    const text = lookup(TABLE_32(), word)?.print(fields) ?? '';
    return { text: text === '' ? undefinedText(word, 8) : text, length: 4, itState: next };
  }
  const fields: Fields = { word: first, address, itCondition, inIt };
  const text = lookup(TABLE_16(), first)?.print(fields) ?? '';
  if (text === '') return { text: undefinedText(first, 4), length: 2, itState: next };
  // An IT instruction starts a block; its own ITSTATE is the instruction's low byte.
  const startsBlock = (first & 0xff00) === 0xbf00 && (first & 15) !== 0;
  return { text, length: 2, itState: startsBlock ? first & 0xff : next };
}
