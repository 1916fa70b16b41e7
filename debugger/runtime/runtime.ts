// The debuggee: a machine running a PL330 program, with breakpoints, stepping and reverse execution; or a machine
// that a host program (a VFIO scenario) drives, run between the host's waits on it. It knows
// nothing of the Debug Adapter Protocol; it announces what happens as events ('stopped', 'output', 'end') and the
// session translates. Breakpoints are checked at tick boundaries (each tick runs at most one instruction per thread),
// events come from the emulator's observer API, attached only while something needs them.
import { EventEmitter } from 'node:events';
import { formatEvent } from '../../cli/run';
import { BusResponse } from '../../emulator/bus/bus';
import { debugGo, issueDebug } from '../../emulator/pl330/debug';
import { decodeInstruction, hexAddress } from '../../emulator/pl330/disasm';
import { describeFaultType } from '../../emulator/pl330/faults';
import type { Pl330Event, ThreadRef } from '../../emulator/pl330/observer';
import type { Pl330 } from '../../emulator/pl330/pl330';
import { CHANNEL_STATE_NAMES, ChannelState, MANAGER_STATE_NAMES } from '../../emulator/pl330/registers';
import { CodeBreakpoint, DataAccess, DataBreakpoint, HitCondition, parseDataId, parseHitCondition } from './breakpoints';
import { EvaluationError, ExpressionContext, evaluateExpression } from './expression';
import { EVENT_FILTERS, EventFilter } from './filters';
import { DEFAULT_MAX_CYCLES, UserError, LaunchOptions, ScenarioLaunch, attachScriptedPeripherals } from './launch';
import type { PlatformDescription } from '../../emulator/machine/platform';
import type { Smmu, SmmuFault } from '../../emulator/smmu/smmu';
import { formatSmmuWalk } from './smmu-walk';
import { Machine } from '../../emulator/machine/machine';
import type { MachineWait, ScenarioSteps } from '../../scenarios/vfio-session';
import { DebugMachine, MachineSnapshot, createDefaultMachine, createPlatformMachine, debugMachineOf } from './machine';
import { DisassembledInstruction, decodeAt, disassembleAround, previousStart } from './disassembly';
import { Checkpoint, History } from './history';
import { DebugProgram } from './program';
import { VariableNode, dmacView, hex32, smmuView, threadView } from './views';

/** File access the runtime needs, passed in so the runtime runs anywhere. */
export interface FileAccess {
  readText(path: string): string;
  readBytes(path: string): Uint8Array;
}

/**
 * Reads a platform devicetree (.dts compiled, .dtb read) into a machine description; warnings go to `warn`. Without
 * a path: the seed's platform.
 */
export type PlatformLoader = (path: string | undefined, warn: (line: string) => void) => PlatformDescription;

export interface RuntimeThread {
  /** 1-based, stable for the session. */
  readonly id: number;
  readonly name: string;
  readonly dmac: number;
  readonly ref: ThreadRef;
}

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'instruction breakpoint' | 'data breakpoint' | 'exception' | 'pause';

export interface StopInfo {
  readonly reason: StopReason;
  readonly threadId: number;
  readonly description?: string;
  readonly text?: string;
  readonly breakpointIds?: readonly number[];
}

export interface FrameInfo {
  readonly pc: number;
  /** The instruction at pc and the thread's state, e.g. `DMALD (Executing)`. */
  readonly name: string;
  readonly path?: string;
  /** 0-based source position of the instruction at pc. */
  readonly line?: number;
  readonly col?: number;
}

export interface LineBreakpointRequest {
  readonly line: number;
  readonly condition?: string;
  readonly hitCondition?: string;
  readonly logMessage?: string;
}

export interface BreakpointResult {
  readonly id: number;
  readonly verified: boolean;
  readonly line?: number;
  readonly address?: number;
  readonly message?: string;
}

/** Continue, or step one thread: to its next instruction, or out of the loop it is in. */
type Motion = { readonly kind: 'continue' } | { readonly kind: 'step'; readonly thread: number; readonly out: boolean };

interface SavedState {
  readonly machine: MachineSnapshot;
  /** Threads that arrived at a new instruction at this boundary. */
  readonly arrived: Uint8Array;
}

interface PendingEvent {
  readonly filter: EventFilter;
  readonly thread: number;
  readonly text: string;
  /** For SMMU faults: the DMAC, whose faulting channel (if any) is shown rather than its manager. */
  readonly dmac?: number;
  /**
   * Where the instruction that raised it is: the PCs of every thread before the tick (an event is raised while the
   * instruction executes; at the stop the PC is past it, as the PL330 leaves it after DMASEV or an imprecise abort).
   */
  readonly origins?: Float64Array;
}

/** Ticks between checkpoints while running, and how many checkpoints are kept (the reverse-execution window). */
const CHECKPOINT_INTERVAL = 1024;
const MAX_CHECKPOINTS = 2048;
/** Ticks run between two looks at the event loop (pause requests, new breakpoints). */
const SLICE_TICKS = 50_000;
/** The most microcode a listing shows from a channel's start (it ends at the first DMAEND). */
const MAX_LISTING_BYTES = 4096;

