// The VMSAv7 MMU of a Cortex-A15 as a CpuMemory over the machine's bus: the short-descriptor format (sections,
// supersections, large and small pages, domains, AP/XN/PXN, the access flag with SCTLR.AFE) and the LPAE long-
// descriptor format (blocks, pages, APTable/XNTable/PXNTable, the access flag, 40-bit physical addresses), ASIDs and
// global entries. The TLB keeps what the walks found until the kernel invalidates it (TLBI by MVA, ASID or all); a
// direct-mapped cache of RAM page arrays in front of it serves loads and stores without a walk or a bus access.
// Faults throw an MmuFault carrying the FSR value and fault address that the exception entry reports. Under a
// hypervisor (dmalab running a guest), a stage 2 maps what the walk gives (an IPA) to the physical address.
import { BusResponse, type Bus, type BusPort } from '../bus/bus';
import { PAGE_SIZE, type CodeWatcher, type PhysicalMemory } from '../bus/memory';
import { MemoryFault, type AccessKind, type CpuMemory, type DeviceAccessObserver } from './memory';
import { PageCachedMemory } from './page-cache';
import type { MemoryWatch } from './watchpoints';

const PAGE_MASK = PAGE_SIZE - 1;
const EMPTY_PAGE = new Uint8Array(0);

// Permission bits of a TLB entry.
const PL1_READ = 1, PL1_WRITE = 2, PL1_EXEC = 4, PL0_READ = 8, PL0_WRITE = 16, PL0_EXEC = 32;
const ALL_ACCESS = PL1_READ | PL1_WRITE | PL1_EXEC | PL0_READ | PL0_WRITE | PL0_EXEC;

/** SCTLR bits the MMU reads. */
export const SCTLR_M = 1 << 0, SCTLR_AFE = 1 << 29;

/** The translation registers (CP15) the walk reads; the owner updates them and calls `configure`. */
export interface TranslationRegisters {
  sctlr: number;
  ttbcr: number;
  /** TTBR0/TTBR1: low and high words (the high word only in the long format: BADDR[39:32], ASID[55:48]). */
  ttbr0: number;
  ttbr0High: number;
  ttbr1: number;
  ttbr1High: number;
  dacr: number;
  contextidr: number;
}

/** A translation the TLB keeps: one 4 KiB page of a section, block or page. */
interface TlbEntry {
  readonly physicalPage: number;
  readonly permissions: number;
  /** Short format: the domain checked against DACR at each use; -1 in the long format. */
  readonly domain: number;
  readonly asid: number;
  readonly global: boolean;
  /** Fault status parts for a permission or domain fault: the level (long) or section/page (short). */
  readonly level: number;
  /** Shared by every page of one section/block, so TLBI by MVA drops the whole of it. */
  readonly block: object | undefined;
}

/**
 * The TLB's entries by virtual page number, in a two-level table: a Map under Linux's stream of TLBIs (a delete and an
 * insert each) took microseconds per lookup.
 */
class TlbTable {
  private static readonly SPAN = 1024;
  private readonly spans: ((TlbEntry | undefined)[] | undefined)[] = new Array<(TlbEntry | undefined)[] | undefined>(2 ** 20 / TlbTable.SPAN).fill(undefined);
  /** The spans allocated, for clear and forEach. */
  private readonly allocated: number[] = [];

  get(vpn: number): TlbEntry | undefined {
    const span = this.spans[vpn >>> 10];
    return span === undefined ? undefined : span[vpn & (TlbTable.SPAN - 1)];
  }

  set(vpn: number, entry: TlbEntry): void {
    let span = this.spans[vpn >>> 10];
    if (span === undefined) {
      span = new Array<TlbEntry | undefined>(TlbTable.SPAN).fill(undefined);
      this.spans[vpn >>> 10] = span;
      this.allocated.push(vpn >>> 10);
    }
    span[vpn & (TlbTable.SPAN - 1)] = entry;
  }

  delete(vpn: number): void {
    const span = this.spans[vpn >>> 10];
    if (span !== undefined) span[vpn & (TlbTable.SPAN - 1)] = undefined;
  }

  clear(): void {
    for (const index of this.allocated) this.spans[index] = undefined;
    this.allocated.length = 0;
  }

