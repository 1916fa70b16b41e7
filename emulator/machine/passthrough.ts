// dmalab as the hypervisor of the VFIO_PLATFORM guide's Test Case 2 (KVM left 32-bit ARM hosts in Linux 5.7): a guest
// view of the machine with DMA-330s of the platform assigned to it, as QEMU/KVM with vfio-platform gave one.
// - Memory: the guest's RAM at the platform's RAM base (an IPA) is host RAM at the top of the platform's RAM; the
//   CPUs reach it through a stage 2 (memory slots, as KVM's), and the hypervisor's own memory below it (the SMMU's
//   tables) is mapped for no guest.
// - Devices: the guest's interrupt controller, UARTs, timer and firmware are the hypervisor's (a GIC and PL011s of
//   their own, reached only through the CPUs' stage 2, like KVM's emulated MMIO); no host device is visible except
//   the assigned DMACs, whose registers the stage 2 maps at guest addresses of QEMU virt's platform bus.
// - Devicetree: the host's, without its devices, plus each assigned node copied as QEMU's vfio-platform did: `reg`
//   at the guest address, interrupts remapped to guest SPIs, an AMBA device (`arm,primecell`, `apb_pclk`) with one
//   interrupt per event output irq0..irq7 and `abort`, since Linux's dma-pl330 is an AMBA driver that takes them.
// - DMA: each assigned DMAC's stream gets a stage-2 context on its SMMU, programmed through the SMMU's registers as
//   VFIO's type-1 MAP_DMA of the guest's RAM does (IPA = guest physical -> host physical, the guest's RAM only), so a
//   guest-programmed transfer outside its RAM faults in the SMMU and never reaches host memory. The hypervisor handles
//   the SMMU's interrupts as the host's arm-smmu under VFIO does: the fault logged (FSR, FAR...), then cleared.
import { getProperty, parseFdt, propCells, propStrings, propU32, writeFdt, type Fdt, type FdtNode, type FdtProperty } from '../devicetree/fdt';
import { Gic } from '../gic/gic';
import type { IrqLine } from '../gic/irq';
import { ArmSmmuDriver, type SmmuDomain } from '../host/arm-smmu';
import { IOMMU_PROT } from '../host/io-pgtable';
import { FrameAllocator, PhysicalAccess } from '../host/physical';
import { Pl011 } from '../uart/pl011';
import { platformFromDtb } from './from-dtb';
import type { Machine, MachineDmac } from './machine';
import type { MemoryRange, PlatformDescription } from './platform';

/** Where the hypervisor's emulated devices sit in the host's physical address space: above the 40 bits any host
 * master (CPU stage 1, SMMU output) can address, so only the guest's stage 2 reaches them. */
export const EMULATED_DEVICES_BASE = 2 ** 40;
/** Guest addresses and SPIs of assigned devices: QEMU virt's platform bus (0x0c000000, SPIs from 112). */
const PLATFORM_BUS_BASE = 0x0c000000;
const PLATFORM_BUS_FIRST_SPI = 112;
const DEVICE_SLOT = 0x1000;
/** DMA-330 outputs a guest's dma-pl330 takes (AMBA_NR_IRQS = 9): event interrupts irq0..irq7, then abort. */
const GUEST_DMAC_OUTPUTS = [...Array.from({ length: 8 }, (_, i) => `irq${i}`), 'abort'];
const DEFAULT_GUEST_RAM = 512 << 20;
const TWO_MB = 2 << 20;
const GIC_TYPES = ['arm,gic-400', 'arm,cortex-a15-gic', 'arm,cortex-a9-gic', 'arm,cortex-a7-gic', 'arm,pl390'];
/** Host properties a copied node does not keep: the guest's are written anew (or have no meaning there). */
const REWRITTEN = new Set(['compatible', 'reg', 'interrupts', 'interrupts-extended', 'interrupt-names', 'interrupt-parent', 'iommus', 'clocks', 'clock-names', 'phandle', 'linux,phandle', 'status', 'power-domains', 'resets', 'reset-names']);

