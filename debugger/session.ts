// The Debug Adapter Protocol session: one handler per request, each translating arguments to one call of the
// runtime (runtime/contract.ts) and its result to a response; runtime events become DAP events. No debugging logic
// lives here, and nothing depends on the kind of program the runtime runs.
import {
  DebugSession, ExitedEvent, Handles, InitializedEvent, OutputEvent, Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { BreakpointResult, Runtime, SourceRef, StopInfo } from './runtime/contract';
import { EvaluationError } from './runtime/expression';
import { EVENT_FILTERS } from './runtime/filters';
import { CONSOLE_LINE, consoleLine } from './runtime/kernel-console';
import { UserError } from './runtime/launch';
import { launchRuntime } from './runtime/launch-runtime';
import type { FileAccess } from './runtime/microcode-runtime';
import { VariableNode, hex32 } from './runtime/views';
import { SourceMap } from './source-map';
import { describeFileError } from '../server/file-errors';

/** A file the launch names, read; one that cannot be is said in words (`board.dts: no such file`). */
function readNamedFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const message = describeFileError(error, path);
    throw message === undefined ? error : new Error(message);
  }
}

const NODE_FILES: FileAccess = {
  readText: (path) => readNamedFile(path).toString('utf8'),
  readBytes: (path) => new Uint8Array(readNamedFile(path)),
};

/** Error response codes: 1 for mistakes in what the user asked, 2 for the adapter's own failures. */
const USER_ERROR = 1;
const INTERNAL_ERROR = 2;
/** The most a readMemory answers at once. */
const MAX_READ = 1 << 20;

export class DmaDebugSession extends DebugSession {
  private runtime: Runtime | undefined;
  private sourceMap: SourceMap | undefined;
  /** Sources in no file (listings of microcode a scenario runs), by path and text: the client asks for their text
   * by reference. */
  private readonly listings = new Map<string, { reference: number; path: string; text: string }>();
  private readonly variables = new Handles<() => VariableNode[]>();
  private configured!: () => void;
  private readonly configurationDone = new Promise<void>((resolve) => (this.configured = resolve));

