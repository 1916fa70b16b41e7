// The DWARF line table (.debug_line, versions 2 to 5) of a 32-bit little-endian ELF: which source line each
// instruction address belongs to, and which addresses start each line. Written from the DWARF 5 specification,
// section 6.2 (the line number state machine) and the ELF32 section header layout.

/** One row of the line table: the instruction at `address` starts code for `file`:`line`. */
export interface LineRow {
  readonly address: number;
  /** Path as the compiler recorded it, joined with its directory: absolute, or relative to the compilation's
   * directory (a kernel's `drivers/dma/pl330.c`, relative to the top of its build tree). */
  readonly file: string;
  /** 0 for the row ending a sequence (the address just past its code). */
  readonly line: number;
  readonly column: number;
  readonly isStmt: boolean;
  readonly endSequence: boolean;
}

export class DwarfError extends Error {}

export interface Section {
  readonly offset: number;
  readonly size: number;
  /** Where the section is loaded (0 for sections not loaded). */
  readonly address: number;
}

/** Sections of an ELF32 little-endian file by name. */
export function elfSections(elf: Uint8Array): Map<string, Section> {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 52 || view.getUint32(0, false) !== 0x7f454c46) throw new DwarfError('not an ELF file');
  if (elf[4] !== 1 || elf[5] !== 1) throw new DwarfError('not a 32-bit little-endian ELF file');
  const shoff = view.getUint32(32, true);
  const shentsize = view.getUint16(46, true);
  const shnum = view.getUint16(48, true);
  const shstrndx = view.getUint16(50, true);
  if (shoff === 0) return new Map(); // a stripped executable: runs, without source positions
  if (shoff + shnum * shentsize > elf.length) throw new DwarfError('ELF section headers are truncated');
  const header = (i: number): Section & { name: number } => ({
    name: view.getUint32(shoff + i * shentsize, true),
    address: view.getUint32(shoff + i * shentsize + 12, true),
    offset: view.getUint32(shoff + i * shentsize + 16, true),
    size: view.getUint32(shoff + i * shentsize + 20, true),
  });
  const names = header(shstrndx);
  const sections = new Map<string, Section>();
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    if (h.offset + h.size > elf.length) continue; // NOBITS sections (.bss) have no bytes in the file
    sections.set(cString(elf, names.offset + h.name), { offset: h.offset, size: h.size, address: h.address });
  }
  return sections;
}

export function cString(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return Buffer.from(bytes.subarray(at, end)).toString('utf8');
}

/** Sequential reader of DWARF encodings. */
export class Reader {
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array, public at: number, private readonly end: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): number {
    if (this.at + n > this.end) throw new DwarfError(`.debug_line: truncated at offset 0x${this.at.toString(16)}`);
    const at = this.at;
    this.at += n;
    return at;
  }
  get done(): boolean {
    return this.at >= this.end;
  }
  u8(): number {
    return this.bytes[this.need(1)];
  }
  s8(): number {
    return this.view.getInt8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  skip(n: number): void {
    this.need(n);
  }
  uleb(): number {
    return this.leb128(false);
  }
  sleb(): number {
    return this.leb128(true);
  }
  private leb128(signed: boolean): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return signed && b & 0x40 ? value - scale : value;
    }
  }
  string(): string {
    const s = cString(this.bytes, this.at);
    this.need(Buffer.byteLength(s) + 1);
    return s;
  }
}

// DWARF 5 line header entry formats (tables 7.27 and 7.5.6).
const LNCT_PATH = 1;
const LNCT_DIRECTORY_INDEX = 2;
const FORM = { block: 0x09, data1: 0x0b, data2: 0x05, data4: 0x06, data8: 0x07, data16: 0x1e, string: 0x08, strp: 0x0e, lineStrp: 0x1f, udata: 0x0f } as const;

