// Stack unwinding by the ARM exception-handling ABI tables (.ARM.exidx, .ARM.extab): the C library has no
// .debug_frame, but every function of it has an index entry whose unwind opcodes restore its caller's registers; a
// Linux kernel built with CONFIG_ARM_UNWIND carries the same tables in its image. Written from the "Exception
// Handling ABI for the ARM Architecture" (EHABI), section 10 (the ARM-defined personality routines and their unwind
// instructions). The tables are read word by word through a reader: an ELF file's sections, or a machine's memory.
import { elfSections, type Section } from './dwarf-line';

const SP = 13;
const LR = 14;
const PC = 15;
/** The index entry's second word for a function whose frames cannot be unwound (EXIDX_CANTUNWIND). */
export const CANT_UNWIND = 1;
const ENTRY_BYTES = 8;

/** A word at an address, or undefined where nothing can be read. */
export type ReadWord = (address: number) => number | undefined;

/** A 31-bit place-relative offset (prel31) at `at` → the address it points to. */
export const prel31 = (word: number, at: number): number => (((word << 1) >> 1) + at) >>> 0;

/** One index entry: the function it starts at, and where its unwind data word is. */
export interface ExidxEntry {
  readonly functionStart: number;
  readonly dataAt: number;
}

/** An index table of 8-byte entries at [start, end), sorted by function address, read through `read`. */
export class ExidxIndex {
  constructor(readonly start: number, readonly end: number, private readonly read: ReadWord) {}

  get entries(): number {
    return Math.max(0, Math.floor((this.end - this.start) / ENTRY_BYTES));
  }

  private functionStart(i: number): number | undefined {
    const at = this.start + i * ENTRY_BYTES;
    const word = this.read(at);
    return word === undefined ? undefined : prel31(word, at);
  }

