// The kernel kind: a Linux kernel (or a bare-metal ELF) booted on the system machine as `dmalab boot` does, one
// debugger thread per CPU (`cpu0`, ...) beside the DMA threads. The machine runs at full speed between stops: the
// CPUs check breakpoints once per decoded block (a block holding one runs interpreted up to it), and a DMA event a
// ticked filter catches asks every CPU to halt after its current instruction, so the whole machine (CPUs, DMACs,
// timers, all on the one clock) stops at the instant of the event. A step runs one instruction on the stepped CPU
// alone; the other CPUs stay halted while the devices follow it on the clock (a halting debugger's view of an SMP
// system). Memory is read through the stopped CPU's MMU (virtual addresses; a `phys:` memory reference reads RAM
// physically), without filling its TLB, faulting or touching device registers.
import { EventEmitter } from 'node:events';
import { isAbsolute, resolve } from 'node:path';
import { disassembleAt } from '../../emulator/cpu/disasm';
import { BREAKPOINT_HALT } from '../../emulator/cpu/cpu';
import { MODE_NAMES, Mode, bankOf } from '../../emulator/cpu/modes';
import type { StopReason as CpuStop } from '../../emulator/cpu/state';
import type { SystemCpu } from '../../emulator/cpu/system';
import { WatchpointHit } from '../../emulator/cpu/watchpoints';
import { platformFromDtb } from '../../emulator/machine/from-dtb';
import { bootKernel, KernelFormatError, kernelFormat } from '../../emulator/machine/linux-boot';
import { PassthroughError, PassthroughGuest } from '../../emulator/machine/passthrough';
import { describeRunaway, findRunaway } from '../../emulator/machine/runaway';
import { SystemMachine, type SystemOutcome } from '../../emulator/machine/system';
import { machineTraceRecorder, type MachineTraceRecorder } from '../../emulator/machine/trace';
import { hexAddress } from '../../emulator/pl330/disasm';
import type { UnwindIndexRange } from '../../emulator/linux/unwind-index';
import { ChannelState } from '../../emulator/pl330/registers';
import { traceTime } from '../../emulator/trace/trace-events';
import { loadPlatformDtb } from '../../scenarios/platform';
import { type CodeBreakpoint, breakpointStops, checkConditions, formatValue, lineEntries } from './breakpoints';
import type {
  BreakpointResult, DataBreakpointRequest, DataTarget, DisassembledLine, EvaluateResult, EventFilterRequest, FrameInfo, FunctionBreakpointRequest,
  InstructionBreakpointRequest, LineBreakpointRequest, Runtime, ScopeInfo, SourceRef, StepGranularity, StepKind, StopInfo, ThreadInfo, TimelineItem, TimelineView,
} from './contract';
import { frameId, frameThread } from './contract';
import { DmaObservation, type DmaThread, FETCHING, SMMU_WALK } from './dma-observation';
import { type ExpressionContext, evaluateExpression } from './expression';
import { LaunchProblems, UserError, integer } from './launch';
import { IdleCollection } from './idle-collection';
import { KernelConsole } from './kernel-console';
import { KernelReverse, type Trigger } from './kernel-reverse';
import { KernelSourceLines } from './kernel-source-lines';
import { KernelSymbols } from './kernel-symbols';
import { type KernelFrame, callerRegisters, locateUnwindIndex, unwindKernelStack } from './kernel-unwind';
import { KernelWatchpoints } from './kernel-watchpoints';
import { debugMachineOf } from './machine';
import type { FileAccess } from './microcode-runtime';
import { DebugProgram } from './program';
import { hex32, type VariableNode } from './views';

export interface KernelLaunch {
  /** Undefined only when the attribute was a mistake already among the launch's problems. */
  readonly kernel: string | undefined;
  /** A devicetree blob handed to the kernel, or a platform source (default: the VFIO_PLATFORM guide's). */
  readonly dtb?: string;
  readonly platform?: string;
  readonly initrd?: string;
  readonly append?: string;
  readonly cpus?: number;
  /** A System.map or vmlinux (default: the kernel image's own kallsyms). */
  readonly symbols?: string;
  /** Boot as a guest given these DMACs (Linux names), dmalab its hypervisor, as `dmalab boot --passthrough`. */
  readonly passthrough?: readonly string[];
  readonly stopOnEntry: boolean;
  readonly trace: boolean;
}

/** Launch attributes of a kernel session (`kernel` instead of `program`); relative paths are taken from `cwd`. Each
 * mistake goes into `problems` (its attribute is then left out), so that the launch names them all at once. */