export class PassthroughError extends Error {}

export interface PassthroughOptions {
  /** Linux names of the DMACs to assign (`2c0a0000.dma`). */
  readonly devices: readonly string[];
  /** Guest RAM in bytes (2 MiB multiples; default 512 MiB, or half the platform's RAM when that is less). */
  readonly ramSize?: number;
  /** The hypervisor's messages after set-up: the SMMU faults it handles (`Unhandled context fault: fsr=...`). */
  readonly log?: (line: string) => void;
}

/** One memory slot of the stage 2: guest [ipa, ipa + size) is host [physical, physical + size). */
export interface GuestSlot {
  readonly name: string;
  readonly ipa: number;
  readonly size: number;
  readonly physical: number;
}

export interface AssignedDevice {
  readonly name: string;
  readonly host: MachineDmac;
  /** Guest physical address of its registers. */
  readonly guestBase: number;
  /** Guest SPIs of irq0..irq7, abort. */
  readonly guestSpis: readonly number[];
  /** The SMMU context its stream translates through. */
  readonly domain: SmmuDomain;
}

/** What a SystemMachine runs a guest on: its platform (CPUs, timer, firmware, RAM as the guest sees them), its
 * interrupt controller and console, the CPUs' stage 2, and the devicetree to hand its kernel. */
export interface GuestView {
  readonly platform: PlatformDescription;
  readonly gic: Gic;
  readonly uarts: readonly Pl011[];
  readonly stage2: (ipa: number) => number;
  readonly dtb: Uint8Array;
}

export class PassthroughGuest implements GuestView {
  readonly platform: PlatformDescription;
  readonly gic: Gic;
  readonly uarts: readonly Pl011[];
  readonly dtb: Uint8Array;
  /** The guest's RAM slot first, then one per assigned device's registers. */
  readonly slots: readonly GuestSlot[];
  readonly devices: readonly AssignedDevice[];
  /** The hypervisor's own memory (the SMMU's page tables): host RAM below the guest's. */
  readonly hypervisorMemory: MemoryRange;
  /** The SMMU faults the hypervisor handled, as logged. */
  readonly faults: string[] = [];