/** Where the decoder puts the rows it emits, in the order the programs emit them. */
interface RowSink {
  add(address: number, file: string, line: number, column: number, isStmt: boolean, endSequence: boolean): void;
}

/** Decodes every line number program of `.debug_line`; an ELF without one yields no rows. */
export function decodeLineTable(elf: Uint8Array): LineRow[] {
  const rows: LineRow[] = [];
  decodeInto(elf, { add: (address, file, line, column, isStmt, endSequence) => rows.push({ address, file, line, column, isStmt, endSequence }) });
  return rows;
}

function decodeInto(elf: Uint8Array, rows: RowSink): void {
  const sections = elfSections(elf);
  const line = sections.get('.debug_line');
  if (!line) return;
  const strings = (name: string) => (offset: number): string => {
    const s = sections.get(name);
    if (!s || offset >= s.size) throw new DwarfError(`.debug_line: string offset 0x${offset.toString(16)} outside ${name}`);
    return cString(elf, s.offset + offset);
  };
  const end = line.offset + line.size;
  let at = line.offset;
  while (at < end) {
    at = decodeUnit(new Reader(elf, at, end), rows, strings('.debug_line_str'), strings('.debug_str'));
  }
}

function decodeUnit(r: Reader, rows: RowSink, lineStr: (o: number) => string, str: (o: number) => string): number {
  const length = r.u32();
  if (length >= 0xfffffff0) throw new DwarfError('.debug_line: 64-bit DWARF is not supported');
  const unitEnd = r.at + length;
  const version = r.u16();
  if (version < 2 || version > 5) throw new DwarfError(`.debug_line: version ${version} is not DWARF 2 to 5`);
  if (version >= 5) r.skip(2); // address_size, segment_selector_size
  const headerLength = r.u32();
  const programStart = r.at + headerLength;
  const minInstructionLength = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction (VLIW only)
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.s8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  const opcodeLengths = [0];
  for (let i = 1; i < opcodeBase; i++) opcodeLengths.push(r.u8());
  const join = (dir: string | undefined, name: string): string => (name.startsWith('/') || !dir || dir === '.' ? name : `${dir}/${name}`);
  const files: string[] = [];
  if (version >= 5) {
    const form = (f: number): number | string => {
      switch (f) {
        case FORM.string: return r.string();
        case FORM.lineStrp: return lineStr(r.u32());
        case FORM.strp: return str(r.u32());
        case FORM.udata: return r.uleb();
        case FORM.data1: return r.u8();
        case FORM.data2: return r.u16();
        case FORM.data4: return r.u32();
        case FORM.data8: r.skip(8); return 0;
        case FORM.data16: r.skip(16); return 0;
        case FORM.block: r.skip(r.uleb()); return 0;
        default: throw new DwarfError(`.debug_line: unsupported form 0x${f.toString(16)} in an entry format`);
      }
    };
    const entries = (): { path: string; dir: number }[] => {
      const format: [number, number][] = [];
      for (let n = r.u8(); n > 0; n--) format.push([r.uleb(), r.uleb()]);
      const out: { path: string; dir: number }[] = [];
      for (let n = r.uleb(); n > 0; n--) {
        let path = '';
        let dir = 0;
        for (const [type, f] of format) {
          const value = form(f);
          if (type === LNCT_PATH) path = String(value);
          else if (type === LNCT_DIRECTORY_INDEX) dir = Number(value);
        }
        out.push({ path, dir });
      }
      return out;
    };
    // Directory 0 is the compilation's; the others are relative to it unless absolute.
    const dirs = entries().map((d, i, all) => (i === 0 ? d.path : join(all[0].path, d.path)));
    for (const f of entries()) files.push(join(dirs[f.dir], f.path));
  } else {
    const dirs = [''];
    for (let d = r.string(); d !== ''; d = r.string()) dirs.push(d);
    files.push(''); // file numbers start at 1 before DWARF 5
    for (let name = r.string(); name !== ''; name = r.string()) {
      const dir = r.uleb();
      r.uleb();
      r.uleb();
      files.push(join(dirs[dir], name));
    }
  }
  r.at = programStart;
  runProgram(r, unitEnd, rows, files, { minInstructionLength, defaultIsStmt, lineBase, lineRange, opcodeBase, opcodeLengths, version });
  return unitEnd;
}

