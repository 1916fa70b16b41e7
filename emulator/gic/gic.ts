// A GIC-400 (GICv2) distributor and CPU interfaces: enable, pending, active, priority, targets and trigger
// configuration per interrupt, acknowledge (GICC_IAR) and end of interrupt (GICC_EOIR), and an IRQ output per CPU.
// SGIs and PPIs (IDs 0-31) are banked per CPU; SPI n is ID 32 + n, wired from device lines with `spi(n)`.
// Security extensions are not modelled: every access is treated as the (single) non-secure view of group 0/1.
import type { MmioDevice, Snapshottable } from '../bus/bus';
import { RegisterDef, RegisterMap } from '../bus/registers';
import { IrqLine, UNCONNECTED } from './irq';

export interface GicConfig {
  /** Interrupt IDs implemented, a multiple of 32 from 64 to 1020 (GICD_TYPER.ITLinesNumber). */
  readonly interrupts: number;
  /** CPU interfaces, 1..8. */
  readonly cpus: number;
  /** Priority bits implemented (GIC-400: 5, so priorities step by 8). */
  readonly priorityBits: number;
}

export const GIC400_CONFIG: GicConfig = { interrupts: 256, cpus: 4, priorityBits: 5 };

/** The GIC-400's memory map: distributor and CPU interface offsets from the block's base. */
export const GICD_SIZE = 0x1000;
export const GICC_SIZE = 0x2000;

const SPURIOUS = 1023;
const IDLE_PRIORITY = 0x100;

export const GICD_REGISTERS: readonly RegisterDef[] = [
  { name: 'GICD_CTLR', offset: 0x000, access: 'rw', reset: 0, description: 'Distributor control: EnableGrp0[0], EnableGrp1[1]' },
  { name: 'GICD_TYPER', offset: 0x004, access: 'ro', reset: 0, description: 'Interrupt controller type: ITLinesNumber[4:0], CPUNumber[7:5]' },
  { name: 'GICD_IIDR', offset: 0x008, access: 'ro', reset: 0x0200143b, description: 'Implementer identification (GIC-400)' },
  { name: 'GICD_IGROUPR{n}', offset: 0x080, count: 32, access: 'rw', reset: 0, description: 'Interrupt group' },
  { name: 'GICD_ISENABLER{n}', offset: 0x100, count: 32, access: 'rw', reset: 0, description: 'Interrupt set-enable' },
  { name: 'GICD_ICENABLER{n}', offset: 0x180, count: 32, access: 'rw', reset: 0, description: 'Interrupt clear-enable' },
  { name: 'GICD_ISPENDR{n}', offset: 0x200, count: 32, access: 'rw', reset: 0, description: 'Interrupt set-pending' },
  { name: 'GICD_ICPENDR{n}', offset: 0x280, count: 32, access: 'rw', reset: 0, description: 'Interrupt clear-pending' },
  { name: 'GICD_ISACTIVER{n}', offset: 0x300, count: 32, access: 'rw', reset: 0, description: 'Interrupt set-active' },
  { name: 'GICD_ICACTIVER{n}', offset: 0x380, count: 32, access: 'rw', reset: 0, description: 'Interrupt clear-active' },
  { name: 'GICD_IPRIORITYR{n}', offset: 0x400, count: 255, access: 'rw', reset: 0, description: 'Interrupt priority (a byte per interrupt)' },
  { name: 'GICD_ITARGETSR{n}', offset: 0x800, count: 255, access: 'rw', reset: 0, description: 'Interrupt CPU targets (a byte per interrupt)' },
  { name: 'GICD_ICFGR{n}', offset: 0xc00, count: 64, access: 'rw', reset: 0, description: 'Interrupt configuration: bit 2n+1 = edge-triggered' },
  { name: 'GICD_SGIR', offset: 0xf00, access: 'wo', reset: 0, description: 'Software generated interrupt' },
  { name: 'GICD_PIDR2', offset: 0xfe8, access: 'ro', reset: 0x2b, description: 'Peripheral ID 2: architecture GICv2' },
];

