// vfio-platform / vfio-amba: a devicetree device's `reg` entries as regions (pread/pwrite at index << 40, mmap of
// the registers themselves) and its `interrupts` as IRQ indexes with eventfd triggers, masking and automasking of
// level-triggered lines, as drivers/vfio/platform does. No reset module exists for the PL330: RESET is EINVAL.
import { PAGE_SIZE } from '../bus/memory';
import { EventFd, MmapTarget, OpenFile, UserContext } from '../linux/files';
import type { HostKernel, KernelDevice } from '../host/kernel';
import type { SpiSpec } from '../machine/platform';
import { LINUX_FLAGS, VFIO_DEVICE_FLAGS, VFIO_IOCTL, VFIO_IRQ_INFO_FLAGS, VFIO_IRQ_SET_ACTION_TYPE_MASK, VFIO_IRQ_SET_DATA_TYPE_MASK, VFIO_IRQ_SET_FLAGS, VFIO_PLATFORM_OFFSET_SHIFT, VFIO_REGION_INFO_FLAGS, VFIO_STRUCTS } from './uapi';
import { ERRNO } from '../linux/errno';
import { copyStructToUser, readIoctlArg } from './user';

interface Region {
  readonly base: number;
  readonly size: number;
  readonly flags: number;
}

interface Irq {
  readonly spec: SpiSpec;
  readonly flags: number;
  trigger: EventFd | undefined;
  masked: boolean;
  /** The handler registered with the kernel while a trigger is set. */
  handler: (() => void) | undefined;
  /** An eventfd whose signal unmasks the IRQ (virqfd), and the listener on it. */
  unmaskFd: { readonly fd: EventFd; readonly listener: () => void } | undefined;
}

const OFFSET_MASK = 2n ** BigInt(VFIO_PLATFORM_OFFSET_SHIFT) - 1n;

export class VfioPlatformDevice {
  readonly regions: readonly Region[];
  readonly irqs: readonly Irq[];
  private openCount = 0;

  constructor(readonly kernel: HostKernel, readonly device: KernelDevice) {
    const d = device.dmac.description;
    const mmap = d.base % PAGE_SIZE === 0 && d.size % PAGE_SIZE === 0 ? VFIO_REGION_INFO_FLAGS.MMAP : 0;
    this.regions = [{ base: d.base, size: d.size, flags: VFIO_REGION_INFO_FLAGS.READ | VFIO_REGION_INFO_FLAGS.WRITE | mmap }];
    this.irqs = d.interrupts.map(({ spec }) => ({
      spec,
      flags: VFIO_IRQ_INFO_FLAGS.EVENTFD | (spec.level ? VFIO_IRQ_INFO_FLAGS.MASKABLE | VFIO_IRQ_INFO_FLAGS.AUTOMASKED : 0),
      trigger: undefined,
      masked: false,
      handler: undefined,
      unmaskFd: undefined,
    }));
  }

  get opened(): boolean {
    return this.openCount > 0;
  }

  get flags(): number {
    return this.device.bus === 'amba' ? VFIO_DEVICE_FLAGS.AMBA : VFIO_DEVICE_FLAGS.PLATFORM;
  }

  open(): OpenFile {
    this.openCount++;
    return new VfioDeviceFile(this);
  }

  /** Last close: every trigger torn down and every line unmasked (vfio_platform_irq_cleanup). */
  close(): void {
    if (--this.openCount > 0) return;
    for (const irq of this.irqs) {
      this.setTrigger(irq, undefined);
      this.setUnmaskFd(irq, undefined);
      irq.masked = false;
    }
  }

  private handler(irq: Irq): void {
    if (irq.flags & VFIO_IRQ_INFO_FLAGS.AUTOMASKED) {
      if (irq.masked) return;
      this.kernel.disableIrq(irq.spec);
      irq.masked = true;
    }
    irq.trigger?.signal();
  }

  setTrigger(irq: Irq, trigger: EventFd | undefined): number {
    if (irq.handler) {
      this.kernel.freeIrq(irq.spec, irq.handler);
      irq.handler = undefined;
      irq.trigger = undefined;
    }
    if (!trigger) return 0;
    const handler = () => this.handler(irq);
    const r = this.kernel.requestIrq(irq.spec, handler);
    if (r < 0) return r;
    irq.trigger = trigger;
    irq.handler = handler;
    if (irq.masked) this.kernel.disableIrq(irq.spec);
    return 0;
  }

  /** ACTION_UNMASK with DATA_EVENTFD: each signal of the eventfd unmasks the IRQ; fd -1 removes it. */
  setUnmaskFd(irq: Irq, fd: EventFd | undefined): void {
    if (irq.unmaskFd) irq.unmaskFd.fd.listeners.delete(irq.unmaskFd.listener);
    irq.unmaskFd = undefined;
    if (!fd) return;
    const listener = () => this.unmask(irq);
    fd.listeners.add(listener);
    irq.unmaskFd = { fd, listener };
  }

