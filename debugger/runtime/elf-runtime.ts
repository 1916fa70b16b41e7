// A debug session over an ARM Linux executable: the process runs on the platform machine (its DMACs served to it
// by the host-kernel model, as `dmalab run-elf` does), with the CPU as thread `cpu0` beside the DMA threads. Source
// positions come from the DWARF line table; line breakpoints and stepping are at C source-line granularity. The
// DMA event filters stop the session too; a DMA event seen while the CPU is outside the line table (in the C
// library, in a system call) stops on the next C line the CPU reaches, so the stop is always in C.
import { EventEmitter } from 'node:events';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { loadPlatform } from '../../cli/platform';
import { HostKernel } from '../../emulator/host/kernel';
import { disassembleAt, disassembleRange } from '../../emulator/cpu/disasm';
import { FrameTable } from '../../emulator/elf/dwarf-frame';
import { DwarfError, LineTable, type LineRow } from '../../emulator/elf/dwarf-line';
import { MappingSymbols } from '../../emulator/elf/mapping-symbols';
import { ElfError } from '../../emulator/linux/elf';
import { hostKernelHooks } from '../../emulator/linux/host-kernel';
import type { ProcessOutcome } from '../../emulator/linux/outcome';
import { LinuxProcess } from '../../emulator/linux/process';
import { Workspace } from '../../emulator/linux/workspace';
import { Machine } from '../../emulator/machine/machine';
import type { ThreadRef } from '../../emulator/pl330/observer';
import type { Pl330 } from '../../emulator/pl330/pl330';
import { evaluateExpression } from './expression';
import { EVENT_FILTERS, type EventFilter } from './filters';
import { UserError, integer } from './launch';
import type { StopInfo } from './runtime';
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
  readonly stopOnEntry: boolean;
  /** Instructions one continue or step may run before it stops on its own. */
  readonly maxInstructions: number;
}

export function parseElfArguments(raw: Record<string, unknown>, cwd: string): ElfLaunch {
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  const program = path(raw.program as string);
  const args = raw.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) throw new UserError("'args' must be a list of strings");
  for (const key of ['platform', 'workspace'] as const) {
    if (raw[key] !== undefined && (typeof raw[key] !== 'string' || raw[key] === '')) throw new UserError(`'${key}' must name a file (got ${JSON.stringify(raw[key])})`);
  }
  if (raw.stopOnEntry !== undefined && typeof raw.stopOnEntry !== 'boolean') throw new UserError(`'stopOnEntry' must be true or false (got ${JSON.stringify(raw.stopOnEntry)})`);
  return {
    program,
    args: args as string[],
    platform: raw.platform === undefined ? undefined : path(raw.platform as string),
    workspace: raw.workspace === undefined ? dirname(program) : path(raw.workspace as string),
    stopOnEntry: raw.stopOnEntry === true,
    maxInstructions: integer(raw.maxInstructions ?? 1_000_000_000, 'maxInstructions', 1, Number.MAX_SAFE_INTEGER),
  };
}

export interface ElfThread {
  readonly id: number;
  readonly name: string;
  /** The DMAC and its thread, for DMA threads. */
  readonly dmac?: number;
  readonly ref?: ThreadRef;
}

export interface ElfFrame {
  readonly pc: number;
  readonly name: string;
  readonly path?: string;
  /** 1-based source line (as DWARF numbers them). */
  readonly line?: number;
  readonly column?: number;
}

/** An instruction or a literal-pool item: what the disassembly view steps over. */
interface ViewLine {
  readonly address: number;
  readonly length: number;
  readonly text: string;
}

/** One line of the disassembly view. */
export interface ElfInstruction {
  readonly address: number;
  readonly bytes: Uint8Array;
  readonly text: string;
  /** The function starting at this address. */
  readonly symbol?: string;
  readonly path?: string;
  /** 1-based source line. */
  readonly line?: number;
}

export const CPU_THREAD_ID = 1;
/** How far before an address the disassembly view decodes from its function or mapping-symbol start (decoding
 * Thumb code from there keeps 32-bit instructions and IT blocks in step). */
const THUMB_RESYNC_LIMIT = 0x10000;
/** Instructions run between two looks at the event loop (a pause request gets in). */
const SLICE = 20_000;

