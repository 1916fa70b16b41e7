// Physical RAM, little-endian, zero until written. It starts flat: the address space is cut into chunks of 1 MiB,
// each one zeroed ArrayBuffer allocated by the first write into it (the host maps a page of it only when touched),
// so a block copy is one copyWithin or set and a file loads straight into RAM. The first snapshot makes it paged:
// 4 KiB pages, each at first a view into its chunk; a snapshot shares every page and the first write to a shared
// page copies it (copy-on-write), which the debugger's step back and reverse execution rely on.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_SIZE - 1;
const CHUNK_SHIFT = 20;
const CHUNK_SIZE = 1 << CHUNK_SHIFT;
const PAGES_PER_CHUNK = CHUNK_SIZE / PAGE_SIZE;

/** What keeps decoded instructions of RAM pages (a CPU's code cache and the MMU in front of it). */
export interface CodeWatcher {
  /** Page `pageNumber` holds decoded code from now on: its writes must come through this memory's methods. */
  codeWatched(pageNumber: number): void;
  /** A watched page was written (it is no longer watched): its decoded code is stale. */
  codeWritten(pageNumber: number): void;
}

/** An opaque saved state of the memory; restoring it is O(number of pages), copying none of them. */
export interface MemorySnapshot {
  readonly pages: ReadonlyMap<number, Uint8Array>;
}

const ZERO_PAGE = new Uint8Array(PAGE_SIZE);
/** What a chunk that was never written reads as (never written itself; allocated on first need). */
let zeroChunk: Uint8Array | undefined;
/** Copies made by copy-on-write are carved from slabs: allocating many small ArrayBuffers one by one is slow. */
const SLAB_PAGES = 64;

export class PhysicalMemory {
  /** The flat backing, by address / CHUNK_SIZE. */
  private chunks = new Map<number, Uint8Array>();
  /**
   * Per chunk, a flag per page: the page holds data (was written, or handed out by privatePage). Once paged, a
   * flagged page's place in its chunk may be shared with a snapshot, so it is never handed out again as a new page.
   */
  private touched = new Map<number, Uint8Array>();
  /** Flat: false; paged (after the first snapshot): the pages below are the memory. */
  private paged = false;
  /** Paged: every page holding data. Flat: the views privatePage handed out, so that it hands out the same again. */
  private pages = new Map<number, Uint8Array>();
  /**
   * Paged: page numbers whose page belongs to this memory alone (written since the last snapshot or restore); every
   * other page may be shared with a snapshot and is copied before its first write.
   */
  private owned = new Set<number>();
  // Accesses go through spans: chunks while flat, pages once paged.
  private spanSize = CHUNK_SIZE;
  private spanMask = CHUNK_SIZE - 1;
  // One-entry caches keep sequential accesses off the maps.
  private readSpanNumber = -1;
  private readSpan: Uint8Array = ZERO_PAGE;
  private writeSpanNumber = -1;
  private writeSpan: Uint8Array = ZERO_PAGE;
  private slab: ArrayBuffer | undefined;
  private slabUsed = SLAB_PAGES;
  /** Pages holding decoded code: any write through the methods below reports them to the watchers. */
  private readonly codePages = new Set<number>();
  private readonly codeWatchers: CodeWatcher[] = [];

  private chunk(index: number): Uint8Array {
    let chunk = this.chunks.get(index);
    if (chunk === undefined) {
      chunk = new Uint8Array(CHUNK_SIZE);
      this.chunks.set(index, chunk);
      if (!this.paged && this.readSpanNumber === index) this.readSpan = chunk;
    }
    return chunk;
  }

  /** Flags the pages of [address, address + length) as holding data. */
  private touch(address: number, length: number): void {
    let page = Math.floor(address / PAGE_SIZE);
    const end = Math.floor((address + length - 1) / PAGE_SIZE) + 1;
    while (page < end) {
      const index = Math.floor(page / PAGES_PER_CHUNK);
      const first = page % PAGES_PER_CHUNK;
      const count = Math.min(end - page, PAGES_PER_CHUNK - first);
      let flags = this.touched.get(index);
      if (flags === undefined) {
        flags = new Uint8Array(PAGES_PER_CHUNK);
        this.touched.set(index, flags);
      }
      if (count === 1) flags[first] = 1;
      else flags.fill(1, first, first + count);
      page += count;
    }
  }

