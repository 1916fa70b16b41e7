// A DMA-330 run in the Chrome trace-event format (../trace/trace-events.ts): one process per DMAC, one lane (thread)
// per manager and channel; on each, every instruction as a slice, inside it the burst it moved (address, bytes,
// beats, beat size) and the non-executing states it went through (waits, barriers, cache misses, completing);
// events, faults and channel starts as instants, each interrupt line as a counter, and a flow from each DMAGO to
// the first instruction of the channel it started. Times are the DMAC's cycles at its clock, or where its cycles
// fall on the machine's timeline.
import { decodeInstruction, formatInstruction } from './disasm';
import { describeFaultType } from './faults';
import type { Pl330Event, Pl330Observer, ThreadRef } from './observer';
import { CHANNEL_STATE_NAMES, ChannelState, MANAGER_STATE_NAMES } from './registers';
import { TraceBuilder, completeSlice, type RankedSlice, type TraceDocument } from '../trace/trace-events';

/** What the recorder reads of the DMAC besides its events: the CCR, for the beat size of a burst. */
export interface TracedDmac {
  readonly config: { readonly channels: number };
  register(name: string): number;
}

export interface TraceOptions {
  /** The DMAC's name (the process in the viewer). */
  readonly name: string;
  /** Picoseconds per DMAC cycle. */
  readonly periodPs: number;
  readonly pid?: number;
  /** Where a cycle of the DMAC falls on the machine's timeline, in picoseconds (default: cycle × period). */
  readonly timeOf?: (cycle: number) => number;
  /** The trace this DMAC's events join (default: its own). */
  readonly builder?: TraceBuilder;
}

/** A slice being built: closed when its thread moves on. */
interface OpenSlice {
  readonly name: string;
  /** Picoseconds. */
  readonly start: number;
  readonly args: Record<string, unknown>;
}

interface Burst {
  readonly write: boolean;
  readonly address: number;
  bytes: number;
  accesses: number;
  error: boolean;
}

/** Sort order of slices that start together: the longer one, then the shallower one, encloses. */
const DEPTH = { instruction: 0, state: 1, burst: 2 } as const;

/** The lane of a thread: 0 the manager, 1 + n channel n. */
export function threadLane(thread: ThreadRef): number {
  return thread === 'manager' ? 0 : thread + 1;
}

export class Pl330TraceRecorder {
  readonly pid: number;
  readonly builder: TraceBuilder;
  private readonly instruction = new Map<number, OpenSlice>();
  private readonly state = new Map<number, OpenSlice>();
  private readonly bursts = new Map<number, Burst>();
  /** The last DMAGO executed: where the flow to the channel it starts begins. */
  private lastGo: { tid: number; time: number } | undefined;
  /** Channel lane → flow id of the DMAGO that started it, until its first instruction. */
  private readonly pendingFlows = new Map<number, number>();
  private lastCycle = 0;

  constructor(private readonly dmac: TracedDmac, private readonly options: TraceOptions) {
    this.pid = options.pid ?? 1;
    this.builder = options.builder ?? new TraceBuilder();
    this.builder.process(this.pid, `DMA-330 ${options.name}`);
    this.lane(0);
  }

  readonly observer: Pl330Observer = (e) => this.record(e);

  /** Picoseconds of a cycle. */
  time(cycle: number): number {
    return this.options.timeOf ? this.options.timeOf(cycle) : cycle * this.options.periodPs;
  }

  private lane(tid: number): number {
    this.builder.lane(this.pid, tid, tid === 0 ? 'manager' : `channel ${tid - 1}`);
    return tid;
  }

  private tid(thread: ThreadRef): number {
    return this.lane(threadLane(thread));
  }

  /** Flows to SMMU walks made for the access whose bus event comes next (the SMMU translates before it). */
  private readonly pendingWalks: { flow: number; time: number }[] = [];

