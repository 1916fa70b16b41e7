// The Chrome trace-event JSON format (the Trace Event Format document), which Perfetto and chrome://tracing open,
// built from the recorders of the machine's parts: processes and their lanes (threads), complete slices, instants,
// counters and flows. Times are picoseconds of simulated time here and microseconds (of whole nanoseconds, so that
// viewers take them back to nanoseconds exactly and slices nest) in the document. A long run (a kernel's boot) is
// bounded by a limit on the events recorded and streamed out as it goes (TraceStream) instead of held.

/** One event of the trace-event format (the fields dmalab writes). */
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

/** A complete slice with its nesting rank among slices that start together (lower encloses). */
export interface RankedSlice {
  readonly event: TraceEvent;
  readonly depth: number;
}

/** Microseconds of whole nanoseconds, from picoseconds. */
export function traceTime(ps: number): number {
  return Math.round(ps / 1000) / 1000;
}

/** A complete slice from `startPs` to `endPs`. */
export function completeSlice(pid: number, tid: number, name: string, cat: string, startPs: number, endPs: number, args: Readonly<Record<string, unknown>>): TraceEvent {
  const ts = traceTime(startPs);
  return { name, cat, ph: 'X', ts, dur: Math.max(0, Math.round((traceTime(endPs) - ts) * 1000) / 1000), pid, tid, args };
}

interface Lane {
  readonly pid: number;
  readonly tid: number;
  readonly name: string;
  readonly sort: number;
}

/**
 * What a builder recorded since an earlier delta (a viewer that holds the rest): the processes' and lanes' names,
 * the events recorded since, in recording order, and the slices still open (shown to now; they replace the open ones
 * of the delta before). `reset`: the cursor was not this builder's, `added` is everything.
 */
export interface TraceDelta {
  readonly cursor: string;
  readonly reset: boolean;
  readonly metadata: readonly TraceEvent[];
  readonly added: readonly TraceEvent[];
  readonly open: readonly TraceEvent[];
}

/** Builders made so far: each one's cursors name it. */
let builders = 0;

/** Slices in nesting order: by start, the longer first, then the shallower. */
function nestingOrder(slices: readonly RankedSlice[]): TraceEvent[] {
  return [...slices].sort((a, b) => a.event.ts - b.event.ts || b.event.dur! - a.event.dur! || a.depth - b.depth).map((s) => s.event);
}

/** Collects the events of every recorder of one run; the document is built from them on demand, as often as asked. */
export class TraceBuilder {
  private slices: RankedSlice[] = [];
  private others: TraceEvent[] = [];
  private readonly processes = new Map<number, string>();
  private readonly lanes = new Map<string, Lane>();
  private flows = 1;
  /** Flows of which one end is recorded: their other end is recorded past the limit too, so that they pair up. */
  private readonly halfFlows = new Set<number>();
  /** The latest instant anything was recorded at (ps). */
  latest = 0;
  /** Events recorded, and refused once `limit` of them were. */
  recorded = 0;
  dropped = 0;

  private readonly id = ++builders;

  constructor(readonly limit = Infinity) {}

  private admit(): boolean {
    if (this.recorded >= this.limit) {
      this.dropped++;
      return false;
    }
    this.recorded++;
    return true;
  }

  private admitFlow(id: number): boolean {
    if (this.halfFlows.delete(id)) {
      this.recorded++;
      return true;
    }
    if (!this.admit()) return false;
    this.halfFlows.add(id);
    return true;
  }

  process(pid: number, name: string): void {
    if (!this.processes.has(pid)) this.processes.set(pid, name);
  }

  /** A lane, named once, shown in `sort` order within its process. */
  lane(pid: number, tid: number, name: string, sort = tid): void {
    const key = `${pid}:${tid}`;
    if (!this.lanes.has(key)) this.lanes.set(key, { pid, tid, name, sort });
  }

  slice(pid: number, tid: number, name: string, cat: string, startPs: number, endPs: number, args: Readonly<Record<string, unknown>>, depth: number): void {
    if (!this.admit()) return;
    this.note(endPs);
    this.slices.push({ event: completeSlice(pid, tid, name, cat, startPs, endPs, args), depth });
  }

  add(slice: RankedSlice): void {
    if (!this.admit()) return;
    this.note((slice.event.ts + slice.event.dur!) * 1e6);
    this.slices.push(slice);
  }

  instant(pid: number, tid: number, name: string, atPs: number, args: Readonly<Record<string, unknown>>, cat?: string): void {
    if (!this.admit()) return;
    this.note(atPs);
    this.others.push({ name, cat, ph: 'i', s: 't', ts: traceTime(atPs), pid, tid, args });
  }

  counter(pid: number, name: string, atPs: number, values: Readonly<Record<string, number>>): void {
    if (!this.admit()) return;
    this.note(atPs);
    this.others.push({ name, ph: 'C', ts: traceTime(atPs), pid, tid: 0, args: values });
  }

  /** A new flow's id; its start and end are placed with `flowStart` and `flowEnd`. */
  newFlow(): number {
    return this.flows++;
  }

