// The opening steps every VFIO userspace driver of the VFIO_PLATFORM guide takes, as a user process of the host-kernel model:
// bind the device to its VFIO driver through sysfs, open the container and the group, set the type-1 IOMMU, get the
// device fd, map its register page and arm an eventfd on an interrupt. Each step is reported; a failing step throws.
import { EventFd } from '../emulator/linux/files';
import { HostKernel } from '../emulator/host/kernel';
import type { UserProcess } from '../emulator/host/process';
import type { Machine } from '../emulator/machine/machine';
import type { MemorySnapshot } from '../emulator/bus/memory';
import { VfioUser } from '../emulator/vfio/libvfio';
import { LINUX_FLAGS, VFIO_API_VERSION, VFIO_DEVICE_FLAGS, VFIO_EXTENSION, VFIO_GROUP_FLAGS, VFIO_IOCTL, VFIO_IRQ_SET_FLAGS, VFIO_STRUCTS } from '../emulator/vfio/uapi';
import { errnoName } from '../emulator/linux/errno';

export type ScenarioOutput = (line: string) => void;

export class ScenarioFailure extends Error {}

export interface ScenarioResult {
  readonly pass: boolean;
  readonly failure?: string;
}

/**
 * What a scenario waits for while the machine runs: until `until` holds (a blocked read gets its data), or, without
 * it, until nothing can run. A scenario is a generator of these waits, so whoever drives it decides how the machine
 * runs in between: straight through (`runThrough`), or tick by tick under a debugger.
 */
export interface MachineWait {
  readonly what: string;
  readonly until?: () => boolean;
}

export type ScenarioSteps<T = ScenarioResult> = Generator<MachineWait, T, void>;

/** Drives a scenario straight through: each wait runs the machine as the blocked process would. */
export function runThrough<T>(machine: Machine, steps: ScenarioSteps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    machine.run({ until: next.value.until });
  }
}

/** The wait of a blocking read(2) of an eventfd: until its counter is not zero. */
export function readable(proc: UserProcess, fd: number): MachineWait {
  const file = proc.file(fd);
  if (!(file instanceof EventFd)) throw new ScenarioFailure(`fd ${fd} is not an eventfd`);
  return { what: `read(${fd}) of an eventfd`, until: () => file.counter !== 0n };
}

const PROT_RW = LINUX_FLAGS.PROT_READ | LINUX_FLAGS.PROT_WRITE;

/** A numbered step log: `step()` prints, `check()` turns a negative syscall result into a failure. */
export class StepLog {
  private n = 0;
  constructor(private readonly out: ScenarioOutput) {}

  step(text: string): void {
    this.out(`[${String(++this.n).padStart(2)}] ${text}`);
  }

  note(text: string): void {
    this.out(`     ${text}`);
  }

  check(what: string, ret: number): number {
    if (ret < 0) throw new ScenarioFailure(`${what} failed: ${errnoName(ret)}`);
    return ret;
  }

  expect(condition: boolean, what: string): void {
    if (!condition) throw new ScenarioFailure(what);
  }
}

/** Runs a scenario's steps: a ScenarioFailure is its FAILED line and verdict; anything else is a bug and propagates. */
export function* runSteps(out: ScenarioOutput, body: (log: StepLog) => ScenarioSteps<void>): ScenarioSteps {
  const log = new StepLog(out);
  try {
    yield* body(log);
    return { pass: true };
  } catch (error) {
    if (!(error instanceof ScenarioFailure)) throw error;
    out(`     FAILED: ${error.message}`);
    return { pass: false, failure: error.message };
  }
}

export interface VfioSession {
  readonly kernel: HostKernel;
  readonly proc: UserProcess;
  readonly user: VfioUser;
  readonly container: number;
  readonly group: number;
  readonly device: number;
  /** Where the register page is mapped in the process. */
  readonly registers: number;
  readonly irqCount: number;
}

/** Boots the host kernel on the machine and starts a process (the shell and the test program). */
export function bootHost(machine: Machine, log: StepLog): { kernel: HostKernel; proc: UserProcess } {
  const kernel = new HostKernel(machine);
  log.step(`boot: ${machine.platform.model}; ${kernel.smmuDrivers.length} SMMU, ${kernel.devices.length} DMA-330, ${kernel.groups.length} IOMMU group(s)`);
  for (const line of kernel.dmesg) log.note(`kernel: ${line}`);
  return { kernel, proc: kernel.spawn() };
}

