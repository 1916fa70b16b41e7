// The VFIO model's argument checks against the errno values of the kernel (vfio_main.c, container.c,
// vfio_iommu_type1.c, vfio_platform_common.c), and the type-1 unmap semantics of v1 and v2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostKernel } from '../../../emulator/host/kernel';
import { Machine } from '../../../emulator/machine/machine';
import { VfioUser } from '../../../emulator/vfio/libvfio';
import { LINUX_FLAGS, VFIO_EXTENSION, VFIO_IOCTL, VFIO_IRQ_SET_FLAGS, VFIO_STRUCTS, decodeStruct } from '../../../emulator/vfio/uapi';
import { ERRNO } from '../../../emulator/linux/errno';
import { guidePlatform } from '../../support/platform';

const RW = LINUX_FLAGS.PROT_READ | LINUX_FLAGS.PROT_WRITE;
const ANON = LINUX_FLAGS.MAP_PRIVATE | LINUX_FLAGS.MAP_ANONYMOUS;
const { EINVAL, EBUSY, EBADF, EFAULT, EEXIST, ENODEV, ENOENT, ENOTTY } = ERRNO;

function host(platform = guidePlatform()) {
  const kernel = new HostKernel(new Machine(platform));
  const proc = kernel.spawn();
  const user = new VfioUser(proc);
  const bind = (name: string) => {
    const d = kernel.device(name)!;
    const sys = `/sys/bus/${d.bus}/devices/${name}`;
    assert.equal(proc.writeFile(`${sys}/driver_override`, d.bus === 'amba' ? 'vfio-amba\n' : 'vfio-platform\n'), 0);
    if (d.driver) assert.equal(proc.writeFile(`${sys}/driver/unbind`, name), 0);
    assert.equal(proc.writeFile(`/sys/bus/${d.bus}/drivers_probe`, name), 0);
    return d.group!.id;
  };
  return { kernel, proc, user, bind };
}

/** Bound, container set with TYPE1 (or v2), device open. */
function session(type: number = VFIO_EXTENSION.TYPE1_IOMMU) {
  const h = host();
  const group = h.bind('2c0a0000.dma');
  const container = h.proc.open('/dev/vfio/vfio');
  const gfd = h.proc.open(`/dev/vfio/${group}`);
  assert.equal(h.user.ioctlIntPointer(gfd, VFIO_IOCTL.GROUP_SET_CONTAINER, container), 0);
  assert.equal(h.proc.ioctl(container, VFIO_IOCTL.SET_IOMMU, type), 0);
  const device = h.user.ioctlString(gfd, VFIO_IOCTL.GROUP_GET_DEVICE_FD, '2c0a0000.dma');
  assert.ok(device >= 0);
  const map = (vaddr: number, iova: number, size: number, flags = 3, extra: Record<string, number | bigint> = {}) =>
    h.user.ioctlStruct(container, VFIO_IOCTL.IOMMU_MAP_DMA, VFIO_STRUCTS.dma_map, { flags, vaddr, iova, size, ...extra }).ret;
  const unmap = (iova: number, size: number, flags = 0) => {
    const r = h.user.ioctlStruct(container, VFIO_IOCTL.IOMMU_UNMAP_DMA, VFIO_STRUCTS.dma_unmap, { flags, iova, size });
    return r.ret < 0 ? r.ret : Number(r.out.size);
  };
  const buffer = (bytes: number, prot = RW) => h.proc.mmap(bytes, prot, ANON, -1, 0n);
  return { ...h, group, container, gfd, device, map, unmap, buffer };
}

