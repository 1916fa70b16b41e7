// The machine's DMA side as every debug session sees it, whatever runs the program (microcode started by the
// debugger, a scenario, an ARM executable's driver): one thread per DMAC manager and channel, their states read
// at each boundary the runtime chooses, the ticked event filters (state transitions, DMASEV and interrupts from the
// observer stream, SMMU faults from the SMMU's callback), data breakpoints on DMA accesses, the trace, and the
// register views. Observers are attached only while a filter, a data breakpoint or the trace needs them.
import { formatEvent } from '../../emulator/pl330/event-text';
import { hexAddress } from '../../emulator/pl330/disasm';
import { describeFaultType } from '../../emulator/pl330/faults';
import type { Pl330Event, ThreadRef } from '../../emulator/pl330/observer';
import type { Pl330 } from '../../emulator/pl330/pl330';
import { CHANNEL_STATE_NAMES, ChannelState, MANAGER_STATE_NAMES, statusRegisterName, wakeupNumber } from '../../emulator/pl330/registers';
import type { SmmuFault } from '../../emulator/smmu/smmu';
import type { DataBreakpoint } from './breakpoints';
import type { ScopeInfo, StopInfo, ThreadInfo, EventFilterRequest } from './contract';
import { decodeAt } from './disassembly';
import { EvaluationError } from './expression';
import { EVENT_FILTERS, EventFilter } from './filters';
import { UserError } from './launch';
import type { DebugMachine } from './machine';
import { describeTranslation, formatSmmuWalk } from './smmu-walk';
import { dmacView, smmuView, threadView } from './views';

export interface DmaThread extends ThreadInfo {
  readonly dmac: number;
  readonly ref: ThreadRef;
}

export interface FilterEntry {
  readonly filter: EventFilter;
  readonly condition?: number;
}

/** A DMA event a filter matched, waiting to be reported at the next boundary. */
interface PendingEvent {
  readonly filter: EventFilter;
  readonly thread: number;
  readonly text: string;
  /** For SMMU faults: the DMAC, whose faulting channel (if any) is shown rather than its manager. */
  readonly dmac?: number;
  /**
   * Where the instruction that raised it is: the PCs of every thread before the boundary (an event is raised while
   * the instruction executes; at the stop the PC is past it, as the PL330 leaves it after DMASEV or an imprecise abort).
   */
  readonly origins?: Float64Array;
}

export interface DataHit {
  readonly breakpoint: DataBreakpoint;
  /** Index of the DMA thread that made the access. */
  readonly thread: number;
  readonly text: string;
}

export interface ObservationHooks {
  /** Debug console lines (the trace). */
  output(text: string): void;
  readonly trace: boolean;
  /** While re-executing for a reverse step, the trace stays quiet. */
  replaying(): boolean;
  /** Whether the threads are read at every tick: then the PCs of the last read say which instruction raised an
   * event (a CPU session lets the DMACs run many ticks between two reads). */
  readonly everyTick: boolean;
  /** A channel left Stopped at `pc` (scenarios list the microcode they start). */
  channelStarted?(thread: DmaThread, pc: number): void;
}

const RUNNABLE = new Set<number>([
  ChannelState.Executing, ChannelState.CacheMiss, ChannelState.UpdatingPc, ChannelState.AtBarrier, ChannelState.Killing, ChannelState.Completing, ChannelState.FaultingCompleting,
]);
export const FETCHING = new Set<number>([ChannelState.Executing, ChannelState.CacheMiss]);
const HALTED = new Set<number>([ChannelState.Stopped, ChannelState.Faulting]);
const FAULTED = new Set<number>([ChannelState.Faulting, ChannelState.FaultingCompleting]);
/** No thread is ever in this state: forces a full read of every thread. */
const UNKNOWN_STATE = 0xff;
export const DEFAULT_FILTERS: readonly FilterEntry[] = EVENT_FILTERS.filter((f) => f.default).map((filter) => ({ filter }));

