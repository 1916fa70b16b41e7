// The ARM executable kind: a Linux program on the platform machine's CPU (its DMACs served to it by the host-kernel
// model, as `dmalab run` does), its CPU contexts as threads (`cpu0`) beside the DMA threads. Positions come from the
// DWARF line table; line breakpoints and stepping are at C source-line granularity. A DMA event (a ticked filter, a
// data breakpoint on a DMA access) stops CPU and DMACs together; one seen while the CPU is outside the line table (in
// the C library, in a system call) stops on the next C line the CPU reaches, so the stop is always in C.
import { EventEmitter } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { disassembleAt } from '../../emulator/cpu/disasm';
import { DwarfError, type LineRow } from '../../emulator/elf/dwarf-line';
import { ElfError } from '../../emulator/linux/elf';
import { environmentNameProblem, programEnvironment, type EnvironmentEdit } from '../../emulator/linux/environment';
import type { ProcessOutcome } from '../../emulator/linux/outcome';
import { hostedOn, startUserProgram } from '../../emulator/linux/user-program';
import { Machine } from '../../emulator/machine/machine';
import { CPU_PID, machineTraceRecorder, type MachineTraceRecorder } from '../../emulator/machine/trace';
import { traceTime } from '../../emulator/trace/trace-events';
import { hexAddress } from '../../emulator/pl330/disasm';
import { CodeBreakpoint, DataBreakpoint, breakpointStops, checkConditions, dataIdFor, formatValue, lineEntries, parseDataId } from './breakpoints';
import type {
  BreakpointResult, DataBreakpointRequest, DataTarget, DisassembledLine, EvaluateResult, EventFilterRequest, FrameInfo, InstructionBreakpointRequest,
  LineBreakpointRequest, Runtime, ScopeInfo, SourceRef, StepGranularity, StepKind, StopInfo, ThreadInfo, TimelineItem, TimelineView,
} from './contract';
import { frameId, frameThread } from './contract';
import { type CpuSide, type CpuThread, processCpuSide } from './cpu-side';
import { DmaObservation, type DmaThread, SMMU_WALK } from './dma-observation';
import { ElfCode } from './elf-code';
import { type ExpressionContext, evaluateExpression } from './expression';
import { UserError, integer } from './launch';
import { debugMachineOf } from './machine';
import type { PlatformLoader } from './microcode-runtime';
import { hex32, type VariableNode } from './views';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function isElf(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((b, i) => bytes[i] === b);
}

export interface ElfLaunch {
  readonly program: string;
  readonly args: readonly string[];
  readonly platform?: string;
  /** Host directory the program sees as `/` (default: the program's directory). */
  readonly workspace: string;
  /** Host directory whose lib/ holds a dynamic executable's loader and libraries (default: Debian's cross sysroot). */
  readonly sysroot?: string;
  readonly stopOnEntry: boolean;
  /** Instructions one continue or step may run before it stops on its own. */
  readonly maxInstructions: number;
  readonly trace: boolean;
  /** The program's environment (NAME=VALUE): the adapter's own, edited by launch.json `env`. */
  readonly env: readonly string[];
  readonly strictSyscalls: boolean;
}

export function parseElfArguments(raw: Record<string, unknown>, cwd: string): ElfLaunch {
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  const program = path(raw.program as string);
  const args = raw.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) throw new UserError("'args' must be a list of strings");
  for (const key of ['platform', 'workspace', 'sysroot'] as const) {
    if (raw[key] !== undefined && (typeof raw[key] !== 'string' || raw[key] === '')) throw new UserError(`'${key}' must name a ${key === 'platform' ? 'file' : 'directory'} (got ${JSON.stringify(raw[key])})`);
  }
  for (const key of ['workspace', 'sysroot'] as const) {
    const dir = raw[key] === undefined ? undefined : path(raw[key] as string);
    if (dir !== undefined && !existsSync(dir)) throw new UserError(`'${key}': ${dir}: no such directory`);
    if (dir !== undefined && !statSync(dir).isDirectory()) throw new UserError(`'${key}': ${dir}: not a directory`);
  }
  for (const key of ['stopOnEntry', 'trace', 'strictSyscalls'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean') throw new UserError(`'${key}' must be true or false (got ${JSON.stringify(raw[key])})`);
  }
  return {
    program,
    args: args as string[],
    platform: raw.platform === undefined ? undefined : path(raw.platform as string),
    workspace: raw.workspace === undefined ? dirname(program) : path(raw.workspace as string),
    sysroot: raw.sysroot === undefined ? undefined : path(raw.sysroot as string),
    stopOnEntry: raw.stopOnEntry === true,
    maxInstructions: integer(raw.maxInstructions ?? 1_000_000_000, 'maxInstructions', 1, Number.MAX_SAFE_INTEGER),
    trace: raw.trace === true,
    env: programEnvironment(process.env, { edits: environmentEdits(raw.env) }),
    strictSyscalls: raw.strictSyscalls === true,
  };
}

