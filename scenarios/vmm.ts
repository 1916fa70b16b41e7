// The VFIO_PLATFORM guide's Test Case 2 host side: a virtual machine monitor (what QEMU with vfio-platform and KVM do for a passed
// through device) as a process of the host-kernel model. Guest RAM is the VMM's anonymous memory, mapped for the
// device with VFIO_IOMMU_MAP_DMA at IOVA = guest physical address; the device's register page is the VFIO region
// mmap placed in the guest's physical map (stage 2: guest accesses reach the device without a trap); each device
// interrupt is an eventfd trigger injected into the guest's virtual GIC (irqfd) and unmasked again through a second
// eventfd when the guest ends the interrupt (resamplefd). The VMM writes the guest's devicetree.
import { PAGE_SIZE } from '../emulator/bus/memory';
import { EventFd } from '../emulator/linux/files';
import type { DmacDescription } from '../emulator/machine/platform';
import { VFIO_DMA_MAP_FLAGS, VFIO_IRQ_SET_FLAGS } from '../emulator/vfio/uapi';
import { compileDtsText } from '../server/dts/compile-file';
import { toDtb } from '../server/dts/compiler';
import { formatDiagnostic } from '../server/dts/source';
import { ScenarioFailure, StepLog, VfioSession, allocate, armInterrupt, irqEventfd, mapDma } from './vfio-session';

/** The guest's physical address map, as QEMU's `virt` board lays it out. */
export interface GuestLayout {
  readonly ramBase: number;
  readonly ramSize: number;
  readonly gicDistributor: number;
  readonly gicCpuInterface: number;
  /** Where the passed-through device's registers appear (QEMU's platform bus). */
  readonly deviceBase: number;
  /** The first guest SPI number of the device's interrupts (QEMU's platform bus; interrupt ID = 32 + SPI). */
  readonly deviceSpiBase: number;
}

export const QEMU_VIRT_LAYOUT: GuestLayout = {
  ramBase: 0x40000000,
  ramSize: 8 << 20,
  gicDistributor: 0x08000000,
  gicCpuInterface: 0x08010000,
  deviceBase: 0x0c000000,
  deviceSpiBase: 112,
};

/** What the guest kernel sees of its machine: physical memory accesses and its interrupt controller. */
export interface GuestMachine {
  readonly layout: GuestLayout;
  readonly dtb: Uint8Array;
  read32(gpa: number): number;
  write32(gpa: number, value: number): void;
  read(gpa: number, length: number): Uint8Array;
  write(gpa: number, data: Uint8Array): void;
  /** Acknowledge: the interrupt ID of the highest-priority pending guest interrupt (lowest ID), or undefined. */
  acknowledge(): number | undefined;
  /** End of interrupt: a level-triggered line passed through is resampled (unmasked on the host). */
  endOfInterrupt(id: number): void;
  /** An interrupt is pending for the guest (what its WFI waits for while the host runs). */
  interruptPending(): boolean;
}

/** A guest access outside RAM and the device window: KVM exits and QEMU has nothing there. */
export class GuestAbort extends ScenarioFailure {}

interface PassedIrq {
  readonly index: number;
  /** The guest interrupt ID it is injected as. */
  readonly id: number;
  readonly resampleFd: number;
}

export class VirtualMachineMonitor implements GuestMachine {
  readonly dtb: Uint8Array;
  /** Where guest RAM is in the VMM process. */
  private readonly ram: number;
  private readonly irqs: PassedIrq[] = [];
  private readonly pending = new Set<number>();
  private readonly word = new Uint8Array(4);

  constructor(private readonly s: VfioSession, readonly layout: GuestLayout, private readonly host: DmacDescription, log: StepLog) {
    const { ramBase, ramSize } = layout;
    log.step(`VMM: allocate ${ramSize >> 20} MiB of guest RAM; VFIO_IOMMU_MAP_DMA it at IOVA = guest physical 0x${ramBase.toString(16)} (read/write)`);
    this.ram = allocate(s, ramSize, log);
    log.check('MAP_DMA guest RAM', mapDma(s, this.ram, ramBase, ramSize, VFIO_DMA_MAP_FLAGS.READ | VFIO_DMA_MAP_FLAGS.WRITE));
    log.note(`guest RAM 0x${ramBase.toString(16)}-0x${(ramBase + ramSize - 1).toString(16)} is VMM memory at 0x${this.ram.toString(16)}`);
    log.step(`VMM: the register region (mmap at 0x${s.registers.toString(16)}) becomes guest physical 0x${layout.deviceBase.toString(16)} (stage 2, no trap)`);
    for (let index = 0; index < s.irqCount; index++) this.passInterrupt(index, log);
    log.step('VMM: write the guest devicetree (memory, GIC, the passed-through DMA-330) and compile it');
    this.dtb = this.compileGuestDevicetree(log);
  }

  /** irqfd on the VFIO trigger eventfd and resamplefd on an ACTION_UNMASK eventfd, as KVM_IRQFD with KVM_IRQFD_FLAG_RESAMPLE. */
  private passInterrupt(index: number, log: StepLog): void {
    const id = 32 + this.layout.deviceSpiBase + index;
    const trigger = armInterrupt(this.s, index, log);
    const resampleFd = irqEventfd(this.s, index, VFIO_IRQ_SET_FLAGS.ACTION_UNMASK, log);
    const file = this.s.proc.file(trigger);
    if (!(file instanceof EventFd)) throw new ScenarioFailure(`fd ${trigger} is not an eventfd`);
    file.listeners.add(() => this.pending.add(id));
    this.irqs.push({ index, id, resampleFd });
    log.note(`IRQ index ${index}: trigger eventfd ${trigger} -> irqfd guest SPI ${id - 32} (ID ${id}); resample eventfd ${resampleFd} -> ACTION_UNMASK`);
  }