export const GICC_REGISTERS: readonly RegisterDef[] = [
  { name: 'GICC_CTLR', offset: 0x00, access: 'rw', reset: 0, description: 'CPU interface control: Enable[0]' },
  { name: 'GICC_PMR', offset: 0x04, access: 'rw', reset: 0, description: 'Priority mask: only higher priorities (lower values) signal' },
  { name: 'GICC_BPR', offset: 0x08, access: 'rw', reset: 2, description: 'Binary point' },
  { name: 'GICC_IAR', offset: 0x0c, access: 'ro', reset: SPURIOUS, description: 'Interrupt acknowledge: CPUID[12:10] INTID[9:0]' },
  { name: 'GICC_EOIR', offset: 0x10, access: 'wo', reset: 0, description: 'End of interrupt' },
  { name: 'GICC_RPR', offset: 0x14, access: 'ro', reset: 0xff, description: 'Running priority' },
  { name: 'GICC_HPPIR', offset: 0x18, access: 'ro', reset: SPURIOUS, description: 'Highest priority pending interrupt' },
  { name: 'GICC_IIDR', offset: 0xfc, access: 'ro', reset: 0x0202143b, description: 'CPU interface identification (GIC-400)' },
];

export interface GicState {
  readonly arrays: readonly Uint8Array[];
  readonly sourceLevels: readonly number[];
  readonly distributorEnabled: boolean;
  readonly cpu: readonly { ctlr: number; pmr: number; bpr: number; activeStack: number[] }[];
}

/** One CPU interface as an MMIO device (the GICC frame). */
class GicCpuInterface implements MmioDevice {
  readonly name: string;
  constructor(private readonly gic: Gic, readonly cpu: number) {
    this.name = `gicc${cpu}`;
  }
  read(offset: number, _size: 1 | 2 | 4): number {
    return this.gic.cpuRead(this.cpu, offset);
  }
  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    this.gic.cpuWrite(this.cpu, offset, value);
  }
}

export class Gic implements MmioDevice, Snapshottable<GicState> {
  readonly name = 'gic-400';
  readonly distributorMap = new RegisterMap(GICD_REGISTERS, GICD_SIZE);
  readonly cpuMap = new RegisterMap(GICC_REGISTERS, GICC_SIZE);
  /** IRQ output of each CPU interface (to the CPU's IRQ input). */
  readonly cpuIrq: IrqLine[];
  /** The CPU interface frames; every CPU sees its own at the same address (banked by the accessing CPU). */
  readonly cpuInterfaces: readonly GicCpuInterface[];

  // Per-interrupt state, indexed by slot(): IDs 0-31 banked per CPU, then the SPIs.
  private enabled: Uint8Array;
  private latched: Uint8Array; // edge or software pending
  private level: Uint8Array; // line level (level-sensitive pending)
  /** Each device output wired to an SPI: its slot and its level (the SPI's level is their OR). */
  private readonly sourceSlot: number[] = [];
  private sourceLevel: number[] = [];
  private active: Uint8Array;
  private priority: Uint8Array;
  private targets: Uint8Array; // SPIs only matter
  private edge: Uint8Array;
  private group: Uint8Array;
  private distributorEnabled = false;
  private cpu: { ctlr: number; pmr: number; bpr: number; activeStack: number[] }[];
  private irqLevels: boolean[];
  private readonly priorityMask: number;

  constructor(readonly config: GicConfig = GIC400_CONFIG) {
    if (config.interrupts % 32 !== 0 || config.interrupts < 64 || config.interrupts > 1024) throw new Error(`GIC: ${config.interrupts} interrupts is not a multiple of 32 from 64 to 1024`);
    if (config.cpus < 1 || config.cpus > 8) throw new Error(`GIC: ${config.cpus} CPUs (1..8)`);
    const slots = config.cpus * 32 + config.interrupts - 32;
    [this.enabled, this.latched, this.level, this.active, this.priority, this.targets, this.edge, this.group] = Array.from({ length: 8 }, () => new Uint8Array(slots));
    this.priorityMask = (0xff << (8 - config.priorityBits)) & 0xff;
    this.cpu = Array.from({ length: config.cpus }, () => ({ ctlr: 0, pmr: 0, bpr: 2, activeStack: [] as number[] }));
    this.cpuIrq = new Array(config.cpus).fill(UNCONNECTED);
    this.irqLevels = new Array(config.cpus).fill(false);
    this.cpuInterfaces = Array.from({ length: config.cpus }, (_, i) => new GicCpuInterface(this, i));
    this.reset();
  }

