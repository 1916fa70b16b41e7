// A GIC-400 (GICv2) distributor and CPU interfaces: enable, pending, active, priority, targets and trigger
// configuration per interrupt, acknowledge (GICC_IAR) and end of interrupt (GICC_EOIR), and an IRQ output per CPU.
// SGIs and PPIs (IDs 0-31) are banked per CPU; SPI n is ID 32 + n, wired from device lines with `spi(n)`. The
// banked registers answer the CPU making the access: the machine names it in `accessingCpu` before the access reaches
// the GIC (the bus carries no master to a device), and the CPU interface frame on the bus is that CPU's interface. An
// SGI is pending per source CPU (GICC_IAR reports the source in CPUID).
// Security extensions are not modelled: every access is treated as the (single) non-secure view of group 0/1.
import type { MmioDevice, Snapshottable } from '../bus/bus';
import { RegisterDef, RegisterMap, fieldValue, fieldsOf, place } from '../bus/registers';
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
  {
    name: 'GICD_CTLR', offset: 0x000, access: 'rw', reset: 0, description: 'Distributor control',
    fields: [
      { name: 'EnableGrp0', shift: 0, bits: 1, description: 'forward group 0 interrupts' },
      { name: 'EnableGrp1', shift: 1, bits: 1, description: 'forward group 1 interrupts' },
    ],
  },
  {
    name: 'GICD_TYPER', offset: 0x004, access: 'ro', reset: 0, description: 'Interrupt controller type',
    fields: [
      { name: 'ITLinesNumber', shift: 0, bits: 5, description: 'interrupt IDs implemented: 32 x (N + 1)' },
      { name: 'CPUNumber', shift: 5, bits: 3, description: 'CPU interfaces - 1' },
    ],
  },
  { name: 'GICD_IIDR', offset: 0x008, access: 'ro', reset: 0x0200143b, description: 'Implementer identification (GIC-400)' },
  { name: 'GICD_IGROUPR{n}', offset: 0x080, count: 32, access: 'rw', reset: 0, description: 'Interrupt group (a bit per interrupt)' },
  { name: 'GICD_ISENABLER{n}', offset: 0x100, count: 32, access: 'rw', reset: 0, description: 'Interrupt set-enable (a bit per interrupt)' },
  { name: 'GICD_ICENABLER{n}', offset: 0x180, count: 32, access: 'rw', reset: 0, description: 'Interrupt clear-enable (a bit per interrupt)' },
  { name: 'GICD_ISPENDR{n}', offset: 0x200, count: 32, access: 'rw', reset: 0, description: 'Interrupt set-pending (a bit per interrupt)' },
  { name: 'GICD_ICPENDR{n}', offset: 0x280, count: 32, access: 'rw', reset: 0, description: 'Interrupt clear-pending (a bit per interrupt)' },
  { name: 'GICD_ISACTIVER{n}', offset: 0x300, count: 32, access: 'rw', reset: 0, description: 'Interrupt set-active (a bit per interrupt)' },
  { name: 'GICD_ICACTIVER{n}', offset: 0x380, count: 32, access: 'rw', reset: 0, description: 'Interrupt clear-active (a bit per interrupt)' },
  { name: 'GICD_IPRIORITYR{n}', offset: 0x400, count: 255, access: 'rw', reset: 0, description: 'Interrupt priority (a byte per interrupt)' },
  { name: 'GICD_ITARGETSR{n}', offset: 0x800, count: 255, access: 'rw', reset: 0, description: 'Interrupt CPU targets (a byte per interrupt)' },
  { name: 'GICD_ICFGR{n}', offset: 0xc00, count: 64, access: 'rw', reset: 0, description: 'Interrupt configuration: bit 2n+1 = edge-triggered (two bits per interrupt)' },
  {
    name: 'GICD_SGIR', offset: 0xf00, access: 'wo', reset: 0, description: 'Software generated interrupt',
    fields: [
      { name: 'SGIINTID', shift: 0, bits: 4, description: 'the SGI raised' },
      { name: 'CPUTargetList', shift: 16, bits: 8, description: 'CPUs it goes to (filter 0)' },
      { name: 'TargetListFilter', shift: 24, bits: 2, description: 'the targets', values: { 0: 'the list', 1: 'every other CPU', 2: 'the requesting CPU', 3: 'reserved (no SGI)' } },
    ],
  },
  { name: 'GICD_CPENDSGIR{n}', offset: 0xf10, count: 4, access: 'rw', reset: 0, description: 'SGI clear-pending: a byte per SGI, a bit per source CPU (the accessing CPU\'s SGIs)' },
  { name: 'GICD_SPENDSGIR{n}', offset: 0xf20, count: 4, access: 'rw', reset: 0, description: 'SGI set-pending: a byte per SGI, a bit per source CPU (the accessing CPU\'s SGIs)' },
  { name: 'GICD_PIDR2', offset: 0xfe8, access: 'ro', reset: 0x2b, description: 'Peripheral ID 2: architecture GICv2' },
];