/** launch.json `env`: an object NAME → value (a string sets it, null removes it). */
function environmentEdits(env: unknown): EnvironmentEdit[] {
  if (env === undefined) return [];
  if (typeof env !== 'object' || env === null || Array.isArray(env)) throw new UserError(`'env' must be an object of NAME: value (got ${JSON.stringify(env)})`);
  return Object.entries(env).map(([name, value]) => {
    const problem = environmentNameProblem(name) ?? (value !== null && typeof value !== 'string' ? `the value must be a string, or null to remove it (got ${JSON.stringify(value)})` : undefined);
    if (problem !== undefined) throw new UserError(`'env': '${name}': ${problem}`);
    return [name, value as string | null];
  });
}

/** Return addresses a traced register access keeps (a click on it leads past register accessors to their caller). */
const MAX_TRACED_CALLERS = 3;
/** CPU threads have ids from 1; DMA threads from here (a machine has far fewer CPU contexts). */
const FIRST_DMA_THREAD_ID = 1001;
/** Instructions run between two looks at the event loop (a pause request gets in). */
const SLICE = 20_000;
/** The longest wait (in instructions' time) passed between two of those looks. */
const WAIT_SLICE = 10_000_000;

/** Continue, or a step of one CPU context (`thread`: its key); the others run alongside and may hit breakpoints. */
type StepMode = { kind: 'continue' } | { thread: number } & (
  | { kind: 'line'; over: boolean; from: LineRow | undefined; sp: number } | { kind: 'out'; sp: number }
  | { kind: 'instruction' } | { kind: 'over-call'; returnTo: number; sp: number });

/** A CPU load or store touching a watched range, seen while an instruction ran. */
interface AccessHit {
  readonly breakpoint: DataBreakpoint;
  readonly address: number;
  readonly size: number;
  readonly value: number;
  readonly write: boolean;
}

export class ElfRuntime extends EventEmitter implements Runtime {
  private readonly code: ElfCode;
  private readonly cpus: CpuSide;
  private readonly dma: DmaObservation;
  /** Debugger thread id of each CPU context, by its key (ids are never reused). */
  private readonly cpuIds = new Map<number, number>();
  private lineBreakpoints = new Map<string, { breakpoint: CodeBreakpoint; addresses: readonly number[] }[]>();
  private instructionBreakpoints: CodeBreakpoint[] = [];
  private readonly breakpointsAt = new Map<number, CodeBreakpoint[]>();
  private accessBreakpoints: DataBreakpoint[] = [];
  private readonly accessHits: AccessHit[] = [];
  private nextBreakpointId = 1;
  /** A DMA event seen but not yet reported (waiting for the CPU to reach C). */
  private deferred: StopInfo | undefined;
  /** The DMACs' cycle counts summed: their states are read again only when it moved (they ran). */
  private dmaClock = -1;
  private running = false;
  private pauseRequested = false;
  private ended = false;
  /** The DMA timeline, once asked for. */
  private recorder: MachineTraceRecorder | undefined;