  /** The DMAC's next access needed an SMMU walk, which ends the flow `flow`: the access's lane starts it. */
  walked(flow: number, time: number): void {
    this.pendingWalks.push({ flow, time });
  }

  private record(e: Pl330Event): void {
    this.lastCycle = Math.max(this.lastCycle, e.cycle);
    const at = this.time(e.cycle);
    switch (e.kind) {
      case 'instruction': {
        const tid = this.tid(e.thread);
        this.closeInstruction(tid, at);
        const decoded = decodeInstruction(e.bytes, 0, e.pc);
        const text = decoded.spec && !decoded.invalid ? formatInstruction(decoded) : `undefined ${Array.from(e.bytes, hexByte).join(' ')}`;
        const args: Record<string, unknown> = { pc: hex(e.pc), bytes: Array.from(e.bytes, hexByte).join(' ') };
        if (e.debug) {
          // The debug interface executes it at once, outside the thread's program: a one-cycle slice.
          args.via = 'debug interface (DBGINST0/1, DBGCMD)';
          this.builder.slice(this.pid, tid, text, 'instruction', at, this.time(e.cycle + 1), args, DEPTH.instruction);
        } else this.instruction.set(tid, { name: text, start: at, args });
        const flow = this.pendingFlows.get(tid);
        if (flow !== undefined) {
          this.pendingFlows.delete(tid);
          this.builder.flowEnd(flow, 'DMAGO', this.pid, tid, at);
        }
        if (decoded.spec?.operation === 'GO') this.lastGo = { tid, time: at };
        break;
      }
      case 'bus': {
        const tid = this.tid(e.thread);
        for (const walk of this.pendingWalks) this.builder.flowStart(walk.flow, 'SMMU walk', this.pid, tid, walk.time);
        this.pendingWalks.length = 0;
        if (e.access.fetch) break;
        const burst = this.bursts.get(tid);
        if (burst && burst.write === e.access.write) {
          burst.bytes += e.access.data.length;
          burst.accesses++;
          burst.error ||= e.access.response !== 0;
        } else {
          if (burst) this.closeBurst(tid, at);
          this.bursts.set(tid, { write: e.access.write, address: e.access.address, bytes: e.access.data.length, accesses: 1, error: e.access.response !== 0 });
        }
        break;
      }
      case 'state': {
        const tid = this.tid(e.thread);
        this.closeState(tid, at);
        const names = e.thread === 'manager' ? MANAGER_STATE_NAMES : CHANNEL_STATE_NAMES;
        if (e.to === ChannelState.Stopped || e.to === ChannelState.Faulting) this.closeInstruction(tid, at);
        else if (e.to !== ChannelState.Executing) this.state.set(tid, { name: names[e.to] ?? `state ${e.to}`, start: at, args: {} });
        break;
      }
      case 'event':
        this.instant(e.thread, at, `event ${e.event}`, { event: e.event });
        break;
      case 'fault':
        this.instant(e.thread, at, 'fault', { pc: hex(e.pc), faultType: hex(e.faultType), description: describeFaultType(e.faultType, e.thread === 'manager' ? 'manager' : 'channel') });
        break;
      case 'irq':
        this.builder.counter(this.pid, e.line === 'abort' ? 'irq_abort' : `irq[${e.line}]`, at, { level: e.level ? 1 : 0 });
        break;
      case 'channelStart': {
        this.instant(e.channel, at, 'channel start', { pc: hex(e.pc), nonSecure: e.nonSecure });
        if (this.lastGo) {
          const flow = this.builder.newFlow();
          this.builder.flowStart(flow, 'DMAGO', this.pid, this.lastGo.tid, this.lastGo.time);
          this.pendingFlows.set(this.tid(e.channel), flow);
          this.lastGo = undefined;
        }
        break;
      }
      case 'channelEnd':
        this.instant(e.channel, at, e.how === 'end' ? 'channel end' : 'channel killed', {});
        break;
      case 'peripheral':
        // A peripheral's own request is on the manager's lane; an acknowledgement or a flush on the channel's.
        this.instant(e.thread ?? 'manager', at, `peripheral ${e.peripheral} ${e.action}`, { type: e.type, last: e.last });
        break;
    }
  }