test('container: version, extensions, SET_IOMMU ordering and backend-less ioctls', () => {
  const { proc, user, bind } = host();
  const c = proc.open('/dev/vfio/vfio');
  assert.equal(proc.ioctl(c, VFIO_IOCTL.GET_API_VERSION, 0), 0);
  assert.equal(proc.ioctl(c, VFIO_IOCTL.CHECK_EXTENSION, VFIO_EXTENSION.TYPE1_IOMMU), 1);
  assert.equal(proc.ioctl(c, VFIO_IOCTL.CHECK_EXTENSION, VFIO_EXTENSION.TYPE1v2_IOMMU), 1);
  assert.equal(proc.ioctl(c, VFIO_IOCTL.CHECK_EXTENSION, VFIO_EXTENSION.NOIOMMU_IOMMU), 0);
  assert.equal(proc.ioctl(c, VFIO_IOCTL.SET_IOMMU, VFIO_EXTENSION.TYPE1_IOMMU), -EINVAL, 'no group yet');
  assert.equal(proc.ioctl(c, VFIO_IOCTL.IOMMU_MAP_DMA, 0), -EINVAL, 'no backend: EINVAL');
  assert.equal(proc.open('/dev/vfio/0'), -ENOENT, 'no VFIO group before binding');
  const g = proc.open(`/dev/vfio/${bind('2c0a0000.dma')}`);
  assert.equal(proc.open('/dev/vfio/0'), -EBUSY, 'a group opens once');
  assert.equal(user.ioctlString(g, VFIO_IOCTL.GROUP_GET_DEVICE_FD, '2c0a0000.dma'), -EINVAL, 'no container yet');
  assert.equal(user.ioctlIntPointer(g, VFIO_IOCTL.GROUP_SET_CONTAINER, c), 0);
  assert.equal(user.ioctlIntPointer(g, VFIO_IOCTL.GROUP_SET_CONTAINER, c), -EINVAL, 'already set');
  assert.equal(user.ioctlString(g, VFIO_IOCTL.GROUP_GET_DEVICE_FD, '2c0a0000.dma'), -EINVAL, 'no IOMMU backend yet');
  assert.equal(proc.ioctl(c, VFIO_IOCTL.SET_IOMMU, 5), -ENODEV);
  assert.equal(proc.ioctl(c, VFIO_IOCTL.SET_IOMMU, VFIO_EXTENSION.TYPE1_IOMMU), 0);
  assert.equal(proc.ioctl(c, VFIO_IOCTL.SET_IOMMU, VFIO_EXTENSION.TYPE1_IOMMU), -EINVAL, 'set twice');
  assert.equal(proc.ioctl(c, 0x3b7f, 0), -ENOTTY, 'unknown to the type-1 backend');
  assert.equal(user.ioctlString(g, VFIO_IOCTL.GROUP_GET_DEVICE_FD, '2c0a1000.dma'), -ENODEV);
  assert.equal(proc.ioctl(g, VFIO_IOCTL.GROUP_GET_DEVICE_FD, 0x10), -EFAULT);
  const d = user.ioctlString(g, VFIO_IOCTL.GROUP_GET_DEVICE_FD, '2c0a0000.dma');
  assert.ok(d >= 0);
  assert.equal(proc.ioctl(g, VFIO_IOCTL.GROUP_UNSET_CONTAINER, 0), -EBUSY, 'a device is open');
  proc.close(d);
  assert.equal(proc.ioctl(g, VFIO_IOCTL.GROUP_UNSET_CONTAINER, 0), 0);
  assert.equal(proc.ioctl(g, VFIO_IOCTL.GROUP_UNSET_CONTAINER, 0), -EINVAL);
  assert.equal(proc.ioctl(g, 0x3b99, 0), -ENOTTY);
});