  forEach(visit: (entry: TlbEntry, vpn: number) => void): void {
    for (const index of this.allocated) {
      const span = this.spans[index]!;
      for (let i = 0; i < TlbTable.SPAN; i++) {
        const entry = span[i];
        if (entry !== undefined) visit(entry, index * TlbTable.SPAN + i);
      }
    }
  }
}

/** Fault status codes, short-descriptor format (FS[4:0]). */
const enum ShortFs {
  Alignment = 0b00001, AccessFlagSection = 0b00011, AccessFlagPage = 0b00110, TranslationSection = 0b00101,
  TranslationPage = 0b00111, DomainSection = 0b01001, DomainPage = 0b01011, PermissionSection = 0b01101,
  PermissionPage = 0b01111, External = 0b01000, WalkExternalL1 = 0b01100, WalkExternalL2 = 0b01110,
}

/** Long-descriptor status codes (STATUS[5:0]); the translation, access flag and permission ones add the level. */
const enum LongStatus {
  Translation = 0b000100, AccessFlag = 0b001000, Permission = 0b001100, External = 0b010000, WalkExternal = 0b010100,
}

export class MmuFault extends MemoryFault {
  constructor(
    address: number,
    access: AccessKind,
    reason: string,
    /** DFSR/IFSR value (without WnR, which the exception entry adds). */
    readonly status: number,
  ) {
    super(address, access, reason);
  }
}

const FAULT_NAMES: Readonly<Record<string, string>> = {
  translation: 'translation fault', access: 'access flag fault', domain: 'domain fault', permission: 'permission fault',
  external: 'external abort', walk: 'external abort on the translation table walk',
};