  /**
   * A program whose code `bytes` holds (its symbols and DWARF), run by the CPUs `cpus` makes on `machine`: the CPU
   * side is the program kind's (a user process here; a kernel's CPUs next), everything else is shared.
   */
  private constructor(
    readonly options: ElfLaunch,
    bytes: Uint8Array,
    private readonly machine: Machine,
    cpus: (output: (text: string, category: 'stdout' | 'stderr' | 'console') => void) => CpuSide,
  ) {
    super();
    // The debug information first: a file that is no 32-bit ARM ELF is refused with what is wrong with it.
    this.code = new ElfCode(options.program, bytes, (address) => this.cpus.readCode(address), () => this.cpus.current().cpu.thumb);
    this.cpus = cpus((text, category) => this.emit('output', text, category));
    this.dma = new DmaObservation(debugMachineOf(machine), FIRST_DMA_THREAD_ID, {
      output: (line) => this.emit('output', line, 'console'),
      trace: options.trace,
      everyTick: false,
      replaying: () => false,
    });
    this.dma.readThreads();
  }

  /** An ARM Linux executable as a user process on the platform machine, its devices served by the host kernel. */
  static launch(options: ElfLaunch, bytes: Uint8Array, loadPlatform: PlatformLoader, warn: (line: string) => void): ElfRuntime {
    const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');
    let machine: Machine;
    try {
      machine = new Machine(loadPlatform(options.platform, warn));
    } catch (error) {
      throw new UserError(`'platform': ${(error as Error).message}`);
    }
    try {
      return new ElfRuntime(options, bytes, machine, (output) => processCpuSide(startUserProgram({
        path: options.program,
        bytes,
        args: options.args,
        workspace: options.workspace,
        sysroot: options.sysroot,
        sysrootSetting: (directory) => `"sysroot": "${directory}"`,
        env: options.env,
        ...hostedOn(machine),
        stdout: (data) => output(text(data), 'stdout'),
        stderr: (data) => output(text(data), 'stderr'),
        strictSyscalls: options.strictSyscalls,
        warn: (message) => output(`dmalab: warning: ${message}\n`, 'console'),
        stdin: () => new Uint8Array(0),
        // The debug console shows output as it comes: the C library line-buffers a terminal's stdout.
        terminal: true,
      })));
    } catch (error) {
      if (error instanceof ElfError || error instanceof DwarfError) throw new UserError(`'program': ${options.program}: ${error.message}`);
      throw error;
    }
  }

  start(): void {
    this.dma.attach();
    if (this.options.stopOnEntry) this.stop({ reason: 'entry', threadId: this.cpuThreadId(this.cpus.current()) });
    else this.resume({ kind: 'continue' });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Threads

  threads(): ThreadInfo[] {
    return [...this.cpus.threads().map((t) => ({ id: this.cpuThreadId(t), name: t.name })), ...this.dma.threads.map(({ id, name }) => ({ id, name }))];
  }

  private cpuThreadId(thread: CpuThread): number {
    let id = this.cpuIds.get(thread.key);
    if (id === undefined) this.cpuIds.set(thread.key, (id = this.cpuIds.size + 1));
    return id;
  }

  /** The CPU context or the DMA thread with this id. */
  private thread(threadId: number): { cpu: CpuThread } | { dma: DmaThread } {
    const dma = this.dma.indexOf(threadId);
    if (dma >= 0) return { dma: this.dma.threads[dma] };
    const cpu = this.cpus.threads().find((t) => this.cpuIds.get(t.key) === threadId);
    if (!cpu) throw new UserError(`no thread ${threadId}`);
    return { cpu };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Breakpoints

  /** Line breakpoints of one source file: each moved to the next line with code; unverified when none. */
  setLineBreakpoints(source: SourceRef, requests: readonly LineBreakpointRequest[]): BreakpointResult[] {
    const bound: { breakpoint: CodeBreakpoint; addresses: readonly number[] }[] = [];
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      const resolved = this.code.lines.resolve(source.path, r.line + 1);
      if (!resolved) return { id, verified: false, message: `no code at or after line ${r.line + 1} in ${source.path.split('/').pop()} (is the program built with -g?)` };
      const problem = checkConditions(r.condition, r.hitCondition, this.cpuContext(this.cpus.current()));
      if (typeof problem === 'string') return { id, verified: false, source, line: resolved.line - 1, message: problem };
      const addresses = lineEntries(resolved.addresses, (a) => this.code.frameTable.functionAt(a)?.start);
      const breakpoint: CodeBreakpoint = { id, address: addresses[0], kind: 'source', condition: r.condition, hitCondition: problem, logMessage: r.logMessage, hits: 0 };
      bound.push({ breakpoint, addresses });
      return { id, verified: true, source, line: resolved.line - 1, address: addresses[0] };
    });
    this.lineBreakpoints.set(source.path, bound);
    this.indexCodeBreakpoints();
    return results;
  }