  flowStart(id: number, name: string, pid: number, tid: number, atPs: number): void {
    if (!this.admitFlow(id)) return;
    this.others.push({ name, cat: 'flow', ph: 's', id, ts: traceTime(atPs), pid, tid });
  }

  /** The end binds to the slice that encloses it on its lane. */
  flowEnd(id: number, name: string, pid: number, tid: number, atPs: number): void {
    if (!this.admitFlow(id)) return;
    this.others.push({ name, cat: 'flow', ph: 'f', bp: 'e', id, ts: traceTime(atPs), pid, tid });
  }

  private note(ps: number): void {
    if (ps > this.latest) this.latest = ps;
  }

  /** Slices recorded and not taken out. */
  get held(): number {
    return this.slices.length;
  }

  /** The names and order of the processes and lanes. */
  metadata(): TraceEvent[] {
    const metadata: TraceEvent[] = [];
    for (const [pid, name] of this.processes) {
      metadata.push({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name } });
      metadata.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid, tid: 0, args: { sort_index: pid } });
    }
    for (const lane of [...this.lanes.values()].sort((a, b) => a.pid - b.pid || a.sort - b.sort)) {
      metadata.push({ name: 'thread_name', ph: 'M', ts: 0, pid: lane.pid, tid: lane.tid, args: { name: lane.name } });
      metadata.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: lane.pid, tid: lane.tid, args: { sort_index: lane.sort } });
    }
    return metadata;
  }

  /** The document: metadata, then the slices in nesting order (with `open`, the slices still running), then the rest. */
  document(otherData: Readonly<Record<string, string | number>>, open: readonly RankedSlice[] = []): TraceDocument {
    return { traceEvents: [...this.metadata(), ...nestingOrder([...this.slices, ...open]), ...this.others], displayTimeUnit: 'ns', otherData };
  }

  /** What was recorded since `cursor` (from an earlier delta of this builder; anything else: everything), with `open`,
   * the slices still running. Not for a builder whose events were taken out (`take`). */
  delta(cursor: string | undefined, open: readonly RankedSlice[] = []): TraceDelta {
    const [id, slices, others] = (cursor ?? '').split(':').map(Number);
    const reset = id !== this.id || !(slices <= this.slices.length) || !(others <= this.others.length);
    return {
      cursor: `${this.id}:${this.slices.length}:${this.others.length}`,
      reset,
      metadata: this.metadata(),
      added: [...this.slices.slice(reset ? 0 : slices).map((s) => s.event), ...this.others.slice(reset ? 0 : others)],
      open: nestingOrder(open),
    };
  }

  /**
   * Takes out the events whose place in the document is settled, in document order: the slices that start before
   * `beforePs` (the caller knows no slice recorded later starts earlier) with `open`, then every other event.
   */
  take(beforePs: number, open: readonly RankedSlice[] = []): TraceEvent[] {
    const before = traceTime(beforePs);
    const settled = [...open];
    const kept: RankedSlice[] = [];
    for (const s of this.slices) (s.event.ts < before ? settled : kept).push(s);
    this.slices = kept;
    const others = this.others;
    this.others = [];
    return [...nestingOrder(settled), ...others];
  }
}

/** Events per write: a large flush is not one huge string. */
const STREAM_CHUNK = 4096;

/** Slices a stream holds at most while a slice that started before them still runs (a channel waiting long). */
const MAX_HELD_SLICES = 50_000;

/**
 * A builder's document written out as the run goes, through `write` (a file's): only what is not yet settled stays
 * in memory. The slices come out in nesting order as in `TraceBuilder.document`, unless more than `maxHeld` wait for
 * a slice still running: then they go out, and that slice later, after the slices it encloses (the format does not
 * order events, viewers sort them; memory stays bounded). The metadata comes last.
 */
export class TraceStream {
  private first = true;

  constructor(private readonly builder: TraceBuilder, private readonly write: (text: string) => void, private readonly maxHeld = MAX_HELD_SLICES) {
    write('{"traceEvents":[');
  }

  /** Writes what no later event can precede: the slices that start before `settledPs` (ps), and the rest. */
  flush(settledPs: number): void {
    this.emit(this.builder.take(this.builder.held > this.maxHeld ? Infinity : settledPs));
  }

  /** Writes the rest with `open`, the slices still running, then the metadata and `otherData`; the document ends. */
  end(otherData: Readonly<Record<string, string | number>>, open: readonly RankedSlice[] = []): void {
    this.emit(this.builder.take(Infinity, open));
    this.emit(this.builder.metadata());
    this.write(`\n],"displayTimeUnit":"ns","otherData":${JSON.stringify(otherData)}}\n`);
  }

  private emit(events: readonly TraceEvent[]): void {
    for (let at = 0; at < events.length; at += STREAM_CHUNK) {
      const lines = events.slice(at, at + STREAM_CHUNK).map((e) => JSON.stringify(e));
      this.write(`${this.first ? '\n' : ',\n'}${lines.join(',\n')}`);
      this.first = false;
    }
  }
}
