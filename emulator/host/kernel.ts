// The host Linux kernel as far as VFIO needs it, running on a Machine: it boots the GIC and the SMMUs (arm-smmu),
// puts each DMA-330 on the platform or AMBA bus with its IOMMU group, binds drivers (native dma-pl330 on AMBA,
// vfio-platform / vfio-amba on request), serves sysfs and /dev/vfio, dispatches interrupts through the GIC CPU
// interface, and owns physical memory for page tables and user processes.
import { GICD_SIZE } from '../gic/gic';
import type { Machine, MachineDmac } from '../machine/machine';
import type { SpiSpec } from '../machine/platform';
import { ERRNO } from '../linux/errno';
import { VfioContainer } from '../vfio/container';
import { VfioGroup } from '../vfio/group';
import { VfioPlatformDevice } from '../vfio/platform-device';
import { ArmSmmuDriver } from './arm-smmu';
import type { OpenFile } from '../linux/files';
import { LINUX_FLAGS } from '../vfio/uapi';
import { FrameAllocator, PhysicalAccess } from './physical';
import { UserProcess } from './process';

export type DeviceBus = 'platform' | 'amba';

/** A device the kernel knows: a DMA-330 from the devicetree, on its bus, with its driver and IOMMU group. */
export class KernelDevice {
  driver: string | undefined;
  driverOverride: string | undefined;
  group: IommuGroup | undefined;
  /** The vfio-platform / vfio-amba instance while bound to one. */
  vfio: VfioPlatformDevice | undefined;

  constructor(readonly dmac: MachineDmac, readonly smmu: ArmSmmuDriver | undefined) {}

  get name(): string {
    return this.dmac.description.name;
  }

  get bus(): DeviceBus {
    return this.dmac.description.bus;
  }

  get streamIds(): readonly number[] {
    return this.dmac.description.iommu?.streamIds ?? [];
  }
}

export class IommuGroup {
  readonly devices: KernelDevice[] = [];
  /** The VFIO group (/dev/vfio/N) once a device of the group is bound to a VFIO driver. */
  vfio: VfioGroup | undefined;

  constructor(readonly id: number, readonly smmu: ArmSmmuDriver) {}

  /** VIABLE: every device bound to a VFIO driver or to none. */
  get viable(): boolean {
    return this.devices.every((d) => d.driver === undefined || VFIO_DRIVERS[d.bus] === d.driver);
  }
}

/** The VFIO driver of each bus, and the native driver of a DMA-330 on it. */
const VFIO_DRIVERS: Record<DeviceBus, string> = { platform: 'vfio-platform', amba: 'vfio-amba' };
const NATIVE_DRIVERS: Record<DeviceBus, string | undefined> = { platform: undefined, amba: 'dma-pl330' };
/** Interrupt priority the kernel gives every line it requests (GIC-400: 5 priority bits). */
const IRQ_PRIORITY = 0xa0;

interface SysfsAttribute {
  show?(): string;
  store?(text: string): number;
}

export class HostKernel {
  readonly mem: PhysicalAccess;
  readonly frames: FrameAllocator;
  readonly dmesg: string[] = [];
  /** Called for every kernel log line (the CLI prints them). */
  onLog: ((line: string) => void) | undefined;
  readonly smmuDrivers: ArmSmmuDriver[] = [];
  readonly devices: KernelDevice[] = [];
  readonly groups: IommuGroup[] = [];
  /** Handlers per interrupt ID; more than one only when every one of them was requested shared. */
  private readonly irqHandlers = new Map<number, { handler: () => void; shared: boolean }[]>();
  private readonly pins = new Map<number, number>();
  private inInterrupt = false;
  private nextPid = 100;

  constructor(readonly machine: Machine) {
    this.mem = new PhysicalAccess(machine.bus, () => machine.hostDeviceAccess);
    this.frames = new FrameAllocator(machine.bus, machine.platform.memory);
    this.bootGic();
    for (const s of machine.smmus) this.probeSmmu(s);
    for (const dmac of machine.dmacs) this.addDevice(dmac);
  }

