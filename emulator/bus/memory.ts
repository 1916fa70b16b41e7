// Sparse physical RAM in 4 KiB pages, little-endian, with copy-on-write snapshots: a snapshot shares every page;
// the first write to a shared page copies it. Pages that were never written read as zero and cost nothing.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_SIZE - 1;

/** An opaque saved state of the memory; restoring it is O(number of pages), copying none of them. */
export interface MemorySnapshot {
  readonly pages: ReadonlyMap<number, Uint8Array>;
}

const ZERO_PAGE = new Uint8Array(PAGE_SIZE);
/** Pages are carved from slabs: allocating many small ArrayBuffers one by one is slow and stresses the GC. */
const SLAB_PAGES = 64;

export class PhysicalMemory {
  private pages = new Map<number, Uint8Array>();
  /**
   * Page numbers whose page belongs to this memory alone (written since the last snapshot or restore); every other
   * page may be shared with a snapshot and is copied before its first write.
   */
  private owned = new Set<number>();
  // One-entry caches keep sequential accesses off the Map.
  private readPageNumber = -1;
  private readPage: Uint8Array = ZERO_PAGE;
  private writePageNumber = -1;
  private writePage: Uint8Array = ZERO_PAGE;
  private slab: ArrayBuffer | undefined;
  private slabUsed = SLAB_PAGES;

  /** A zeroed page of its own. */
  private allocatePage(): Uint8Array {
    if (this.slabUsed === SLAB_PAGES) {
      this.slab = new ArrayBuffer(SLAB_PAGES * PAGE_SIZE);
      this.slabUsed = 0;
    }
    return new Uint8Array(this.slab!, PAGE_SIZE * this.slabUsed++, PAGE_SIZE);
  }

  /** The page for reading (a shared zero page when never written). */
  private pageForRead(pageNumber: number): Uint8Array {
    if (pageNumber === this.readPageNumber) return this.readPage;
    const page = this.pages.get(pageNumber) ?? ZERO_PAGE;
    this.readPageNumber = pageNumber;
    this.readPage = page;
    return page;
  }

  /** The page for writing, allocated or un-shared on demand. */
  private pageForWrite(pageNumber: number): Uint8Array {
    if (pageNumber === this.writePageNumber) return this.writePage;
    let page = this.pages.get(pageNumber);
    if (page === undefined) {
      page = this.allocatePage();
      this.pages.set(pageNumber, page);
      this.owned.add(pageNumber);
    } else if (!this.owned.has(pageNumber)) {
      const copy = this.allocatePage();
      copy.set(page);
      page = copy;
      this.pages.set(pageNumber, page);
      this.owned.add(pageNumber);
    }
    this.writePageNumber = pageNumber;
    this.writePage = page;
    if (this.readPageNumber === pageNumber) this.readPage = page;
    return page;
  }

  /**
   * Bumped by snapshot() and restore(): pages handed out by privatePage() before the bump may since be shared with
   * a snapshot or replaced, so caches of them (the CPU's TLB) must be dropped.
   */
  generation = 0;

  /** The page's own array, unshared (copied first if a snapshot shares it): valid until `generation` changes. */
  privatePage(pageNumber: number): Uint8Array {
    return this.pageForWrite(pageNumber);
  }

  read8(address: number): number {
    return this.pageForRead(Math.floor(address / PAGE_SIZE))[address & PAGE_MASK];
  }

  write8(address: number, value: number): void {
    this.pageForWrite(Math.floor(address / PAGE_SIZE))[address & PAGE_MASK] = value;
  }

  /** Little-endian read of 1, 2 or 4 bytes (unsigned); may cross a page boundary. */
  read(address: number, size: 1 | 2 | 4): number {
    const offset = address & PAGE_MASK;
    if (offset + size <= PAGE_SIZE) {
      const page = this.pageForRead(Math.floor(address / PAGE_SIZE));
      if (size === 1) return page[offset];
      if (size === 2) return page[offset] | (page[offset + 1] << 8);
      return (page[offset] | (page[offset + 1] << 8) | (page[offset + 2] << 16) | (page[offset + 3] << 24)) >>> 0;
    }
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + this.read8(address + i);
    return value;
  }

  write(address: number, size: 1 | 2 | 4, value: number): void {
    const offset = address & PAGE_MASK;
    if (offset + size <= PAGE_SIZE) {
      const page = this.pageForWrite(Math.floor(address / PAGE_SIZE));
      page[offset] = value;
      if (size >= 2) page[offset + 1] = value >>> 8;
      if (size === 4) {
        page[offset + 2] = value >>> 16;
        page[offset + 3] = value >>> 24;
      }
      return;
    }
    for (let i = 0; i < size; i++) this.write8(address + i, (value >>> (8 * i)) & 0xff);
  }

  /** Copies length bytes at address into dest[destOffset...]. */
  readBlock(address: number, dest: Uint8Array, destOffset: number, length: number): void {
    while (length > 0) {
      const offset = address & PAGE_MASK;
      const chunk = Math.min(length, PAGE_SIZE - offset);
      const page = this.pageForRead(Math.floor(address / PAGE_SIZE));
      dest.set(page.subarray(offset, offset + chunk), destOffset);
      address += chunk;
      destOffset += chunk;
      length -= chunk;
    }
  }

  writeBlock(address: number, src: Uint8Array, srcOffset: number, length: number): void {
    while (length > 0) {
      const offset = address & PAGE_MASK;
      const chunk = Math.min(length, PAGE_SIZE - offset);
      const page = this.pageForWrite(Math.floor(address / PAGE_SIZE));
      page.set(src.subarray(srcOffset, srcOffset + chunk), offset);
      address += chunk;
      srcOffset += chunk;
      length -= chunk;
    }
  }

  /** Copies length bytes from src to dst; the ranges must not overlap. */
  copy(dst: number, src: number, length: number): void {
    while (length > 0) {
      const srcOffset = src & PAGE_MASK;
      const dstOffset = dst & PAGE_MASK;
      const chunk = Math.min(length, PAGE_SIZE - srcOffset, PAGE_SIZE - dstOffset);
      const to = this.pageForWrite(Math.floor(dst / PAGE_SIZE));
      const from = this.pageForRead(Math.floor(src / PAGE_SIZE));
      if (chunk === PAGE_SIZE) to.set(from);
      else to.set(from.subarray(srcOffset, srcOffset + chunk), dstOffset);
      src += chunk;
      dst += chunk;
      length -= chunk;
    }
  }

  fill(address: number, length: number, value: number): void {
    while (length > 0) {
      const offset = address & PAGE_MASK;
      const chunk = Math.min(length, PAGE_SIZE - offset);
      this.pageForWrite(Math.floor(address / PAGE_SIZE)).fill(value, offset, offset + chunk);
      address += chunk;
      length -= chunk;
    }
  }

  /** Number of pages holding data (for memory accounting). */
  get allocatedPages(): number {
    return this.pages.size;
  }

  snapshot(): MemorySnapshot {
    this.generation++;
    this.owned.clear();
    this.writePageNumber = -1;
    return { pages: new Map(this.pages) };
  }

  restore(snapshot: MemorySnapshot): void {
    this.generation++;
    this.pages = new Map(snapshot.pages);
    this.owned.clear();
    this.readPageNumber = -1;
    this.writePageNumber = -1;
    this.readPage = ZERO_PAGE;
    this.writePage = ZERO_PAGE;
  }
}
