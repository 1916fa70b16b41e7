// The flattened devicetree (FDT/DTB) binary format: a validating reader, a writer, and lookups over the parsed tree.
// Pure (no server or editor imports): the emulator builds its machine from a DTB with it, the compiler writes with it.
//
// API
//   parseFdt(bytes) -> Fdt                 Parses a DTB (version 16 or 17). Throws FdtError (with a byte offset) on any
//                                          malformed input: bad magic, truncated or overlapping blocks, misaligned or
//                                          unknown tokens, unterminated names/strings, bad string offsets, unbalanced
//                                          nodes, excessive depth. Never reads outside the buffer.
//   Fdt { header, reservations, root }     `root` is an FdtNode; names are byte-for-byte (latin1) strings.
//   FdtNode { name, path, parent, properties, children }
//   FdtProperty { name, value: Uint8Array }
//
//   findNode(fdt, '/soc/dma-controller@7ff00000')   node by full path (exact unit names), or undefined
//   findCompatible(fdt, 'arm,pl330')               every node whose `compatible` list contains the string
//   nodeByPhandle(fdt, 0x3d)                       the node whose `phandle` (or `linux,phandle`) equals the value
//   getProperty(node, 'reg')                       an FdtProperty or undefined
//   propU32(node, '#dma-cells')                    the single u32 value of a property, or undefined
//   propCells(node, 'interrupts')                  the value as big-endian u32 cells (throws if not a multiple of 4)
//   propStrings(node, 'compatible')                the value as a NUL-separated string list
//   addressCells(node) / sizeCells(node)           #address-cells / #size-cells of the node (for its children);
//                                                  defaults 2 and 1 as the devicetree specification says
//   reg(node) -> {address, size}[]                 `reg` decoded with the parent's cell counts (bigint values)
//   interruptParent(fdt, node)                     the interrupt controller a node's interrupts go to (follows
//                                                  `interrupt-parent` up the tree; bounded, loops give FdtError)
//   interrupts(fdt, node) -> number[][]            `interrupts` split into specifiers of the parent's #interrupt-cells
//   phandleArgs(fdt, node, 'iommus', '#iommu-cells') -> {target, args}[]   phandle + argument lists (dmas, iommus…)
//
//   FdtBuilder                                     Writes a version-17 blob the way dtc lays it out: header, memory
//                                                  reservations at 40, structure block, then strings (a name reuses
//                                                  any earlier string that ends with it).

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_BEGIN_NODE = 1;
export const FDT_END_NODE = 2;
export const FDT_PROP = 3;
export const FDT_NOP = 4;
export const FDT_END = 9;
export const FDT_V17_HEADER_SIZE = 40;
export const FDT_V16_HEADER_SIZE = 36;
/** Deeper trees are rejected: the kernel corpus is at most 12 deep. */
export const FDT_MAX_DEPTH = 256;

export interface FdtHeader {
  magic: number;
  totalsize: number;
  offDtStruct: number;
  offDtStrings: number;
  offMemRsvmap: number;
  version: number;
  lastCompVersion: number;
  bootCpuidPhys: number;
  sizeDtStrings: number;
  sizeDtStruct: number;
}

export interface FdtReservation {
  address: bigint;
  size: bigint;
}

export interface FdtProperty {
  name: string;
  value: Uint8Array;
}

export interface FdtNode {
  /** Unit name as stored (`dma-controller@7ff00000`; '' for the root). */
  name: string;
  path: string;
  parent: FdtNode | undefined;
  properties: FdtProperty[];
  children: FdtNode[];
}

export interface Fdt {
  header: FdtHeader;
  reservations: FdtReservation[];
  root: FdtNode;
}

export class FdtError extends Error {
  constructor(message: string, readonly offset?: number) {
    super(offset === undefined ? message : `${message} (at byte 0x${offset.toString(16)})`);
  }
}

const latin1 = new TextDecoder('latin1');

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function u64(bytes: Uint8Array, at: number): bigint {
  return (BigInt(u32(bytes, at)) << 32n) | BigInt(u32(bytes, at + 4));
}