export class Mmu extends PageCachedMemory implements CpuMemory, CodeWatcher {
  private readonly ram: PhysicalMemory;
  private readonly tlb = new TlbTable();
  /**
   * A hypervisor's stage 2: the physical address of an intermediate physical address (page granular). It applies
   * to the stage-1 walk's output and its table reads, and to every address with the MMU off; the TLB keeps the
   * combined result. Undefined: no stage 2 (the IPA is the physical address).
   */
  stage2: ((ipa: number) => number) | undefined;
  /** The CPU's decoded code of a physical page is stale (any writer: this CPU, another, DMA, the debugger). */
  private dropCode: ((physicalPage: number) => void) | undefined;
  private readonly scratch = new Uint8Array(8);
  private readonly walkBuffer = new Uint8Array(8);
  private cacheGeneration = -1;
  // The last page instructions were fetched from (the CPU decodes a block at a time).
  private fetchTag = -1;
  private fetchPage: Uint8Array = EMPTY_PAGE;
  /** Virtual pages translated for execution since `generation` last changed (the CPU may hold their code). */
  private readonly fetchedPages = new Set<number>();
  /** Whether accesses are checked with PL0 permissions (USR mode, or LDRT/STRT). */
  private user = false;
  private enabled = false;
  private longFormat = false;
  private asid = 0;
  /** Called before an access reaches a device (not RAM): brings the devices to the CPU's instant. */
  beforeDeviceAccess: (() => void) | undefined;
  /** Called after each data access that reached a device (none attached: no cost): what a trace shows of a driver. */
  onDeviceAccess: DeviceAccessObserver | undefined;
  private memoryWatch: MemoryWatch | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly port: BusPort,
    readonly regs: TranslationRegisters,
  ) {
    super();
    this.ram = bus.memory;
    this.ram.addCodeWatcher(this);
  }

  /** After SCTLR, TTBCR, TTBRs, DACR or CONTEXTIDR changed: the TLB stays (ASID-tagged), the access cache goes. */
  configure(): void {
    const r = this.regs;
    this.enabled = (r.sctlr & SCTLR_M) !== 0;
    this.longFormat = (r.ttbcr & 0x80000000) !== 0;
    this.asid = this.longFormat ? (((r.ttbcr & (1 << 22)) !== 0 ? r.ttbr1High : r.ttbr0High) >>> 16) & 0xff : r.contextidr & 0xff;
    this.flushAccessCache();
  }

  /** PL0 permissions apply while set (USR mode, LDRT/STRT). */
  setUser(user: boolean): void {
    if (user === this.user) return;
    this.user = user;
    this.flushAccessCache();
  }

  /**
   * The debugger's watchpoints (watchpoints.ts): loads and stores to RAM of the pages it watches miss the page cache
   * and are checked before they are performed. Set it again when what it watches changes.
   */
  get watch(): MemoryWatch | undefined {
    return this.memoryWatch;
  }

  set watch(watch: MemoryWatch | undefined) {
    this.memoryWatch = watch;
    this.uncacheAll();
  }

  /** Bumped whenever translations may have changed: the CPU's cache of code pages by virtual page follows it. */
  generation = 0;

  private flushAccessCache(): void {
    this.generation++;
    this.fetchedPages.clear();
    this.uncacheAll();
    this.fetchTag = -1;
  }

  // ---- TLB maintenance ----------------------------------------------------------------------------------------

  invalidateAll(): void {
    this.tlb.clear();
    this.flushAccessCache();
  }

  /**
   * TLBIMVA (asid >= 0: that ASID's and global entries) / TLBIMVAA (asid < 0: any ASID). Only the pages it drops
   * leave the access cache; decoded code is looked up afresh only when one of them held code (Linux invalidates
   * single pages all the time, and its code's pages almost never).
   */
  invalidateAddress(address: number, asid: number): void {
    const vpn = address >>> 12;
    const entry = this.tlb.get(vpn);
    if (entry === undefined || !(asid < 0 || entry.global || entry.asid === asid)) return;
    this.tlb.delete(vpn);
    this.forgetPage(vpn);
    const block = entry.block;
    if (block !== undefined) {
      this.tlb.forEach((e, key) => {
        if (e.block !== block) return;
        this.tlb.delete(key);
        this.forgetPage(key);
      });
    }
  }

  /** A virtual page's translation changed: its access cache slots go, and decoded code if it was fetched from. */
  private forgetPage(vpn: number): void {
    this.uncachePage(vpn);
    if (this.fetchTag === vpn) this.fetchTag = -1;
    if (this.fetchedPages.has(vpn)) this.flushAccessCache();
  }

  invalidateAsid(asid: number): void {
    this.tlb.forEach((e, key) => {
      if (!e.global && e.asid === asid) this.tlb.delete(key);
    });
    this.flushAccessCache();
  }

  // ---- Code watching ------------------------------------------------------------------------------------------

  /** Decoded code lives in this physical page: the RAM reports writes to it (so no store may bypass the RAM). */
  watchPhysical(physicalPage: number, written: (physicalPage: number) => void): void {
    this.dropCode = written;
    this.ram.watchCode(physicalPage);
  }

  /** The CpuMemory hook of the user-mode engine: a system CPU watches physical pages instead. */
  watchCode(): void {}

  /** Some CPU's code is in this page now: stores to it leave the write cache (they must reach the RAM's methods). */
  codeWatched(): void {
    this.uncacheWrites();
  }

  codeWritten(physicalPage: number): void {
    this.dropCode?.(physicalPage);
  }

  // ---- Translation --------------------------------------------------------------------------------------------

  /** The physical address of a virtual one for an access, or throws the MmuFault. */
  translate(address: number, access: AccessKind): number {
    if (!this.enabled) return this.stage2 === undefined ? address >>> 0 : this.stage2(address >>> 0);
    const vpn = address >>> 12;
    let entry = this.tlb.get(vpn);
    if (entry === undefined || !(entry.global || entry.asid === this.asid)) {
      entry = this.walk(address >>> 0, access);
      this.tlb.set(vpn, entry);
    }
    this.check(entry, address, access);
    if (access === 'execute') this.fetchedPages.add(vpn);
    return entry.physicalPage * PAGE_SIZE + (address & PAGE_MASK);
  }

  /** Translation for the debugger: no fault, no TLB fill; -1 when unmapped or not readable at PL1. */
  probe(address: number): number {
    try {
      if (!this.enabled) return this.stage2 === undefined ? address >>> 0 : this.stage2(address >>> 0);
      const entry = this.walk(address >>> 0, 'read');
      return entry.physicalPage * PAGE_SIZE + (address & PAGE_MASK);
    } catch (error) {
      if (error instanceof MmuFault) return -1;
      throw error;
    }
  }

  private check(entry: TlbEntry, address: number, access: AccessKind): void {
    let permissions = entry.permissions;
    if (entry.domain >= 0) {
      const domainAccess = (this.regs.dacr >>> (2 * entry.domain)) & 3;
      if (domainAccess === 3) return;
      if (domainAccess !== 1) {
        this.fault(address, access, 'domain', entry.level === 1 ? ShortFs.DomainSection : ShortFs.DomainPage, entry.domain);
      }
    }
    const need = access === 'read' ? PL1_READ : access === 'write' ? PL1_WRITE : PL1_EXEC;
    if (this.user) permissions >>= 3;
    if ((permissions & need) === 0) {
      if (this.longFormat) this.fault(address, access, 'permission', LongStatus.Permission | entry.level, 0);
      else this.fault(address, access, 'permission', entry.level === 1 ? ShortFs.PermissionSection : ShortFs.PermissionPage, entry.domain);
    }
  }

  private fault(address: number, access: AccessKind, kind: string, code: number, domain: number): never {
    const status = this.longFormat ? (1 << 9) | code : ((code & 0x10) << 6) | (code & 0xf) | (domain << 4);
    throw new MmuFault(address >>> 0, access, `${FAULT_NAMES[kind]} (${this.longFormat ? 'long' : 'short'} descriptors)`, status >>> 0);
  }

  /** The high word of the last long descriptor read (a 64-bit descriptor does not fit a double exactly). */
  private descriptorHigh = 0;

  /** Reads a descriptor of a table walk (physical, little-endian): its low word; the high one in descriptorHigh. */
  private readDescriptor(physical: number, access: AccessKind, address: number, external: number, wide: boolean): number {
    if (this.stage2 !== undefined) physical = this.stage2(physical);
    if (this.bus.isRam(physical, wide ? 8 : 4)) {
      this.descriptorHigh = wide ? this.ram.read(physical + 4, 4) : 0;
      return this.ram.read(physical, 4);
    }
    const b = this.walkBuffer;
    if (this.bus.physicalRead(physical, b, 0, wide ? 8 : 4) !== BusResponse.Okay) this.fault(address, access, 'walk', external, 0);
    this.descriptorHigh = wide ? (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0 : 0;
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  private walk(address: number, access: AccessKind): TlbEntry {
    const entry = this.longFormat ? this.walkLong(address, access) : this.walkShort(address, access);
    if (this.stage2 === undefined) return entry;
    return { ...entry, physicalPage: this.stage2(entry.physicalPage * PAGE_SIZE) / PAGE_SIZE };
  }

  private walkShort(address: number, access: AccessKind): TlbEntry {
    const r = this.regs;
    const n = r.ttbcr & 7;
    const useTtbr1 = n !== 0 && address >>> (32 - n) !== 0;
    if ((r.ttbcr & (useTtbr1 ? 0x20 : 0x10)) !== 0) this.fault(address, access, 'translation', ShortFs.TranslationSection, 0);
    const ttbr = (useTtbr1 ? r.ttbr1 : r.ttbr0) >>> 0;
    // TTBR0 holds bits [31:14-N] of its table; TTBR1's table is always 16 KiB (only its top part is used).
    const tableBase = (ttbr & (-1 << (useTtbr1 ? 14 : 14 - n))) >>> 0;
    const indexBits = useTtbr1 ? 12 : 12 - n;
    const index = (address >>> 20) & ((1 << indexBits) - 1);
    const first = this.readDescriptor(tableBase + index * 4, access, address, ShortFs.WalkExternalL1, false);
    const afe = (r.sctlr & SCTLR_AFE) !== 0;
    switch (first & 3) {
      case 0:
        return this.fault(address, access, 'translation', ShortFs.TranslationSection, 0);
      case 1: {
        const domain = (first >>> 5) & 0xf;
        const pxn = (first & 4) !== 0;
        const second = this.readDescriptor(((first & 0xfffffc00) >>> 0) + ((address >>> 12) & 0xff) * 4, access, address, ShortFs.WalkExternalL2, false);
        if ((second & 3) === 0) this.fault(address, access, 'translation', ShortFs.TranslationPage, domain);
        const large = (second & 3) === 1;
        const ap = ((second >>> 7) & 4) | ((second >>> 4) & 3);
        const xn = large ? (second & 0x8000) !== 0 : (second & 1) !== 0;
        if (afe && (ap & 1) === 0) this.fault(address, access, 'access', ShortFs.AccessFlagPage, domain);
        const physical = large ? ((second & 0xffff0000) >>> 0) + (address & 0xf000) : (second & 0xfffff000) >>> 0;
        return {
          physicalPage: (physical >>> 0) / PAGE_SIZE, permissions: shortPermissions(ap, afe, xn, pxn), domain,
          asid: this.asid, global: (second & 0x800) === 0, level: 2, block: undefined,
        };
      }
      default: {
        const supersection = (first & (1 << 18)) !== 0;
        const domain = supersection ? 0 : (first >>> 5) & 0xf;
        const ap = ((first >>> 13) & 4) | ((first >>> 10) & 3);
        if (afe && (ap & 1) === 0) this.fault(address, access, 'access', ShortFs.AccessFlagSection, domain);
        const physical = supersection
          ? ((first & 0xff000000) >>> 0) + ((first >>> 20) & 0xf) * 2 ** 32 + ((first >>> 5) & 0xf) * 2 ** 36 + (address & 0x00fff000)
          : ((first & 0xfff00000) >>> 0) + (address & 0x000ff000);
        return {
          physicalPage: physical / PAGE_SIZE,
          permissions: shortPermissions(ap, afe, (first & 0x10) !== 0, (first & 1) !== 0), domain, asid: this.asid,
          global: (first & 0x20000) === 0, level: 1, block: { base: address >>> (supersection ? 24 : 20) },
        };
      }
    }
  }

  private walkLong(address: number, access: AccessKind): TlbEntry {
    const r = this.regs;
    const t0sz = r.ttbcr & 7, t1sz = (r.ttbcr >>> 16) & 7;
    // TTBR0 covers [0, 2^(32-T0SZ)) and TTBR1 [2^32 - 2^(32-T1SZ), 2^32); a size of zero leaves that TTBR the rest of
    // the space (Linux's TTBR0 PAN runs the kernel with T0SZ = 7, T1SZ = 0: TTBR1 above 32 MiB); between the two, a
    // translation fault.
    const ttbr0End = t0sz === 0 ? (t1sz === 0 ? 2 ** 32 : 2 ** 32 - 2 ** (32 - t1sz)) : 2 ** (32 - t0sz);
    const ttbr1Start = t1sz === 0 ? ttbr0End : 2 ** 32 - 2 ** (32 - t1sz);
    let useTtbr1: boolean;
    if (address < ttbr0End) useTtbr1 = false;
    else if (address >= ttbr1Start) useTtbr1 = true;
    else return this.fault(address, access, 'translation', LongStatus.Translation | 1, 0);
    if ((r.ttbcr & (useTtbr1 ? 1 << 23 : 1 << 7)) !== 0) this.fault(address, access, 'translation', LongStatus.Translation | 1, 0);
    const regionBits = 32 - (useTtbr1 ? t1sz : t0sz);
    let level = regionBits > 30 ? 1 : 2;
    const ttbr = useTtbr1 ? (r.ttbr1High & 0xff) * 2 ** 32 + r.ttbr1 : (r.ttbr0High & 0xff) * 2 ** 32 + r.ttbr0;
    // The table is aligned to its size: BADDR[39:x] with x from the region size.
    const tableBytes = 8 * 2 ** (regionBits - (level === 1 ? 30 : 21));
    let table = Math.floor(ttbr / tableBytes) * tableBytes;
    let apTable = 0, xnTable = false, pxnTable = false;
    for (;;) {
      const shift = level === 1 ? 30 : level === 2 ? 21 : 12;
      const indexMask = level === 1 ? (1 << (regionBits - 30)) - 1 : 0x1ff;
      const index = Math.floor(address / 2 ** shift) & indexMask;
      const low = this.readDescriptor(table + index * 8, access, address, LongStatus.WalkExternal | level, true);
      const high = this.descriptorHigh;
      const type = low & 3;
      if ((type & 1) === 0 || (level === 3 && type === 1)) this.fault(address, access, 'translation', LongStatus.Translation | level, 0);
      if (level < 3 && type === 3) {
        apTable |= (high >>> 29) & 3;
        xnTable ||= (high & (1 << 28)) !== 0;
        pxnTable ||= (high & (1 << 27)) !== 0;
        table = (high & 0xff) * 2 ** 32 + ((low & 0xfffff000) >>> 0);
        level++;
        continue;
      }
      if ((low & (1 << 10)) === 0) this.fault(address, access, 'access', LongStatus.AccessFlag | level, 0);
      const outputMask = 2 ** shift;
      const outputBase = Math.floor(((high & 0xff) * 2 ** 32 + (low >>> 0)) / outputMask) * outputMask;
      const physical = outputBase + (address % outputMask) - (address % PAGE_SIZE);
      let ap = (low >>> 6) & 3;
      if (apTable & 1) ap &= ~1; // no PL0 access
      if (apTable & 2) ap |= 2; // read-only
      const xn = xnTable || (high & (1 << 22)) !== 0;
      const pxn = pxnTable || (high & (1 << 21)) !== 0;
      return {
        physicalPage: physical / PAGE_SIZE, permissions: longPermissions(ap, xn, pxn), domain: -1, asid: this.asid,
        global: (low & 0x800) === 0, level, block: level < 3 ? { base: Math.floor(address / outputMask) } : undefined,
      };
    }
  }

  // ---- Access -------------------------------------------------------------------------------------------------

  /**
   * The RAM page behind a physical address, or undefined for a device. The CPU's RAM accesses are served from the
   * pages (bus observers see the devices' side: DMA masters and MMIO).
   */
  private ramPage(physical: number): Uint8Array | undefined {
    const physicalPage = Math.floor(physical / PAGE_SIZE);
    if (!this.bus.isRam(physicalPage * PAGE_SIZE, PAGE_SIZE)) return undefined;
    if (this.ram.generation !== this.cacheGeneration) {
      this.flushAccessCache();
      this.cacheGeneration = this.ram.generation;
    }
    return this.ram.privatePage(physicalPage);
  }

  private readSized(address: number, size: 1 | 2 | 4, access: 'read' | 'execute'): number {
    address >>>= 0; // the fast paths take the address signed or unsigned
    if ((address & PAGE_MASK) + size > PAGE_SIZE) {
      let value = 0;
      for (let i = size - 1; i >= 0; i--) value = (value << 8) | this.readSized((address + i) >>> 0, 1, access);
      return value >>> 0;
    }
    const physical = this.translate(address, access);
    const page = this.ramPage(physical);
    if (page !== undefined) {
      const o = address & PAGE_MASK;
      const value = pageValue(page, o, size);
      const watch = this.memoryWatch;
      if (access === 'execute') {
        this.fetchTag = address >>> 12;
        this.fetchPage = page;
      } else if (watch !== undefined && watch.watches(address >>> 12, Math.floor(physical / PAGE_SIZE))) watch.check(address, physical, size, false, value, value);
      // Later reads at this privilege hit the cache.
      else this.cacheRead(address >>> 12, page);
      return value;
    }
    const device = this.hookedDevice(physical, size);
    if (device) this.beforeDeviceAccess?.();
    const s = this.scratch;
    const response = this.port.read(physical, s, 0, size, access === 'execute');
    if (response !== BusResponse.Okay && response !== BusResponse.DecodeError) this.externalAbort(address, access);
    // Nothing there reads as zero, as on QEMU's boards.
    const value = response === BusResponse.DecodeError ? 0 : size === 1 ? s[0] : size === 2 ? s[0] | (s[1] << 8) : (s[0] | (s[1] << 8) | (s[2] << 16) | (s[3] << 24)) >>> 0;
    if (device && this.onDeviceAccess !== undefined && access === 'read') this.onDeviceAccess(address, physical, size, value, false);
    return value;
  }

  private writeSized(address: number, size: 1 | 2 | 4, value: number): void {
    address >>>= 0;
    if ((address & PAGE_MASK) + size > PAGE_SIZE) {
      for (let i = 0; i < size; i++) this.writeSized((address + i) >>> 0, 1, value >>> (8 * i));
      return;
    }
    const physical = this.translate(address, 'write');
    const page = this.ramPage(physical);
    if (page !== undefined) {
      const watch = this.memoryWatch;
      if (watch !== undefined && watch.watches(address >>> 12, Math.floor(physical / PAGE_SIZE))) {
        const o = address & PAGE_MASK;
        const old = pageValue(page, o, size);
        watch.check(address, physical, size, true, value, old);
        // Not cached: the next store to the page is checked too.
        this.ram.write(physical, size, size === 4 ? value : value & ((1 << (8 * size)) - 1));
        return;
      }
      if (this.ram.isCode(Math.floor(physical / PAGE_SIZE))) {
        // A page with decoded code: the store goes through the RAM, which drops the code (every CPU's).
        this.ram.write(physical, size, size === 4 ? value : value & ((1 << (8 * size)) - 1));
        return;
      }
      // Later writes at this privilege hit the cache.
      this.cacheWrite(address >>> 12, page);
      const o = address & PAGE_MASK;
      for (let i = 0; i < size; i++) page[o + i] = value >>> (8 * i);
      return;
    }
    const device = this.hookedDevice(physical, size);
    if (device) this.beforeDeviceAccess?.();
    const s = this.scratch;
    for (let i = 0; i < size; i++) s[i] = value >>> (8 * i);
    const response = this.port.write(physical, s, 0, size);
    if (response !== BusResponse.Okay && response !== BusResponse.DecodeError) this.externalAbort(address, 'write');
    if (device && this.onDeviceAccess !== undefined) this.onDeviceAccess(address, physical, size, size === 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1), true);
  }

  /** Whether an access reaches a device rather than RAM: asked only when a device-access hook is attached. */
  private hookedDevice(physical: number, size: number): boolean {
    return (this.beforeDeviceAccess !== undefined || this.onDeviceAccess !== undefined) && !this.bus.isRam(physical, size);
  }

  private externalAbort(address: number, access: AccessKind): never {
    return this.fault(address, access, 'external', this.longFormat ? LongStatus.External : ShortFs.External, 0);
  }

  protected readMiss(address: number, size: 1 | 2 | 4): number {
    return this.readSized(address, size, 'read');
  }

  protected writeMiss(address: number, size: 1 | 2 | 4, value: number): void {
    this.writeSized(address, size, value);
  }

  fetch16(address: number): number {
    const o = address & PAGE_MASK;
    if (this.fetchTag === address >>> 12 && o < PAGE_SIZE - 1) return this.fetchPage[o] | (this.fetchPage[o + 1] << 8);
    return this.readSized(address, 2, 'execute');
  }

  fetch32(address: number): number {
    const o = address & PAGE_MASK;
    if (this.fetchTag === address >>> 12 && o < PAGE_SIZE - 3) {
      const page = this.fetchPage;
      return page[o] | (page[o + 1] << 8) | (page[o + 2] << 16) | (page[o + 3] << 24);
    }
    return this.readSized(address, 4, 'execute') | 0;
  }
}