  mask(irq: Irq): void {
    if (irq.masked) return;
    if (irq.trigger) this.kernel.disableIrq(irq.spec);
    irq.masked = true;
  }

  unmask(irq: Irq): void {
    if (!irq.masked) return;
    irq.masked = false;
    if (irq.trigger) this.kernel.enableIrq(irq.spec);
  }

  /** Software trigger (DATA_NONE or DATA_BOOL true): runs the handler as if the line fired. */
  fire(irq: Irq): void {
    this.handler(irq);
  }
}

class VfioDeviceFile implements OpenFile {
  readonly name: string;
  flags = LINUX_FLAGS.O_RDWR;
  private closed = false;

  constructor(private readonly vdev: VfioPlatformDevice) {
    this.name = `vfio device ${vdev.device.name}`;
  }

  ioctl(request: number, arg: number, proc: UserContext): number {
    const v = this.vdev;
    switch (request) {
      case VFIO_IOCTL.DEVICE_GET_INFO: {
        const s = VFIO_STRUCTS.device_info;
        const a = readIoctlArg(proc, arg, s, 'num_irqs');
        if (typeof a === 'number') return a;
        return copyStructToUser(proc, arg, s, { argsz: a.values.argsz, flags: v.flags, num_regions: v.regions.length, num_irqs: v.irqs.length }, a.minsz);
      }
      case VFIO_IOCTL.DEVICE_GET_REGION_INFO: {
        const s = VFIO_STRUCTS.region_info;
        const a = readIoctlArg(proc, arg, s, 'offset');
        if (typeof a === 'number') return a;
        const index = a.values.index;
        if (index >= BigInt(v.regions.length)) return -ERRNO.EINVAL;
        const region = v.regions[Number(index)];
        const offset = index << BigInt(VFIO_PLATFORM_OFFSET_SHIFT);
        return copyStructToUser(proc, arg, s, { ...a.values, flags: region.flags, size: BigInt(region.size), offset }, a.minsz);
      }
      case VFIO_IOCTL.DEVICE_GET_IRQ_INFO: {
        const s = VFIO_STRUCTS.irq_info;
        const a = readIoctlArg(proc, arg, s, 'count');
        if (typeof a === 'number') return a;
        if (a.values.index >= BigInt(v.irqs.length)) return -ERRNO.EINVAL;
        return copyStructToUser(proc, arg, s, { ...a.values, flags: v.irqs[Number(a.values.index)].flags, count: 1 }, a.minsz);
      }
      case VFIO_IOCTL.DEVICE_SET_IRQS:
        return this.setIrqs(proc, arg);
      case VFIO_IOCTL.DEVICE_RESET:
        return -ERRNO.EINVAL; // no reset module for this device
    }
    return -ERRNO.ENOTTY;
  }