  private instant(thread: ThreadRef, at: number, name: string, args: Record<string, unknown>): void {
    this.builder.instant(this.pid, this.tid(thread), name, at, args);
  }

  private closeState(tid: number, at: number): void {
    const open = this.state.get(tid);
    if (!open) return;
    this.state.delete(tid);
    this.builder.slice(this.pid, tid, open.name, 'state', open.start, at, open.args, DEPTH.state);
  }

  /** The thread's burst becomes a slice as long as its instruction. */
  private closeBurst(tid: number, end: number): void {
    const slice = this.burstSlice(tid, end);
    this.bursts.delete(tid);
    if (slice) this.builder.add(slice);
  }

  private burstSlice(tid: number, end: number): RankedSlice | undefined {
    const burst = this.bursts.get(tid);
    const owner = this.instruction.get(tid);
    if (!burst || !owner) return undefined;
    const channel = tid - 1;
    const ccr = channel >= 0 && channel < this.dmac.config.channels ? this.dmac.register(`CCR${channel}`) : 0;
    const beatBytes = 1 << (burst.write ? (ccr >>> 15) & 7 : (ccr >>> 1) & 7);
    const args: Record<string, unknown> = {
      address: hex(burst.address), bytes: burst.bytes, beats: Math.ceil(burst.bytes / beatBytes), beatBytes, accesses: burst.accesses, pc: owner.args.pc,
    };
    if (burst.error) args.response = 'bus error';
    const name = `${burst.write ? 'write' : 'read'} ${hex(burst.address)} ${burst.bytes} B`;
    return { event: completeSlice(this.pid, tid, name, 'burst', owner.start, end, args), depth: DEPTH.burst };
  }

  private closeInstruction(tid: number, at: number): void {
    const open = this.instruction.get(tid);
    if (!open) return;
    this.closeState(tid, at);
    this.builder.slice(this.pid, tid, open.name, 'instruction', open.start, at, open.args, DEPTH.instruction);
    this.closeBurst(tid, at);
    this.instruction.delete(tid);
  }

  /** The earliest start of a slice still running (ps; Infinity: none): no slice closed later starts before it. */
  earliestOpen(): number {
    let earliest = Infinity;
    for (const s of this.instruction.values()) earliest = Math.min(earliest, s.start);
    for (const s of this.state.values()) earliest = Math.min(earliest, s.start);
    return earliest;
  }

  /** The slices still running, as they stand at `end` (ps): nothing is closed, the run goes on. */
  openSlices(end: number): RankedSlice[] {
    const open: RankedSlice[] = [];
    for (const [tid, s] of this.instruction) open.push({ event: completeSlice(this.pid, tid, s.name, 'instruction', s.start, end, s.args), depth: DEPTH.instruction });
    for (const [tid, s] of this.state) open.push({ event: completeSlice(this.pid, tid, s.name, 'state', s.start, end, s.args), depth: DEPTH.state });
    for (const tid of this.bursts.keys()) {
      const burst = this.burstSlice(tid, end);
      if (burst) open.push(burst);
    }
    return open;
  }

  /** The trace of a run that is over, every open slice ended at the last cycle seen (or `endCycle`). */
  document(endCycle = this.lastCycle): TraceDocument {
    const end = this.time(endCycle);
    return this.builder.document(
      { generator: 'dmalab', dmac: this.options.name, clockHz: Math.round(1e12 / this.options.periodPs), cycles: endCycle },
      this.openSlices(end),
    );
  }
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

function hexByte(b: number): string {
  return b.toString(16).padStart(2, '0');
}