/** The little-endian value of `size` bytes at offset `o` of a page (unsigned). */
function pageValue(page: Uint8Array, o: number, size: 1 | 2 | 4): number {
  return size === 1 ? page[o] : size === 2 ? page[o] | (page[o + 1] << 8) : (page[o] | (page[o + 1] << 8) | (page[o + 2] << 16) | (page[o + 3] << 24)) >>> 0;
}

/** Short-descriptor AP[2:0] (AFE = 0) or AP[2:1] (AFE = 1, AP[0] is the access flag) → permission bits. */
function shortPermissions(ap: number, afe: boolean, xn: boolean, pxn: boolean): number {
  let p: number;
  if (afe) p = [PL1_READ | PL1_WRITE, ALL_ACCESS, PL1_READ, PL1_READ | PL0_READ][ap >>> 1];
  else p = [0, PL1_READ | PL1_WRITE, PL1_READ | PL1_WRITE | PL0_READ, ALL_ACCESS, 0, PL1_READ, PL1_READ | PL0_READ, PL1_READ | PL0_READ][ap];
  return withExecute(p, xn, pxn);
}

/** Long-descriptor AP[2:1] → permission bits. */
function longPermissions(ap: number, xn: boolean, pxn: boolean): number {
  return withExecute([PL1_READ | PL1_WRITE, ALL_ACCESS, PL1_READ, PL1_READ | PL0_READ][ap], xn, pxn);
}

/** Execution follows readability at each level unless XN (both levels) or PXN (PL1) forbids it. */
function withExecute(p: number, xn: boolean, pxn: boolean): number {
  p &= ~(PL1_EXEC | PL0_EXEC);
  if (p & PL1_READ) p |= PL1_EXEC;
  if (p & PL0_READ) p |= PL0_EXEC;
  if (xn) p &= ~(PL1_EXEC | PL0_EXEC);
  if (pxn) p &= ~PL1_EXEC;
  return p;
}
