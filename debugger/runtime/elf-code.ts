// An ARM executable's code as the debugger shows it: its DWARF line table (C source positions), its call frame
// information and symbols (call stacks, expressions), and the disassembly view: A32 or T32 by the ELF's mapping
// symbols (by CPSR.T where there are none), literal pools as data, decoded from the process's memory.
import { dirname, resolve } from 'node:path';
import { disassembleRange, type HalfwordReader } from '../../emulator/cpu/disasm';
import { FrameTable } from '../../emulator/elf/dwarf-frame';
import { LineTable } from '../../emulator/elf/dwarf-line';
import { MappingSymbols } from '../../emulator/elf/mapping-symbols';
import type { DisassembledLine } from './contract';
import { hex32 } from './views';

/** An instruction or a literal-pool item: what the disassembly view steps over. */
interface ViewLine {
  readonly address: number;
  readonly length: number;
  readonly text: string;
}

/** How far before an address the disassembly view decodes from its function or mapping-symbol start (decoding
 * Thumb code from there keeps 32-bit instructions and IT blocks in step). */
const THUMB_RESYNC_LIMIT = 0x10000;

export class ElfCode {
  readonly lines: LineTable;
  readonly frameTable: FrameTable;
  private readonly mapping: MappingSymbols;

  /** `thumb`: the CPU's state, for code no mapping symbol describes. */
  constructor(private readonly program: string, bytes: Uint8Array, private readonly readCode: HalfwordReader, private readonly thumb: () => boolean) {
    this.lines = LineTable.fromElf(bytes);
    this.frameTable = new FrameTable(bytes);
    this.mapping = new MappingSymbols(bytes);
  }

  /** The host path of a file the line table names (relative ones are the program's directory's). */
  sourcePath(file: string): string {
    return resolve(dirname(this.program), file);
  }

  /** Why `address` is not where an instruction of the program starts, if it is not. */
  notAnInstruction(address: number): string | undefined {
    if (this.readCode(address) === undefined) return 'nothing is mapped there';
    const { start, kind } = this.decodingStart(address);
    if (kind === 'data') return 'it holds data (a literal pool), not code';
    if ((address & (kind === 'arm' ? 3 : 1)) !== 0) return `it is not aligned to an ${kind === 'arm' ? 'A32' : 'T32'} instruction`;
    if (kind === 'arm') return undefined;
    const run = disassembleRange(this.readCode, start, address + 1, true);
    const last = run[run.length - 1];
    return last === undefined || last.address === address ? undefined : `it is inside the 32-bit instruction at ${hex32(last.address)}`;
  }

  /** `count` instructions from the one `offset` instructions away from `address` (negative: before it). A32 or T32
   * by the ELF's mapping symbols (by CPSR.T where there are none); data regions as `.word`, unmapped memory as
   * `(unmapped)`. */
  disassemble(address: number, offset: number, count: number): DisassembledLine[] {
    address >>>= 0;
    const instructions: ViewLine[] = [];
    if (offset < 0) {
      const before = this.instructionsBefore(address, -offset);
      instructions.push(...before.slice(Math.max(0, before.length + offset)));
      // Short of code before (the start of memory): pad with the lowest instruction's predecessors as words.
      while (instructions.length < Math.min(-offset, count)) {
        const at = ((instructions[0]?.address ?? address) - 4) >>> 0;
        instructions.unshift(this.undecodable(at, 4));
      }
    }
    let at = address;
    if (offset > 0) {
      const skipped = this.instructionsFrom(address, offset);
      at = skipped.length > 0 ? (skipped[skipped.length - 1].address + skipped[skipped.length - 1].length) >>> 0 : address;
    }
    if (instructions.length < count) instructions.push(...this.instructionsFrom(at, count - instructions.length));
    return instructions.slice(0, count).map((d) => this.describe(d));
  }

  /** One view line: the instruction's bytes, its function when it starts one, its source line. */
  private describe(d: ViewLine): DisassembledLine {
    const fn = this.frameTable.functionAt(d.address);
    const row = this.lines.lookup(d.address);
    return {
      address: d.address,
      bytes: this.readBytes(d.address, d.length) ?? new Uint8Array(0),
      text: d.text,
      symbol: fn && fn.start === d.address ? fn.name : undefined,
      source: row && { path: this.sourcePath(row.file) },
      line: row && row.line - 1,
    };
  }

