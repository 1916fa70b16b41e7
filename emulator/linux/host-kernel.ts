// Runs an emulated ARM Linux process on the host-kernel model (emulator/host): /dev/vfio and the sysfs files of the
// binding flow are the model's, the process's pages come from the model's frame allocator, its eventfds are the
// model's (VFIO SET_IRQS takes them), and it runs on the machine's timeline, so a blocked read or poll lets the
// machine run until an interrupt signals an eventfd.
import { EventFd, type OpenFile as HostFile, type UserContext } from '../host/files';
import type { HostKernel } from '../host/kernel';
import { MemoryFault } from '../cpu/memory';
import type { Timeline } from '../machine/clock';
import type { FrameSource } from './address-space';
import { POLLIN, POLLOUT, S_IFCHR, WOULD_BLOCK, type DeviceFiles, type FileStatus, type KernelContext, type OpenFile } from './files';

const EFD_NONBLOCK = 0x800;

/** The model's calling-process interface over an emulated process. */
function userContext(kernel: KernelContext): UserContext {
  const quietly = <T>(body: () => T, failed: T): T => {
    try {
      return body();
    } catch (error) {
      if (error instanceof MemoryFault) return failed;
      throw error;
    }
  };
  return {
    readMemory: (vaddr, length) => quietly<Uint8Array | undefined>(() => kernel.memory.readBytes(vaddr >>> 0, length), undefined),
    writeMemory: (vaddr, data) => quietly(() => { kernel.memory.writeBytes(vaddr >>> 0, data); return true; }, false),
    readString: (vaddr, max) => quietly<string | undefined>(() => kernel.memory.readCString(vaddr >>> 0, max), undefined),
    pageOf: (vaddr) => {
      const physical = kernel.memory.pin((vaddr >>> 0) & ~0xfff);
      return physical < 0 ? undefined : { physical, prot: kernel.memory.protection(vaddr >>> 0) };
    },
    file: (fd) => {
      const file = kernel.file(fd);
      return file instanceof HostFileAdapter ? file.host : undefined;
    },
    installFile: (file) => kernel.installFile(new HostFileAdapter(file)),
  };
}

/** A file of the model seen as one of the process's open files. */
class HostFileAdapter implements OpenFile {
  flags = 2;
  constructor(readonly host: HostFile) {}

  get name(): string {
    return this.host.kind;
  }

  stat(): FileStatus {
    return { mode: S_IFCHR | 0o600, size: 0, inode: 0 };
  }

  read(length: number, position: number | undefined, kernel: KernelContext): Uint8Array | number | typeof WOULD_BLOCK {
    // An empty blocking eventfd: the process's thread waits on the timeline (the model's own wait is for its
    // TypeScript processes).
    if (this.host instanceof EventFd && this.host.counter === 0n && !this.host.nonBlocking && length >= 8) return WOULD_BLOCK;
    return this.host.read ? this.host.read(userContext(kernel), length, position === undefined ? undefined : BigInt(position)) : -22;
  }

  write(data: Uint8Array, position: number | undefined, kernel: KernelContext): number {
    return this.host.write ? this.host.write(userContext(kernel), data, position === undefined ? undefined : BigInt(position)) : -22;
  }

  ioctl(request: number, arg: number, kernel: KernelContext): number {
    return this.host.ioctl ? this.host.ioctl(userContext(kernel), request, arg) : -25;
  }

  mmap(address: number, length: number, prot: number, flags: number, offset: number, kernel: KernelContext): number {
    if (!this.host.mmap) return -19;
    const target = this.host.mmap(userContext(kernel), length, prot, flags, BigInt(offset));
    if (typeof target === 'number') return target;
    kernel.memory.mapDevice(address, target.physical, length, prot);
    return 0;
  }

  poll(events: number): number {
    if (this.host instanceof EventFd) return (this.host.counter > 0n ? events & POLLIN : 0) | (events & POLLOUT);
    return events & (POLLIN | POLLOUT);
  }

  close(): void {
    this.host.release?.();
  }
}

export interface HostKernelHooks {
  readonly devices: DeviceFiles;
  readonly frames: FrameSource;
  readonly timeline: Timeline;
  readonly eventFile: (initial: number, flags: number) => OpenFile;
}

/** Device files, frames, eventfds and the timeline of a process that runs on `kernel`. */
export function hostKernelHooks(kernel: HostKernel): HostKernelHooks {
  return {
    devices: {
      open(path, flags) {
        if (!path.startsWith('/dev/vfio/') && !path.startsWith('/sys/')) return undefined;
        const file = kernel.open(path, flags);
        return typeof file === 'number' ? file : new HostFileAdapter(file);
      },
      readlink(path) {
        const target = kernel.readlink(path);
        return typeof target === 'number' ? undefined : target;
      },
    },
    frames: {
      allocate: () => kernel.frames.allocPage(),
      release: (physical) => kernel.frames.freePage(physical),
    },
    timeline: kernel.machine,
    eventFile: (initial, flags) => new HostFileAdapter(new EventFd(initial, (flags & EFD_NONBLOCK) !== 0, (condition) => kernel.waitFor(condition))),
  };
}