  log(line: string): void {
    this.dmesg.push(line);
    this.onLog?.(line);
  }

  // ---- Interrupts ----

  private get gicd(): number {
    return this.machine.platform.gic.distributor;
  }

  private get gicc(): number {
    return this.machine.platform.gic.cpuInterface;
  }

  private bootGic(): void {
    this.mem.writel(this.gicd + 0x000, 1);
    this.mem.writel(this.gicc + 0x004, 0xf0);
    this.mem.writel(this.gicc + 0x000, 1);
    this.machine.gic.cpuIrq[0] = {
      setLevel: (high) => {
        if (!high) return;
        this.handleInterrupts();
        // A process waiting on the timeline for what the handlers signalled resumes at this instant.
        this.machine.wake();
      },
    };
  }

  /** The IRQ exception: acknowledge, run the handler, end of interrupt, until nothing is pending. */
  private handleInterrupts(): void {
    if (this.inInterrupt) return; // the running loop picks it up
    this.inInterrupt = true;
    try {
      for (;;) {
        const id = this.mem.readl(this.gicc + 0x0c) & 0x3ff;
        if (id === 1023) break;
        const handlers = this.irqHandlers.get(id);
        if (handlers?.length) for (const h of handlers) h.handler();
        else this.log(`irq ${id}: nobody cared`);
        this.mem.writel(this.gicc + 0x10, id);
      }
    } finally {
      this.inInterrupt = false;
    }
  }

  private setEnabled(id: number, on: boolean): void {
    this.mem.writel(this.gicd + (on ? 0x100 : 0x180) + 4 * (id >> 5), 1 << (id & 31));
  }

  /** request_irq: priority, CPU 0 as target, trigger type, enable. A line is shared only if every user says so. */
  requestIrq(spec: SpiSpec, handler: () => void, shared = false): number {
    const id = 32 + spec.spi;
    const existing = this.irqHandlers.get(id) ?? [];
    if (existing.length && !(shared && existing.every((h) => h.shared))) return -ERRNO.EBUSY;
    if (id + 1 > this.machine.gic.config.interrupts || 0x400 + id >= GICD_SIZE) return -ERRNO.EINVAL;
    this.irqHandlers.set(id, [...existing, { handler, shared }]);
    if (existing.length) return 0;
    const gicd = this.gicd;
    this.mem.writel(gicd + 0x400 + (id & ~3), (this.mem.readl(gicd + 0x400 + (id & ~3)) & ~(0xff << (8 * (id & 3)))) | (IRQ_PRIORITY << (8 * (id & 3))));
    this.mem.writel(gicd + 0x800 + (id & ~3), (this.mem.readl(gicd + 0x800 + (id & ~3)) & ~(0xff << (8 * (id & 3)))) | (1 << (8 * (id & 3))));
    const cfg = gicd + 0xc00 + 4 * (id >> 4);
    const edgeBit = 2 << (2 * (id & 15));
    this.mem.writel(cfg, spec.level ? this.mem.readl(cfg) & ~edgeBit : this.mem.readl(cfg) | edgeBit);
    this.setEnabled(id, true);
    return 0;
  }

  freeIrq(spec: SpiSpec, handler: () => void): void {
    const id = 32 + spec.spi;
    const rest = (this.irqHandlers.get(id) ?? []).filter((h) => h.handler !== handler);
    if (rest.length) this.irqHandlers.set(id, rest);
    else {
      this.setEnabled(id, false);
      this.irqHandlers.delete(id);
    }
  }

  disableIrq(spec: SpiSpec): void {
    this.setEnabled(32 + spec.spi, false);
  }

  enableIrq(spec: SpiSpec): void {
    this.setEnabled(32 + spec.spi, true);
  }

  /** Lets the machine run (a process blocked in read) until the condition holds; false if it never can. */
  waitFor(condition: () => boolean): boolean {
    if (condition()) return true;
    this.machine.run({ until: condition });
    return condition();
  }

  // ---- SMMUs, devices, groups ----