/** Reads a DTB header and checks every offset and size against the buffer. */
export function readFdtHeader(bytes: Uint8Array): FdtHeader {
  if (bytes.length < 8) throw new FdtError(`blob too small for a header (${bytes.length} bytes)`, 0);
  const magic = u32(bytes, 0);
  if (magic !== FDT_MAGIC) throw new FdtError(`bad magic 0x${magic.toString(16).padStart(8, '0')} (expected 0xd00dfeed)`, 0);
  if (bytes.length < FDT_V16_HEADER_SIZE) throw new FdtError(`truncated header (${bytes.length} bytes)`, bytes.length);
  const version = u32(bytes, 20);
  const header: FdtHeader = {
    magic,
    totalsize: u32(bytes, 4),
    offDtStruct: u32(bytes, 8),
    offDtStrings: u32(bytes, 12),
    offMemRsvmap: u32(bytes, 16),
    version,
    lastCompVersion: u32(bytes, 24),
    bootCpuidPhys: u32(bytes, 28),
    sizeDtStrings: u32(bytes, 32),
    sizeDtStruct: 0,
  };
  if (version < 16) throw new FdtError(`unsupported blob version ${version} (16 and 17 are supported)`, 20);
  if (header.lastCompVersion > 17) throw new FdtError(`blob needs a reader of version ${header.lastCompVersion}`, 24);
  const headerSize = version >= 17 ? FDT_V17_HEADER_SIZE : FDT_V16_HEADER_SIZE;
  if (bytes.length < headerSize) throw new FdtError(`truncated header (${bytes.length} bytes)`, bytes.length);
  if (header.totalsize < headerSize) throw new FdtError(`totalsize ${header.totalsize} is smaller than the header`, 4);
  if (header.totalsize > bytes.length) throw new FdtError(`totalsize ${header.totalsize} exceeds the ${bytes.length} bytes given (truncated blob)`, 4);
  const total = header.totalsize;
  const inside = (off: number, size: number, what: string, field: number) => {
    if (off < headerSize || off > total || size > total - off) throw new FdtError(`${what} (offset ${off}, size ${size}) lies outside the ${total}-byte blob`, field);
  };
  if (header.offMemRsvmap % 8 !== 0) throw new FdtError(`memory reservation block offset ${header.offMemRsvmap} is not 8-byte aligned`, 16);
  inside(header.offMemRsvmap, 0, 'memory reservation block', 16);
  if (header.offDtStruct % 4 !== 0) throw new FdtError(`structure block offset ${header.offDtStruct} is not 4-byte aligned`, 8);
  if (version >= 17) {
    header.sizeDtStruct = u32(bytes, 36);
    inside(header.offDtStruct, header.sizeDtStruct, 'structure block', 36);
  } else {
    inside(header.offDtStruct, 0, 'structure block', 8);
    header.sizeDtStruct = total - header.offDtStruct;
  }
  inside(header.offDtStrings, header.sizeDtStrings, 'strings block', 32);
  return header;
}