test('group: GET_STATUS argsz, SET_CONTAINER fd checks, viability with a device still on its native driver', () => {
  const p = guidePlatform();
  // DMACs 1 and 2 share a stream ID: one IOMMU group.
  const shared = { ...p, dmacs: p.dmacs.map((d, i) => (i === 2 ? { ...d, iommu: { smmu: 0, streamIds: [1] } } : d)) };
  const { kernel, proc, user, bind } = host(shared);
  assert.equal(kernel.device('2c0a1000.dma')!.group, kernel.device('2c0a2000.dma')!.group);
  const g = proc.open(`/dev/vfio/${bind('2c0a1000.dma')}`);
  const status = user.ioctlStruct(g, VFIO_IOCTL.GROUP_GET_STATUS, VFIO_STRUCTS.group_status, {});
  assert.equal(status.ret, 0);
  assert.equal(status.out.flags, 0n, 'not viable: 2c0a2000.dma is bound to dma-pl330');
  assert.equal(user.ioctlStruct(g, VFIO_IOCTL.GROUP_GET_STATUS, VFIO_STRUCTS.group_status, { argsz: 4 }).ret, -EINVAL);
  const c = proc.open('/dev/vfio/vfio');
  const efd = proc.eventfd(0, 0);
  assert.equal(user.ioctlIntPointer(g, VFIO_IOCTL.GROUP_SET_CONTAINER, -1), -EINVAL);
  assert.equal(user.ioctlIntPointer(g, VFIO_IOCTL.GROUP_SET_CONTAINER, 99), -EBADF);
  assert.equal(user.ioctlIntPointer(g, VFIO_IOCTL.GROUP_SET_CONTAINER, efd), -EINVAL);
  assert.equal(proc.ioctl(g, VFIO_IOCTL.GROUP_SET_CONTAINER, 0), -EFAULT);
  assert.equal(user.ioctlIntPointer(g, VFIO_IOCTL.GROUP_SET_CONTAINER, c), -EBUSY, 'not viable');
  assert.equal(proc.writeFile('/sys/bus/amba/devices/2c0a2000.dma/driver/unbind', '2c0a2000.dma'), 0);
  const viable = user.ioctlStruct(g, VFIO_IOCTL.GROUP_GET_STATUS, VFIO_STRUCTS.group_status, {});
  assert.equal(viable.out.flags, 1n, 'viable once the other device has no driver');
  assert.equal(user.ioctlIntPointer(g, VFIO_IOCTL.GROUP_SET_CONTAINER, c), 0);
  assert.equal(user.ioctlStruct(g, VFIO_IOCTL.GROUP_GET_STATUS, VFIO_STRUCTS.group_status, {}).out.flags, 3n);
  assert.equal(proc.writeFile('/sys/bus/amba/drivers_probe', 'nonexistent.dma'), -ENODEV);
});

test('IOMMU_GET_INFO: page sizes, argsz growth for the capability chain, then the chain itself', () => {
  const s = session();
  const small = s.user.ioctlStruct(s.container, VFIO_IOCTL.IOMMU_GET_INFO, VFIO_STRUCTS.iommu_type1_info, { argsz: 24 });
  assert.equal(small.ret, 0);
  assert.equal(small.out.iova_pgsizes, 0x40201000n);
  assert.equal(small.out.flags, 3n, 'PGSIZES | CAPS');
  assert.equal(small.out.cap_offset, 0n);
  assert.equal(small.out.argsz, 24n + 32n + 16n + 48n);
  assert.equal(s.user.ioctlStruct(s.container, VFIO_IOCTL.IOMMU_GET_INFO, VFIO_STRUCTS.iommu_type1_info, { argsz: 12 }).ret, -EINVAL);
  const full = s.user.ioctlStruct(s.container, VFIO_IOCTL.IOMMU_GET_INFO, VFIO_STRUCTS.iommu_type1_info, { argsz: 120 }, new Uint8Array(96));
  assert.equal(full.out.cap_offset, 24n);
  const chain: [bigint, bigint][] = [];
  for (let at = 24; at !== 0; ) {
    const h = decodeStruct(VFIO_STRUCTS.cap_header, s.user.readBack(at, 8));
    chain.push([h.id, BigInt(at)]);
    at = Number(h.next);
  }
  assert.deepEqual(chain, [[2n, 24n], [3n, 56n], [1n, 72n]], 'migration, DMA available, IOVA ranges');
  const ranges = decodeStruct(VFIO_STRUCTS.cap_iova_range, s.user.readBack(72, 16));
  assert.equal(ranges.nr_iovas, 2n);
  const second = decodeStruct(VFIO_STRUCTS.iova_range, s.user.readBack(72 + 16 + 16, 16));
  assert.deepEqual([second.start, second.end], [0x8100000n, 0xffffffffn], 'above the MSI window, up to the 32-bit aperture');
  assert.equal(decodeStruct(VFIO_STRUCTS.cap_dma_avail, s.user.readBack(56, 12)).avail, 65535n);
});

