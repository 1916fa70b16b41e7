// Open files of the emulated process. Each file type implements what it supports of `OpenFile`; device models
// (the VFIO container, groups and devices, sysfs attributes) provide their own through `DeviceFiles`.
import type { UserAddressSpace } from './address-space';
import { EAGAIN, EBADF, EINVAL, EMFILE, ENOTTY, EPIPE, ESPIPE } from './errno';

export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export interface FileStatus {
  readonly mode: number;
  readonly size: number;
  readonly inode: number;
  readonly rdev?: number;
  readonly atimeMs?: number;
  readonly mtimeMs?: number;
  readonly ctimeMs?: number;
  readonly nlink?: number;
}

/** A time for utimensat: seconds and nanoseconds since the epoch, or 'omit' (leave it as it is). */
export type FileTime = { readonly seconds: number; readonly nanoseconds: number } | 'omit';

export interface DirectoryEntry {
  readonly name: string;
  readonly inode: number;
  /** DT_* type: 4 directory, 8 regular file, 10 symbolic link, 0 unknown. */
  readonly type: number;
}

/** A read that cannot complete yet: the process waits for the machine to make progress and retries. */
export const WOULD_BLOCK = Symbol('would block');

/** What a file's ioctl/mmap handler may use: the process's memory and its descriptor table. */
export interface KernelContext {
  /** Guest memory: readBytes/writeBytes for ioctl arguments, mapDevice for mmap, pin/unpin for DMA mappings. */
  readonly memory: UserAddressSpace;
  /** The open file behind a descriptor (VFIO SET_IRQS takes eventfd descriptors). */
  file(fd: number): OpenFile | undefined;
  /** Gives the process a new descriptor for `file` (VFIO GROUP_GET_DEVICE_FD); returns its number. */
  installFile(file: OpenFile): number;
}

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

export interface OpenFile {
  /** A short description for messages: the path or the kind of object. */
  readonly name: string;
  /** Open flags (O_NONBLOCK matters to blocking reads). */
  flags: number;
  /** Returns bytes read (0 at end of file), a negative errno, or WOULD_BLOCK. */
  read?(length: number, position: number | undefined, kernel: KernelContext): Uint8Array | number | typeof WOULD_BLOCK;
  /** Returns bytes written, a negative errno, or WOULD_BLOCK (nothing fits yet). */
  write?(data: Uint8Array, position: number | undefined, kernel: KernelContext): number | typeof WOULD_BLOCK;
  seek?(offset: number, whence: number): number;
  stat(): FileStatus;
  ioctl?(request: number, arg: number, kernel: KernelContext): number;
  /** Maps `length` bytes at file `offset` (a 64-bit byte offset) to `address`; returns 0 or a negative errno. */
  mmap?(address: number, length: number, prot: number, flags: number, offset: number, kernel: KernelContext): number;
  /** A directory's entries (getdents64 returns them from `entryIndex` on and advances it). */
  entries?(): readonly DirectoryEntry[];
  entryIndex?: number;
  /** Ready events among `events` (POLLIN, POLLOUT). */
  poll?(events: number): number;
  /** fchmod; returns 0 or a negative errno. */
  chmod?(mode: number): number;
  /** futimens; returns 0 or a negative errno. */
  setTimes?(access: FileTime, modify: FileTime): number;
  close?(): void;
}

/** Paths served by device models instead of the workspace (e.g. `/dev/vfio/0`, `/sys/bus/platform/...`). */
export interface DeviceFiles {
  /** An open file, a negative errno, or undefined when the path is not the model's. */
  open(path: string, flags: number, kernel: KernelContext): OpenFile | number | undefined;
  /** A symbolic link's target (sysfs `iommu_group`), or undefined. */
  readlink?(path: string): string | undefined;
}

/** A byte stream to the host (stdin, stdout, stderr). */
export class HostStream implements OpenFile {
  flags = 0;
  constructor(
    readonly name: string,
    private readonly isTerminal: boolean,
    private readonly output?: (data: Uint8Array) => void,
    private readonly input?: (length: number) => Uint8Array,
  ) {}

  read(length: number): Uint8Array | number {
    return this.input ? this.input(length) : -EBADF;
  }

  write(data: Uint8Array): number {
    if (!this.output) return -EBADF;
    this.output(data);
    return data.length;
  }

  seek(): number {
    return -ESPIPE;
  }

  stat(): FileStatus {
    return { mode: (this.isTerminal ? S_IFCHR : S_IFIFO) | 0o620, size: 0, inode: 0, rdev: this.isTerminal ? 0x8800 : 0 };
  }

  ioctl(request: number): number {
    // TCGETS etc.: only a terminal answers them; programs then choose full buffering.
    return this.isTerminal && (request & 0xff00) === 0x5400 ? 0 : -ENOTTY;
  }

  poll(events: number): number {
    return events & (this.output ? POLLOUT : POLLIN);
  }
}

/** eventfd(2): a 64-bit counter; device interrupts signal it, `read` blocks until it is non-zero. */
export class EventFile implements OpenFile {
  readonly name = 'anon_inode:[eventfd]';
  private count = 0;
  /** Called whenever the counter is signalled (so a waiting process can resume). */
  onSignal: (() => void) | undefined;

  constructor(
    initial: number,
    public flags: number,
    private readonly semaphore: boolean,
  ) {
    this.count = initial;
  }

  get value(): number {
    return this.count;
  }

  signal(amount = 1): void {
    this.count += amount;
    this.onSignal?.();
  }

