// The Debug Adapter Protocol session: one handler per request, each translating arguments to a runtime call and the
// result to a response; runtime events become DAP events. No debugging logic lives here (see runtime/runtime.ts).
import {
  DebugSession, ExitedEvent, Handles, InitializedEvent, OutputEvent, Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadPlatform, packageRoot } from '../scenarios/platform';
import { SCENARIOS, scenarioSession } from '../scenarios/registry';
import { dataIdFor } from './runtime/breakpoints';
import { EvaluationError } from './runtime/expression';
import { EVENT_FILTERS } from './runtime/filters';
import { CPU_THREAD_ID, ElfRuntime, isElf, parseElfArguments } from './runtime/elf-runtime';
import { UserError, parseLaunchArguments, parseScenarioArguments } from './runtime/launch';
import type { DebugProgram } from './runtime/program';
import { DmaRuntime, FileAccess, StopInfo, formatValue } from './runtime/runtime';
import { VariableNode, hex32 } from './runtime/views';

const NODE_FILES: FileAccess = {
  readText: (path) => readFileSync(path, 'utf8'),
  readBytes: (path) => new Uint8Array(readFileSync(path)),
};

/** Error response codes: 1 for mistakes in what the user asked, 2 for the adapter's own failures. */
const USER_ERROR = 1;
/** Frame ids of an ARM executable's call stack: depth * stride + thread id (registers are the top frame's). */
const ELF_FRAME_STRIDE = 1000;
const INTERNAL_ERROR = 2;

export class DmaDebugSession extends DebugSession {
  private runtime: DmaRuntime | undefined;
  /** Listings of microcode (a scenario's) are sources in no file: the client asks for their text by reference. */
  private readonly listings = new Map<DebugProgram, number>();
  /** The session of an ARM executable (instead of `runtime`). */
  private elf: ElfRuntime | undefined;
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

