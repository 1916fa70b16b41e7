// Shared set-up for the debug adapter tests: the built adapter (dist/dap.js) driven by DebugClient over stdio.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(__dirname, '..', '..');
export const adapter = join(root, 'dist', 'dap.js');
export const memcpy = join(root, 'examples', 'pl330', 'memcpy.pl330');
const scratch = mkdtempSync(join(tmpdir(), 'dmalab-dap-'));

/** Writes a program into a scratch directory and returns its path. */
export function programFile(name: string, text: string | Uint8Array): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

/** A started client for `node dist/dap.js`, or for `runtime script` (DebugClient passes the script no arguments). */
export async function client(runtime = process.execPath, script = adapter): Promise<DebugClient> {
  const dc = new DebugClient(runtime, script, 'dmalab');
  // Events are awaited with this timeout; a CI machine shared with other jobs can be slow to deliver them.
  dc.defaultTimeout = 30_000;
  await dc.start();
  return dc;
}

export interface Stop {
  readonly stop: DebugProtocol.StoppedEvent;
  readonly frame: DebugProtocol.StackFrame;
  readonly threadId: number;
}

/**
 * Starts a session (initialize, launch, breakpoints set by `configure`, configurationDone) and returns its first stop.
 * Every wait is registered before the request that causes it: the event may arrive with the response.
 */
export async function launch(dc: DebugClient, args: Record<string, unknown>, configure: () => Promise<unknown> = async () => undefined): Promise<Stop> {
  return after(dc, configured(dc, args, configure));
}

/** Launches a program expected to run to its end without stopping. */
export async function launchToEnd(dc: DebugClient, args: Record<string, unknown>, configure: () => Promise<unknown> = async () => undefined): Promise<void> {
  const terminated = dc.waitForEvent('terminated');
  await configured(dc, args, configure);
  await terminated;
}

async function configured(dc: DebugClient, args: Record<string, unknown>, configure: () => Promise<unknown>): Promise<void> {
  await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  const initialized = dc.waitForEvent('initialized');
  await dc.launch(args as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await configure();
  await dc.configurationDoneRequest();
}

/** The stop a request leads to, with the top frame of the stopped thread. */
export async function after(dc: DebugClient, request: Promise<unknown>): Promise<Stop> {
  const stopped = dc.waitForEvent('stopped');
  await request;
  const stop = (await stopped) as DebugProtocol.StoppedEvent;
  const threadId = stop.body.threadId!;
  const trace = await dc.stackTraceRequest({ threadId });
  return { stop, frame: trace.body.stackFrames[0], threadId };
}

/** The variables of a thread's register scope (name → value). */
export async function registers(dc: DebugClient, threadId: number): Promise<Record<string, string>> {
  const scopes = await dc.scopesRequest({ frameId: threadId });
  const vars = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
  return Object.fromEntries(vars.body.variables.map((v) => [v.name, v.value]));
}

/** The little-endian word at a memory reference (`0x…`, `phys:0x…`). */
export async function readWord(dc: DebugClient, memoryReference: string): Promise<number> {
  const body = (await dc.customRequest('readMemory', { memoryReference, count: 4 }) as DebugProtocol.ReadMemoryResponse).body!;
  return Buffer.from(body.data ?? '', 'base64').readUInt32LE(0);
}

/** Launches a kernel session with a function breakpoint on `name` and no DMA event filter, and returns its first stop
 * (a boot's time away: longer than launch() waits). */
export async function launchKernelTo(dc: DebugClient, args: Record<string, unknown>, name: string, timeout = 300_000): Promise<DebugProtocol.StoppedEvent> {
  await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  const initialized = dc.waitForEvent('initialized');
  await dc.launch(args as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name }] });
  await dc.setExceptionBreakpointsRequest({ filters: [] });
  const stopped = dc.waitForEvent('stopped', timeout) as Promise<DebugProtocol.StoppedEvent>;
  await dc.configurationDoneRequest();
  return stopped;
}