  /** Files are read from disk; an in-editor host could pass its workspace file system here. */
  protected readonly files: FileAccess = NODE_FILES;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(false);
    this.setDebuggerColumnsStartAt1(false);
  }

  protected initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsInstructionBreakpoints: true,
      supportsFunctionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsDataBreakpointBytes: true,
      supportsStepBack: true,
      supportsSteppingGranularity: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsEvaluateForHovers: true,
      supportsTerminateRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: EVENT_FILTERS.map((f) => ({
        filter: f.id, label: f.label, description: f.description, default: f.default,
        supportsCondition: f.condition !== undefined, conditionDescription: f.condition && `only this ${f.condition}`,
      })),
    };
    this.sendResponse(response);
  }

  /** Runtime events become DAP events; the runtime starts once the client has sent its configuration. */
  protected launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    this.handle(response, () => {
      if (this.runtime) throw new UserError('this session has already launched a program');
      const out = (line: string) => this.sendEvent(new OutputEvent(`${line}\n`, 'stdout'));
      const { sourceMap, sourceFileMap, ...raw } = (args ?? {}) as Record<string, unknown>;
      const map = SourceMap.parse({ sourceMap, sourceFileMap }, process.cwd());
      const { runtime, warnings, warningCategory } = launchRuntime(raw, process.cwd(), this.files, out);
      this.sourceMap = map;
      this.runtime = runtime;
      runtime.on('stopped', (stop: StopInfo) => this.stopped(stop));
      runtime.on('output', (text: string, category: string, source?: SourceRef, line?: number) => {
        const event: DebugProtocol.OutputEvent = new OutputEvent(text, category);
        if (source !== undefined && line !== undefined) {
          event.body.source = this.source(source);
          event.body.line = this.convertDebuggerLineToClient(line);
        }
        this.sendEvent(event);
      });
      runtime.on('exited', (status: number) => this.sendEvent(new ExitedEvent(status)));
      runtime.on('end', () => this.sendEvent(new TerminatedEvent()));
      for (const w of warnings) this.sendEvent(new OutputEvent(w + '\n', warningCategory));
      void this.configurationDone.then(() => runtime.start());
      this.sendEvent(new InitializedEvent());
    });
  }

  /** A dmalab session runs its own machine: there is no running one to attach to. */
  protected attachRequest(response: DebugProtocol.AttachResponse): void {
    this.handle(response, () => {
      throw new UserError("a dmalab session is launched (\"request\": \"launch\"): there is no running machine to attach to");
    });
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured();
    this.sendResponse(response);
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.handle(response, () => {
      const reference = args.source.sourceReference;
      const listing = reference ? [...this.listings.values()].find((l) => l.reference === reference)?.path : undefined;
      const path = listing ?? (reference ? `source ${reference}` : this.recordedPath(args.source.path ?? ''));
      const results = this.launched().setLineBreakpoints({ path }, (args.breakpoints ?? []).map((b) => ({
        line: this.convertClientLineToDebugger(b.line), condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage,
      })));
      response.body = {
        breakpoints: results.map((r) => ({
          id: r.id, verified: r.verified, message: r.message, source: r.source ? this.source(r.source) : args.source,
          line: r.line === undefined ? undefined : this.convertDebuggerLineToClient(r.line),
          instructionReference: r.address === undefined ? undefined : hex32(r.address),
        })),
      };
    });
  }

  protected setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.handle(response, () => {
      const results = this.launched().setInstructionBreakpoints(args.breakpoints.map((b) => ({
        address: parseAddress(b.instructionReference) + (b.offset ?? 0), condition: b.condition, hitCondition: b.hitCondition,
      })));
      response.body = {
        breakpoints: results.map((r) => ({
          id: r.id, verified: r.verified, message: r.message, instructionReference: r.address === undefined ? undefined : hex32(r.address),
          source: r.source && this.source(r.source), line: r.line === undefined ? undefined : this.convertDebuggerLineToClient(r.line),
        })),
      };
    });
  }

  /** On kernel symbols (`pl330_start_thread`); other kinds have no symbol table for them. */
  protected setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.handle(response, () => {
      const runtime = this.launched();
      const requests = args.breakpoints.map((b) => ({ name: b.name, condition: b.condition, hitCondition: b.hitCondition }));
      const results: BreakpointResult[] = runtime.setFunctionBreakpoints?.(requests)
        ?? requests.map(() => ({ id: 0, verified: false, message: 'function breakpoints are for kernel sessions (launch with \'kernel\'): use line or instruction breakpoints' }));
      response.body = {
        breakpoints: results.map((r) => ({ id: r.id || undefined, verified: r.verified, message: r.message, instructionReference: r.address === undefined ? undefined : hex32(r.address) })),
      };
    });
  }

  protected setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.handle(response, () => {
      const requests = [...args.filters.map((id) => ({ id })), ...(args.filterOptions ?? []).map((o) => ({ id: o.filterId, condition: o.condition }))];
      this.launched().setEventFilters(requests);
      response.body = { breakpoints: requests.map(() => ({ verified: true })) };
    });
  }

  protected dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    this.handle(response, () => {
      let name = args.name;
      if (args.variablesReference !== undefined) {
        const node = this.variables.get(args.variablesReference)?.().find((v) => v.name === args.name);
        name = node?.memoryReference ?? '';
      }
      const target = this.launched().dataBreakpointInfo(name, args.bytes);
      response.body = target.dataId === null
        ? { dataId: null, description: target.description }
        : { dataId: target.dataId, description: target.description, accessTypes: target.accessTypes && [...target.accessTypes], canPersist: true };
    });
  }

  protected setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.handle(response, () => {
      const results = this.launched().setDataBreakpoints(args.breakpoints.map((b) => ({ dataId: b.dataId, access: b.accessType, condition: b.condition, hitCondition: b.hitCondition })));
      response.body = { breakpoints: results.map((r) => ({ id: r.id, verified: r.verified, message: r.message })) };
    });
  }

  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: (this.runtime?.threads() ?? []).map((t) => new Thread(t.id, t.name)) };
    this.sendResponse(response);
  }

  protected stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.handle(response, () => {
      const frames = this.launched().frames(args.threadId).map((f) => {
        const sf: DebugProtocol.StackFrame = new StackFrame(f.id, f.name, f.source && this.source(f.source),
          f.line === undefined ? 0 : this.convertDebuggerLineToClient(f.line), f.column === undefined ? 0 : this.convertDebuggerColumnToClient(f.column));
        sf.instructionPointerReference = hex32(f.pc);
        return sf;
      });
      response.body = { stackFrames: frames, totalFrames: frames.length };
    });
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.handle(response, () => {
      response.body = { scopes: this.launched().scopes(args.frameId).map((s) => new Scope(s.name, this.variables.create(s.variables), s.expensive)) };
    });
  }

  protected variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.handle(response, () => {
      const nodes = this.variables.get(args.variablesReference);
      if (!nodes) throw new UserError(`no variables ${args.variablesReference} (they expire when the program runs)`);
      response.body = {
        variables: nodes().map((n) => ({
          name: n.name, value: n.value, evaluateName: n.evaluateName, memoryReference: n.memoryReference,
          variablesReference: n.children ? this.variables.create(n.children) : 0,
        })),
      };
    });
  }

  protected continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.resume(response, (r) => r.continue());
    response.body = { allThreadsContinued: true };
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.resume(response, (r) => r.step(args.threadId, 'over', args.granularity === 'instruction' ? 'instruction' : 'line'));
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.resume(response, (r) => r.step(args.threadId, 'in', args.granularity === 'instruction' ? 'instruction' : 'line'));
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.resume(response, (r) => r.step(args.threadId, 'out', args.granularity === 'instruction' ? 'instruction' : 'line'));
  }

  protected stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.resume(response, (r) => r.stepBack(args.threadId));
  }

  protected reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.resume(response, (r) => r.reverseContinue());
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.handle(response, () => this.launched().pause());
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.handle(response, () => {
      const line = args.context === 'repl' ? CONSOLE_LINE.exec(args.expression) : null;
      if (line) {
        this.typeOnConsole(consoleLine(line[1]));
        response.body = { result: '', variablesReference: 0 };
        return;
      }
      const { result, memoryReference } = this.launched().evaluate(args.expression, args.frameId);
      response.body = { result, variablesReference: 0, memoryReference: memoryReference === undefined ? undefined : hex32(memoryReference) };
    });
  }

  /** A `phys:ADDRESS` reference reads physical memory (kernel sessions, whose CPU addresses are virtual). */
  protected readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.handle(response, () => {
      const physical = PHYSICAL_REFERENCE.exec(args.memoryReference);
      if (physical) {
        const runtime = this.launched();
        if (!runtime.readPhysicalMemory) throw new UserError(`'${args.memoryReference}': physical references are for kernel sessions (this session's addresses are physical already)`);
        const address = parseAddress(physical[1], PHYSICAL_LIMIT) + (args.offset ?? 0);
        const bytes = runtime.readPhysicalMemory(address, Math.min(args.count, MAX_READ));
        response.body = { address: `phys:0x${address.toString(16)}`, data: Buffer.from(bytes).toString('base64'), unreadableBytes: args.count - bytes.length };
        return;
      }
      const address = parseAddress(args.memoryReference) + (args.offset ?? 0);
      const bytes = this.launched().readMemory(address, Math.min(args.count, MAX_READ));
      response.body = { address: hex32(address), data: Buffer.from(bytes).toString('base64'), unreadableBytes: args.count - bytes.length };
    });
  }

  protected writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.handle(response, () => {
      const address = parseAddress(args.memoryReference) + (args.offset ?? 0);
      response.body = { bytesWritten: this.launched().writeMemory(address, new Uint8Array(Buffer.from(args.data, 'base64'))) };
    });
  }

  protected disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.handle(response, () => {
      const address = parseAddress(args.memoryReference) + (args.offset ?? 0);
      const lines = this.launched().disassemble(address, args.instructionOffset ?? 0, Math.min(args.instructionCount, 10_000));
      response.body = {
        instructions: lines.map((l) => ({
          address: hex32(l.address), instruction: l.text, instructionBytes: Array.from(l.bytes, (b) => b.toString(16).padStart(2, '0')).join(' '),
          symbol: l.symbol, location: l.source && this.source(l.source), line: l.line === undefined ? undefined : this.convertDebuggerLineToClient(l.line),
        })),
      };
    });
  }

  protected sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    this.handle(response, () => {
      const reference = args.source?.sourceReference ?? args.sourceReference;
      const listing = [...this.listings.values()].find((l) => l.reference === reference);
      if (!listing) throw new UserError(`no source ${reference} (sources by reference are the listings of microcode a scenario runs)`);
      response.body = { content: listing.text, mimeType: 'text/x-pl330' };
    });
  }

  private typeOnConsole(text: string): void {
    const runtime = this.launched();
    if (!runtime.consoleInput) throw new UserError('console input is for kernel sessions (the guest\'s console UART)');
    runtime.consoleInput(text);
  }

  /**
   * dmalab's own requests (the editor's DMA timeline and trace export):
   *   dmalab/timeline          → { trace, now }: the Chrome trace-event document so far, the present in its µs
   *   dmalab/timeline {incremental: true, since?} → { cursor, reset, metadata, added, open, now }: what was recorded
   *                              since the `cursor` of an earlier answer (none, or a stale one: everything, `reset`)
   *   dmalab/exportTrace {path} → { path, events }: that document written to a file
   *   dmalab/timelineSource {pid, pc} → { source, line } of a timeline item (none: no body)
   *   dmalab/consoleInput {text} → typed on a kernel session's console (when the machine next runs; recorded)
   */
  protected customRequest(command: string, response: DebugProtocol.Response, args: Record<string, unknown> | undefined): void {
    this.handle(response, () => {
      switch (command) {
        case 'dmalab/timeline': {
          const { recorder, end, otherData, now } = this.launched().timeline();
          if (args?.since !== undefined && typeof args.since !== 'string') throw new UserError("dmalab/timeline: 'since' must be the cursor of an earlier answer");
          response.body = args?.incremental === true
            ? { ...recorder.delta(args.since as string | undefined, end), now }
            : { trace: recorder.document(end, otherData), now };
          break;
        }
        case 'dmalab/exportTrace': {
          const path = args?.path;
          if (typeof path !== 'string' || path === '') throw new UserError("dmalab/exportTrace: 'path' must name the file to write");
          const { recorder, end, otherData } = this.launched().timeline();
          const trace = recorder.document(end, otherData);
          try {
            writeFileSync(path, JSON.stringify(trace) + '\n');
          } catch (error) {
            throw new UserError(`dmalab/exportTrace: ${path}: ${(error as Error).message}`);
          }
          response.body = { path, events: trace.traceEvents.length };
          break;
        }
        case 'dmalab/timelineSource': {
          const pid = Number(args?.pid), pc = Number(args?.pc);
          const callers = Array.isArray(args?.callers) ? args.callers.map(Number) : [];
          if (!Number.isInteger(pid) || !Number.isInteger(pc) || !callers.every(Number.isInteger)) {
            throw new UserError("dmalab/timelineSource: 'pid', 'pc' and 'callers' must be numbers");
          }
          const where = this.launched().timelineSource({ pid, pc, callers });
          response.body = where && { source: this.source(where.source), line: this.convertDebuggerLineToClient(where.line) };
          break;
        }
        case 'dmalab/consoleInput': {
          if (typeof args?.text !== 'string') throw new UserError("dmalab/consoleInput: 'text' must be the characters to type");
          this.typeOnConsole(args.text);
          break;
        }
        default:
          throw new UserError(`unknown request '${command}'`);
      }
    });
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.runtime?.pause();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments, request?: DebugProtocol.Request): void {
    this.runtime?.pause();
    super.disconnectRequest(response, args, request);
  }

  /** Anything the user got wrong becomes an error response; the adapter itself keeps running. */
  private handle(response: DebugProtocol.Response, body: () => void): void {
    try {
      body();
      this.sendResponse(response);
    } catch (error) {
      const mine = error instanceof UserError || error instanceof EvaluationError;
      const message = mine ? (error as Error).message : `internal error: ${(error as Error).stack ?? error}`;
      // No variables: a brace in the message (a JSON example) is shown as it is; clients substitute only `{name}`s
      // that the variables define.
      this.sendErrorResponse(response, { id: mine ? USER_ERROR : INTERNAL_ERROR, format: message, variables: {}, showUser: true });
    }
  }

  /** Variables expire when the program runs; the response goes before the runtime's events (it runs from the event loop). */
  private resume(response: DebugProtocol.Response, action: (runtime: Runtime) => void): void {
    this.handle(response, () => {
      this.variables.reset();
      action(this.launched());
    });
  }

  private stopped(stop: StopInfo): void {
    const event: DebugProtocol.StoppedEvent = new StoppedEvent(stop.reason, stop.threadId);
    event.body.description = stop.description;
    event.body.text = stop.text;
    event.body.allThreadsStopped = true;
    if (stop.breakpointIds) event.body.hitBreakpointIds = [...stop.breakpointIds];
    this.sendEvent(event);
  }

  private launched(): Runtime {
    if (!this.runtime) throw new UserError('no program is launched yet (send launch first)');
    return this.runtime;
  }

  /** An editor's path as the program's debug information records it (the launch's `sourceMap`). */
  private recordedPath(path: string): string {
    const debuggerPath = this.convertClientPathToDebugger(path);
    return this.sourceMap?.recorded(debuggerPath) ?? debuggerPath;
  }

  /** A file by path; a listing by a reference the client asks the text of. */
  private source(ref: SourceRef): Source {
    if (ref.text === undefined) return new Source(basename(ref.path), this.convertDebuggerPathToClient(this.sourceMap?.local(ref.path) ?? ref.path));
    const key = `${ref.path}\n${ref.text}`;
    let listing = this.listings.get(key);
    if (listing === undefined) this.listings.set(key, (listing = { reference: this.listings.size + 1, path: ref.path, text: ref.text }));
    return new Source(ref.path, undefined, listing.reference, 'microcode listing');
  }
}

/** `phys:0x80008000`: a physical address (up to LPAE's 40 bits). */
const PHYSICAL_REFERENCE = /^\s*phys:\s*(.+)$/i;
const PHYSICAL_LIMIT = 2 ** 40 - 1;

/** A memory or instruction reference: `0x2000`, `8192`. */
function parseAddress(reference: string, limit = 0xffffffff): number {
  const value = Number(reference.trim());
  if (!Number.isSafeInteger(value) || value < 0 || value > limit) throw new UserError(`'${reference}' is not an address`);
  return value;
}
