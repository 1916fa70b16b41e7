// The CPU's view of memory: virtual addresses, little-endian, unaligned accesses allowed (ARMv7, SCTLR.A = 0).
// An address may be passed signed (`| 0`) or unsigned: the same 32 bits. The CPU passes them signed, which V8 keeps
// unboxed across calls (an unsigned address at or above 2 GiB, every kernel address, would be a heap number).
// User mode implements it with a process address space over the emulated physical RAM; a guest kernel will
// implement it with the MMU. Accesses that cannot complete throw a MemoryFault.

/** A CPU access to a device register: virtual and physical address, size, the value read or written. */
export type DeviceAccessObserver = (address: number, physical: number, size: 1 | 2 | 4, value: number, write: boolean) => void;

export interface CpuMemory {
  read8(address: number): number;
  read16(address: number): number;
  /** Signed 32-bit result (callers use `>>> 0` where they need it unsigned). */
  read32(address: number): number;
  write8(address: number, value: number): void;
  write16(address: number, value: number): void;
  write32(address: number, value: number): void;
  /** Instruction fetch of a halfword (Thumb) or word (ARM): execute permission is checked here. */
  fetch16(address: number): number;
  fetch32(address: number): number;
  /** The CPU decoded instructions from this 4 KiB page: call `invalidate` when the page is written or unmapped. */
  watchCode(pageNumber: number, invalidate: (pageNumber: number) => void): void;
  /**
   * Direct access for translated code (page-cache.ts): the 4 KiB page reads of / writes to an address go to, or an
   * empty array where every access must be called; the pages stay valid while `cacheEpoch` does not change.
   */
  readonly cacheEpoch: number;
  readPageAt(address: number): Uint8Array;
  writePageAt(address: number): Uint8Array;
  /**
   * The cache itself (page-cache.ts), which translated code reads as the accesses do: 1024 entries, virtual page
   * `vpn` in entry `vpn & 1023` when its tag is `vpn`; the pages of reads and of writes.
   */
  readonly readTags: Int32Array;
  readonly readPages: readonly Uint8Array[];
  readonly writeTags: Int32Array;
  readonly writePages: readonly Uint8Array[];
  /** Each entry's page as a view of its buffer and the page's byte offset there (translated halfword and word accesses). */
  readonly readViews: readonly DataView[];
  readonly readOffsets: Int32Array;
  readonly writeViews: readonly DataView[];
  readonly writeOffsets: Int32Array;
  /** Runs the accesses' miss paths once (page-cache.ts), before translated code that inlines them is optimized. */
  exerciseMissPaths?(): void;
}

export type AccessKind = 'read' | 'write' | 'execute';

/**
 * A data abort or prefetch abort: the address and why. The guest's own faults (a kernel's page faults, an abort
 * loop) are thrown at the rate of instructions, so one costs no stack trace and its message is made when read.
 */
export class MemoryFault extends Error {
  constructor(
    readonly address: number,
    readonly access: AccessKind,
    readonly reason: string,
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super();
    Error.stackTraceLimit = limit;
  }

  override get message(): string {
    return `${this.access} of 0x${(this.address >>> 0).toString(16).padStart(8, '0')}: ${this.reason}`;
  }
}