/** Ticked filters by id; a condition selects one number (event, channel, interrupt, stream: `E3`, `P1`, `C0` or `3`). */
export function parseEventFilters(requests: readonly EventFilterRequest[]): FilterEntry[] {
  return requests.map((r) => {
    const filter = EVENT_FILTERS.find((f) => f.id === r.id);
    if (!filter) throw new UserError(`no event filter '${r.id}' (filters: ${EVENT_FILTERS.map((f) => f.id).join(', ')})`);
    if (r.condition === undefined || r.condition.trim() === '') return { filter };
    if (!filter.condition) throw new UserError(`the '${filter.label}' filter takes no condition`);
    const condition = Number(r.condition.trim().replace(/^[EPC]/i, ''));
    if (!Number.isInteger(condition)) throw new UserError(`'${r.condition}' is not a ${filter.condition} for the '${filter.label}' filter`);
    return { filter, condition };
  });
}

export class DmaObservation {
  readonly threads: readonly DmaThread[];
  /** Per thread, at the last boundary: PC, state, whether it arrived at a new instruction, whether it just halted. */
  readonly pcs: Float64Array;
  readonly states: Uint8Array;
  readonly arrived: Uint8Array;
  readonly halted: Uint8Array;
  readonly pending: PendingEvent[] = [];
  readonly dataHits: DataHit[] = [];
  private readonly pcRegisters: readonly string[];
  /** Until the client says otherwise, the filters on by default. */
  private filters: readonly FilterEntry[] = DEFAULT_FILTERS;
  private transitionFilters: readonly FilterEntry[] = DEFAULT_FILTERS.filter((f) => f.filter.transition);
  private dataBreakpoints: readonly DataBreakpoint[] = [];
  private unobserve: (() => void)[] = [];

  /** Thread ids are `firstId`, `firstId + 1`, ... (a program's own threads come before them). */
  constructor(readonly machine: DebugMachine, readonly firstId: number, private readonly hooks: ObservationHooks) {
    const threads: DmaThread[] = [];
    machine.dmacs.forEach((dmac, d) => {
      threads.push({ id: firstId + threads.length, name: `dma${d} manager`, dmac: d, ref: 'manager' });
      for (let n = 0; n < dmac.config.channels; n++) threads.push({ id: firstId + threads.length, name: `dma${d} ch${n}`, dmac: d, ref: n });
    });
    this.threads = threads;
    this.pcRegisters = threads.map((t) => (t.ref === 'manager' ? 'DPC' : `CPC${t.ref}`));
    this.pcs = new Float64Array(threads.length);
    this.states = new Uint8Array(threads.length);
    this.arrived = new Uint8Array(threads.length);
    this.halted = new Uint8Array(threads.length);
  }

  /** Index of a thread by id, or -1 when the id is not a DMA thread's. */
  indexOf(threadId: number): number {
    const i = threadId - this.firstId;
    return Number.isInteger(i) && i >= 0 && i < this.threads.length ? i : -1;
  }

  threadIndex(dmac: number, ref: ThreadRef): number {
    return this.threads.findIndex((t) => t.dmac === dmac && t.ref === ref);
  }

  // -------------------------------------------------------------------------------------------------------------
  // What is watched

  setFilters(requests: readonly EventFilterRequest[]): void {
    this.filters = parseEventFilters(requests);
    this.transitionFilters = this.filters.filter((f) => f.filter.transition);
    this.attach();
  }

  /** Data breakpoints on DMA accesses (physical or IOVA ranges). */
  setDataBreakpoints(breakpoints: readonly DataBreakpoint[]): void {
    this.dataBreakpoints = breakpoints;
    this.attach();
  }

  /** Observers cost the emulator nothing when none is attached: attach only for filters, data breakpoints, tracing. */
  attach(): void {
    this.detach();
    const smmuFilter = this.filters.find((f) => f.filter.id === 'smmu-fault');
    if (smmuFilter) {
      for (const smmu of this.machine.smmus) {
        smmu.onFault = (fault) => this.onSmmuFault(smmuFilter, fault);
        this.unobserve.push(() => (smmu.onFault = undefined));
      }
    }
    // The emulator builds event objects only while observed: observe only for what needs its event stream.
    if (!this.filters.some((f) => f.filter.match) && this.dataBreakpoints.length === 0 && !this.hooks.trace) return;
    this.machine.dmacs.forEach((dmac, d) => {
      this.unobserve.push(dmac.observe((event) => this.onEvent(dmac, d, event)));
    });
  }

