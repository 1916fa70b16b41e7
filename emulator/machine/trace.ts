// The DMA timeline of a machine in the Chrome trace-event format (../trace/trace-events.ts): the CPU's accesses to
// device registers on a lane per CPU thread, each DMAC's manager and channels (../pl330/trace-events.ts), and each
// SMMU's context banks with their walks (slices) and TLB hits (instants); a flow from each DMA access that needed a
// walk to the walk. Observers are attached only between attach() and its detach: a machine nobody traces pays nothing.
import type { Machine } from './machine';
import type { Pl330 } from '../pl330/pl330';
import { Pl330TraceRecorder } from '../pl330/trace-events';
import { PL330_REGISTER_MAP } from '../pl330/registers';
import type { Smmu } from '../smmu/smmu';
import { TraceBuilder, type RankedSlice, type TraceDelta, type TraceDocument } from '../trace/trace-events';

/** Processes in the viewer: the CPU first (the driver), then the DMACs, then the SMMUs. */
export const CPU_PID = 1;
export const DMAC_PID_BASE = 10;
export const SMMU_PID_BASE = 100;

export interface TracedDmacPart {
  readonly device: Pl330;
  readonly name: string;
  /** Picoseconds per cycle. */
  readonly period: number;
  /** Where a cycle of its own count falls on the timeline (ps). */
  readonly timeOf: (cycle: number) => number;
}

export interface TracedSmmuPart {
  readonly device: Smmu;
  readonly name: string;
}

/** A device register a CPU accessed: its physical address, the device's name and the register's, or the bus region. */
export interface DeviceRegister {
  readonly address: number;
  readonly device: string;
  readonly register: string;
  /** Index of the DMAC or the SMMU, when the register is one's. */
  readonly dmac?: number;
  readonly smmu?: number;
}

export class MachineTraceRecorder {
  readonly builder: TraceBuilder;
  private readonly dmacs: Pl330TraceRecorder[];
  private detachers: (() => void)[] = [];

  /** `limit`: the most events recorded (TraceBuilder). */
  constructor(private readonly dmacParts: readonly TracedDmacPart[], private readonly smmuParts: readonly TracedSmmuPart[], limit = Infinity) {
    this.builder = new TraceBuilder(limit);
    this.dmacs = dmacParts.map((d, i) => new Pl330TraceRecorder(d.device, { name: d.name, periodPs: d.period, pid: DMAC_PID_BASE + i, timeOf: d.timeOf, builder: this.builder }));
    smmuParts.forEach((s, j) => this.builder.process(SMMU_PID_BASE + j, `SMMU ${s.name}`));
  }

  get attached(): boolean {
    return this.detachers.length > 0;
  }

  attach(): void {
    if (this.attached) return;
    this.dmacParts.forEach((d, i) => this.detachers.push(d.device.observe(this.dmacs[i].observer)));
    this.smmuParts.forEach((s, j) => {
      s.device.onTranslate = (bank, master, address, write, walked, physical) => this.translated(j, bank, master.name, address, write, walked, physical);
      this.detachers.push(() => (s.device.onTranslate = undefined));
    });
  }

  detach(): void {
    for (const off of this.detachers) off();
    this.detachers = [];
  }

  private translated(j: number, bank: number, master: string, address: number, write: boolean, walked: boolean, physical: number): void {
    const d = this.dmacParts.findIndex((p) => p.device.port.master.name === master);
    const at = d < 0 ? this.builder.latest : this.dmacParts[d].timeOf(this.dmacParts[d].device.cycle);
    const pid = SMMU_PID_BASE + j;
    this.builder.lane(pid, bank, `context bank ${bank}`);
    const args = { master, iova: hex(address), access: write ? 'write' : 'read', physical: physical < 0 ? 'fault' : hex(physical) };
    if (!walked) {
      this.builder.instant(pid, bank, `TLB hit ${hex(address)}`, at, args, 'tlb');
      return;
    }
    this.builder.slice(pid, bank, `walk ${hex(address)} → ${physical < 0 ? 'fault' : hex(physical)}`, 'walk', at, at, args, 0);
    if (d < 0) return;
    const flow = this.builder.newFlow();
    this.builder.flowEnd(flow, 'SMMU walk', pid, bank, at);
    this.dmacs[d].walked(flow, at);
  }

