// The execution engine: fetch through a per-page cache of decoded handlers, run them, account for IT blocks.
// Decoding happens once per instruction address; writes to a page with decoded code drop that page's cache.
import { conditionPassed, type Handler } from './alu';
import { decodeArm } from './a32';
import { MemoryFault, type CpuMemory } from './memory';
import { CpuState } from './state';
import { decodeThumb } from './t32';

const PAGE_SHIFT = 12;
const OFFSET_MASK = 0xfff;

/** Decoded handlers of one 4 KiB page in one instruction set, indexed by halfword. */
class CodePage {
  readonly handlers: (Handler | undefined)[] = new Array(2048);
  readonly sizes = new Uint8Array(2048);
}

export class Cpu extends CpuState {
  private armPages = new Map<number, CodePage>();
  private thumbPages = new Map<number, CodePage>();
  private currentPageNumber = -1;
  private currentThumb = false;
  private currentPage = new CodePage();
  /** Instructions retired since creation. */
  retired = 0;

  constructor(mem: CpuMemory) {
    super(mem);
  }

  private readonly invalidate = (pageNumber: number): void => {
    this.armPages.delete(pageNumber);
    this.thumbPages.delete(pageNumber);
    if (pageNumber === this.currentPageNumber) this.currentPageNumber = -1;
  };

  /** Drops every decoded instruction (after the address space changed wholesale). */
  flushCodeCache(): void {
    this.armPages.clear();
    this.thumbPages.clear();
    this.currentPageNumber = -1;
  }

  private pageFor(pc: number, thumb: boolean): CodePage {
    const pageNumber = pc >>> PAGE_SHIFT;
    const pages = thumb ? this.thumbPages : this.armPages;
    let page = pages.get(pageNumber);
    if (page === undefined) {
      page = new CodePage();
      pages.set(pageNumber, page);
      this.mem.watchCode(pageNumber, this.invalidate);
    }
    this.currentPageNumber = pageNumber;
    this.currentThumb = thumb;
    this.currentPage = page;
    return page;
  }

  private decode(page: CodePage, pc: number, thumb: boolean): Handler {
    const slot = (pc & OFFSET_MASK) >>> 1;
    let handler: Handler;
    let size: number;
    if (thumb) {
      const first = this.mem.fetch16(pc);
      if ((first & 0xf800) >= 0xe800) {
        const second = this.mem.fetch16((pc + 2) >>> 0);
        handler = decodeThumb(first, second, pc);
        size = 4;
      } else {
        handler = decodeThumb(first, -1, pc);
        size = 2;
      }
    } else {
      handler = decodeArm(this.mem.fetch32(pc) >>> 0, pc);
      size = 4;
    }
    page.handlers[slot] = handler;
    page.sizes[slot] = size;
    return handler;
  }

  /** Runs up to `budget` instructions or until something stops it (`this.stop`); returns how many ran. */
  run(budget: number): number {
    const r = this.r;
    let executed = 0;
    try {
      while (executed < budget && this.stop === null) {
        const pc = this.pc;
        const thumb = this.thumb;
        const page = (pc >>> PAGE_SHIFT) === this.currentPageNumber && thumb === this.currentThumb ? this.currentPage : this.pageFor(pc, thumb);
        const slot = (pc & OFFSET_MASK) >>> 1;
        const handler = page.handlers[slot] ?? this.decode(page, pc, thumb);
        const next = (pc + page.sizes[slot]) >>> 0;
        this.next = next;
        executed++;
        if (thumb) {
          r[15] = pc + 4;
          const it = this.it;
          if (it !== 0) {
            // Handlers see the IT state of their own instruction (16-bit ones set flags only outside a block).
            if (conditionPassed(this, it >>> 4)) handler(this);
            this.it = (it & 7) === 0 ? 0 : (it & 0xe0) | ((it << 1) & 0x1f);
            this.pc = this.next;
            continue;
          }
        } else {
          r[15] = pc + 8;
        }
        handler(this);
        this.pc = this.next;
      }
    } catch (error) {
      if (!(error instanceof MemoryFault)) throw error;
      this.next = this.pc;
      this.stop = { kind: 'fault', address: error.address >>> 0, access: error.access, detail: error.reason };
    }
    this.retired += executed;
    return executed;
  }
}
