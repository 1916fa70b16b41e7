// The PL330 program kind: microcode the debugger starts on a DMAC (a .pl330 file), or microcode a host program (a
// VFIO scenario) writes and starts, run between the host's waits. Its threads are the DMA threads themselves: code
// breakpoints and steps are on their PCs, checked at tick boundaries (each tick runs at most one instruction per
// thread), and a machine without a host runs backwards (checkpoints and deterministic re-execution).
import { EventEmitter } from 'node:events';
import { BusResponse } from '../../emulator/bus/bus';
import { debugGo, issueDebug } from '../../emulator/pl330/debug';
import { hexAddress } from '../../emulator/pl330/disasm';
import { ChannelState } from '../../emulator/pl330/registers';
import { Machine } from '../../emulator/machine/machine';
import { DMAC_PID_BASE, SMMU_PID_BASE, type MachineTraceRecorder } from '../../emulator/machine/trace';
import { traceHostDeviceAccesses } from '../../emulator/host/trace';
import { traceTime } from '../../emulator/trace/trace-events';
import type { PlatformDescription } from '../../emulator/machine/platform';
import type { MachineWait, ScenarioSteps } from '../../scenarios/vfio-session';
import { CodeBreakpoint, DataBreakpoint, breakpointStops, checkConditions, dataIdFor, formatValue, parseDataId } from './breakpoints';
import type {
  BreakpointResult, DataBreakpointRequest, DataTarget, DisassembledLine, EvaluateResult, EventFilterRequest, FrameInfo, InstructionBreakpointRequest,
  LineBreakpointRequest, Runtime, ScopeInfo, SourceRef, StepKind, StopInfo, ThreadInfo, TimelineItem, TimelineView,
} from './contract';
import { DmaObservation, DmaThread, FETCHING, SMMU_WALK } from './dma-observation';
import { disassembleAround, previousStart } from './disassembly';
import { ExpressionContext, evaluateExpression } from './expression';
import { Checkpoint, History } from './history';
import { DEFAULT_MAX_CYCLES, UserError, LaunchOptions, ScenarioLaunch, attachScriptedPeripherals } from './launch';
import { DebugMachine, MachineSnapshot, createDefaultMachine, createPlatformMachine, debugMachineOf, tickTraceRecorder } from './machine';
import { DebugProgram } from './program';
import { startingProgram } from '../../server/pl330/program-load';

/** File access the runtime needs, passed in so the runtime runs anywhere. */
export interface FileAccess {
  readText(path: string): string;
  readBytes(path: string): Uint8Array;
}

/**
 * Reads a platform devicetree (.dts compiled, .dtb read) into a machine description; warnings go to `warn`. Without
 * a path: the VFIO_PLATFORM guide's platform.
 */
export type PlatformLoader = (path: string | undefined, warn: (line: string) => void) => PlatformDescription;

/** Continue, or step one thread: to its next instruction, or out of the loop it is in. */
type Motion = { readonly kind: 'continue' } | { readonly kind: 'step'; readonly thread: number; readonly out: boolean };

interface SavedState {
  readonly machine: MachineSnapshot;
  /** Threads that arrived at a new instruction at this boundary. */
  readonly arrived: Uint8Array;
}

/** Ticks between checkpoints while running, and how many checkpoints are kept (the reverse-execution window). */
const CHECKPOINT_INTERVAL = 1024;
const MAX_CHECKPOINTS = 2048;
/** Ticks run between two looks at the event loop (pause requests, new breakpoints). */
const SLICE_TICKS = 50_000;

/** A host program that drives the machine between waits on it (a scenario's process); it returns an exit status. */
export type HostProgram = ScenarioSteps<number>;

