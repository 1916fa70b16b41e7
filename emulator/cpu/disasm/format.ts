// The pieces every disassembly table shares: register, condition and shift names as objdump spells them, and the
// operand-format language of the tables. A table row's format is compiled once, at load time, into literal text and
// field printers, so decoding one instruction is a table scan and string concatenation (no parsing, no regexes).

/** The decoded instruction and where it is: what a field printer reads. */
export interface Fields {
  /** The instruction: an A32 word, a 16-bit Thumb halfword, or a 32-bit Thumb pair as (first << 16) | second. */
  readonly word: number;
  readonly address: number;
  /** The condition suffix an enclosing IT block gives a Thumb instruction ('' outside one). */
  readonly itCondition: string;
  readonly inIt: boolean;
}

/** A field's text, or null when the field's value makes the whole encoding invalid (UNPREDICTABLE register
 * ranges, a bitfield whose end is below its start): the instruction then reads as undefined. */
export type FieldPrinter = (f: Fields) => string | null;

export const REGISTER_NAMES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'sl', 'fp', 'ip', 'sp', 'lr', 'pc'];
export const CONDITIONS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', '', ''];
export const SHIFT_NAMES = ['lsl', 'lsr', 'asr', 'ror'];
/** DMB/DSB/ISB options by their 4-bit field. */
export const BARRIER_OPTIONS: Readonly<Record<number, string>> = { 15: 'sy', 14: 'st', 11: 'ish', 10: 'ishst', 7: 'nsh', 6: 'nshst', 3: 'osh', 2: 'oshst' };

export const bits = (word: number, hi: number, lo: number): number => (word >>> lo) & ((1 << (hi - lo + 1)) - 1);
export const bit = (word: number, n: number): number => (word >>> n) & 1;
export const signExtend = (value: number, width: number): number => (value << (32 - width)) >> (32 - width);
export const reg = (n: number): string => REGISTER_NAMES[n & 15];
export const hex = (value: number): string => `0x${(value >>> 0).toString(16)}`;

/** `{r0, r4, lr}`: registers of a 16-bit list, consecutive ones not merged (as objdump prints them). */
export function registerList(list: number): string {
  const names: string[] = [];
  for (let i = 0; i < 16; i++) if (list & (1 << i)) names.push(REGISTER_NAMES[i]);
  return `{${names.join(', ')}}`;
}

/** `, lsl #2` for an immediate shift as decoded by DecodeImmShift (nothing for LSL #0; `, rrx` for ROR #0). */
export function immediateShift(type: number, amount: number): string {
  if (type === 0 && amount === 0) return '';
  if (type === 3 && amount === 0) return ', rrx';
  return `, ${SHIFT_NAMES[type]} #${amount === 0 ? 32 : amount}`;
}

/** A table row: the instruction matches when (word & mask) === value; `format` is mnemonic and operands. */
export interface Row {
  readonly mask: number;
  readonly value: number;
  readonly print: (f: Fields) => string;
}

/** Compiles `"add{s}{c} {r12}, {r16}, {imm}"`: each `{name}` is a printer from `printers`. */
export function compileFormat(format: string, printers: Readonly<Record<string, FieldPrinter>>): (f: Fields) => string {
  const parts: (string | FieldPrinter)[] = [];
  let at = 0;
  while (at < format.length) {
    const open = format.indexOf('{', at);
    if (open < 0) {
      parts.push(format.slice(at));
      break;
    }
    if (open > at) parts.push(format.slice(at, open));
    const close = format.indexOf('}', open);
    const name = format.slice(open + 1, close);
    const printer = printers[name];
    // A `{` not naming a printer is literal text (register lists in fixed formats: `push {r7, lr}`).
    if (printer === undefined) {
      parts.push('{');
      at = open + 1;
      continue;
    }
    parts.push(printer);
    at = close + 1;
  }
  return (f) => {
    let text = '';
    for (const part of parts) {
      const piece = typeof part === 'string' ? part : part(f);
      if (piece === null) return '';
      text += piece;
    }
    return text;
  };
}

/**
 * Rows from `[mask, value, format]` triples, in match order, made and compiled when first looked up (not at start-up:
 * the literal rows alone cost a process 1-1.5 ms, in code V8 runs once).
 */
export function compileTable(rows: () => readonly (readonly [number, number, string])[], printers: Readonly<Record<string, FieldPrinter>>): () => Row[] {
  let table: Row[] | undefined;
  return () => (table ??= rows().map(([mask, value, format]) => ({ mask: mask >>> 0, value: value >>> 0, print: compileFormat(format, printers) })));
}

/** The first row matching `word`, or undefined. */
export function lookup(table: readonly Row[], word: number): Row | undefined {
  for (const row of table) if (((word & row.mask) >>> 0) === row.value) return row;
  return undefined;
}

/** The text of an encoding no row describes. */
export function undefinedText(word: number, digits: number): string {
  return `.inst 0x${(word >>> 0).toString(16).padStart(digits, '0')} ; undefined`;
}
