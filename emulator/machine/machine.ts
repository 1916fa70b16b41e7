// A machine assembled from a platform description: RAM, the GIC-400, SMMUs and DMA-330s on one bus, every DMAC's
// master port behind its SMMU with its stream ID, every interrupt output wired to its GIC SPI. The machine is one
// timeline (clock.ts): each DMAC runs at its own clock rate, and a CPU running in quanta brings the DMACs to its
// instant before it reads or writes their registers, so polling sees the hardware's progress.
import { Bus, MmioDevice, Snapshottable } from '../bus/bus';
import type { DeviceAccessObserver } from '../cpu/memory';
import type { MemorySnapshot } from '../bus/memory';
import { Gic, GicState } from '../gic/gic';
import type { IrqLine as GicInput } from '../gic/irq';
import { Pl330, Pl330Snapshot } from '../pl330/pl330';
import { Smmu, SmmuState } from '../smmu/smmu';
import { Pl011, type Pl011State } from '../uart/pl011';
import { DEFAULT_CPU_FREQUENCY, DEFAULT_DMAC_FREQUENCY, TimerQueue, periodOf, type Timeline, type WaitResult } from './clock';
import type { DmacDescription, PlatformDescription, SmmuDescription, UartDescription } from './platform';

export interface MachineSmmu {
  readonly description: SmmuDescription;
  readonly device: Smmu;
}

export interface MachineDmac {
  readonly description: DmacDescription;
  readonly device: Pl330;
  readonly smmu?: MachineSmmu;
  /** Picoseconds per DMAC clock cycle. */
  readonly period: number;
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
  readonly now: number;
  readonly dmacCycles: Float64Array;
  readonly timers: ReturnType<TimerQueue['snapshot']>;
}

const DEFAULT_SLICE = 64;
const DEFAULT_BUDGET = 1_000_000;
/** Cycles each busy DMAC runs before the next gets its turn, when several are busy at once. */
const INTERLEAVE_CYCLES = 64;
/** How far a wait lets the devices run before it looks at the waiter's condition again (0.1 ms): a wake-up that
 * no interrupt announces (a DMA write to memory a CPU polls) is seen within this. */
const WAIT_SLICE = 100_000_000;