  /** Whether no page of [address, address + length) holds data. */
  private noneTouched(address: number, length: number): boolean {
    const end = Math.floor((address + length - 1) / PAGE_SIZE);
    for (let page = Math.floor(address / PAGE_SIZE); page <= end; page++) if (this.isTouched(page)) return false;
    return true;
  }

  private isTouched(pageNumber: number): boolean {
    return this.touched.get(Math.floor(pageNumber / PAGES_PER_CHUNK))?.[pageNumber % PAGES_PER_CHUNK] === 1;
  }

  /** The page's place in its chunk. */
  private homePage(pageNumber: number): Uint8Array {
    const offset = (pageNumber % PAGES_PER_CHUNK) * PAGE_SIZE;
    return this.chunk(Math.floor(pageNumber / PAGES_PER_CHUNK)).subarray(offset, offset + PAGE_SIZE);
  }

  /** A zeroed page of its own (paged): its place in its chunk if that never held data, else one from a slab. */
  private allocatePage(pageNumber: number): Uint8Array {
    if (!this.isTouched(pageNumber)) {
      this.touch(pageNumber * PAGE_SIZE, PAGE_SIZE);
      return this.homePage(pageNumber);
    }
    if (this.slabUsed === SLAB_PAGES) {
      this.slab = new ArrayBuffer(SLAB_PAGES * PAGE_SIZE);
      this.slabUsed = 0;
    }
    return new Uint8Array(this.slab!, PAGE_SIZE * this.slabUsed++, PAGE_SIZE);
  }

  /** The span for reading (shared zeros when never written). */
  private spanForRead(spanNumber: number): Uint8Array {
    if (spanNumber === this.readSpanNumber) return this.readSpan;
    const span = this.paged ? this.pages.get(spanNumber) ?? ZERO_PAGE : this.chunks.get(spanNumber) ?? (zeroChunk ??= new Uint8Array(CHUNK_SIZE));
    this.readSpanNumber = spanNumber;
    this.readSpan = span;
    return span;
  }

  /** The span for writing: a chunk, allocated on demand, or a page, allocated or un-shared on demand. */
  private spanForWrite(spanNumber: number): Uint8Array {
    if (spanNumber === this.writeSpanNumber) return this.writeSpan;
    const span = this.paged ? this.pageForWrite(spanNumber) : this.chunk(spanNumber);
    this.writeSpanNumber = spanNumber;
    this.writeSpan = span;
    if (this.readSpanNumber === spanNumber) this.readSpan = span;
    return span;
  }

  private pageForWrite(pageNumber: number): Uint8Array {
    let page = this.pages.get(pageNumber);
    if (page === undefined) {
      page = this.allocatePage(pageNumber);
      this.pages.set(pageNumber, page);
      this.owned.add(pageNumber);
    } else if (!this.owned.has(pageNumber)) {
      const copy = this.allocatePage(pageNumber);
      copy.set(page);
      page = copy;
      this.pages.set(pageNumber, page);
      this.owned.add(pageNumber);
    }
    return page;
  }

  /**
   * Bumped by snapshot() and restore(): pages handed out by privatePage() before the bump may since be shared with
   * a snapshot or replaced, so caches of them (the CPU's TLB) must be dropped.
   */
  generation = 0;

  /** The page's own array, unshared (copied first if a snapshot shares it): valid until `generation` changes. */
  privatePage(pageNumber: number): Uint8Array {
    if (this.paged) return this.spanForWrite(pageNumber);
    let page = this.pages.get(pageNumber);
    if (page === undefined) {
      page = this.homePage(pageNumber);
      this.pages.set(pageNumber, page);
      this.touch(pageNumber * PAGE_SIZE, PAGE_SIZE);
    }
    return page;
  }