test('MAP_DMA argument checks: flags, alignment, wrap, overlap, pinning, the IOVA window', () => {
  const s = session();
  const buf = s.buffer(0x3000);
  const ro = s.buffer(0x1000, LINUX_FLAGS.PROT_READ);
  assert.equal(s.map(buf, 0x100000, 0x1000, 0), -EINVAL, 'neither READ nor WRITE');
  assert.equal(s.map(buf, 0x100000, 0x1000, 3 | 8), -EINVAL, 'unknown flag');
  assert.equal(s.map(buf, 0x100000, 0), -EINVAL, 'size 0');
  assert.equal(s.map(buf, 0x100800, 0x1000), -EINVAL, 'unaligned IOVA');
  assert.equal(s.map(buf + 4, 0x100000, 0x1000), -EINVAL, 'unaligned vaddr');
  assert.equal(s.map(buf, 0x100000, 0x1000, 3, { argsz: 24 }), -EINVAL, 'argsz');
  assert.equal(s.map(buf, 0, 0x1000, 3, { iova: 0xfffffffffffff000n, size: 0x2000 }), -EINVAL, 'IOVA wraps');
  assert.equal(s.map(buf, 0x100000, 0x1000, 3, { vaddr: 0x100000000n }), -EINVAL, 'vaddr beyond 32 bits');
  assert.equal(s.map(buf, 0x8000000, 0x1000), -EINVAL, 'inside the MSI window');
  assert.equal(s.map(buf, 0x100000000, 0x1000), -EINVAL, 'above the 32-bit aperture');
  assert.equal(s.map(0x7000000, 0x100000, 0x1000), -EFAULT, 'nothing mapped at vaddr');
  assert.equal(s.map(ro, 0x100000, 0x1000, 3), -EFAULT, 'device-writable mapping of read-only memory');
  assert.equal(s.map(ro, 0x100000, 0x1000, 1), 0, 'read-only is fine for device reads');
  assert.equal(s.map(buf, 0x100000, 0x1000), -EEXIST);
  assert.equal(s.map(buf, 0x0ff000, 0x2000), -EEXIST, 'overlapping the start');
  assert.equal(s.map(buf, 0x101000, 0x3000), 0);
});

test('UNMAP_DMA: type 1 v1 semantics, v2 bisection, UNMAP_ALL', () => {
  const v1 = session();
  const b = v1.buffer(0x4000);
  assert.equal(v1.map(b, 0x200000, 0x4000), 0);
  assert.equal(v1.unmap(0x201000, 0x1000), 0, 'v1: starting inside a mapping unmaps nothing');
  assert.equal(v1.unmap(0x1ff000, 0x2000), 0x4000, 'v1: covering its first IOVA removes all of it');
  assert.equal(v1.unmap(0x200000, 0x800), -EINVAL, 'size not page aligned');
  assert.equal(v1.unmap(0x200800, 0x1000), -EINVAL, 'IOVA not page aligned');
  assert.equal(v1.unmap(0x200000, 0x1000, 8), -EINVAL, 'unknown flag');
  const v2 = session(VFIO_EXTENSION.TYPE1v2_IOMMU);
  const c = v2.buffer(0x4000);
  assert.equal(v2.map(c, 0x200000, 0x2000), 0);
  assert.equal(v2.map(c + 0x2000, 0x300000, 0x2000), 0);
  assert.equal(v2.unmap(0x201000, 0x1000), -EINVAL, 'v2: bisects the start');
  assert.equal(v2.unmap(0x200000, 0x1000), -EINVAL, 'v2: bisects the end');
  assert.equal(v2.unmap(0x1000, 0x1000, 2), -EINVAL, 'UNMAP_ALL with a range');
  assert.equal(v2.unmap(0, 0, 2), 0x4000, 'UNMAP_ALL');
});