/** A host program that drives the machine between waits on it (a scenario's process); it returns an exit status. */
export type HostProgram = ScenarioSteps<number>;

const RUNNABLE = new Set<number>([
  ChannelState.Executing, ChannelState.CacheMiss, ChannelState.UpdatingPc, ChannelState.AtBarrier, ChannelState.Killing, ChannelState.Completing, ChannelState.FaultingCompleting,
]);
const FETCHING = new Set<number>([ChannelState.Executing, ChannelState.CacheMiss]);
const HALTED = new Set<number>([ChannelState.Stopped, ChannelState.Faulting]);
const DEFAULT_FILTERS: { filter: EventFilter; condition?: number }[] = EVENT_FILTERS.filter((f) => f.default).map((filter) => ({ filter }));
/** No thread is ever in this state: forces a full read of every thread. */
const UNKNOWN_STATE = 0xff;
const FAULTED = new Set<number>([ChannelState.Faulting, ChannelState.FaultingCompleting]);

export class DmaRuntime extends EventEmitter {
  readonly threads: readonly RuntimeThread[];
  /** Per thread: the register holding its PC (names built once: this is read every tick). */
  private readonly pcRegisters: readonly string[];
  private readonly pcs: Float64Array;
  private readonly states: Uint8Array;
  private readonly arrived: Uint8Array;
  private readonly halted: Uint8Array;
  private cycle = 0;
  private readonly history = new History<SavedState>(MAX_CHECKPOINTS);
  private codeBreakpoints: CodeBreakpoint[] = [];
  private instructionBreakpoints: CodeBreakpoint[] = [];
  private readonly breakpointsAt = new Map<number, CodeBreakpoint[]>();
  private dataBreakpoints: DataBreakpoint[] = [];
  /** Until the client says otherwise, the filters on by default. */
  private filters: { filter: EventFilter; condition?: number }[] = DEFAULT_FILTERS;
  private transitionFilters = DEFAULT_FILTERS.filter((f) => f.filter.transition);
  private nextBreakpointId = 1;
  private pending: PendingEvent[] = [];
  private dataHits: { breakpoint: DataBreakpoint; thread: number; text: string }[] = [];
  /** Forward execution counts hits and prints logpoints; re-execution for reverse steps does neither. */
  private replaying = false;
  private running = false;
  private pauseRequested = false;
  private unobserve: (() => void)[] = [];
  /** What the host waits for while the machine runs; the session is over once the host has returned. */
  private hostWait: MachineWait | undefined;
  private finished = false;

  /**
   * `program`: the launched .pl330 file; in a host session, the listing of the microcode the last channel started
   * runs (replaced when a channel starts where the listing has no instruction).
   */
  private constructor(readonly options: LaunchOptions, readonly machine: DebugMachine, public program: DebugProgram, private readonly host?: HostProgram) {
    super();
    const threads: RuntimeThread[] = [];
    machine.dmacs.forEach((dmac, d) => {
      threads.push({ id: threads.length + 1, name: `dma${d} manager`, dmac: d, ref: 'manager' });
      for (let n = 0; n < dmac.config.channels; n++) threads.push({ id: threads.length + 1, name: `dma${d} ch${n}`, dmac: d, ref: n });
    });
    this.threads = threads;
    this.pcRegisters = threads.map((t) => (t.ref === 'manager' ? 'DPC' : `CPC${t.ref}`));
    this.pcs = new Float64Array(threads.length);
    this.states = new Uint8Array(threads.length);
    this.arrived = new Uint8Array(threads.length);
    this.halted = new Uint8Array(threads.length);
  }

  /** Builds the machine, loads the program and memory, and starts the thread (DMAGO through the debug registers). */
  static launch(options: LaunchOptions, files: FileAccess, loadPlatform?: PlatformLoader): { runtime: DmaRuntime; warnings: string[] } {
    const { program, warnings } = DebugProgram.load(options.program, readFile('program', () => files.readText(options.program)), options.config);
    const kind = options.thread === 'manager' ? 'manager' : 'channel';
    const candidates = program.assembly.programs.filter((p) => p.kind === kind);
    const entry = options.entry === undefined ? candidates[0] : candidates.find((p) => p.base === options.entry);
    if (!entry) {
      const where = candidates.map((p) => hexAddress(p.base)).join(', ');
      throw new UserError(options.entry === undefined
        ? `${options.program}: no ${kind} program to start (add a .${kind} section)`
        : `'entry': no ${kind} program at ${hexAddress(options.entry)} (${kind} programs start at ${where || 'no address'})`);
    }
    const machine = options.platform === undefined
      ? createDefaultMachine(program.assembly.config, options.thread === 'manager' ? entry.base : undefined)
      : platformMachine(options, loadPlatform, warnings);
    const dmac = machine.dmacs[options.dmac];
    if (!dmac) throw new UserError(`'dmac': the platform has ${machine.dmacs.length} DMA-330(s) (dma0..dma${machine.dmacs.length - 1})`);
    if (options.thread !== 'manager' && options.thread >= dmac.config.channels) {
      throw new UserError(`'channel': ${options.thread} is beyond the ${dmac.config.channels} channels of dma${options.dmac}`);
    }
    attachScriptedPeripherals(dmac, options);
    for (const p of program.assembly.programs) {
      if (machine.bus.physicalWrite(p.base, p.bytes, 0, p.bytes.length) !== BusResponse.Okay) {
        throw new UserError(`${options.program}:${p.line + 1}: the ${p.kind} program at ${hexAddress(p.base)} lies where nothing is mapped (${machine.bus.describe(p.base)}); put it in RAM`);
      }
    }
    for (const m of options.memory) {
      const bytes = 'file' in m ? readFile('memory', () => files.readBytes(m.file)) : 'fill' in m ? new Uint8Array(m.length).fill(m.fill) : Uint8Array.from({ length: m.length }, (_, i) => i & 0xff);
      if (machine.bus.physicalWrite(m.address, bytes, 0, bytes.length) !== BusResponse.Okay) {
        throw new UserError(`'memory': nothing is mapped at ${hexAddress(m.address)}..${hexAddress(m.address + bytes.length - 1)}`);
      }
    }
    if (options.thread !== 'manager') issueDebug(dmac, debugGo(options.thread, entry.base, options.nonSecure));
    const runtime = new DmaRuntime(options, machine, program);
    runtime.readThreads();
    runtime.arrived.fill(1);
    runtime.checkpoint();
    return { runtime, warnings };
  }

