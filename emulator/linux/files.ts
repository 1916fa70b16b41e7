// Open files, the one interface of both kernels the emulator models: an emulated ARM Linux process's files and the
// host-kernel model's (the VFIO container, groups and devices, sysfs attributes, eventfds), which an emulated
// process opens through `DeviceFiles` and a TypeScript process of the model through emulator/host/process. Each
// file type implements what it supports of `OpenFile`.
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

/** A page of a process's address space: where it is in physical memory, and its protection (PROT_*). */
export interface UserPage {
  readonly physical: number;
  readonly prot: number;
}

/**
 * What a file's ioctl/read/write/mmap handler may use of the calling process: copy_from_user / copy_to_user, its
 * page mappings (to pin pages for DMA) and its descriptor table (VFIO SET_IRQS takes eventfd descriptors,
 * GROUP_GET_DEVICE_FD gives a new one). An emulated Linux process and a process of the host-kernel model implement it.
 */
export interface UserContext {
  /** copy_from_user: the bytes, or undefined when any page is unmapped (EFAULT). */
  readMemory(vaddr: number, length: number): Uint8Array | undefined;
  /** copy_to_user: false when any page is unmapped or read-only. */
  writeMemory(vaddr: number, data: Uint8Array): boolean;
  /** A NUL-terminated string (strndup_user), or undefined (EFAULT). */
  readString(vaddr: number, max?: number): string | undefined;
  pageOf(vaddr: number): UserPage | undefined;
  file(fd: number): OpenFile | undefined;
  /** Gives the process a new descriptor for `file`; returns its number or a negative errno. */
  installFile(file: OpenFile): number;
}

/** A contiguous physical range an mmap maps (device registers or kernel memory). */
export interface MmapTarget {
  readonly physical: number;
  /** Device memory (VM_PFNMAP / VM_IO). */
  readonly io: boolean;
}

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;

export interface OpenFile {
  /** A short description for messages: the path or the kind of object. */
  readonly name: string;
  /** Open flags (O_NONBLOCK matters to blocking reads). */
  flags: number;
  /** Returns bytes read (0 at end of file), a negative errno, or WOULD_BLOCK (the caller waits and retries). */
  read?(length: number, position: number | undefined, user: UserContext): Uint8Array | number | typeof WOULD_BLOCK;
  /** Returns bytes written, a negative errno, or WOULD_BLOCK (nothing fits yet). */
  write?(data: Uint8Array, position: number | undefined, user: UserContext): number | typeof WOULD_BLOCK;
  seek?(offset: number, whence: number): number;
  /** fstat; a file without it is an anonymous character device. */
  stat?(): FileStatus;
  ioctl?(request: number, arg: number, user: UserContext): number;
  /** The physical range `length` bytes at file `offset` (a 64-bit byte offset) map to, or a negative errno. */
  mmap?(length: number, prot: number, flags: number, offset: number, user: UserContext): MmapTarget | number;
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
  open(path: string, flags: number, user: UserContext): OpenFile | number | undefined;
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

/** The status of a file that has no `stat`: an anonymous character device. */
export function statOf(file: OpenFile): FileStatus {
  return file.stat ? file.stat() : { mode: S_IFCHR | 0o600, size: 0, inode: 0 };
}

/**
 * eventfd(2): a 64-bit counter. Write (or a device interrupt's `signal`) adds to it; read returns and clears it
 * (takes 1 in semaphore mode), and while it is 0 fails with EAGAIN when non-blocking or returns WOULD_BLOCK: an
 * emulated process's thread then waits on the scheduler, a TypeScript process of the host model in kernel.waitFor.
 */
export class EventFd implements OpenFile {
  readonly name = 'anon_inode:[eventfd]';
  counter: bigint;
  /** How many times it was signalled (for traces). */
  signals = 0;
  /** Kernel-side consumers (irqfd-style): called on every signal, whoever signals. */
  readonly listeners = new Set<() => void>();

  constructor(initial: number, public flags: number, private readonly semaphore = false) {
    this.counter = BigInt(initial);
  }

  signal(amount = 1n): void {
    this.counter += amount;
    this.signals++;
    for (const listener of this.listeners) listener();
  }

  read(length: number): Uint8Array | number | typeof WOULD_BLOCK {
    if (length < 8) return -EINVAL;
    if (this.counter === 0n) return this.flags & O_NONBLOCK ? -EAGAIN : WOULD_BLOCK;
    const taken = this.semaphore ? 1n : this.counter;
    this.counter -= taken;
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, taken, true);
    return out;
  }

  write(data: Uint8Array): number {
    if (data.length < 8) return -EINVAL;
    const value = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
    if (value === 0xffffffffffffffffn) return -EINVAL;
    this.signal(value);
    return 8;
  }

  stat(): FileStatus {
    return { mode: 0o600, size: 0, inode: 0 };
  }

  poll(events: number): number {
    return (this.counter > 0n ? events & POLLIN : 0) | (events & POLLOUT);
  }
}

/** O_NONBLOCK of the ARM open flags. */
export const O_NONBLOCK = 0o4000;
/** The kernel's default pipe capacity (16 pages). */
const PIPE_CAPACITY = 65536;

/** pipe(2): a byte queue between a read end and a write end. Reading it empty blocks while a write end is open,
 * and reads end of file after the last is closed; writing with no read end left fails with EPIPE (the write system
 * call raises SIGPIPE then). */
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