interface Header {
  readonly minInstructionLength: number;
  readonly defaultIsStmt: boolean;
  readonly lineBase: number;
  readonly lineRange: number;
  readonly opcodeBase: number;
  readonly opcodeLengths: readonly number[];
  readonly version: number;
}

function runProgram(r: Reader, end: number, rows: RowSink, files: readonly string[], h: Header): void {
  let address = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = h.defaultIsStmt;
  const fileName = (): string => files[file] ?? `<file ${file}>`;
  const emit = (endSequence: boolean): void => {
    rows.add(address >>> 0, fileName(), endSequence ? 0 : line, column, isStmt, endSequence);
  };
  const reset = (): void => {
    address = 0;
    file = 1;
    line = 1;
    column = 0;
    isStmt = h.defaultIsStmt;
  };
  while (r.at < end) {
    const op = r.u8();
    if (op >= h.opcodeBase) {
      const adjusted = op - h.opcodeBase;
      address += Math.floor(adjusted / h.lineRange) * h.minInstructionLength;
      line += h.lineBase + (adjusted % h.lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const length = r.uleb();
        const next = r.at + length;
        const sub = r.u8();
        if (sub === 1) {
          emit(true);
          reset();
        } else if (sub === 2) address = r.u32();
        r.at = next; // define_file, set_discriminator and vendor opcodes change nothing shown here
        break;
      }
      case 1: emit(false); break;
      case 2: address += r.uleb() * h.minInstructionLength; break;
      case 3: line += r.sleb(); break;
      case 4: file = r.uleb(); break;
      case 5: column = r.uleb(); break;
      case 6: isStmt = !isStmt; break;
      case 7: break;
      case 8: address += Math.floor((255 - h.opcodeBase) / h.lineRange) * h.minInstructionLength; break;
      case 9: address += r.u16(); break;
      case 10: case 11: break;
      default:
        for (let i = 0; i < h.opcodeLengths[op]; i++) r.uleb(); // set_isa and opcodes this reader does not know
    }
  }
}

const STMT = 1;
const END_SEQUENCE = 2;

/** A growable column of 32-bit values (a vmlinux has millions of rows: typed arrays, not an object per row). */
class Column {
  values = new Uint32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Uint32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
}

/** The rows as columns, the file names once each. */
class Columns implements RowSink {
  readonly address = new Column();
  readonly file = new Column();
  readonly line = new Column();
  readonly column = new Column();
  readonly flags = new Column();
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  add(address: number, file: string, line: number, column: number, isStmt: boolean, endSequence: boolean): void {
    let id = this.ids.get(file);
    if (id === undefined) {
      id = this.names.push(file) - 1;
      this.ids.set(file, id);
    }
    this.address.push(address);
    this.file.push(id);
    this.line.push(line);
    this.column.push(column);
    this.flags.push((isStmt ? STMT : 0) | (endSequence ? END_SEQUENCE : 0));
  }

  /** The order of the rows by address, a sequence's end before a row starting at the same address, else as emitted:
   * a stable radix sort (the end flag, then the address's bytes from the lowest). */
  order(): Uint32Array {
    const n = this.address.length;
    let from = Uint32Array.from({ length: n }, (_, i) => i);
    let to = new Uint32Array(n);
    const keys: ((row: number) => number)[] = [(row) => ((this.flags.values[row] & END_SEQUENCE) !== 0 ? 0 : 1)];
    for (let shift = 0; shift < 32; shift += 8) keys.push((row) => (this.address.values[row] >>> shift) & 0xff);
    for (const key of keys) {
      const counts = new Uint32Array(257);
      for (let i = 0; i < n; i++) counts[key(from[i]) + 1]++;
      for (let b = 1; b < 257; b++) counts[b] += counts[b - 1];
      for (let i = 0; i < n; i++) to[counts[key(from[i])]++] = from[i];
      [from, to] = [to, from];
    }
    return from;
  }
}

