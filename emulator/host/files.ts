// Open file objects of the host-kernel model (what a file descriptor refers to) and the eventfd.
import { ERRNO } from '../vfio/uapi';
import type { UserProcess } from './process';

/** A contiguous physical range an mmap maps (device registers or kernel memory). */
export interface MmapTarget {
  readonly physical: number;
  /** Device memory (VM_PFNMAP / VM_IO). */
  readonly io: boolean;
}

export interface OpenFile {
  /** What the file is, for messages (`vfio container`, `/dev/vfio/0`, `eventfd`...). */
  readonly kind: string;
  ioctl?(proc: UserProcess, request: number, arg: number): number;
  /** read / pread: the bytes, or -errno. */
  read?(proc: UserProcess, count: number, offset: bigint | undefined): Uint8Array | number;
  /** write / pwrite: bytes written, or -errno. */
  write?(proc: UserProcess, data: Uint8Array, offset: bigint | undefined): number;
  mmap?(proc: UserProcess, length: number, prot: number, flags: number, offset: bigint): MmapTarget | number;
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

  signal(n = 1n): void {
    this.counter += n;
    this.signals++;
  }

  read(_proc: UserProcess, count: number): Uint8Array | number {
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

  write(_proc: UserProcess, data: Uint8Array): number {
    if (data.length < 8) return -ERRNO.EINVAL;
    const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
    if (v === 0xffffffffffffffffn) return -ERRNO.EINVAL;
    this.signal(v);
    return 8;
  }
}