  detach(): void {
    for (const off of this.unobserve) off();
    this.unobserve = [];
  }

  /** Whether the filter a stop's description names (its label) is ticked. */
  filterTicked(label: string | undefined): boolean {
    return this.filters.some((f) => f.filter.label === label);
  }

  /** Whether any filter is seen in state changes (the runtime then reads the threads at every boundary). */
  get watchesTransitions(): boolean {
    return this.transitionFilters.length > 0;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Boundaries

  /** Reads every thread's state and PC; notes arrivals, halts and the transitions the filters look for. */
  readThreads(): void {
    const threads = this.threads;
    for (let i = 0; i < threads.length; i++) {
      const t = threads[i];
      const dmac = this.machine.dmacs[t.dmac];
      const state = dmac.threadState(t.ref);
      const before = this.states[i];
      if (state === ChannelState.Stopped && before === ChannelState.Stopped) {
        // A stopped thread's PC changes only with a DMAGO, which also changes its state: nothing to read.
        this.arrived[i] = 0;
        this.halted[i] = 0;
        continue;
      }
      const pc = dmac.register(this.pcRegisters[i]);
      // A thread arrives at an instruction when its PC moves or it is about to fetch again (after a start, a wait,
      // a taken jump's Updating PC tick or a barrier).
      this.arrived[i] = pc !== this.pcs[i] || (!FETCHING.has(before) && FETCHING.has(state)) ? 1 : 0;
      this.halted[i] = state !== before && HALTED.has(state) ? 1 : 0;
      if (state !== before && before !== UNKNOWN_STATE && this.transitionFilters.length) this.transition(i, before, state);
      if (before === ChannelState.Stopped && t.ref !== 'manager') this.hooks.channelStarted?.(t, pc);
      this.pcs[i] = pc;
      this.states[i] = state;
    }
  }

  /** Forget what was known (after a restore): the next read looks at every thread afresh. */
  forgetStates(): void {
    this.states.fill(UNKNOWN_STATE);
    this.halted.fill(0);
    this.clearReports();
  }

  clearReports(): void {
    if (this.pending.length) this.pending.length = 0;
    if (this.dataHits.length) this.dataHits.length = 0;
  }

  /** Whether no thread can run (every one stopped, faulted or waiting) and no peripheral will raise a request later. */
  idle(): boolean {
    for (let i = 0; i < this.states.length; i++) if (RUNNABLE.has(this.states[i])) return false;
    // A scripted peripheral whose request is due later wakes a waiting thread as the clock runs.
    return this.machine.dmacs.every((d) => d.nextPeripheralRequest === Infinity);
  }

  /** Threads not stopped: each with what it waits for or why it faulted. */
  stuck(): { thread: DmaThread; text: string }[] {
    return this.threads.filter((_, i) => this.states[i] !== ChannelState.Stopped).map((thread) => ({ thread, text: `${thread.name}: ${this.describeState(thread)}` }));
  }

  /** The stop for the first event a filter matched: on the thread that faulted or raised it, by the instruction. */
  eventStop(): StopInfo | undefined {
    const event = this.pending[0];
    if (!event) return undefined;
    const faulted = event.dmac === undefined ? -1 : this.threads.findIndex((t, i) => t.dmac === event.dmac && FAULTED.has(this.states[i]));
    const thread = faulted >= 0 ? faulted : event.thread;
    const origin = event.origins && (event.dmac === undefined || faulted >= 0) ? event.origins[thread] : undefined;
    const by = origin === undefined ? '' : `, by ${this.instructionText(this.threads[thread].dmac, origin)} at ${hexAddress(origin)}`;
    return { reason: 'exception', threadId: this.threads[thread].id, description: event.filter.label, text: event.text + by };
  }

  private transition(i: number, from: number, to: number): void {
    const t = this.threads[i];
    const dmac = this.machine.dmacs[t.dmac];
    for (const { filter, condition } of this.transitionFilters) {
      const n = filter.transition!(from, to, dmac, t.ref);
      if (n === undefined || (condition !== undefined && condition !== n)) continue;
      this.pending.push({ filter, thread: i, text: filter.describe(n, t.ref, dmac) });
    }
  }

  /** An SMMU fault belongs to the DMAC whose master issued it; the thread that faults with it is found at the boundary. */
  private onSmmuFault(entry: FilterEntry, fault: SmmuFault): void {
    if (entry.condition !== undefined && entry.condition !== fault.streamId) return;
    const d = Math.max(0, this.machine.dmacs.findIndex((dmac) => dmac.port.master.name === fault.master));
    // A stage 2 context bank takes an intermediate physical address (a guest's), a stage 1 one an IOVA.
    const input = fault.bank >= 0 && this.machine.smmuOf[d]?.inspect(fault.streamId, fault.address, fault.write).bankType === 'stage 2' ? 'IPA' : 'IOVA';
    const text = `${fault.kind} fault in ${fault.bank < 0 ? 'global space' : `context bank ${fault.bank}`}: ${fault.write ? 'write' : 'read'} at ${input} ${hexAddress(fault.address)} (stream ${fault.streamId}, ${fault.master})`;
    this.pending.push({ filter: entry.filter, thread: this.threadIndex(d, 'manager'), text, dmac: d, origins: this.origins() });
  }

  private origins(): Float64Array | undefined {
    return this.hooks.everyTick ? this.pcs.slice() : undefined;
  }

  private onEvent(dmac: Pl330, d: number, event: Pl330Event): void {
    if (this.hooks.trace && !this.hooks.replaying()) this.hooks.output(`dma${d} ${formatEvent(event)}\n`);
    for (const { filter, condition } of this.filters) {
      const n = filter.match?.(event);
      if (n === undefined || (condition !== undefined && condition !== n)) continue;
      const thread = eventThread(event);
      const origins = event.kind === 'event' ? this.origins() : undefined;
      this.pending.push({ filter, thread: this.threadIndex(d, thread), text: filter.describe(n, thread, dmac), origins });
    }
    if (event.kind === 'bus' && this.dataBreakpoints.length) {
      const a = event.access;
      for (const bp of this.dataBreakpoints) {
        if (a.write ? bp.access === 'read' : bp.access === 'write' || a.fetch) continue;
        const address = bp.space === 'iova' ? a.address : a.physical;
        if (address < 0 || address + a.data.length <= bp.start || address >= bp.start + bp.length) continue;
        const text = `${a.write ? 'write' : 'read'} of ${a.data.length} byte(s) at ${hexAddress(address)} (${bp.space} ${hexAddress(bp.start)}+${bp.length})`;
        this.dataHits.push({ breakpoint: bp, thread: this.threadIndex(d, event.thread), text });
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Inspection

  /** The thread's state in words, with what it waits for or its fault decoded. */
  describeState(t: DmaThread): string {
    const dmac = this.machine.dmacs[t.dmac];
    const state = dmac.threadState(t.ref);
    const names = t.ref === 'manager' ? MANAGER_STATE_NAMES : CHANNEL_STATE_NAMES;
    let text = names[state] ?? `state ${state}`;
    const status = dmac.register(statusRegisterName(t.ref));
    if (state === ChannelState.WaitingForEvent || state === ChannelState.WaitingForPeripheral) text += ` ${wakeupNumber(t.ref, status)}`;
    if (state === ChannelState.Faulting || state === ChannelState.FaultingCompleting) {
      const ftr = dmac.register(t.ref === 'manager' ? 'FTRD' : `FTR${t.ref}`);
      text += `: ${describeFaultType(ftr, t.ref === 'manager' ? 'manager' : 'channel')}`;
    }
    return text;
  }

  /** The thread's program counter now. */
  pcOf(t: DmaThread): number {
    return this.machine.dmacs[t.dmac].register(t.ref === 'manager' ? 'DPC' : `CPC${t.ref}`);
  }

  /** The instruction at `pc` as the DMAC fetches it. */
  instructionText(dmac: number, pc: number): string {
    return decodeAt((a, n) => this.readCode(dmac, a, n), pc).text;
  }

  /**
   * Memory as a DMAC fetches it: through its SMMU (inspected, changing nothing) when it has one, also where only the
   * page's permissions would refuse the fetch; where the SMMU gives no translation, physical memory at that address
   * (a program session loads its code physically).
   */
  readCode(dmac: number, address: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    const smmu = this.machine.smmuOf[dmac];
    const streamId = this.machine.dmacs[dmac].port.master.streamId;
    for (let done = 0; done < length;) {
      const at = (address + done) >>> 0;
      const chunk = Math.min(length - done, 4096 - (at % 4096));
      const inspection = smmu?.inspect(streamId, at, false, true);
      const physical = inspection ? inspection.physical ?? inspection.mapped ?? at : at;
      this.machine.bus.physicalRead(physical, buf, done, chunk);
      done += chunk;
    }
    return buf;
  }

  /** The thread's registers (SAR and DAR also as the SMMU translates them), its DMAC's, and the SMMU in front of it. */
  scopes(t: DmaThread): ScopeInfo[] {
    const dmac = this.machine.dmacs[t.dmac];
    const smmu = this.machine.smmuOf[t.dmac];
    const streamId = dmac.port.master.streamId;
    const translate = smmu && ((address: number, write: boolean) => describeTranslation(smmu.inspect(streamId, address >>> 0, write), smmu.name));
    const scopes: ScopeInfo[] = [
      { name: t.name, variables: () => threadView(dmac, t.ref, translate), expensive: false },
      { name: `dma${t.dmac} registers`, variables: () => dmacView(dmac), expensive: false },
    ];
    if (smmu) scopes.push({ name: `${smmu.name} (SMMU)`, variables: () => smmuView(smmu), expensive: true });
    return scopes;
  }

  /** A register of the thread by its short name (PC, SAR, LC0, STATE) or any TRM register of its DMAC. */
  registerValue(t: DmaThread, name: string): number | undefined {
    const dmac = this.machine.dmacs[t.dmac];
    const upper = name.toUpperCase();
    const own = t.ref === 'manager'
      ? { PC: 'DPC', DPC: 'DPC', DSR: 'DSR', FTR: 'FTRD' }[upper]
      : { PC: `CPC${t.ref}`, CPC: `CPC${t.ref}`, CSR: `CSR${t.ref}`, SAR: `SAR${t.ref}`, DAR: `DAR${t.ref}`, CCR: `CCR${t.ref}`, LC0: `LC0_${t.ref}`, LC1: `LC1_${t.ref}`, FTR: `FTR${t.ref}` }[upper];
    if (own) return dmac.register(own);
    if (upper === 'STATE') return dmac.threadState(t.ref);
    try {
      return dmac.register(upper);
    } catch {
      return undefined;
    }
  }

  /**
   * `smmu walk IOVA [read|write]`: how the SMMU in front of the thread's DMAC translates an access at IOVA for that
   * DMAC's stream, descriptor by descriptor. The SMMU inspects without side effects: no TLB fill, no fault, no interrupt.
   */
  smmuWalk(t: DmaThread, iova: number, write: boolean): string {
    const smmu = this.machine.smmuOf[t.dmac];
    if (!smmu) throw new EvaluationError(`smmu walk: dma${t.dmac} has no SMMU in front of it (launch with a 'platform' whose DMAC has an iommus property)`);
    const master = this.machine.dmacs[t.dmac].port.master;
    return formatSmmuWalk(smmu.inspect(master.streamId, iova >>> 0, write), `${smmu.name}, stream ${master.streamId} (${master.name})`, write ? 'write' : 'read');
  }
}

/** The thread an event belongs to (interrupts belong to the manager, which owns the event/interrupt logic). */
function eventThread(event: Pl330Event): ThreadRef {
  switch (event.kind) {
    case 'channelStart':
    case 'channelEnd':
      return event.channel;
    case 'irq':
      return 'manager';
    default:
      return event.thread ?? 'manager'; // a peripheral's own request belongs to no thread
  }
}

/** `smmu walk IOVA [read|write]` in the debug console. */
export const SMMU_WALK = /^\s*smmu\s+walk\s+(.+?)(?:\s+(read|write))?\s*$/;