  /** A CPU thread's access to a device register at `at` (ps), by the instruction at `pc` (called from `callers`;
   * undefined: no instruction, a model of the host). */
  cpuAccess(thread: { readonly tid: number; readonly name: string }, at: number, pc: number | undefined, target: DeviceRegister, write: boolean, size: number, value: number, callers?: readonly number[]): void {
    this.builder.process(CPU_PID, 'CPU');
    this.builder.lane(CPU_PID, thread.tid, thread.name);
    const name = `${write ? 'write' : 'read'} ${target.device} ${target.register}`;
    const args: Record<string, unknown> = { ...(pc === undefined ? {} : { pc: hex(pc) }), address: hex(target.address), device: target.device, register: target.register, size, value: hex(value) };
    if (callers?.length) args.callers = callers.map(hex);
    this.builder.instant(CPU_PID, thread.tid, name, at, args, 'register');
  }

  /** The slices still running, shown up to `end` (ps). */
  openSlices(end: number): RankedSlice[] {
    return this.dmacs.flatMap((d) => d.openSlices(end));
  }

  /** What was recorded since `cursor` (TraceBuilder.delta), what still runs shown up to `end` (ps). */
  delta(cursor: string | undefined, end: number): TraceDelta {
    return this.builder.delta(cursor, this.openSlices(end));
  }

  /** The trace up to `end` (ps): what still runs is shown up to there, and goes on. */
  document(end: number, otherData: Readonly<Record<string, string | number>> = {}): TraceDocument {
    return this.builder.document({ generator: 'dmalab', ...otherData }, this.openSlices(end));
  }

  /**
   * The instant (ps) before which the trace is settled: no slice recorded later starts earlier (each DMAC's slices
   * start where it is, or at its earliest slice still running). What a TraceStream may write out.
   */
  settled(): number {
    let settled = Infinity;
    this.dmacParts.forEach((d, i) => {
      settled = Math.min(settled, d.timeOf(d.device.cycle), this.dmacs[i].earliestOpen());
    });
    return settled;
  }
}

/** A recorder of every DMAC and SMMU of a machine, on its timeline; `limit`: the most events recorded. */
export function machineTraceRecorder(machine: Machine, limit = Infinity): MachineTraceRecorder {
  return new MachineTraceRecorder(
    machine.dmacs.map((d, i) => ({ device: d.device, name: d.description.name, period: d.period, timeOf: (cycle) => machine.dmacTime(i, cycle) })),
    machine.smmus.map((s) => ({ device: s.device, name: s.description.name })),
    limit,
  );
}

/** The register at a physical address of a machine's DMACs and SMMUs (by their TRMs' names), or the bus region there. */
export function deviceRegister(machine: Machine, physical: number): DeviceRegister {
  const within = (m: { readonly description: { readonly base: number; readonly size: number } }) => physical >= m.description.base && physical < m.description.base + m.description.size;
  const unnamed = (offset: number) => `+0x${offset.toString(16)}`;
  const d = machine.dmacs.findIndex(within);
  if (d >= 0) {
    const { name, base } = machine.dmacs[d].description;
    return { address: physical, device: name, register: PL330_REGISTER_MAP.at((physical - base) & ~3)?.name ?? unnamed(physical - base), dmac: d };
  }
  const m = machine.smmus.findIndex(within);
  if (m >= 0) {
    const { description, device } = machine.smmus[m];
    return { address: physical, device: description.name, register: device.registerAt(physical - description.base) ?? unnamed(physical - description.base), smmu: m };
  }
  const region = machine.bus.regionAt(physical);
  if (region === undefined) return { address: physical, device: 'unmapped', register: '' };
  return { address: physical, device: region.name, register: region.device?.registerAt?.(physical - region.base) ?? unnamed(physical - region.base) };
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}