test('vfio-platform device: info, region and irq info, SET_IRQS checks, software trigger and automask, RESET, pread, mmap', () => {
  const s = session();
  const { user, proc, device } = s;
  const info = user.ioctlStruct(device, VFIO_IOCTL.DEVICE_GET_INFO, VFIO_STRUCTS.device_info, {});
  assert.deepEqual([info.ret, info.out.flags, info.out.num_regions, info.out.num_irqs], [0, 4n, 1n, 2n]);
  assert.equal(user.ioctlStruct(device, VFIO_IOCTL.DEVICE_GET_INFO, VFIO_STRUCTS.device_info, { argsz: 12 }).ret, -EINVAL);
  const region = user.ioctlStruct(device, VFIO_IOCTL.DEVICE_GET_REGION_INFO, VFIO_STRUCTS.region_info, { index: 0 });
  assert.deepEqual([region.out.flags, region.out.size, region.out.offset], [7n, 0x1000n, 0n]);
  assert.equal(user.ioctlStruct(device, VFIO_IOCTL.DEVICE_GET_REGION_INFO, VFIO_STRUCTS.region_info, { index: 1 }).ret, -EINVAL);
  const irq = user.ioctlStruct(device, VFIO_IOCTL.DEVICE_GET_IRQ_INFO, VFIO_STRUCTS.irq_info, { index: 1 });
  assert.deepEqual([irq.out.flags, irq.out.count], [7n, 1n], 'EVENTFD | MASKABLE | AUTOMASKED');
  assert.equal(user.ioctlStruct(device, VFIO_IOCTL.DEVICE_GET_IRQ_INFO, VFIO_STRUCTS.irq_info, { index: 2 }).ret, -EINVAL);
  const setIrqs = (flags: number, index: number, start: number, count: number, data?: number) => {
    const trailing = data === undefined ? undefined : new Uint8Array(new Int32Array([data]).buffer);
    return user.ioctlStruct(device, VFIO_IOCTL.DEVICE_SET_IRQS, VFIO_STRUCTS.irq_set, { flags, index, start, count }, trailing).ret;
  };
  const { DATA_NONE, DATA_EVENTFD, ACTION_TRIGGER, ACTION_UNMASK, ACTION_MASK } = VFIO_IRQ_SET_FLAGS;
  const efd = proc.eventfd(0, LINUX_FLAGS.EFD_NONBLOCK);
  assert.equal(setIrqs(DATA_EVENTFD | ACTION_TRIGGER, 0, 1, 1, efd), -EINVAL, 'start 1');
  assert.equal(setIrqs(DATA_EVENTFD | ACTION_TRIGGER, 2, 0, 1, efd), -EINVAL, 'index 2');
  assert.equal(setIrqs(DATA_EVENTFD | DATA_NONE | ACTION_TRIGGER, 0, 0, 1, efd), -EINVAL, 'two data types');
  assert.equal(setIrqs(DATA_EVENTFD | ACTION_TRIGGER, 0, 0, 1, 77), -EBADF);
  assert.equal(setIrqs(DATA_EVENTFD | ACTION_TRIGGER, 0, 0, 1, s.container), -EINVAL, 'not an eventfd');
  assert.equal(setIrqs(DATA_EVENTFD | ACTION_MASK, 0, 0, 1, efd), -EINVAL, 'vfio-platform has no irqfd masking');
  assert.equal(setIrqs(DATA_EVENTFD | ACTION_TRIGGER, 0, 0, 1, efd), 0);
  assert.equal(proc.read(efd, 8), -ERRNO.EAGAIN, 'nothing yet');
  assert.equal(setIrqs(DATA_NONE | ACTION_TRIGGER, 0, 0, 1), 0, 'loopback trigger');
  assert.equal(proc.read(efd, 4), -EINVAL, 'eventfd reads need 8 bytes');
  assert.deepEqual([...(proc.read(efd, 8) as Uint8Array)], [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(setIrqs(DATA_NONE | ACTION_TRIGGER, 0, 0, 1), 0, 'automasked: no signal until unmasked');
  assert.equal(proc.read(efd, 8), -ERRNO.EAGAIN);
  assert.equal(setIrqs(DATA_NONE | ACTION_UNMASK, 0, 0, 1), 0);
  assert.equal(setIrqs(DATA_NONE | ACTION_TRIGGER, 0, 0, 1), 0);
  assert.ok(proc.read(efd, 8) instanceof Uint8Array);
  const unmaskFd = proc.eventfd(0, 0);
  assert.equal(setIrqs(DATA_EVENTFD | ACTION_UNMASK, 0, 0, 1, unmaskFd), 0, 'virqfd unmask');
  assert.equal(setIrqs(DATA_NONE | ACTION_TRIGGER, 0, 0, 1), 0, 'still masked by the last trigger');
  assert.equal(proc.read(efd, 8), -ERRNO.EAGAIN);
  assert.equal(proc.write(unmaskFd, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])), 8, 'writing the eventfd unmasks');
  assert.equal(setIrqs(DATA_NONE | ACTION_TRIGGER, 0, 0, 1), 0);
  assert.ok(proc.read(efd, 8) instanceof Uint8Array);
  assert.equal(setIrqs(DATA_NONE | ACTION_TRIGGER, 0, 0, 0), 0, 'count 0 tears the trigger down');
  assert.equal(proc.ioctl(device, VFIO_IOCTL.DEVICE_RESET, 0), -EINVAL, 'no reset module for the PL330');
  assert.equal(proc.ioctl(device, 0x3b80, 0), -ENOTTY);
  const cr0 = proc.pread(device, 4, 0xe00n) as Uint8Array;
  assert.equal(new DataView(cr0.buffer).getUint32(0, true), s.kernel.machine.dmacs[0].device.read(0xe00, 4), 'pread reaches CR0');
  assert.equal(proc.pread(device, 4, 1n << 40n), -EINVAL, 'region 1 does not exist');
  assert.equal(proc.mmap(0x1000, RW, LINUX_FLAGS.MAP_PRIVATE, device, 0n), -EINVAL, 'MAP_PRIVATE');
  assert.equal(proc.mmap(0x2000, RW, LINUX_FLAGS.MAP_SHARED, device, 0n), -EINVAL, 'beyond the region');
  const regs = proc.mmap(0x1000, RW, LINUX_FLAGS.MAP_SHARED, device, 0n);
  assert.equal(proc.read32(regs + 0xe00), s.kernel.machine.dmacs[0].device.read(0xe00, 4), 'the mapping is the registers');
});

