// Watchpoints of system CPUs (a debugger's data breakpoints): loads and stores to watched ranges of virtual addresses
// (compared as the CPU issues them, any ASID) or of physical RAM (after translation, whatever the virtual alias). An
// access that matches stops the CPU before it is performed, as the ARMv7 synchronous watchpoint debug event does: the
// accessing instruction is the current one (its PC; not retired, its registers unchanged), and resuming executes it
// again with that CPU's hits of it passed once. The MMU asks `watches` only when it misses its page cache, and keeps
// watched pages out of that cache (mmu.ts): accesses to other pages, and every access while no watchpoint is set,
// take the fast path unchanged; translated code, which keeps copies of the cache's entries, reaches watched pages
// through the MMU's calls too.
import { MemoryFault } from './memory';

export interface Watchpoint {
  /** The debugger's breakpoint id. */
  readonly id: number;
  readonly space: 'virtual' | 'physical';
  readonly start: number;
  readonly length: number;
  readonly read: boolean;
  readonly write: boolean;
}

/** What the MMU consults on a miss of its page cache (none set: no cost). */
export interface MemoryWatch {
  /** Whether accesses to this virtual page, or to this physical page, must come through `check` (never cached). */
  watches(virtualPage: number, physicalPage: number): boolean;
  /**
   * Before an access to RAM of a watched page is performed: throws a WatchpointHit when it touches a watched range.
   * `old` is what the accessed bytes hold (the value read, for a load); `value` what a store writes.
   */
  check(address: number, physical: number, size: 1 | 2 | 4, write: boolean, value: number, old: number): void;
}

/** A watched access: the CPU stopped before performing it (a MemoryFault, so the engine stops at the instruction). */
export class WatchpointHit extends MemoryFault {
  constructor(
    readonly watchpoint: Watchpoint,
    address: number,
    readonly physical: number,
    readonly size: 1 | 2 | 4,
    readonly write: boolean,
    /** The value a store would write, or the value a load reads (unsigned). */
    readonly value: number,
    /** What the accessed bytes hold before the store (unsigned). */
    readonly old: number,
    /** Instructions the CPU retired before the accessing one. */
    readonly retired: number,
  ) {
    super(address >>> 0, write ? 'write' : 'read', `watchpoint ${watchpoint.id}`);
  }
}

/** The CPU a watch belongs to: its position, for passing the hits of the instruction resumed at. */
export interface WatchedCpu {
  readonly retiredNow: number;
}

/** One CPU's view of the shared watchpoints. */
class CpuWatch implements MemoryWatch {
  /** The CPU's hits while it has retired this many instructions are passed (the instruction it resumes at). */
  passRetired = -1;

  constructor(private readonly set: WatchpointSet, private readonly cpu: WatchedCpu) {}

  watches(virtualPage: number, physicalPage: number): boolean {
    return this.set.virtualPages.has(virtualPage) || this.set.physicalPages.has(physicalPage);
  }

  check(address: number, physical: number, size: 1 | 2 | 4, write: boolean, value: number, old: number): void {
    address >>>= 0;
    for (const w of this.set.list) {
      if (write ? !w.write : !w.read) continue;
      const at = w.space === 'virtual' ? address : physical;
      if (at + size <= w.start || at >= w.start + w.length) continue;
      const retired = this.cpu.retiredNow;
      if (retired === this.passRetired) return;
      const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
      throw new WatchpointHit(w, address, physical, size, write, (value & mask) >>> 0, (old & mask) >>> 0, retired);
    }
  }
}

/** The watchpoints of a machine's CPUs, and each CPU's watch (install it as `cpu.mmu.watch`). */
export class WatchpointSet {
  list: readonly Watchpoint[] = [];
  virtualPages = new Set<number>();
  physicalPages = new Set<number>();
  private readonly watches: CpuWatch[];

  constructor(cpus: readonly WatchedCpu[]) {
    this.watches = cpus.map((cpu) => new CpuWatch(this, cpu));
  }

  /** The watch CPU `index` installs. */
  watchOf(index: number): MemoryWatch {
    return this.watches[index];
  }

  /** Replaces the watchpoints (the MMUs must then drop their page caches: see Mmu.watch). */
  replace(list: readonly Watchpoint[]): void {
    this.list = list;
    this.virtualPages = pagesOf(list.filter((w) => w.space === 'virtual'));
    this.physicalPages = pagesOf(list.filter((w) => w.space === 'physical'));
  }

  /** CPU `index` resumes at an instruction whose watched accesses stopped it (it retired `retired` before it):
   * they are passed once (-1: none). */
  pass(index: number, retired: number): void {
    this.watches[index].passRetired = retired;
  }

  /** What CPU `index` passes (-1: nothing). */
  passedAt(index: number): number {
    return this.watches[index].passRetired;
  }
}

function pagesOf(list: readonly Watchpoint[]): Set<number> {
  const pages = new Set<number>();
  for (const w of list) {
    for (let page = Math.floor(w.start / 4096); page <= Math.floor((w.start + w.length - 1) / 4096); page++) pages.add(page);
  }
  return pages;
}