  constructor(readonly machine: Machine, hostDtb: Uint8Array, options: PassthroughOptions) {
    const hosts = assignedDmacs(machine, options.devices);
    const hostRam = machine.platform.memory[0];
    const ramSize = options.ramSize ?? Math.min(DEFAULT_GUEST_RAM, Math.floor(hostRam.size / 2 / TWO_MB) * TWO_MB);
    if (ramSize <= 0 || ramSize % TWO_MB !== 0) throw new PassthroughError(`guest RAM of ${ramSize} bytes: give a multiple of 2 MiB`);
    if (ramSize > hostRam.size / 2) throw new PassthroughError(`guest RAM of ${mebibytes(ramSize)} MiB: the platform's ${mebibytes(hostRam.size)} MiB must keep half for the hypervisor`);
    const ram: GuestSlot = { name: 'ram', ipa: hostRam.base, size: ramSize, physical: hostRam.base + hostRam.size - ramSize };
    this.hypervisorMemory = { base: hostRam.base, size: ram.physical - hostRam.base };
    const guestBases = hosts.map((_, i) => PLATFORM_BUS_BASE + i * DEVICE_SLOT);
    const guestSpis = hosts.map((_, i) => GUEST_DMAC_OUTPUTS.map((__, j) => PLATFORM_BUS_FIRST_SPI + i * GUEST_DMAC_OUTPUTS.length + j));
    this.dtb = guestDevicetree(parseFdt(hostDtb), ram, hosts, guestBases, guestSpis);
    this.platform = platformFromDtb(this.dtb);
    this.slots = [ram, ...hosts.map((d, i) => ({ name: d.description.name, ipa: guestBases[i], size: DEVICE_SLOT, physical: d.description.base }))];

    // The hypervisor's emulated devices, as the guest's devicetree places them.
    const bus = machine.bus;
    const gicDescription = this.platform.gic;
    this.gic = new Gic(gicDescription.config);
    bus.addDevice(EMULATED_DEVICES_BASE + gicDescription.distributor, gicDescription.distributorSize, this.gic);
    bus.addDevice(EMULATED_DEVICES_BASE + gicDescription.cpuInterface, gicDescription.cpuInterfaceSize, this.gic.bankedCpuInterface);
    this.uarts = (this.platform.uarts ?? []).map((d) => {
      const uart = new Pl011(d.name);
      bus.addDevice(EMULATED_DEVICES_BASE + d.base, d.size, uart);
      if (d.interrupt) uart.irq = this.gic.spi(d.interrupt.spi);
      return uart;
    });

    // The assigned DMACs: outputs to the guest's GIC, streams to a stage-2 context mapping exactly the guest's RAM.
    const physical = new PhysicalAccess(bus);
    const frames = new FrameAllocator(bus, [this.hypervisorMemory], 0);
    const domains = new Map<number, SmmuDomain>();
    // The driver's probe lines are the hypervisor's business; what it reports once the guest runs is the user's.
    let running = false;
    const report = (line: string): void => {
      if (!running) return;
      this.faults.push(line);
      options.log?.(line);
    };
    this.devices = hosts.map((host, i) => {
      const guest = this.platform.dmacs.find((d) => d.base === guestBases[i])!;
      for (const { spec, output } of guest.interrupts) {
        const source = output === 'abort' ? host.device.irqAbort : host.device.irq[output];
        const line = this.gic.spi(spec.spi);
        source.connect((level) => line.setLevel(level));
      }
      const iommu = host.description.iommu!;
      let domain = domains.get(iommu.smmu);
      if (domain === undefined) {
        const driver = new ArmSmmuDriver(machine.smmus[iommu.smmu], physical, frames, report);
        domain = stage2Domain(driver, ram);
        domains.set(iommu.smmu, domain);
        handleFaults(machine, driver);
      }
      const smmu = domain.smmu;
      check(smmu.addMaster(iommu.streamIds), `${host.description.name}: no free stream match register on ${smmu.name}`);
      check(smmu.attach(domain, iommu.streamIds), `${host.description.name}: its streams could not be attached`);
      return { name: host.description.name, host, guestBase: guestBases[i], guestSpis: guestSpis[i], domain };
    });
    running = true;
  }

  /** The CPUs' stage 2: a slot's host address, else the hypervisor's emulated devices (nothing there reads 0). */
  readonly stage2 = (ipa: number): number => {
    for (const slot of this.slots) if (ipa >= slot.ipa && ipa < slot.ipa + slot.size) return slot.physical + (ipa - slot.ipa);
    return EMULATED_DEVICES_BASE + ipa;
  };

  /** The guest's RAM slot. */
  get ram(): GuestSlot {
    return this.slots[0];
  }

  /** What the hypervisor set up, a line per piece (the CLI prints them). */
  describe(): string[] {
    const range = (base: number, size: number) => `0x${base.toString(16)}-0x${(base + size - 1).toString(16)}`;
    const ram = this.ram;
    return [
      `guest RAM ${range(ram.ipa, ram.size)} (${mebibytes(ram.size)} MiB) is host ${range(ram.physical, ram.size)}`,
      ...this.devices.map((d) => `${d.name} passed through at guest 0x${d.guestBase.toString(16)}, SPIs ${d.guestSpis[0]}-${d.guestSpis.at(-1)} (irq0-irq7, abort); ` +
        `stream ${d.host.description.iommu!.streamIds.join(',')} on ${d.domain.smmu.name} context bank ${d.domain.bank}, stage 2 of the guest's RAM`),
    ];
  }
}

