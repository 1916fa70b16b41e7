// A32 (ARM state) encodings as [mask, value, format] rows, from the ARM Architecture Reference Manual ARMv7-A/R
// section A5; operands spelled as GNU objdump prints them (UAL, `sl`/`fp`/`ip` register names).
import {
  BARRIER_OPTIONS, CONDITIONS, SHIFT_NAMES, bit, bits, compileTable, hex, immediateShift, lookup, reg, registerList, undefinedText,
  type FieldPrinter, type Fields,
} from './format';
import { NEON_PRINTERS, NEON_ROWS, NEON_TRANSFER_ROWS } from './neon';
import { COPROCESSOR_ROWS, VFP_PRINTERS, VFP_ROWS } from './vfp';

const rotatedImmediate = (word: number): number => {
  const rotation = bits(word, 11, 8) * 2;
  const imm8 = word & 0xff;
  return rotation === 0 ? imm8 : ((imm8 >>> rotation) | (imm8 << (32 - rotation))) | 0;
};

/** `#value`, or `#imm8, rotation` when the encoding is not the value's canonical one (the smallest rotation). */
function modifiedImmediate(word: number): string {
  const value = rotatedImmediate(word);
  const rotation = bits(word, 11, 8) * 2;
  // The encoded rotation brings the value back into 8 bits, so the search ends by it at the latest.
  let canonical = 0;
  while (canonical < rotation && ((value << canonical) | (value >>> (32 - canonical))) >>> 0 > 0xff) canonical += 2;
  return canonical === rotation ? `#${value}` : `#${word & 0xff}, ${rotation}`;
}

/** Addressing mode 2 (word and unsigned byte): `[r1, #4]`, `[r1, -r2, lsl #2]!`, `[r1], #4`. */
function wordAddress(f: Fields): string {
  const w = f.word;
  const base = reg(bits(w, 19, 16));
  const sign = bit(w, 23) ? '' : '-';
  const offset = bit(w, 25)
    ? `${sign}${reg(w & 15)}${immediateShift(bits(w, 6, 5), bits(w, 11, 7))}`
    : `#${sign}${w & 0xfff}`;
  const zero = !bit(w, 25) && (w & 0xfff) === 0 && bit(w, 23);
  if (!bit(w, 24)) return `[${base}], ${offset}`;
  if (zero) return bit(w, 21) ? `[${base}]!` : `[${base}]`;
  return `[${base}, ${offset}]${bit(w, 21) ? '!' : ''}`;
}

/** Addressing mode 3 (halfword, signed byte, doubleword). */
function miscAddress(f: Fields): string {
  const w = f.word;
  const base = reg(bits(w, 19, 16));
  const sign = bit(w, 23) ? '' : '-';
  const imm = (bits(w, 11, 8) << 4) | (w & 15);
  const offset = bit(w, 22) ? `#${sign}${imm}` : `${sign}${reg(w & 15)}`;
  if (!bit(w, 24)) return `[${base}], ${offset}`;
  if (bit(w, 22) && imm === 0 && bit(w, 23)) return bit(w, 21) ? `[${base}]!` : `[${base}]`;
  return `[${base}, ${offset}]${bit(w, 21) ? '!' : ''}`;
}

const PARALLEL_PREFIXES = ['', 's', 'q', 'sh', '', 'u', 'uq', 'uh'];
const PARALLEL_OPS = ['add16', 'asx', 'sax', 'sub16', 'add8', '', '', 'sub8'];

