// Stack unwinding by the ARM exception-handling ABI tables (.ARM.exidx, .ARM.extab): the C library has no
// .debug_frame, but every function of it has an index entry whose unwind opcodes restore its caller's registers.
// Written from the "Exception Handling ABI for the ARM Architecture" (EHABI), section 10 (the ARM-defined
// personality routines and their unwind instructions).
import { elfSections, type Section } from './dwarf-line';

const SP = 13;
const LR = 14;
const PC = 15;
const CANT_UNWIND = 1;

/** A 31-bit place-relative offset (prel31) at `at` → the address it points to. */
const prel31 = (word: number, at: number): number => (((word << 1) >> 1) + at) >>> 0;

export class ExidxTable {
  /** Function start addresses (ascending) and the address of each one's unwind data word. */
  private readonly starts: number[] = [];
  private readonly dataAt: number[] = [];
  private readonly view: DataView;
  private readonly loaded: Section[] = [];

  constructor(elf: Uint8Array) {
    this.view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
    const sections = elfSections(elf);
    const exidx = sections.get('.ARM.exidx');
    for (const name of ['.ARM.exidx', '.ARM.extab']) {
      const s = sections.get(name);
      if (s) this.loaded.push(s);
    }
    if (!exidx) return;
    for (let at = 0; at + 8 <= exidx.size; at += 8) {
      const address = exidx.address + at;
      this.starts.push(prel31(this.view.getUint32(exidx.offset + at, true), address));
      this.dataAt.push(address + 4);
    }
  }

  /** The word at a loaded address of the index or table sections. */
  private word(address: number): number | undefined {
    const s = this.loaded.find((l) => address >= l.address && address + 4 <= l.address + l.size);
    return s && this.view.getUint32(s.offset + address - s.address, true);
  }

  /** The caller's registers, or undefined where the table says nothing or the unwinding cannot be done. */
  unwind(regs: readonly number[], pc: number, read32: (address: number) => number): number[] | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= pc) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const opcodes = this.opcodes(this.dataAt[found]);
    return opcodes && execute(opcodes, regs, read32);
  }

  /** The unwind opcodes of an index entry (inline, or in .ARM.extab with the compact model). */
  private opcodes(dataAt: number): number[] | undefined {
    const data = this.word(dataAt);
    if (data === undefined || data === CANT_UNWIND) return undefined;
    if (data >>> 31) return compact(data, []);
    const tableAt = prel31(data, dataAt);
    const first = this.word(tableAt);
    if (first === undefined || !(first >>> 31)) return undefined; // a generic personality routine: not decoded
    const extra: number[] = [];
    if (((first >>> 24) & 0xf) !== 0) {
      for (let i = 1; i <= ((first >>> 16) & 0xff); i++) {
        const w = this.word(tableAt + 4 * i);
        if (w === undefined) return undefined;
        extra.push(w);
      }
    }
    return compact(first, extra);
  }
}

/** Opcode bytes of a compact-model entry: index 0 holds three in its word, indexes 1 and 2 two plus more words. */
function compact(word: number, extra: readonly number[]): number[] | undefined {
  const index = (word >>> 24) & 0xf;
  const bytes = index === 0 ? [word >>> 16, word >>> 8, word] : index <= 2 ? [word >>> 8, word] : undefined;
  if (!bytes) return undefined;
  for (const w of extra) bytes.push(w >>> 24, w >>> 16, w >>> 8, w);
  return bytes.map((b) => b & 0xff);
}

function execute(ops: readonly number[], regs: readonly number[], read32: (address: number) => number): number[] | undefined {
  const out = [...regs];
  let vsp = regs[SP];
  let pcSet = false;
  const pop = (register: number): void => {
    out[register] = read32(vsp) >>> 0;
    vsp += 4;
    if (register === PC) pcSet = true;
  };
  try {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if ((op & 0xc0) === 0x00) vsp += ((op & 0x3f) << 2) + 4;
      else if ((op & 0xc0) === 0x40) vsp -= ((op & 0x3f) << 2) + 4;
      else if ((op & 0xf0) === 0x80) {
        const mask = ((op & 0x0f) << 8) | ops[++i];
        if (mask === 0) return undefined; // refuse to unwind
        for (let r = 0; r < 12; r++) if (mask & (1 << r)) pop(4 + r);
      } else if ((op & 0xf0) === 0x90) {
        const n = op & 0x0f;
        if (n === SP || n === PC) return undefined;
        vsp = out[n];
      } else if ((op & 0xf0) === 0xa0) {
        for (let r = 4; r <= 4 + (op & 7); r++) pop(r);
        if (op & 8) pop(LR);
      } else if (op === 0xb0) break;
      else if (op === 0xb1) {
        const mask = ops[++i];
        if (mask === 0 || mask & 0xf0) return undefined;
        for (let r = 0; r < 4; r++) if (mask & (1 << r)) pop(r);
      } else if (op === 0xb2) {
        let value = 0;
        let shift = 0;
        for (;;) {
          const b = ops[++i];
          value += (b & 0x7f) * 2 ** shift;
          shift += 7;
          if (!(b & 0x80)) break;
        }
        vsp += 0x204 + value * 4;
      } else if (op === 0xb3) vsp += ((ops[++i] & 0xf) + 1) * 8 + 4;
      else if ((op & 0xf8) === 0xb8) vsp += ((op & 7) + 1) * 8 + 4;
      else if (op === 0xc8 || op === 0xc9) vsp += ((ops[++i] & 0xf) + 1) * 8;
      else if ((op & 0xf8) === 0xd0) vsp += ((op & 7) + 1) * 8;
      else return undefined; // iWMMX and spare opcodes
      vsp >>>= 0;
    }
  } catch {
    return undefined;
  }
  out[SP] = vsp >>> 0;
  if (!pcSet) out[PC] = out[LR];
  out[PC] = (out[PC] & ~1) >>> 0;
  return out;
}