/** The SMMU's context and global interrupts, taken by the hypervisor on the timeline as soon as they rise (not from
 * inside the SMMU's translation that raised them): its driver logs the fault and clears it. */
function handleFaults(machine: Machine, driver: ArmSmmuDriver): void {
  const device = driver.machineSmmu.device;
  const tee = (line: IrqLine, handle: () => void): IrqLine => ({
    setLevel: (high) => {
      line.setLevel(high);
      if (high) machine.timers.schedule(machine.now, handle);
    },
  });
  device.contextIrqs.forEach((line, i) => {
    device.contextIrqs[i] = tee(line, () => driver.contextFault(i));
  });
  device.globalIrq = tee(device.globalIrq, () => driver.globalFault());
}

const mebibytes = (bytes: number): number => bytes / 2 ** 20;

function check(status: number, message: string): void {
  if (status < 0) throw new PassthroughError(message);
}

function assignedDmacs(machine: Machine, names: readonly string[]): MachineDmac[] {
  if (names.length === 0) throw new PassthroughError('no device to pass through');
  const known = machine.dmacs.map((d) => d.description.name).join(', ');
  return names.map((name, i) => {
    if (names.indexOf(name) !== i) throw new PassthroughError(`${name} is assigned twice`);
    const dmac = machine.dmac(name);
    if (dmac === undefined) throw new PassthroughError(`${name}: no such DMA-330 on the platform (it has ${known || 'none'})`);
    if (dmac.description.iommu === undefined) throw new PassthroughError(`${name} is behind no SMMU: passed through, it could reach all of host memory`);
    return dmac;
  });
}

/** The VFIO type-1 container's domain on one SMMU: a stage-2 context with the guest's RAM mapped read-write. */
function stage2Domain(smmu: ArmSmmuDriver, ram: GuestSlot): SmmuDomain {
  if (!smmu.features.stage2) throw new PassthroughError(`${smmu.name} has no stage-2 translation`);
  const domain = smmu.allocDomain(true);
  if (typeof domain === 'number') throw new PassthroughError(`${smmu.name}: no free context bank`);
  check(smmu.map(domain, ram.ipa, ram.physical, ram.size, IOMMU_PROT.READ | IOMMU_PROT.WRITE | IOMMU_PROT.CACHE), `${smmu.name}: mapping the guest's RAM failed`);
  return domain;
}

// ---- The guest's devicetree ---------------------------------------------------------------------------------------

const encoder = new TextEncoder();
const strings = (...values: string[]): Uint8Array => encoder.encode(values.map((v) => `${v}\0`).join(''));
function cells(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v >>> 0));
  return bytes;
}
/** A number in `count` cells, most significant first. */
function numberCells(value: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.floor(value / 2 ** (32 * (count - 1 - i))) % 2 ** 32);
}

function isType(node: FdtNode, types: readonly string[]): boolean {
  return propStrings(node, 'compatible')?.some((c) => types.includes(c)) ?? false;
}

/** Host nodes the guest keeps: those without registers, and the devices the hypervisor emulates (GIC, PL011s). */
function keptForGuest(node: FdtNode): boolean {
  if (propStrings(node, 'device_type')?.[0] === 'memory') return false;
  if (node.parent?.name === 'cpus') return true;
  return getProperty(node, 'reg') === undefined || isType(node, GIC_TYPES) || isType(node, ['arm,pl011']);
}

function filtered(node: FdtNode, parent: FdtNode | undefined): FdtNode {
  const copy: FdtNode = { name: node.name, path: node.path, parent, properties: node.properties.map((p) => ({ ...p })), children: [] };
  copy.children = node.children.filter(keptForGuest).map((child) => filtered(child, copy));
  return copy;
}

function maxPhandle(node: FdtNode): number {
  return Math.max(propU32(node, 'phandle') ?? 0, ...node.children.map(maxPhandle));
}

