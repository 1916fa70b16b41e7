// The Advanced SIMD (NEON) instructions the C library's string routines use (VLD1/VST1 of whole registers, VDUP from
// a core register, bitwise and compare/pairwise-add on bytes): dmalab's CPU does not execute NEON (AT_HWCAP does not
// advertise it), but the disassembly names them as objdump does. Rows are in A32 form; `thumbRow` moves them to T32.
import { bit, bits, reg, type FieldPrinter } from './format';

const vector = (n: number, high: number, quad: boolean): string => (quad ? `q${((high << 4) | n) >> 1}` : `d${(high << 4) | n}`);

export const NEON_PRINTERS: Record<string, FieldPrinter> = {
  qd: (f) => vector(bits(f.word, 15, 12), bit(f.word, 22), bit(f.word, 6) === 1),
  qn: (f) => vector(bits(f.word, 19, 16), bit(f.word, 7), bit(f.word, 6) === 1),
  qm: (f) => vector(bits(f.word, 3, 0), bit(f.word, 5), bit(f.word, 6) === 1),
  /** VORR of a register with itself is VMOV. */
  orrOrMove: (f) => {
    const same = bits(f.word, 19, 16) === bits(f.word, 3, 0) && bit(f.word, 7) === bit(f.word, 5);
    return same ? `vmov ${NEON_PRINTERS.qd(f)}, ${NEON_PRINTERS.qm(f)}` : `vorr ${NEON_PRINTERS.qd(f)}, ${NEON_PRINTERS.qn(f)}, ${NEON_PRINTERS.qm(f)}`;
  },
  size: (f) => String(8 << bits(f.word, 21, 20)),
  loadSize: (f) => String(8 << bits(f.word, 7, 6)),
  /** VDUP's element size from b:e (bits 22 and 5). */
  dupSize: (f) => ['32', '16', '8', ''][(bit(f.word, 22) << 1) | bit(f.word, 5)],
  dupTarget: (f) => vector(bits(f.word, 19, 16), bit(f.word, 7), bit(f.word, 21) === 1),
  /** `{d0-d3}` of a VLD1/VST1 multiple by its type field (1 to 4 registers). */
  loadList: (f) => {
    const first = (bit(f.word, 22) << 4) | bits(f.word, 15, 12);
    const count = { 7: 1, 10: 2, 6: 3, 2: 4 }[bits(f.word, 11, 8)]!;
    return count === 1 ? `{d${first}}` : `{d${first}-d${first + count - 1}}`;
  },
  /** `[r1 :64]!`, `[r1], r2`. */
  loadAddress: (f) => {
    const align = bits(f.word, 5, 4);
    const rm = f.word & 15;
    const base = `[${reg(f.word >>> 16)}${align === 0 ? '' : ` :${32 << align}`}]`;
    return rm === 15 ? base : rm === 13 ? `${base}!` : `${base}, ${reg(rm)}`;
  },
};

export const NEON_ROWS: readonly (readonly [number, number, string])[] = [
  [0xffb00f10, 0xf2000110, 'vand {qd}, {qn}, {qm}'],
  [0xffb00f10, 0xf2200110, '{orrOrMove}'],
  [0xff800f10, 0xf3000810, 'vceq.i{size} {qd}, {qn}, {qm}'],
  [0xff800f50, 0xf2000b10, 'vpadd.i{size} {qd}, {qn}, {qm}'],
  // VLD1/VST1 (multiple single elements) of 1, 2, 3 and 4 registers; 1 and 3 registers allow no 128-bit alignment.
  ...[0x700, 0xa00, 0x600, 0x200].flatMap((type): [number, number, string][] => {
    const mask = type === 0x700 || type === 0x600 ? 0xffb00f20 : 0xffb00f00;
    return [[mask, 0xf4200000 | type, 'vld1.{loadSize} {loadList}, {loadAddress}'], [mask, 0xf4000000 | type, 'vst1.{loadSize} {loadList}, {loadAddress}']];
  }),
];

/** Row of the VFP-space NEON transfers (conditional in A32). */
export const NEON_TRANSFER_ROWS: readonly (readonly [number, number, string])[] = [
  [0x0f900f5f, 0x0e800b10, 'vdup{c}.{dupSize} {dupTarget}, {r12}'],
];

/** An A32 Advanced SIMD row as T32 encodes it: data processing 1111001U → 111U1111, element loads 11110100 → 11111001. */
export function thumbRow([mask, value, format]: readonly [number, number, string]): [number, number, string] {
  const low = (value & 0x00ffffff) >>> 0;
  if (value >>> 24 === 0xf4) return [mask, (low | 0xf9000000) >>> 0, format];
  const unsigned = bit(value, 24);
  return [mask, (low | 0xef000000 | (unsigned << 28)) >>> 0, format];
}