  /** Instruction breakpoints (the disassembly view's): verified where the address holds code of the program. */
  setInstructionBreakpoints(requests: readonly InstructionBreakpointRequest[]): BreakpointResult[] {
    this.instructionBreakpoints = [];
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      const address = r.address >>> 0;
      const why = this.code.notAnInstruction(address);
      if (why !== undefined) return { id, verified: false, address, message: `no instruction at ${hex32(address)}: ${why}` };
      const problem = checkConditions(r.condition, r.hitCondition, this.cpuContext(this.cpus.current()));
      if (typeof problem === 'string') return { id, verified: false, address, message: problem };
      this.instructionBreakpoints.push({ id, address, kind: 'instruction', condition: r.condition, hitCondition: problem, hits: 0 });
      const row = this.code.lines.lookup(address);
      return { id, verified: true, address, source: row && { path: this.code.sourcePath(row.file) }, line: row && row.line - 1 };
    });
    this.indexCodeBreakpoints();
    return results;
  }

  private indexCodeBreakpoints(): void {
    this.breakpointsAt.clear();
    const add = (address: number, bp: CodeBreakpoint): void => {
      const list = this.breakpointsAt.get(address) ?? [];
      list.push(bp);
      this.breakpointsAt.set(address, list);
    };
    for (const list of this.lineBreakpoints.values()) for (const { breakpoint, addresses } of list) for (const a of addresses) add(a, breakpoint);
    for (const bp of this.instructionBreakpoints) add(bp.address, bp);
  }

  /** A plain address is the CPU's (virtual: its loads and stores); `phys` and `iova` ones are DMA accesses. */
  dataBreakpointInfo(name: string, bytes?: number): DataTarget {
    const dataId = dataIdFor(name, bytes, 'virtual');
    if (!dataId) return { dataId: null, description: `'${name}' is not an address or ADDRESS:LENGTH (a CPU address; prefix 'phys' or 'iova' for DMA accesses)` };
    const { space, start, length } = parseDataId(dataId);
    return space === 'virtual'
      ? { dataId, description: `CPU access to ${hexAddress(start)} (${length} bytes)`, accessTypes: ['read', 'write', 'readWrite'] }
      : { dataId, description: `DMA access to ${space} ${hexAddress(start)} (${length} bytes)`, accessTypes: ['read', 'write', 'readWrite'] };
  }

  setDataBreakpoints(requests: readonly DataBreakpointRequest[]): BreakpointResult[] {
    const cpu: DataBreakpoint[] = [];
    const dma: DataBreakpoint[] = [];
    const results = requests.map((r): BreakpointResult => {
      const id = this.nextBreakpointId++;
      try {
        const { space, start, length } = parseDataId(r.dataId);
        const problem = checkConditions(r.condition, r.hitCondition, this.cpuContext(this.cpus.current()));
        if (typeof problem === 'string') return { id, verified: false, message: problem };
        (space === 'virtual' ? cpu : dma).push({ id, space, start, length, access: r.access ?? 'write', condition: r.condition, hitCondition: problem, hits: 0 });
        return { id, verified: true, address: start };
      } catch (error) {
        return { id, verified: false, message: (error as Error).message };
      }
    });
    this.accessBreakpoints = cpu;
    const ranges = cpu.map((b) => ({ start: b.start, length: b.length, stores: b.access !== 'read', loads: b.access !== 'write' }));
    this.cpus.watchAccesses(ranges, cpu.length === 0 ? undefined : (address, size, value, write) => {
      for (const breakpoint of this.accessBreakpoints) {
        if (write ? breakpoint.access === 'read' : breakpoint.access === 'write') continue;
        if (address + size > breakpoint.start && address < breakpoint.start + breakpoint.length) this.accessHits.push({ breakpoint, address, size, value, write });
      }
    });
    this.dma.setDataBreakpoints(dma);
    return results;
  }

  setEventFilters(requests: readonly EventFilterRequest[]): void {
    this.dma.setFilters(requests);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Execution

  continue(): void {
    this.resume({ kind: 'continue' });
  }

  /** One source line (over calls, or into them), one instruction, or out of the current function. */
  step(threadId: number, kind: StepKind, granularity: StepGranularity): void {
    const target = this.thread(threadId);
    const stepped = 'cpu' in target ? target.cpu : this.cpus.current();
    const thread = stepped.key;
    const cpu = stepped.cpu;
    const sp = cpu.r[13] >>> 0;
    if (kind === 'out') {
      // To the caller's return address (as gdb's finish), a deeper recursion's return to it (a lower sp) aside.
      const caller = this.code.frameTable.unwind(cpu.r, cpu.pc, (a) => this.read(a >>> 0, 4) ?? 0)[1];
      return this.resume(caller === undefined ? { kind: 'out', thread, sp } : { kind: 'over-call', thread, returnTo: caller, sp });
    }
    if (granularity === 'line') return this.resume({ kind: 'line', thread, over: kind === 'over', from: this.code.lines.lookup(cpu.pc), sp });
    // Stepping over a call instruction runs the call and stops where it returns.
    const current = disassembleAt(this.cpus.readCode, cpu.pc, cpu.thumb, cpu.it);
    const call = kind === 'over' && current !== undefined && /^blx?(?:[a-z]{2})?(?:\.[nw])? /.test(current.text);
    this.resume(call ? { kind: 'over-call', thread, returnTo: current.address + current.length, sp } : { kind: 'instruction', thread });
  }

  stepBack(): void {
    throw new UserError('an ARM executable cannot run backwards (step back and reverse continue are for PL330 programs)');
  }

  reverseContinue(): void {
    this.stepBack();
  }

  pause(): void {
    if (this.running) this.pauseRequested = true;
  }

  private resume(mode: StepMode): void {
    if (this.ended) throw new UserError('the program has ended');
    if (this.running) throw new UserError('the program is running (pause it first)');
    this.running = true;
    this.pauseRequested = false;
    let budget = this.options.maxInstructions;
    const slice = (): void => {
      for (let i = 0; i < SLICE; i++) {
        // A wait passes in one go (the machine runs meanwhile); then one instruction at a time.
        const waited = this.cpus.idle(Math.min(budget, WAIT_SLICE));
        const outcome = waited > 0 ? undefined : this.cpus.run(1);
        if (outcome !== undefined) return this.exit(outcome);
        budget -= Math.max(1, waited);
        const stop = this.stopAfterInstruction(mode, waited === 0);
        if (stop) return this.stop(stop);
        if (budget <= 0) return this.stop({ reason: 'pause', threadId: this.cpuThreadId(this.cpus.current()), description: `stopped after ${this.options.maxInstructions} instructions (maxInstructions)` });
      }
      if (this.pauseRequested) return this.stop({ reason: 'pause', threadId: this.cpuThreadId(this.cpus.current()) });
      setImmediate(slice);
    };
    setImmediate(slice);
  }

  /** Why to stop now that one more instruction ran (`ran`; else time passed in a wait), if at all. */
  private stopAfterInstruction(mode: StepMode, ran: boolean): StopInfo | undefined {
    const thread = this.cpus.current();
    const threadId = this.cpuThreadId(thread);
    const cpu = thread.cpu;
    const pc = cpu.pc;
    this.observeDma(threadId);
    if (this.accessHits.length) {
      const hit = this.accessHits.find((h) => breakpointStops(h.breakpoint, this.cpuContext(thread), this.reports(undefined)));
      this.accessHits.length = 0;
      if (hit) {
        const text = `CPU ${hit.write ? 'store' : 'load'} of ${hit.size} byte(s) at ${hexAddress(hit.address)} = ${formatValue(hit.value >>> 0)} (watching ${hexAddress(hit.breakpoint.start)}+${hit.breakpoint.length})`;
        return { reason: 'data breakpoint', threadId, description: text, text, breakpointIds: [hit.breakpoint.id] };
      }
    }
    const row = this.code.lines.lookup(pc);
    if (this.deferred !== undefined && row !== undefined) {
      const stop = this.deferred;
      this.deferred = undefined;
      return stop;
    }
    const list = this.breakpointsAt.get(pc);
    if (list) {
      const hit = list.filter((bp) => breakpointStops(bp, this.cpuContext(thread), this.reports(bp)));
      if (hit.length) return { reason: hit.some((bp) => bp.kind === 'source') ? 'breakpoint' : 'instruction breakpoint', threadId, breakpointIds: hit.map((bp) => bp.id) };
    }
    if (mode.kind === 'continue' || mode.thread !== thread.key) return undefined;
    const atLineStart = row !== undefined && row.address === pc && row.isStmt;
    const sp = cpu.r[13] >>> 0;
    switch (mode.kind) {
      case 'instruction':
        return ran ? { reason: 'step', threadId } : undefined;
      case 'over-call':
        return pc === mode.returnTo && sp >= mode.sp ? { reason: 'step', threadId } : undefined;
      case 'line': {
        if (!atLineStart) return undefined;
        if (mode.over && sp < mode.sp) return undefined; // inside a call made from the line
        const sameLine = mode.from !== undefined && row.line === mode.from.line && row.file === mode.from.file && sp === mode.sp;
        return sameLine ? undefined : { reason: 'step', threadId };
      }
      case 'out':
        return sp > mode.sp && atLineStart ? { reason: 'step', threadId } : undefined;
      default:
        return undefined;
    }
  }

  /**
   * What the DMACs did meanwhile (they keep pace with the CPU on the machine's clock): the first event a filter or a
   * DMA data breakpoint caught becomes the stop the CPU makes on its next C line, on the CPU thread, naming the DMA
   * thread.
   */
  private observeDma(threadId: number): void {
    const dma = this.dma;
    let clock = 0;
    for (const d of dma.machine.dmacs) clock += d.cycle;
    if (clock !== this.dmaClock) {
      this.dmaClock = clock;
      dma.readThreads();
    }
    if (dma.pending.length === 0 && dma.dataHits.length === 0) return;
    if (this.deferred === undefined) {
      const event = dma.eventStop();
      const hit = event ? undefined : dma.dataHits.find((h) => breakpointStops(h.breakpoint, this.dmaContext(dma.threads[h.thread]), this.reports(undefined)));
      if (event) {
        const raisedBy = dma.threads[dma.indexOf(event.threadId)].name;
        const text = `${raisedBy}: ${event.text}`;
        this.deferred = { reason: 'exception', threadId, description: text, text };
      } else if (hit) {
        const text = `${dma.threads[hit.thread].name}: ${hit.text}`;
        this.deferred = { reason: 'data breakpoint', threadId, description: text, text, breakpointIds: [hit.breakpoint.id] };
      }
    }
    dma.clearReports();
  }

  private reports(bp: CodeBreakpoint | undefined): { replaying: boolean; log(text: string): void; problem(text: string): void } {
    return {
      replaying: false,
      log: (text) => {
        const row = bp && this.code.lines.lookup(bp.address);
        this.emit('output', text, 'console', row && { path: this.code.sourcePath(row.file) }, row && row.line - 1);
      },
      problem: (text) => this.emit('output', text, 'stderr'),
    };
  }

  private stop(stop: StopInfo): void {
    this.running = false;
    this.emit('stopped', stop);
  }

  private exit(outcome: ProcessOutcome): void {
    this.running = false;
    this.ended = true;
    if (outcome.kind !== 'exit') this.emit('output', `${this.options.program}: ${outcome.reason}\n`, 'stderr');
    this.emit('exited', outcome.kind === 'exit' ? outcome.status : 128 + outcome.signal);
    this.emit('end');
  }

  // -------------------------------------------------------------------------------------------------------------
  // Inspection

  /** A CPU thread's call stack unwound through .debug_frame, each frame on its C line (a caller's on the line of its
   * call); a DMA thread's one frame at its program counter. */
  frames(threadId: number): FrameInfo[] {
    const thread = this.thread(threadId);
    if ('dma' in thread) {
      const t = thread.dma;
      const pc = this.dma.pcOf(t);
      return [{ id: threadId, pc, name: `${this.dma.instructionText(t.dmac, pc)} (${this.dma.describeState(t)})` }];
    }
    const cpu = thread.cpu.cpu;
    const read32 = (a: number): number => this.read(a >>> 0, 4) ?? 0;
    return this.code.frameTable.unwind(cpu.r, cpu.pc, read32).map((pc, depth) => {
      const row = this.code.lines.lookup(depth === 0 ? pc : pc - 1);
      const fn = this.code.frameTable.functionAt(depth === 0 ? pc : pc - 1)?.name;
      return {
        id: frameId(threadId, depth),
        pc,
        name: fn ?? (row ? `${row.file.split('/').pop()}:${row.line}` : `${hex32(pc)} (no line information)`),
        source: row && { path: this.code.sourcePath(row.file) },
        line: row && row.line - 1,
        column: row?.column ? row.column - 1 : undefined,
      };
    });
  }

  scopes(id: number): ScopeInfo[] {
    const thread = this.thread(frameThread(id).threadId);
    if ('dma' in thread) return this.dma.scopes(thread.dma);
    return [{ name: 'CPU registers', variables: () => cpuRegisters(thread.cpu), expensive: false }];
  }

  /**
   * A debug console or hover expression: in a CPU frame over its registers (r0-r15, sp, lr, pc, cpsr), the program's
   * symbols (a global's name is its address) and memory (`*(u32 *)(sp + 4)`); in a DMA frame over the thread's
   * registers; `smmu walk IOVA` for a DMA thread (a CPU frame: the first DMAC's).
   */
  evaluate(expression: string, id?: number): EvaluateResult {
    const thread = id === undefined ? { cpu: this.cpus.current() } : this.thread(frameThread(id).threadId);
    const context = 'dma' in thread ? this.dmaContext(thread.dma) : this.cpuContext(thread.cpu);
    const walk = SMMU_WALK.exec(expression);
    if (walk) return { result: this.dma.smmuWalk('dma' in thread ? thread.dma : this.dma.threads[0], evaluateExpression(walk[1], context), walk[2] === 'write') };
    const value = evaluateExpression(expression, context);
    return { result: formatValue(value), memoryReference: value >= 0 && value <= 0xffffffff ? value : undefined };
  }

  private cpuContext(thread: CpuThread): ExpressionContext {
    const cpu = thread.cpu;
    const named: Record<string, number> = { sp: 13, lr: 14, fp: 7 };
    return {
      value: (name) => {
        const lower = name.toLowerCase();
        if (lower === 'pc' || lower === 'r15') return cpu.pc;
        if (lower === 'cpsr') return cpu.cpsr;
        const m = /^r(\d{1,2})$/.exec(lower);
        const index = m ? Number(m[1]) : named[lower];
        if (index !== undefined && index < 15) return cpu.r[index] >>> 0;
        return this.code.frameTable.symbol(name);
      },
      readMemory: (address, size) => this.read(address, size),
    };
  }

  private dmaContext(t: DmaThread): ExpressionContext {
    return { value: (name) => this.dma.registerValue(t, name), readMemory: (address, size) => this.read(address, size) };
  }

  /** `size` bytes little-endian at a CPU virtual address, or undefined where not readable. */
  private read(address: number, size: number): number | undefined {
    const bytes = this.cpus.inspect(address, size);
    return bytes.length < size ? undefined : bytes.reduceRight((v, b) => v * 256 + b, 0);
  }

  /** The process's memory at CPU virtual addresses (what its registers and pointers hold). */
  readMemory(address: number, count: number): Uint8Array {
    return this.cpus.inspect(address, count);
  }

  writeMemory(address: number, bytes: Uint8Array): number {
    const written = this.cpus.patch(address, bytes);
    if (written === 0 && bytes.length > 0) throw new UserError(`cannot write at ${hexAddress(address)}: the program maps no memory there (or device registers)`);
    return written;
  }

  disassemble(address: number, offset: number, count: number): DisassembledLine[] {
    return this.code.disassemble(address, offset, count);
  }

  /** Recorded from the first call on, on the machine's timeline: the CPU's register accesses, DMACs, SMMUs. */
  timeline(): TimelineView {
    if (!this.recorder) {
      this.recorder = machineTraceRecorder(this.machine);
      this.recorder.attach();
      const read32 = (a: number): number => this.read(a >>> 0, 4) ?? 0;
      this.cpus.traceDevices(this.machine, this.recorder, (cpu, pc) => this.code.frameTable.unwind(cpu.r, pc, read32).slice(1, MAX_TRACED_CALLERS + 1));
    }
    const now = this.machine.now;
    return { recorder: this.recorder, end: now, otherData: { program: this.options.program }, now: traceTime(now) };
  }

  /** A CPU access's C line: where it was made, or for an access inside a one-line register accessor
   * (`static void wr(uint32_t offset, uint32_t value) { ... }`), the call of the accessor. */
  timelineSource(item: TimelineItem): { source: SourceRef; line: number } | undefined {
    if (item.pid !== CPU_PID) return undefined;
    const frames = [item.pc, ...(item.callers ?? []).map((pc) => pc - 1)];
    const frame = frames.find((pc, depth) => depth === frames.length - 1 || !this.isOneLineFunction(pc)) ?? item.pc;
    const row = this.code.lines.lookup(frame);
    return row && { source: { path: this.code.sourcePath(row.file) }, line: row.line - 1 };
  }

  private isOneLineFunction(pc: number): boolean {
    const fn = this.code.frameTable.functionAt(pc);
    if (!fn || fn.size < 2) return false;
    const first = this.code.lines.lookup(fn.start), last = this.code.lines.lookup(fn.start + fn.size - 2);
    return first !== undefined && last !== undefined && first.file === last.file && first.line === last.line;
  }
}

