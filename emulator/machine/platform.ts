// What a machine is made of, independent of where the description came from (a devicetree, or code): memory, the
// interrupt controller, SMMUs and DMA-330s with their interrupts and stream IDs. The machine builder consumes it.
import type { GicConfig } from '../gic/gic';
import type { Pl330Config } from '../pl330/config';
import type { SmmuConfig } from '../smmu/config';

/** A shared peripheral interrupt as a devicetree's GIC specifier gives it (SPI n = GIC ID 32 + n). */
export interface SpiSpec {
  readonly spi: number;
  /** Level-sensitive (devicetree flags 4 or 8) rather than edge (1 or 2). */
  readonly level: boolean;
}

export interface MemoryRange {
  readonly base: number;
  readonly size: number;
}

export interface GicDescription {
  readonly path: string;
  readonly distributor: number;
  readonly distributorSize: number;
  readonly cpuInterface: number;
  readonly cpuInterfaceSize: number;
  readonly config: GicConfig;
}

export interface SmmuDescription {
  readonly path: string;
  /** Linux device name: `<unit address>.<node name>`, e.g. `2b400000.iommu`. */
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly config: SmmuConfig;
  readonly globalInterrupts: readonly SpiSpec[];
  readonly contextInterrupts: readonly SpiSpec[];
}

/** Which DMA-330 output an interrupt specifier carries: event interrupt irq[n], or irq_abort. */
export type Pl330Output = number | 'abort';

export interface DmacDescription {
  readonly path: string;
  /** Linux device name, e.g. `2c0a0000.dma`. */
  readonly name: string;
  readonly base: number;
  readonly size: number;
  /** `arm,primecell` in the compatible puts the device on the AMBA bus; otherwise it is a platform device. */
  readonly bus: 'platform' | 'amba';
  readonly compatible: readonly string[];
  readonly interrupts: readonly { readonly spec: SpiSpec; readonly output: Pl330Output }[];
  readonly config: Pl330Config;
  /** The SMMU (index into smmus) and stream IDs of its transactions, when it sits behind one. */
  readonly iommu?: { readonly smmu: number; readonly streamIds: readonly number[] };
  /** The DMAC's clock in Hz (the node's `clock-frequency`); undefined: DEFAULT_DMAC_FREQUENCY. */
  readonly frequency?: number;
}

/** A CPU node: its MPIDR affinity (`reg`). */
export interface CpuDescription {
  readonly path: string;
  readonly compatible: readonly string[];
  readonly mpidr: number;
}

/** The `arm,armv7-timer` node: the GIC interrupt IDs (16-31) of its outputs, and CNTFRQ when the node fixes it. */
export interface TimerDescription {
  readonly path: string;
  readonly physicalPpi: number;
  readonly virtualPpi: number;
  readonly frequency?: number;
}

/** An `arm,pl011` UART. */
export interface UartDescription {
  readonly path: string;
  readonly name: string;
  readonly base: number;
  readonly size: number;
  readonly interrupt?: SpiSpec;
}

/** The `arm,psci-0.2` (or later) node: how the kernel calls the firmware. */
export interface PsciDescription {
  readonly path: string;
  readonly method: 'smc' | 'hvc';
}

export interface PlatformDescription {
  readonly model: string;
  readonly memory: readonly MemoryRange[];
  readonly gic: GicDescription;
  readonly smmus: readonly SmmuDescription[];
  readonly dmacs: readonly DmacDescription[];
  /** The CPUs' clock in Hz (the first cpu node's `clock-frequency`); undefined: DEFAULT_CPU_FREQUENCY. */
  readonly cpuFrequency?: number;
  /** What a CPU running a kernel needs (absent from platforms described only for the DMA scenarios). */
  readonly cpus?: readonly CpuDescription[];
  readonly timer?: TimerDescription;
  readonly uarts?: readonly UartDescription[];
  readonly psci?: PsciDescription;
}