  reset(): void {
    for (const a of [this.enabled, this.latched, this.active, this.priority, this.targets, this.group]) a.fill(0);
    this.edge.fill(0);
    // SGIs are edge-triggered, always enabled on GIC-400.
    for (let c = 0; c < this.config.cpus; c++) for (let id = 0; id < 16; id++) {
      this.edge[c * 32 + id] = 1;
      this.enabled[c * 32 + id] = 1;
    }
    this.distributorEnabled = false;
    for (const c of this.cpu) Object.assign(c, { ctlr: 0, pmr: 0, bpr: 2, activeStack: [] });
    this.update();
  }

  private slot(cpu: number, id: number): number {
    return id < 32 ? cpu * 32 + id : this.config.cpus * 32 + id - 32;
  }

  /**
   * A new input wire to SPI n (GIC interrupt ID 32 + n), for a device output. Several outputs wired to one SPI are
   * ORed: the line is high while any of them is.
   */
  spi(n: number): IrqLine {
    if (!(n >= 0 && n < this.config.interrupts - 32)) throw new Error(`GIC: SPI ${n} does not exist (this GIC has ${this.config.interrupts - 32} SPIs)`);
    const slot = this.slot(0, 32 + n);
    const source = this.sourceSlot.length;
    this.sourceSlot.push(slot);
    this.sourceLevel.push(0);
    return {
      setLevel: (high) => {
        const v = high ? 1 : 0;
        if (this.sourceLevel[source] === v) return;
        this.sourceLevel[source] = v;
        let any = 0;
        for (let i = 0; i < this.sourceSlot.length && !any; i++) if (this.sourceSlot[i] === slot) any = this.sourceLevel[i];
        const was = this.level[slot];
        this.level[slot] = any;
        if (any && !was && this.edge[slot]) this.latched[slot] = 1;
        this.update();
      },
    };
  }

  /** The input of private peripheral interrupt `id` (16-31) of one CPU: the generic timer's outputs. */
  ppi(cpu: number, id: number): IrqLine {
    if (!(id >= 16 && id < 32)) throw new Error(`GIC: interrupt ${id} is not a PPI (16-31)`);
    if (!(cpu >= 0 && cpu < this.config.cpus)) throw new Error(`GIC: CPU ${cpu} does not exist (this GIC has ${this.config.cpus} CPU interfaces)`);
    const slot = this.slot(cpu, id);
    return {
      setLevel: (high) => {
        const v = high ? 1 : 0;
        if (this.level[slot] === v) return;
        this.level[slot] = v;
        if (v && this.edge[slot]) this.latched[slot] = 1;
        this.update();
      },
    };
  }

  /** Pending as the architecture defines it: latched, or a level-sensitive line held high. */
  private isPending(slot: number): boolean {
    return this.latched[slot] !== 0 || (this.edge[slot] === 0 && this.level[slot] !== 0);
  }

  /** Highest-priority pending, enabled, inactive interrupt for a CPU (SPURIOUS if none) and its priority. */
  private highestPending(cpu: number): [number, number] {
    let best = SPURIOUS;
    let bestPriority = IDLE_PRIORITY;
    for (let id = 0; id < this.config.interrupts; id++) {
      const s = this.slot(cpu, id);
      if (!this.enabled[s] || this.active[s] || !this.isPending(s)) continue;
      if (id >= 32 && (this.targets[s] & (1 << cpu)) === 0) continue;
      if (this.priority[s] < bestPriority) {
        best = id;
        bestPriority = this.priority[s];
      }
    }
    return [best, bestPriority];
  }

  private runningPriority(cpu: number): number {
    const stack = this.cpu[cpu].activeStack;
    return stack.length ? this.priority[this.slot(cpu, stack[stack.length - 1])] : IDLE_PRIORITY;
  }

  private update(): void {
    for (let c = 0; c < this.config.cpus; c++) {
      const cpu = this.cpu[c];
      const [id, prio] = this.highestPending(c);
      const signal = this.distributorEnabled && (cpu.ctlr & 1) !== 0 && id !== SPURIOUS && prio < cpu.pmr && prio < this.runningPriority(c);
      if (signal !== this.irqLevels[c]) {
        this.irqLevels[c] = signal;
        this.cpuIrq[c].setLevel(signal);
      }
    }
  }