export const GICC_REGISTERS: readonly RegisterDef[] = [
  { name: 'GICC_CTLR', offset: 0x00, access: 'rw', reset: 0, description: 'CPU interface control', fields: [{ name: 'Enable', shift: 0, bits: 1, description: 'signal interrupts to the CPU' }] },
  { name: 'GICC_PMR', offset: 0x04, access: 'rw', reset: 0, description: 'Priority mask: only higher priorities (lower values) signal', fields: [{ name: 'Priority', shift: 0, bits: 8, description: 'the mask level' }] },
  { name: 'GICC_BPR', offset: 0x08, access: 'rw', reset: 2, description: 'Binary point', fields: [{ name: 'Binary_Point', shift: 0, bits: 3, description: 'group priority / subpriority split' }] },
  {
    name: 'GICC_IAR', offset: 0x0c, access: 'ro', reset: SPURIOUS, description: 'Interrupt acknowledge',
    fields: [{ name: 'INTID', shift: 0, bits: 10, description: 'the interrupt acknowledged (1023: none)' }, { name: 'CPUID', shift: 10, bits: 3, description: 'the CPU that raised an SGI' }],
  },
  { name: 'GICC_EOIR', offset: 0x10, access: 'wo', reset: 0, description: 'End of interrupt', fields: [{ name: 'EOIINTID', shift: 0, bits: 10, description: 'the interrupt that ends' }] },
  { name: 'GICC_RPR', offset: 0x14, access: 'ro', reset: 0xff, description: 'Running priority' },
  { name: 'GICC_HPPIR', offset: 0x18, access: 'ro', reset: SPURIOUS, description: 'Highest priority pending interrupt' },
  { name: 'GICC_IIDR', offset: 0xfc, access: 'ro', reset: 0x0202143b, description: 'CPU interface identification (GIC-400)' },
];

const GICD_MAP = new RegisterMap(GICD_REGISTERS, GICD_SIZE);
const GICC_MAP = new RegisterMap(GICC_REGISTERS, GICC_SIZE);
const CTLR = fieldsOf(GICD_MAP, 'GICD_CTLR', ['EnableGrp0', 'EnableGrp1']);
const TYPER = fieldsOf(GICD_MAP, 'GICD_TYPER', ['ITLinesNumber', 'CPUNumber']);
const SGIR = fieldsOf(GICD_MAP, 'GICD_SGIR', ['SGIINTID', 'CPUTargetList', 'TargetListFilter']);
const GICC_ENABLE = fieldsOf(GICC_MAP, 'GICC_CTLR', ['Enable']).Enable;
const GICC_PRIORITY = fieldsOf(GICC_MAP, 'GICC_PMR', ['Priority']).Priority;
const GICC_BINARY_POINT = fieldsOf(GICC_MAP, 'GICC_BPR', ['Binary_Point']).Binary_Point;
const EOI_INTID = fieldsOf(GICC_MAP, 'GICC_EOIR', ['EOIINTID']).EOIINTID;
const IAR = fieldsOf(GICC_MAP, 'GICC_IAR', ['INTID', 'CPUID']);
const SGIS = 16;
/** Bits per interrupt in the configuration registers; the edge bit is the upper one. */
const ICFGR_BITS = 2;

export interface GicState {
  readonly arrays: readonly Uint8Array[];
  /** Per target CPU and SGI, the source CPUs it is pending from (a bit each). */
  readonly sgiSources: Uint8Array;
  readonly sourceLevels: readonly number[];
  readonly distributorEnabled: boolean;
  readonly cpu: readonly { ctlr: number; pmr: number; bpr: number; activeStack: number[] }[];
}