  // ---- Code watching: the CPUs' stores into pages with code go through these methods (never a cached page array),
  // as do DMA, the debugger's and the loaders' writes, so every writer of code is seen, at the cost of a size test
  // while no page holds code.

  addCodeWatcher(watcher: CodeWatcher): void {
    this.codeWatchers.push(watcher);
  }

  /** Page `pageNumber` holds decoded code: until it is written, report a write to it to every watcher. */
  watchCode(pageNumber: number): void {
    if (this.codePages.has(pageNumber)) return;
    this.codePages.add(pageNumber);
    for (const w of this.codeWatchers) w.codeWatched(pageNumber);
  }

  isCode(pageNumber: number): boolean {
    return this.codePages.has(pageNumber);
  }

  /** [address, address + length) is being written: pages with code stop being watched and their code is dropped. */
  private writingCode(address: number, length: number): void {
    const last = Math.floor((address + length - 1) / PAGE_SIZE);
    for (let page = Math.floor(address / PAGE_SIZE); page <= last; page++) {
      if (!this.codePages.delete(page)) continue;
      for (const w of this.codeWatchers) w.codeWritten(page);
    }
  }

  read8(address: number): number {
    return this.spanForRead(Math.floor(address / this.spanSize))[address & this.spanMask];
  }

  write8(address: number, value: number): void {
    if (this.codePages.size !== 0) this.writingCode(address, 1);
    if (!this.paged) this.touch(address, 1);
    this.spanForWrite(Math.floor(address / this.spanSize))[address & this.spanMask] = value;
  }

  /** Little-endian read of 1, 2 or 4 bytes (unsigned); may cross a page boundary. */
  read(address: number, size: 1 | 2 | 4): number {
    const offset = address & this.spanMask;
    if (offset + size <= this.spanSize) {
      const span = this.spanForRead(Math.floor(address / this.spanSize));
      if (size === 1) return span[offset];
      if (size === 2) return span[offset] | (span[offset + 1] << 8);
      return (span[offset] | (span[offset + 1] << 8) | (span[offset + 2] << 16) | (span[offset + 3] << 24)) >>> 0;
    }
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + this.read8(address + i);
    return value;
  }

  write(address: number, size: 1 | 2 | 4, value: number): void {
    if (this.codePages.size !== 0) this.writingCode(address, size);
    const offset = address & this.spanMask;
    if (offset + size <= this.spanSize) {
      if (!this.paged) this.touch(address, size);
      const span = this.spanForWrite(Math.floor(address / this.spanSize));
      span[offset] = value;
      if (size >= 2) span[offset + 1] = value >>> 8;
      if (size === 4) {
        span[offset + 2] = value >>> 16;
        span[offset + 3] = value >>> 24;
      }
      return;
    }
    for (let i = 0; i < size; i++) this.write8(address + i, (value >>> (8 * i)) & 0xff);
  }

  /**
   * Visits [address, address + length) in place, in order, as views of the memory's own arrays (a chunk or a page
   * each): `visit(bytes, offset, length)` fills them when writing (a loader reading a file into RAM without a copy
   * of it) or drains them when reading. Never-written memory is visited as zeros when reading.
   */
  spans(address: number, length: number, write: boolean, visit: (bytes: Uint8Array, offset: number, length: number) => void): void {
    if (write && this.codePages.size !== 0 && length > 0) this.writingCode(address, length);
    if (write && !this.paged && length > 0) this.touch(address, length);
    while (length > 0) {
      const offset = address & this.spanMask;
      const size = Math.min(length, this.spanSize - offset);
      const spanNumber = Math.floor(address / this.spanSize);
      visit(write ? this.spanForWrite(spanNumber) : this.spanForRead(spanNumber), offset, size);
      address += size;
      length -= size;
    }
  }