/** The VFIO_PLATFORM guide's binding flow: driver_override, unbind from the current driver, drivers_probe. */
export function bindToVfio(kernel: HostKernel, proc: UserProcess, name: string, log: StepLog): number {
  const device = kernel.device(name);
  log.expect(device !== undefined, `no device ${name} in the devicetree (have: ${kernel.devices.map((d) => d.name).join(', ')})`);
  const bus = device!.bus;
  const driver = bus === 'amba' ? 'vfio-amba' : 'vfio-platform';
  const sys = `/sys/bus/${bus}/devices/${name}`;
  log.step(`echo ${driver} > ${sys}/driver_override`);
  log.check('driver_override', proc.writeFile(`${sys}/driver_override`, `${driver}\n`));
  if (device!.driver) {
    log.step(`echo ${name} > ${sys}/driver/unbind   (was bound to ${device!.driver})`);
    log.check('unbind', proc.writeFile(`${sys}/driver/unbind`, `${name}\n`));
  }
  log.step(`echo ${name} > /sys/bus/${bus}/drivers_probe`);
  log.check('drivers_probe', proc.writeFile(`/sys/bus/${bus}/drivers_probe`, `${name}\n`));
  const link = kernel.readlink(`${sys}/iommu_group`);
  log.expect(typeof link === 'string', `${name} has no iommu_group: is it behind an SMMU in the devicetree?`);
  const group = Number((link as string).split('/').pop());
  log.note(`${sys}/iommu_group -> ${link}; driver is ${kernel.device(name)!.driver}`);
  return group;
}

/** Container, group, type-1 IOMMU, device fd, register mmap: Test Case 1 up to the DMA mappings. */
export function openVfioDevice(kernel: HostKernel, proc: UserProcess, name: string, groupId: number, log: StepLog): VfioSession {
  const user = new VfioUser(proc);
  log.step('open /dev/vfio/vfio');
  const container = log.check('open /dev/vfio/vfio', proc.open('/dev/vfio/vfio'));
  const version = proc.ioctl(container, VFIO_IOCTL.GET_API_VERSION, 0);
  log.expect(version === VFIO_API_VERSION, `VFIO_GET_API_VERSION returned ${version}`);
  log.expect(proc.ioctl(container, VFIO_IOCTL.CHECK_EXTENSION, VFIO_EXTENSION.TYPE1_IOMMU) === 1, 'the container does not support VFIO_TYPE1_IOMMU');
  log.note(`VFIO_GET_API_VERSION = ${version}, VFIO_CHECK_EXTENSION(VFIO_TYPE1_IOMMU) = 1`);
  log.step(`open /dev/vfio/${groupId}`);
  const group = log.check(`open /dev/vfio/${groupId}`, proc.open(`/dev/vfio/${groupId}`));
  const status = user.ioctlStruct(group, VFIO_IOCTL.GROUP_GET_STATUS, VFIO_STRUCTS.group_status, {});
  log.check('VFIO_GROUP_GET_STATUS', status.ret);
  log.expect((status.out.flags & BigInt(VFIO_GROUP_FLAGS.VIABLE)) !== 0n, `group ${groupId} is not viable (a device of it is bound to a non-VFIO driver)`);
  log.note('VFIO_GROUP_GET_STATUS: VIABLE');
  log.step('VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU(VFIO_TYPE1_IOMMU)');
  log.check('VFIO_GROUP_SET_CONTAINER', user.ioctlIntPointer(group, VFIO_IOCTL.GROUP_SET_CONTAINER, container));
  log.check('VFIO_SET_IOMMU', proc.ioctl(container, VFIO_IOCTL.SET_IOMMU, VFIO_EXTENSION.TYPE1_IOMMU));
  const info = user.ioctlStruct(container, VFIO_IOCTL.IOMMU_GET_INFO, VFIO_STRUCTS.iommu_type1_info, { argsz: VFIO_STRUCTS.iommu_type1_info.size });
  log.check('VFIO_IOMMU_GET_INFO', info.ret);
  log.note(`VFIO_IOMMU_GET_INFO: iova_pgsizes 0x${info.out.iova_pgsizes.toString(16)}`);
  log.step(`VFIO_GROUP_GET_DEVICE_FD("${name}")`);
  const device = log.check('VFIO_GROUP_GET_DEVICE_FD', user.ioctlString(group, VFIO_IOCTL.GROUP_GET_DEVICE_FD, name));
  const dinfo = user.ioctlStruct(device, VFIO_IOCTL.DEVICE_GET_INFO, VFIO_STRUCTS.device_info, {});
  log.check('VFIO_DEVICE_GET_INFO', dinfo.ret);
  const flags = Number(dinfo.out.flags);
  const kind = flags & VFIO_DEVICE_FLAGS.AMBA ? 'AMBA' : flags & VFIO_DEVICE_FLAGS.PLATFORM ? 'PLATFORM' : `flags 0x${flags.toString(16)}`;
  log.note(`VFIO_DEVICE_GET_INFO: ${kind}, ${dinfo.out.num_regions} region(s), ${dinfo.out.num_irqs} irq(s)`);
  log.expect(dinfo.out.num_regions >= 1n && dinfo.out.num_irqs >= 1n, 'the device needs a register region and an interrupt');
  const region = user.ioctlStruct(device, VFIO_IOCTL.DEVICE_GET_REGION_INFO, VFIO_STRUCTS.region_info, { index: 0 });
  log.check('VFIO_DEVICE_GET_REGION_INFO', region.ret);
  log.step(`mmap region 0 (size 0x${region.out.size.toString(16)}, offset 0x${region.out.offset.toString(16)})`);
  const registers = log.check('mmap of the registers', proc.mmap(Number(region.out.size), PROT_RW, LINUX_FLAGS.MAP_SHARED, device, region.out.offset));
  return { kernel, proc, user, container, group, device, registers, irqCount: Number(dinfo.out.num_irqs) };
}