  /**
   * A scenario's machine, run by its host program (the VFIO test's process); the threads are the platform's DMACs,
   * the entry is channel 0 of the scenario's device once the program has started it.
   */
  static launchScenario(launch: ScenarioLaunch, loadPlatform: PlatformLoader, host: (machine: Machine) => HostProgram): { runtime: DmaRuntime; warnings: string[] } {
    const warnings: string[] = [];
    let platform: PlatformDescription;
    try {
      platform = loadPlatform(launch.platform, (line) => warnings.push(line));
    } catch (error) {
      throw new UserError(`'platform': ${(error as Error).message}`);
    }
    const machine = new Machine(platform);
    const dmac = Math.max(0, machine.dmacs.findIndex((d) => d.description.name === launch.device));
    const options: LaunchOptions = {
      program: `${launch.scenario} (no microcode yet)`, platform: launch.platform, dmac, thread: 0, nonSecure: false, memory: [], config: {},
      stopOnEntry: launch.stopOnEntry, maxCycles: DEFAULT_MAX_CYCLES, trace: launch.trace,
    };
    const runtime = new DmaRuntime(options, debugMachineOf(machine), DebugProgram.empty(options.program), host(machine));
    runtime.readThreads();
    return { runtime, warnings };
  }

  /** The thread the launch started (where the entry stop is reported). */
  get startThread(): RuntimeThread {
    return this.threads.find((t) => t.dmac === this.options.dmac && t.ref === this.options.thread)!;
  }