/** Lookups over the rows: the line of an address, and the first address of a line. */
export class LineTable {
  /** Rows sorted by address, each covering [address, next row's address). */
  private readonly address: Uint32Array;
  private readonly file: Uint32Array;
  private readonly line: Uint32Array;
  private readonly column: Uint32Array;
  private readonly flags: Uint8Array;
  private readonly names: readonly string[];

  private constructor(columns: Columns) {
    const order = columns.order();
    const sorted = (c: Column): Uint32Array => order.map((row) => c.values[row]);
    this.address = sorted(columns.address);
    this.file = sorted(columns.file);
    this.line = sorted(columns.line);
    this.column = sorted(columns.column);
    this.flags = Uint8Array.from(sorted(columns.flags));
    this.names = columns.names;
  }

  static fromRows(rows: readonly LineRow[]): LineTable {
    const columns = new Columns();
    for (const r of rows) columns.add(r.address, r.file, r.line, r.column, r.isStmt, r.endSequence);
    return new LineTable(columns);
  }

  static fromElf(elf: Uint8Array): LineTable {
    const columns = new Columns();
    decodeInto(elf, columns);
    return new LineTable(columns);
  }

  /** How many rows the table has (0: a program without line information). */
  get size(): number {
    return this.address.length;
  }

  get files(): string[] {
    const used = new Set<number>();
    for (let i = 0; i < this.size; i++) if (!(this.flags[i] & END_SEQUENCE)) used.add(this.file[i]);
    return [...used].map((id) => this.names[id]);
  }

  private row(i: number): LineRow {
    const flags = this.flags[i];
    return { address: this.address[i], file: this.names[this.file[i]], line: this.line[i], column: this.column[i], isStmt: (flags & STMT) !== 0, endSequence: (flags & END_SEQUENCE) !== 0 };
  }

  /** The index of the first row at or after `address`. */
  private lowerBound(address: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.address[mid] < address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The row covering `address` (undefined outside any sequence). */
  lookup(address: number): LineRow | undefined {
    let lo = 0;
    let hi = this.size - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.address[mid] <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 || this.flags[found] & END_SEQUENCE ? undefined : this.row(found);
  }

  /** The statement rows of the code in [start, end), by address. */
  statementsIn(start: number, end: number): LineRow[] {
    const out: LineRow[] = [];
    for (let i = this.lowerBound(start); i < this.size && this.address[i] < end; i++) if (this.flags[i] === STMT) out.push(this.row(i));
    return out;
  }

  /** The statement addresses of the first line at or after `line` in a file whose name ends with `file`. */
  resolve(file: string, line: number): { line: number; addresses: number[] } | undefined {
    const matching = this.names.map((name) => sameFile(name, file));
    let best = Infinity;
    let addresses = new Set<number>();
    for (let i = 0; i < this.size; i++) {
      const l = this.line[i];
      if (this.flags[i] !== STMT || l < line || l > best || !matching[this.file[i]]) continue;
      if (l < best) {
        best = l;
        addresses = new Set();
      }
      addresses.add(this.address[i]);
    }
    return best === Infinity ? undefined : { line: best, addresses: [...addresses] };
  }
}

/** Whether a recorded path and `path` name the same file (either may be relative: the compiler records the path
 * it was given, the editor asks with an absolute one or a test with a base name). */
export function sameFile(recorded: string, path: string): boolean {
  const a = recorded.replace(/^(\.\/)+/, '');
  const b = path.replace(/^(\.\/)+/, '');
  return a === b || a.endsWith('/' + b) || b.endsWith('/' + a);
}
