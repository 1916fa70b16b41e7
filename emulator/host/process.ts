// A user process of the host-kernel model: a paged virtual address space (anonymous memory in emulated RAM, device
// registers mapped by mmap), a file descriptor table and the system calls a VFIO program makes. Every call returns
// what the syscall returns: a value >= 0, or -errno. An emulated ARM Linux process can sit on the same object.
import { BusResponse } from '../bus/bus';
import { PAGE_SIZE } from '../bus/memory';
import { LINUX_FLAGS } from '../vfio/uapi';
import { ERRNO } from '../linux/errno';
import { hex } from '../linux/hex';
import { EventFd, POLLIN, WOULD_BLOCK, type OpenFile, type UserContext } from '../linux/files';
import type { HostKernel } from './kernel';

interface PageMapping {
  readonly physical: number;
  readonly prot: number;
  /** Anonymous memory owned by the process (freed with it), rather than a device or file mapping. */
  readonly anonymous: boolean;
  readonly io: boolean;
}

/** Where user mappings start (grown upward, page by page). */
const MMAP_BASE = 0x40000000;
const USER_TOP = 0xc0000000;

export class UserProcess implements UserContext {
  private readonly pages = new Map<number, PageMapping>();
  private readonly files = new Map<number, OpenFile>();
  private nextMapping = MMAP_BASE;

  constructor(readonly kernel: HostKernel, readonly pid: number) {}

  // ---- Memory ----

  /** The page mapping of a virtual address (the kernel pins and translates user pages through it). */
  pageOf(vaddr: number): PageMapping | undefined {
    return this.pages.get(Math.floor(vaddr / PAGE_SIZE));
  }

  /** copy_from_user: the bytes, or undefined when any page is unmapped (EFAULT). */
  readMemory(vaddr: number, length: number): Uint8Array | undefined {
    const out = new Uint8Array(length);
    return this.transfer(vaddr, out, false) ? out : undefined;
  }

  /** copy_to_user: false when any page is unmapped or read-only. */
  writeMemory(vaddr: number, data: Uint8Array): boolean {
    return this.transfer(vaddr, data, true);
  }

  private transfer(vaddr: number, buf: Uint8Array, write: boolean): boolean {
    if (vaddr < 0 || vaddr + buf.length > USER_TOP) return false;
    for (let done = 0; done < buf.length; ) {
      const page = this.pageOf(vaddr + done);
      if (!page || (write && !(page.prot & LINUX_FLAGS.PROT_WRITE)) || (!write && !(page.prot & LINUX_FLAGS.PROT_READ))) return false;
      const within = (vaddr + done) % PAGE_SIZE;
      const chunk = Math.min(buf.length - done, PAGE_SIZE - within);
      const bus = this.kernel.machine.bus;
      const r = write ? bus.physicalWrite(page.physical + within, buf, done, chunk) : bus.physicalRead(page.physical + within, buf, done, chunk);
      if (r !== BusResponse.Okay) return false;
      done += chunk;
    }
    return true;
  }

  read32(vaddr: number): number {
    const b = this.readMemory(vaddr, 4);
    if (!b) throw new Error(`segmentation fault reading ${hex(vaddr)}`);
    const value = new DataView(b.buffer).getUint32(0, true);
    this.observeIo(vaddr, value, false);
    return value;
  }

  write32(vaddr: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    if (!this.writeMemory(vaddr, b)) throw new Error(`segmentation fault writing ${hex(vaddr)}`);
    this.observeIo(vaddr, value >>> 0, true);
  }

  /** A register access through a device mapping, for whoever traces the machine's host. */
  private observeIo(vaddr: number, value: number, write: boolean): void {
    const observer = this.kernel.machine.hostDeviceAccess;
    const page = observer === undefined ? undefined : this.pageOf(vaddr);
    if (page?.io) observer!(vaddr, page.physical + (vaddr % PAGE_SIZE), 4, value, write);
  }

  /** A NUL-terminated string at vaddr (strndup_user), or undefined (EFAULT). */
  readString(vaddr: number, max = PAGE_SIZE): string | undefined {
    const chars: number[] = [];
    for (let i = 0; i < max; i++) {
      const b = this.readMemory(vaddr + i, 1);
      if (!b) return undefined;
      if (b[0] === 0) return String.fromCharCode(...chars);
      chars.push(b[0]);
    }
    return undefined;
  }

  // ---- System calls ----

  /** Puts an open file in the lowest free descriptor (open, GET_DEVICE_FD). */
  installFile(file: OpenFile): number {
    let fd = 3;
    while (this.files.has(fd)) fd++;
    this.files.set(fd, file);
    return fd;
  }

  file(fd: number): OpenFile | undefined {
    return this.files.get(fd);
  }

  open(path: string, flags: number = LINUX_FLAGS.O_RDWR): number {
    const file = this.kernel.open(path, flags);
    return typeof file === 'number' ? file : this.installFile(file);
  }

  close(fd: number): number {
    const file = this.files.get(fd);
    if (!file) return -ERRNO.EBADF;
    this.files.delete(fd);
    file.close?.();
    return 0;
  }

  ioctl(fd: number, request: number, arg: number): number {
    const file = this.files.get(fd);
    if (!file) return -ERRNO.EBADF;
    return file.ioctl ? file.ioctl(request >>> 0, arg, this) : -ERRNO.ENOTTY;
  }

