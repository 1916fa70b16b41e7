// A machine assembled from a platform description: RAM, the GIC-400, SMMUs and DMA-330s on one bus, every DMAC's
// master port behind its SMMU with its stream ID, every interrupt output wired to its GIC SPI. Running the machine
// runs the DMACs; a CPU (or the host-kernel model) drives the registers.
import { Bus, MmioDevice, Snapshottable } from '../bus/bus';
import type { MemorySnapshot } from '../bus/memory';
import { Gic, GicState } from '../gic/gic';
import type { IrqLine as GicInput } from '../gic/irq';
import { Pl330, Pl330Snapshot } from '../pl330/pl330';
import { Smmu, SmmuState } from '../smmu/smmu';
import { Pl011, type Pl011State } from '../uart/pl011';
import type { DmacDescription, PlatformDescription, SmmuDescription, UartDescription } from './platform';

export interface MachineSmmu {
  readonly description: SmmuDescription;
  readonly device: Smmu;
}

export interface MachineDmac {
  readonly description: DmacDescription;
  readonly device: Pl330;
  readonly smmu?: MachineSmmu;
}

export interface MachineRunOptions {
  /** Ticks per DMAC before the others get their turn. */
  readonly slice?: number;
  readonly maxCycles?: number;
  readonly until?: () => boolean;
}

export interface MachineState {
  readonly memory: MemorySnapshot;
  readonly gic: GicState;
  readonly smmus: readonly SmmuState[];
  readonly dmacs: readonly Pl330Snapshot[];
  readonly uarts: readonly Pl011State[];
}

const DEFAULT_SLICE = 64;
const DEFAULT_BUDGET = 1_000_000;

export class Machine implements Snapshottable<MachineState> {
  readonly bus = new Bus();
  readonly gic: Gic;
  readonly smmus: readonly MachineSmmu[];
  readonly dmacs: readonly MachineDmac[];
  readonly uarts: readonly { readonly description: UartDescription; readonly device: Pl011 }[];

  constructor(readonly platform: PlatformDescription) {
    const bus = this.bus;
    for (const [i, m] of platform.memory.entries()) bus.addRam(m.base, m.size, `memory${platform.memory.length > 1 ? i : ''}`);
    this.gic = new Gic(platform.gic.config);
    const place = (path: string, base: number, size: number, device: MmioDevice) => {
      try {
        bus.addDevice(base, size, device);
      } catch (error) {
        throw new Error(`${path}: ${(error as Error).message}`);
      }
    };
    place(platform.gic.path, platform.gic.distributor, platform.gic.distributorSize, this.gic);
    place(platform.gic.path, platform.gic.cpuInterface, platform.gic.cpuInterfaceSize, this.gic.cpuInterfaces[0]);
    const spi = (path: string, n: number): GicInput => {
      try {
        return this.gic.spi(n);
      } catch (error) {
        throw new Error(`${path}: ${(error as Error).message}`);
      }
    };
    this.smmus = platform.smmus.map((d) => {
      const device = new Smmu(d.config, bus, d.name);
      place(d.path, d.base, d.size, device);
      if (d.globalInterrupts.length) {
        const lines = d.globalInterrupts.map((s) => spi(d.path, s.spi));
        device.globalIrq = { setLevel: (high) => lines.forEach((l) => l.setLevel(high)) };
      }
      d.contextInterrupts.forEach((s, i) => {
        if (i < device.contextIrqs.length) device.contextIrqs[i] = spi(d.path, s.spi);
      });
      return { description: d, device };
    });
    this.uarts = (platform.uarts ?? []).map((d) => {
      const device = new Pl011(d.name);
      place(d.path, d.base, d.size, device);
      if (d.interrupt) device.irq = spi(d.path, d.interrupt.spi);
      return { description: d, device };
    });
    this.dmacs = platform.dmacs.map((d) => {
      const smmu = d.iommu ? this.smmus[d.iommu.smmu] : undefined;
      const port = bus.port({ name: d.name, streamId: d.iommu?.streamIds[0] ?? 0 });
      if (smmu) port.translator = smmu.device;
      const device = new Pl330(d.config, port, { name: d.name });
      place(d.path, d.base, d.size, device);
      for (const { spec, output } of d.interrupts) {
        const line = spi(d.path, spec.spi);
        const source = output === 'abort' ? device.irqAbort : device.irq[output];
        if (!source) throw new Error(`${d.path}: the DMA-330 has no interrupt output irq[${output}] (${d.config.events} events configured)`);
        source.connect((level) => line.setLevel(level));
      }
      return { description: d, device, smmu };
    });
  }

  /** The DMAC or SMMU named like Linux names it (`2c0a0000.dma`). */
  dmac(name: string): MachineDmac | undefined {
    return this.dmacs.find((d) => d.description.name === name);
  }

  /** Runs the DMACs round-robin until all are idle, `until` holds, or the budget is spent. */
  run(options: MachineRunOptions = {}): 'idle' | 'condition' | 'budget' {
    const slice = options.slice ?? DEFAULT_SLICE;
    let budget = options.maxCycles ?? DEFAULT_BUDGET;
    const until = options.until;
    if (until?.()) return 'condition';
    while (budget > 0) {
      let busy = false;
      for (const d of this.dmacs) {
        const r = d.device.run({ maxCycles: Math.min(slice, budget), until });
        budget -= r.cycles;
        if (r.stop === 'condition') return 'condition';
        if (r.stop === 'budget') busy = true;
      }
      if (until?.()) return 'condition';
      if (!busy) return 'idle';
    }
    return 'budget';
  }

  snapshot(): MachineState {
    return {
      memory: this.bus.memory.snapshot(),
      gic: this.gic.snapshot(),
      smmus: this.smmus.map((s) => s.device.snapshot()),
      dmacs: this.dmacs.map((d) => d.device.snapshot()),
      uarts: this.uarts.map((u) => u.device.snapshot()),
    };
  }

  restore(state: MachineState): void {
    this.bus.memory.restore(state.memory);
    this.gic.restore(state.gic);
    this.smmus.forEach((s, i) => s.device.restore(state.smmus[i]));
    this.dmacs.forEach((d, i) => d.device.restore(state.dmacs[i]));
    this.uarts.forEach((u, i) => u.device.restore(state.uarts[i]));
  }
}