type StepMode = { kind: 'continue' } | { kind: 'line'; over: boolean; from: LineRow | undefined; sp: number } | { kind: 'out'; sp: number }
  | { kind: 'instruction' } | { kind: 'over-call'; returnTo: number; sp: number };

/** Events: 'stopped' (StopInfo), 'output' (text, category), 'exited' (status), 'end'. */
export class ElfRuntime extends EventEmitter {
  readonly threads: readonly ElfThread[];
  readonly lines: LineTable;
  private readonly frameTable: FrameTable;
  private readonly process: LinuxProcess;
  private readonly dmacs: readonly Pl330[];
  /** Breakpoint id by instruction address, and the source file of each id. */
  private readonly breakpoints = new Map<number, number>();
  private readonly breakpointFiles = new Map<number, string>();
  /** Instruction breakpoint id by address. */
  private instructionBreakpoints = new Map<number, number>();
  private readonly mapping: MappingSymbols;
  private nextBreakpointId = 1;
  private filters: { filter: EventFilter; condition?: number }[] = [];
  private unobserve: (() => void)[] = [];
  /** A DMA event seen but not yet reported (waiting for the CPU to reach C). */
  private pendingEvent: string | undefined;
  private threadStates: number[] = [];
  private running = false;
  private pauseRequested = false;
  private ended = false;

  private constructor(readonly options: ElfLaunch, bytes: Uint8Array, warn: (line: string) => void) {
    super();
    this.lines = LineTable.fromElf(bytes);
    this.frameTable = new FrameTable(bytes);
    this.mapping = new MappingSymbols(bytes);
    const machine = new Machine(loadPlatform(options.platform, warn));
    const hooks = hostKernelHooks(new HostKernel(machine));
    this.dmacs = machine.dmacs.map((d) => d.device);
    const workspace = new Workspace(options.workspace);
    const guest = relative(workspace.root, options.program);
    const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');
    this.process = new LinuxProcess(bytes, {
      bus: machine.bus,
      ...hooks,
      workspace,
      argv: [guest.startsWith('..') ? `/${options.program.split('/').pop()}` : `/${guest}`, ...options.args],
      env: ['PATH=/bin:/usr/bin', 'HOME=/', 'LANG=C'],
      stdout: (data) => this.emit('output', text(data), 'stdout'),
      stderr: (data) => this.emit('output', text(data), 'stderr'),
      stdin: () => new Uint8Array(0),
      // The debug console shows output as it comes: the C library line-buffers a terminal's stdout.
      terminal: true,
    });
    // The debugger steps one instruction at a time: the interpreter is the reference it shows.
    this.process.cpu.translation = false;
    const threads: ElfThread[] = [{ id: CPU_THREAD_ID, name: 'cpu0' }];
    this.dmacs.forEach((dmac, d) => {
      threads.push({ id: threads.length + 1, name: `dma${d} manager`, dmac: d, ref: 'manager' });
      for (let n = 0; n < dmac.config.channels; n++) threads.push({ id: threads.length + 1, name: `dma${d} ch${n}`, dmac: d, ref: n });
    });
    this.threads = threads;
  }

  static launch(options: ElfLaunch, bytes: Uint8Array, warn: (line: string) => void): ElfRuntime {
    try {
      return new ElfRuntime(options, bytes, warn);
    } catch (error) {
      if (error instanceof ElfError || error instanceof DwarfError) throw new UserError(`${options.program}: ${error.message}`);
      throw error;
    }
  }

  get cpu(): LinuxProcess['cpu'] {
    return this.process.cpu;
  }

  /** Starts the program once the client has configured breakpoints. */
  start(): void {
    if (this.options.stopOnEntry) this.stop({ reason: 'entry', threadId: CPU_THREAD_ID });
    else this.resume({ kind: 'continue' });
  }

  /** Line breakpoints of one source file: each moved to the next line with code; unverified when none. */
  setLineBreakpoints(path: string, lines: readonly number[]): { id: number; verified: boolean; line?: number; message?: string }[] {
    for (const [address, id] of this.breakpoints) if (this.breakpointFiles.get(id) === path) this.breakpoints.delete(address);
    for (const [id, file] of this.breakpointFiles) if (file === path) this.breakpointFiles.delete(id);
    return lines.map((line) => {
      const id = this.nextBreakpointId++;
      const resolved = this.lines.resolve(path, line);
      if (!resolved) return { id, verified: false, message: `no code at or after line ${line} in ${path.split('/').pop()} (is the program built with -g?)` };
      this.breakpointFiles.set(id, path);
      for (const address of resolved.addresses) this.breakpoints.set(address, id);
      return { id, verified: true, line: resolved.line };
    });
  }