  // ---- Distributor MMIO (accesses are from CPU 0 for the banked registers; cpuDistributor* picks another) ----

  read(offset: number, size: 1 | 2 | 4): number {
    return this.distributorRead(0, offset, size);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.distributorWrite(0, offset, size, value);
  }

  /** Bit-per-interrupt registers: [array, set (true) / clear (false) / plain (undefined)]. */
  private bitRegister(base: number): [Uint8Array, boolean | undefined] | undefined {
    switch (base) {
      case 0x080: return [this.group, undefined];
      case 0x100: return [this.enabled, true];
      case 0x180: return [this.enabled, false];
      case 0x200: return [this.latched, true];
      case 0x280: return [this.latched, false];
      case 0x300: return [this.active, true];
      case 0x380: return [this.active, false];
    }
    return undefined;
  }

  distributorRead(cpu: number, offset: number, size: 1 | 2 | 4): number {
    const n = this.config.interrupts;
    if (offset === 0x000) return this.distributorEnabled ? 1 : 0;
    if (offset === 0x004) return (n / 32 - 1) | ((this.config.cpus - 1) << 5);
    if (offset >= 0x080 && offset < 0x400) {
      const [array] = this.bitRegister(offset & 0xf80)!;
      const first = ((offset & 0x7f) >>> 2) * 32;
      let value = 0;
      for (let i = 0; i < 32 && first + i < n; i++) {
        const s = this.slot(cpu, first + i);
        const on = array === this.latched ? this.isPending(s) : array[s] !== 0;
        if (on) value |= 1 << i;
      }
      return value >>> 0;
    }
    if (offset >= 0x400 && offset < 0xc00) return this.byteRegisters(cpu, offset, size, undefined);
    if (offset >= 0xc00 && offset < 0xd00) {
      const first = ((offset - 0xc00) >>> 2) * 16;
      let value = 0;
      for (let i = 0; i < 16 && first + i < n; i++) if (this.edge[this.slot(cpu, first + i)]) value |= 2 << (2 * i);
      return value >>> 0;
    }
    const inst = this.distributorMap.at(offset);
    return inst && inst.def.access === 'ro' ? inst.def.reset : 0;
  }

  /** IPRIORITYR / ITARGETSR: a byte per interrupt; value undefined reads. */
  private byteRegisters(cpu: number, offset: number, size: 1 | 2 | 4, value: number | undefined): number {
    const targets = offset >= 0x800;
    const array = targets ? this.targets : this.priority;
    const first = offset - (targets ? 0x800 : 0x400);
    let result = 0;
    for (let i = 0; i < size; i++) {
      const id = first + i;
      if (id >= this.config.interrupts) continue;
      const s = this.slot(cpu, id);
      if (value === undefined) result |= (targets && id < 32 ? 1 << cpu : array[s]) << (8 * i);
      else if (!targets) array[s] = (value >>> (8 * i)) & this.priorityMask;
      else if (id >= 32) array[s] = (value >>> (8 * i)) & ((1 << this.config.cpus) - 1);
    }
    return result >>> 0;
  }

  distributorWrite(cpu: number, offset: number, size: 1 | 2 | 4, value: number): void {
    const n = this.config.interrupts;
    if (offset === 0x000) this.distributorEnabled = (value & 3) !== 0;
    else if (offset >= 0x080 && offset < 0x400) {
      const [array, set] = this.bitRegister(offset & 0xf80)!;
      const first = ((offset & 0x7f) >>> 2) * 32;
      for (let i = 0; i < 32 && first + i < n; i++) {
        const bit = (value >>> i) & 1;
        const s = this.slot(cpu, first + i);
        if (set === undefined) array[s] = bit;
        else if (bit && !(array === this.enabled && first + i < 16)) array[s] = set ? 1 : 0;
      }
    } else if (offset >= 0x400 && offset < 0xc00) this.byteRegisters(cpu, offset, size, value);
    else if (offset >= 0xc00 && offset < 0xd00) {
      const first = ((offset - 0xc00) >>> 2) * 16;
      for (let i = 0; i < 16 && first + i < n; i++) if (first + i >= 16) this.edge[this.slot(cpu, first + i)] = (value >>> (2 * i + 1)) & 1;
    } else if (offset === 0xf00) this.softwareInterrupt(cpu, value);
    this.update();
  }

