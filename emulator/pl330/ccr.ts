// The channel control register (CCR) as data: the register view, the assembler's symbolic DMAMOV CCR operands,
// the disassembler and hover tables all read these fields. Bit positions: pl330-isa.md §4 (GBATEK, QEMU, UG585, LNX).

export type CcrFieldName = 'SAI' | 'SS' | 'SB' | 'SP' | 'SC' | 'DAI' | 'DS' | 'DB' | 'DP' | 'DC' | 'ES';

/** How the assembler writes a field's value: a burst length, a size in bits, an increment flag or a raw number. */
export type CcrValueForm = 'length' | 'sizeBits' | 'incFlag' | 'raw';

export interface CcrField {
  readonly name: CcrFieldName;
  readonly shift: number;
  readonly bits: number;
  /** Assembler keyword prefix (SB, SS, SA, SP, SC, DB, DS, DA, DP, DC, ES). */
  readonly keyword: string;
  readonly form: CcrValueForm;
  /** Field value when the keyword is omitted (ARM's assembler defaults: SB1 SS8 SAI DB1 DS8 DAI ES8). */
  readonly defaultValue: number;
  readonly description: string;
}

export const CCR_FIELDS: readonly CcrField[] = [
  { name: 'SAI', shift: 0, bits: 1, keyword: 'SA', form: 'incFlag', defaultValue: 1, description: 'source address increment (SAI) or fixed (SAF)' },
  { name: 'SS', shift: 1, bits: 3, keyword: 'SS', form: 'sizeBits', defaultValue: 0, description: 'source beat size: 2^SS bytes' },
  { name: 'SB', shift: 4, bits: 4, keyword: 'SB', form: 'length', defaultValue: 0, description: 'source burst length: SB + 1 beats' },
  { name: 'SP', shift: 8, bits: 3, keyword: 'SP', form: 'raw', defaultValue: 0, description: 'source ARPROT: bit0 privileged, bit1 non-secure, bit2 instruction' },
  { name: 'SC', shift: 11, bits: 3, keyword: 'SC', form: 'raw', defaultValue: 0, description: 'source ARCACHE[2:0]' },
  { name: 'DAI', shift: 14, bits: 1, keyword: 'DA', form: 'incFlag', defaultValue: 1, description: 'destination address increment (DAI) or fixed (DAF)' },
  { name: 'DS', shift: 15, bits: 3, keyword: 'DS', form: 'sizeBits', defaultValue: 0, description: 'destination beat size: 2^DS bytes' },
  { name: 'DB', shift: 18, bits: 4, keyword: 'DB', form: 'length', defaultValue: 0, description: 'destination burst length: DB + 1 beats' },
  { name: 'DP', shift: 22, bits: 3, keyword: 'DP', form: 'raw', defaultValue: 0, description: 'destination AWPROT: bit0 privileged, bit1 non-secure, bit2 instruction' },
  { name: 'DC', shift: 25, bits: 3, keyword: 'DC', form: 'raw', defaultValue: 0, description: 'destination AWCACHE[0], AWCACHE[1], AWCACHE[3]' },
  { name: 'ES', shift: 28, bits: 3, keyword: 'ES', form: 'sizeBits', defaultValue: 0, description: 'endian swap size: 0 none, 1..4 swap within 16..128-bit words' },
];

/** The order the TRM writes the fields in: burst length, beat size, increment, protection, cache; source first. */
const CCR_DISPLAY_ORDER: readonly CcrField[] = ['SB', 'SS', 'SAI', 'SP', 'SC', 'DB', 'DS', 'DAI', 'DP', 'DC', 'ES'].map(
  (name) => CCR_FIELDS.find((f) => f.name === name)!,
);

/** Largest defined encoding of SS, DS and ES (16-byte beats, 128-bit swap); 5..7 are reserved. */
export const MAX_SIZE_CODE = 4;

export const CCR_DEFAULT = CCR_FIELDS.reduce((acc, f) => acc | (f.defaultValue << f.shift), 0) >>> 0;

export function ccrField(ccr: number, field: CcrField): number {
  return (ccr >>> field.shift) & ((1 << field.bits) - 1);
}

export function ccrFieldByName(name: CcrFieldName): CcrField {
  const field = CCR_FIELDS.find((f) => f.name === name);
  if (!field) throw new Error(`no CCR field ${name}`);
  return field;
}

/** Decoded CCR, in the units a person reads. */
export interface CcrDecoded {
  readonly srcInc: boolean;
  readonly srcBeatBytes: number;
  readonly srcBurstLen: number;
  readonly srcProt: number;
  readonly srcCache: number;
  readonly dstInc: boolean;
  readonly dstBeatBytes: number;
  readonly dstBurstLen: number;
  readonly dstProt: number;
  readonly dstCache: number;
  readonly swapBytes: number;
}

/** The fields by name, for code that reads them (looked up once). */
export const CCR: Readonly<Record<CcrFieldName, CcrField>> = Object.fromEntries(CCR_FIELDS.map((f) => [f.name, f])) as Record<CcrFieldName, CcrField>;

export function decodeCcr(ccr: number): CcrDecoded {
  const swap = ccrField(ccr, CCR.ES);
  return {
    srcInc: ccrField(ccr, CCR.SAI) !== 0,
    srcBeatBytes: 1 << ccrField(ccr, CCR.SS),
    srcBurstLen: ccrField(ccr, CCR.SB) + 1,
    srcProt: ccrField(ccr, CCR.SP),
    srcCache: ccrField(ccr, CCR.SC),
    dstInc: ccrField(ccr, CCR.DAI) !== 0,
    dstBeatBytes: 1 << ccrField(ccr, CCR.DS),
    dstBurstLen: ccrField(ccr, CCR.DB) + 1,
    dstProt: ccrField(ccr, CCR.DP),
    dstCache: ccrField(ccr, CCR.DC),
    swapBytes: swap === 0 ? 0 : 1 << swap,
  };
}

/** The textual keyword for one field value, e.g. SB16, SS64, SAF, SP2, ES32; undefined for reserved values. */
export function ccrKeyword(field: CcrField, value: number): string | undefined {
  switch (field.form) {
    case 'incFlag':
      return `${field.keyword}${value ? 'I' : 'F'}`;
    case 'length':
      return `${field.keyword}${value + 1}`;
    case 'sizeBits':
      return value > MAX_SIZE_CODE ? undefined : `${field.keyword}${8 << value}`;
    case 'raw':
      return `${field.keyword}${value}`;
  }
}

/**
 * CCR as assembler keywords: the source and destination burst shape always, protection, cache and swap only when
 * set. Undefined when the value uses reserved encodings (the caller prints a number instead).
 */
export function formatCcr(ccr: number): string | undefined {
  if ((ccr & 0x80000000) !== 0) return undefined;
  const parts: string[] = [];
  for (const field of CCR_DISPLAY_ORDER) {
    const value = ccrField(ccr, field);
    const word = ccrKeyword(field, value);
    if (word === undefined) return undefined;
    const always = field.form !== 'raw' && field.name !== 'ES';
    if (always || value !== 0) parts.push(word);
  }
  return parts.join(' ');
}