export class Machine implements Snapshottable<MachineState>, Timeline {
  readonly bus = new Bus();
  readonly gic: Gic;
  readonly smmus: readonly MachineSmmu[];
  readonly dmacs: readonly MachineDmac[];
  readonly uarts: readonly { readonly description: UartDescription; readonly device: Pl011 }[];
  /** The instant every device has reached, in picoseconds since power-on. */
  now = 0;
  /** The host-kernel model's accesses to device registers (emulator/host: its drivers' and its processes' mapped
   * regions; it runs as TypeScript, not on an emulated CPU): what a trace shows on a CPU lane. None: no cost. */
  hostDeviceAccess: DeviceAccessObserver | undefined;
  readonly cpuPeriod: number;
  readonly timers = new TimerQueue();
  /** Each DMAC's clock cycles up to `now` (busy or idle): where its next cycle falls on the timeline. */
  private readonly dmacCycles: Float64Array;
  /** The timeline moved while every DMAC was quiescent and `dmacCycles` were left where they were: each idled up to
   * `now` (catchUp), which costs nothing per quantum while no DMAC has work. */
  private dmacsBehind = false;
  /** The DMAC inside its run() (-1: none) and its timeline cycles minus its own count then (it counts only the
   * cycles it ran): where the cycles of the events it reports fall. */
  private runningDmac = -1;
  private runningOffset = 0;
  private waiting = false;
  /** Where the devices are to stop (a reverse step's landing before a DMAC's tick), and whether they stopped there. */
  private freeze: { readonly dmac: number; readonly cycle: number; readonly frozen: () => void } | undefined;
  private frozen = false;

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
    place(platform.gic.path, platform.gic.cpuInterface, platform.gic.cpuInterfaceSize, this.gic.bankedCpuInterface);
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
      const port = bus.port({ name: d.name, streamId: d.iommu?.streamIds[0] ?? 0, privilegedFetches: true });
      if (smmu) port.translator = smmu.device;
      const device = new Pl330(d.config, port, { name: d.name });
      place(d.path, d.base, d.size, device);
      // A CPU's access to the registers first brings the DMAC to the CPU's instant (see syncBeforeAccess).
      for (const { spec, output } of d.interrupts) {
        const line = spi(d.path, spec.spi);
        const source = output === 'abort' ? device.irqAbort : device.irq[output];
        if (!source) throw new Error(`${d.path}: the DMA-330 has no interrupt output irq[${output}] (${d.config.events} events configured)`);
        source.connect((level) => line.setLevel(level));
      }
      return { description: d, device, smmu, period: periodOf(d.frequency ?? DEFAULT_DMAC_FREQUENCY) };
    });
    this.cpuPeriod = periodOf(platform.cpuFrequency ?? DEFAULT_CPU_FREQUENCY);
    this.dmacCycles = new Float64Array(this.dmacs.length);
  }

  /** The DMAC or SMMU named like Linux names it (`2c0a0000.dma`). */
  dmac(name: string): MachineDmac | undefined {
    return this.dmacs.find((d) => d.description.name === name);
  }

  /** Runs the DMACs round-robin until all are idle, `until` holds, or the budget is spent (in cycles of the busiest
   * DMAC); the timeline moves with them. For hosts that drive the machine without a CPU (the kernel models). */
  run(options: MachineRunOptions = {}): 'idle' | 'condition' | 'budget' {
    let budget = options.maxCycles ?? DEFAULT_BUDGET;
    const until = options.until;
    if (until?.()) return 'condition';
    this.catchUp();
    while (budget > 0) {
      // A DMAC busy alone needs no interleaving: it gets the whole budget (its bulk-copy fast path needs room).
      let busy = 0;
      for (const d of this.dmacs) if (d.device.runnable) busy++;
      const slice = busy === 1 && until === undefined ? budget : Math.min(options.slice ?? DEFAULT_SLICE, budget);
      let stillBusy = false;
      let ran = 0;
      for (const [i, d] of this.dmacs.entries()) {
        const r = this.runDmac(i, slice, until);
        this.dmacCycles[i] += r.cycles;
        ran = Math.max(ran, r.cycles * d.period);
        if (r.stop === 'condition') {
          this.settle(this.now + ran);
          return 'condition';
        }
        if (r.stop === 'budget') stillBusy = true;
      }
      budget -= slice;
      this.settle(this.now + ran);
      if (until?.()) return 'condition';
      if (!stillBusy) return 'idle';
    }
    return 'budget';
  }

  private runDmac(i: number, maxCycles: number, until?: () => boolean): ReturnType<Pl330['run']> {
    const freeze = this.freeze;
    if (freeze === undefined || freeze.dmac !== i) return this.runDevice(i, maxCycles, until);
    // Up to the tick where the devices are to stop: there the DMAC yields, and the timeline stays.
    const device = this.dmacs[i].device;
    const left = freeze.cycle - device.cycle;
    const cycles = left > 0 ? this.runDevice(i, Math.min(maxCycles, left), until) : { stop: 'idle' as const, cycles: 0 };
    // An idle DMAC at that cycle waits there (for a DMAGO, say): the tick is its next one that runs.
    if (device.cycle < freeze.cycle || !device.runnable) return cycles;
    this.frozen = true;
    freeze.frozen();
    return { stop: 'yield', cycles: cycles.cycles };
  }

  private runDevice(i: number, maxCycles: number, until?: () => boolean): ReturnType<Pl330['run']> {
    const device = this.dmacs[i].device;
    this.runningDmac = i;
    this.runningOffset = this.dmacCycles[i] - device.cycle;
    try {
      return device.run({ maxCycles, until });
    } finally {
      this.runningDmac = -1;
    }
  }

  /**
   * Stops the devices before the tick `cycle` of DMAC `dmac` runs (its own count): from then on the timeline stays where that
   * DMAC stopped, whoever asks it to advance, until `thaw`; `frozen` is called once there (to halt the CPUs).
   */
  freezeAt(dmac: number, cycle: number, frozen: () => void): void {
    this.freeze = { dmac, cycle, frozen };
    this.frozen = false;
  }

  /** The devices run again (after freezeAt). */
  thaw(): void {
    this.freeze = undefined;
    this.frozen = false;
  }

  /** Whether the devices stopped where freezeAt asked. */
  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Where cycle `cycle` of DMAC i's own count (an event's) falls on the timeline, in picoseconds. */
  dmacTime(i: number, cycle: number): number {
    this.catchUp();
    const offset = this.runningDmac === i ? this.runningOffset : this.dmacCycles[i] - this.dmacs[i].device.cycle;
    return (cycle + offset) * this.dmacs[i].period;
  }

  /** After DMACs ran outside advanceTo: the timeline is where the furthest went; the others idled up to it. */
  private settle(time: number): void {
    if (time > this.now) this.now = time;
    this.dmacs.forEach((d, i) => {
      this.dmacCycles[i] = Math.max(this.dmacCycles[i], Math.floor(this.now / d.period));
    });
    this.dmacsBehind = false;
  }

  /** The quiescent DMACs left behind (dmacsBehind) idle up to now, as running them there would have counted. */
  private catchUp(): void {
    if (this.dmacsBehind) this.settle(this.now);
  }

  /** Whether no DMAC will do anything until someone acts on it: running them only passes time. */
  private dmacsQuiescent(): boolean {
    const dmacs = this.dmacs;
    for (let i = 0; i < dmacs.length; i++) if (!dmacs[i].device.quiescent) return false;
    return true;
  }

  advanceTo(time: number): void {
    while (time > this.now && !this.frozen) {
      const stop = Math.min(time, this.timers.next);
      const reached = this.runDevicesTo(stop);
      if (this.frozen) {
        this.now = reached;
        return;
      }
      this.now = stop;
      this.timers.fireDue(stop);
    }
  }

  waitUntil(ready: () => boolean, deadline: number, limit = Infinity): WaitResult {
    if (ready()) return 'ready';
    const end = Math.min(deadline, limit);
    this.waiting = true;
    try {
      for (;;) {
        if (this.frozen) return 'limit';
        if (this.now >= end) return this.now >= deadline ? 'deadline' : 'limit';
        if (this.dmacs.every((d) => d.device.idleReport().idle) && this.timers.next === Infinity) {
          if (deadline === Infinity) return 'idle';
          this.advanceTo(end);
          if (end < deadline) return 'limit';
          return ready() ? 'ready' : 'deadline';
        }
        const stop = Math.min(end, this.timers.next, this.now + WAIT_SLICE);
        const reached = this.runDevicesTo(stop);
        this.now = reached;
        if (this.frozen) return 'limit';
        this.timers.fireDue(reached);
        if (ready()) return 'ready';
      }
    } finally {
      this.waiting = false;
      for (const d of this.dmacs) d.device.yieldRequested = false;
    }
  }

  /** Something that may wake a waiting CPU happened (an interrupt reached it): a wait resumes at this instant. */
  wake(): void {
    if (!this.waiting) return;
    for (const d of this.dmacs) d.device.yieldRequested = true;
  }

  /** Runs every DMAC up to `time`; returns the instant reached (earlier when a wait was woken on the way). */
  private runDevicesTo(time: number): number {
    if (this.dmacsQuiescent()) {
      this.dmacsBehind = true;
      return time;
    }
    this.catchUp();
    const dmacs = this.dmacs;
    const cycles = this.dmacCycles;
    const owedOf = (i: number) => Math.floor(time / dmacs[i].period) - cycles[i];
    let busy = 0;
    for (const d of dmacs) if (d.device.runnable) busy++;
    if (busy <= 1) {
      // One DMAC at a time needs no interleaving: it runs its whole share in one call (the bulk-copy fast path).
      for (let i = 0; i < dmacs.length; i++) {
        const owed = owedOf(i);
        if (owed <= 0) continue;
        const r = this.runDmac(i, owed);
        if (r.stop === 'yield') return this.stopAll(i, r.cycles);
        cycles[i] += r.stop === 'idle' ? owed : r.cycles;
      }
      return time;
    }
    for (let more = true; more; ) {
      more = false;
      for (let i = 0; i < dmacs.length; i++) {
        const owed = owedOf(i);
        if (owed <= 0) continue;
        const r = this.runDmac(i, Math.min(owed, INTERLEAVE_CYCLES));
        if (r.stop === 'yield') return this.stopAll(i, r.cycles);
        cycles[i] += r.stop === 'idle' ? Math.min(owed, INTERLEAVE_CYCLES) : r.cycles;
        if (owedOf(i) > 0) more = true;
      }
    }
    return time;
  }

  /** DMAC i was stopped by a wake-up after `ran` cycles: the timeline stops there. Idle DMACs are set to that
   * instant; a busy one that already ran its slice past it keeps its lead (at most INTERLEAVE_CYCLES). */
  private stopAll(i: number, ran: number): number {
    this.dmacCycles[i] += ran;
    const reached = Math.max(this.now, this.dmacCycles[i] * this.dmacs[i].period);
    this.dmacs.forEach((d, j) => {
      const at = Math.floor(reached / d.period);
      this.dmacCycles[j] = d.device.runnable ? Math.max(this.dmacCycles[j], at) : at;
    });
    return reached;
  }

  snapshot(): MachineState {
    this.catchUp();
    return {
      memory: this.bus.memory.snapshot(),
      gic: this.gic.snapshot(),
      smmus: this.smmus.map((s) => s.device.snapshot()),
      dmacs: this.dmacs.map((d) => d.device.snapshot()),
      uarts: this.uarts.map((u) => u.device.snapshot()),
      now: this.now,
      dmacCycles: this.dmacCycles.slice(),
      timers: this.timers.snapshot(),
    };
  }

  restore(state: MachineState): void {
    this.bus.memory.restore(state.memory);
    this.gic.restore(state.gic);
    this.smmus.forEach((s, i) => s.device.restore(state.smmus[i]));
    this.dmacs.forEach((d, i) => d.device.restore(state.dmacs[i]));
    this.uarts.forEach((u, i) => u.device.restore(state.uarts[i]));
    this.now = state.now;
    this.dmacCycles.set(state.dmacCycles);
    this.dmacsBehind = false;
    this.timers.restore(state.timers);
  }
}