  /** Copies length bytes at address into dest[destOffset...]. */
  readBlock(address: number, dest: Uint8Array, destOffset: number, length: number): void {
    while (length > 0) {
      const offset = address & this.spanMask;
      const size = Math.min(length, this.spanSize - offset);
      dest.set(this.spanForRead(Math.floor(address / this.spanSize)).subarray(offset, offset + size), destOffset);
      address += size;
      destOffset += size;
      length -= size;
    }
  }

  writeBlock(address: number, src: Uint8Array, srcOffset: number, length: number): void {
    if (this.codePages.size !== 0 && length > 0) this.writingCode(address, length);
    if (!this.paged && length > 0) this.touch(address, length);
    while (length > 0) {
      const offset = address & this.spanMask;
      const size = Math.min(length, this.spanSize - offset);
      this.spanForWrite(Math.floor(address / this.spanSize)).set(src.subarray(srcOffset, srcOffset + size), offset);
      address += size;
      srcOffset += size;
      length -= size;
    }
  }

  /** Copies length bytes from src to dst; the ranges must not overlap. */
  copy(dst: number, src: number, length: number): void {
    if (this.codePages.size !== 0 && length > 0) this.writingCode(dst, length);
    if (!this.paged && length > 0) this.touch(dst, length);
    while (length > 0) {
      const srcOffset = src & this.spanMask;
      const dstOffset = dst & this.spanMask;
      const size = Math.min(length, this.spanSize - srcOffset, this.spanSize - dstOffset);
      const to = this.spanForWrite(Math.floor(dst / this.spanSize));
      const from = this.spanForRead(Math.floor(src / this.spanSize));
      if (to === from) to.copyWithin(dstOffset, srcOffset, srcOffset + size);
      else if (size === from.length) to.set(from);
      else to.set(from.subarray(srcOffset, srcOffset + size), dstOffset);
      src += size;
      dst += size;
      length -= size;
    }
  }

  fill(address: number, length: number, value: number): void {
    if (this.codePages.size !== 0 && length > 0) this.writingCode(address, length);
    if (!this.paged && length > 0) {
      // Zeros over pages that never held data (a frame handed out for the first time) only flag them: writing them
      // would have the host map their memory now, before the program's own first write does (2-3 ms for 8 MiB).
      const zeroAlready = value === 0 && this.noneTouched(address, length);
      this.touch(address, length);
      if (zeroAlready) return;
    }
    while (length > 0) {
      const offset = address & this.spanMask;
      const size = Math.min(length, this.spanSize - offset);
      this.spanForWrite(Math.floor(address / this.spanSize)).fill(value, offset, offset + size);
      address += size;
      length -= size;
    }
  }

  /** Number of pages holding data (for memory accounting). */
  get allocatedPages(): number {
    if (this.paged) return this.pages.size;
    let count = 0;
    for (const flags of this.touched.values()) for (const flag of flags) count += flag;
    return count;
  }

  /** Paged: pages written since the last snapshot or restore (copies no snapshot shares). */
  get ownedPages(): number {
    return this.owned.size;
  }

  snapshot(): MemorySnapshot {
    if (!this.paged) this.becomePaged();
    this.generation++;
    this.owned.clear();
    this.writeSpanNumber = -1;
    return { pages: new Map(this.pages) };
  }

  restore(snapshot: MemorySnapshot): void {
    if (!this.paged) this.becomePaged();
    this.generation++;
    this.pages = new Map(snapshot.pages);
    this.owned.clear();
    this.readSpanNumber = -1;
    this.writeSpanNumber = -1;
  }

  /** From flat to paged: every page holding data becomes a view into its chunk. */
  private becomePaged(): void {
    this.touched.forEach((flags, index) => {
      for (let i = 0; i < PAGES_PER_CHUNK; i++) {
        const pageNumber = index * PAGES_PER_CHUNK + i;
        if (flags[i] && !this.pages.has(pageNumber)) this.pages.set(pageNumber, this.homePage(pageNumber));
      }
    });
    this.paged = true;
    this.spanSize = PAGE_SIZE;
    this.spanMask = PAGE_MASK;
    this.readSpanNumber = -1;
    this.writeSpanNumber = -1;
  }
}
