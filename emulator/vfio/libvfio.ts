// The user side of the VFIO API for programs written in TypeScript against the model (tests, scenarios): what a C
// program gets from <linux/vfio.h> and libc — structures built in the process's own memory and passed by pointer to
// ioctl, so every call crosses the same user/kernel boundary an emulated ARM process would.
import type { UserProcess } from '../host/process';
import { LINUX_FLAGS, StructLayout, StructValues, decodeStruct, encodeStruct } from './uapi';

const SCRATCH_SIZE = 4096;

export interface IoctlResult {
  /** The ioctl's return value (>= 0, or -errno). */
  readonly ret: number;
  /** The structure as the kernel left it. */
  readonly out: StructValues;
}

export class VfioUser {
  /** A page of the process's memory that holds ioctl arguments. */
  readonly scratch: number;

  constructor(readonly proc: UserProcess) {
    const at = proc.mmap(SCRATCH_SIZE, LINUX_FLAGS.PROT_READ | LINUX_FLAGS.PROT_WRITE, LINUX_FLAGS.MAP_PRIVATE | LINUX_FLAGS.MAP_ANONYMOUS, -1, 0n);
    if (at < 0) throw new Error(`mmap of the argument page failed (${at})`);
    this.scratch = at;
  }

  /** ioctl(fd, request, &struct) with `argsz` defaulting to the structure size; trailing data follows it. */
  ioctlStruct(fd: number, request: number, layout: StructLayout, values: Partial<Record<string, bigint | number>>, trailing?: Uint8Array): IoctlResult {
    const image = encodeStruct(layout, { argsz: layout.size + (trailing?.length ?? 0), ...values });
    const bytes = new Uint8Array(layout.size + (trailing?.length ?? 0));
    bytes.set(image);
    if (trailing) bytes.set(trailing, layout.size);
    if (!this.proc.writeMemory(this.scratch, bytes)) throw new Error('argument page is not writable');
    const ret = this.proc.ioctl(fd, request, this.scratch);
    return { ret, out: decodeStruct(layout, this.proc.readMemory(this.scratch, layout.size)!) };
  }

  /** ioctl(fd, request, &value) for an int argument (GROUP_SET_CONTAINER). */
  ioctlIntPointer(fd: number, request: number, value: number): number {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, value, true);
    this.proc.writeMemory(this.scratch, b);
    return this.proc.ioctl(fd, request, this.scratch);
  }

  /** ioctl(fd, request, "string") (GROUP_GET_DEVICE_FD). */
  ioctlString(fd: number, request: number, text: string): number {
    this.proc.writeMemory(this.scratch, new TextEncoder().encode(`${text}\0`));
    return this.proc.ioctl(fd, request, this.scratch);
  }

  /** The bytes the kernel wrote after a structure (capability chains). */
  readBack(offset: number, length: number): Uint8Array {
    return this.proc.readMemory(this.scratch + offset, length)!;
  }
}