  /** Begins execution after the client's configuration: stop on entry, or run. A host first runs to its first wait. */
  start(): void {
    this.attachObservers();
    if (this.host) {
      if (this.proceedHost()) return;
      if (this.options.stopOnEntry) this.announce({ reason: 'entry', threadId: this.startThread.id });
      else this.resume({ kind: 'continue' });
      return;
    }
    if (this.options.stopOnEntry) this.announce({ reason: 'entry', threadId: this.startThread.id });
    else this.resume({ kind: 'continue' }, true);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Breakpoints

  /** Replaces the source breakpoints of the program file; each binds to its line's instruction or the next one. */
  setLineBreakpoints(requests: readonly LineBreakpointRequest[]): BreakpointResult[] {
    const results: BreakpointResult[] = [];
    const breakpoints: CodeBreakpoint[] = [];
    for (const r of requests) {
      const id = this.nextBreakpointId++;
      const insn = this.program.bindLine(r.line);
      const problem = this.checkConditions(r.condition, r.hitCondition);
      if (!insn || typeof problem === 'string') {
        results.push({ id, verified: false, line: r.line, message: typeof problem === 'string' ? problem : 'no instruction on or after this line' });
        continue;
      }
      breakpoints.push({ id, address: insn.address, kind: 'source', condition: r.condition, hitCondition: problem, logMessage: r.logMessage, hits: 0 });
      results.push({ id, verified: true, line: insn.line, address: insn.address });
    }
    this.codeBreakpoints = breakpoints;
    this.indexCodeBreakpoints();
    return results;
  }

  setInstructionBreakpoints(requests: readonly { address: number; condition?: string; hitCondition?: string }[]): BreakpointResult[] {
    const breakpoints: CodeBreakpoint[] = [];
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      const problem = this.checkConditions(r.condition, r.hitCondition);
      if (typeof problem === 'string') return { id, verified: false, address: r.address, message: problem };
      breakpoints.push({ id, address: r.address >>> 0, kind: 'instruction', condition: r.condition, hitCondition: problem, hits: 0 });
      return { id, verified: true, address: r.address >>> 0, line: this.program.locate(r.address)?.line };
    });
    this.instructionBreakpoints = breakpoints;
    this.indexCodeBreakpoints();
    return results;
  }

  setDataBreakpoints(requests: readonly { dataId: string; access?: DataAccess; condition?: string; hitCondition?: string }[]): BreakpointResult[] {
    const breakpoints: DataBreakpoint[] = [];
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      try {
        const { space, start, length } = parseDataId(r.dataId);
        const problem = this.checkConditions(r.condition, r.hitCondition);
        if (typeof problem === 'string') return { id, verified: false, message: problem };
        breakpoints.push({ id, space, start, length, access: r.access ?? 'write', condition: r.condition, hitCondition: problem, hits: 0 });
        return { id, verified: true, address: start };
      } catch (error) {
        return { id, verified: false, message: (error as Error).message };
      }
    });
    this.dataBreakpoints = breakpoints;
    this.attachObservers();
    return results;
  }

  /** Ticks event filters by id; a condition selects one number (event, channel, interrupt). */
  setEventFilters(requests: readonly { id: string; condition?: string }[]): void {
    const filters = requests.map((r) => {
      const filter = EVENT_FILTERS.find((f) => f.id === r.id);
      if (!filter) throw new UserError(`no event filter '${r.id}' (filters: ${EVENT_FILTERS.map((f) => f.id).join(', ')})`);
      if (r.condition === undefined || r.condition.trim() === '') return { filter };
      if (!filter.condition) throw new UserError(`the '${filter.label}' filter takes no condition`);
      const condition = Number(r.condition.trim().replace(/^[EPC]/i, ''));
      if (!Number.isInteger(condition)) throw new UserError(`'${r.condition}' is not a ${filter.condition} for the '${filter.label}' filter`);
      return { filter, condition };
    });
    this.filters = filters;
    this.transitionFilters = filters.filter((f) => f.filter.transition);
    this.attachObservers();
  }

  private checkConditions(condition: string | undefined, hitCondition: string | undefined): HitCondition | undefined | string {
    try {
      if (condition !== undefined && condition.trim() !== '') evaluateExpression(condition, this.expressionContext(this.startThread));
      return hitCondition === undefined || hitCondition.trim() === '' ? undefined : parseHitCondition(hitCondition);
    } catch (error) {
      if (error instanceof EvaluationError || error instanceof UserError) return error.message;
      throw error;
    }
  }

  private indexCodeBreakpoints(): void {
    this.breakpointsAt.clear();
    for (const bp of [...this.codeBreakpoints, ...this.instructionBreakpoints]) {
      const list = this.breakpointsAt.get(bp.address) ?? [];
      list.push(bp);
      this.breakpointsAt.set(bp.address, list);
    }
  }

  /** Observers cost the emulator nothing when none is attached: attach only for filters, data breakpoints, tracing. */
  private attachObservers(): void {
    for (const off of this.unobserve) off();
    this.unobserve = [];
    const smmuFilter = this.filters.find((f) => f.filter.id === 'smmu-fault');
    for (const smmu of this.machine.smmus) {
      if (!smmuFilter) continue;
      smmu.onFault = (fault) => this.onSmmuFault(smmuFilter, fault);
      this.unobserve.push(() => (smmu.onFault = undefined));
    }
    // The emulator builds event objects only while observed: observe only for what needs its event stream.
    if (!this.filters.some((f) => f.filter.match) && this.dataBreakpoints.length === 0 && !this.options.trace) return;
    this.machine.dmacs.forEach((dmac, d) => {
      this.unobserve.push(dmac.observe((event) => this.onEvent(dmac, d, event)));
    });
  }

  /** Filters seen in state changes: checked at every boundary where a thread's state changed. */
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
  private onSmmuFault(entry: { filter: EventFilter; condition?: number }, fault: SmmuFault): void {
    if (entry.condition !== undefined && entry.condition !== fault.streamId) return;
    const d = Math.max(0, this.machine.dmacs.findIndex((dmac) => dmac.port.master.name === fault.master));
    const text = `${fault.kind} fault in ${fault.bank < 0 ? 'global space' : `context bank ${fault.bank}`}: ${fault.write ? 'write' : 'read'} at IOVA ${hexAddress(fault.address)} (stream ${fault.streamId}, ${fault.master})`;
    this.pending.push({ filter: entry.filter, thread: this.threadIndex(d, 'manager'), text, dmac: d, origins: this.pcs.slice() });
  }

  private onEvent(dmac: Pl330, d: number, event: Pl330Event): void {
    if (this.options.trace && !this.replaying) this.emit('output', `dma${d} ${formatEvent(event)}\n`, 'console');
    for (const { filter, condition } of this.filters) {
      const n = filter.match?.(event);
      if (n === undefined || (condition !== undefined && condition !== n)) continue;
      const thread = eventThread(event);
      const origins = event.kind === 'event' ? this.pcs.slice() : undefined;
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
  // Execution

  continue(): void {
    this.resume({ kind: 'continue' });
  }

  /** One instruction of a thread (other threads run alongside), or out of its innermost loop (`out`). */
  step(threadId: number, out = false): void {
    this.resume({ kind: 'step', thread: this.indexOf(threadId), out });
  }

  pause(): void {
    if (this.running) this.pauseRequested = true;
  }

  /** Runs in slices on the event loop so that a pause request or a disconnect is heard. */
  private resume(motion: Motion, atStart = false): void {
    if (this.running || this.finished) return;
    this.running = true;
    this.pauseRequested = false;
    const limit = this.cycle + this.options.maxCycles;
    const outOf = motion.kind === 'step' && motion.out ? this.loopOf(motion.thread) : undefined;
    const slice = (): void => {
      try {
        const first = atStart ? this.check() : undefined;
        atStart = false;
        if (first) return this.stopAt(first);
        const end = Math.min(limit, this.cycle + SLICE_TICKS);
        for (;;) {
          // The host goes on when its wait is over, or when nothing can run any more (a blocked read then fails).
          if (this.host && (this.hostWait?.until?.() || this.idle())) {
            if (this.proceedHost()) return;
            continue;
          }
          if (this.idle()) return this.stopIdle(motion);
          if (this.cycle >= end) break;
          this.advance();
          const stop = this.check() ?? this.stepDone(motion, outOf);
          if (stop) return this.stopAt(stop);
        }
        if (this.pauseRequested) return this.stopAt({ reason: 'pause', threadId: this.threads[this.motionThread(motion)].id });
        if (this.cycle >= limit) {
          return this.stopAt({ reason: 'pause', threadId: this.threads[this.motionThread(motion)].id, description: `ran ${this.options.maxCycles} cycles without stopping (maxCycles)` });
        }
        setImmediate(slice);
      } catch (error) {
        this.running = false;
        this.emit('output', `dmalab: internal error while running: ${(error as Error).stack ?? error}\n`, 'stderr');
        this.announce({ reason: 'exception', threadId: this.startThread.id, description: 'internal error', text: (error as Error).message });
      }
    };
    setImmediate(slice);
  }

  /**
   * Lets the host run until it waits on the machine again, then looks at what it did (a channel it started, an event
   * filter its register writes hit). True when that stopped the session or the host returned (the end).
   */
  private proceedHost(): boolean {
    // What the last tick raised was reported already (or stopped nothing): look only at what the host does.
    this.pending.length = 0;
    this.dataHits.length = 0;
    let next: IteratorResult<MachineWait, number>;
    try {
      next = this.host!.next();
    } catch (error) {
      this.emit('output', `${(error as Error).message}\nFAIL\n`, 'stderr');
      next = { done: true, value: 1 };
    }
    if (next.done) {
      this.running = false;
      this.finished = true;
      this.emit('exited', next.value);
      this.emit('end');
      return true;
    }
    this.hostWait = next.value;
    this.readThreads();
    const stop = this.check();
    if (stop) this.stopAt(stop);
    return stop !== undefined;
  }

  /** One tick of the machine, then which threads arrived at a new instruction or halted. */
  private advance(): void {
    // Per tick: only touch the lists when something was added (the common case adds nothing).
    if (this.pending.length) this.pending.length = 0;
    if (this.dataHits.length) this.dataHits.length = 0;
    this.machine.tick();
    this.cycle++;
    this.readThreads();
    if (!this.replaying && this.cycle % CHECKPOINT_INTERVAL === 0) this.checkpoint();
  }

  private readThreads(): void {
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
      if (this.host && before === ChannelState.Stopped && t.ref !== 'manager' && !this.program.locate(pc)) this.listMicrocode(t, pc);
      this.pcs[i] = pc;
      this.states[i] = state;
    }
  }

  /** A reason to stop at this boundary: an event filter, a data breakpoint, then a code breakpoint. */
  private check(): StopInfo | undefined {
    const event = this.pending[0];
    if (event) {
      const faulted = event.dmac === undefined ? -1 : this.threads.findIndex((t, i) => t.dmac === event.dmac && FAULTED.has(this.states[i]));
      const thread = faulted >= 0 ? faulted : event.thread;
      const origin = event.origins && (event.dmac === undefined || faulted >= 0) ? event.origins[thread] : undefined;
      const by = origin === undefined ? '' : `, by ${decodeAt((a, n) => this.readBytes(a, n), origin).text} at ${hexAddress(origin)}`;
      return { reason: 'exception', threadId: this.threads[thread].id, description: event.filter.label, text: event.text + by };
    }
    const dataHit = this.dataHits.length ? this.dataHits.find((h) => this.conditionHolds(h.breakpoint, h.thread)) : undefined;
    if (dataHit) {
      return { reason: 'data breakpoint', threadId: this.threads[dataHit.thread].id, description: dataHit.text, breakpointIds: [dataHit.breakpoint.id] };
    }
    if (this.breakpointsAt.size === 0) return undefined;
    for (let i = 0; i < this.threads.length; i++) {
      if (!this.arrived[i] || !FETCHING.has(this.states[i])) continue;
      const list = this.breakpointsAt.get(this.pcs[i]);
      if (!list) continue;
      const hit = list.filter((bp) => this.conditionHolds(bp, i));
      if (hit.length === 0) continue;
      const reason = hit.some((bp) => bp.kind === 'source') ? 'breakpoint' : 'instruction breakpoint';
      return { reason, threadId: this.threads[i].id, breakpointIds: hit.map((bp) => bp.id) };
    }
    return undefined;
  }

  /** Whether a breakpoint stops here: its condition holds, its hit count is reached, and it is not a logpoint. */
  private conditionHolds(bp: CodeBreakpoint | DataBreakpoint, thread: number): boolean {
    const context = this.expressionContext(this.threads[thread]);
    if (bp.condition) {
      try {
        if (evaluateExpression(bp.condition, context) === 0) return false;
      } catch (error) {
        if (!this.replaying) this.emit('output', `breakpoint condition '${bp.condition}': ${(error as Error).message}\n`, 'stderr');
        return true;
      }
    }
    if (this.replaying) return !('logMessage' in bp && bp.logMessage !== undefined);
    bp.hits++;
    if (bp.hitCondition && !bp.hitCondition.holds(bp.hits)) return false;
    if ('logMessage' in bp && bp.logMessage !== undefined) {
      const line = this.program.locate(bp.address)?.line;
      this.emit('output', this.interpolate(bp.logMessage, context) + '\n', 'console', line);
      return false;
    }
    return true;
  }

  private interpolate(message: string, context: ExpressionContext): string {
    return message.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
      try {
        return formatValue(evaluateExpression(expr, context));
      } catch (error) {
        return `<${(error as Error).message}>`;
      }
    });
  }

  private stepDone(motion: Motion, outOf: { start: number; end: number } | undefined): StopInfo | undefined {
    if (motion.kind !== 'step') return undefined;
    const i = motion.thread;
    if (this.halted[i]) return { reason: 'step', threadId: this.threads[i].id };
    if (!this.arrived[i]) return undefined;
    if (outOf && this.pcs[i] >= outOf.start && this.pcs[i] <= outOf.end) return undefined;
    return { reason: 'step', threadId: this.threads[i].id };
  }

  /** The loop a step out leaves: the innermost around the thread's pc; none means run until the thread halts. */
  private loopOf(thread: number): { start: number; end: number } {
    const loop = this.program.loopAround(this.pcs[thread]);
    return loop ? { start: loop.bodyStart, end: loop.endAddress! } : { start: 0, end: 0xffffffff };
  }

  private motionThread(motion: Motion): number {
    return motion.kind === 'step' ? motion.thread : this.indexOf(this.startThread.id);
  }

  private idle(): boolean {
    for (let i = 0; i < this.states.length; i++) if (RUNNABLE.has(this.states[i])) return false;
    // A scripted peripheral whose request is due later wakes a waiting thread as the clock runs.
    return this.machine.dmacs.every((d) => d.nextPeripheralRequest === Infinity);
  }

  /** Nothing can run: the end when every thread stopped, else a stop that says who waits or faulted. */
  private stopIdle(motion: Motion): void {
    const stuck = this.threads.filter((_, i) => this.states[i] !== ChannelState.Stopped);
    if (stuck.length === 0) {
      this.running = false;
      this.checkpoint();
      this.emit('end');
      return;
    }
    const text = stuck.map((t) => `${t.name}: ${this.describeState(t)}`).join('; ');
    const first = stuck.find((t) => t.id === this.threads[this.motionThread(motion)].id) ?? stuck[0];
    this.stopAt({ reason: 'exception', threadId: first.id, description: 'nothing left to run', text: `nothing can run: ${text}` });
  }

  private stopAt(stop: StopInfo): void {
    this.running = false;
    this.checkpoint();
    this.announce(stop);
  }

  private announce(stop: StopInfo): void {
    this.emit('stopped', stop);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Reverse execution: checkpoints every CHECKPOINT_INTERVAL ticks and at every stop; going back restores the last
  // checkpoint before the target and re-executes, which is exact because the machine is deterministic.

  private checkpoint(): void {
    if (this.host) return; // the host's state (its process, the kernel) is not in a machine snapshot: no going back
    this.history.record(this.cycle, () => ({ machine: this.machine.snapshot(), arrived: this.arrived.slice() }));
  }

  /** Back to the previous instruction of a thread (from a fault: the instruction before the faulting one). */
  stepBack(threadId: number): void {
    const i = this.indexOf(threadId);
    const pc = this.pcs[i];
    this.reverse(() => (this.arrived[i] && this.pcs[i] !== pc ? { reason: 'step', threadId } : undefined));
  }

  /** Back to the last boundary where a breakpoint or event filter would have stopped. */
  reverseContinue(): void {
    this.reverse(() => this.check());
  }

  private reverse(stopsAt: () => StopInfo | undefined): void {
    if (this.host) throw new UserError('a scenario session cannot run backwards: the state of its program and host kernel is not recorded');
    if (this.running) return;
    this.running = true;
    setImmediate(() => {
      const now = this.cycle;
      this.replaying = true;
      try {
        for (const { from, end } of this.history.windowsBefore(now)) {
          let found: number | undefined;
          this.restore(from);
          if (stopsAt()) found = from.cycle;
          while (this.cycle < end - 1) {
            this.advance();
            if (stopsAt()) found = this.cycle;
          }
          if (found === undefined) continue;
          this.restore(from);
          while (this.cycle < found) this.advance();
          const stop = stopsAt()!;
          this.history.forgetAfter(this.cycle);
          return this.announce(stop);
        }
        const oldest = this.history.oldest;
        this.restore(oldest);
        this.history.forgetAfter(this.cycle);
        this.announce({ reason: 'entry', threadId: this.startThread.id, description: 'start of the recorded history', text: `reached the oldest checkpoint (cycle ${oldest.cycle})` });
      } finally {
        this.replaying = false;
        this.running = false;
      }
    });
  }

  private restore(c: Checkpoint<SavedState>): void {
    this.machine.restore(c.state.machine);
    this.cycle = c.cycle;
    this.states.fill(UNKNOWN_STATE); // read every thread afresh, stopped ones included
    this.readThreads();
    this.arrived.set(c.state.arrived);
    this.halted.fill(0);
    this.pending.length = 0;
    this.dataHits.length = 0;
  }

  /** A change from outside (memory written by the user) starts a new history here: older states no longer lead here. */
  private restartHistory(): void {
    this.history.clear();
    this.checkpoint();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Inspection

  get cycles(): number {
    return this.cycle;
  }

  thread(threadId: number): RuntimeThread {
    return this.threads[this.indexOf(threadId)];
  }

  frame(threadId: number): FrameInfo {
    const i = this.indexOf(threadId);
    const t = this.threads[i];
    const pc = this.pcs[i];
    // A thread that ended points past its DMAEND: show it at the DMAEND.
    const ended = this.states[i] === ChannelState.Stopped && !this.program.locate(pc);
    const shown = ended ? previousStart(this.program.instructionStarts(), pc) : pc;
    const where = this.program.locate(shown);
    const insn = decodeAt((a, n) => this.readBytes(a, n), shown).text;
    return { pc, name: `${insn} (${this.describeState(t)})`, path: where ? this.program.path : undefined, line: where?.line, col: where?.col };
  }

  private describeState(t: RuntimeThread): string {
    const dmac = this.machine.dmacs[t.dmac];
    const state = dmac.threadState(t.ref);
    const names = t.ref === 'manager' ? MANAGER_STATE_NAMES : CHANNEL_STATE_NAMES;
    let text = names[state] ?? `state ${state}`;
    const status = dmac.register(t.ref === 'manager' ? 'DSR' : `CSR${t.ref}`);
    if (state === ChannelState.WaitingForEvent) text += ` ${(status >>> 4) & 31}`;
    if (state === ChannelState.WaitingForPeripheral) text += ` ${(status >>> 4) & 31}`;
    if (state === ChannelState.Faulting || state === ChannelState.FaultingCompleting) {
      const ftr = dmac.register(t.ref === 'manager' ? 'FTRD' : `FTR${t.ref}`);
      text += `: ${describeFaultType(ftr, t.ref === 'manager' ? 'manager' : 'channel')}`;
    }
    return text;
  }

  /** The SMMU in front of a thread's DMAC, if the machine has one. */
  smmuOf(threadId: number): Smmu | undefined {
    return this.machine.smmuOf[this.thread(threadId).dmac];
  }

  smmuRegisters(threadId: number): VariableNode[] {
    const smmu = this.smmuOf(threadId);
    return smmu ? smmuView(smmu) : [];
  }

  /**
   * `smmu walk IOVA [read|write]`: how the SMMU in front of the thread's DMAC translates an access at IOVA for that
   * DMAC's stream, descriptor by descriptor. The SMMU inspects without side effects: no TLB fill, no fault, no interrupt.
   */
  smmuWalk(iova: number, threadId: number, write = false): string {
    const t = this.thread(threadId);
    const smmu = this.machine.smmuOf[t.dmac];
    if (!smmu) throw new EvaluationError(`smmu walk: dma${t.dmac} has no SMMU in front of it (launch with a 'platform' whose DMAC has an iommus property)`);
    const master = this.machine.dmacs[t.dmac].port.master;
    return formatSmmuWalk(smmu.inspect(master.streamId, iova >>> 0, write), `${smmu.name}, stream ${master.streamId} (${master.name})`, write ? 'write' : 'read');
  }

  threadRegisters(threadId: number): VariableNode[] {
    const t = this.thread(threadId);
    return threadView(this.machine.dmacs[t.dmac], t.ref);
  }

  dmacRegisters(dmac: number): VariableNode[] {
    return dmacView(this.machine.dmacs[dmac]);
  }

  /** Evaluates in a thread's context: its registers by short name (SAR, LC0, PC), every TRM register, symbols. */
  evaluate(expression: string, threadId?: number): number {
    return evaluateExpression(expression, this.expressionContext(threadId === undefined ? this.startThread : this.thread(threadId)));
  }

  private expressionContext(t: RuntimeThread): ExpressionContext {
    const dmac = this.machine.dmacs[t.dmac];
    return {
      value: (name) => {
        const upper = name.toUpperCase();
        const own = t.ref === 'manager'
          ? { PC: 'DPC', DPC: 'DPC', DSR: 'DSR', FTR: 'FTRD' }[upper]
          : { PC: `CPC${t.ref}`, CPC: `CPC${t.ref}`, CSR: `CSR${t.ref}`, SAR: `SAR${t.ref}`, DAR: `DAR${t.ref}`, CCR: `CCR${t.ref}`, LC0: `LC0_${t.ref}`, LC1: `LC1_${t.ref}`, FTR: `FTR${t.ref}` }[upper];
        if (own) return dmac.register(own);
        if (upper === 'STATE') return dmac.threadState(t.ref);
        if (upper === 'CYCLE') return this.cycle;
        const symbol = this.program.symbol(name);
        if (symbol !== undefined) return symbol;
        try {
          return dmac.register(upper);
        } catch {
          return undefined;
        }
      },
      readMemory: (address, size) => {
        const buf = new Uint8Array(size);
        if (this.machine.bus.physicalRead(address, buf, 0, size) !== BusResponse.Okay) return undefined;
        return buf.reduceRight((v, b) => v * 256 + b, 0);
      },
    };
  }

  /** Physical memory; bytes where nothing is mapped are left out (`readable` counts the leading readable bytes). */
  readMemory(address: number, length: number): { bytes: Uint8Array; readable: number } {
    const bytes = new Uint8Array(length);
    let readable = 0;
    while (readable < length) {
      const chunk = Math.min(length - readable, 4096 - ((address + readable) % 4096));
      if (this.machine.bus.physicalRead(address + readable, bytes, readable, chunk) !== BusResponse.Okay) break;
      readable += chunk;
    }
    return { bytes: bytes.subarray(0, readable), readable };
  }

  writeMemory(address: number, bytes: Uint8Array): number {
    if (this.machine.bus.physicalWrite(address, bytes, 0, bytes.length) !== BusResponse.Okay) {
      throw new UserError(`cannot write ${bytes.length} byte(s) at ${hexAddress(address)}: nothing is mapped there`);
    }
    this.restartHistory();
    return bytes.length;
  }

  /**
   * Code as the launch's DMAC fetches it: through its SMMU (inspected, changing nothing) when it has one; where the
   * SMMU gives no translation, physical memory at that address (a program session loads its code physically).
   */
  private readBytes(address: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    const smmu = this.machine.smmuOf[this.options.dmac];
    const streamId = this.machine.dmacs[this.options.dmac].port.master.streamId;
    for (let done = 0; done < length;) {
      const at = (address + done) >>> 0;
      const chunk = Math.min(length - done, 4096 - (at % 4096));
      const physical = smmu ? smmu.inspect(streamId, at).physical ?? at : at;
      this.machine.bus.physicalRead(physical, buf, done, chunk);
      done += chunk;
    }
    return buf;
  }

  /** The listing of the microcode a channel starts at `pc`: from there to its first DMAEND. */
  private listMicrocode(t: RuntimeThread, pc: number): void {
    const bytes = this.readBytes(pc, MAX_LISTING_BYTES);
    let length = 0;
    while (length < bytes.length) {
      const d = decodeInstruction(bytes, length, pc + length);
      length += Math.max(1, d.length);
      if (d.spec?.operation === 'END' && !d.invalid) break;
    }
    const name = `microcode-${hexAddress(pc).slice(2)}.pl330`;
    this.program = DebugProgram.listing(name, bytes.subarray(0, length), pc, this.machine.dmacs[t.dmac].config);
    this.emit('listing', this.program);
  }

  /** `count` instructions from the one `offset` instructions away from `address` (negative: before it). */
  disassemble(address: number, offset: number, count: number): DisassembledInstruction[] {
    return disassembleAround((a, n) => this.readBytes(a, n), this.program, address, offset, count);
  }

  private indexOf(threadId: number): number {
    const i = threadId - 1;
    if (!Number.isInteger(threadId) || i < 0 || i >= this.threads.length) throw new UserError(`no thread ${threadId}`);
    return i;
  }

  private threadIndex(dmac: number, ref: ThreadRef): number {
    return this.threads.findIndex((t) => t.dmac === dmac && t.ref === ref);
  }
}

/** A file the launch names: a missing or unreadable one is the user's mistake, named with its attribute. */
function readFile<T>(attribute: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new UserError(`'${attribute}': ${(error as Error).message}`);
  }
}

function platformMachine(options: LaunchOptions, load: PlatformLoader | undefined, warnings: string[]): DebugMachine {
  if (!load) throw new UserError("'platform' is not available in this host (no devicetree compiler)");
  if (options.thread === 'manager') throw new UserError("'channel': \"manager\" boots the manager at reset, which only the default machine does; start a channel on a platform");
  try {
    return createPlatformMachine(load(options.platform!, (line) => warnings.push(line)));
  } catch (error) {
    throw new UserError(`'platform': ${(error as Error).message}`);
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

/** Counts in decimal, addresses and register words in hex. */
export function formatValue(v: number): string {
  return v > 0xff && v <= 0xffffffff ? hex32(v) : String(v);
}
