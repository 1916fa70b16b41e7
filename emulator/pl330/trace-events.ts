// A DMA-330 run in the Chrome trace-event JSON format, which Perfetto and chrome://tracing open: one lane (thread)
// per manager and channel; on each, every instruction as a slice, inside it the burst it moved (address, bytes,
// beats, beat size) and the non-executing states it went through (waits, barriers, cache misses, completing);
// events, faults and channel starts as instants, each interrupt line as a counter, and a flow from each DMAGO to
// the first instruction of the channel it started. Timestamps are the DMAC's cycles at its clock, in microseconds.
import { decodeInstruction, formatInstruction } from './disasm';
import { describeFaultType } from './faults';
import type { Pl330Event, Pl330Observer, ThreadRef } from './observer';
import { CHANNEL_STATE_NAMES, ChannelState, MANAGER_STATE_NAMES } from './registers';

/** One event of the trace-event format (the fields this exporter uses). */
export interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'i' | 'C' | 'M' | 's' | 'f';
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
  readonly cat?: string;
  readonly dur?: number;
  /** Instant scope: thread. */
  readonly s?: 't';
  /** Flow id. */
  readonly id?: number;
  /** Flow end binds to the enclosing slice. */
  readonly bp?: 'e';
  readonly args?: Readonly<Record<string, unknown>>;
}

export interface TraceDocument {
  readonly traceEvents: readonly TraceEvent[];
  readonly displayTimeUnit: 'ns';
  readonly otherData: Readonly<Record<string, string | number>>;
}

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
}

/** A slice being built: closed when its thread moves on. */
interface OpenSlice {
  readonly name: string;
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

export class Pl330TraceRecorder {
  private readonly pid: number;
  private readonly slices: { event: TraceEvent; depth: number }[] = [];
  private readonly others: TraceEvent[] = [];
  private readonly instruction = new Map<number, OpenSlice>();
  private readonly state = new Map<number, OpenSlice>();
  private readonly bursts = new Map<number, Burst>();
  /** Channel → flow id of the DMAGO that started it, until its first instruction. */
  private readonly pendingFlows = new Map<number, number>();
  private nextFlow = 1;
  private lastCycle = 0;

  constructor(private readonly dmac: TracedDmac, private readonly options: TraceOptions) {
    this.pid = options.pid ?? 1;
  }

  readonly observer: Pl330Observer = (e) => this.record(e);

  /** Microseconds, from whole nanoseconds: the viewers take ts back to nanoseconds exactly, so slices nest. */
  private ts(cycle: number): number {
    return this.ns(cycle) / 1000;
  }

  private ns(cycle: number): number {
    return Math.round((cycle * this.options.periodPs) / 1000);
  }

  /** Lanes that had something on them. */
  private readonly lanes = new Set<number>([0]);

  private tid(thread: ThreadRef): number {
    const tid = thread === 'manager' ? 0 : thread + 1;
    this.lanes.add(tid);
    return tid;
  }

  private record(e: Pl330Event): void {
    this.lastCycle = Math.max(this.lastCycle, e.cycle);
    switch (e.kind) {
      case 'instruction': {
        const tid = this.tid(e.thread);
        this.closeInstruction(tid, e.cycle);
        const decoded = decodeInstruction(e.bytes, 0, e.pc);
        const text = decoded.spec && !decoded.invalid ? formatInstruction(decoded) : `undefined ${Array.from(e.bytes, hexByte).join(' ')}`;
        const args: Record<string, unknown> = { pc: hex(e.pc), bytes: Array.from(e.bytes, hexByte).join(' ') };
        if (e.debug) {
          // The debug interface executes it at once, outside the thread's program: a one-cycle slice.
          args.via = 'debug interface (DBGINST0/1, DBGCMD)';
          this.slice(tid, { name: text, start: e.cycle, args }, e.cycle + 1, 'instruction');
        } else this.instruction.set(tid, { name: text, start: e.cycle, args });
        const flow = this.pendingFlows.get(tid);
        if (flow !== undefined) {
          this.pendingFlows.delete(tid);
          this.others.push({ name: 'DMAGO', cat: 'flow', ph: 'f', bp: 'e', id: flow, ts: this.ts(e.cycle), pid: this.pid, tid });
        }
        if (decoded.spec?.operation === 'GO') this.others.push({ name: 'DMAGO', cat: 'flow', ph: 's', id: this.nextFlow, ts: this.ts(e.cycle), pid: this.pid, tid });
        break;
      }
      case 'bus': {
        if (e.access.fetch) break;
        const tid = this.tid(e.thread);
        const burst = this.bursts.get(tid);
        if (burst && burst.write === e.access.write) {
          burst.bytes += e.access.data.length;
          burst.accesses++;
          burst.error ||= e.access.response !== 0;
        } else {
          if (burst) this.closeBurst(tid, e.cycle);
          this.bursts.set(tid, { write: e.access.write, address: e.access.address, bytes: e.access.data.length, accesses: 1, error: e.access.response !== 0 });
        }
        break;
      }
      case 'state': {
        const tid = this.tid(e.thread);
        this.closeState(tid, e.cycle);
        const names = e.thread === 'manager' ? MANAGER_STATE_NAMES : CHANNEL_STATE_NAMES;
        if (e.to === ChannelState.Stopped || e.to === ChannelState.Faulting) this.closeInstruction(tid, e.cycle);
        else if (e.to !== ChannelState.Executing) this.state.set(tid, { name: names[e.to] ?? `state ${e.to}`, start: e.cycle, args: {} });
        break;
      }
      case 'event':
        this.instant(e.thread, e.cycle, `event ${e.event}`, { event: e.event });
        break;
      case 'fault':
        this.instant(e.thread, e.cycle, 'fault', { pc: hex(e.pc), faultType: hex(e.faultType), description: describeFaultType(e.faultType, e.thread === 'manager' ? 'manager' : 'channel') });
        break;
      case 'irq': {
        const name = e.line === 'abort' ? 'irq_abort' : `irq[${e.line}]`;
        this.others.push({ name, ph: 'C', ts: this.ts(e.cycle), pid: this.pid, tid: 0, args: { level: e.level ? 1 : 0 } });
        break;
      }
      case 'channelStart':
        this.instant(e.channel, e.cycle, 'channel start', { pc: hex(e.pc), nonSecure: e.nonSecure });
        this.pendingFlows.set(this.tid(e.channel), this.nextFlow++);
        break;
      case 'channelEnd':
        this.instant(e.channel, e.cycle, e.how === 'end' ? 'channel end' : 'channel killed', {});
        break;
      case 'peripheral':
        // A peripheral's own request is on the manager's lane; an acknowledgement or a flush on the channel's.
        this.instant(e.thread ?? 'manager', e.cycle, `peripheral ${e.peripheral} ${e.action}`, { type: e.type, last: e.last });
        break;
    }
  }