/** The phandle of the guest's `apb_pclk`: the host node's clock when it has one, else a clock named apb_pclk, else
 * a 24 MHz fixed clock added to the guest's tree. */
function apbClock(host: Fdt, guestRoot: FdtNode, node: FdtNode): number {
  const names = propStrings(node, 'clock-names') ?? [];
  const clocks = propCells(node, 'clocks') ?? [];
  if (names.includes('apb_pclk') && clocks.length > 0) return clocks[names.indexOf('apb_pclk')];
  const find = (n: FdtNode): FdtNode | undefined =>
    (propStrings(n, 'clock-output-names')?.includes('apb_pclk') && propU32(n, 'phandle') !== undefined ? n : undefined) ?? n.children.map(find).find(Boolean);
  const named = find(host.root);
  if (named) return propU32(named, 'phandle')!;
  const phandle = maxPhandle(host.root) + 1;
  guestRoot.children.push({
    name: 'clock-apb-pclk', path: '/clock-apb-pclk', parent: guestRoot, children: [],
    properties: [
      { name: 'compatible', value: strings('fixed-clock') }, { name: '#clock-cells', value: cells(0) },
      { name: 'clock-frequency', value: cells(24_000_000) }, { name: 'clock-output-names', value: strings('apb_pclk') },
      { name: 'phandle', value: cells(phandle) },
    ],
  });
  return phandle;
}

function guestDevicetree(host: Fdt, ram: GuestSlot, dmacs: readonly MachineDmac[], bases: readonly number[], spis: readonly (readonly number[])[]): Uint8Array {
  const root = filtered(host.root, undefined);
  const ac = propU32(host.root, '#address-cells') ?? 2, sc = propU32(host.root, '#size-cells') ?? 1;
  const regOf = (base: number, size: number) => cells(...numberCells(base, ac), ...numberCells(size, sc));
  const model = root.properties.find((p) => p.name === 'model');
  if (model) model.value = strings(`${propStrings(host.root, 'model')![0]} (dmalab guest)`);
  const memory: FdtNode = {
    name: `memory@${ram.ipa.toString(16)}`, path: `/memory@${ram.ipa.toString(16)}`, parent: root, children: [],
    properties: [{ name: 'device_type', value: strings('memory') }, { name: 'reg', value: regOf(ram.ipa, ram.size) }],
  };
  root.children.unshift(memory);
  dmacs.forEach((dmac, i) => {
    const hostNode = findByPath(host.root, dmac.description.path);
    const name = `${hostNode.name.split('@')[0]}@${bases[i].toString(16)}`;
    const compatible = [...dmac.description.compatible.filter((c) => c !== 'arm,primecell'), 'arm,primecell'];
    const properties: FdtProperty[] = [
      { name: 'compatible', value: strings(...compatible) },
      { name: 'reg', value: regOf(bases[i], DEVICE_SLOT) },
      { name: 'interrupts', value: cells(...spis[i].flatMap((spi) => [0, spi, 4])) },
      { name: 'interrupt-names', value: strings(...GUEST_DMAC_OUTPUTS) },
      { name: 'clocks', value: cells(apbClock(host, root, hostNode)) },
      { name: 'clock-names', value: strings('apb_pclk') },
      ...hostNode.properties.filter((p) => !REWRITTEN.has(p.name)).map((p) => ({ ...p })),
    ];
    root.children.push({ name, path: `/${name}`, parent: root, properties, children: [] });
  });
  return writeFdt({ header: host.header, reservations: host.reservations, root });
}

function findByPath(root: FdtNode, path: string): FdtNode {
  const walk = (n: FdtNode): FdtNode | undefined => (n.path === path ? n : n.children.map(walk).find(Boolean));
  const node = walk(root);
  if (!node) throw new PassthroughError(`${path}: not in the devicetree`);
  return node;
}