  /** Instruction breakpoints (the disassembly view's): verified where the address holds code of the program. */
  setInstructionBreakpoints(addresses: readonly number[]): { id: number; verified: boolean; address: number; line?: number; message?: string }[] {
    this.instructionBreakpoints = new Map();
    return addresses.map((address) => {
      const id = this.nextBreakpointId++;
      const why = this.notAnInstruction(address);
      if (why !== undefined) return { id, verified: false, address, message: `no instruction at ${hex32(address)}: ${why}` };
      this.instructionBreakpoints.set(address, id);
      return { id, verified: true, address, line: this.lines.lookup(address)?.line };
    });
  }

  /** Why `address` is not where an instruction of the program starts, if it is not. */
  private notAnInstruction(address: number): string | undefined {
    if (this.process.readCode(address) === undefined) return 'nothing is mapped there';
    const { start, kind } = this.decodingStart(address);
    if (kind === 'data') return 'it holds data (a literal pool), not code';
    if ((address & (kind === 'arm' ? 3 : 1)) !== 0) return `it is not aligned to an ${kind === 'arm' ? 'A32' : 'T32'} instruction`;
    if (kind === 'arm') return undefined;
    const run = disassembleRange(this.process.readCode, start, address + 1, true);
    const last = run[run.length - 1];
    return last === undefined || last.address === address ? undefined : `it is inside the 32-bit instruction at ${hex32(last.address)}`;
  }

  /** `count` instructions from the one `offset` instructions away from `address` (negative: before it). A32 or T32
   * by the ELF's mapping symbols (by CPSR.T where there are none); data regions as `.word`, unmapped memory as
   * `(unmapped)`. */
  disassemble(address: number, offset: number, count: number): ElfInstruction[] {
    address >>>= 0;
    const instructions: ViewLine[] = [];
    if (offset < 0) {
      const before = this.instructionsBefore(address, -offset);
      instructions.push(...before.slice(Math.max(0, before.length + offset)));
      // Short of code before (the start of memory): pad with the lowest instruction's predecessors as words.
      while (instructions.length < Math.min(-offset, count)) {
        const at = ((instructions[0]?.address ?? address) - 4) >>> 0;
        instructions.unshift(this.undecodable(at, 4));
      }
    }
    let at = address;
    if (offset > 0) {
      const skipped = this.instructionsFrom(address, offset);
      at = skipped.length > 0 ? (skipped[skipped.length - 1].address + skipped[skipped.length - 1].length) >>> 0 : address;
    }
    if (instructions.length < count) instructions.push(...this.instructionsFrom(at, count - instructions.length));
    return instructions.slice(0, count).map((d) => this.describe(d));
  }

  /** One view line: the instruction's bytes, its function when it starts one, its source line. */
  private describe(d: ViewLine): ElfInstruction {
    const fn = this.frameTable.functionAt(d.address);
    const row = this.lines.lookup(d.address);
    return {
      address: d.address,
      bytes: this.readBytes(d.address, d.length) ?? new Uint8Array(0),
      text: d.text,
      symbol: fn && fn.start === d.address ? fn.name : undefined,
      path: row && resolve(dirname(this.options.program), row.file),
      line: row?.line,
    };
  }

  private undecodable(address: number, length: number): ViewLine {
    return { address, length, text: '(unmapped)' };
  }

  /** Where decoding may start for the code at `address`: its region's kind and a safe earlier start. */
  private decodingStart(address: number): { start: number; end: number; kind: 'arm' | 'thumb' | 'data' } {
    const region = this.mapping.regionAt(address);
    const kind = region?.kind ?? (this.cpu.thumb ? 'thumb' : 'arm');
    const fn = this.frameTable.functionAt(address);
    let start = Math.max(region?.start ?? 0, fn?.start ?? 0);
    // Far from any symbol a few instructions back are enough for the decoding to fall into step.
    if (address - start > THUMB_RESYNC_LIMIT) start = Math.max(region?.start ?? 0, address - 64) & ~1;
    return { start, end: region?.end ?? Infinity, kind };
  }