/** One CPU's interface as an MMIO device (a GICC frame): `cpu`'s, or the accessing CPU's when banked. */
class GicCpuInterface implements MmioDevice {
  readonly name: string;
  constructor(private readonly gic: Gic, readonly cpu: number | 'banked') {
    this.name = cpu === 'banked' ? 'gicc' : `gicc${cpu}`;
  }
  read(offset: number, _size: 1 | 2 | 4): number {
    return this.gic.cpuRead(this.cpu === 'banked' ? this.gic.accessingCpu : this.cpu, offset);
  }
  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    this.gic.cpuWrite(this.cpu === 'banked' ? this.gic.accessingCpu : this.cpu, offset, value);
  }
}

export class Gic implements MmioDevice, Snapshottable<GicState> {
  readonly name = 'gic-400';
  readonly distributorMap = GICD_MAP;
  readonly cpuMap = GICC_MAP;
  /** IRQ output of each CPU interface (to the CPU's IRQ input). */
  readonly cpuIrq: IrqLine[];
  /** Each CPU's interface frame (for tests and debuggers that name the CPU). */
  readonly cpuInterfaces: readonly GicCpuInterface[];
  /** The frame on the bus: every CPU sees its own interface at the same address. */
  readonly bankedCpuInterface: GicCpuInterface;
  /** The CPU whose access the banked registers answer (set by the machine before a CPU's access reaches the GIC). */
  accessingCpu = 0;