export class MicrocodeRuntime extends EventEmitter implements Runtime {
  private readonly dma: DmaObservation;
  private cycle = 0;
  private readonly history = new History<SavedState>(MAX_CHECKPOINTS);
  private codeBreakpoints: CodeBreakpoint[] = [];
  private instructionBreakpoints: CodeBreakpoint[] = [];
  private readonly breakpointsAt = new Map<number, CodeBreakpoint[]>();
  private nextBreakpointId = 1;
  /** Forward execution counts hits and prints logpoints; re-execution for reverse steps does neither. */
  private replaying = false;
  private running = false;
  private pauseRequested = false;
  /** What the host waits for while the machine runs; the session is over once the host has returned. */
  private hostWait: MachineWait | undefined;
  private finished = false;
  /** The DMA timeline, once asked for. */
  private recorder: MachineTraceRecorder | undefined;
  /** The furthest cycle the timeline recorded: after going back, re-execution up to it records nothing again. */
  private timelineHorizon = 0;

  /**
   * `program`: the launched .pl330 file; in a host session, the listing of the microcode the last channel started
   * runs (replaced when a channel starts where the listing has no instruction).
   */
  /** `hostMachine`: a scenario's machine, whose host model's register accesses the timeline shows. */
  private constructor(readonly options: LaunchOptions, readonly machine: DebugMachine, private program: DebugProgram, private readonly host?: HostProgram, private readonly hostMachine?: Machine) {
    super();
    this.dma = new DmaObservation(machine, 1, {
      output: (text) => this.emit('output', text, 'console'),
      trace: options.trace,
      everyTick: true,
      replaying: () => this.replaying,
      channelStarted: (t, pc) => {
        if (this.host && !this.program.locate(pc)) this.listMicrocode(t, pc);
      },
    });
  }

  /** Builds the machine, loads the program and memory, and starts the thread (DMAGO through the debug registers). */
  static launch(options: LaunchOptions, files: FileAccess, loadPlatform?: PlatformLoader): { runtime: MicrocodeRuntime; warnings: string[] } {
    const { program, warnings } = DebugProgram.load(options.program, readFile('program', () => files.readText(options.program)), options.config);
    const kind = options.thread === 'manager' ? 'manager' : 'channel';
    const entry = startingProgram(program.assembly.programs, { kind, at: options.entry });
    if (!entry) {
      const where = program.assembly.programs.filter((p) => p.kind === kind).map((p) => hexAddress(p.base)).join(', ');
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
    const runtime = new MicrocodeRuntime(options, machine, program);
    runtime.dma.readThreads();
    runtime.dma.arrived.fill(1);
    runtime.checkpoint();
    return { runtime, warnings };
  }

  /**
   * A scenario's machine, run by its host program (the VFIO test's process); the threads are the platform's DMACs,
   * the entry is channel 0 of the scenario's device once the program has started it.
   */
  static launchScenario(launch: ScenarioLaunch, loadPlatform: PlatformLoader, host: (machine: Machine) => HostProgram): { runtime: MicrocodeRuntime; warnings: string[] } {
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
    const runtime = new MicrocodeRuntime(options, debugMachineOf(machine), DebugProgram.empty(options.program), host(machine), machine);
    runtime.dma.readThreads();
    return { runtime, warnings };
  }

  /** The thread the launch started (where the entry stop is reported). */
  private get startThread(): DmaThread {
    return this.dma.threads.find((t) => t.dmac === this.options.dmac && t.ref === this.options.thread)!;
  }

  start(): void {
    this.dma.attach();
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

  /** Each binds to its line's instruction or the next one; only the program (or the current listing) has code. */
  setLineBreakpoints(source: SourceRef, requests: readonly LineBreakpointRequest[]): BreakpointResult[] {
    const program = this.program;
    const listing = program.text !== undefined;
    const empty = program.instructionStarts().length === 0;
    if (source.path !== program.path || (listing && empty)) {
      const message = !listing ? `only ${program.path.split('/').pop()}, the launched program, has code`
        : empty ? 'the scenario has started no microcode yet: stop on entry, then set breakpoints in its listing (or instruction breakpoints at IOVAs)'
          : `only ${program.path}, the listing of the microcode the scenario runs, has code`;
      return requests.map(() => ({ id: this.nextBreakpointId++, verified: false, message }));
    }
    const results: BreakpointResult[] = [];
    const breakpoints: CodeBreakpoint[] = [];
    for (const r of requests) {
      const id = this.nextBreakpointId++;
      const insn = this.program.bindLine(r.line);
      const problem = checkConditions(r.condition, r.hitCondition, this.expressionContext(this.startThread));
      if (!insn || typeof problem === 'string') {
        results.push({ id, verified: false, line: r.line, source: this.source(), message: typeof problem === 'string' ? problem : 'no instruction on or after this line' });
        continue;
      }
      breakpoints.push({ id, address: insn.address, kind: 'source', condition: r.condition, hitCondition: problem, logMessage: r.logMessage, hits: 0 });
      results.push({ id, verified: true, line: insn.line, address: insn.address, source: this.source() });
    }
    this.codeBreakpoints = breakpoints;
    this.indexCodeBreakpoints();
    return results;
  }

  setInstructionBreakpoints(requests: readonly InstructionBreakpointRequest[]): BreakpointResult[] {
    const breakpoints: CodeBreakpoint[] = [];
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      const problem = checkConditions(r.condition, r.hitCondition, this.expressionContext(this.startThread));
      if (typeof problem === 'string') return { id, verified: false, address: r.address, message: problem };
      breakpoints.push({ id, address: r.address >>> 0, kind: 'instruction', condition: r.condition, hitCondition: problem, hits: 0 });
      const line = this.program.locate(r.address)?.line;
      return { id, verified: true, address: r.address >>> 0, line, source: line === undefined ? undefined : this.source() };
    });
    this.instructionBreakpoints = breakpoints;
    this.indexCodeBreakpoints();
    return results;
  }