  /** `count` instructions from `address` on, crossing into following regions. */
  private instructionsFrom(address: number, count: number): ViewLine[] {
    const out: ViewLine[] = [];
    let at = address;
    while (out.length < count) {
      const { start, end, kind } = this.decodingStart(at);
      if (kind === 'data') {
        const item = this.dataItem(at);
        out.push(item);
        at = (item.address + item.length) >>> 0;
        continue;
      }
      // Decode from the safe start so an IT block's condition reaches the instructions inside it.
      const stop = Math.min(end, at + (count - out.length) * 4);
      const run = disassembleRange(this.process.readCode, kind === 'thumb' ? start : at & ~3, stop, kind === 'thumb').filter((d) => d.address >= at);
      if (run.length === 0) {
        out.push(this.undecodable(at, kind === 'thumb' ? 2 : 4));
        at = (at + (kind === 'thumb' ? 2 : 4)) >>> 0;
        continue;
      }
      out.push(...run.slice(0, count - out.length));
      const last = run[run.length - 1];
      at = (last.address + last.length) >>> 0;
    }
    return out;
  }

  /** Up to `count` instructions ending just before `address`. */
  private instructionsBefore(address: number, count: number): ViewLine[] {
    const out: ViewLine[] = [];
    let end = address;
    while (out.length < count && end > 0) {
      const { start, kind } = this.decodingStart(end - 1);
      const from = kind === 'thumb' ? start : Math.max(start, end - (count - out.length) * 4) & ~3;
      const run = kind === 'data' ? [this.dataItem(end - 1)] : disassembleRange(this.process.readCode, from, end, kind === 'thumb');
      if (run.length === 0 || this.process.readCode(end - 2) === undefined) break;
      out.unshift(...run);
      end = run[0].address;
    }
    return out.slice(Math.max(0, out.length - count));
  }

  /** The item of a data region holding `address`, as objdump lists literal pools: `.word` where 4 aligned bytes of
   * the region remain, else `.short` where 2 aligned ones do, else `.byte`. */
  private dataItem(address: number): ViewLine {
    const region = this.mapping.regionAt(address)!;
    const lengthAt = (p: number): number => ((p & 3) === 0 && p + 4 <= region.end ? 4 : (p & 1) === 0 && p + 2 <= region.end ? 2 : 1);
    // Items start on their own alignment, so from the region's start or the aligned word holding the address the
    // walk takes at most three steps.
    let start = Math.max(region.start, address & ~3);
    while (start + lengthAt(start) <= address) start += lengthAt(start);
    const length = lengthAt(start);
    const bytes = this.readBytes(start, length);
    if (bytes === undefined) return this.undecodable(start, length);
    const value = bytes.reduceRight((v, b) => v * 256 + b, 0);
    const text = length === 4 ? `.word ${hex32(value)}` : length === 2 ? `.short 0x${value.toString(16).padStart(4, '0')}` : `.byte 0x${value.toString(16).padStart(2, '0')}`;
    return { address: start, length, text };
  }