  /** The devicetree QEMU builds for a `virt` guest with one vfio-platform device: the host node's compatible and interrupt names, the guest's reg and interrupts. */
  guestDts(): string {
    const l = this.layout;
    const hex = (n: number) => `0x${n.toString(16)}`;
    const interrupts = this.irqs.map((i) => `<0 ${i.id - 32} 4>`).join(', ');
    const names = this.host.interrupts.map(({ output }) => `"${output === 'abort' ? 'abort' : `irq${output}`}"`).join(', ');
    return `/dts-v1/;

/ {
	model = "dmalab guest (QEMU virt layout) with a passed-through DMA-330";
	compatible = "linux,dummy-virt";
	#address-cells = <2>;
	#size-cells = <2>;
	interrupt-parent = <&gic>;

	chosen {
		bootargs = "console=ttyAMA0 dmatest.iterations=10";
	};

	memory@${l.ramBase.toString(16)} {
		device_type = "memory";
		reg = <0 ${hex(l.ramBase)} 0 ${hex(l.ramSize)}>;
	};

	gic: intc@${l.gicDistributor.toString(16)} {
		compatible = "arm,cortex-a15-gic";
		#interrupt-cells = <3>;
		interrupt-controller;
		reg = <0 ${hex(l.gicDistributor)} 0 0x10000>, <0 ${hex(l.gicCpuInterface)} 0 0x10000>;
	};

	platform-bus@c000000 {
		compatible = "qemu,platform", "simple-bus";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0 0 ${hex(l.deviceBase)} 0x2000000>;
		interrupt-parent = <&gic>;

		dma@0 {
			compatible = ${this.host.compatible.map((c) => `"${c}"`).join(', ')};
			reg = <0 ${hex(PAGE_SIZE)}>;
			interrupts = ${interrupts};
			interrupt-names = ${names};
			#dma-cells = <1>;
		};
	};
};
`;
  }

  private compileGuestDevicetree(log: StepLog): Uint8Array {
    const name = 'guest.dts';
    // The one compile path (preprocessor, then compiler); the VMM's devicetree includes no files: it has no file
    // system to read.
    const { preprocessor, result } = compileDtsText(name, this.guestDts(), { host: { readFile: () => undefined } });
    const errors = [...preprocessor, ...(result?.diagnostics ?? [])].filter((d) => d.severity === 'error');
    if (!result?.info || errors.length) throw new ScenarioFailure(`guest devicetree: ${errors.map((d) => formatDiagnostic(d, name)).join('; ')}`);
    const dtb = toDtb(result.info);
    log.note(`guest.dtb: ${dtb.length} bytes`);
    return dtb;
  }

  // ---- GuestMachine ----

  private ramAddress(gpa: number, length: number): number | undefined {
    const offset = gpa - this.layout.ramBase;
    return offset >= 0 && offset + length <= this.layout.ramSize ? this.ram + offset : undefined;
  }

  private deviceOffset(gpa: number): number | undefined {
    const offset = gpa - this.layout.deviceBase;
    return offset >= 0 && offset + 4 <= PAGE_SIZE && offset % 4 === 0 ? offset : undefined;
  }

  private abort(gpa: number, what: string): never {
    throw new GuestAbort(`guest ${what} at guest physical 0x${gpa.toString(16)}: no RAM or device there`);
  }

  read32(gpa: number): number {
    const device = this.deviceOffset(gpa);
    if (device !== undefined) return this.s.proc.read32(this.s.registers + device);
    const bytes = this.read(gpa, 4);
    return (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
  }

  write32(gpa: number, value: number): void {
    const device = this.deviceOffset(gpa);
    if (device !== undefined) return this.s.proc.write32(this.s.registers + device, value);
    for (let i = 0; i < 4; i++) this.word[i] = value >>> (8 * i);
    this.write(gpa, this.word);
  }

  read(gpa: number, length: number): Uint8Array {
    const at = this.ramAddress(gpa, length);
    const bytes = at === undefined ? undefined : this.s.proc.readMemory(at, length);
    return bytes ?? this.abort(gpa, `read of ${length} bytes`);
  }

  write(gpa: number, data: Uint8Array): void {
    const at = this.ramAddress(gpa, data.length);
    if (at === undefined || !this.s.proc.writeMemory(at, data)) this.abort(gpa, `write of ${data.length} bytes`);
  }

  acknowledge(): number | undefined {
    if (this.pending.size === 0) return undefined;
    const id = Math.min(...this.pending);
    this.pending.delete(id);
    return id;
  }

  endOfInterrupt(id: number): void {
    const irq = this.irqs.find((i) => i.id === id);
    if (!irq) return;
    const one = new Uint8Array(8);
    one[0] = 1;
    this.s.proc.write(irq.resampleFd, one);
  }

  interruptPending(): boolean {
    return this.pending.size > 0;
  }
}