/** r0-r12, sp, lr, pc, the CPSR with its fields, and the VFP registers d0-d15. */
function cpuRegisters(thread: CpuThread): VariableNode[] {
  const cpu = thread.cpu;
  const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr'];
  const nodes: VariableNode[] = names.map((name, i) => ({ name, value: hex32(cpu.r[i]), evaluateName: name, memoryReference: hex32(cpu.r[i]) }));
  nodes.push({ name: 'pc', value: hex32(cpu.pc), evaluateName: 'pc', memoryReference: hex32(cpu.pc) });
  const cpsr = cpu.cpsr;
  const bit = (n: number): string => String((cpsr >>> n) & 1);
  nodes.push({
    name: 'cpsr',
    value: `${hex32(cpsr)} (${['N', 'Z', 'C', 'V'].filter((_, i) => (cpsr >>> (31 - i)) & 1).join('') || '-'}, ${cpu.thumb ? 'Thumb' : 'ARM'}, user mode)`,
    children: () => [
      { name: 'N', value: bit(31) }, { name: 'Z', value: bit(30) }, { name: 'C', value: bit(29) }, { name: 'V', value: bit(28) },
      { name: 'Q', value: bit(27) }, { name: 'GE', value: String((cpsr >>> 16) & 15) }, { name: 'T', value: bit(5) }, { name: 'M', value: `0x${(cpsr & 31).toString(16)} (user)` },
    ],
  });
  nodes.push({
    name: 'vfp',
    value: `fpscr ${hex32(cpu.fpscr)}`,
    children: () => Array.from({ length: 16 }, (_, i) => ({
      name: `d${i}`,
      value: `${cpu.d[i]} (0x${(cpu.w[2 * i + 1] >>> 0).toString(16).padStart(8, '0')}${(cpu.w[2 * i] >>> 0).toString(16).padStart(8, '0')})`,
    })),
  });
  return nodes;
}