export const A32_PRINTERS: Record<string, FieldPrinter> = {
  ...VFP_PRINTERS,
  ...NEON_PRINTERS,
  c: (f) => CONDITIONS[f.word >>> 28],
  s: (f) => (bit(f.word, 20) ? 's' : ''),
  r0: (f) => reg(f.word),
  r8: (f) => reg(f.word >>> 8),
  r12: (f) => reg(f.word >>> 12),
  r12next: (f) => reg((f.word >>> 12) + 1),
  r0next: (f) => reg((f.word & 15) + 1),
  r16: (f) => reg(f.word >>> 16),
  /** Shifter operand: an immediate, a register shifted by an immediate, or by a register. */
  op2: (f) => {
    const w = f.word;
    if (bit(w, 25)) return modifiedImmediate(w);
    if (bit(w, 4)) return `${reg(w)}, ${SHIFT_NAMES[bits(w, 6, 5)]} ${reg(w >>> 8)}`;
    return `${reg(w)}${immediateShift(bits(w, 6, 5), bits(w, 11, 7))}`;
  },
  shiftAmount: (f) => `#${bits(f.word, 11, 7) === 0 && bits(f.word, 6, 5) !== 0 ? 32 : bits(f.word, 11, 7)}`,
  wordAddress,
  miscAddress,
  /** A register list; `^` marks the user-mode registers or an exception return (bit 22). */
  list: (f) => `${registerList(f.word & 0xffff)}${bit(f.word, 22) ? '^' : ''}`,
  round: (f) => (bit(f.word, 5) ? 'r' : ''),
  x: (f) => (bit(f.word, 5) ? 'x' : ''),
  wb: (f) => (bit(f.word, 21) ? '!' : ''),
  target: (f) => hex(f.address + 8 + ((f.word << 8) >> 6)),
  blxTarget: (f) => hex(f.address + 8 + ((f.word << 8) >> 6) + (bit(f.word, 24) << 1)),
  imm16: (f) => `#${(bits(f.word, 19, 16) << 12) | (f.word & 0xfff)}`,
  udf16: (f) => `#${(bits(f.word, 19, 8) << 4) | (f.word & 15)}`,
  swi: (f) => `0x${(f.word & 0xffffff).toString(16).padStart(8, '0')}`,
  bkpt: (f) => `0x${((bits(f.word, 19, 8) << 4) | (f.word & 15)).toString(16).padStart(4, '0')}`,
  barrier: (f) => BARRIER_OPTIONS[f.word & 15] ?? `#${f.word & 15}`,
  pldAddress: (f) => {
    const base = reg(f.word >>> 16);
    const sign = bit(f.word, 23) ? '' : '-';
    if (bit(f.word, 25)) return `[${base}, ${sign}${reg(f.word)}${immediateShift(bits(f.word, 6, 5), bits(f.word, 11, 7))}]`;
    return (f.word & 0xfff) === 0 && bit(f.word, 23) ? `[${base}]` : `[${base}, #${sign}${f.word & 0xfff}]`;
  },
  rotation: (f) => (bits(f.word, 11, 10) === 0 ? '' : `, ror #${bits(f.word, 11, 10) * 8}`),
  lsb: (f) => `#${bits(f.word, 11, 7)}`,
  extractWidth: (f) => `#${bits(f.word, 20, 16) + 1}`,
  insertWidth: (f) => (bits(f.word, 20, 16) < bits(f.word, 11, 7) ? null : `#${bits(f.word, 20, 16) - bits(f.word, 11, 7) + 1}`),
  xy: (f) => `${bit(f.word, 5) ? 't' : 'b'}${bit(f.word, 6) ? 't' : 'b'}`,
  y: (f) => (bit(f.word, 6) ? 't' : 'b'),
  satImm: (f) => `#${bits(f.word, 20, 16) + (bit(f.word, 22) ? 0 : 1)}`,
  satShift: (f) => (bits(f.word, 11, 7) === 0 ? (bit(f.word, 6) ? ', asr #32' : '') : `, ${bit(f.word, 6) ? 'asr' : 'lsl'} #${bits(f.word, 11, 7)}`),
};

/** Parallel add/subtract: one row per allocated prefix (bits 22:20) and operation (bits 7:5). */
function parallelRows(): [number, number, string][] {
  const rows: [number, number, string][] = [];
  PARALLEL_PREFIXES.forEach((prefix, p) => PARALLEL_OPS.forEach((op, o) => {
    if (prefix !== '' && op !== '') rows.push([0x0ff00ff0, 0x06000f10 | (p << 20) | (o << 5), `${prefix}${op}{c} {r12}, {r16}, {r0}`]);
  }));
  return rows;
}

const DATA_PROCESSING = ['and', 'eor', 'sub', 'rsb', 'add', 'adc', 'sbc', 'rsc', 'tst', 'teq', 'cmp', 'cmn', 'orr', 'mov', 'bic', 'mvn'];