/** Parses and validates a whole DTB. */
export function parseFdt(bytes: Uint8Array): Fdt {
  const header = readFdtHeader(bytes);
  const reservations: FdtReservation[] = [];
  for (let at = header.offMemRsvmap; ; at += 16) {
    if (at + 16 > header.totalsize) throw new FdtError('memory reservation block is not terminated by a zero entry', at);
    const address = u64(bytes, at);
    const size = u64(bytes, at + 8);
    if (address === 0n && size === 0n) break;
    reservations.push({ address, size });
  }
  const strStart = header.offDtStrings;
  const strEnd = strStart + header.sizeDtStrings;
  const nameCache = new Map<number, string>();
  const propName = (off: number, at: number): string => {
    const cached = nameCache.get(off);
    if (cached !== undefined) return cached;
    if (off >= header.sizeDtStrings) throw new FdtError(`property name offset ${off} is outside the ${header.sizeDtStrings}-byte strings block`, at);
    const end = bytes.indexOf(0, strStart + off);
    if (end < 0 || end >= strEnd) throw new FdtError(`property name at string offset ${off} is not NUL-terminated inside the strings block`, at);
    const name = latin1.decode(bytes.subarray(strStart + off, end));
    nameCache.set(off, name);
    return name;
  };
  const structEnd = header.offDtStruct + header.sizeDtStruct;
  let at = header.offDtStruct;
  const token = (): number => {
    if (at + 4 > structEnd) throw new FdtError('structure block ends without FDT_END', at);
    const t = u32(bytes, at);
    at += 4;
    return t;
  };
  let root: FdtNode | undefined;
  let current: FdtNode | undefined;
  let depth = 0;
  for (;;) {
    const tokenAt = at;
    const t = token();
    if (t === FDT_NOP) continue;
    if (t === FDT_BEGIN_NODE) {
      const end = bytes.indexOf(0, at);
      if (end < 0 || end >= structEnd) throw new FdtError('node name is not NUL-terminated inside the structure block', at);
      const name = latin1.decode(bytes.subarray(at, end));
      at = (end + 4) & ~3;
      if (root === undefined) {
        if (name !== '' && !name.startsWith('/')) throw new FdtError(`root node has a name '${name}'`, tokenAt);
        root = current = { name: '', path: '/', parent: undefined, properties: [], children: [] };
      } else {
        if (current === undefined) throw new FdtError('a second root node follows the first', tokenAt);
        if (++depth > FDT_MAX_DEPTH) throw new FdtError(`nodes nested deeper than ${FDT_MAX_DEPTH}`, tokenAt);
        const node: FdtNode = { name, path: current.path === '/' ? `/${name}` : `${current.path}/${name}`, parent: current, properties: [], children: [] };
        current.children.push(node);
        current = node;
      }
    } else if (t === FDT_PROP) {
      if (current === undefined) throw new FdtError('property outside any node', tokenAt);
      if (current.children.length > 0) throw new FdtError(`property after a subnode in ${current.path}`, tokenAt);
      if (at + 8 > structEnd) throw new FdtError('truncated property header', at);
      const len = u32(bytes, at);
      const name = propName(u32(bytes, at + 4), at + 4);
      at += 8;
      if (len > structEnd - at) throw new FdtError(`property '${name}' in ${current.path} has length ${len}, past the end of the structure block`, tokenAt);
      current.properties.push({ name, value: bytes.subarray(at, at + len) });
      at = (at + len + 3) & ~3;
    } else if (t === FDT_END_NODE) {
      if (current === undefined) throw new FdtError('FDT_END_NODE without an open node', tokenAt);
      current = current.parent;
      if (current !== undefined) depth--;
    } else if (t === FDT_END) {
      if (root === undefined) throw new FdtError('structure block has no root node', tokenAt);
      if (current !== undefined) throw new FdtError(`FDT_END inside node ${current.path}`, tokenAt);
      return { header, reservations, root };
    } else {
      throw new FdtError(`unknown structure token 0x${t.toString(16)}`, tokenAt);
    }
    if (root !== undefined && current === undefined) {
      // After the root closes, only NOPs and FDT_END may follow.
      let next = token();
      while (next === FDT_NOP) next = token();
      if (next !== FDT_END) throw new FdtError(`token 0x${next.toString(16)} after the root node closed`, at - 4);
      return { header, reservations, root };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lookups

export function getProperty(node: FdtNode, name: string): FdtProperty | undefined {
  return node.properties.find((p) => p.name === name);
}

export function findNode(fdt: Fdt, path: string): FdtNode | undefined {
  let node: FdtNode | undefined = fdt.root;
  for (const part of path.split('/')) {
    if (part === '') continue;
    node = node.children.find((c) => c.name === part);
    if (node === undefined) return undefined;
  }
  return node;
}

function* allNodes(node: FdtNode): Generator<FdtNode> {
  yield node;
  for (const child of node.children) yield* allNodes(child);
}

export function findCompatible(fdt: Fdt, compatible: string): FdtNode[] {
  return [...allNodes(fdt.root)].filter((n) => propStrings(n, 'compatible')?.includes(compatible));
}

export function propCells(node: FdtNode, name: string): number[] | undefined {
  const prop = getProperty(node, name);
  if (prop === undefined) return undefined;
  if (prop.value.length % 4 !== 0) throw new FdtError(`${node.path}: property '${name}' is ${prop.value.length} bytes, not a whole number of cells`);
  const cells: number[] = [];
  for (let i = 0; i < prop.value.length; i += 4) cells.push(u32(prop.value, i));
  return cells;
}

export function propU32(node: FdtNode, name: string): number | undefined {
  const cells = propCells(node, name);
  if (cells === undefined) return undefined;
  if (cells.length !== 1) throw new FdtError(`${node.path}: property '${name}' has ${cells.length} cells, expected 1`);
  return cells[0];
}

export function propStrings(node: FdtNode, name: string): string[] | undefined {
  const prop = getProperty(node, name);
  if (prop === undefined) return undefined;
  const text = latin1.decode(prop.value);
  return (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0');
}

export function nodeByPhandle(fdt: Fdt, phandle: number): FdtNode | undefined {
  for (const node of allNodes(fdt.root)) {
    for (const name of ['phandle', 'linux,phandle']) {
      const prop = getProperty(node, name);
      if (prop?.value.length === 4 && u32(prop.value, 0) === phandle) return node;
    }
  }
  return undefined;
}

export function addressCells(node: FdtNode): number {
  return propU32(node, '#address-cells') ?? 2;
}

export function sizeCells(node: FdtNode): number {
  return propU32(node, '#size-cells') ?? 1;
}

function cellsToBigint(cells: readonly number[], from: number, count: number): bigint {
  let value = 0n;
  for (let i = 0; i < count; i++) value = (value << 32n) | BigInt(cells[from + i]);
  return value;
}

export function reg(node: FdtNode): FdtReservation[] {
  const cells = propCells(node, 'reg') ?? [];
  const parent = node.parent ?? node;
  const ac = addressCells(parent);
  const sc = sizeCells(parent);
  const entry = ac + sc;
  if (entry === 0 || cells.length % entry !== 0) throw new FdtError(`${node.path}: reg has ${cells.length} cells, not a multiple of #address-cells ${ac} + #size-cells ${sc}`);
  const out: FdtReservation[] = [];
  for (let i = 0; i < cells.length; i += entry) out.push({ address: cellsToBigint(cells, i, ac), size: cellsToBigint(cells, i + ac, sc) });
  return out;
}

export function interruptParent(fdt: Fdt, node: FdtNode): FdtNode | undefined {
  const seen = new Set<FdtNode>();
  for (let n: FdtNode | undefined = node; n !== undefined; n = n.parent) {
    if (seen.has(n)) throw new FdtError(`${node.path}: interrupt-parent chain loops`);
    seen.add(n);
    const ph = propU32(n, 'interrupt-parent');
    if (ph !== undefined) {
      const target = nodeByPhandle(fdt, ph);
      if (target === undefined) throw new FdtError(`${n.path}: interrupt-parent 0x${ph.toString(16)} matches no node`);
      return target;
    }
    if (n !== node && getProperty(n, 'interrupt-controller') !== undefined) return n;
  }
  return undefined;
}

export function interrupts(fdt: Fdt, node: FdtNode): number[][] {
  const cells = propCells(node, 'interrupts');
  if (cells === undefined) return [];
  const controller = interruptParent(fdt, node);
  if (controller === undefined) throw new FdtError(`${node.path}: interrupts but no interrupt parent`);
  const n = propU32(controller, '#interrupt-cells');
  if (n === undefined || n === 0) throw new FdtError(`${controller.path}: missing or zero #interrupt-cells`);
  if (cells.length % n !== 0) throw new FdtError(`${node.path}: interrupts has ${cells.length} cells, not a multiple of ${n}`);
  const out: number[][] = [];
  for (let i = 0; i < cells.length; i += n) out.push(cells.slice(i, i + n));
  return out;
}

export function phandleArgs(fdt: Fdt, node: FdtNode, property: string, cellsProperty: string): { target: FdtNode; args: number[] }[] {
  const cells = propCells(node, property) ?? [];
  const out: { target: FdtNode; args: number[] }[] = [];
  for (let i = 0; i < cells.length; ) {
    const target = nodeByPhandle(fdt, cells[i]);
    if (target === undefined) throw new FdtError(`${node.path}: ${property} cell ${i} (0x${cells[i].toString(16)}) is not a phandle`);
    const n = propU32(target, cellsProperty) ?? 0;
    if (i + 1 + n > cells.length) throw new FdtError(`${node.path}: ${property} entry at cell ${i} needs ${n} argument cells (${cellsProperty} of ${target.path})`);
    out.push({ target, args: cells.slice(i + 1, i + 1 + n) });
    i += 1 + n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Writer

function putU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

/** A growable big-endian byte buffer. */
export class ByteSink {
  bytes = new Uint8Array(256);
  length = 0;

  private grow(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  u8(v: number): void {
    this.grow(1);
    this.bytes[this.length++] = v;
  }

  u32(v: number): void {
    this.grow(4);
    putU32(this.bytes, this.length, v);
    this.length += 4;
  }

  /**
   * Three words, then `d` and the zeros that pad it to a multiple of 4 bytes (a DTB property's record), with one
   * bounds check: the devicetree compiler runs on V8's baseline compiler, where each call costs.
   */
  wordsAndPaddedData(a: number, b: number, c: number, d: Uint8Array): void {
    const padded = (d.length + 3) & ~3;
    this.grow(12 + padded);
    const out = this.bytes;
    const at = this.length;
    putU32(out, at, a);
    putU32(out, at + 4, b);
    putU32(out, at + 8, c);
    if (d.length > 0) out.set(d, at + 12);
    for (let i = at + 12 + d.length; i < at + 12 + padded; i++) out[i] = 0;
    this.length = at + 12 + padded;
  }

  u64(v: bigint): void {
    this.u32(Number((v >> 32n) & 0xffffffffn));
    this.u32(Number(v & 0xffffffffn));
  }

  data(d: Uint8Array): void {
    this.grow(d.length);
    this.bytes.set(d, this.length);
    this.length += d.length;
  }

  /** A word, then a latin1 string's bytes, its NUL and the zeros that pad them to a multiple of 4 bytes (a node's start). */
  wordAndPaddedText(a: number, text: string): void {
    const padded = (text.length + 4) & ~3;
    this.grow(4 + padded);
    const out = this.bytes;
    const at = this.length;
    putU32(out, at, a);
    for (let i = 0; i < text.length; i++) out[at + 4 + i] = text.charCodeAt(i);
    for (let i = at + 4 + text.length; i < at + 4 + padded; i++) out[i] = 0;
    this.length = at + 4 + padded;
  }

  /** Appends a latin1 string's bytes (no terminator). */
  text(s: string): void {
    this.grow(s.length);
    for (let i = 0; i < s.length; i++) this.bytes[this.length + i] = s.charCodeAt(i);
    this.length += s.length;
  }

  result(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Streams nodes and properties into a version-17 DTB. */
export class FdtBuilder {
  private readonly struct = new ByteSink();
  /** The strings block as latin1 text with NUL separators, so a lookup is one indexOf. */
  private strings = '';
  /** Offsets of the names looked up so far: a large tree names a few hundred properties thousands of times. */
  private readonly offsets = new Map<string, number>();

  beginNode(name: string): void {
    this.struct.wordAndPaddedText(FDT_BEGIN_NODE, name);
  }

  property(name: string, value: Uint8Array): void {
    this.struct.wordsAndPaddedData(FDT_PROP, value.length, this.stringOffset(name), value);
  }

  endNode(): void {
    this.struct.u32(FDT_END_NODE);
  }

  /** The strings block so far (NUL-terminated names), as latin1 text. */
  get stringsText(): string {
    return this.strings;
  }

  /** A name's offset in the strings block: the first place an earlier entry ends with it, else appended. */
  stringOffset(name: string): number {
    // Appending never makes an earlier match, so a name's offset, once found, holds.
    let at = this.offsets.get(name);
    if (at !== undefined) return at;
    at = this.strings.indexOf(name + '\0');
    if (at < 0) {
      at = this.strings.length;
      this.strings += name + '\0';
    }
    this.offsets.set(name, at);
    return at;
  }

  /** The total size finish() would give without padding (after the FDT_END token it adds). */
  finishSize(reservationCount: number): number {
    return FDT_V17_HEADER_SIZE + 16 * (reservationCount + 1) + this.struct.length + 4 + this.strings.length;
  }

  /** Finishes the blob. `padding` zero bytes are added after the strings block (dtc's -p/-S/-a). */
  finish(options: { reservations?: readonly FdtReservation[]; bootCpuidPhys?: number; padding?: number } = {}): Uint8Array {
    this.struct.u32(FDT_END);
    const reservations = options.reservations ?? [];
    const offRsv = FDT_V17_HEADER_SIZE;
    const offStruct = offRsv + 16 * (reservations.length + 1);
    const offStrings = offStruct + this.struct.length;
    const total = offStrings + this.strings.length + (options.padding ?? 0);
    const out = new ByteSink();
    for (const v of [FDT_MAGIC, total, offStruct, offStrings, offRsv, 17, 16, options.bootCpuidPhys ?? 0, this.strings.length, this.struct.length]) out.u32(v);
    for (const r of reservations) {
      out.u64(r.address);
      out.u64(r.size);
    }
    out.u64(0n);
    out.u64(0n);
    out.data(this.struct.bytes.subarray(0, this.struct.length));
    out.text(this.strings);
    for (let i = 0; i < (options.padding ?? 0); i++) out.u8(0);
    return out.result();
  }
}

/** A parsed (and possibly changed) tree written out again as a blob, with its reservations and boot CPU. */
export function writeFdt(fdt: Fdt): Uint8Array {
  const builder = new FdtBuilder();
  const write = (node: FdtNode): void => {
    builder.beginNode(node.name);
    for (const p of node.properties) builder.property(p.name, p.value);
    for (const child of node.children) write(child);
    builder.endNode();
  };
  write(fdt.root);
  return builder.finish({ reservations: fdt.reservations, bootCpuidPhys: fdt.header.bootCpuidPhys });
}
