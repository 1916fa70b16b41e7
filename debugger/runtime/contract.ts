// What the debug adapter asks of the program it debugs, whatever its kind (PL330 microcode, a scenario driving the
// machine, an ARM executable, later a kernel): one method per request, answers in the debugger's terms (0-based
// lines and columns, numbers for addresses). A runtime knows nothing of the Debug Adapter Protocol; the session
// translates. Events a runtime emits:
//   'stopped' (StopInfo)                          everything stopped (CPUs and DMACs together)
//   'output'  (text, category, source?, line?)    program output, logpoints, trace, warnings
//   'exited'  (status)   then   'end'
import type { EventEmitter } from 'node:events';
import type { MachineTraceRecorder } from '../../emulator/machine/trace';
import type { DataAccess } from './breakpoints';
import type { VariableNode } from './views';

/** A source of code: a file, or (with `text`) a listing in no file, which the client asks for by reference. */
export interface SourceRef {
  readonly path: string;
  readonly text?: string;
}

export interface ThreadInfo {
  /** Stable for the session. */
  readonly id: number;
  readonly name: string;
}

export interface FrameInfo {
  /** Unique among the frames of the current stop: what scopes and evaluate name. */
  readonly id: number;
  readonly name: string;
  readonly pc: number;
  readonly source?: SourceRef;
  /** 0-based. */
  readonly line?: number;
  readonly column?: number;
}

export interface ScopeInfo {
  readonly name: string;
  readonly variables: () => VariableNode[];
  readonly expensive: boolean;
}

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'instruction breakpoint' | 'data breakpoint' | 'exception' | 'pause';

export interface StopInfo {
  readonly reason: StopReason;
  readonly threadId: number;
  readonly description?: string;
  readonly text?: string;
  readonly breakpointIds?: readonly number[];
}

export interface LineBreakpointRequest {
  /** 0-based. */
  readonly line: number;
  readonly condition?: string;
  readonly hitCondition?: string;
  readonly logMessage?: string;
}

export interface InstructionBreakpointRequest {
  readonly address: number;
  readonly condition?: string;
  readonly hitCondition?: string;
}

export interface FunctionBreakpointRequest {
  /** A symbol (a kernel function). */
  readonly name: string;
  readonly condition?: string;
  readonly hitCondition?: string;
}

export interface DataBreakpointRequest {
  readonly dataId: string;
  readonly access?: DataAccess;
  readonly condition?: string;
  readonly hitCondition?: string;
}

export interface BreakpointResult {
  readonly id: number;
  readonly verified: boolean;
  readonly message?: string;
  readonly source?: SourceRef;
  /** 0-based line the breakpoint is bound to. */
  readonly line?: number;
  readonly address?: number;
}

/** What a data breakpoint on a name would watch (dataId null: nothing). */
export interface DataTarget {
  readonly dataId: string | null;
  readonly description: string;
  readonly accessTypes?: readonly DataAccess[];
}

export interface EventFilterRequest {
  readonly id: string;
  readonly condition?: string;
}

export interface EvaluateResult {
  readonly result: string;
  /** Where the value points, when it is an address. */
  readonly memoryReference?: number;
}

export interface DisassembledLine {
  readonly address: number;
  readonly bytes: Uint8Array;
  readonly text: string;
  /** The function starting here. */
  readonly symbol?: string;
  readonly source?: SourceRef;
  /** 0-based. */
  readonly line?: number;
}

export type StepGranularity = 'line' | 'instruction';

/** Over calls (next), into them (step in), out of the current function or loop (step out). */
export type StepKind = 'over' | 'in' | 'out';

/** The DMA timeline as it stands: its recorder, up to `end` (ps; what still runs is shown up to there), and the
 * present in the trace's microseconds. */
export interface TimelineView {
  readonly recorder: MachineTraceRecorder;
  readonly end: number;
  /** What the document's otherData says of the run. */
  readonly otherData: Readonly<Record<string, string | number>>;
  /** The machine's present, in the trace's microseconds. */
  readonly now: number;
}

/** An item of the timeline, by its lane's process and the program counter it names. */
export interface TimelineItem {
  readonly pid: number;
  readonly pc: number;
  /** Return addresses of the frames above (a CPU access's `callers`). */
  readonly callers?: readonly number[];
}

export interface Runtime extends EventEmitter {
  /** After the client's configuration: stop on entry, or run. */
  start(): void;

  threads(): ThreadInfo[];
  frames(threadId: number): FrameInfo[];
  scopes(frameId: number): ScopeInfo[];

  /** Replaces the line breakpoints of one source. */
  setLineBreakpoints(source: SourceRef, requests: readonly LineBreakpointRequest[]): BreakpointResult[];
  setInstructionBreakpoints(requests: readonly InstructionBreakpointRequest[]): BreakpointResult[];
  /** Breakpoints on symbols (kinds with a symbol table: kernels); undefined where the kind has none. */
  setFunctionBreakpoints?(requests: readonly FunctionBreakpointRequest[]): BreakpointResult[];
  /** `name`: an address or ADDRESS:LENGTH, or a variable's memory reference. */
  dataBreakpointInfo(name: string, bytes?: number): DataTarget;
  setDataBreakpoints(requests: readonly DataBreakpointRequest[]): BreakpointResult[];
  /** The DMA event filters (EVENT_FILTERS) that stop the session, with their conditions. */
  setEventFilters(requests: readonly EventFilterRequest[]): void;

  continue(): void;
  step(threadId: number, kind: StepKind, granularity: StepGranularity): void;
  stepBack(threadId: number): void;
  reverseContinue(): void;
  pause(): void;

  /** In the context of a frame (default: where the session stopped). */
  evaluate(expression: string, frameId?: number): EvaluateResult;
  /** Bytes from `address` on, as many as are readable (unreadable ones are left out). */
  readMemory(address: number, count: number): Uint8Array;
  /** Physical memory (RAM only: device registers are not read), for kinds whose CPU addresses are virtual (kernels):
   * the session's `phys:ADDRESS` memory references. */
  readPhysicalMemory?(address: number, count: number): Uint8Array;
  /** Returns how many bytes were written. */
  writeMemory(address: number, bytes: Uint8Array): number;
  /** Bytes typed on the guest's console, for kinds that run a guest with one (kernels): recorded with the run. */
  consoleInput?(text: string): void;
  disassemble(address: number, offset: number, count: number): DisassembledLine[];

  /** The DMA timeline; the first call starts recording it (until then nothing observes the machine for it). */
  timeline(): TimelineView;
  /** Where an item of the timeline comes from: its microcode or C line (undefined: nowhere known). */
  timelineSource(item: TimelineItem): { source: SourceRef; line: number } | undefined;
}

/** Frame ids: the thread's id plus the frame's depth times this. */
export const FRAME_DEPTH_STRIDE = 0x10000;

export function frameId(threadId: number, depth: number): number {
  return depth * FRAME_DEPTH_STRIDE + threadId;
}

export function frameThread(id: number): { threadId: number; depth: number } {
  return { threadId: id % FRAME_DEPTH_STRIDE, depth: Math.floor(id / FRAME_DEPTH_STRIDE) };
}