/** Data-processing rows for the 16 opcodes (after the MOV special forms). */
function dataProcessingRows(): [number, number, string][] {
  return DATA_PROCESSING.map((name, op): [number, number, string] => {
    if (op >= 8 && op <= 11) return [0x0df00000, 0x00100000 | (op << 21), `${name}{c} {r16}, {op2}`];
    if (op === 13 || op === 15) return [0x0def0000, op << 21, `${name}{s}{c} {r12}, {op2}`];
    return [0x0de00000, op << 21, `${name}{s}{c} {r12}, {r16}, {op2}`];
  });
}

const A32_ROWS = (): (readonly [number, number, string])[] => [
  // Unconditional space (cond = 1111).
  [0xfe000000, 0xfa000000, 'blx {blxTarget}'],
  [0xfffffff0, 0xf57ff040, 'dsb {barrier}'],
  [0xfffffff0, 0xf57ff050, 'dmb {barrier}'],
  [0xfffffff0, 0xf57ff060, 'isb {barrier}'],
  [0xffffffff, 0xf57ff01f, 'clrex'],
  [0xff70f000, 0xf550f000, 'pld {pldAddress}'],
  [0xff70f000, 0xf510f000, 'pldw {pldAddress}'],
  [0xff70f010, 0xf750f000, 'pld {pldAddress}'],
  [0xff70f010, 0xf710f000, 'pldw {pldAddress}'],
  [0xff70f000, 0xf450f000, 'pli {pldAddress}'],
  ...NEON_ROWS,
  // LDC2/STC2 of coprocessors 0-7 (P = U = W = 0 is MCRR2/MRRC2; 8-15 hold Advanced SIMD and reserved space).
  [0xffa00000, 0xfc000000, ''],
  [0xfe100800, 0xfc000000, 'stc2{long} {cp}, {cpd}, {cpAddress}'],
  [0xfe100800, 0xfc100000, 'ldc2{long} {cp}, {cpd}, {cpAddress}'],
  [0xf0000000, 0xf0000000, ''],
  // Miscellaneous and multiplies (bits 7 and 4 set) before plain data processing.
  [0x0ffffff0, 0x012fff10, 'bx{c} {r0}'],
  [0x0ffffff0, 0x012fff30, 'blx{c} {r0}'],
  [0x0ffffff0, 0x012fff20, 'bxj{c} {r0}'],
  [0x0fff0ff0, 0x016f0f10, 'clz{c} {r12}, {r0}'],
  [0xfff000f0, 0xe1200070, 'bkpt {bkpt}'],
  [0x0fff0fff, 0x010f0000, 'mrs{c} {r12}, CPSR'],
  [0x0ffffff0, 0x0128f000, 'msr{c} CPSR_f, {r0}'],
  [0x0ffffff0, 0x012cf000, 'msr{c} CPSR_fs, {r0}'],
  [0x0ff00ff0, 0x01000050, 'qadd{c} {r12}, {r0}, {r16}'],
  [0x0ff00ff0, 0x01200050, 'qsub{c} {r12}, {r0}, {r16}'],
  [0x0ff00ff0, 0x01400050, 'qdadd{c} {r12}, {r0}, {r16}'],
  [0x0ff00ff0, 0x01600050, 'qdsub{c} {r12}, {r0}, {r16}'],
  [0x0ff00090, 0x01000080, 'smla{xy}{c} {r16}, {r0}, {r8}, {r12}'],
  [0x0ff000b0, 0x01200080, 'smlaw{y}{c} {r16}, {r0}, {r8}, {r12}'],
  [0x0ff0f0b0, 0x012000a0, 'smulw{y}{c} {r16}, {r0}, {r8}'],
  [0x0ff00090, 0x01400080, 'smlal{xy}{c} {r12}, {r16}, {r0}, {r8}'],
  [0x0ff0f090, 0x01600080, 'smul{xy}{c} {r16}, {r0}, {r8}'],
  [0x0fe000f0, 0x00000090, 'mul{s}{c} {r16}, {r0}, {r8}'],
  [0x0fe000f0, 0x00200090, 'mla{s}{c} {r16}, {r0}, {r8}, {r12}'],
  [0x0ff000f0, 0x00400090, 'umaal{c} {r12}, {r16}, {r0}, {r8}'],
  [0x0ff000f0, 0x00600090, 'mls{c} {r16}, {r0}, {r8}, {r12}'],
  [0x0fe000f0, 0x00800090, 'umull{s}{c} {r12}, {r16}, {r0}, {r8}'],
  [0x0fe000f0, 0x00a00090, 'umlal{s}{c} {r12}, {r16}, {r0}, {r8}'],
  [0x0fe000f0, 0x00c00090, 'smull{s}{c} {r12}, {r16}, {r0}, {r8}'],
  [0x0fe000f0, 0x00e00090, 'smlal{s}{c} {r12}, {r16}, {r0}, {r8}'],
  [0x0ff00ff0, 0x01000090, 'swp{c} {r12}, {r0}, [{r16}]'],
  [0x0ff00ff0, 0x01400090, 'swpb{c} {r12}, {r0}, [{r16}]'],
  [0x0ff00ff0, 0x01800f90, 'strex{c} {r12}, {r0}, [{r16}]'],
  [0x0ff00fff, 0x01900f9f, 'ldrex{c} {r12}, [{r16}]'],
  [0x0ff00ff0, 0x01a00f90, 'strexd{c} {r12}, {r0}, {r0next}, [{r16}]'],
  [0x0ff00fff, 0x01b00f9f, 'ldrexd{c} {r12}, {r12next}, [{r16}]'],
  [0x0ff00ff0, 0x01c00f90, 'strexb{c} {r12}, {r0}, [{r16}]'],
  [0x0ff00fff, 0x01d00f9f, 'ldrexb{c} {r12}, [{r16}]'],
  [0x0ff00ff0, 0x01e00f90, 'strexh{c} {r12}, {r0}, [{r16}]'],
  [0x0ff00fff, 0x01f00f9f, 'ldrexh{c} {r12}, [{r16}]'],
  [0x0f3000f0, 0x002000b0, 'strht{c} {r12}, {miscAddress}'],
  [0x0f3000f0, 0x003000b0, 'ldrht{c} {r12}, {miscAddress}'],
  [0x0f3000f0, 0x003000d0, 'ldrsbt{c} {r12}, {miscAddress}'],
  [0x0f3000f0, 0x003000f0, 'ldrsht{c} {r12}, {miscAddress}'],
  ...[['strh', 0x000000b0], ['ldrh', 0x001000b0], ['ldrd', 0x000000d0], ['ldrsb', 0x001000d0], ['strd', 0x000000f0], ['ldrsh', 0x001000f0]].flatMap(
    ([name, value]): [number, number, string][] => [
      [0x0e5000f0, (value as number) | 0x00400000, `${name}{c} {r12}, {miscAddress}`],
      [0x0e500ff0, value as number, `${name}{c} {r12}, {miscAddress}`],
    ]),
  // The rest of the multiply and extra load/store space (a register form with bits 11:8 set) is unallocated.
  [0x0e000090, 0x00000090, ''],
  // Immediate space specials: MOVW/MOVT and hints.
  [0x0ff00000, 0x03000000, 'movw{c} {r12}, {imm16}'],
  [0x0ff00000, 0x03400000, 'movt{c} {r12}, {imm16}'],
  [0x0fffffff, 0x0320f000, 'nop{c} {0}'],
  [0x0fffffff, 0x0320f001, 'yield{c}'],
  [0x0fffffff, 0x0320f002, 'wfe{c}'],
  [0x0fffffff, 0x0320f003, 'wfi{c}'],
  [0x0fffffff, 0x0320f004, 'sev{c}'],
  // MOV with a shift is the shift instruction in UAL.
  [0x0fffffff, 0x01a00000, 'nop{c}'],
  [0x0fef0ff0, 0x01a00000, 'mov{s}{c} {r12}, {r0}'],
  [0x0fef0ff0, 0x01a00060, 'rrx{s}{c} {r12}, {r0}'],
  [0x0fef0070, 0x01a00000, 'lsl{s}{c} {r12}, {r0}, {shiftAmount}'],
  [0x0fef0070, 0x01a00020, 'lsr{s}{c} {r12}, {r0}, {shiftAmount}'],
  [0x0fef0070, 0x01a00040, 'asr{s}{c} {r12}, {r0}, {shiftAmount}'],
  [0x0fef0070, 0x01a00060, 'ror{s}{c} {r12}, {r0}, {shiftAmount}'],
  [0x0fef00f0, 0x01a00010, 'lsl{s}{c} {r12}, {r0}, {r8}'],
  [0x0fef00f0, 0x01a00030, 'lsr{s}{c} {r12}, {r0}, {r8}'],
  [0x0fef00f0, 0x01a00050, 'asr{s}{c} {r12}, {r0}, {r8}'],
  [0x0fef00f0, 0x01a00070, 'ror{s}{c} {r12}, {r0}, {r8}'],
  ...dataProcessingRows(),
  // Media instructions (bit 25 and bit 4 set in the load/store space).
  [0xfff000f0, 0xe7f000f0, 'udf {udf16}'],
  [0x0fff03f0, 0x06af0070, 'sxtb{c} {r12}, {r0}{rotation}'],
  [0x0fff03f0, 0x06bf0070, 'sxth{c} {r12}, {r0}{rotation}'],
  [0x0fff03f0, 0x06ef0070, 'uxtb{c} {r12}, {r0}{rotation}'],
  [0x0fff03f0, 0x06ff0070, 'uxth{c} {r12}, {r0}{rotation}'],
  [0x0fff03f0, 0x068f0070, 'sxtb16{c} {r12}, {r0}{rotation}'],
  [0x0fff03f0, 0x06cf0070, 'uxtb16{c} {r12}, {r0}{rotation}'],
  [0x0ff003f0, 0x06800070, 'sxtab16{c} {r12}, {r16}, {r0}{rotation}'],
  [0x0ff003f0, 0x06c00070, 'uxtab16{c} {r12}, {r16}, {r0}{rotation}'],
  [0x0ff003f0, 0x06a00070, 'sxtab{c} {r12}, {r16}, {r0}{rotation}'],
  [0x0ff003f0, 0x06b00070, 'sxtah{c} {r12}, {r16}, {r0}{rotation}'],
  [0x0ff003f0, 0x06e00070, 'uxtab{c} {r12}, {r16}, {r0}{rotation}'],
  [0x0ff003f0, 0x06f00070, 'uxtah{c} {r12}, {r16}, {r0}{rotation}'],
  [0x0fff0ff0, 0x06bf0f30, 'rev{c} {r12}, {r0}'],
  [0x0fff0ff0, 0x06bf0fb0, 'rev16{c} {r12}, {r0}'],
  [0x0fff0ff0, 0x06ff0fb0, 'revsh{c} {r12}, {r0}'],
  [0x0fff0ff0, 0x06ff0f30, 'rbit{c} {r12}, {r0}'],
  [0x0ff00ff0, 0x06800fb0, 'sel{c} {r12}, {r16}, {r0}'],
  [0x0ff00070, 0x06800010, 'pkhbt{c} {r12}, {r16}, {r0}{satShift}'],
  [0x0ff00070, 0x06800050, 'pkhtb{c} {r12}, {r16}, {r0}{satShift}'],
  [0x0fe00030, 0x06a00010, 'ssat{c} {r12}, {satImm}, {r0}{satShift}'],
  [0x0fe00030, 0x06e00010, 'usat{c} {r12}, {satImm}, {r0}{satShift}'],
  ...parallelRows(),
  [0x0ff0f0f0, 0x0710f010, 'sdiv{c} {r16}, {r0}, {r8}'],
  [0x0ff0f0f0, 0x0730f010, 'udiv{c} {r16}, {r0}, {r8}'],
  [0x0ff0f0d0, 0x0750f010, 'smmul{round}{c} {r16}, {r0}, {r8}'],
  [0x0ff000d0, 0x07500010, 'smmla{round}{c} {r16}, {r0}, {r8}, {r12}'],
  [0x0ff000d0, 0x075000d0, 'smmls{round}{c} {r16}, {r0}, {r8}, {r12}'],
  [0x0ff0f0d0, 0x0700f010, 'smuad{x}{c} {r16}, {r0}, {r8}'],
  [0x0ff0f0d0, 0x0700f050, 'smusd{x}{c} {r16}, {r0}, {r8}'],
  [0x0ff000d0, 0x07000010, 'smlad{x}{c} {r16}, {r0}, {r8}, {r12}'],
  [0x0ff000d0, 0x07000050, 'smlsd{x}{c} {r16}, {r0}, {r8}, {r12}'],
  [0x0ff000d0, 0x07400010, 'smlald{x}{c} {r12}, {r16}, {r0}, {r8}'],
  [0x0ff000d0, 0x07400050, 'smlsld{x}{c} {r12}, {r16}, {r0}, {r8}'],
  [0x0ff0f0f0, 0x0780f010, 'usad8{c} {r16}, {r0}, {r8}'],
  [0x0ff000f0, 0x07800010, 'usada8{c} {r16}, {r0}, {r8}, {r12}'],
  [0x0fe00070, 0x07a00050, 'sbfx{c} {r12}, {r0}, {lsb}, {extractWidth}'],
  [0x0fe00070, 0x07e00050, 'ubfx{c} {r12}, {r0}, {lsb}, {extractWidth}'],
  [0x0fe0007f, 0x07c0001f, 'bfc{c} {r12}, {lsb}, {insertWidth}'],
  [0x0fe00070, 0x07c00010, 'bfi{c} {r12}, {r0}, {lsb}, {insertWidth}'],
  [0x0e000010, 0x06000010, ''],
  // Word and unsigned byte loads and stores.
  [0x0fff0fff, 0x052d0004, 'push{c} {{r12}}'],
  [0x0fff0fff, 0x049d0004, 'pop{c} {{r12}}'],
  [0x0d700000, 0x04200000, 'strt{c} {r12}, {wordAddress}'],
  [0x0d700000, 0x04300000, 'ldrt{c} {r12}, {wordAddress}'],
  [0x0d700000, 0x04600000, 'strbt{c} {r12}, {wordAddress}'],
  [0x0d700000, 0x04700000, 'ldrbt{c} {r12}, {wordAddress}'],
  [0x0c500000, 0x04000000, 'str{c} {r12}, {wordAddress}'],
  [0x0c500000, 0x04100000, 'ldr{c} {r12}, {wordAddress}'],
  [0x0c500000, 0x04400000, 'strb{c} {r12}, {wordAddress}'],
  [0x0c500000, 0x04500000, 'ldrb{c} {r12}, {wordAddress}'],
  // Load/store multiple.
  [0x0fff0000, 0x092d0000, 'push{c} {list}'],
  [0x0fff0000, 0x08bd0000, 'pop{c} {list}'],
  [0x0f900000, 0x08000000, 'stmda{c} {r16}{wb}, {list}'],
  [0x0f900000, 0x08100000, 'ldmda{c} {r16}{wb}, {list}'],
  [0x0fb00000, 0x08a00000, 'stmia{c} {r16}!, {list}'],
  [0x0ff00000, 0x08c00000, 'stmia{c} {r16}, {list}'],
  [0x0f900000, 0x08800000, 'stm{c} {r16}{wb}, {list}'],
  [0x0f900000, 0x08900000, 'ldm{c} {r16}{wb}, {list}'],
  [0x0f900000, 0x09000000, 'stmdb{c} {r16}{wb}, {list}'],
  [0x0f900000, 0x09100000, 'ldmdb{c} {r16}{wb}, {list}'],
  [0x0f900000, 0x09800000, 'stmib{c} {r16}{wb}, {list}'],
  [0x0f900000, 0x09900000, 'ldmib{c} {r16}{wb}, {list}'],
  [0x0f000000, 0x0a000000, 'b{c} {target}'],
  [0x0f000000, 0x0b000000, 'bl{c} {target}'],
  [0x0f000000, 0x0f000000, 'svc{c} {swi}'],
  ...VFP_ROWS,
  ...NEON_TRANSFER_ROWS,
  ...COPROCESSOR_ROWS,
  // Coprocessors 8 and 9 are reserved; 10 and 11 are the VFP rows above (the rest of their space is Advanced SIMD).
  [0x0f000e10, 0x0e000810, ''],
  [0x0f000e10, 0x0e000a10, ''],
  [0x0f100010, 0x0e000010, 'mcr{c} {cp}, {opc1}, {r12}, {crn}, {crm}, {{opc2}}'],
  [0x0f100010, 0x0e100010, 'mrc{c} {cp}, {opc1}, {mrcTarget}, {crn}, {crm}, {{opc2}}'],
];

const TABLE = compileTable(A32_ROWS, A32_PRINTERS);

/** objdump-style text of the A32 instruction `word` at `address`. */
export function disassembleA32(word: number, address: number): string {
  const row = lookup(TABLE(), word);
  const fields: Fields = { word, address, itCondition: '', inIt: false };
  const text = row?.print(fields) ?? '';
  return text === '' ? undefinedText(word, 8) : text;
}