  private undecodable(address: number, length: number): ViewLine {
    return { address, length, text: '(unmapped)' };
  }

  /** Where decoding may start for the code at `address`: its region's kind and a safe earlier start. */
  private decodingStart(address: number): { start: number; end: number; kind: 'arm' | 'thumb' | 'data' } {
    const region = this.mapping.regionAt(address);
    const kind = region?.kind ?? (this.thumb() ? 'thumb' : 'arm');
    const fn = this.frameTable.functionAt(address);
    let start = Math.max(region?.start ?? 0, fn?.start ?? 0);
    // Far from any symbol a few instructions back are enough for the decoding to fall into step.
    if (address - start > THUMB_RESYNC_LIMIT) start = Math.max(region?.start ?? 0, address - 64) & ~1;
    return { start, end: region?.end ?? Infinity, kind };
  }

  /** `count` instructions from `address` on, crossing into following regions. */
  private instructionsFrom(address: number, count: number): ViewLine[] {
    const out: ViewLine[] = [];
    let at = address;
    while (out.length < count) {
      const { start, end, kind } = this.decodingStart(at);
      if (kind === 'data') {
        const item = this.dataItem(at);
        out.push(item);
        at = (item.address + item.length) >>> 0;
        continue;
      }
      // Decode from the safe start so an IT block's condition reaches the instructions inside it.
      const stop = Math.min(end, at + (count - out.length) * 4);
      const run = disassembleRange(this.readCode, kind === 'thumb' ? start : at & ~3, stop, kind === 'thumb').filter((d) => d.address >= at);
      if (run.length === 0) {
        out.push(this.undecodable(at, kind === 'thumb' ? 2 : 4));
        at = (at + (kind === 'thumb' ? 2 : 4)) >>> 0;
        continue;
      }
      out.push(...run.slice(0, count - out.length));
      const last = run[run.length - 1];
      at = (last.address + last.length) >>> 0;
    }
    return out;
  }

  /** Up to `count` instructions ending just before `address`. */
  private instructionsBefore(address: number, count: number): ViewLine[] {
    const out: ViewLine[] = [];
    let end = address;
    while (out.length < count && end > 0) {
      const { start, kind } = this.decodingStart(end - 1);
      const from = kind === 'thumb' ? start : Math.max(start, end - (count - out.length) * 4) & ~3;
      const run = kind === 'data' ? [this.dataItem(end - 1)] : disassembleRange(this.readCode, from, end, kind === 'thumb');
      if (run.length === 0 || this.readCode(end - 2) === undefined) break;
      out.unshift(...run);
      end = run[0].address;
    }
    return out.slice(Math.max(0, out.length - count));
  }

  /** The item of a data region holding `address`, as objdump lists literal pools: `.word` where 4 aligned bytes of
   * the region remain, else `.short` where 2 aligned ones do, else `.byte`. */
  private dataItem(address: number): ViewLine {
    const region = this.mapping.regionAt(address)!;
    const lengthAt = (p: number): number => ((p & 3) === 0 && p + 4 <= region.end ? 4 : (p & 1) === 0 && p + 2 <= region.end ? 2 : 1);
    // Items start on their own alignment, so from the region's start or the aligned word holding the address the
    // walk takes at most three steps.
    let start = Math.max(region.start, address & ~3);
    while (start + lengthAt(start) <= address) start += lengthAt(start);
    const length = lengthAt(start);
    const bytes = this.readBytes(start, length);
    if (bytes === undefined) return this.undecodable(start, length);
    const value = bytes.reduceRight((v, b) => v * 256 + b, 0);
    const text = length === 4 ? `.word ${hex32(value)}` : length === 2 ? `.short 0x${value.toString(16).padStart(4, '0')}` : `.byte 0x${value.toString(16).padStart(2, '0')}`;
    return { address: start, length, text };
  }

  /** `length` bytes of the process's memory, or undefined where any is unmapped. */
  private readBytes(address: number, length: number): Uint8Array | undefined {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const half = this.readCode((address + i) & ~1);
      if (half === undefined) return undefined;
      bytes[i] = ((address + i) & 1) === 0 ? half & 0xff : half >>> 8;
    }
    return bytes;
  }
}