  protected launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    if ((args as Record<string, unknown> | undefined)?.scenario !== undefined) {
      this.launchScenario(response, args as Record<string, unknown>);
      return;
    }
    const program = (args as Record<string, unknown> | undefined)?.program;
    if (typeof program === 'string' && program !== '' && startsWithElfMagic(program)) {
      this.launchElf(response, args as Record<string, unknown>);
      return;
    }
    this.handle(response, () => {
      if (this.runtime) throw new UserError('this session has already launched a program');
      const options = parseLaunchArguments((args ?? {}) as Record<string, unknown>, process.cwd());
      const { runtime, warnings } = DmaRuntime.launch(options, this.files, loadPlatform);
      this.attach(runtime, warnings, 'console');
    });
  }

  /**
   * A scenario's program drives the machine; the session runs the machine between its waits, so breakpoints, event
   * filters and stepping work in the microcode it starts. Each step is console output, PASS or FAIL the exit code.
   */
  private launchScenario(response: DebugProtocol.LaunchResponse, raw: Record<string, unknown>): void {
    const executable = typeof raw.scenario === 'string' ? SCENARIOS[raw.scenario]?.executable : undefined;
    if (executable && raw.program === undefined) {
      // Its C source is what the user steps: the scenario's executable becomes the session's program.
      const { scenario: _, device, ...rest } = raw;
      if (device !== undefined && typeof device !== 'string') this.handle(response, () => { throw new UserError(`'device' must be a device name such as 2c0a0000.dma (got ${JSON.stringify(device)})`); });
      else this.launchElf(response, { ...rest, program: join(packageRoot(), executable), args: device === undefined ? [] : [device] });
      return;
    }
    this.handle(response, () => {
      if (this.runtime || this.elf) throw new UserError('this session has already launched a program');
      const launch = parseScenarioArguments(raw, process.cwd(), Object.keys(SCENARIOS));
      const out = (line: string) => this.sendEvent(new OutputEvent(`${line}\n`, 'stdout'));
      const { runtime, warnings } = DmaRuntime.launchScenario(launch, loadPlatform, (machine) => scenarioSession(launch.scenario, machine, out, launch.device));
      this.attach(runtime, warnings, 'stderr');
    });
  }

  /** Runtime events become DAP events; the runtime starts once the client has sent its configuration. */
  private attach(runtime: DmaRuntime, warnings: readonly string[], warningCategory: string): void {
    this.runtime = runtime;
    runtime.on('stopped', (stop: StopInfo) => this.stopped(stop));
    runtime.on('output', (text: string, category: string, line?: number) => {
      const event: DebugProtocol.OutputEvent = new OutputEvent(text, category);
      if (line !== undefined) {
        event.body.source = this.source();
        event.body.line = this.convertDebuggerLineToClient(line);
      }
      this.sendEvent(event);
    });
    runtime.on('exited', (status: number) => this.sendEvent(new ExitedEvent(status)));
    runtime.on('end', () => this.sendEvent(new TerminatedEvent()));
    for (const w of warnings) this.sendEvent(new OutputEvent(w + '\n', warningCategory));
    void this.configurationDone.then(() => runtime.start());
    this.sendEvent(new InitializedEvent());
  }

  /** An ARM executable runs on the CPU; its stops are in its C source (DWARF line table). */
  private launchElf(response: DebugProtocol.LaunchResponse, raw: Record<string, unknown>): void {
    this.handle(response, () => {
      if (this.runtime || this.elf) throw new UserError('this session has already launched a program');
      const options = parseElfArguments(raw, process.cwd());
      const elf = ElfRuntime.launch(options, this.files.readBytes(options.program), (line) => this.sendEvent(new OutputEvent(`${line}\n`, 'console')));
      this.elf = elf;
      elf.on('stopped', (stop: StopInfo) => this.stopped(stop));
      elf.on('output', (text: string, category: string) => this.sendEvent(new OutputEvent(text, category)));
      elf.on('exited', (status: number) => this.sendEvent(new ExitedEvent(status)));
      elf.on('end', () => this.sendEvent(new TerminatedEvent()));
      void this.configurationDone.then(() => elf.start());
      this.sendEvent(new InitializedEvent());
    });
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured();
    this.sendResponse(response);
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.handle(response, () => {
      const requested = args.breakpoints ?? [];
      if (this.elf) {
        // DWARF numbers lines from 1; this adapter's debugger side from 0.
        const results = this.elf.setLineBreakpoints(args.source.path ?? '', requested.map((b) => this.convertClientLineToDebugger(b.line) + 1));
        response.body = {
          breakpoints: results.map((r) => ({
            id: r.id, verified: r.verified, message: r.message, source: args.source,
            line: r.line === undefined ? undefined : this.convertDebuggerLineToClient(r.line - 1),
          })),
        };
        return;
      }
      const runtime = this.launched();
      const program = runtime.program;
      const listing = program.text !== undefined;
      const empty = program.instructionStarts().length === 0;
      if (listing ? empty || args.source.sourceReference !== this.listings.get(program) : args.source.path !== program.path) {
        const message = !listing ? `only ${basename(program.path)}, the launched program, has code`
          : empty ? 'the scenario has started no microcode yet: stop on entry, then set breakpoints in its listing (or instruction breakpoints at IOVAs)'
            : `only ${program.path}, the listing of the microcode the scenario runs, has code`;
        response.body = { breakpoints: requested.map(() => ({ verified: false, message })) };
        return;
      }
      const results = runtime.setLineBreakpoints(requested.map((b) => ({
        line: this.convertClientLineToDebugger(b.line), condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage,
      })));
      response.body = {
        breakpoints: results.map((r) => ({
          id: r.id, verified: r.verified, message: r.message, source: this.source(),
          line: r.line === undefined ? undefined : this.convertDebuggerLineToClient(r.line),
          instructionReference: r.address === undefined ? undefined : hex32(r.address),
        })),
      };
    });
  }

  protected setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.handle(response, () => {
      if (this.elf) {
        const results = this.elf.setInstructionBreakpoints(args.breakpoints.map((b) => parseAddress(b.instructionReference) + (b.offset ?? 0)));
        response.body = {
          breakpoints: results.map((r) => ({
            id: r.id, verified: r.verified, message: r.message, instructionReference: hex32(r.address),
            line: r.line === undefined ? undefined : this.convertDebuggerLineToClient(r.line - 1),
          })),
        };
        return;
      }
      const results = this.launched().setInstructionBreakpoints(args.breakpoints.map((b) => ({
        address: parseAddress(b.instructionReference) + (b.offset ?? 0), condition: b.condition, hitCondition: b.hitCondition,
      })));
      response.body = {
        breakpoints: results.map((r) => ({
          id: r.id, verified: r.verified, message: r.message, instructionReference: r.address === undefined ? undefined : hex32(r.address),
          source: r.line === undefined ? undefined : this.source(), line: r.line === undefined ? undefined : this.convertDebuggerLineToClient(r.line),
        })),
      };
    });
  }

  protected setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.handle(response, () => {
      const requests = [...args.filters.map((id) => ({ id })), ...(args.filterOptions ?? []).map((o) => ({ id: o.filterId, condition: o.condition }))];
      (this.elf ?? this.launched()).setEventFilters(requests);
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
      const dataId = dataIdFor(name, args.bytes);
      response.body = dataId
        ? { dataId, description: `DMA access to ${dataId.replace(/:(\d+)$/, ' ($1 bytes)').replace(':', ' ')}`, accessTypes: ['read', 'write', 'readWrite'], canPersist: true }
        : { dataId: null, description: `'${args.name}' is not an address or ADDRESS:LENGTH (prefix 'iova' for the address the DMAC issues)` };
    });
  }

  protected setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.handle(response, () => {
      const results = this.launched().setDataBreakpoints(args.breakpoints.map((b) => ({ dataId: b.dataId, access: b.accessType, condition: b.condition, hitCondition: b.hitCondition })));
      response.body = { breakpoints: results.map((r) => ({ id: r.id, verified: r.verified, message: r.message })) };
    });
  }

  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: (this.runtime?.threads ?? this.elf?.threads ?? []).map((t) => new Thread(t.id, t.name)) };
    this.sendResponse(response);
  }

  protected stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.handle(response, () => {
      if (this.elf) {
        const frames = this.elf.frames(args.threadId).map((frame, depth) => {
          const sf: DebugProtocol.StackFrame = new StackFrame(depth * ELF_FRAME_STRIDE + args.threadId, frame.name,
            frame.path ? new Source(basename(frame.path), this.convertDebuggerPathToClient(frame.path)) : undefined,
            frame.line === undefined ? 0 : this.convertDebuggerLineToClient(frame.line - 1), frame.column ? this.convertDebuggerColumnToClient(frame.column - 1) : 0);
          sf.instructionPointerReference = hex32(frame.pc);
          return sf;
        });
        response.body = { stackFrames: frames, totalFrames: frames.length };
        return;
      }
      const frame = this.launched().frame(args.threadId);
      const sf: DebugProtocol.StackFrame = new StackFrame(args.threadId, frame.name, frame.path ? this.source() : undefined,
        frame.line === undefined ? 0 : this.convertDebuggerLineToClient(frame.line), frame.col === undefined ? 0 : this.convertDebuggerColumnToClient(frame.col));
      sf.instructionPointerReference = hex32(frame.pc);
      response.body = { stackFrames: [sf], totalFrames: 1 };
    });
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.handle(response, () => {
      const elf = this.elf;
      if (elf) {
        const thread = elf.thread(args.frameId % ELF_FRAME_STRIDE);
        response.body = {
          scopes: [thread.id === CPU_THREAD_ID
            ? new Scope('CPU registers', this.variables.create(() => elf.cpuRegisters()), false)
            : new Scope(thread.name, this.variables.create(() => elf.dmaRegisters(thread.id)), false)],
        };
        return;
      }
      const runtime = this.launched();
      const thread = runtime.thread(args.frameId);
      const scopes = [
        new Scope(thread.name, this.variables.create(() => runtime.threadRegisters(thread.id)), false),
        new Scope(`dma${thread.dmac} registers`, this.variables.create(() => runtime.dmacRegisters(thread.dmac)), false),
      ];
      const smmu = runtime.smmuOf(thread.id);
      if (smmu) scopes.push(new Scope(`${smmu.name} (SMMU)`, this.variables.create(() => runtime.smmuRegisters(thread.id)), true));
      response.body = { scopes };
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
    this.resume(response, (r) => r.continue(), (e) => e.continue());
    response.body = { allThreadsContinued: true };
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.resume(response, (r) => r.step(args.threadId), (e) => e.step(args.granularity === 'instruction' ? 'instruction' : 'line', true));
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.resume(response, (r) => r.step(args.threadId), (e) => e.step(args.granularity === 'instruction' ? 'instruction' : 'line', false));
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.resume(response, (r) => r.step(args.threadId, true), (e) => e.stepOut());
  }

  protected stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.resume(response, (r) => r.stepBack(args.threadId));
  }

  protected reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.resume(response, (r) => r.reverseContinue());
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.handle(response, () => (this.elf ?? this.launched()).pause());
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.handle(response, () => {
      if (this.elf) {
        const value = this.elf.evaluate(args.expression);
        response.body = { result: formatValue(value), variablesReference: 0, memoryReference: hex32(value) };
        return;
      }
      const runtime = this.launched();
      const walk = /^\s*smmu\s+walk\s+(.+?)(?:\s+(read|write))?\s*$/.exec(args.expression);
      if (walk) {
        const threadId = args.frameId ?? runtime.startThread.id;
        response.body = { result: runtime.smmuWalk(runtime.evaluate(walk[1], threadId), threadId, walk[2] === 'write'), variablesReference: 0 };
        return;
      }
      const value = runtime.evaluate(args.expression, args.frameId);
      response.body = { result: formatValue(value), variablesReference: 0, memoryReference: value >= 0 && value <= 0xffffffff ? hex32(value) : undefined };
    });
  }

  protected readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.handle(response, () => {
      const address = parseAddress(args.memoryReference) + (args.offset ?? 0);
      const { bytes, readable } = this.launched().readMemory(address, Math.min(args.count, 1 << 20));
      response.body = { address: hex32(address), data: Buffer.from(bytes).toString('base64'), unreadableBytes: args.count - readable };
    });
  }

  protected writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.handle(response, () => {
      const address = parseAddress(args.memoryReference) + (args.offset ?? 0);
      const written = this.launched().writeMemory(address, new Uint8Array(Buffer.from(args.data, 'base64')));
      response.body = { bytesWritten: written };
    });
  }

  protected disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.handle(response, () => {
      const address = parseAddress(args.memoryReference) + (args.offset ?? 0);
      if (this.elf) {
        response.body = {
          instructions: this.elf.disassemble(address, args.instructionOffset ?? 0, Math.min(args.instructionCount, 10_000)).map((l) => ({
            address: hex32(l.address), instruction: l.text, instructionBytes: Array.from(l.bytes, (b) => b.toString(16).padStart(2, '0')).join(' '),
            symbol: l.symbol,
            location: l.path === undefined ? undefined : new Source(basename(l.path), this.convertDebuggerPathToClient(l.path)),
            line: l.line === undefined ? undefined : this.convertDebuggerLineToClient(l.line - 1),
          })),
        };
        return;
      }
      const lines = this.launched().disassemble(address, args.instructionOffset ?? 0, Math.min(args.instructionCount, 10_000));
      response.body = {
        instructions: lines.map((l) => ({
          address: hex32(l.address), instruction: l.text, instructionBytes: Array.from(l.bytes, (b) => b.toString(16).padStart(2, '0')).join(' '),
          location: l.line === undefined ? undefined : this.source(), line: l.line === undefined ? undefined : this.convertDebuggerLineToClient(l.line),
        })),
      };
    });
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.runtime?.pause();
    this.elf?.pause();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments, request?: DebugProtocol.Request): void {
    this.runtime?.pause();
    this.elf?.pause();
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
      this.sendErrorResponse(response, { id: mine ? USER_ERROR : INTERNAL_ERROR, format: message.replace(/\{/g, '{{').replace(/\}/g, '}}'), showUser: true });
    }
  }

  private resume(response: DebugProtocol.Response, action: (runtime: DmaRuntime) => void, elfAction?: (elf: ElfRuntime) => void): void {
    this.handle(response, () => {
      this.variables.reset();
      // Answer before the runtime's events: it runs from the event loop.
      if (this.elf) {
        if (!elfAction) throw new UserError('an ARM executable cannot run backwards (step back and reverse continue are for PL330 programs)');
        elfAction(this.elf);
        return;
      }
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

  private launched(): DmaRuntime {
    if (this.elf) throw new UserError('not available for an ARM executable (PL330 programs only)');
    if (!this.runtime) throw new UserError('no program is launched yet (send launch first)');
    return this.runtime;
  }

  private source(): Source {
    const program = this.launched().program;
    if (program.text === undefined) return new Source(basename(program.path), this.convertDebuggerPathToClient(program.path));
    let reference = this.listings.get(program);
    if (reference === undefined) this.listings.set(program, (reference = this.listings.size + 1));
    return new Source(program.path, undefined, reference, 'microcode listing');
  }

  protected sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    this.handle(response, () => {
      const reference = args.source?.sourceReference ?? args.sourceReference;
      const program = [...this.listings].find(([, r]) => r === reference)?.[0];
      if (!program) throw new UserError(`no source ${reference} (sources by reference are the listings of microcode a scenario runs)`);
      response.body = { content: program.text!, mimeType: 'text/x-pl330' };
    });
  }
}

/** A memory or instruction reference: `0x2000`, `8192`. */
function parseAddress(reference: string): number {
  const value = Number(reference.trim());
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) throw new UserError(`'${reference}' is not an address`);
  return value;
}

/** Whether `path` is an ELF file (an ARM executable to run on the CPU); unreadable files are left to the launch. */
function startsWithElfMagic(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const head = new Uint8Array(4);
      readSync(fd, head, 0, 4, 0);
      return isElf(head);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}