  private instant(thread: ThreadRef, cycle: number, name: string, args: Record<string, unknown>): void {
    this.others.push({ name, ph: 'i', s: 't', ts: this.ts(cycle), pid: this.pid, tid: this.tid(thread), args });
  }

  private slice(tid: number, open: OpenSlice, end: number, cat: keyof typeof DEPTH): void {
    const event: TraceEvent = { name: open.name, cat, ph: 'X', ts: this.ts(open.start), dur: (this.ns(end) - this.ns(open.start)) / 1000, pid: this.pid, tid, args: open.args };
    this.slices.push({ event, depth: DEPTH[cat] });
  }

  private closeState(tid: number, cycle: number): void {
    const open = this.state.get(tid);
    if (!open) return;
    this.state.delete(tid);
    this.slice(tid, open, cycle, 'state');
  }

  /** The thread's burst becomes a slice as long as its instruction. */
  private closeBurst(tid: number, end: number): void {
    const burst = this.bursts.get(tid);
    const owner = this.instruction.get(tid);
    this.bursts.delete(tid);
    if (!burst || !owner) return;
    const channel = tid - 1;
    const ccr = channel >= 0 && channel < this.dmac.config.channels ? this.dmac.register(`CCR${channel}`) : 0;
    const beatBytes = 1 << (burst.write ? (ccr >>> 15) & 7 : (ccr >>> 1) & 7);
    const args: Record<string, unknown> = {
      address: hex(burst.address), bytes: burst.bytes, beats: Math.ceil(burst.bytes / beatBytes), beatBytes, accesses: burst.accesses,
    };
    if (burst.error) args.response = 'bus error';
    this.slice(tid, { name: `${burst.write ? 'write' : 'read'} ${hex(burst.address)} ${burst.bytes} B`, start: owner.start, args }, end, 'burst');
  }

  private closeInstruction(tid: number, cycle: number): void {
    const open = this.instruction.get(tid);
    if (!open) return;
    this.closeState(tid, cycle);
    this.slice(tid, open, cycle, 'instruction');
    this.closeBurst(tid, cycle);
    this.instruction.delete(tid);
  }

  /** The trace so far, every open slice ended at the last cycle seen (or `endCycle`). */
  document(endCycle = this.lastCycle): TraceDocument {
    for (const tid of [...this.instruction.keys()]) this.closeInstruction(tid, endCycle);
    for (const tid of [...this.state.keys()]) this.closeState(tid, endCycle);
    const lanes: TraceEvent[] = [{ name: 'process_name', ph: 'M', ts: 0, pid: this.pid, tid: 0, args: { name: `DMA-330 ${this.options.name}` } }];
    for (const tid of [...this.lanes].sort((a, b) => a - b)) {
      lanes.push({ name: 'thread_name', ph: 'M', ts: 0, pid: this.pid, tid, args: { name: tid === 0 ? 'manager' : `channel ${tid - 1}` } });
      lanes.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: this.pid, tid, args: { sort_index: tid } });
    }
    const slices = [...this.slices].sort((a, b) => a.event.ts - b.event.ts || b.event.dur! - a.event.dur! || a.depth - b.depth).map((s) => s.event);
    return {
      traceEvents: [...lanes, ...slices, ...this.others],
      displayTimeUnit: 'ns',
      otherData: { generator: 'dmalab', dmac: this.options.name, clockHz: Math.round(1e12 / this.options.periodPs), cycles: endCycle },
    };
  }
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

function hexByte(b: number): string {
  return b.toString(16).padStart(2, '0');
}
