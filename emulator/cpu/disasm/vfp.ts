// VFPv3 encodings (ARM ARM A7: floating-point data processing, extension register load/store, 8/16/32/64-bit
// transfers between core and extension registers). The same words in A32 (under a condition field) and T32 (first
// halfword 0xeXXX), so one row list serves both instruction sets, compiled with each set's condition printer.
import { bit, bits, reg, type FieldPrinter } from './format';

const dRegister = (n: number, high: number): string => `d${(high << 4) | n}`;
const sRegister = (n: number, low: number): string => `s${(n << 1) | low}`;

/** Coprocessor-space fields; D or S register by the size bit (bit 8): `{vd}`, `{vn}`, `{vm}`. */
export const VFP_PRINTERS: Record<string, FieldPrinter> = {
  dt: (f) => (bit(f.word, 8) ? 'f64' : 'f32'),
  vd: (f) => (bit(f.word, 8) ? dRegister(bits(f.word, 15, 12), bit(f.word, 22)) : sRegister(bits(f.word, 15, 12), bit(f.word, 22))),
  vn: (f) => (bit(f.word, 8) ? dRegister(bits(f.word, 19, 16), bit(f.word, 7)) : sRegister(bits(f.word, 19, 16), bit(f.word, 7))),
  vm: (f) => (bit(f.word, 8) ? dRegister(bits(f.word, 3, 0), bit(f.word, 5)) : sRegister(bits(f.word, 3, 0), bit(f.word, 5))),
  /** The other precision's register for VCVT between f32 and f64. */
  vdOther: (f) => (bit(f.word, 8) ? sRegister(bits(f.word, 15, 12), bit(f.word, 22)) : dRegister(bits(f.word, 15, 12), bit(f.word, 22))),
  dtOther: (f) => (bit(f.word, 8) ? 'f32' : 'f64'),
  sd: (f) => sRegister(bits(f.word, 15, 12), bit(f.word, 22)),
  sm: (f) => sRegister(bits(f.word, 3, 0), bit(f.word, 5)),
  sn: (f) => sRegister(bits(f.word, 19, 16), bit(f.word, 7)),
  dm: (f) => dRegister(bits(f.word, 3, 0), bit(f.word, 5)),
  dn: (f) => dRegister(bits(f.word, 19, 16), bit(f.word, 7)),
  /** Register pair in VMOV between two core registers and a D register or two S registers. */
  smPair: (f) => `${sRegister(bits(f.word, 3, 0), bit(f.word, 5))}, ${sRegister(bits(f.word, 3, 0) + (bit(f.word, 5) ? 1 : 0), bit(f.word, 5) ? 0 : 1)}`,
  fpImm: (f) => `#${(bits(f.word, 19, 16) << 4) | bits(f.word, 3, 0)}`,
  cvtFrom: (f) => (bit(f.word, 7) ? 's32' : 'u32'),
  cvtTo: (f) => (bit(f.word, 16) ? 's32' : 'u32'),
  /** `[r3, #-8]` of VLDR/VSTR (an offset of 0 printed as no offset). */
  vAddress: (f) => {
    const offset = (f.word & 0xff) * 4;
    const base = reg(bits(f.word, 19, 16));
    if (offset === 0 && bit(f.word, 23)) return `[${base}]`;
    return `[${base}, #${bit(f.word, 23) ? '' : '-'}${offset}]`;
  },
  /** `{d8-d15}` or `{s16-s19}` of VLDM/VSTM/VPUSH/VPOP (invalid past d31/s31, or over 16 D registers). */
  vList: (f) => {
    const double = bit(f.word, 8) === 1;
    const imm8 = f.word & 0xff;
    const first = double ? (bit(f.word, 22) << 4) | bits(f.word, 15, 12) : (bits(f.word, 15, 12) << 1) | bit(f.word, 22);
    const count = double ? imm8 >> 1 : imm8;
    if (count === 0 || first + count > 32 || (double && count > 16)) return null;
    const prefix = double ? 'd' : 's';
    return count === 1 ? `{${prefix}${first}}` : `{${prefix}${first}-${prefix}${first + count - 1}}`;
  },
  fpscrReg: (f) => (bits(f.word, 15, 12) === 15 ? 'APSR_nzcv' : reg(bits(f.word, 15, 12))),
  /** LDC/STC addressing: `[r0, #-8]!`, `[r0], #8`, or unindexed `[r0], {imm8}`. */
  cpAddress: (f) => {
    const base = reg(bits(f.word, 19, 16));
    const offset = `#${bit(f.word, 23) ? '' : '-'}${(f.word & 0xff) * 4}`;
    if (bit(f.word, 24)) return (f.word & 0xff) === 0 && bit(f.word, 23) ? `[${base}]${bit(f.word, 21) ? '!' : ''}` : `[${base}, ${offset}]${bit(f.word, 21) ? '!' : ''}`;
    return bit(f.word, 21) ? `[${base}], ${offset}` : `[${base}], {${f.word & 0xff}}`;
  },
  /** FPA precision of LDF/STF: single, double, extended, packed (bits 22 and 15). */
  fpaPrecision: (f) => 'sdep'[(bit(f.word, 22) << 1) | bit(f.word, 15)],
  fpaRegister: (f) => `f${bits(f.word, 14, 12)}`,
  cpd: (f) => `cr${bits(f.word, 15, 12)}`,
  long: (f) => (bit(f.word, 22) ? 'l' : ''),
  // MCR/MRC fields (the same bits in A32 and T32).
  cp: (f) => String(bits(f.word, 11, 8)),
  opc1: (f) => String(bits(f.word, 23, 21)),
  crn: (f) => `cr${bits(f.word, 19, 16)}`,
  crm: (f) => `cr${f.word & 15}`,
  opc2: (f) => String(bits(f.word, 7, 5)),
  mrcTarget: (f) => (bits(f.word, 15, 12) === 15 ? 'APSR_nzcv' : reg(f.word >>> 12)),
  vmovLane: (f) => `${dRegister(bits(f.word, 19, 16), bit(f.word, 7))}[${bit(f.word, 21)}]`,
};