  dataBreakpointInfo(name: string, bytes?: number): DataTarget {
    const dataId = dataIdFor(name, bytes);
    return dataId
      ? { dataId, description: `DMA access to ${dataId.replace(/:(\d+)$/, ' ($1 bytes)').replace(':', ' ')}`, accessTypes: ['read', 'write', 'readWrite'] }
      : { dataId: null, description: `'${name}' is not an address or ADDRESS:LENGTH (prefix 'iova' for the address the DMAC issues)` };
  }

  setDataBreakpoints(requests: readonly DataBreakpointRequest[]): BreakpointResult[] {
    const breakpoints: DataBreakpoint[] = [];
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      try {
        const { space, start, length } = parseDataId(r.dataId);
        if (space === 'virtual') return { id, verified: false, message: 'a PL330 program has no CPU: watch physical addresses or IOVAs' };
        const problem = checkConditions(r.condition, r.hitCondition, this.expressionContext(this.startThread));
        if (typeof problem === 'string') return { id, verified: false, message: problem };
        breakpoints.push({ id, space, start, length, access: r.access ?? 'write', condition: r.condition, hitCondition: problem, hits: 0 });
        return { id, verified: true, address: start };
      } catch (error) {
        return { id, verified: false, message: (error as Error).message };
      }
    });
    this.dma.setDataBreakpoints(breakpoints);
    return results;
  }

  setEventFilters(requests: readonly EventFilterRequest[]): void {
    this.dma.setFilters(requests);
  }

  private indexCodeBreakpoints(): void {
    this.breakpointsAt.clear();
    for (const bp of [...this.codeBreakpoints, ...this.instructionBreakpoints]) {
      const list = this.breakpointsAt.get(bp.address) ?? [];
      list.push(bp);
      this.breakpointsAt.set(bp.address, list);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Execution

  continue(): void {
    this.resume({ kind: 'continue' });
  }

  /** One instruction of a thread (other threads run alongside), or out of its innermost loop (`out`). */
  step(threadId: number, kind: StepKind): void {
    this.resume({ kind: 'step', thread: this.indexOf(threadId), out: kind === 'out' });
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
          if (this.host && (this.hostWait?.until?.() || this.dma.idle())) {
            if (this.proceedHost()) return;
            continue;
          }
          if (this.dma.idle()) return this.stopIdle(motion);
          if (this.cycle >= end) break;
          this.advance();
          const stop = this.check() ?? this.stepDone(motion, outOf);
          if (stop) return this.stopAt(stop);
        }
        if (this.pauseRequested) return this.stopAt({ reason: 'pause', threadId: this.motionThread(motion).id });
        if (this.cycle >= limit) {
          return this.stopAt({ reason: 'pause', threadId: this.motionThread(motion).id, description: `ran ${this.options.maxCycles} cycles without stopping (maxCycles)` });
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
    this.dma.clearReports();
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
    this.dma.readThreads();
    const stop = this.check();
    if (stop) this.stopAt(stop);
    return stop !== undefined;
  }

  /** One tick of the machine, then which threads arrived at a new instruction or halted. */
  private advance(): void {
    if (this.recorder && !this.recorder.attached && !this.replaying && this.cycle >= this.timelineHorizon) this.recorder.attach();
    this.dma.clearReports();
    this.machine.tick();
    this.cycle++;
    this.dma.readThreads();
    if (!this.replaying && this.cycle % CHECKPOINT_INTERVAL === 0) this.checkpoint();
  }

  /** A reason to stop at this boundary: an event filter, a data breakpoint, then a code breakpoint. */
  private check(): StopInfo | undefined {
    const event = this.dma.eventStop();
    if (event) return event;
    const dma = this.dma;
    const dataHit = dma.dataHits.length ? dma.dataHits.find((h) => this.stops(h.breakpoint, dma.threads[h.thread])) : undefined;
    if (dataHit) {
      return { reason: 'data breakpoint', threadId: dma.threads[dataHit.thread].id, description: dataHit.text, breakpointIds: [dataHit.breakpoint.id] };
    }
    if (this.breakpointsAt.size === 0) return undefined;
    for (let i = 0; i < dma.threads.length; i++) {
      if (!dma.arrived[i] || !FETCHING.has(dma.states[i])) continue;
      const list = this.breakpointsAt.get(dma.pcs[i]);
      if (!list) continue;
      const hit = list.filter((bp) => this.stops(bp, dma.threads[i]));
      if (hit.length === 0) continue;
      const reason = hit.some((bp) => bp.kind === 'source') ? 'breakpoint' : 'instruction breakpoint';
      return { reason, threadId: dma.threads[i].id, breakpointIds: hit.map((bp) => bp.id) };
    }
    return undefined;
  }

  private stops(bp: CodeBreakpoint | DataBreakpoint, thread: DmaThread): boolean {
    return breakpointStops(bp, this.expressionContext(thread), {
      replaying: this.replaying,
      log: (text) => {
        const line = 'address' in bp ? this.program.locate(bp.address)?.line : undefined;
        this.emit('output', text, 'console', line === undefined ? undefined : this.source(), line);
      },
      problem: (text) => this.emit('output', text, 'stderr'),
    });
  }

  private stepDone(motion: Motion, outOf: { start: number; end: number } | undefined): StopInfo | undefined {
    if (motion.kind !== 'step') return undefined;
    const i = motion.thread;
    const dma = this.dma;
    if (dma.halted[i]) return { reason: 'step', threadId: dma.threads[i].id };
    if (!dma.arrived[i]) return undefined;
    if (outOf && dma.pcs[i] >= outOf.start && dma.pcs[i] <= outOf.end) return undefined;
    return { reason: 'step', threadId: dma.threads[i].id };
  }

  /** The loop a step out leaves: the innermost around the thread's pc; none means run until the thread halts. */
  private loopOf(thread: number): { start: number; end: number } {
    const loop = this.program.loopAround(this.dma.pcs[thread]);
    return loop ? { start: loop.bodyStart, end: loop.endAddress! } : { start: 0, end: 0xffffffff };
  }

  private motionThread(motion: Motion): DmaThread {
    return motion.kind === 'step' ? this.dma.threads[motion.thread] : this.startThread;
  }

  /** Nothing can run: the end when every thread stopped, else a stop that says who waits or faulted. */
  private stopIdle(motion: Motion): void {
    const stuck = this.dma.stuck();
    if (stuck.length === 0) {
      this.running = false;
      this.checkpoint();
      this.emit('end');
      return;
    }
    const first = stuck.find((s) => s.thread === this.motionThread(motion)) ?? stuck[0];
    this.stopAt({ reason: 'exception', threadId: first.thread.id, description: 'nothing left to run', text: `nothing can run: ${stuck.map((s) => s.text).join('; ')}` });
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
    this.history.record(this.cycle, () => ({ machine: this.machine.snapshot(), arrived: this.dma.arrived.slice() }));
  }

  /** Back to the previous instruction of a thread (from a fault: the instruction before the faulting one). */
  stepBack(threadId: number): void {
    const i = this.indexOf(threadId);
    const pc = this.dma.pcs[i];
    this.reverse(() => (this.dma.arrived[i] && this.dma.pcs[i] !== pc ? { reason: 'step', threadId } : undefined));
  }

  /** Back to the last boundary where a breakpoint or event filter would have stopped. */
  reverseContinue(): void {
    this.reverse(() => this.check());
  }

  private reverse(stopsAt: () => StopInfo | undefined): void {
    if (this.host) throw new UserError('a scenario session cannot run backwards: the state of its program and host kernel is not recorded');
    if (this.running) return;
    this.running = true;
    this.pauseTimeline();
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
    this.dma.forgetStates(); // read every thread afresh, stopped ones included
    this.dma.readThreads();
    this.dma.arrived.set(c.state.arrived);
    this.dma.halted.fill(0);
  }

  /** A change from outside (memory written by the user) starts a new history here: older states no longer lead here. */
  private restartHistory(): void {
    if (this.recorder && this.cycle < this.timelineHorizon) {
      // The recorded future no longer follows (and the past no longer leads here): the timeline starts again here.
      this.recorder.detach();
      this.startTimeline(false);
    }
    this.history.clear();
    this.checkpoint();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Inspection

  /** Ticks run since the launch. */
  get cycles(): number {
    return this.cycle;
  }

  threads(): ThreadInfo[] {
    return this.dma.threads.map(({ id, name }) => ({ id, name }));
  }

  private thread(threadId: number): DmaThread {
    return this.dma.threads[this.indexOf(threadId)];
  }

  /** One frame per thread: the instruction at its PC with its state, e.g. `DMALD (Executing)`, on its source line. */
  frames(threadId: number): FrameInfo[] {
    const i = this.indexOf(threadId);
    const t = this.dma.threads[i];
    const pc = this.dma.pcs[i];
    // A thread that ended points past its DMAEND: show it at the DMAEND.
    const ended = this.dma.states[i] === ChannelState.Stopped && !this.program.locate(pc);
    const shown = ended ? previousStart(this.program.instructionStarts(), pc) : pc;
    const where = this.program.locate(shown);
    return [{
      id: threadId, pc, name: `${this.dma.instructionText(t.dmac, shown)} (${this.dma.describeState(t)})`,
      source: where ? this.source() : undefined, line: where?.line, column: where?.col,
    }];
  }

  scopes(frameId: number): ScopeInfo[] {
    return this.dma.scopes(this.thread(frameId));
  }

  /** In a thread's context: its registers by short name (SAR, LC0, PC), every TRM register, symbols; `smmu walk`. */
  evaluate(expression: string, frameId?: number): EvaluateResult {
    const t = frameId === undefined ? this.startThread : this.thread(frameId);
    const walk = SMMU_WALK.exec(expression);
    if (walk) return { result: this.dma.smmuWalk(t, evaluateExpression(walk[1], this.expressionContext(t)), walk[2] === 'write') };
    const value = evaluateExpression(expression, this.expressionContext(t));
    return { result: formatValue(value), memoryReference: value >= 0 && value <= 0xffffffff ? value : undefined };
  }

  private expressionContext(t: DmaThread): ExpressionContext {
    return {
      value: (name) => {
        if (name.toUpperCase() === 'CYCLE') return this.cycle;
        return this.program.symbol(name) ?? this.dma.registerValue(t, name);
      },
      readMemory: (address, size) => {
        const buf = new Uint8Array(size);
        if (this.machine.bus.physicalRead(address, buf, 0, size) !== BusResponse.Okay) return undefined;
        return buf.reduceRight((v, b) => v * 256 + b, 0);
      },
    };
  }

  /** Physical memory, up to the first address where nothing is mapped. */
  readMemory(address: number, length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    let readable = 0;
    while (readable < length) {
      const chunk = Math.min(length - readable, 4096 - ((address + readable) % 4096));
      if (this.machine.bus.physicalRead(address + readable, bytes, readable, chunk) !== BusResponse.Okay) break;
      readable += chunk;
    }
    return bytes.subarray(0, readable);
  }

  writeMemory(address: number, bytes: Uint8Array): number {
    if (this.machine.bus.physicalWrite(address, bytes, 0, bytes.length) !== BusResponse.Okay) {
      throw new UserError(`cannot write ${bytes.length} byte(s) at ${hexAddress(address)}: nothing is mapped there`);
    }
    this.restartHistory();
    return bytes.length;
  }

  // -------------------------------------------------------------------------------------------------------------
  // The DMA timeline

  timeline(): TimelineView {
    if (!this.recorder) this.startTimeline(true);
    const now = this.timeOfCycle(this.cycle);
    const end = Math.max(now, this.timeOfCycle(this.timelineHorizon));
    return { recorder: this.recorder!, end, otherData: { cycles: Math.max(this.cycle, this.timelineHorizon) }, now: traceTime(now) };
  }

  /** Where the launch's DMAC is at a tick of the session, in picoseconds. */
  private timeOfCycle(cycle: number): number {
    const d = this.options.dmac;
    return (this.machine.dmacs[d].cycle + cycle - this.cycle) * this.machine.periods[d];
  }

  /** With `fromHistory`, from the oldest checkpoint on (the machine is deterministic: re-executing records what
   * happened); else, and in a scenario, whose host keeps no history, from now on. */
  private startTimeline(fromHistory: boolean): void {
    const recorder = (this.recorder = tickTraceRecorder(this.machine));
    if (this.hostMachine) traceHostDeviceAccesses(this.hostMachine, recorder, () => this.timeOfCycle(this.cycle));
    const target = this.cycle;
    if (!fromHistory || this.host || !this.history.oldest) {
      recorder.attach();
      this.timelineHorizon = target;
      return;
    }
    this.replaying = true;
    try {
      this.restore(this.history.oldest);
      recorder.attach();
      while (this.cycle < target) this.advance();
    } finally {
      this.replaying = false;
    }
    this.timelineHorizon = target;
  }

  /** Going back: the timeline keeps what it recorded and records again past its horizon. */
  private pauseTimeline(): void {
    if (!this.recorder?.attached) return;
    this.timelineHorizon = Math.max(this.timelineHorizon, this.cycle);
    this.recorder.detach();
  }

  timelineSource(item: TimelineItem): { source: SourceRef; line: number } | undefined {
    if (item.pid < DMAC_PID_BASE || item.pid >= SMMU_PID_BASE) return undefined;
    const where = this.program.locate(item.pc);
    return where && { source: this.source(), line: where.line };
  }

  /** Code as the launch's DMAC fetches it. */
  private readBytes(address: number, length: number): Uint8Array {
    return this.dma.readCode(this.options.dmac, address, length);
  }

  /** The listing of the microcode a channel starts at `pc`: from there to its first DMAEND. */
  private listMicrocode(t: DmaThread, pc: number): void {
    this.program = DebugProgram.fromMemory((a, n) => this.dma.readCode(t.dmac, a, n), pc, this.machine.dmacs[t.dmac].config);
  }

  disassemble(address: number, offset: number, count: number): DisassembledLine[] {
    return disassembleAround((a, n) => this.readBytes(a, n), this.program, address, offset, count)
      .map((l) => ({ ...l, source: l.line === undefined ? undefined : this.source() }));
  }

  /** The program's source: its file, or the listing's text. */
  private source(): SourceRef {
    return { path: this.program.path, text: this.program.text };
  }

  private indexOf(threadId: number): number {
    const i = this.dma.indexOf(threadId);
    if (i < 0) throw new UserError(`no thread ${threadId}`);
    return i;
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