  // Per-interrupt state, indexed by slot(): IDs 0-31 banked per CPU, then the SPIs.
  private enabled: Uint8Array;
  private latched: Uint8Array; // edge or software pending (an SGI: from at least one source)
  private sgiSources: Uint8Array;
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
    this.sgiSources = new Uint8Array(config.cpus * SGIS);
    this.cpuInterfaces = Array.from({ length: config.cpus }, (_, i) => new GicCpuInterface(this, i));
    this.bankedCpuInterface = new GicCpuInterface(this, 'banked');
    this.reset();
  }

  reset(): void {
    for (const a of [this.enabled, this.latched, this.active, this.priority, this.targets, this.group]) a.fill(0);
    this.edge.fill(0);
    this.sgiSources.fill(0);
    // SGIs are edge-triggered, always enabled on GIC-400.
    for (let c = 0; c < this.config.cpus; c++) for (let id = 0; id < SGIS; id++) {
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
    // Nothing latched and no line high (a driver programming the distributor, say): no interrupt to look for.
    if (!this.latched.includes(1) && !this.level.includes(1)) return [best, bestPriority];
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
      const signal = this.distributorEnabled && fieldValue(cpu.ctlr, GICC_ENABLE) !== 0 && id !== SPURIOUS && prio < cpu.pmr && prio < this.runningPriority(c);
      if (signal !== this.irqLevels[c]) {
        this.irqLevels[c] = signal;
        this.cpuIrq[c].setLevel(signal);
      }
    }
  }

  // ---- Distributor MMIO (the banked registers are the accessing CPU's; distributorRead/Write name the CPU) ----

  read(offset: number, size: 1 | 2 | 4): number {
    return this.distributorRead(this.accessingCpu, offset, size);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.distributorWrite(this.accessingCpu, offset, size, value);
  }

  /** Bit-per-interrupt registers by name: [array, set (true) / clear (false) / plain (undefined)]. */
  private bitRegister(name: string): [Uint8Array, boolean | undefined] | undefined {
    switch (name) {
      case 'GICD_IGROUPR{n}': return [this.group, undefined];
      case 'GICD_ISENABLER{n}': return [this.enabled, true];
      case 'GICD_ICENABLER{n}': return [this.enabled, false];
      case 'GICD_ISPENDR{n}': return [this.latched, true];
      case 'GICD_ICPENDR{n}': return [this.latched, false];
      case 'GICD_ISACTIVER{n}': return [this.active, true];
      case 'GICD_ICACTIVER{n}': return [this.active, false];
    }
    return undefined;
  }

  distributorRead(cpu: number, offset: number, size: 1 | 2 | 4): number {
    const n = this.config.interrupts;
    const reg = this.distributorMap.at(offset & ~3);
    if (!reg) return 0;
    const bits = this.bitRegister(reg.def.name);
    if (bits) {
      const [array] = bits;
      const first = reg.index * 32;
      let value = 0;
      for (let i = 0; i < 32 && first + i < n; i++) {
        const s = this.slot(cpu, first + i);
        const on = array === this.latched ? this.isPending(s) : array[s] !== 0;
        if (on) value |= 1 << i;
      }
      return value >>> 0;
    }
    switch (reg.def.name) {
      case 'GICD_CTLR': return place(CTLR.EnableGrp0, this.distributorEnabled ? 1 : 0);
      case 'GICD_TYPER': return (place(TYPER.ITLinesNumber, n / 32 - 1) | place(TYPER.CPUNumber, this.config.cpus - 1)) >>> 0;
      case 'GICD_IPRIORITYR{n}':
      case 'GICD_ITARGETSR{n}':
        return this.byteRegisters(cpu, reg.def.name === 'GICD_ITARGETSR{n}', reg.index * 4 + (offset & 3), size, undefined);
      case 'GICD_CPENDSGIR{n}':
      case 'GICD_SPENDSGIR{n}':
        return this.sgiPendingBytes(cpu, reg.index * 4 + (offset & 3), size, undefined, false);
      case 'GICD_ICFGR{n}': {
        const per = 32 / ICFGR_BITS;
        const first = reg.index * per;
        let value = 0;
        for (let i = 0; i < per && first + i < n; i++) if (this.edge[this.slot(cpu, first + i)]) value |= 2 << (ICFGR_BITS * i);
        return value >>> 0;
      }
    }
    return reg.def.access === 'ro' ? reg.def.reset : 0;
  }

  /** IPRIORITYR / ITARGETSR: a byte per interrupt from interrupt `first`; value undefined reads. */
  private byteRegisters(cpu: number, targets: boolean, first: number, size: 1 | 2 | 4, value: number | undefined): number {
    const array = targets ? this.targets : this.priority;
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
    const reg = this.distributorMap.at(offset & ~3);
    const bits = reg && this.bitRegister(reg.def.name);
    if (bits) {
      const [array, set] = bits;
      const first = reg.index * 32;
      for (let i = 0; i < 32 && first + i < n; i++) {
        const bit = (value >>> i) & 1;
        const s = this.slot(cpu, first + i);
        // SGIs are always enabled, and their pending state is set and cleared per source (GICD_[CS]PENDSGIR).
        const fixed = first + i < SGIS && (array === this.enabled || array === this.latched);
        if (set === undefined) array[s] = bit;
        else if (bit && !fixed) array[s] = set ? 1 : 0;
      }
    } else {
      switch (reg?.def.name) {
        case 'GICD_CTLR': this.distributorEnabled = fieldValue(value, CTLR.EnableGrp0) + fieldValue(value, CTLR.EnableGrp1) !== 0; break;
        case 'GICD_IPRIORITYR{n}':
        case 'GICD_ITARGETSR{n}':
          this.byteRegisters(cpu, reg.def.name === 'GICD_ITARGETSR{n}', reg.index * 4 + (offset & 3), size, value);
          break;
        case 'GICD_ICFGR{n}': {
          const per = 32 / ICFGR_BITS;
          const first = reg.index * per;
          // SGIs and PPIs (0-15 here) keep their fixed configuration.
          for (let i = 0; i < per && first + i < n; i++) if (first + i >= 16) this.edge[this.slot(cpu, first + i)] = (value >>> (ICFGR_BITS * i + 1)) & 1;
          break;
        }
        case 'GICD_SGIR': this.softwareInterrupt(cpu, value); break;
        case 'GICD_CPENDSGIR{n}':
        case 'GICD_SPENDSGIR{n}':
          this.sgiPendingBytes(cpu, reg.index * 4 + (offset & 3), size, value, reg.def.name === 'GICD_SPENDSGIR{n}');
          break;
      }
    }
    this.update();
  }

  /** GICD_SGIR: SGI `id` becomes pending from `cpu` at each target. */
  private softwareInterrupt(cpu: number, value: number): void {
    const id = fieldValue(value, SGIR.SGIINTID);
    const filter = fieldValue(value, SGIR.TargetListFilter);
    const list = fieldValue(value, SGIR.CPUTargetList);
    for (let c = 0; c < this.config.cpus; c++) {
      const hit = filter === 0 ? (list & (1 << c)) !== 0 : filter === 1 ? c !== cpu : filter === 2 && c === cpu;
      if (hit) this.setSgiSources(c, id, this.sgiSources[c * SGIS + id] | (1 << cpu));
    }
  }

  private setSgiSources(cpu: number, id: number, sources: number): void {
    this.sgiSources[cpu * SGIS + id] = sources;
    this.latched[this.slot(cpu, id)] = sources !== 0 ? 1 : 0;
  }

  /** GICD_[CS]PENDSGIR: a byte per SGI from SGI `first`, a bit per source; value undefined reads. */
  private sgiPendingBytes(cpu: number, first: number, size: 1 | 2 | 4, value: number | undefined, set: boolean): number {
    let result = 0;
    for (let i = 0; i < size; i++) {
      const id = first + i;
      const sources = this.sgiSources[cpu * SGIS + id];
      if (value === undefined) result |= sources << (8 * i);
      else {
        const bits = (value >>> (8 * i)) & ((1 << this.config.cpus) - 1);
        this.setSgiSources(cpu, id, set ? sources | bits : sources & ~bits);
      }
    }
    return result >>> 0;
  }

  // ---- CPU interface ----

  cpuRead(cpuIndex: number, offset: number): number {
    const cpu = this.cpu[cpuIndex];
    const reg = this.cpuMap.at(offset);
    switch (reg?.def.name) {
      case 'GICC_CTLR': return cpu.ctlr;
      case 'GICC_PMR': return cpu.pmr;
      case 'GICC_BPR': return cpu.bpr;
      case 'GICC_IAR': return this.acknowledge(cpuIndex);
      case 'GICC_RPR': return Math.min(this.runningPriority(cpuIndex), 0xff);
      case 'GICC_HPPIR': return this.highestPending(cpuIndex)[0];
    }
    return reg && reg.def.access === 'ro' ? reg.def.reset : 0;
  }

  cpuWrite(cpuIndex: number, offset: number, value: number): void {
    const cpu = this.cpu[cpuIndex];
    switch (this.cpuMap.at(offset)?.def.name) {
      case 'GICC_CTLR': cpu.ctlr = place(GICC_ENABLE, fieldValue(value, GICC_ENABLE)); break;
      case 'GICC_PMR': cpu.pmr = fieldValue(value, GICC_PRIORITY) & this.priorityMask; break;
      case 'GICC_BPR': cpu.bpr = fieldValue(value, GICC_BINARY_POINT); break;
      case 'GICC_EOIR': this.endOfInterrupt(cpuIndex, fieldValue(value, EOI_INTID)); break;
    }
    this.update();
  }

  /**
   * GICC_IAR: the highest-priority pending interrupt becomes active (pending cleared for edge/software); an SGI
   * stays pending from its other sources and reports the lowest-numbered source in CPUID.
   */
  private acknowledge(cpuIndex: number): number {
    const cpu = this.cpu[cpuIndex];
    const [id, prio] = this.highestPending(cpuIndex);
    if (id === SPURIOUS || !this.distributorEnabled || !fieldValue(cpu.ctlr, GICC_ENABLE) || prio >= cpu.pmr || prio >= this.runningPriority(cpuIndex)) return SPURIOUS;
    const s = this.slot(cpuIndex, id);
    this.active[s] = 1;
    let source = 0;
    if (id < SGIS) {
      const sources = this.sgiSources[cpuIndex * SGIS + id];
      source = 31 - Math.clz32(sources & -sources);
      this.setSgiSources(cpuIndex, id, sources & ~(1 << source));
    } else this.latched[s] = 0;
    cpu.activeStack.push(id);
    this.update();
    return place(IAR.INTID, id) | place(IAR.CPUID, source);
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
      sgiSources: this.sgiSources.slice(),
      sourceLevels: [...this.sourceLevel],
      distributorEnabled: this.distributorEnabled,
      cpu: this.cpu.map((c) => ({ ...c, activeStack: [...c.activeStack] })),
    };
  }

  restore(state: GicState): void {
    [this.enabled, this.latched, this.level, this.active, this.priority, this.targets, this.edge, this.group].forEach((a, i) => a.set(state.arrays[i]));
    this.sgiSources.set(state.sgiSources);
    this.sourceLevel = [...state.sourceLevels];
    this.distributorEnabled = state.distributorEnabled;
    this.cpu = state.cpu.map((c) => ({ ...c, activeStack: [...c.activeStack] }));
    this.update();
  }
}