  /** The entry of the function holding `pc`: the last one starting at or before it. */
  entryFor(pc: number): ExidxEntry | undefined {
    let lo = 0;
    let hi = this.entries - 1;
    let found: ExidxEntry | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const start = this.functionStart(mid);
      if (start === undefined) return undefined;
      if (start <= pc) {
        found = { functionStart: start, dataAt: this.start + mid * ENTRY_BYTES + 4 };
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The unwind opcode bytes of an entry (inline, or in .ARM.extab with the compact model); undefined where the
   * function cannot be unwound (EXIDX_CANTUNWIND, a generic personality routine, unreadable data). */
  opcodes(entry: ExidxEntry): number[] | undefined {
    const data = this.read(entry.dataAt);
    if (data === undefined || data === CANT_UNWIND) return undefined;
    if (data >>> 31) return compactOpcodes(data, []);
    const tableAt = prel31(data, entry.dataAt);
    const first = this.read(tableAt);
    if (first === undefined || !(first >>> 31)) return undefined; // a generic personality routine: not decoded
    const extra: number[] = [];
    if (((first >>> 24) & 0xf) !== 0) {
      for (let i = 1; i <= ((first >>> 16) & 0xff); i++) {
        const w = this.read(tableAt + 4 * i);
        if (w === undefined) return undefined;
        extra.push(w);
      }
    }
    return compactOpcodes(first, extra);
  }

  /** The caller's registers, or undefined where the table says nothing or the unwinding cannot be done. */
  unwind(regs: readonly number[], pc: number, read32: ReadWord): number[] | undefined {
    const entry = this.entryFor(pc);
    const opcodes = entry && this.opcodes(entry);
    return opcodes && executeUnwind(opcodes, regs, read32);
  }
}

/** The .ARM.exidx index of an ELF file, read from the file's bytes at the addresses its sections load at. */
export class ExidxTable extends ExidxIndex {
  constructor(elf: Uint8Array) {
    const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
    const sections = elfSections(elf);
    const loaded = ['.ARM.exidx', '.ARM.extab'].map((name) => sections.get(name)).filter((s): s is Section => s !== undefined);
    const word = (address: number): number | undefined => {
      const s = loaded.find((l) => address >= l.address && address + 4 <= l.address + l.size);
      return s && view.getUint32(s.offset + address - s.address, true);
    };
    const exidx = sections.get('.ARM.exidx');
    super(exidx?.address ?? 0, exidx ? exidx.address + exidx.size : 0, word);
  }
}

/**
 * Opcode bytes of a compact-model entry (the word has bit 31 set): personality routine 0 holds three opcodes in its
 * word, routines 1 and 2 two, then four in each of `extra` (the words counted by the second byte). Undefined for the
 * routines the EHABI reserves (3 to 15).
 */
export function compactOpcodes(word: number, extra: readonly number[]): number[] | undefined {
  const index = (word >>> 24) & 0xf;
  const bytes = index === 0 ? [word >>> 16, word >>> 8, word] : index <= 2 ? [word >>> 8, word] : undefined;
  if (!bytes) return undefined;
  for (const w of extra) bytes.push(w >>> 24, w >>> 16, w >>> 8, w);
  return bytes.map((b) => b & 0xff);
}

/**
 * Runs unwind opcodes on a copy of `regs` (r0-r15; vsp starts at r13): the caller's registers, its PC the popped
 * r15 or else r14. Undefined where an opcode refuses to unwind (pop under a zero mask), is spare, or reads memory
 * that cannot be read.
 */
export function executeUnwind(ops: readonly number[], regs: readonly number[], read32: ReadWord): number[] | undefined {
  const out = [...regs];
  let vsp = regs[SP] >>> 0;
  let pcSet = false;
  const pop = (register: number): boolean => {
    const value = read32(vsp);
    if (value === undefined) return false;
    out[register] = value >>> 0;
    vsp = (vsp + 4) >>> 0;
    if (register === PC) pcSet = true;
    return true;
  };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if ((op & 0xc0) === 0x00) vsp += ((op & 0x3f) << 2) + 4;
    else if ((op & 0xc0) === 0x40) vsp -= ((op & 0x3f) << 2) + 4;
    else if ((op & 0xf0) === 0x80) {
      const mask = ((op & 0x0f) << 8) | (ops[++i] ?? 0);
      if (mask === 0) return undefined; // refuse to unwind
      for (let r = 0; r < 12; r++) if (mask & (1 << r) && !pop(4 + r)) return undefined;
      // A popped r13 becomes vsp once the whole instruction is done.
      if (mask & (1 << (SP - 4))) vsp = out[SP];
    } else if ((op & 0xf0) === 0x90) {
      const n = op & 0x0f;
      if (n === SP || n === PC) return undefined; // reserved
      vsp = out[n];
    } else if ((op & 0xf0) === 0xa0) {
      for (let r = 4; r <= 4 + (op & 7); r++) if (!pop(r)) return undefined;
      if (op & 8 && !pop(LR)) return undefined;
    } else if (op === 0xb0) break; // finish
    else if (op === 0xb1) {
      const mask = ops[++i] ?? 0;
      if (mask === 0 || mask & 0xf0) return undefined; // spare
      for (let r = 0; r < 4; r++) if (mask & (1 << r) && !pop(r)) return undefined;
    } else if (op === 0xb2) {
      let value = 0;
      let shift = 0;
      for (;;) {
        const b = ops[++i];
        if (b === undefined) return undefined;
        value += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (!(b & 0x80)) break;
      }
      vsp += 0x204 + value * 4;
    } else if (op === 0xb3) vsp += ((ops[++i] & 0xf) + 1) * 8 + 4; // VFP registers saved by FSTMFDX
    else if ((op & 0xf8) === 0xb8) vsp += ((op & 7) + 1) * 8 + 4;
    else if (op === 0xc8 || op === 0xc9) vsp += ((ops[++i] & 0xf) + 1) * 8; // VFP registers saved by VPUSH
    else if ((op & 0xf8) === 0xd0) vsp += ((op & 7) + 1) * 8;
    else return undefined; // iWMMX and spare opcodes
    vsp >>>= 0;
  }
  out[SP] = vsp >>> 0;
  if (!pcSet) out[PC] = out[LR];
  out[PC] = (out[PC] & ~1) >>> 0;
  return out;
}
