// A Linux kernel's own symbol table (CONFIG_KALLSYMS), recovered from its image without a System.map. The build
// appends compressed tables to the kernel's read-only data:
//   kallsyms_num_syms      N (a 32-bit word)
//   kallsyms_names         N entries: a length (one byte; two when bit 7 is set, 7 bits each, low first), then that
//                          many token numbers; the tokens spelled out are the type letter and the name ("Tstart_kernel")
//   kallsyms_markers       a word per 256 entries: where entry 256*i starts in kallsyms_names
//   kallsyms_token_table   256 NUL-terminated strings
//   kallsyms_token_index   256 halfwords: where each token starts in kallsyms_token_table
//   kallsyms_offsets       N words added to kallsyms_relative_base (CONFIG_KALLSYMS_BASE_RELATIVE), or
//   kallsyms_addresses     N absolute addresses; both sorted by address
// The order of the tables and their neighbours changed across versions (6.1 puts the addresses before
// kallsyms_num_syms, later kernels after kallsyms_token_index; kallsyms_seqs_of_names may sit between the markers and
// the token table), so each is found by its structure: the token index first (256 increasing halfwords, each pointing
// just past the previous string's NUL), then the markers before the token table, then the N whose names decode to
// exactly those markers, then a sorted array of N words next to one of them.

export interface KernelSymbol {
  readonly name: string;
  /** The type letter as System.map shows it: T/t text, D/d data, W/w weak, ... */
  readonly type: string;
  readonly address: number;
}

export class KallsymsError extends Error {}

const TOKENS = 256;
const SYMBOLS_PER_MARKER = 256;
/** How far before the token table the names may start (the largest kernels have a few MB of names). */
const NAMES_SEARCH = 32 << 20;
/** Padding the assembler may put between two tables. */
const MAX_ALIGN = 16;

class Image {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u16(at: number): number {
    return this.view.getUint16(at, true);
  }
  u32(at: number): number {
    return at >= 0 && at + 4 <= this.bytes.length ? this.view.getUint32(at, true) : -1;
  }
}

interface TokenTables {
  readonly table: number;
  readonly index: number;
  readonly tokens: readonly string[];
}

/** Every symbol in a kernel image (Image or vmlinux bytes), sorted by address; throws KallsymsError when none found. */
export function readKallsyms(bytes: Uint8Array): KernelSymbol[] {
  const image = new Image(bytes);
  for (const tokens of findTokenTables(image)) {
    const markers = findMarkers(image, tokens.table);
    if (markers === undefined) continue;
    const names = findNames(image, markers);
    if (names === undefined) continue;
    const addresses = findAddresses(image, names.count, [names.countAt, tokens.index + 2 * TOKENS]);
    if (addresses === undefined) throw new KallsymsError(`kallsyms: found ${names.count} names at offset 0x${names.countAt.toString(16)} but no sorted address table beside them`);
    return decodeNames(image, names.countAt + 4, names.count, tokens.tokens, addresses);
  }
  throw new KallsymsError('no kallsyms tables in the image (a kernel built without CONFIG_KALLSYMS, or a compressed zImage: give the decompressed Image, a System.map or a vmlinux)');
}

/** Candidates for kallsyms_token_index with the kallsyms_token_table it indexes, last in the image first. */
function* findTokenTables(image: Image): Generator<TokenTables> {
  const bytes = image.bytes;
  for (let at = (bytes.length - 2 * TOKENS) & ~3; at >= 0; at -= 4) {
    if (bytes[at] !== 0 || bytes[at + 1] !== 0 || image.u16(at + 2) < 2 || image.u16(at + 2) > 64) continue;
    const index = tokenIndex(image, at);
    if (index === undefined) continue;
    const tokens = tokenTable(image, at, index);
    if (tokens) yield tokens;
  }
}

/** 256 halfwords from 0, each step a token of 1 to 63 characters and its NUL. */
function tokenIndex(image: Image, at: number): number[] | undefined {
  const index = [0];
  for (let i = 1; i < TOKENS; i++) {
    const value = image.u16(at + 2 * i);
    const step = value - index[i - 1];
    if (step < 2 || step > 64) return undefined;
    index.push(value);
  }
  return index;
}

/** The token table just before the index at `at`: every string ends with a NUL where the next one starts. */
function tokenTable(image: Image, at: number, index: readonly number[]): TokenTables | undefined {
  const bytes = image.bytes;
  const last = index[TOKENS - 1];
  for (let table = at - last - 2; table >= Math.max(0, at - last - 64 - MAX_ALIGN); table--) {
    const end = bytes.indexOf(0, table + last);
    if (end < 0 || end >= at || at - end > MAX_ALIGN) continue;
    let ok = true;
    for (let i = 1; i < TOKENS && ok; i++) ok = bytes[table + index[i] - 1] === 0 && bytes.subarray(table + index[i - 1], table + index[i] - 1).indexOf(0) < 0;
    if (!ok) continue;
    const tokens = index.map((start, i) => latin1(bytes.subarray(table + start, i + 1 < TOKENS ? table + index[i + 1] - 1 : end)));
    return { table, index: at, tokens };
  }
  return undefined;
}

interface Markers {
  readonly at: number;
  readonly values: readonly number[];
}

