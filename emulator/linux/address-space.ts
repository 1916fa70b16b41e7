// A process's virtual address space over the machine's physical RAM: 4 KiB pages, each mapped on first touch to a
// frame taken from a RAM range of the bus, so the CPU, DMA through the SMMU and the debugger see the same bytes.
// Pages can also map device registers (VFIO region mmap): those accesses go through the bus as the CPU master.
import { BusResponse, type Bus, type BusPort } from '../bus/bus';
import type { PhysicalMemory } from '../bus/memory';
import { MemoryFault, type CpuMemory, type DeviceAccessObserver } from '../cpu/memory';
import { PageCachedMemory } from '../cpu/page-cache';

export const PAGE_SIZE = 4096;
const PAGE_MASK = PAGE_SIZE - 1;
const PAGES = 1 << 20;

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
/** Where mmap places mappings without an address hint (searching downwards). */
export const MMAP_TOP = 0xb0000000;
export const MMAP_BOTTOM = 0x01000000;
/** Page flags beyond the protection bits. */
const MAPPED = 8;
const DEVICE = 16;
const WATCHED = 32;
/** A page holding a watched store range: kept out of the write TLB, so its stores take the slow path that checks. */
const STORE_WATCHED = 64;
/** A page holding a watched load range: kept out of the read TLB likewise. */
const LOAD_WATCHED = 128;
const ACCESS_WATCHED = STORE_WATCHED | LOAD_WATCHED;

/** A range of virtual addresses whose CPU accesses are reported: its stores (unless `stores` is false), its loads
 * when `loads` is set. */
export interface AccessWatch {
  readonly start: number;
  readonly length: number;
  readonly stores?: boolean;
  readonly loads?: boolean;
}

/** Called after a CPU load or store (LDR, STR, LDM, STM...; not a system call's access) touching a watched range that
 * watches that kind of access, with the value loaded or stored. */
export type AccessListener = (address: number, size: 1 | 2 | 4, value: number, write: boolean) => void;

/** Where a process's page frames come from: physical addresses of zeroed 4 KiB frames of the machine's RAM. */
export interface FrameSource {
  /** A zeroed frame's physical address, or -1 when memory is exhausted. */
  allocate(): number;
  release(physical: number): void;
}

/** Frames from a range of RAM that nothing else uses (freed frames are reused first). */
export function rangeFrames(memory: PhysicalMemory, base: number, size: number): FrameSource {
  let next = Math.ceil(base / PAGE_SIZE) * PAGE_SIZE;
  const end = base + size;
  const free: number[] = [];
  return {
    allocate() {
      const frame = free.pop();
      if (frame === undefined) return next + PAGE_SIZE <= end ? (next += PAGE_SIZE) - PAGE_SIZE : -1;
      memory.fill(frame, PAGE_SIZE, 0);
      return frame;
    },
    release(physical) {
      free.push(physical);
    },
  };
}