  read(length: number): Uint8Array | number | typeof WOULD_BLOCK {
    if (length < 8) return -EINVAL;
    if (this.count === 0) return this.flags & 0x800 ? -EAGAIN : WOULD_BLOCK;
    const taken = this.semaphore ? 1 : this.count;
    this.count -= taken;
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(taken), true);
    return out;
  }

  write(data: Uint8Array): number {
    if (data.length < 8) return -EINVAL;
    const add = Number(new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true));
    this.signal(add);
    return 8;
  }

  stat(): FileStatus {
    return { mode: 0o600, size: 0, inode: 0 };
  }

  poll(events: number): number {
    return (this.count > 0 ? events & POLLIN : 0) | (events & POLLOUT);
  }
}

/** O_NONBLOCK of the ARM open flags. */
export const O_NONBLOCK = 0o4000;
/** The kernel's default pipe capacity (16 pages). */
const PIPE_CAPACITY = 65536;

/** pipe(2): a byte queue between a read end and a write end. Reading it empty blocks while a write end is open,
 * and reads end of file after the last is closed; writing with no read end left fails with EPIPE (as when SIGPIPE
 * is ignored: dmalab delivers no signals). */
export class Pipe {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private readers = 1;
  private writers = 1;

  /** The two ends; `flags` of pipe2 (O_NONBLOCK) apply to both. */
  ends(flags: number): [PipeEnd, PipeEnd] {
    return [new PipeEnd(this, 'read', flags & O_NONBLOCK), new PipeEnd(this, 'write', 1 | (flags & O_NONBLOCK))];
  }

  read(length: number, nonblocking: boolean): Uint8Array | number | typeof WOULD_BLOCK {
    if (this.buffered === 0) {
      if (this.writers === 0 || length === 0) return new Uint8Array(0);
      return nonblocking ? -EAGAIN : WOULD_BLOCK;
    }
    const out = new Uint8Array(Math.min(length, this.buffered));
    let filled = 0;
    while (filled < out.length) {
      const chunk = this.chunks[0];
      const take = Math.min(chunk.length, out.length - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(take);
    }
    this.buffered -= filled;
    return out;
  }

  write(data: Uint8Array, nonblocking: boolean): number | typeof WOULD_BLOCK {
    if (this.readers === 0) return -EPIPE;
    const room = PIPE_CAPACITY - this.buffered;
    if (room === 0 && data.length > 0) return nonblocking ? -EAGAIN : WOULD_BLOCK;
    const taken = data.slice(0, room);
    if (taken.length > 0) this.chunks.push(taken);
    this.buffered += taken.length;
    return taken.length;
  }

  poll(events: number, end: 'read' | 'write'): number {
    if (end === 'read') return (this.buffered > 0 ? events & POLLIN : 0) | (this.writers === 0 ? POLLHUP : 0);
    if (this.readers === 0) return POLLERR;
    return this.buffered < PIPE_CAPACITY ? events & POLLOUT : 0;
  }

  get size(): number {
    return this.buffered;
  }

  closeEnd(end: 'read' | 'write'): void {
    if (end === 'read') this.readers--;
    else this.writers--;
  }
}

/** One end of a pipe; the other direction is EBADF (not open for it), as on Linux. */
export class PipeEnd implements OpenFile {
  readonly name: string;
  constructor(private readonly pipe: Pipe, private readonly end: 'read' | 'write', public flags: number) {
    this.name = `pipe (${end} end)`;
  }

  read(length: number): Uint8Array | number | typeof WOULD_BLOCK {
    return this.end === 'read' ? this.pipe.read(length, (this.flags & O_NONBLOCK) !== 0) : -EBADF;
  }

  write(data: Uint8Array): number | typeof WOULD_BLOCK {
    return this.end === 'write' ? this.pipe.write(data, (this.flags & O_NONBLOCK) !== 0) : -EBADF;
  }

  stat(): FileStatus {
    return { mode: S_IFIFO | 0o600, size: this.pipe.size, inode: 0 };
  }

  poll(events: number): number {
    return this.pipe.poll(events, this.end);
  }

  close(): void {
    this.pipe.closeEnd(this.end);
  }
}

/** The descriptor table: lowest free number first, as POSIX requires, below the RLIMIT_NOFILE soft limit. */
export class FileTable {
  private readonly files: (OpenFile | undefined)[] = [];

  constructor(private readonly limit: () => number = () => Infinity) {}

  /** Descriptors are below this number. */
  get size(): number {
    return this.limit();
  }

  get(fd: number): OpenFile | undefined {
    return fd >= 0 ? this.files[fd] : undefined;
  }

  /** A descriptor for `file`, or -EMFILE (a file no descriptor refers to is closed then). */
  add(file: OpenFile, lowest = 0): number {
    let fd = lowest;
    while (this.files[fd] !== undefined) fd++;
    if (fd >= this.limit()) {
      if (!this.isShared(file, -1)) file.close?.();
      return -EMFILE;
    }
    this.files[fd] = file;
    return fd;
  }

  set(fd: number, file: OpenFile): void {
    const old = this.files[fd];
    if (old && old !== file && !this.isShared(old, fd)) old.close?.();
    this.files[fd] = file;
  }

  close(fd: number): boolean {
    const file = this.files[fd];
    if (!file) return false;
    this.files[fd] = undefined;
    if (!this.isShared(file, fd)) file.close?.();
    return true;
  }

  private isShared(file: OpenFile, except: number): boolean {
    return this.files.some((f, i) => f === file && i !== except);
  }
}