  private softwareInterrupt(cpu: number, value: number): void {
    const id = value & 0xf;
    const filter = (value >>> 24) & 3;
    const list = (value >>> 16) & 0xff;
    for (let c = 0; c < this.config.cpus; c++) {
      const hit = filter === 0 ? (list & (1 << c)) !== 0 : filter === 1 ? c !== cpu : c === cpu;
      if (hit) this.latched[this.slot(c, id)] = 1;
    }
  }

  // ---- CPU interface ----

  cpuRead(cpuIndex: number, offset: number): number {
    const cpu = this.cpu[cpuIndex];
    switch (offset) {
      case 0x00: return cpu.ctlr;
      case 0x04: return cpu.pmr;
      case 0x08: return cpu.bpr;
      case 0x0c: return this.acknowledge(cpuIndex);
      case 0x14: return Math.min(this.runningPriority(cpuIndex), 0xff);
      case 0x18: return this.highestPending(cpuIndex)[0];
    }
    const inst = this.cpuMap.at(offset);
    return inst && inst.def.access === 'ro' ? inst.def.reset : 0;
  }

  cpuWrite(cpuIndex: number, offset: number, value: number): void {
    const cpu = this.cpu[cpuIndex];
    switch (offset) {
      case 0x00: cpu.ctlr = value & 1; break;
      case 0x04: cpu.pmr = value & this.priorityMask; break;
      case 0x08: cpu.bpr = value & 7; break;
      case 0x10: this.endOfInterrupt(cpuIndex, value & 0x3ff); break;
    }
    this.update();
  }

  /** GICC_IAR: the highest-priority pending interrupt becomes active (pending cleared for edge/software). */
  private acknowledge(cpuIndex: number): number {
    const cpu = this.cpu[cpuIndex];
    const [id, prio] = this.highestPending(cpuIndex);
    if (id === SPURIOUS || !this.distributorEnabled || !(cpu.ctlr & 1) || prio >= cpu.pmr || prio >= this.runningPriority(cpuIndex)) return SPURIOUS;
    const s = this.slot(cpuIndex, id);
    this.active[s] = 1;
    this.latched[s] = 0;
    cpu.activeStack.push(id);
    this.update();
    return id;
  }

  private endOfInterrupt(cpuIndex: number, id: number): void {
    const stack = this.cpu[cpuIndex].activeStack;
    const at = stack.lastIndexOf(id);
    if (at < 0) return; // not active: the architecture makes this UNPREDICTABLE; ignored
    stack.splice(at, 1);
    this.active[this.slot(cpuIndex, id)] = 0;
  }

  /** For the debugger and tests: an interrupt's state as the distributor sees it from a CPU. */
  state(id: number, cpu = 0): { enabled: boolean; pending: boolean; active: boolean; priority: number; targets: number; edge: boolean } {
    const s = this.slot(cpu, id);
    return { enabled: !!this.enabled[s], pending: this.isPending(s), active: !!this.active[s], priority: this.priority[s], targets: this.targets[s], edge: !!this.edge[s] };
  }

  snapshot(): GicState {
    return {
      arrays: [this.enabled, this.latched, this.level, this.active, this.priority, this.targets, this.edge, this.group].map((a) => a.slice()),
      sourceLevels: [...this.sourceLevel],
      distributorEnabled: this.distributorEnabled,
      cpu: this.cpu.map((c) => ({ ...c, activeStack: [...c.activeStack] })),
    };
  }

  restore(state: GicState): void {
    [this.enabled, this.latched, this.level, this.active, this.priority, this.targets, this.edge, this.group].forEach((a, i) => a.set(state.arrays[i]));
    this.sourceLevel = [...state.sourceLevels];
    this.distributorEnabled = state.distributorEnabled;
    this.cpu = state.cpu.map((c) => ({ ...c, activeStack: [...c.activeStack] }));
    this.update();
  }
}