/** eventfd + VFIO_DEVICE_SET_IRQS(TRIGGER | DATA_EVENTFD) on an IRQ index. */
export function armInterrupt(s: VfioSession, index: number, log: StepLog): number {
  return irqEventfd(s, index, VFIO_IRQ_SET_FLAGS.ACTION_TRIGGER, log);
}

/** A new eventfd given to VFIO_DEVICE_SET_IRQS(DATA_EVENTFD | action) on an IRQ index: TRIGGER signals it, UNMASK listens to it. */
export function irqEventfd(s: VfioSession, index: number, action: number, log: StepLog): number {
  const efd = log.check('eventfd', s.proc.eventfd(0, 0));
  const data = new Uint8Array(4);
  new DataView(data.buffer).setInt32(0, efd, true);
  const r = s.user.ioctlStruct(s.device, VFIO_IOCTL.DEVICE_SET_IRQS, VFIO_STRUCTS.irq_set, {
    flags: VFIO_IRQ_SET_FLAGS.DATA_EVENTFD | action, index, start: 0, count: 1,
  }, data);
  log.check('VFIO_DEVICE_SET_IRQS', r.ret);
  return efd;
}

/** Anonymous page-aligned user memory. */
export function allocate(s: VfioSession, bytes: number, log: StepLog): number {
  return log.check('mmap anonymous', s.proc.mmap(bytes, PROT_RW, LINUX_FLAGS.MAP_PRIVATE | LINUX_FLAGS.MAP_ANONYMOUS, -1, 0n));
}

/** VFIO_IOMMU_MAP_DMA of user memory at an IOVA. */
export function mapDma(s: VfioSession, vaddr: number, iova: number, size: number, flags: number): number {
  return s.user.ioctlStruct(s.container, VFIO_IOCTL.IOMMU_MAP_DMA, VFIO_STRUCTS.dma_map, { flags, vaddr, iova, size }).ret;
}

export function unmapDma(s: VfioSession, iova: number, size: number): { ret: number; size: bigint } {
  const r = s.user.ioctlStruct(s.container, VFIO_IOCTL.IOMMU_UNMAP_DMA, VFIO_STRUCTS.dma_unmap, { iova, size });
  return { ret: r.ret, size: r.out.size };
}

/** Page numbers whose bytes differ between two snapshots of physical memory. */
export function changedPages(before: MemorySnapshot, after: MemorySnapshot): number[] {
  return [...new Set([...before.pages.keys(), ...after.pages.keys()])].filter((p) => {
    const a = before.pages.get(p), b = after.pages.get(p);
    return a !== b && (!a || !b || a.some((x, i) => x !== b[i]));
  });
}