/** kallsyms_markers: the increasing words ending shortly before the token table (or before what separates them). */
function findMarkers(image: Image, table: number): Markers | undefined {
  for (let at = (table - 4) & ~3; at >= Math.max(0, table - NAMES_SEARCH); at -= 4) {
    if (image.u32(at) !== 0) continue;
    const values = [0];
    for (let next = at + 4; ; next += 4) {
      const value = image.u32(next);
      const step = value - values[values.length - 1];
      // An entry is a length byte and at most a few hundred tokens: 256 of them take between 512 bytes and 256 KiB.
      if (next >= table || step < 2 * SYMBOLS_PER_MARKER || step > SYMBOLS_PER_MARKER * 1024) break;
      values.push(value);
    }
    if (values.length >= 2) return { at, values };
  }
  return undefined;
}

/** kallsyms_num_syms before kallsyms_names: the N whose first N entries start where the markers say. */
function findNames(image: Image, markers: Markers): { countAt: number; count: number } | undefined {
  const k = markers.values.length;
  const low = SYMBOLS_PER_MARKER * (k - 1) + 1, high = SYMBOLS_PER_MARKER * k;
  const lastMarker = markers.values[k - 1];
  for (let at = (markers.at - lastMarker - 5) & ~3; at >= Math.max(0, markers.at - NAMES_SEARCH); at -= 4) {
    const count = image.u32(at);
    if (count < low || count > high) continue;
    if (namesMatch(image, at + 4, count, markers)) return { countAt: at, count };
  }
  return undefined;
}

function namesMatch(image: Image, start: number, count: number, markers: Markers): boolean {
  const bytes = image.bytes;
  let at = start;
  for (let i = 0; i < count; i++) {
    if (i % SYMBOLS_PER_MARKER === 0 && at - start !== markers.values[i / SYMBOLS_PER_MARKER]) return false;
    const { length, header } = entryLength(bytes, at);
    if (length === 0) return false;
    at += header + length;
    if (at > markers.at) return false;
  }
  return markers.at - at < MAX_ALIGN;
}

function entryLength(bytes: Uint8Array, at: number): { length: number; header: number } {
  const first = bytes[at];
  return first & 0x80 ? { length: (first & 0x7f) | (bytes[at + 1] << 7), header: 2 } : { length: first, header: 1 };
}

/**
 * The N addresses: kallsyms_offsets with kallsyms_relative_base after them, or absolute kallsyms_addresses; before
 * kallsyms_num_syms (6.1) or after kallsyms_token_index (later kernels). Sorted ascending either way.
 */
function findAddresses(image: Image, count: number, [countAt, indexEnd]: readonly [number, number]): number[] | undefined {
  const sorted = (at: number): boolean => {
    if (at < 0 || at + 4 * count > image.bytes.length) return false;
    for (let i = 1; i < count; i++) if (image.u32(at + 4 * i) < image.u32(at + 4 * (i - 1))) return false;
    return true;
  };
  const read = (at: number, base: number): number[] => Array.from({ length: count }, (_, i) => (base + image.u32(at + 4 * i)) >>> 0);
  for (let pad = 0; pad < MAX_ALIGN; pad += 4) {
    // Before kallsyms_num_syms: [offsets][pad][relative_base][num_syms], or [addresses][pad][num_syms].
    const base = countAt - 4 - pad;
    if (image.u32(base) > 0 && sorted(base - 4 * count) && image.u32(base - 4 * count) === 0) return read(base - 4 * count, image.u32(base));
    if (sorted(countAt - pad - 4 * count) && image.u32(countAt - pad - 4 * count) > 0) return read(countAt - pad - 4 * count, 0);
    // After kallsyms_token_index: [offsets][pad][relative_base], or [addresses].
    const after = indexEnd + pad;
    if (sorted(after) && image.u32(after) === 0) {
      for (let basePad = 0; basePad < MAX_ALIGN; basePad += 4) {
        const relative = image.u32(after + 4 * count + basePad);
        if (relative > 0) return read(after, relative);
      }
    }
    if (sorted(after) && image.u32(after) > 0) return read(after, 0);
  }
  return undefined;
}

function decodeNames(image: Image, start: number, count: number, tokens: readonly string[], addresses: readonly number[]): KernelSymbol[] {
  const bytes = image.bytes;
  const symbols: KernelSymbol[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    const { length, header } = entryLength(bytes, at);
    at += header;
    let text = '';
    for (let j = 0; j < length; j++) text += tokens[bytes[at + j]];
    at += length;
    symbols.push({ type: text[0], name: text.slice(1), address: addresses[i] });
  }
  return symbols;
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}

/** A System.map (`c0a045ac t pl330_start_thread` per line); throws KallsymsError naming the first bad line. */
export function parseSystemMap(text: string, file = 'System.map'): KernelSymbol[] {
  const symbols: KernelSymbol[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([0-9a-fA-F]{1,16})\s+([A-Za-z?])\s+(\S+)/.exec(line.trim());
    if (!m) throw new KallsymsError(`${file}:${i + 1}:1: not a System.map line (ADDRESS TYPE NAME): '${line.slice(0, 80)}'`);
    symbols.push({ address: Number.parseInt(m[1], 16) >>> 0, type: m[2], name: m[3] });
  });
  if (symbols.length === 0) throw new KallsymsError(`${file}: no symbols`);
  return symbols.sort((a, b) => a.address - b.address);
}