  /** `length` bytes of the process's memory, or undefined where any is unmapped. */
  private readBytes(address: number, length: number): Uint8Array | undefined {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const half = this.process.readCode((address + i) & ~1);
      if (half === undefined) return undefined;
      bytes[i] = ((address + i) & 1) === 0 ? half & 0xff : half >>> 8;
    }
    return bytes;
  }

  /** The ticked DMA event filters; DMASEV and interrupts are watched through each DMAC's observer. */
  setEventFilters(requests: readonly { id: string; condition?: string }[]): void {
    for (const stop of this.unobserve) stop();
    this.unobserve = [];
    this.filters = requests.map((r) => {
      const filter = EVENT_FILTERS.find((f) => f.id === r.id);
      if (!filter) throw new UserError(`unknown exception filter '${r.id}'`);
      const condition = r.condition === undefined || r.condition.trim() === '' ? undefined : integer(r.condition.trim(), `${filter.label} condition`, -1, 0xffffffff);
      return { filter, condition };
    });
    const matching = this.filters.filter((f) => f.filter.match);
    if (matching.length > 0) {
      this.dmacs.forEach((dmac, d) => {
        this.unobserve.push(dmac.observe((event) => {
          for (const { filter, condition } of matching) {
            const n = filter.match!(event);
            if (n === undefined || (condition !== undefined && condition !== n)) continue;
            const thread = 'thread' in event ? event.thread : 'manager';
            this.pendingEvent ??= `dma${d}: ${filter.describe(n, thread, dmac)}`;
          }
        }));
      });
    }
    this.threadStates = this.dmaThreadStates();
  }

  continue(): void {
    this.resume({ kind: 'continue' });
  }

  /** One source line (over calls, or into them), one instruction, or out of the current function. */
  step(granularity: 'line' | 'instruction', over: boolean): void {
    if (granularity === 'instruction') {
      // Stepping over a call instruction runs the call and stops where it returns.
      const current = disassembleAt(this.process.readCode, this.cpu.pc, this.cpu.thumb, this.cpu.it);
      const call = over && current !== undefined && /^blx?(?:[a-z]{2})?(?:\.[nw])? /.test(current.text);
      this.resume(call ? { kind: 'over-call', returnTo: current.address + current.length, sp: this.cpu.r[13] >>> 0 } : { kind: 'instruction' });
    }
    else this.resume({ kind: 'line', over, from: this.lines.lookup(this.cpu.pc), sp: this.cpu.r[13] >>> 0 });
  }

  stepOut(): void {
    this.resume({ kind: 'out', sp: this.cpu.r[13] >>> 0 });
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
    let first = true;
    const slice = (): void => {
      for (let i = 0; i < SLICE; i++) {
        const outcome = this.process.run(1);
        if (outcome !== undefined) return this.exit(outcome);
        budget--;
        const stop = this.stopAfterInstruction(mode, first);
        first = false;
        if (stop) return this.stop(stop);
        if (budget <= 0) return this.stop({ reason: 'pause', threadId: CPU_THREAD_ID, description: `stopped after ${this.options.maxInstructions} instructions (maxInstructions)` });
      }
      if (this.pauseRequested) return this.stop({ reason: 'pause', threadId: CPU_THREAD_ID });
      setImmediate(slice);
    };
    setImmediate(slice);
  }

  /** Why to stop now that one more instruction ran, if at all. */
  private stopAfterInstruction(mode: StepMode, first: boolean): StopInfo | undefined {
    const pc = this.cpu.pc;
    if (this.filters.some((f) => f.filter.transition)) this.checkTransitions();
    const row = this.lines.lookup(pc);
    const atLineStart = row !== undefined && row.address === pc && row.isStmt;
    if (this.pendingEvent !== undefined && row !== undefined) {
      const text = this.pendingEvent;
      this.pendingEvent = undefined;
      return { reason: 'exception', threadId: CPU_THREAD_ID, description: text, text };
    }
    const hit = this.breakpoints.get(pc) ?? this.instructionBreakpoints.get(pc);
    if (hit !== undefined) return { reason: 'breakpoint', threadId: CPU_THREAD_ID, breakpointIds: [hit] };
    switch (mode.kind) {
      case 'instruction':
        return first ? { reason: 'step', threadId: CPU_THREAD_ID } : undefined;
      case 'over-call':
        return pc === mode.returnTo && (this.cpu.r[13] >>> 0) >= mode.sp ? { reason: 'step', threadId: CPU_THREAD_ID } : undefined;
      case 'line': {
        if (!atLineStart) return undefined;
        const sp = this.cpu.r[13] >>> 0;
        if (mode.over && sp < mode.sp) return undefined; // inside a call made from the line
        const sameLine = mode.from !== undefined && row.line === mode.from.line && row.file === mode.from.file && sp === mode.sp;
        return sameLine ? undefined : { reason: 'step', threadId: CPU_THREAD_ID };
      }
      case 'out':
        return row !== undefined && (this.cpu.r[13] >>> 0) > mode.sp && atLineStart ? { reason: 'step', threadId: CPU_THREAD_ID } : undefined;
      default:
        return undefined;
    }
  }

  /** Filters seen in a DMA thread's state change (DMAGO, waiting, faults, DMAEND). */
  private checkTransitions(): void {
    const states = this.dmaThreadStates();
    for (let i = 0; i < states.length; i++) {
      const from = this.threadStates[i];
      const to = states[i];
      if (from === to) continue;
      const thread = this.threads[i + 1];
      const dmac = this.dmacs[thread.dmac!];
      for (const { filter, condition } of this.filters) {
        const n = filter.transition?.(from, to, dmac, thread.ref!);
        if (n === undefined || (condition !== undefined && condition !== n)) continue;
        this.pendingEvent ??= `${thread.name}: ${filter.describe(n, thread.ref!, dmac)}`;
      }
    }
    this.threadStates = states;
  }

  private dmaThreadStates(): number[] {
    return this.threads.slice(1).map((t) => this.dmacs[t.dmac!].threadState(t.ref!));
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

  /** The call stack of a thread: the CPU's unwound through .debug_frame, each frame on its C line (a caller's on
   * the line of its call); a DMA thread's one frame at its program counter. */
  frames(threadId: number): ElfFrame[] {
    const thread = this.thread(threadId);
    if (thread.dmac === undefined) {
      const memory = this.process.memory;
      return this.frameTable.unwind(this.cpu.r, this.cpu.pc, (a) => memory.read32(a)).map((pc, depth) => {
        const row = this.lines.lookup(depth === 0 ? pc : pc - 1);
        const fn = this.frameTable.functionAt(depth === 0 ? pc : pc - 1)?.name;
        return {
          pc,
          name: fn ?? (row ? `${row.file.split('/').pop()}:${row.line}` : `${hex32(pc)} (no line information)`),
          path: row && resolve(dirname(this.options.program), row.file),
          line: row?.line,
          column: row?.column,
        };
      });
    }
    const dmac = this.dmacs[thread.dmac];
    const pc = dmac.register(thread.ref === 'manager' ? 'DPC' : `CPC${thread.ref}`);
    return [{ pc, name: `${thread.name} at ${hex32(pc)}` }];
  }

  thread(id: number): ElfThread {
    const thread = this.threads.find((t) => t.id === id);
    if (!thread) throw new UserError(`no thread ${id}`);
    return thread;
  }

  /** r0-r12, sp, lr, pc, the CPSR with its fields, and the VFP registers d0-d15. */
  cpuRegisters(): VariableNode[] {
    const cpu = this.cpu;
    const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr'];
    const nodes: VariableNode[] = names.map((name, i) => ({ name, value: hex32(cpu.r[i]), memoryReference: hex32(cpu.r[i]) }));
    nodes.push({ name: 'pc', value: hex32(cpu.pc), memoryReference: hex32(cpu.pc) });
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

  /** A debug console or hover expression over the CPU's registers (r0-r15, sp, lr, pc, cpsr) and memory
   * (`*(u32 *)(sp + 4)`). */
  evaluate(expression: string): number {
    const cpu = this.cpu;
    const named: Record<string, number> = { sp: 13, lr: 14, fp: 7 };
    const memory = this.process.memory;
    return evaluateExpression(expression, {
      value: (name) => {
        const lower = name.toLowerCase();
        if (lower === 'pc' || lower === 'r15') return cpu.pc;
        if (lower === 'cpsr') return cpu.cpsr;
        const m = /^r(\d{1,2})$/.exec(lower);
        const index = m ? Number(m[1]) : named[lower];
        return index !== undefined && index < 15 ? cpu.r[index] >>> 0 : undefined;
      },
      readMemory: (address, size) => {
        try {
          return size === 1 ? memory.read8(address) : size === 2 ? memory.read16(address) : memory.read32(address) >>> 0;
        } catch {
          return undefined;
        }
      },
    });
  }

  /** A DMA thread's state and program counter. */
  dmaRegisters(threadId: number): VariableNode[] {
    const thread = this.thread(threadId);
    const dmac = this.dmacs[thread.dmac!];
    const regs = thread.ref === 'manager' ? ['DSR', 'DPC', 'FTRD'] : [`CSR${thread.ref}`, `CPC${thread.ref}`, `SAR${thread.ref}`, `DAR${thread.ref}`, `CCR${thread.ref}`, `FTR${thread.ref}`];
    return regs.map((name) => ({ name, value: hex32(dmac.register(name)) }));
  }
}
