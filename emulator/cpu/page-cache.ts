// The fast path of the CPU's memory, shared by the user-mode address space and the system MMU: a direct-mapped cache
// of RAM pages by virtual page number, one for reads and one for writes, each entry the page's bytes tagged with its
// page number. A hit is an array access; a miss (or an access that crosses the page) goes to the subclass, which
// translates, checks and may fill the entry. The subclass empties entries whenever what allowed them changes.
const CACHE_SIZE = 1024;
const CACHE_MASK = CACHE_SIZE - 1;
const PAGE_SIZE = 4096;
const PAGE_MASK = PAGE_SIZE - 1;
const EMPTY_PAGE = new Uint8Array(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
/** A view of each buffer cached pages live in (RAM's chunks and slabs: few), for translated code's wider accesses. */
const views = new WeakMap<ArrayBufferLike, DataView>();

function viewOf(page: Uint8Array): DataView {
  let view = views.get(page.buffer);
  if (view === undefined) views.set(page.buffer, (view = new DataView(page.buffer)));
  return view;
}

export abstract class PageCachedMemory {
  // Public for translated code, which reads them as the accesses below do (CpuMemory).
  readonly readTags = new Int32Array(CACHE_SIZE).fill(-1);
  readonly readPages: Uint8Array[] = new Array<Uint8Array>(CACHE_SIZE).fill(EMPTY_PAGE);
  readonly writeTags = new Int32Array(CACHE_SIZE).fill(-1);
  readonly writePages: Uint8Array[] = new Array<Uint8Array>(CACHE_SIZE).fill(EMPTY_PAGE);
  /** Each entry's page as its buffer's view and the page's offset in it: a halfword or word is one access there. */
  readonly readViews: DataView[] = new Array<DataView>(CACHE_SIZE).fill(EMPTY_VIEW);
  readonly readOffsets = new Int32Array(CACHE_SIZE);
  readonly writeViews: DataView[] = new Array<DataView>(CACHE_SIZE).fill(EMPTY_VIEW);
  readonly writeOffsets = new Int32Array(CACHE_SIZE);

  /**
   * Bumped whenever an entry is filled or emptied: a translated block keeps its own copies of entries (translate.ts),
   * valid while this holds.
   */
  cacheEpoch = 0;

  /** A read the cache did not serve: the value (unsigned; read32's caller makes it signed). */
  protected abstract readMiss(address: number, size: 1 | 2 | 4): number;
  protected abstract writeMiss(address: number, size: 1 | 2 | 4, value: number): void;

  /** Later reads of virtual page `vpn` read `page`. */
  protected cacheRead(vpn: number, page: Uint8Array): void {
    const slot = vpn & CACHE_MASK;
    this.readTags[slot] = vpn;
    this.readPages[slot] = page;
    this.readViews[slot] = viewOf(page);
    this.readOffsets[slot] = page.byteOffset;
    this.cacheEpoch++;
  }

  /** Later writes to virtual page `vpn` write `page`. */
  protected cacheWrite(vpn: number, page: Uint8Array): void {
    const slot = vpn & CACHE_MASK;
    this.writeTags[slot] = vpn;
    this.writePages[slot] = page;
    this.writeViews[slot] = viewOf(page);
    this.writeOffsets[slot] = page.byteOffset;
    this.cacheEpoch++;
  }

  /** Virtual page `vpn` is no longer cached. */
  protected uncachePage(vpn: number): void {
    const slot = vpn & CACHE_MASK;
    if (this.readTags[slot] === vpn) this.readTags[slot] = -1;
    if (this.writeTags[slot] === vpn) this.writeTags[slot] = -1;
    this.cacheEpoch++;
  }

  /** No page is cached for writes. */
  protected uncacheWrites(): void {
    this.writeTags.fill(-1);
    this.cacheEpoch++;
  }

  /** No page is cached. */
  protected uncacheAll(): void {
    this.readTags.fill(-1);
    this.writeTags.fill(-1);
    this.cacheEpoch++;
  }

  /**
   * Runs each access's miss path once, on a page cached for both reads and writes (RAM the CPU may read and write
   * now, its bytes written back unchanged; nothing happens when there is none), so that V8 has feedback for the
   * misses before it optimizes code that inlines these accesses: a miss first reaching optimized code (a translated
   * block, at the first page it finds uncached) deoptimizes it, and V8 compiles it again.
   */
  exerciseMissPaths(): void {
    let vpn = -1;
    for (let slot = 0; slot < CACHE_SIZE && vpn < 0; slot++) if (this.readTags[slot] >= 0 && this.readTags[slot] === this.writeTags[slot]) vpn = this.readTags[slot];
    if (vpn < 0) return;
    const address = (vpn * PAGE_SIZE) | 0; // signed, as the CPU passes addresses (a small integer for V8)
    this.uncachePage(vpn);
    const byte = this.read8(address);
    this.uncachePage(vpn);
    this.write8(address, byte);
    this.uncachePage(vpn);
    const half = this.read16(address);
    this.uncachePage(vpn);
    this.write16(address, half);
    this.uncachePage(vpn);
    const word = this.read32(address);
    this.uncachePage(vpn);
    this.write32(address, word);
  }

  /** The page reads of `address` go to, or an empty array when it is not cached. */
  readPageAt(address: number): Uint8Array {
    const vpn = address >>> 12;
    const slot = vpn & CACHE_MASK;
    return this.readTags[slot] === vpn ? this.readPages[slot] : EMPTY_PAGE;
  }

  /** The page writes to `address` go to, or an empty array when it is not cached. */
  writePageAt(address: number): Uint8Array {
    const vpn = address >>> 12;
    const slot = vpn & CACHE_MASK;
    return this.writeTags[slot] === vpn ? this.writePages[slot] : EMPTY_PAGE;
  }

  read8(address: number): number {
    const vpn = address >>> 12;
    const slot = vpn & CACHE_MASK;
    if (this.readTags[slot] === vpn) return this.readPages[slot][address & PAGE_MASK];
    return this.readMiss(address, 1);
  }

  read16(address: number): number {
    const vpn = address >>> 12;
    const slot = vpn & CACHE_MASK;
    const o = address & PAGE_MASK;
    if (this.readTags[slot] === vpn && o < PAGE_SIZE - 1) {
      const page = this.readPages[slot];
      return page[o] | (page[o + 1] << 8);
    }
    return this.readMiss(address, 2);
  }

  read32(address: number): number {
    const vpn = address >>> 12;
    const slot = vpn & CACHE_MASK;
    const o = address & PAGE_MASK;
    if (this.readTags[slot] === vpn && o < PAGE_SIZE - 3) {
      const page = this.readPages[slot];
      return page[o] | (page[o + 1] << 8) | (page[o + 2] << 16) | (page[o + 3] << 24);
    }
    return this.readMiss(address, 4) | 0;
  }

  write8(address: number, value: number): void {
    const vpn = address >>> 12;
    const slot = vpn & CACHE_MASK;
    if (this.writeTags[slot] === vpn) this.writePages[slot][address & PAGE_MASK] = value;
    else this.writeMiss(address, 1, value);
  }

  write16(address: number, value: number): void {
    const vpn = address >>> 12;
    const slot = vpn & CACHE_MASK;
    const o = address & PAGE_MASK;
    if (this.writeTags[slot] === vpn && o < PAGE_SIZE - 1) {
      const page = this.writePages[slot];
      page[o] = value;
      page[o + 1] = value >>> 8;
    } else this.writeMiss(address, 2, value);
  }

  write32(address: number, value: number): void {
    const vpn = address >>> 12;
    const slot = vpn & CACHE_MASK;
    const o = address & PAGE_MASK;
    if (this.writeTags[slot] === vpn && o < PAGE_SIZE - 3) {
      const page = this.writePages[slot];
      page[o] = value;
      page[o + 1] = value >>> 8;
      page[o + 2] = value >>> 16;
      page[o + 3] = value >>> 24;
    } else this.writeMiss(address, 4, value);
  }
}
