// Open file objects of the host-kernel model (what a file descriptor refers to) and the eventfd.
import { ERRNO } from '../linux/errno';

/** A page of a process's address space: where it is in physical memory, and its protection (PROT_*). */
export interface UserPage {
  readonly physical: number;
  readonly prot: number;
}

/**
 * What kernel code needs of the calling process: copy_from_user / copy_to_user, its page mappings (to pin pages
 * for DMA) and its file table. UserContext implements it; an emulated ARM Linux process can too.
 */
export interface UserContext {
  readMemory(vaddr: number, length: number): Uint8Array | undefined;
  writeMemory(vaddr: number, data: Uint8Array): boolean;
  readString(vaddr: number, max?: number): string | undefined;
  pageOf(vaddr: number): UserPage | undefined;
  file(fd: number): OpenFile | undefined;
  installFile(file: OpenFile): number;
}

/** A contiguous physical range an mmap maps (device registers or kernel memory). */
export interface MmapTarget {
  readonly physical: number;
  /** Device memory (VM_PFNMAP / VM_IO). */
  readonly io: boolean;
}

export interface OpenFile {
  /** What the file is, for messages (`vfio container`, `/dev/vfio/0`, `eventfd`...). */
  readonly kind: string;
  ioctl?(proc: UserContext, request: number, arg: number): number;
  /** read / pread: the bytes, or -errno. */
  read?(proc: UserContext, count: number, offset: bigint | undefined): Uint8Array | number;
  /** write / pwrite: bytes written, or -errno. */
  write?(proc: UserContext, data: Uint8Array, offset: bigint | undefined): number;
  mmap?(proc: UserContext, length: number, prot: number, flags: number, offset: bigint): MmapTarget | number;
  release?(): void;
}

/** Runs the machine until a condition holds; false when nothing could make it true (the machine went idle). */
export type Waiter = (condition: () => boolean) => boolean;

/** eventfd(2): a 64-bit counter; read returns and clears it (blocking while 0 unless EFD_NONBLOCK). */
export class EventFd implements OpenFile {
  readonly kind = 'eventfd';
  counter: bigint;
  /** How many times it was signalled (for traces). */
  signals = 0;

  constructor(initial: number, readonly nonBlocking: boolean, private readonly wait: Waiter) {
    this.counter = BigInt(initial);
  }

  /** Kernel-side consumers (irqfd-style): called on every signal, whoever signals. */
  readonly listeners = new Set<() => void>();

  signal(n = 1n): void {
    this.counter += n;
    this.signals++;
    for (const l of this.listeners) l();
  }

  read(_proc: UserContext, count: number): Uint8Array | number {
    if (count < 8) return -ERRNO.EINVAL;
    if (this.counter === 0n) {
      if (this.nonBlocking) return -ERRNO.EAGAIN;
      // A blocked read that nothing can wake would hang the process; the model interrupts it instead.
      if (!this.wait(() => this.counter !== 0n)) return -ERRNO.EINTR;
    }
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, this.counter, true);
    this.counter = 0n;
    return out;
  }

  write(_proc: UserContext, data: Uint8Array): number {
    if (data.length < 8) return -ERRNO.EINVAL;
    const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
    if (v === 0xffffffffffffffffn) return -ERRNO.EINVAL;
    this.signal(v);
    return 8;
  }
}