  private probeSmmu(s: Machine['smmus'][number]): void {
    const driver = new ArmSmmuDriver(s, this.mem, this.frames, (l) => this.log(l));
    this.smmuDrivers.push(driver);
    // arm-smmu requests its interrupts shared (IRQF_SHARED): a devicetree may give several the same line.
    for (const spec of s.description.globalInterrupts) this.requestIrq(spec, () => driver.globalFault(), true);
    s.description.contextInterrupts.forEach((spec, i) => this.requestIrq(spec, () => driver.contextFault(i), true));
  }

  private addDevice(dmac: MachineDmac): void {
    const iommu = dmac.description.iommu;
    const smmu = iommu ? this.smmuDrivers[iommu.smmu] : undefined;
    const device = new KernelDevice(dmac, smmu);
    this.devices.push(device);
    if (smmu && iommu) {
      const r = smmu.addMaster(iommu.streamIds);
      if (r < 0) this.log(`arm-smmu ${smmu.name}: ${device.name}: no free stream match registers for stream IDs ${iommu.streamIds.join(', ')}: not added to an IOMMU group`);
      else {
        let group = this.groups.find((g) => g.smmu === smmu && g.devices.some((d) => d.streamIds.some((id) => iommu.streamIds.includes(id))));
        if (!group) {
          group = new IommuGroup(this.groups.length, smmu);
          this.groups.push(group);
        }
        group.devices.push(device);
        device.group = group;
        this.log(`${device.name}: Adding to iommu group ${group.id}`);
      }
    }
    const native = NATIVE_DRIVERS[device.bus];
    if (native) this.bind(device, native);
  }

  device(name: string, bus?: DeviceBus): KernelDevice | undefined {
    return this.devices.find((d) => d.name === name && (bus === undefined || d.bus === bus));
  }

  /** Binds a driver; false (and a log line) when its probe fails. */
  private bind(device: KernelDevice, driver: string): boolean {
    if (driver === VFIO_DRIVERS[device.bus]) {
      if (!device.group) {
        this.log(`${driver} ${device.name}: vfio: No IOMMU group for device`);
        return false;
      }
      device.vfio = new VfioPlatformDevice(this, device);
      device.group.vfio ??= new VfioGroup(this, device.group);
    } else if (driver === 'dma-pl330') {
      this.log(`dma-pl330 ${device.name}: Loaded driver for PL330 DMAC-${device.dmac.device.config.channels} channels`);
    } else return false;
    device.driver = driver;
    return true;
  }

  private unbind(device: KernelDevice): number {
    if (device.vfio) {
      if (device.vfio.opened) return -ERRNO.EBUSY;
      device.vfio = undefined;
    }
    device.driver = undefined;
    const group = device.group;
    if (group && group.vfio && !group.devices.some((d) => d.vfio) && !group.vfio.opened) group.vfio = undefined;
    return 0;
  }

  /** drivers_probe / device_attach: driver_override decides, else the bus's native driver. */
  private probe(device: KernelDevice): void {
    if (device.driver) return;
    const driver = device.driverOverride ?? NATIVE_DRIVERS[device.bus];
    if (driver && (driver === VFIO_DRIVERS[device.bus] || driver === NATIVE_DRIVERS[device.bus])) this.bind(device, driver);
  }

  /** Frames pinned by VFIO mappings stay allocated after the process unmaps them. */
  pin(frame: number): void {
    this.pins.set(frame, (this.pins.get(frame) ?? 0) + 1);
  }

  unpin(frame: number): void {
    const n = (this.pins.get(frame) ?? 0) - 1;
    if (n > 0) this.pins.set(frame, n);
    else this.pins.delete(frame);
  }

  isPinned(frame: number): boolean {
    return this.pins.has(frame);
  }

  spawn(): UserProcess {
    return new UserProcess(this, this.nextPid++);
  }

  // ---- File system: /dev/vfio and the sysfs attributes of the VFIO_PLATFORM guide's binding flow ----