test("a blocking eventfd read of the model's process waits on the machine: a signal ends it, an idle machine interrupts it (EINTR)", () => {
  const { proc, user, device } = session();
  const efd = proc.eventfd(0, 0);
  const trigger = (flags: number, data?: number) =>
    user.ioctlStruct(device, VFIO_IOCTL.DEVICE_SET_IRQS, VFIO_STRUCTS.irq_set, { flags, index: 0, start: 0, count: 1 },
      data === undefined ? undefined : new Uint8Array(new Int32Array([data]).buffer)).ret;
  assert.equal(trigger(VFIO_IRQ_SET_FLAGS.DATA_EVENTFD | VFIO_IRQ_SET_FLAGS.ACTION_TRIGGER, efd), 0);
  assert.equal(proc.read(efd, 8), -ERRNO.EINTR, 'nothing on the machine can signal it');
  assert.equal(trigger(VFIO_IRQ_SET_FLAGS.DATA_NONE | VFIO_IRQ_SET_FLAGS.ACTION_TRIGGER), 0);
  assert.deepEqual([...(proc.read(efd, 8) as Uint8Array)], [1, 0, 0, 0, 0, 0, 0, 0], 'the loopback trigger signalled it');
  assert.equal(proc.write(efd, new Uint8Array(8).fill(0xff)), -EINVAL, 'eventfd refuses 2^64 - 1');
});

test('random ioctls with random arguments never throw: every call returns a value or -errno', () => {
  const s = session();
  const fds = [s.container, s.gfd, s.device, s.proc.eventfd(0, LINUX_FLAGS.EFD_NONBLOCK), 99];
  const requests = [...Object.values(VFIO_IOCTL), 0x3b7f, 0];
  let x = 12345;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const scratch = s.user.scratch;
  const pool = s.buffer(0x4000);
  for (let i = 0; i < 3000; i++) {
    const bytes = Uint8Array.from({ length: 64 }, () => (rnd(4) === 0 ? 0xff : rnd(3) === 0 ? rnd(256) : 0));
    // Plausible sizes and addresses now and then, so calls get past the first checks.
    const view = new DataView(bytes.buffer);
    view.setUint32(0, [8, 16, 20, 24, 32, 120, rnd(200)][rnd(7)], true);
    if (rnd(2)) view.setUint32(8, pool + 0x1000 * rnd(4), true);
    if (rnd(2)) view.setUint32(16, 0x100000 * rnd(64), true);
    if (rnd(2)) view.setUint32(24, 0x1000 * rnd(3), true);
    s.proc.writeMemory(scratch, bytes);
    const arg = [scratch, 0, 0xdead0000, rnd(16)][rnd(4)];
    const r = s.proc.ioctl(fds[rnd(fds.length)], requests[rnd(requests.length)], arg);
    assert.ok(Number.isInteger(r) && r >= -4095, `call ${i} returned ${r}`);
  }
});