  read(fd: number, count: number): Uint8Array | number {
    return this.pread(fd, count, undefined);
  }

  write(fd: number, data: Uint8Array | string): number {
    return this.pwrite(fd, typeof data === 'string' ? new TextEncoder().encode(data) : data, undefined);
  }

  /** read / pread. A read that would block runs the machine until the file is readable; one that nothing can wake
   * would hang the process, so the model interrupts it instead (EINTR). */
  pread(fd: number, count: number, offset: bigint | undefined): Uint8Array | number {
    const file = this.files.get(fd);
    if (!file) return -ERRNO.EBADF;
    if (!file.read) return -ERRNO.EINVAL;
    const position = offset === undefined ? undefined : Number(offset);
    for (;;) {
      const result = file.read(count, position, this);
      if (result !== WOULD_BLOCK) return result;
      if (!this.kernel.waitFor(() => (file.poll ? file.poll(POLLIN) : POLLIN) !== 0)) return -ERRNO.EINTR;
    }
  }

  /** write / pwrite (the model's files never make a writer wait). */
  pwrite(fd: number, data: Uint8Array, offset: bigint | undefined): number {
    const file = this.files.get(fd);
    if (!file) return -ERRNO.EBADF;
    const result = file.write ? file.write(data, offset === undefined ? undefined : Number(offset), this) : -ERRNO.EINVAL;
    return result === WOULD_BLOCK ? -ERRNO.EAGAIN : result;
  }

  eventfd(initial: number, flags: number): number {
    if (flags & ~(LINUX_FLAGS.EFD_NONBLOCK | LINUX_FLAGS.EFD_CLOEXEC)) return -ERRNO.EINVAL;
    return this.installFile(new EventFd(initial, LINUX_FLAGS.O_RDWR | (flags & LINUX_FLAGS.EFD_NONBLOCK)));
  }

  /** mmap(NULL, length, prot, flags, fd, offset): the address, or -errno. */
  mmap(length: number, prot: number, flags: number, fd: number, offset: bigint): number {
    if (length <= 0 || offset % BigInt(PAGE_SIZE) !== 0n) return -ERRNO.EINVAL;
    const pages = Math.ceil(length / PAGE_SIZE);
    const shared = (flags & LINUX_FLAGS.MAP_SHARED) !== 0, private_ = (flags & LINUX_FLAGS.MAP_PRIVATE) !== 0;
    if (shared === private_) return -ERRNO.EINVAL;
    const vaddr = this.nextMapping;
    if (vaddr + pages * PAGE_SIZE > USER_TOP) return -ERRNO.ENOMEM;
    if (flags & LINUX_FLAGS.MAP_ANONYMOUS) {
      const frames: number[] = [];
      for (let i = 0; i < pages; i++) {
        const frame = this.kernel.frames.allocPage();
        if (frame < 0) {
          frames.forEach((f) => this.kernel.frames.freePage(f));
          return -ERRNO.ENOMEM;
        }
        frames.push(frame);
      }
      frames.forEach((physical, i) => this.pages.set(vaddr / PAGE_SIZE + i, { physical, prot, anonymous: true, io: false }));
    } else {
      const file = this.files.get(fd);
      if (!file) return -ERRNO.EBADF;
      if (!file.mmap) return -ERRNO.ENODEV;
      const target = file.mmap(pages * PAGE_SIZE, prot, flags, Number(offset), this);
      if (typeof target === 'number') return target;
      for (let i = 0; i < pages; i++) this.pages.set(vaddr / PAGE_SIZE + i, { physical: target.physical + i * PAGE_SIZE, prot, anonymous: false, io: target.io });
    }
    this.nextMapping = vaddr + pages * PAGE_SIZE;
    return vaddr;
  }

  munmap(vaddr: number, length: number): number {
    if (vaddr % PAGE_SIZE !== 0 || length <= 0) return -ERRNO.EINVAL;
    for (let a = vaddr; a < vaddr + length; a += PAGE_SIZE) {
      const page = this.pages.get(a / PAGE_SIZE);
      if (!page) continue;
      this.pages.delete(a / PAGE_SIZE);
      if (page.anonymous && !this.kernel.isPinned(page.physical)) this.kernel.frames.freePage(page.physical);
    }
    return 0;
  }

  /** exit: closes every file (releasing containers, groups, devices) and frees anonymous memory. */
  exit(): void {
    for (const fd of [...this.files.keys()].sort((a, b) => b - a)) this.close(fd);
    this.munmap(MMAP_BASE, this.nextMapping - MMAP_BASE);
  }

  // ---- Conveniences over the calls above (what libc and a shell give a C program) ----

  /** echo TEXT > PATH */
  writeFile(path: string, text: string): number {
    const fd = this.open(path, LINUX_FLAGS.O_WRONLY);
    if (fd < 0) return fd;
    const r = this.write(fd, text);
    this.close(fd);
    return r < 0 ? r : 0;
  }

  /** cat PATH */
  readFile(path: string): string | number {
    const fd = this.open(path, LINUX_FLAGS.O_RDONLY);
    if (fd < 0) return fd;
    const r = this.read(fd, PAGE_SIZE);
    this.close(fd);
    return typeof r === 'number' ? r : new TextDecoder().decode(r);
  }
}