export class UserAddressSpace extends PageCachedMemory implements CpuMemory {
  /** Physical frame number + 1 of each virtual page; 0 = no frame yet. */
  private readonly frames = new Int32Array(PAGES);
  private readonly flags = new Uint8Array(PAGES);
  private readonly ram: PhysicalMemory;
  /** Frames pinned for DMA, with their pin counts; `orphans` are pinned frames the process no longer maps. */
  private readonly pins = new Map<number, number>();
  private readonly orphans = new Set<number>();
  private readonly scratch = new Uint8Array(8);
  private codeWatcher: ((pageNumber: number) => void) | undefined;
  private accessWatches: readonly AccessWatch[] = [];
  private accessListener: AccessListener | undefined;
  // The page cache (page-cache.ts) is the software TLB: filled on a miss, emptied when the mapping changes or the
  // physical memory is snapshotted/restored (its pages may then be shared or replaced).
  private tlbGeneration = 0;
  /** Called before every access to a device page: brings the devices to the CPU's instant. */
  beforeDeviceAccess: (() => void) | undefined;
  /** Called after every access to a device page (none attached: no cost): what a trace shows of the driver. */
  onDeviceAccess: DeviceAccessObserver | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly port: BusPort,
    private readonly frameSource: FrameSource,
  ) {
    super();
    this.ram = bus.memory;
  }

  // ---- Mapping ----------------------------------------------------------------------------------------------

  /** Maps [address, address + length) with fresh zeroed pages (allocated on first touch). */
  mapAnonymous(address: number, length: number, prot: number): void {
    for (let vpn = address >>> 12, end = pageEnd(address, length); vpn < end; vpn++) {
      this.releaseFrame(vpn);
      this.flags[vpn] = MAPPED | (prot & 7) | (this.flags[vpn] & ACCESS_WATCHED);
    }
  }

  /** Maps device registers: physical [physical, physical + length) at address, uncached. */
  mapDevice(address: number, physical: number, length: number, prot: number): void {
    const first = address >>> 12;
    for (let vpn = first, end = pageEnd(address, length); vpn < end; vpn++) {
      this.releaseFrame(vpn);
      this.frames[vpn] = Math.floor(physical / PAGE_SIZE) + (vpn - first) + 1;
      this.flags[vpn] = MAPPED | DEVICE | (prot & 3) | (this.flags[vpn] & ACCESS_WATCHED);
    }
  }

  unmap(address: number, length: number): void {
    for (let vpn = address >>> 12, end = pageEnd(address, length); vpn < end; vpn++) {
      this.releaseFrame(vpn);
      this.flags[vpn] &= ACCESS_WATCHED;
    }
  }

  /** Changes protection; false when part of the range is not mapped (ENOMEM). */
  protect(address: number, length: number, prot: number): boolean {
    const end = pageEnd(address, length);
    for (let vpn = address >>> 12; vpn < end; vpn++) if (!(this.flags[vpn] & MAPPED)) return false;
    for (let vpn = address >>> 12; vpn < end; vpn++) {
      if (this.flags[vpn] & WATCHED) this.notifyCode(vpn);
      this.flags[vpn] = (this.flags[vpn] & ~7) | (prot & 7);
      this.dropTlb(vpn);
    }
    return true;
  }

  /** PROT_* bits of the page holding address (0 when unmapped). */
  protection(address: number): number {
    return this.flags[address >>> 12] & 7;
  }

  isMapped(address: number, length: number): boolean {
    for (let vpn = address >>> 12, end = pageEnd(address, length); vpn < end; vpn++) if (!(this.flags[vpn] & MAPPED)) return false;
    return true;
  }

  isFree(address: number, length: number): boolean {
    for (let vpn = address >>> 12, end = pageEnd(address, length); vpn < end; vpn++) if (this.flags[vpn] & MAPPED) return false;
    return true;
  }

  /** Highest free range of `length` bytes in [low, high), or -1. */
  findFree(length: number, low: number, high: number): number {
    const pages = pageEnd(0, length);
    let run = 0;
    for (let vpn = (high >>> 12) - 1; vpn >= low >>> 12; vpn--) {
      run = this.flags[vpn] & MAPPED ? 0 : run + 1;
      if (run === pages) return vpn * PAGE_SIZE;
    }
    return -1;
  }

  /** The physical address behind a virtual one (allocating the frame), or -1 when unmapped or a device page. */
  physicalAddress(address: number): number {
    const vpn = address >>> 12;
    if (!(this.flags[vpn] & MAPPED) || this.flags[vpn] & DEVICE) return -1;
    const frame = this.frames[vpn] || this.allocateFrame(vpn);
    return (frame - 1) * PAGE_SIZE + (address & PAGE_MASK);
  }

  /**
   * Pins the page holding `address` for DMA (VFIO MAP_DMA): returns its physical address (-1 when not mapped RAM).
   * A pinned frame stays the device's even if the process unmaps the page, until `unpin`.
   */
  pin(address: number): number {
    const physical = this.physicalAddress(address);
    if (physical >= 0) {
      const frame = Math.floor(physical / PAGE_SIZE);
      this.pins.set(frame, (this.pins.get(frame) ?? 0) + 1);
    }
    return physical;
  }

  unpin(physical: number): void {
    const frame = Math.floor(physical / PAGE_SIZE);
    const count = this.pins.get(frame);
    if (count === undefined) return;
    if (count > 1) this.pins.set(frame, count - 1);
    else {
      this.pins.delete(frame);
      if (this.orphans.delete(frame)) this.frameSource.release(frame * PAGE_SIZE);
    }
  }

  private allocateFrame(vpn: number): number {
    const physical = this.frameSource.allocate();
    if (physical < 0) throw new MemoryFault(vpn * PAGE_SIZE, 'write', 'out of physical memory for the process');
    const frame = physical / PAGE_SIZE + 1;
    this.frames[vpn] = frame;
    return frame;
  }

  private releaseFrame(vpn: number): void {
    this.dropTlb(vpn);
    if (this.flags[vpn] & WATCHED) this.notifyCode(vpn);
    const frame = this.frames[vpn];
    if (frame !== 0 && !(this.flags[vpn] & DEVICE)) {
      if (this.pins.has(frame - 1)) this.orphans.add(frame - 1);
      else this.frameSource.release((frame - 1) * PAGE_SIZE);
    }
    this.frames[vpn] = 0;
  }

  watchCode(pageNumber: number, invalidate: (pageNumber: number) => void): void {
    this.codeWatcher = invalidate;
    this.flags[pageNumber] |= WATCHED;
    this.dropTlb(pageNumber);
  }

  /**
   * Reports CPU stores into `ranges`, and loads from those watching loads, to `listener` (replacing earlier watches;
   * none stops watching). Only the pages holding a range leave the TLB (for writes, and for reads where loads are
   * watched): other accesses keep their fast path, and nothing is checked when nothing is watched. Watches are on
   * virtual addresses and survive remapping.
   */
  watchAccesses(ranges: readonly AccessWatch[], listener: AccessListener | undefined): void {
    for (const w of this.accessWatches) for (let vpn = w.start >>> 12, end = pageEnd(w.start, w.length); vpn < end; vpn++) this.flags[vpn] &= ~ACCESS_WATCHED;
    this.accessWatches = listener ? ranges : [];
    this.accessListener = listener;
    for (const w of this.accessWatches) {
      for (let vpn = w.start >>> 12, end = pageEnd(w.start, w.length); vpn < end; vpn++) {
        this.flags[vpn] |= (w.stores === false ? 0 : STORE_WATCHED) | (w.loads ? LOAD_WATCHED : 0);
        this.dropTlb(vpn);
      }
    }
  }

  private checkAccess(address: number, size: 1 | 2 | 4, value: number, write: boolean): void {
    for (const w of this.accessWatches) {
      if (!(write ? w.stores !== false : w.loads) || address + size <= w.start || address >= w.start + w.length) continue;
      return this.accessListener!(address, size, value, write);
    }
  }

  private notifyCode(vpn: number): void {
    this.flags[vpn] &= ~WATCHED;
    this.codeWatcher?.(vpn);
  }

  // ---- Access -----------------------------------------------------------------------------------------------

  private dropTlb(vpn: number): void {
    this.uncachePage(vpn);
    if (vpn === this.fetchVpn) this.fetchVpn = -1;
  }

  /** Drops the TLB if the physical memory was snapshotted or restored since it was filled. */
  revalidate(): void {
    if (this.ram.generation === this.tlbGeneration) return;
    this.uncacheAll();
    this.tlbGeneration = this.ram.generation;
  }

  /** After a successful translation of a RAM page: let later accesses go straight to its array. */
  private fillTlb(vpn: number, physical: number): void {
    const flags = this.flags[vpn];
    if (flags & DEVICE) return;
    if (this.ram.generation !== this.tlbGeneration) this.revalidate();
    const page = this.ram.privatePage(Math.floor(physical / PAGE_SIZE));
    if (flags & PROT_READ && !(flags & LOAD_WATCHED)) this.cacheRead(vpn, page);
    if (flags & PROT_WRITE && !(flags & (WATCHED | STORE_WATCHED))) this.cacheWrite(vpn, page);
  }

  /** Physical address for an access that stays within one page, or throws the fault. */
  private translate(address: number, need: number, access: 'read' | 'write' | 'execute'): number {
    const vpn = address >>> 12;
    const flags = this.flags[vpn];
    if (!(flags & MAPPED)) throw new MemoryFault(address, access, 'no mapping at this address');
    if (!(flags & need)) throw new MemoryFault(address, access, `page is not ${access === 'read' ? 'readable' : access === 'write' ? 'writable' : 'executable'}`);
    if (access === 'write' && flags & WATCHED) this.notifyCode(vpn);
    const frame = this.frames[vpn] || this.allocateFrame(vpn);
    const physical = (frame - 1) * PAGE_SIZE + (address & PAGE_MASK);
    if (access !== 'execute') this.fillTlb(vpn, physical);
    return physical;
  }

  private deviceRead(physical: number, size: 1 | 2 | 4, address: number): number {
    this.beforeDeviceAccess?.();
    const s = this.scratch;
    if (this.port.read(physical, s, 0, size) !== BusResponse.Okay) throw new MemoryFault(address, 'read', `bus error from ${this.bus.describe(physical)}`);
    const value = size === 1 ? s[0] : size === 2 ? s[0] | (s[1] << 8) : s[0] | (s[1] << 8) | (s[2] << 16) | (s[3] << 24);
    this.onDeviceAccess?.(address, physical, size, value, false);
    return value;
  }

  private deviceWrite(physical: number, size: 1 | 2 | 4, value: number, address: number): void {
    this.beforeDeviceAccess?.();
    const s = this.scratch;
    for (let i = 0; i < size; i++) s[i] = value >>> (8 * i);
    if (this.port.write(physical, s, 0, size) !== BusResponse.Okay) throw new MemoryFault(address, 'write', `bus error from ${this.bus.describe(physical)}`);
    this.onDeviceAccess?.(address, physical, size, value, true);
  }

  private readSized(address: number, size: 1 | 2 | 4, need: number, access: 'read' | 'execute'): number {
    address >>>= 0; // the fast paths take the address signed or unsigned
    if ((address & PAGE_MASK) + size > PAGE_SIZE) {
      let value = 0;
      for (let i = size - 1; i >= 0; i--) value = (value << 8) | this.readSized((address + i) >>> 0, 1, need, access);
      return value;
    }
    const vpn = address >>> 12;
    const physical = this.translate(address, need, access);
    const value = this.flags[vpn] & DEVICE ? this.deviceRead(physical, size, address) : this.ram.read(physical, size);
    if (this.flags[vpn] & LOAD_WATCHED && access === 'read') this.checkAccess(address, size, value, false);
    return value;
  }

  private writeSized(address: number, size: 1 | 2 | 4, value: number): void {
    address >>>= 0;
    if ((address & PAGE_MASK) + size > PAGE_SIZE) {
      for (let i = 0; i < size; i++) this.writeSized((address + i) >>> 0, 1, value >>> (8 * i));
      return;
    }
    const vpn = address >>> 12;
    const physical = this.translate(address, PROT_WRITE, 'write');
    if (this.flags[vpn] & DEVICE) this.deviceWrite(physical, size, value, address);
    else this.ram.write(physical, size, value & (size === 4 ? -1 : (1 << (8 * size)) - 1));
    if (this.flags[vpn] & STORE_WATCHED) this.checkAccess(address, size, value, true);
  }

  protected readMiss(address: number, size: 1 | 2 | 4): number {
    return this.readSized(address, size, PROT_READ, 'read');
  }

  protected writeMiss(address: number, size: 1 | 2 | 4, value: number): void {
    this.writeSized(address, size, value);
  }

  // The RAM page instructions were last fetched from (-1: none), valid while its mapping is (dropTlb) and the RAM's
  // generation it was taken at: decoding a block fetches its instructions one after the other from one page.
  private fetchVpn = -1;
  private fetchPage: Uint8Array = new Uint8Array(0);
  private fetchGeneration = -1;

  fetch16(address: number): number {
    const o = address & PAGE_MASK;
    if (address >>> 12 === this.fetchVpn && o < PAGE_SIZE - 1 && this.ram.generation === this.fetchGeneration) {
      return this.fetchPage[o] | (this.fetchPage[o + 1] << 8);
    }
    return this.fetchMiss(address, 2);
  }

  fetch32(address: number): number {
    const o = address & PAGE_MASK;
    if (address >>> 12 === this.fetchVpn && o < PAGE_SIZE - 3 && this.ram.generation === this.fetchGeneration) {
      const page = this.fetchPage;
      return page[o] | (page[o + 1] << 8) | (page[o + 2] << 16) | (page[o + 3] << 24);
    }
    return this.fetchMiss(address, 4) | 0;
  }

  /** A fetch through the checks (which may fault); the page it came from serves the next fetches. */
  private fetchMiss(address: number, size: 2 | 4): number {
    const value = this.readSized(address, size, PROT_EXEC, 'execute');
    const vpn = address >>> 12;
    if (!(this.flags[vpn] & DEVICE)) {
      this.fetchVpn = vpn;
      this.fetchGeneration = this.ram.generation;
      this.fetchPage = this.ram.privatePage(this.frames[vpn] - 1);
    }
    return value;
  }

  // ---- Bulk access for the kernel side (system calls) -------------------------------------------------------

  readBytes(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const a = (address + done) >>> 0;
      const chunk = Math.min(length - done, PAGE_SIZE - (a & PAGE_MASK));
      const physical = this.translate(a, PROT_READ, 'read');
      if (this.flags[a >>> 12] & DEVICE) for (let i = 0; i < chunk; i++) out[done + i] = this.deviceRead(physical + i, 1, a + i);
      else this.ram.readBlock(physical, out, done, chunk);
      done += chunk;
    }
    return out;
  }

  writeBytes(address: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) {
      const a = (address + done) >>> 0;
      const chunk = Math.min(data.length - done, PAGE_SIZE - (a & PAGE_MASK));
      const physical = this.translate(a, PROT_WRITE, 'write');
      if (this.flags[a >>> 12] & DEVICE) for (let i = 0; i < chunk; i++) this.deviceWrite(physical + i, 1, data[done + i], a + i);
      else this.ram.writeBlock(physical, data, done, chunk);
      done += chunk;
    }
  }

  /** Writes ignoring protection (the loader filling read-only segments). */
  load(address: number, data: Uint8Array): void {
    for (let done = 0; done < data.length; ) {
      const a = (address + done) >>> 0;
      const chunk = Math.min(data.length - done, PAGE_SIZE - (a & PAGE_MASK));
      const physical = this.translate(a, MAPPED, 'write');
      this.ram.writeBlock(physical, data, done, chunk);
      done += chunk;
    }
  }

  /**
   * A debugger's look at memory: the bytes of the readable RAM pages from `address` on, up to `length`; it stops at
   * the first page that is unmapped, unreadable or a device's (reading registers has side effects). Pages never
   * touched read as zeros without taking a frame, so looking changes nothing.
   */
  inspect(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const a = (address + done) >>> 0;
      const vpn = a >>> 12;
      const flags = this.flags[vpn];
      if (!(flags & MAPPED) || flags & DEVICE || !(flags & PROT_READ)) break;
      const chunk = Math.min(length - done, PAGE_SIZE - (a & PAGE_MASK));
      if (this.frames[vpn] !== 0) this.ram.readBlock((this.frames[vpn] - 1) * PAGE_SIZE + (a & PAGE_MASK), out, done, chunk);
      done += chunk;
    }
    return out.subarray(0, done);
  }

  /** A debugger's write: into mapped RAM pages whatever their protection (as the loader writes); returns how many
   * bytes were written before the first unmapped or device page. */
  patch(address: number, data: Uint8Array): number {
    let done = 0;
    while (done < data.length) {
      const a = (address + done) >>> 0;
      const flags = this.flags[a >>> 12];
      if (!(flags & MAPPED) || flags & DEVICE) break;
      const chunk = Math.min(data.length - done, PAGE_SIZE - (a & PAGE_MASK));
      this.load(a, data.subarray(done, done + chunk));
      done += chunk;
    }
    return done;
  }

  readCString(address: number, max = 4096): string {
    const bytes: number[] = [];
    for (let i = 0; i < max; i++) {
      const b = this.read8((address + i) >>> 0);
      if (b === 0) break;
      bytes.push(b);
    }
    return Buffer.from(bytes).toString('utf8');
  }
}

function pageEnd(address: number, length: number): number {
  return Math.ceil((address + length) / PAGE_SIZE);
}