  /** VFIO_DEVICE_SET_IRQS: vfio_set_irqs_validate_and_prepare, then mask / unmask / trigger. */
  private setIrqs(proc: UserContext, arg: number): number {
    const v = this.vdev;
    const a = readIoctlArg(proc, arg, VFIO_STRUCTS.irq_set, 'count');
    if (typeof a === 'number') return a;
    const { values: hdr, minsz } = a;
    const n = BigInt(v.irqs.length);
    const validFlags = BigInt(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK);
    if (hdr.index >= n || hdr.count >= 0xffffffffn - hdr.start || (hdr.flags & ~validFlags) !== 0n) return -ERRNO.EINVAL;
    if (hdr.start >= n || hdr.start + hdr.count > n) return -ERRNO.EINVAL;
    const flags = Number(hdr.flags);
    const dataType = flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
    const elementSize = dataType === VFIO_IRQ_SET_FLAGS.DATA_NONE ? 0 : dataType === VFIO_IRQ_SET_FLAGS.DATA_BOOL ? 1 : dataType === VFIO_IRQ_SET_FLAGS.DATA_EVENTFD ? 4 : -1;
    if (elementSize < 0) return -ERRNO.EINVAL;
    const count = Number(hdr.count), start = Number(hdr.start);
    let data: Uint8Array | undefined;
    if (elementSize > 0) {
      if (hdr.argsz - BigInt(minsz) < BigInt(count * elementSize)) return -ERRNO.EINVAL;
      data = proc.readMemory(arg + minsz, count * elementSize);
      if (!data) return -ERRNO.EFAULT;
    }
    const irq = v.irqs[Number(hdr.index)];
    const action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
    const boolTrue = () => data !== undefined && data[0] !== 0;
    switch (action) {
      case VFIO_IRQ_SET_FLAGS.ACTION_MASK:
      case VFIO_IRQ_SET_FLAGS.ACTION_UNMASK:
        if (start !== 0 || count !== 1) return -ERRNO.EINVAL;
        if (dataType === VFIO_IRQ_SET_FLAGS.DATA_EVENTFD) {
          // Masking through an eventfd is not implemented by vfio-platform (EINVAL); unmasking is (virqfd).
          if (action === VFIO_IRQ_SET_FLAGS.ACTION_MASK) return -ERRNO.EINVAL;
          const fd = new DataView(data!.buffer, data!.byteOffset, 4).getInt32(0, true);
          if (fd < 0) {
            v.setUnmaskFd(irq, undefined);
            return 0;
          }
          const file = proc.file(fd);
          if (!file) return -ERRNO.EBADF;
          if (!(file instanceof EventFd)) return -ERRNO.EINVAL;
          v.setUnmaskFd(irq, file);
          return 0;
        }
        if (dataType === VFIO_IRQ_SET_FLAGS.DATA_NONE || boolTrue()) {
          if (action === VFIO_IRQ_SET_FLAGS.ACTION_MASK) v.mask(irq);
          else v.unmask(irq);
        }
        return 0;
      case VFIO_IRQ_SET_FLAGS.ACTION_TRIGGER: {
        if (count === 0 && dataType === VFIO_IRQ_SET_FLAGS.DATA_NONE) return v.setTrigger(irq, undefined);
        if (start !== 0 || count !== 1) return -ERRNO.EINVAL;
        if (dataType === VFIO_IRQ_SET_FLAGS.DATA_EVENTFD) {
          const fd = new DataView(data!.buffer, data!.byteOffset, 4).getInt32(0, true);
          if (fd < 0) return v.setTrigger(irq, undefined);
          const file = proc.file(fd);
          if (!file) return -ERRNO.EBADF;
          if (!(file instanceof EventFd)) return -ERRNO.EINVAL;
          return v.setTrigger(irq, file);
        }
        if (dataType === VFIO_IRQ_SET_FLAGS.DATA_NONE || boolTrue()) v.fire(irq);
        return 0;
      }
    }
    return -ERRNO.ENOTTY;
  }

  /** pread / pwrite at index << 40: register accesses in naturally aligned pieces of up to 4 bytes. */
  private access(position: number | undefined, length: number, write: Uint8Array | undefined): Uint8Array | number {
    if (position === undefined) return -ERRNO.EINVAL;
    const offset = BigInt(position);
    const index = Number(offset >> BigInt(VFIO_PLATFORM_OFFSET_SHIFT));
    const off = Number(offset & OFFSET_MASK);
    const region = this.vdev.regions[index];
    if (!region || !(region.flags & (write ? VFIO_REGION_INFO_FLAGS.WRITE : VFIO_REGION_INFO_FLAGS.READ))) return -ERRNO.EINVAL;
    if (off + length > region.size) return -ERRNO.EINVAL;
    const buf = write ?? new Uint8Array(length);
    const mem = this.vdev.kernel.mem;
    for (let done = 0; done < length; ) {
      const at = region.base + off + done;
      const size = length - done >= 4 && at % 4 === 0 ? 4 : length - done >= 2 && at % 2 === 0 ? 2 : 1;
      const bus = mem.bus;
      const r = write ? bus.physicalWrite(at, buf, done, size) : bus.physicalRead(at, buf, done, size);
      if (r !== 0) return -ERRNO.EFAULT;
      done += size;
    }
    return write ? length : buf;
  }

  read(count: number, position: number | undefined): Uint8Array | number {
    return this.access(position, count, undefined);
  }

  write(data: Uint8Array, position: number | undefined): number {
    return this.access(position, data.length, data) as number;
  }

  /** vfio_platform_mmap: MAP_SHARED, page-aligned, inside an mmap-able region; maps the registers themselves. */
  mmap(length: number, prot: number, flags: number, position: number): MmapTarget | number {
    const offset = BigInt(position);
    const index = Number(offset >> BigInt(VFIO_PLATFORM_OFFSET_SHIFT));
    const region = this.vdev.regions[index];
    if (!(flags & LINUX_FLAGS.MAP_SHARED) || !region || !(region.flags & VFIO_REGION_INFO_FLAGS.MMAP)) return -ERRNO.EINVAL;
    if (!(region.flags & VFIO_REGION_INFO_FLAGS.READ) && prot & LINUX_FLAGS.PROT_READ) return -ERRNO.EINVAL;
    if (!(region.flags & VFIO_REGION_INFO_FLAGS.WRITE) && prot & LINUX_FLAGS.PROT_WRITE) return -ERRNO.EINVAL;
    const start = Number(offset & OFFSET_MASK);
    if (region.size < PAGE_SIZE || start + length > region.size) return -ERRNO.EINVAL;
    return { physical: region.base + start, io: true };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vdev.close();
  }
}
