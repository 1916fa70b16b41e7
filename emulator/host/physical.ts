// The host kernel's view of physical memory: 32/64-bit accesses through the bus (RAM and ioremapped registers
// alike) and a page-frame allocator over the RAM the platform declares.
import { Bus, BusResponse } from '../bus/bus';
import type { DeviceAccessObserver } from '../cpu/memory';
import { PAGE_SIZE } from '../bus/memory';
import type { MemoryRange } from '../machine/platform';
import { hex } from '../linux/hex';

export class PhysicalAccess {
  private readonly word = new Uint8Array(4);
  /** `observer`: who sees the accesses that reach a device (a trace), asked at each access. */
  constructor(readonly bus: Bus, private readonly observer: () => DeviceAccessObserver | undefined = () => undefined) {}

  readl(address: number): number {
    if (this.bus.physicalRead(address, this.word, 0, 4) !== BusResponse.Okay) throw new Error(`host kernel: bus error reading ${hex(address)}`);
    const value = (this.word[0] | (this.word[1] << 8) | (this.word[2] << 16) | (this.word[3] << 24)) >>> 0;
    this.observe(address, value, false);
    return value;
  }

  private observe(address: number, value: number, write: boolean): void {
    const observer = this.observer();
    if (observer !== undefined && !this.bus.isRam(address, 4)) observer(address, address, 4, value, write);
  }

  writel(address: number, value: number): void {
    const w = this.word;
    w[0] = value;
    w[1] = value >>> 8;
    w[2] = value >>> 16;
    w[3] = value >>> 24;
    if (this.bus.physicalWrite(address, w, 0, 4) !== BusResponse.Okay) throw new Error(`host kernel: bus error writing ${hex(address)}`);
    this.observe(address, value >>> 0, true);
  }

  /** A 64-bit descriptor as [low word, high word]. */
  readDescriptor(address: number): [number, number] {
    return [this.readl(address), this.readl(address + 4)];
  }

  writeDescriptor(address: number, lo: number, hi: number): void {
    this.writel(address, lo >>> 0);
    this.writel(address + 4, hi >>> 0);
  }
}

/**
 * Page frames for page tables, user memory and kernel buffers: handed out upward from above the kernel's reserved
 * low memory, freed frames reused first (deterministic). Frames are zeroed when handed out.
 */
export class FrameAllocator {
  private next: number;
  private readonly end: number;
  private free: number[] = [];

  constructor(readonly bus: Bus, memory: readonly MemoryRange[], reserved = 64 << 20) {
    const ram = [...memory].sort((a, b) => b.size - a.size)[0];
    if (!ram || ram.size <= reserved + PAGE_SIZE) throw new Error('host kernel: the platform has no memory node large enough to run from');
    this.next = ram.base + reserved;
    this.end = ram.base + ram.size;
  }

  /** One zeroed frame, or -1 when memory is exhausted. */
  allocPage(): number {
    const frame = this.free.pop() ?? (this.next < this.end ? (this.next += PAGE_SIZE) - PAGE_SIZE : -1);
    if (frame >= 0) this.bus.memory.fill(frame, PAGE_SIZE, 0);
    return frame;
  }

  /** `pages` contiguous zeroed frames aligned to their total size (concatenated stage-2 tables), or -1. */
  allocContiguous(pages: number): number {
    if (pages === 1) return this.allocPage();
    const bytes = pages * PAGE_SIZE;
    const base = Math.ceil(this.next / bytes) * bytes;
    if (base + bytes > this.end) return -1;
    for (let a = this.next; a < base; a += PAGE_SIZE) this.free.push(a);
    this.next = base + bytes;
    this.bus.memory.fill(base, bytes, 0);
    return base;
  }

  freePage(frame: number): void {
    this.free.push(frame);
  }
}