export function parseKernelArguments(raw: Record<string, unknown>, cwd: string, problems: LaunchProblems): KernelLaunch {
  const file = (key: string): string | undefined => problems.check(() => {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') throw new UserError(`'${key}' must name a file (got ${JSON.stringify(value)})`);
    return isAbsolute(value) ? value : resolve(cwd, value);
  });
  if (raw.program !== undefined) problems.add("give either 'program' or 'kernel', not both");
  if (raw.dtb !== undefined && raw.platform !== undefined) problems.add("give 'dtb' or 'platform', not both");
  if (raw.append !== undefined && typeof raw.append !== 'string') problems.add(`'append' must be the kernel command line, a string (got ${JSON.stringify(raw.append)})`);
  const passthrough = typeof raw.passthrough === 'string' ? raw.passthrough.split(',').filter((d) => d !== '') : raw.passthrough;
  if (passthrough !== undefined && (!Array.isArray(passthrough) || passthrough.length === 0 || passthrough.some((d) => typeof d !== 'string' || d === ''))) {
    problems.add(`'passthrough' must list the DMACs to assign, by their Linux names (e.g. ["2c0a0000.dma"]; got ${JSON.stringify(raw.passthrough)})`);
  }
  for (const key of ['stopOnEntry', 'trace'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean') problems.add(`'${key}' must be true or false (got ${JSON.stringify(raw[key])})`);
  }
  return {
    kernel: file('kernel'),
    dtb: file('dtb'),
    platform: file('platform'),
    initrd: file('initrd'),
    append: raw.append as string | undefined,
    cpus: raw.cpus === undefined ? undefined : problems.check(() => integer(raw.cpus, 'cpus', 1, 8)),
    symbols: file('symbols'),
    passthrough: passthrough as string[] | undefined,
    stopOnEntry: raw.stopOnEntry === true,
    trace: raw.trace === true,
  };
}

/** CPU threads have ids from 1 (cpu0 is 1); DMA threads from here. */
const FIRST_DMA_THREAD_ID = 1001;
/** Machine time one look at the event loop lets pass (ns): a pause gets in between two. */
const SLICE_NS = 2_000_000;
/** The longest a step of a CPU waiting for an interrupt waits for one (ns of machine time). */
const STEP_WAIT_NS = 10_000_000_000;
/** How far the disassembly reads back when asked for instructions before an address. */
const ARM_INSTRUCTION = 4;
/** DMAC events after which the filters are looked at (a state change, a start, an end, DMASEV, an interrupt, a fault). */
const FILTERED_KINDS = new Set(['state', 'channelStart', 'channelEnd', 'event', 'irq', 'fault']);
const PAGE = 4096;
/** The most DMAC cycles one instruction step of a channel runs (a burst waiting on a busy bus takes a few hundred). */
const DMA_STEP_CYCLES = 1_000_000;
/** The most instructions a step into the next source line runs one by one (a line looping on itself). */
const LINE_STEP_INSTRUCTIONS = 1024;

/** A continue, or a run until the CPU reaches one of `addresses` where `arrived` holds (a step over a call or a line,
 * out of a function), then stops there, or goes on with `then` (a step into the next line, past a handler). */
type RunMode = { kind: 'continue' } | { kind: 'until'; cpu: number; addresses: ReadonlySet<number>; arrived: () => boolean; then?: () => void };

interface FunctionBreakpoint {
  readonly name: string;
  readonly breakpoint: CodeBreakpoint;
}

export class KernelRuntime extends EventEmitter implements Runtime {
  private readonly dma: DmaObservation;
  private instructionBreakpoints: CodeBreakpoint[] = [];
  private functionBreakpoints: FunctionBreakpoint[] = [];
  /** Per source path, the line breakpoints set there (each at the addresses its line is entered). */
  private readonly lineBreakpoints = new Map<string, CodeBreakpoint[]>();
  private readonly breakpointsAt = new Map<number, CodeBreakpoint[]>();
  private nextBreakpointId = 1;
  /** The CPU the last stop was on: memory and expressions use its MMU and registers by default. */
  private focus = 0;
  private running = false;
  private pauseRequested = false;
  private ended = false;
  /** The guest's console: its output shown once, its input typed (kernel-console.ts). */
  private readonly console: KernelConsole;
  /** The session's history: what step back and reverse continue rebuild (kernel-reverse.ts). */
  private readonly reverse: KernelReverse;
  /** The DMA event whose filter halted the machine in the run under way. */
  private trigger: Trigger | undefined;
  private unobserveDmacs: (() => void)[] = [];
  /** Whether any DMA event filter is ticked (until the client says, the default ones are). */
  private filtering = true;
  /** Per DMA thread index, the listing of the microcode it started last. */
  private readonly listings = new Map<number, DebugProgram>();
  /** Where each listing starts (listed again from there at an earlier instant, where memory may hold other code). */
  private readonly listingStarts = new Map<number, number>();
  private recorder: MachineTraceRecorder | undefined;
  private readonly watchpoints: KernelWatchpoints;
  /** The garbage of a run, collected once the session has stayed stopped a while. */
  private readonly idleCollection = new IdleCollection();

  private constructor(
    readonly options: KernelLaunch & { readonly kernel: string }, private readonly system: SystemMachine, readonly symbols: KernelSymbols,
    private readonly lines: KernelSourceLines | undefined, private readonly unwindIndex: UnwindIndexRange | undefined,
  ) {
    super();
    this.console = new KernelConsole(system, (text) => this.emit('output', text, 'stdout'));
    this.dma = new DmaObservation(debugMachineOf(system.machine), FIRST_DMA_THREAD_ID, {
      output: (line) => this.emit('output', line, 'console'),
      trace: options.trace,
      everyTick: false,
      replaying: () => this.reverse.replaying,
    });
    this.dma.readThreads();
    this.watchpoints = new KernelWatchpoints({
      cpus: system.cpus, dmacs: this.dma.machine.dmacs, bus: system.machine.bus, dma: this.dma,
      cpuContext: (index) => this.cpuContext(index), dmaContext: (thread) => this.dmaContext(this.dma.threads[thread]),
      reports: () => this.reports(), cpuThreadId: (index) => this.cpuThreadId(index),
    });
    this.reverse = this.reverseHost();
  }

  /** The session for `options`: the files are read and checked first, every problem found (with those already in
   * `problems`, from the attributes) reported in one error. */
  static launch(options: KernelLaunch, files: FileAccess, warn: (line: string) => void, problems = new LaunchProblems()): KernelRuntime {
    const read = (attribute: string, path: string): Uint8Array => {
      try {
        return files.readBytes(path);
      } catch (error) {
        throw new UserError(`'${attribute}': ${(error as Error).message}`);
      }
    };
    const kernel = options.kernel === undefined ? undefined : problems.check(() => {
      const bytes = read('kernel', options.kernel!);
      try {
        kernelFormat(bytes);
      } catch (error) {
        if (error instanceof KernelFormatError) throw new UserError(`'kernel': ${options.kernel}: ${error.message}`);
        throw error;
      }
      return bytes;
    });
    const machine = problems.check(() => {
      try {
        const dtb = options.dtb !== undefined ? read('dtb', options.dtb) : loadPlatformDtb(options.platform, warn);
        return { dtb, platform: platformFromDtb(dtb) };
      } catch (error) {
        if (error instanceof UserError) throw error;
        throw new UserError(`'${options.dtb ? 'dtb' : 'platform'}': ${(error as Error).message}`);
      }
    });
    if (machine !== undefined && options.cpus !== undefined && options.cpus > machine.platform.gic.config.cpus) {
      problems.add(`'cpus': ${options.cpus} CPUs, but the platform's GIC has ${machine.platform.gic.config.cpus} CPU interfaces`);
    }
    const initrd = options.initrd === undefined ? undefined : problems.check(() => read('initrd', options.initrd!));
    const symbolsFile = options.symbols === undefined ? undefined : problems.check(() => ({ path: options.symbols!, bytes: read('symbols', options.symbols!) }));
    problems.throwIfAny();
    // With no problem, every file read.
    const [path, image, { dtb, platform }] = [options.kernel!, kernel!, machine!];
    const symbols = KernelSymbols.load(image, path, symbolsFile, warn);
    const lines = KernelSourceLines.load({ path, bytes: image }, symbolsFile);
    const unwindIndex = locateUnwindIndex(image, symbolsFile?.bytes, symbols);
    const devices = options.passthrough;
    // The hypervisor's log (an SMMU fault it takes): the launch's warnings, then the Debug Console.
    let log = warn;
    let system: SystemMachine;
    try {
      system = new SystemMachine(platform, { cpus: options.cpus, guest: devices && ((machine) => new PassthroughGuest(machine, dtb, { devices, log: (line) => log(line) })) });
    } catch (error) {
      if (error instanceof PassthroughError) throw new UserError(`'passthrough': ${error.message}`);
      throw error;
    }
    if (system.guest instanceof PassthroughGuest) for (const line of system.guest.describe()) warn(line);
    try {
      bootKernel(system, { kernel: image, dtb: system.guest?.dtb ?? dtb, initrd, bootargs: options.append });
    } catch (error) {
      throw new UserError(`'kernel': ${(error as Error).message}`);
    }
    const runtime = new KernelRuntime({ ...options, kernel: path }, system, symbols, lines, unwindIndex);
    log = (line) => runtime.emit('output', `dmalab: ${line}\n`, 'console');
    return runtime;
  }

  start(): void {
    this.dma.attach();
    this.observeDmacs();
    if (this.options.stopOnEntry) this.stop({ reason: 'entry', threadId: this.cpuThreadId(0) });
    else this.resume({ kind: 'continue' });
  }

  /** The machine's time now (ns). */
  get machineTime(): number {
    return this.system.time;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Threads

  threads(): ThreadInfo[] {
    return [...this.system.cpus.map((_, i) => ({ id: this.cpuThreadId(i), name: `cpu${i}` })), ...this.dma.threads.map(({ id, name }) => ({ id, name }))];
  }

  private cpuThreadId(index: number): number {
    return index + 1;
  }

  private thread(threadId: number): { cpu: number } | { dma: DmaThread } {
    const dma = this.dma.indexOf(threadId);
    if (dma >= 0) return { dma: this.dma.threads[dma] };
    const cpu = threadId - 1;
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.system.cpus.length) throw new UserError(`no thread ${threadId}`);
    return { cpu };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Breakpoints

  /** Where the line is entered in each function holding it (the kernel's DWARF line table, from a vmlinux). */
  setLineBreakpoints(source: SourceRef, requests: readonly LineBreakpointRequest[]): BreakpointResult[] {
    const bound: CodeBreakpoint[] = [];
    const file = source.path.split('/').pop();
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      if (!this.lines) {
        return { id, verified: false, line: r.line, message: `no source lines in this session (${file}): give 'symbols', a vmlinux built with debug information, or set function breakpoints on kernel symbols` };
      }
      const resolved = this.lines.resolve(source.path, r.line + 1);
      if (!resolved) return { id, verified: false, line: r.line, message: `no code at or after line ${r.line + 1} of ${file} in ${this.lines.origin}` };
      const problem = checkConditions(r.condition, r.hitCondition, this.cpuContext(this.focus));
      if (typeof problem === 'string') return { id, verified: false, source, line: resolved.line - 1, message: problem };
      const addresses = lineEntries(resolved.addresses, (a) => this.symbols.functionAt(a)?.address);
      for (const address of addresses) bound.push({ id, address, kind: 'source', condition: r.condition, hitCondition: problem, logMessage: r.logMessage, hits: 0 });
      return { id, verified: true, source, line: resolved.line - 1, address: addresses[0] };
    });
    this.lineBreakpoints.set(source.path, bound);
    this.indexBreakpoints();
    return results;
  }

  setInstructionBreakpoints(requests: readonly InstructionBreakpointRequest[]): BreakpointResult[] {
    this.instructionBreakpoints = [];
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      const address = r.address >>> 0;
      if (address % 2 !== 0) return { id, verified: false, address, message: `${hex32(address)} is not an instruction address (odd)` };
      const problem = checkConditions(r.condition, r.hitCondition, this.cpuContext(this.focus));
      if (typeof problem === 'string') return { id, verified: false, address, message: problem };
      this.instructionBreakpoints.push({ id, address, kind: 'instruction', condition: r.condition, hitCondition: problem, hits: 0 });
      return { id, verified: true, address };
    });
    this.indexBreakpoints();
    return results;
  }

  /** On every address the symbol names (static functions of several files may share a name). */
  setFunctionBreakpoints(requests: readonly FunctionBreakpointRequest[]): BreakpointResult[] {
    this.functionBreakpoints = [];
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      const name = r.name.trim();
      const addresses = this.symbols.addresses(name);
      if (addresses.length === 0) {
        const why = this.symbols.size === 0 ? `the session has no kernel symbols (${this.symbols.origin})` : `no symbol '${name}' in ${this.symbols.origin} (inlined, or not in this kernel)`;
        return { id, verified: false, message: why };
      }
      const problem = checkConditions(r.condition, r.hitCondition, this.cpuContext(this.focus));
      if (typeof problem === 'string') return { id, verified: false, message: problem };
      for (const address of addresses) {
        this.functionBreakpoints.push({ name, breakpoint: { id, address, kind: 'instruction', condition: r.condition, hitCondition: problem, hits: 0 } });
      }
      return { id, verified: true, address: addresses[0] };
    });
    this.indexBreakpoints();
    return results;
  }

  private indexBreakpoints(): void {
    this.breakpointsAt.clear();
    const all = [...this.instructionBreakpoints, ...this.functionBreakpoints.map((f) => f.breakpoint), ...[...this.lineBreakpoints.values()].flat()];
    for (const bp of all) {
      const list = this.breakpointsAt.get(bp.address) ?? [];
      list.push(bp);
      this.breakpointsAt.set(bp.address, list);
    }
  }

  /** A kernel symbol, an address or a register's value (virtual: every CPU's accesses), `phys:ADDRESS` (CPUs and
   * DMA), `iova ADDRESS` (DMA); `:LENGTH` after it (kernel-watchpoints.ts). */
  dataBreakpointInfo(name: string, bytes?: number): DataTarget {
    return this.watchpoints.info(name, bytes, this.cpuContext(this.focus));
  }

  setDataBreakpoints(requests: readonly DataBreakpointRequest[]): BreakpointResult[] {
    return this.watchpoints.replace(requests, () => this.nextBreakpointId++, this.cpuContext(this.focus));
  }

  setEventFilters(requests: readonly EventFilterRequest[]): void {
    this.dma.setFilters(requests);
    this.filtering = requests.length > 0;
    this.observeDmacs();
  }

  /**
   * While any filter is ticked: each DMAC event that may change what a filter sees has the threads read at once, and
   * one the filters caught halts every CPU after its current instruction (the DMACs stop where they are: the machine
   * stops at the event's instant).
   */
  private observeDmacs(): void {
    for (const off of this.unobserveDmacs) off();
    this.unobserveDmacs = [];
    if (!this.filtering) return;
    for (const [d, dmac] of this.dma.machine.dmacs.entries()) {
      this.unobserveDmacs.push(dmac.observe((event) => {
        if (!FILTERED_KINDS.has(event.kind)) return;
        const scan = this.reverse.scan;
        if (this.reverse.replaying && scan === undefined) return;
        if (event.kind === 'channelStart' && scan === undefined) this.listMicrocode(this.dma.threads[this.dma.threadIndex(d, event.channel)], event.pc);
        this.dma.readThreads();
        if (this.dma.pending.length === 0) return;
        const trigger = { dmac: d, cycle: event.cycle };
        if (scan !== undefined) {
          // Re-executing for reverse continue: each stop the filters would make is recorded (or landed on).
          const halt = this.reverse.eventSeen(this.dma.eventStop()!, trigger);
          this.dma.clearReports();
          if (!halt) return;
        }
        this.trigger ??= trigger;
        for (const cpu of this.system.cpus) cpu.requestHalt();
      }));
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Execution

  continue(): void {
    this.resume({ kind: 'continue' });
  }

  /**
   * One instruction of the CPU (over a call: to its return, the other CPUs running meanwhile as in a continue), one
   * source line when the session has them (over: to the start of another line of the function or its return; in:
   * instruction by instruction to the next line start, a called function's first line included), out of the function
   * (to the return address of its caller's frame); or one instruction of a DMA channel (the CPUs halted meanwhile).
   */
  step(threadId: number, kind: StepKind, granularity: StepGranularity): void {
    const target = this.thread(threadId);
    if (this.ended) throw new UserError('the kernel has ended');
    if (this.running) throw new UserError('the machine is running (pause it first)');
    if ('dma' in target) return this.stepDma(target.dma);
    const cpu = this.system.cpus[target.cpu];
    if (!cpu.powered) throw new UserError(`cpu${target.cpu} is off (not yet started by PSCI CPU_ON, or stopped)`);
    const sp = cpu.r[13] >>> 0;
    const caller = this.callStack(target.cpu)[1];
    if (kind === 'out') {
      if (caller) return this.resume({ kind: 'until', cpu: target.cpu, addresses: new Set([caller.pc]), arrived: () => cpu.r[13] >>> 0 >= caller.registers[13] });
      return this.resume({ kind: 'until', cpu: target.cpu, addresses: new Set([(cpu.r[14] & ~1) >>> 0]), arrived: () => cpu.r[13] >>> 0 > sp });
    }
    if (granularity === 'line' && this.lines?.locate(cpu.pc)) {
      if (kind === 'in') return this.stepLineIn(target.cpu, threadId);
      const fn = this.symbols.functionAt(cpu.pc);
      const addresses = new Set(fn ? this.lines.otherLineStarts(cpu.pc, fn.address, fn.end) : []);
      if (caller) addresses.add(caller.pc);
      // The same invocation of the function (its caller's SP), or back in the caller.
      const frame = caller?.registers[13];
      const arrived = (): boolean => frame === undefined || (cpu.pc === caller?.pc ? cpu.r[13] >>> 0 >= frame : this.callStack(target.cpu)[1]?.registers[13] === frame);
      return this.resume({ kind: 'until', cpu: target.cpu, addresses, arrived });
    }
    const current = disassembleAt((a) => this.readHalfword(target.cpu, a), cpu.pc, cpu.thumb, cpu.it);
    if (kind === 'over' && current !== undefined && /^blx?(?:[a-z]{2})?(?:\.[nw])? /.test(current.text)) {
      return this.resume({ kind: 'until', cpu: target.cpu, addresses: new Set([current.address + current.length]), arrived: () => cpu.r[13] >>> 0 >= sp });
    }
    this.focus = target.cpu;
    this.prepareResume();
    this.reverse.beginStep({ cpu: target.cpu });
    // A watched access whose condition does not hold is passed, not performed: the step then performs it.
    for (let attempt = 0; attempt < 2; attempt++) {
      const outcome = this.system.step(target.cpu, STEP_WAIT_NS);
      this.flushConsole();
      this.dma.readThreads();
      if (this.finish(outcome, { kind: 'continue' })) return;
      if (!(outcome?.kind === 'stopped' && outcome.stop.kind === 'fault' && outcome.stop.cause instanceof WatchpointHit)) break;
    }
    const event = this.dma.eventStop();
    this.dma.clearReports();
    this.stop(event ?? { reason: 'step', threadId });
  }

  /**
   * Instruction by instruction to the start of another source line (a called function's first line, or the caller's
   * next one), each instruction a step of the history (step back undoes them one by one); code without lines (a
   * function of assembly) and an interrupt's handler run to their return as a run, and the stepping goes on there. At most LINE_STEP_INSTRUCTIONS, then it stops where it is. A
   * breakpoint, a DMA event or a CPU stop on the way is the stop instead.
   */
  private stepLineIn(index: number, threadId: number, from = this.lines!.locate(this.system.cpus[index].pc)): void {
    const lines = this.lines!;
    const cpu = this.system.cpus[index];
    const mode = cpu.mode;
    this.focus = index;
    for (let i = 0; i < LINE_STEP_INSTRUCTIONS; i++) {
      if (i > 0) this.reverse.stopped({ reason: 'step', threadId });
      this.prepareResume();
      this.reverse.beginStep({ cpu: index });
      const sp = cpu.r[13] >>> 0;
      const outcome = this.system.step(index, STEP_WAIT_NS);
      this.flushConsole();
      this.dma.readThreads();
      if (this.finish(outcome, { kind: 'continue' })) return;
      if (cpu.mode !== mode && (cpu.mode === Mode.IRQ || cpu.mode === Mode.FIQ)) {
        // An interrupt taken on the way: its handler runs to its return to the interrupted instruction (lr - 4).
        const back = (cpu.r[14] - 4) >>> 0;
        this.reverse.stopped({ reason: 'step', threadId });
        const then = (): void => this.stepLineIn(index, threadId, from);
        return this.resume({ kind: 'until', cpu: index, addresses: new Set([back]), arrived: () => cpu.mode === mode && cpu.r[13] >>> 0 >= sp, then });
      }
      const row = lines.lineStartAt(cpu.pc);
      if (row && (lines.sourcePath(row.file) !== from?.source.path || row.line - 1 !== from.line)) break;
      const caller = lines.locate(cpu.pc) === undefined ? this.callStack(index)[1] : undefined;
      if (caller) {
        this.reverse.stopped({ reason: 'step', threadId });
        const then = (): void => this.stepLineIn(index, threadId, from);
        return this.resume({ kind: 'until', cpu: index, addresses: new Set([caller.pc]), arrived: () => cpu.r[13] >>> 0 >= caller.registers[13], then });
      }
    }
    const event = this.dma.eventStop();
    this.dma.clearReports();
    this.stop(event ?? { reason: 'step', threadId });
  }

  /**
   * One instruction of a DMA channel: its DMAC runs alone (its other channels with it, as the one device it is) until
   * the channel's PC moves or it stops fetching (a wait, its end, a fault); the CPUs stay halted where they are, the
   * machine's clock moves with the DMAC. Any DMA event a filter catches on the way is the stop instead.
   */
  private stepDma(t: DmaThread): void {
    if (t.ref === 'manager') throw new UserError(`${t.name} runs only the DMAGO/DMAKILL the driver writes to its debug registers: step a channel`);
    const dmac = this.dma.machine.dmacs[t.dmac];
    if (!FETCHING.has(dmac.threadState(t.ref))) throw new UserError(`${t.name} is not executing (${this.dma.describeState(t)}): continue the machine`);
    const pc = this.dma.pcOf(t);
    this.dma.clearReports();
    this.reverse.beginStep({ dma: t });
    const outcome = this.system.machine.run({ maxCycles: DMA_STEP_CYCLES, until: () => this.dma.pcOf(t) !== pc || !FETCHING.has(dmac.threadState(t.ref)) });
    // Halts the filters asked of the CPUs apply to the next run, which clears them.
    this.dma.readThreads();
    const event = this.dma.eventStop() ?? this.watchpoints.dmaStop();
    this.dma.clearReports();
    if (event) return this.stop(event);
    if (outcome === 'budget') throw new UserError(`${t.name} did not leave the instruction at ${hex32(pc)} in ${DMA_STEP_CYCLES} cycles`);
    this.stop({ reason: 'step', threadId: t.id });
  }

  /**
   * Back one instruction of the CPU, or of a DMA channel: the whole machine (CPUs, DMACs, timers, memory) as it was
   * then, from the nearest checkpoint before and re-execution (kernel-reverse.ts).
   */
  stepBack(threadId: number): void {
    const target = this.thread(threadId);
    this.checkStopped();
    this.rewound('dma' in target ? this.reverse.stepBackDma(target.dma) : this.reverse.stepBackCpu(target.cpu, threadId));
  }

  private checkStopped(): void {
    if (this.ended) throw new UserError('the kernel has ended');
    if (this.running) throw new UserError('the machine is running (pause it first)');
  }

  /** Back to the latest breakpoint hit, data breakpoint hit or DMA event (of the ticked filters) before now, or the
   * history's start. */
  reverseContinue(): void {
    this.checkStopped();
    this.rewound(this.reverse.reverseContinue(this.cpuThreadId(this.focus)));
  }

  /** The machine is at an earlier instant: the stop there (on the CPU it names, the focus). */
  private rewound(stop: StopInfo): void {
    const cpu = stop.threadId - 1;
    if (cpu >= 0 && cpu < this.system.cpus.length) this.focus = cpu;
    this.watchpoints.arrived(stop);
    for (const [index, start] of this.listingStarts) this.listMicrocode(this.dma.threads[index], start);
    this.flushConsole();
    this.dma.readThreads();
    this.dma.clearReports();
    this.stop(stop);
  }

  /** What the history needs of the session (kernel-reverse.ts). */
  private reverseHost(): KernelReverse {
    const runtime = this;
    const breakpointStopAt = (cpu: number): StopInfo | undefined => {
      const hit = (this.breakpointsAt.get(this.system.cpus[cpu].pc) ?? []).filter((bp) => breakpointStops(bp, this.cpuContext(cpu), { ...this.reports(), replaying: true }));
      return hit.length === 0 ? undefined : this.breakpointStop(cpu, hit);
    };
    return new KernelReverse({
      system: this.system,
      get transmitted() {
        return runtime.console.transmitted;
      },
      set transmitted(bytes: number) {
        runtime.console.transmitted = bytes;
      },
      breakpointAddresses: () => new Set(this.breakpointsAt.keys()),
      breakpointStop: breakpointStopAt,
      reverseStop: (stop) => {
        if (stop.reason === 'exception') return this.dma.filterTicked(stop.description) ? stop : undefined;
        if (stop.reason === 'data breakpoint') return this.watchpoints.stopAgain(stop);
        // A CPU at a breakpoint set now (which may be set again since: other ids), its condition holding.
        const cpu = stop.threadId - 1;
        return cpu >= 0 && cpu < this.system.cpus.length ? breakpointStopAt(cpu) : undefined;
      },
      pcOf: (t) => this.dma.pcOf(t),
      restored: () => {
        this.dma.forgetStates();
        this.dma.readThreads();
        this.dma.clearReports();
        this.watchpoints.refresh();
        this.watchpoints.forgetPasses();
      },
      unwatched: (run) => this.watchpoints.suspendedWhile(run),
      watched: (run, seen) => this.watchpoints.scanned(run, seen),
      watchStop: (cpu, hit) => this.watchpoints.scannedCpuStop(cpu, hit),
      passes: () => this.watchpoints.passes(),
      pass: (passes) => this.watchpoints.pass(passes),
    });
  }

  pause(): void {
    if (!this.running) return;
    this.pauseRequested = true;
    for (const cpu of this.system.cpus) cpu.requestHalt();
  }

  /** Every CPU leaves its stop; one at a breakpoint passes it once; the breakpoints apply again. */
  private prepareResume(): void {
    this.watchpoints.prepareResume();
    const addresses = new Set(this.breakpointsAt.keys());
    for (const cpu of this.system.cpus) {
      cpu.haltRequested = false;
      if (cpu.stop?.kind === 'halt') cpu.stop = null;
      cpu.passBreakpointAt = cpu.pc;
      cpu.breakpoints = addresses;
    }
    this.dma.clearReports();
  }

  private resume(mode: RunMode): void {
    if (this.ended) throw new UserError('the kernel has ended');
    if (this.running) throw new UserError('the machine is running (pause it first)');
    this.running = true;
    this.idleCollection.cancel();
    this.pauseRequested = false;
    this.prepareResume();
    this.reverse.beginRun();
    this.console.deliver();
    this.trigger = undefined;
    if (mode.kind === 'until') this.system.cpus[mode.cpu].breakpoints = new Set([...this.breakpointsAt.keys(), ...mode.addresses]);
    const slice = (): void => {
      const outcome = this.reverse.runSlice(SLICE_NS);
      this.flushConsole();
      if (this.finish(outcome, mode)) return;
      if (this.pauseRequested) return this.stop({ reason: 'pause', threadId: this.cpuThreadId(this.focus) });
      const runaway = findRunaway(this.system);
      if (runaway !== undefined) {
        this.focus = runaway.cpu;
        const text = describeRunaway(runaway);
        return this.stop({ reason: 'exception', threadId: this.cpuThreadId(runaway.cpu), description: text, text });
      }
      setImmediate(slice);
    };
    setImmediate(slice);
  }

  /**
   * What a run or a step ended with: the machine's end, a breakpoint, a DMA event, a pause, a CPU stop the guest
   * cannot handle. Returns whether the session stopped or ended; false: run on (a breakpoint whose condition does not
   * hold, the slice's time spent).
   */
  private finish(outcome: SystemOutcome | undefined, mode: RunMode): boolean {
    if (outcome?.kind === 'off' || outcome?.kind === 'reset') {
      this.running = false;
      this.ended = true;
      this.emit('output', `dmalab: the kernel ${outcome.kind === 'off' ? 'powered the machine off' : 'reset the machine'} (PSCI SYSTEM_${outcome.kind === 'off' ? 'OFF' : 'RESET'})\n`, 'console');
      this.idleCollection.cancel();
      this.emit('exited', 0);
      this.emit('end');
      return true;
    }
    this.dma.readThreads();
    const event = this.dma.eventStop() ?? this.watchpoints.dmaStop();
    if (event) {
      // The machine stopped at the event: every CPU is halted after its instruction (or was not running).
      this.dma.clearReports();
      this.stop(event);
      return true;
    }
    if (outcome?.kind !== 'stopped') return false;
    const cpu = this.system.cpus[outcome.cpu];
    this.focus = outcome.cpu;
    const threadId = this.cpuThreadId(outcome.cpu);
    const stop: CpuStop = outcome.stop;
    if (stop === BREAKPOINT_HALT) {
      const pc = cpu.pc;
      if (mode.kind === 'until' && mode.cpu === outcome.cpu && mode.addresses.has(pc) && mode.arrived()) {
        if (mode.then === undefined) this.stop({ reason: 'step', threadId });
        else {
          this.running = false;
          this.reverse.stopped({ reason: 'step', threadId });
          mode.then();
        }
        return true;
      }
      const hit = (this.breakpointsAt.get(pc) ?? []).filter((bp) => breakpointStops(bp, this.cpuContext(outcome.cpu), this.reports()));
      if (hit.length === 0) {
        cpu.stop = null;
        cpu.passBreakpointAt = pc;
        return false;
      }
      this.stop(this.breakpointStop(outcome.cpu, hit));
      return true;
    }
    if (stop.kind === 'fault' && stop.cause instanceof WatchpointHit) {
      const watched = this.watchpoints.cpuStop(outcome.cpu, stop.cause);
      if (watched === undefined) cpu.stop = null;
      else this.stop(watched);
      return watched !== undefined;
    }
    if (stop.kind === 'halt') {
      // A pause (or a DMA event already reported) halted it.
      cpu.stop = null;
      if (this.pauseRequested) {
        this.stop({ reason: 'pause', threadId });
        return true;
      }
      return false;
    }
    const text = `cpu${outcome.cpu} stopped at ${hex32(cpu.pc)}${this.where(cpu.pc)}: ${describeCpuStop(stop)}`;
    this.stop({ reason: 'exception', threadId, description: text, text });
    return true;
  }

  /** The stop of CPU `cpu` at breakpoints `hit`. */
  private breakpointStop(cpu: number, hit: readonly CodeBreakpoint[]): StopInfo {
    const named = this.functionBreakpoints.find((f) => hit.includes(f.breakpoint));
    const reason = named ? 'function breakpoint' : hit.some((bp) => bp.kind === 'source') ? 'breakpoint' : 'instruction breakpoint';
    return { reason, threadId: this.cpuThreadId(cpu), description: named && `${named.name} (cpu${cpu})`, breakpointIds: hit.map((bp) => bp.id) };
  }

  private reports(): { replaying: boolean; log(text: string): void; problem(text: string): void } {
    return { replaying: false, log: (text) => this.emit('output', text, 'console'), problem: (text) => this.emit('output', text, 'stderr') };
  }

  private stop(stop: StopInfo): void {
    this.running = false;
    this.reverse.stopped(stop, this.trigger ?? this.watchpoints.instantOf(stop));
    this.trigger = undefined;
    for (const cpu of this.system.cpus) cpu.breakpoints = undefined;
    this.flushConsole();
    this.idleCollection.stopped();
    this.emit('stopped', stop);
  }

  /** What the UART transmitted, to the Debug Console (as the kernel's console). */
  private flushConsole(): void {
    this.console.flush();
  }

  /** Bytes typed on the guest's console (dmalab/consoleInput, `> line` in the Debug Console): they reach the UART when
   * the machine next runs (a continue, a step over), recorded with the run, replayed by re-executions. */
  consoleInput(text: string): void {
    if (this.ended) throw new UserError('the kernel has ended');
    this.console.type(text, this.running);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Inspection

  /** A CPU's call stack unwound by the kernel's EHABI tables, each frame named `function+0xoffset` and on its source
   * line when the session has them (a caller's on the line of its call); a DMA thread's one frame on its microcode
   * listing's line. */
  frames(threadId: number): FrameInfo[] {
    const thread = this.thread(threadId);
    if ('dma' in thread) {
      const t = thread.dma;
      const pc = this.dma.pcOf(t);
      // The microcode from where the channel started (seen while a filter observes the DMACs), else from its PC.
      let listing = this.listings.get(this.dma.indexOf(threadId));
      const running = t.ref !== 'manager' && this.dma.machine.dmacs[t.dmac].threadState(t.ref) !== ChannelState.Stopped;
      if (listing?.locate(pc) === undefined && running) listing = this.listMicrocode(t, pc);
      const where = listing?.locate(pc);
      return [{
        id: threadId, pc, name: `${this.dma.instructionText(t.dmac, pc)} (${this.dma.describeState(t)})`,
        source: where && listing ? { path: listing.path, text: listing.text } : undefined, line: where?.line, column: where?.col,
      }];
    }
    return this.callStack(thread.cpu).map(({ pc }, depth) => {
      const where = this.lines?.locate(depth === 0 ? pc : pc - 1);
      const name = (depth === 0 ? this.symbols.describe(pc) : this.symbols.describeReturn(pc)) ?? hex32(pc);
      return { id: frameId(threadId, depth), pc, name, source: where?.source, line: where?.line, column: where?.column };
    });
  }

  /** CPU `index`'s call stack, innermost first (its stack read through its MMU). */
  private callStack(index: number): KernelFrame[] {
    const cpu = this.system.cpus[index];
    const read32 = (address: number): number | undefined => {
      const bytes = this.readVirtual(index, address, 4);
      return bytes.length < 4 ? undefined : (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
    };
    return unwindKernelStack(this.unwindIndex, [...Array.from(cpu.r).slice(0, 15), cpu.pc], read32, this.symbols.code);
  }

  /** A caller's frame shows the registers the unwinding restored; the banked registers and CP15 are the CPU's. */
  scopes(id: number): ScopeInfo[] {
    const { threadId, depth } = frameThread(id);
    const thread = this.thread(threadId);
    if ('dma' in thread) return this.dma.scopes(thread.dma);
    const cpu = this.system.cpus[thread.cpu];
    const caller = depth > 0 ? this.callStack(thread.cpu)[depth] : undefined;
    return [
      { name: 'Registers', variables: () => (caller ? callerRegisters(caller) : cpuRegisters(cpu)), expensive: false },
      { name: 'Banked registers', variables: () => bankedRegisters(cpu), expensive: false },
      { name: 'CP15', variables: () => cp15Registers(cpu), expensive: false },
    ];
  }

  /** Registers (r0-r15, sp, lr, pc, cpsr, spsr), kernel symbols (a name is its address) and memory through the MMU;
   * `smmu walk IOVA` in a DMA frame. */
  evaluate(expression: string, id?: number): EvaluateResult {
    const thread = id === undefined ? { cpu: this.focus } : this.thread(frameThread(id).threadId);
    const depth = id === undefined ? 0 : frameThread(id).depth;
    const walk = SMMU_WALK.exec(expression);
    if (walk) {
      const context = 'dma' in thread ? this.dmaContext(thread.dma) : this.cpuContext(thread.cpu, depth);
      return { result: this.dma.smmuWalk('dma' in thread ? thread.dma : this.dma.threads[0], evaluateExpression(walk[1], context), walk[2] === 'write') };
    }
    const value = evaluateExpression(expression, 'dma' in thread ? this.dmaContext(thread.dma) : this.cpuContext(thread.cpu, depth));
    const named = 'cpu' in thread ? this.where(value) : '';
    return { result: formatValue(value) + named, memoryReference: value >= 0 && value <= 0xffffffff ? value : undefined };
  }

  /** ` <start_kernel+0x10>` for an address in a kernel function, else nothing. */
  private where(address: number): string {
    const name = this.symbols.describe(address);
    return name === undefined ? '' : ` <${name}>`;
  }

  /** Registers (a caller's frame: as the unwinding restored them), symbols and memory through CPU `index`'s MMU. */
  private cpuContext(index: number, depth = 0): ExpressionContext {
    const cpu = this.system.cpus[index];
    const caller = depth > 0 ? this.callStack(index)[depth]?.registers : undefined;
    const named: Record<string, number> = { sp: 13, lr: 14, fp: 11, ip: 12 };
    return {
      value: (name) => {
        const lower = name.toLowerCase();
        const m = /^r(\d{1,2})$/.exec(lower);
        const register = m ? Number(m[1]) : lower === 'pc' ? 15 : named[lower];
        if (caller && register !== undefined && register < 16) return caller[register];
        if (lower === 'pc' || lower === 'r15') return cpu.pc;
        if (lower === 'cpsr') return cpu.cpsr;
        if (lower === 'spsr') return cpu.spsr;
        if (register !== undefined && register < 15) return cpu.r[register] >>> 0;
        return this.symbols.addresses(name)[0];
      },
      readMemory: (address, size) => {
        const bytes = this.readVirtual(index, address, size);
        return bytes.length < size ? undefined : bytes.reduceRight((v, b) => v * 256 + b, 0);
      },
    };
  }

  private dmaContext(t: DmaThread): ExpressionContext {
    return { value: (name) => this.dma.registerValue(t, name), readMemory: (address, size) => {
      const bytes = this.readPhysicalMemory(address, size);
      return bytes.length < size ? undefined : bytes.reduceRight((v, b) => v * 256 + b, 0);
    } };
  }

  /** Bytes at virtual addresses as CPU `index` translates them now (its MMU's walk, no TLB fill, no fault), RAM only. */
  private readVirtual(index: number, address: number, count: number): Uint8Array {
    const mmu = this.system.cpus[index].mmu;
    const out = new Uint8Array(count);
    let done = 0;
    while (done < count) {
      const at = (address + done) >>> 0;
      const chunk = Math.min(count - done, PAGE - (at % PAGE));
      const physical = mmu.probe(at);
      if (physical < 0 || this.readRam(physical, out, done, chunk) < chunk) break;
      done += chunk;
    }
    return out.subarray(0, done);
  }

  /** Copies RAM at `physical` (device registers are never read: reading some has effects); the bytes copied. */
  private readRam(physical: number, into: Uint8Array, offset: number, length: number): number {
    const bus = this.system.machine.bus;
    if (!bus.isRam(physical, length)) return 0;
    bus.memory.readBlock(physical, into, offset, length);
    return length;
  }

  private readHalfword(index: number, address: number): number | undefined {
    const bytes = this.readVirtual(index, address, 2);
    return bytes.length < 2 ? undefined : bytes[0] | (bytes[1] << 8);
  }

  readMemory(address: number, count: number): Uint8Array {
    return this.readVirtual(this.focus, address, count);
  }

  readPhysicalMemory(address: number, count: number): Uint8Array {
    const out = new Uint8Array(count);
    let done = 0;
    while (done < count) {
      const at = address + done;
      const chunk = Math.min(count - done, PAGE - (at % PAGE));
      if (this.readRam(at, out, done, chunk) < chunk) break;
      done += chunk;
    }
    return out.subarray(0, done);
  }

  /** Writes RAM at virtual addresses (the focused CPU's translation); decoded code there is dropped on every CPU. */
  writeMemory(address: number, bytes: Uint8Array): number {
    // The history before the write would undo it.
    this.reverse.forget();
    const mmu = this.system.cpus[this.focus].mmu;
    const bus = this.system.machine.bus;
    let done = 0;
    while (done < bytes.length) {
      const at = (address + done) >>> 0;
      const chunk = Math.min(bytes.length - done, PAGE - (at % PAGE));
      const physical = mmu.probe(at);
      if (physical < 0 || !bus.isRam(physical, chunk)) break;
      // The RAM tells the CPUs whose decoded code the write replaces.
      bus.memory.writeBlock(physical, bytes, done, chunk);
      done += chunk;
    }
    if (done === 0 && bytes.length > 0) throw new UserError(`cannot write at ${hexAddress(address)}: cpu${this.focus} maps no RAM there`);
    this.watchpoints.refresh();
    return done;
  }

  /** The focused CPU's instructions (in its current instruction set), each function's start labelled with its symbol,
   * each instruction with its source line when the session has them. */
  disassemble(address: number, offset: number, count: number): DisassembledLine[] {
    const cpu = this.system.cpus[this.focus];
    const step = cpu.thumb ? 2 : ARM_INSTRUCTION;
    const lines: DisassembledLine[] = [];
    let at = (address + offset * step) >>> 0;
    for (let i = 0; i < count; i++) {
      const d = disassembleAt((a) => this.readHalfword(this.focus, a), at, cpu.thumb);
      const length = d?.length ?? step;
      const where = this.lines?.locate(at);
      lines.push({ address: at, bytes: this.readVirtual(this.focus, at, length), text: d?.text ?? '(not mapped)', symbol: this.symbols.startsAt(at), source: where?.source, line: where?.line });
      at = (at + length) >>> 0;
    }
    return lines;
  }

  timeline(): TimelineView {
    const machine = this.system.machine;
    if (!this.recorder) {
      this.recorder = machineTraceRecorder(machine);
      this.recorder.attach();
    }
    return { recorder: this.recorder, end: machine.now, otherData: { program: this.options.kernel }, now: traceTime(machine.now) };
  }

  timelineSource(_item: TimelineItem): { source: SourceRef; line: number } | undefined {
    return undefined;
  }

  /** The microcode a channel started at `pc` (as the kernel's driver wrote it), disassembled as the thread's source. */
  private listMicrocode(t: DmaThread, pc: number): DebugProgram {
    const listing = DebugProgram.fromMemory((a, n) => this.dma.readCode(t.dmac, a, n), pc, this.dma.machine.dmacs[t.dmac].config);
    this.listings.set(this.dma.indexOf(t.id), listing);
    this.listingStarts.set(this.dma.indexOf(t.id), pc);
    return listing;
  }
}

function describeCpuStop(stop: CpuStop): string {
  switch (stop.kind) {
    case 'fault': return `${stop.access} at ${hex32(stop.address)}: ${stop.detail}`;
    case 'undefined': return `undefined instruction 0x${stop.encoding.toString(16)}: ${stop.detail}`;
    default: return JSON.stringify(stop);
  }
}

const modeName = (mode: number): string => MODE_NAMES[mode] ?? `invalid mode 0x${mode.toString(16)}`;

function psrNode(name: string, value: number): VariableNode {
  const bit = (n: number): string => String((value >>> n) & 1);
  const flags = ['N', 'Z', 'C', 'V'].filter((_, i) => (value >>> (31 - i)) & 1).join('') || '-';
  const masks = ['A', 'I', 'F'].filter((_, i) => (value >>> (8 - i)) & 1).join('') || 'none';
  return {
    name, value: `${hex32(value)} (${modeName(value & 31)}, ${flags}, ${(value >>> 5) & 1 ? 'Thumb' : 'ARM'}, masked ${masks})`, evaluateName: name,
    children: () => [
      { name: 'N', value: bit(31) }, { name: 'Z', value: bit(30) }, { name: 'C', value: bit(29) }, { name: 'V', value: bit(28) }, { name: 'Q', value: bit(27) },
      { name: 'GE', value: String((value >>> 16) & 15) }, { name: 'E', value: bit(9) }, { name: 'A', value: bit(8) }, { name: 'I', value: bit(7) },
      { name: 'F', value: bit(6) }, { name: 'T', value: bit(5) }, { name: 'M', value: `0x${(value & 31).toString(16)} (${modeName(value & 31)})` },
    ],
  };
}

/** r0-r12, sp, lr, pc, the mode, the CPSR and the current mode's SPSR. */
function cpuRegisters(cpu: SystemCpu): VariableNode[] {
  const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr'];
  const nodes: VariableNode[] = names.map((name, i) => ({ name, value: hex32(cpu.r[i]), evaluateName: name, memoryReference: hex32(cpu.r[i]) }));
  nodes.push({ name: 'pc', value: hex32(cpu.pc), evaluateName: 'pc', memoryReference: hex32(cpu.pc) });
  nodes.push({ name: 'mode', value: `${modeName(cpu.mode)}${cpu.waiting ? ' (waiting for an interrupt)' : ''}${cpu.powered ? '' : ' (off)'}` });
  nodes.push(psrNode('cpsr', cpu.cpsr));
  if (bankOf(cpu.mode) > 0) nodes.push(psrNode('spsr', cpu.spsr));
  return nodes;
}

/** The registers each mode banks, as that mode sees them (the current mode's are the live ones). */
const BANKED_MODES: readonly { mode: Mode; registers: readonly number[] }[] = [
  { mode: Mode.USR, registers: [8, 9, 10, 11, 12, 13, 14] },
  { mode: Mode.FIQ, registers: [8, 9, 10, 11, 12, 13, 14] },
  { mode: Mode.IRQ, registers: [13, 14] },
  { mode: Mode.SVC, registers: [13, 14] },
  { mode: Mode.ABT, registers: [13, 14] },
  { mode: Mode.UND, registers: [13, 14] },
];

function bankedRegisters(cpu: SystemCpu): VariableNode[] {
  const registerName = (i: number): string => (i === 13 ? 'sp' : i === 14 ? 'lr' : `r${i}`);
  return BANKED_MODES.map(({ mode, registers }) => {
    const name = modeName(mode);
    const values = registers.map((i) => ({ name: `${registerName(i)}_${name}`, value: hex32(cpu.banks.read(cpu, mode, i)) }));
    const spsr = bankOf(mode) === 0 ? [] : [psrNode(`spsr_${name}`, bankOf(mode) === bankOf(cpu.mode) ? cpu.spsr : cpu.banks.spsr[bankOf(mode)] >>> 0)];
    return { name, value: `sp ${hex32(cpu.banks.read(cpu, mode, 13))}, lr ${hex32(cpu.banks.read(cpu, mode, 14))}${mode === cpu.mode ? ' (current)' : ''}`, children: () => [...values, ...spsr] };
  });
}

const bits = (value: number, fields: readonly [string, number][]): string => fields.filter(([, b]) => (value >>> b) & 1).map(([n]) => n).join(' ') || '-';

/** The CP15 state that says where the kernel is: SCTLR, translation (TTBRs, TTBCR, DACR), faults, CONTEXTIDR, VBAR. */
function cp15Registers(cpu: SystemCpu): VariableNode[] {
  const sctlr = cpu.cp15Value('SCTLR');
  const ttbcr = cpu.cp15Value('TTBCR');
  const long = (ttbcr >>> 31) !== 0;
  const wide = (name: string): string => `0x${cpu.cp15Value(name).toString(16).padStart(16, '0')}`;
  const plain = (name: string): VariableNode => ({ name, value: hex32(cpu.cp15Value(name)) });
  return [
    { name: 'SCTLR', value: `${hex32(sctlr)} (${bits(sctlr, [['M', 0], ['A', 1], ['C', 2], ['Z', 11], ['I', 12], ['V', 13], ['AFE', 29], ['TE', 30]])})` },
    { name: 'TTBCR', value: `${hex32(ttbcr)} (${long ? `long descriptors, T0SZ ${ttbcr & 7}, T1SZ ${(ttbcr >>> 16) & 7}` : `short descriptors, N ${ttbcr & 7}`})` },
    long ? { name: 'TTBR0', value: wide('TTBR0_64') } : plain('TTBR0'),
    long ? { name: 'TTBR1', value: wide('TTBR1_64') } : plain('TTBR1'),
    plain('DACR'),
    long ? { name: 'MAIR0', value: hex32(cpu.cp15Value('PRRR')) } : plain('PRRR'),
    long ? { name: 'MAIR1', value: hex32(cpu.cp15Value('NMRR')) } : plain('NMRR'),
    plain('DFSR'), plain('DFAR'), plain('IFSR'), plain('IFAR'), plain('CONTEXTIDR'), plain('VBAR'), plain('TPIDRPRW'),
  ];
}