  open(path: string, _flags: number): OpenFile | number {
    if (path === '/dev/vfio/vfio') return new VfioContainer(this);
    const group = /^\/dev\/vfio\/(\d+)$/.exec(path);
    if (group) {
      const vfio = this.groups[Number(group[1])]?.vfio;
      if (!vfio) return -ERRNO.ENOENT;
      return vfio.open();
    }
    const attribute = this.sysfsAttribute(path);
    if (!attribute) return -ERRNO.ENOENT;
    return {
      name: path,
      flags: LINUX_FLAGS.O_RDWR,
      read: () => (attribute.show ? new TextEncoder().encode(attribute.show()) : -ERRNO.EIO),
      write: (data) => (attribute.store ? attribute.store(new TextDecoder().decode(data)) : -ERRNO.EIO),
    };
  }

  /** Symbolic links: a device's `driver` and `iommu_group`. */
  readlink(path: string): string | number {
    const m = /^\/sys\/bus\/(platform|amba)\/devices\/([^/]+)\/(driver|iommu_group)$/.exec(path);
    const device = m ? this.device(m[2], m[1] as DeviceBus) : undefined;
    if (!m || !device) return -ERRNO.ENOENT;
    if (m[3] === 'driver') return device.driver ? `/sys/bus/${device.bus}/drivers/${device.driver}` : -ERRNO.ENOENT;
    return device.group ? `/sys/kernel/iommu_groups/${device.group.id}` : -ERRNO.ENOENT;
  }

  /** ls: the entries of the directories the binding flow looks at. */
  listDirectory(path: string): string[] | number {
    const bus = /^\/sys\/bus\/(platform|amba)\/devices$/.exec(path);
    if (bus) return this.devices.filter((d) => d.bus === bus[1]).map((d) => d.name);
    const group = /^\/sys\/kernel\/iommu_groups\/(\d+)\/devices$/.exec(path);
    if (group) return this.groups[Number(group[1])]?.devices.map((d) => d.name) ?? -ERRNO.ENOENT;
    if (path === '/sys/kernel/iommu_groups') return this.groups.map((g) => String(g.id));
    if (path === '/dev/vfio') return ['vfio', ...this.groups.filter((g) => g.vfio).map((g) => String(g.id))];
    return -ERRNO.ENOENT;
  }

  private sysfsAttribute(path: string): SysfsAttribute | undefined {
    const perDevice = /^\/sys\/bus\/(platform|amba)\/devices\/([^/]+)\/(driver_override|driver\/unbind)$/.exec(path);
    if (perDevice) {
      const device = this.device(perDevice[2], perDevice[1] as DeviceBus);
      if (!device) return undefined;
      if (perDevice[3] === 'driver_override') {
        return {
          show: () => `${device.driverOverride ?? '(null)'}\n`,
          store: (text) => {
            const name = text.replace(/\n$/, '');
            device.driverOverride = name === '' ? undefined : name;
            return text.length;
          },
        };
      }
      return device.driver ? { store: (text) => this.storeUnbind(device.bus, device.driver!, text) } : undefined;
    }
    const perBus = /^\/sys\/bus\/(platform|amba)\/(drivers_probe|drivers\/([^/]+)\/(bind|unbind))$/.exec(path);
    if (!perBus) return undefined;
    const bus = perBus[1] as DeviceBus;
    if (perBus[2] === 'drivers_probe') {
      return {
        store: (text) => {
          const device = this.device(text.trim(), bus);
          if (!device) return -ERRNO.ENODEV;
          this.probe(device);
          return text.length;
        },
      };
    }
    const driver = perBus[3];
    if (driver !== VFIO_DRIVERS[bus] && driver !== NATIVE_DRIVERS[bus]) return undefined;
    if (perBus[4] === 'unbind') return { store: (text) => this.storeUnbind(bus, driver, text) };
    return {
      store: (text) => {
        const device = this.device(text.trim(), bus);
        if (!device || device.driver) return -ERRNO.ENODEV;
        return this.bind(device, driver) ? text.length : -ERRNO.ENODEV;
      },
    };
  }

  private storeUnbind(bus: DeviceBus, driver: string, text: string): number {
    const device = this.device(text.trim(), bus);
    if (!device || device.driver !== driver) return -ERRNO.ENODEV;
    const r = this.unbind(device);
    return r < 0 ? r : text.length;
  }
}