/** Coprocessor loads and stores outside VFP: FPA's LDF/STF (coprocessor 1), as objdump names them. */
export const COPROCESSOR_ROWS: readonly (readonly [number, number, string])[] = [
  [0x0e100f00, 0x0c000100, 'stf{c}{fpaPrecision} {fpaRegister}, {cpAddress}'],
  [0x0e100f00, 0x0c100100, 'ldf{c}{fpaPrecision} {fpaRegister}, {cpAddress}'],
];

/** Rows without the condition field (bits 31:28 are the caller's): [mask, value, format]. */
export const VFP_ROWS: readonly (readonly [number, number, string])[] = [
  // Data processing (bits 27:24 = 1110, bit 4 = 0, coprocessor 10/11).
  [0x0fb00e50, 0x0e000a00, 'vmla{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e000a40, 'vmls{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e100a00, 'vnmls{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e100a40, 'vnmla{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e200a00, 'vmul{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e200a40, 'vnmul{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e300a00, 'vadd{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e300a40, 'vsub{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e800a00, 'vdiv{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e900a00, 'vfnms{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0e900a40, 'vfnma{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0ea00a00, 'vfma{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00e50, 0x0ea00a40, 'vfms{c}.{dt} {vd}, {vn}, {vm}'],
  [0x0fb00ef0, 0x0eb00a00, 'vmov{c}.{dt} {vd}, {fpImm}'],
  [0x0fbf0ed0, 0x0eb00a40, 'vmov{c}.{dt} {vd}, {vm}'],
  [0x0fbf0ed0, 0x0eb00ac0, 'vabs{c}.{dt} {vd}, {vm}'],
  [0x0fbf0ed0, 0x0eb10a40, 'vneg{c}.{dt} {vd}, {vm}'],
  [0x0fbf0ed0, 0x0eb10ac0, 'vsqrt{c}.{dt} {vd}, {vm}'],
  [0x0fbf0ed0, 0x0eb40a40, 'vcmp{c}.{dt} {vd}, {vm}'],
  [0x0fbf0ed0, 0x0eb40ac0, 'vcmpe{c}.{dt} {vd}, {vm}'],
  [0x0fbf0eff, 0x0eb50a40, 'vcmp{c}.{dt} {vd}, #0.0'],
  [0x0fbf0eff, 0x0eb50ac0, 'vcmpe{c}.{dt} {vd}, #0.0'],
  [0x0fbf0ed0, 0x0eb70ac0, 'vcvt{c}.{dtOther}.{dt} {vdOther}, {vm}'],
  [0x0fbf0e50, 0x0eb80a40, 'vcvt{c}.{dt}.{cvtFrom} {vd}, {sm}'],
  [0x0fbe0ed0, 0x0ebc0ac0, 'vcvt{c}.{cvtTo}.{dt} {sd}, {vm}'],
  [0x0fbe0ed0, 0x0ebc0a40, 'vcvtr{c}.{cvtTo}.{dt} {sd}, {vm}'],
  // Transfers between core and extension registers.
  [0x0ff00f7f, 0x0e000a10, 'vmov{c} {sn}, {r12}'],
  [0x0ff00f7f, 0x0e100a10, 'vmov{c} {r12}, {sn}'],
  [0x0fff0fff, 0x0ee10a10, 'vmsr{c} fpscr, {r12}'],
  [0x0fff0fff, 0x0ef10a10, 'vmrs{c} {fpscrReg}, fpscr'],
  [0x0fd00f7f, 0x0e000b10, 'vmov{c}.32 {vmovLane}, {r12}'],
  [0x0fd00f7f, 0x0e100b10, 'vmov{c}.32 {r12}, {vmovLane}'],
  [0x0ff00fd0, 0x0c400b10, 'vmov{c} {dm}, {r12}, {r16}'],
  [0x0ff00fd0, 0x0c500b10, 'vmov{c} {r12}, {r16}, {dm}'],
  [0x0ff00fd0, 0x0c400a10, 'vmov{c} {smPair}, {r12}, {r16}'],
  [0x0ff00fd0, 0x0c500a10, 'vmov{c} {r12}, {r16}, {smPair}'],
  // Extension register load/store.
  [0x0f300e00, 0x0d000a00, 'vstr{c} {vd}, {vAddress}'],
  [0x0f300e00, 0x0d100a00, 'vldr{c} {vd}, {vAddress}'],
  [0x0fbf0e00, 0x0d2d0a00, 'vpush{c} {vList}'],
  [0x0fbf0e00, 0x0cbd0a00, 'vpop{c} {vList}'],
  // FLDMX/FSTMX: the D-register form with an odd word count (the format-1 transfer).
  [0x0fb00f01, 0x0c800b01, 'fstmiax{c} {r16}, {vList}'],
  [0x0fb00f01, 0x0ca00b01, 'fstmiax{c} {r16}!, {vList}'],
  [0x0fb00f01, 0x0c900b01, 'fldmiax{c} {r16}, {vList}'],
  [0x0fb00f01, 0x0cb00b01, 'fldmiax{c} {r16}!, {vList}'],
  [0x0fb00f01, 0x0d200b01, 'fstmdbx{c} {r16}!, {vList}'],
  [0x0fb00f01, 0x0d300b01, 'fldmdbx{c} {r16}!, {vList}'],
  [0x0fb00e00, 0x0c800a00, 'vstmia{c} {r16}, {vList}'],
  [0x0fb00e00, 0x0ca00a00, 'vstmia{c} {r16}!, {vList}'],
  [0x0fb00e00, 0x0c900a00, 'vldmia{c} {r16}, {vList}'],
  [0x0fb00e00, 0x0cb00a00, 'vldmia{c} {r16}!, {vList}'],
  [0x0fb00e00, 0x0d200a00, 'vstmdb{c} {r16}!, {vList}'],
  [0x0fb00e00, 0x0d300a00, 'vldmdb{c} {r16}!, {vList}'],
];
