// An ARM executable's session has every feature a PL330 session has: its own DMA stopping it (an SMMU fault the
// program's microcode causes), logpoints, conditions and hit counts on C lines, memory reads and writes at the CPU's
// addresses, and data breakpoints on the CPU's stores and loads. The program (programs/dma-fault.c) is built with
// Debian's cross compiler and its expected values are computed here from its source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programEnvironment } from '../../emulator/linux/environment';
import { hostedOn, startUserProgram } from '../../emulator/linux/user-program';
import { Machine } from '../../emulator/machine/machine';
import { loadPlatform } from '../../scenarios/platform';
import { compile, runQemu, toolchainAvailable } from '../support/toolchain';
import { after, client, launch, launchToEnd, root } from './support';

const source = join(root, 'test', 'debugger', 'programs', 'dma-fault.c');
const lines = readFileSync(source, 'utf8').split('\n');
/** 1-based line of the first source line containing `text`. */
const lineOf = (text: string): number => lines.findIndex((l) => l.includes(text)) + 1;
const DEBUG_BUILD = { name: 'armhf-debug', compiler: 'arm-linux-gnueabihf-gcc', flags: ['-g', '-O0', '-static'] };
const skip = !toolchainAvailable(DEBUG_BUILD) && 'needs arm-linux-gnueabihf-gcc';
const program = (): string => compile(source, DEBUG_BUILD);
/** What the fill loop stores: pattern[i] = i * 3 + 1 for i < 16. */
const PATTERN = Array.from({ length: 16 }, (_, i) => i * 3 + 1);

/** Runs the session to its end, continuing at every stop; the exit code and everything printed. */
async function runToEnd(dc: DebugClient, output: () => string): Promise<{ exitCode: number; output: string; stops: DebugProtocol.StoppedEvent[] }> {
  const stops: DebugProtocol.StoppedEvent[] = [];
  const onStop = (e: DebugProtocol.StoppedEvent): void => {
    stops.push(e);
    void dc.continueRequest({ threadId: e.body.threadId! });
  };
  dc.on('stopped', onStop);
  const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
  await dc.continueRequest({ threadId: 1 });
  const exitCode = (await exited).body.exitCode;
  dc.removeListener('stopped', onStop);
  return { exitCode, output: output(), stops };
}

function capture(dc: DebugClient): { text: () => string; events: DebugProtocol.OutputEvent[] } {
  const events: DebugProtocol.OutputEvent[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => events.push(e));
  return { text: () => events.map((e) => e.body.output).join(''), events };
}

test("the SMMU fault the program's DMA causes stops the session (filter on by default): CPU in C, the faulting channel named", { skip }, async () => {
  const dc = await client();
  try {
    const output = capture(dc);
    const stop = await launch(dc, { program: program() });
    assert.equal(stop.stop.body.reason, 'exception');
    assert.match(stop.stop.body.description ?? '', /^dma0 ch0: .*fault in context bank \d+: read at IOVA 0x30000000 \(stream \d+, 2c0a0000\.dma\)$/);
    assert.equal(stop.threadId, 1, 'the stop is on the CPU thread');
    assert.equal(stop.frame.source?.path, source);
    assert.ok(stop.frame.line >= lineOf('regs[DBGCMD / 4] = 0;') && stop.frame.line <= lineOf('uint32_t fsrc'), `stopped at line ${stop.frame.line}`);
    assert.doesNotMatch(output.text(), /FSRC/);
    // The DMAC stopped with the CPU: its channel is in the fault state the SMMU's abort (imprecise: the channel may run
    // on to its DMAEND first) left it in.
    const threads = (await dc.threadsRequest()).body.threads;
    const channel = threads.find((t) => t.name === 'dma0 ch0')!;
    const frame = (await dc.stackTraceRequest({ threadId: channel.id })).body.stackFrames[0];
    assert.match(frame.name, /\(Faulting( completing)?: /);
    // The console's `smmu walk` in that thread's frame: the code page is mapped, the address it read from is not.
    const walk = async (iova: string): Promise<string> => (await dc.evaluateRequest({ expression: `smmu walk ${iova}`, frameId: frame.id, context: 'repl' })).body.result;
    assert.match(await walk('0x10000000'), /^IOVA 0x10000000 -> PA 0x[0-9a-f]+ /);
    assert.match(await walk('0x30000000'), /^IOVA 0x30000000: \w+ fault /);
    const end = await runToEnd(dc, output.text);
    assert.equal(end.exitCode, 0);
    assert.match(end.output, /^FSRC 0x1 FTR0 0x[0-9a-f]+$/m);
  } finally {
    await dc.stop();
  }
});

test('with the SMMU fault filter off the same program runs to its end', { skip }, async () => {
  const dc = await client();
  try {
    const output = capture(dc);
    const terminated = dc.waitForEvent('terminated');
    const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
    await launch(dc, { program: program(), stopOnEntry: true }, () => dc.setExceptionBreakpointsRequest({ filters: [] }));
    await dc.continueRequest({ threadId: 1 });
    assert.equal((await exited).body.exitCode, 0);
    await terminated;
    assert.match(output.text(), /^FSRC 0x1/m);
  } finally {
    await dc.stop();
  }
});

test('a logpoint and a condition on C lines: the log at each pass with its source line, the stop where the condition holds', { skip }, async () => {
  const dc = await client();
  try {
    const output = capture(dc);
    const fill = lineOf('pattern[rounds] = ');
    const sum = lineOf('checksum += ');
    let set: DebugProtocol.Breakpoint[] = [];
    const stop = await launch(dc, { program: program() }, async () => {
      set = (await dc.setBreakpointsRequest({
        source: { path: source },
        breakpoints: [{ line: fill, logMessage: 'round {*(u32 *)rounds} stores at {pattern + *(u32 *)rounds}' }, { line: sum, condition: '*(u32 *)rounds == 5' }],
      })).body.breakpoints;
      await dc.setExceptionBreakpointsRequest({ filters: [] });
    });
    assert.deepEqual(set.map((b) => [b.verified, b.line]), [[true, fill], [true, sum]]);
    assert.equal(stop.stop.body.reason, 'breakpoint');
    assert.deepEqual(stop.stop.body.hitBreakpointIds, [set[1].id]);
    assert.equal(stop.frame.line, sum);
    const evaluate = async (expression: string): Promise<number> => Number((await dc.evaluateRequest({ expression, frameId: stop.frame.id, context: 'repl' })).body.result);
    assert.equal(await evaluate('*(u32 *)rounds'), 5);
    const pattern = await evaluate('pattern');
    const logs = output.events.filter((e) => e.body.output.startsWith('round '));
    assert.deepEqual(logs.map((e) => e.body.output), [0, 1, 2, 3, 4, 5].map((i) => `round ${i} stores at 0x${(pattern + i).toString(16).padStart(8, '0')}\n`));
    assert.ok(logs.every((e) => e.body.source?.path === source && e.body.line === fill), 'each log names its line');

    // A hit count on the same line: every 4th pass from here (the count starts when it is set).
    await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: sum, hitCondition: '% 4' }] });
    const fourth = await after(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(fourth.frame.line, sum);
    assert.equal(await evaluate('*(u32 *)rounds'), 9);
    await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
    const end = await runToEnd(dc, output.text);
    assert.equal(end.exitCode, 0);
    assert.equal(output.events.filter((e) => e.body.output.startsWith('round ')).length, 6, 'the logpoint went with its line');
    assert.match(end.output, new RegExp(`checksum ${PATTERN.reduce((a, b) => a + b)}\\n`));
  } finally {
    await dc.stop();
  }
});

test("readMemory and writeMemory at the CPU's addresses: a buffer the program filled, a write the program then sees", { skip }, async () => {
  const dc = await client();
  try {
    const output = capture(dc);
    const printed = lineOf('printf("pattern filled');
    const stop = await launch(dc, { program: program() }, () => dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: printed }] }));
    assert.equal(stop.frame.line, printed);
    const pattern = (await dc.evaluateRequest({ expression: 'pattern', frameId: stop.frame.id, context: 'repl' })).body;
    assert.ok(pattern.memoryReference, 'an address offers the memory view');
    const read = (await dc.customRequest('readMemory', { memoryReference: pattern.memoryReference, count: 20 }) as DebugProtocol.ReadMemoryResponse).body!;
    assert.equal(Number(read.address), Number(pattern.memoryReference));
    assert.deepEqual([...Buffer.from(read.data!, 'base64')], [...PATTERN, 0, 0, 0, 0]);

    // The checksum the program prints comes from memory the debugger wrote.
    const checksum = (await dc.evaluateRequest({ expression: 'checksum', frameId: stop.frame.id, context: 'repl' })).body.memoryReference!;
    const written = (await dc.customRequest('writeMemory', { memoryReference: checksum, data: Buffer.from([0x39, 0x30, 0, 0]).toString('base64') }) as DebugProtocol.WriteMemoryResponse).body!;
    assert.equal(written.bytesWritten, 4);
    // The stack's top is mapped, the page past it not: the read stops there and says how much it left out.
    const sp = Number((await dc.evaluateRequest({ expression: 'sp', frameId: stop.frame.id, context: 'repl' })).body.result);
    const top = ((sp + 0x100000) & ~0xfffff) >>> 0;
    const edge = (await dc.customRequest('readMemory', { memoryReference: `0x${(top - 8).toString(16)}`, count: 16 }) as DebugProtocol.ReadMemoryResponse).body!;
    assert.deepEqual([Buffer.from(edge.data!, 'base64').length, edge.unreadableBytes], [8, 8]);
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    const end = await runToEnd(dc, output.text);
    assert.match(end.output, /checksum 12345\n/);
  } finally {
    await dc.stop();
  }
});

test("a data breakpoint on a buffer the CPU writes stops on the store, in C, with the loop's state; watching its loads, on the load", { skip }, async () => {
  const dc = await client();
  try {
    const output = capture(dc);
    const entry = await launch(dc, { program: program(), stopOnEntry: true }, () => dc.setExceptionBreakpointsRequest({ filters: [] }));
    const pattern = Number((await dc.evaluateRequest({ expression: 'pattern', frameId: entry.frame.id, context: 'repl' })).body.result);
    const info = (await dc.dataBreakpointInfoRequest({ name: `0x${(pattern + 5).toString(16)}`, bytes: 1 })).body;
    assert.match(info.description, /CPU access/);
    assert.deepEqual(info.accessTypes, ['read', 'write', 'readWrite']);
    const set = (await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.dataId!, accessType: 'write' }] })).body.breakpoints;
    assert.equal(set[0].verified, true);
    const hit = await after(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(hit.stop.body.reason, 'data breakpoint');
    assert.deepEqual(hit.stop.body.hitBreakpointIds, [set[0].id]);
    assert.match(hit.stop.body.description ?? '', new RegExp(`CPU store of 1 byte\\(s\\) at 0x${(pattern + 5).toString(16).padStart(8, '0')} = 16 `));
    assert.equal(hit.frame.source?.path, source);
    // Stopped after the store: on its line, or on the next when the store was the line's last instruction.
    assert.ok([lineOf('pattern[rounds] = '), lineOf('checksum += ')].includes(hit.frame.line), `stopped at line ${hit.frame.line}`);
    assert.equal(Number((await dc.evaluateRequest({ expression: '*(u32 *)rounds', frameId: hit.frame.id, context: 'repl' })).body.result), 5);
    const read = (await dc.customRequest('readMemory', { memoryReference: `0x${pattern.toString(16)}`, count: 6 }) as DebugProtocol.ReadMemoryResponse).body!;
    assert.deepEqual([...Buffer.from(read.data!, 'base64')], PATTERN.slice(0, 6));
    // Its loads watched instead: the load of the byte just stored stops, on the line adding it to the checksum.
    const loads = (await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.dataId!, accessType: 'read' }] })).body.breakpoints;
    const loaded = await after(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(loaded.stop.body.reason, 'data breakpoint');
    assert.deepEqual(loaded.stop.body.hitBreakpointIds, [loads[0].id]);
    assert.match(loaded.stop.body.description ?? '', new RegExp(`CPU load of 1 byte\\(s\\) at 0x${(pattern + 5).toString(16).padStart(8, '0')} = 16 `));
    assert.equal(loaded.frame.line, lineOf('checksum += '));
    // Stores elsewhere in the page do not stop: the rest of the loop runs to the end.
    const end = await runToEnd(dc, output.text);
    assert.deepEqual(end.stops, []);
    assert.equal(end.exitCode, 0);
  } finally {
    await dc.stop();
  }
});

test("a program's threads are the session's CPU threads: a breakpoint in a worker stops that thread, next stays on it", { skip }, async () => {
  const threadsSource = join(root, 'test', 'emulator', 'cpu', 'programs', 'threads.c');
  const text = readFileSync(threadsSource, 'utf8').split('\n');
  const line = text.findIndex((l) => l.includes('tls_value = job->id * 100;')) + 1;
  const dc = await client();
  try {
    const output = capture(dc);
    const stop = await launch(dc, { program: compile(threadsSource, DEBUG_BUILD) }, () => dc.setBreakpointsRequest({ source: { path: threadsSource }, breakpoints: [{ line }] }));
    assert.equal(stop.frame.line, line);
    assert.equal(stop.frame.name, 'worker');
    const threads = (await dc.threadsRequest()).body.threads;
    const stopped = threads.find((t) => t.id === stop.threadId)!;
    assert.match(stopped.name, /^cpu0 thread \d+$/);
    assert.equal(threads[0].name, 'cpu0');
    assert.ok(threads.some((t) => t.name === 'dma0 ch0'), 'the DMA threads follow the CPU threads');
    // The main thread, off the CPU, shows the registers it was switched out with: it is not in worker.
    const main = (await dc.stackTraceRequest({ threadId: threads[0].id })).body.stackFrames;
    assert.ok(main.every((f) => f.name !== 'worker'), main.map((f) => f.name).join(' < '));
    const next = await after(dc, dc.nextRequest({ threadId: stop.threadId }));
    assert.equal(next.threadId, stop.threadId, 'the step stays on the thread it was asked for');
    assert.equal(next.frame.line, line + 1);
    await dc.setBreakpointsRequest({ source: { path: threadsSource }, breakpoints: [] });
    const end = await runToEnd(dc, output.text);
    assert.equal(end.exitCode, 0);
  } finally {
    await dc.stop();
  }
});

/** The program's own output (category stdout) of a session. */
function programOutput(events: readonly DebugProtocol.OutputEvent[]): string {
  return events.filter((e) => e.body.category === 'stdout').map((e) => e.body.output).join('');
}

test('a polling VFIO driver under the debugger, stopped and stepped in its polling loop, interleaves with the DMAC exactly as a straight run', { skip }, async () => {
  const driverSource = join(root, 'test', 'emulator', 'machine', 'programs', 'vfio-polling.c');
  const driver = compile(driverSource, DEBUG_BUILD);
  const platform = join(root, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts');
  // The process `dmalab run-elf` starts, with what the session gives the program: the adapter's environment (this
  // process's), the workspace, and a terminal's line-buffered stdout (the debug console).
  let expected = '';
  const proc = startUserProgram({
    path: driver, bytes: readFileSync(driver), args: ['poll'], workspace: tmpdir(), env: programEnvironment(process.env, {}), ...hostedOn(new Machine(loadPlatform(platform))),
    stdout: (data) => { expected += Buffer.from(data).toString(); }, stderr: (data) => { expected += Buffer.from(data).toString(); }, terminal: true,
  });
  assert.deepEqual(proc.run(), { kind: 'exit', status: 0 });
  const reads = (text: string): number => Number(/CSR0 polled until Stopped: (\d+) reads/.exec(text)?.[1]);
  assert.ok(reads(expected) > 10, expected);

  const dc = await client();
  try {
    const output = capture(dc);
    const pollLine = readFileSync(driverSource, 'utf8').split('\n').findIndex((l) => l.includes('if (++polls == MAX_POLLS)')) + 1;
    // Every 7th pass through the polling loop (the first loop: CSR0 until Stopped), three times, each followed by steps.
    const first = await launch(dc, { program: driver, args: ['poll'], platform, workspace: tmpdir() },
      () => dc.setBreakpointsRequest({ source: { path: driverSource }, breakpoints: [{ line: pollLine, hitCondition: '% 7' }] }));
    assert.equal(first.frame.line, pollLine);
    for (let stop = first, n = 0; n < 3; n++) {
      assert.equal(stop.frame.line, pollLine);
      await after(dc, dc.nextRequest({ threadId: stop.threadId }));
      await after(dc, dc.stepInRequest({ threadId: stop.threadId }));
      const instruction = await after(dc, dc.stepInRequest({ threadId: stop.threadId, granularity: 'instruction' }));
      stop = n < 2 ? await after(dc, dc.continueRequest({ threadId: instruction.threadId })) : instruction;
    }
    await dc.setBreakpointsRequest({ source: { path: driverSource }, breakpoints: [] });
    // The copy from an unmapped IOVA stops the session on the SMMU fault (the default filter); runToEnd continues.
    const end = await runToEnd(dc, () => programOutput(output.events));
    assert.equal(end.exitCode, 0);
    assert.ok(end.stops.some((s) => s.body.reason === 'exception'), 'the SMMU fault stopped the session');
    assert.equal(end.output, expected);
  } finally {
    await dc.stop();
  }
});

test("launch.json `env` edits the adapter's environment for the program, as the same environment given to qemu-arm", { skip }, async () => {
  const environmentSource = join(root, 'test', 'emulator', 'linux', 'env-programs', 'environment.c');
  const program = compile(environmentSource, { name: 'armhf', compiler: 'arm-linux-gnueabihf-gcc', flags: ['-O2', '-static'] });
  const inherited = Object.keys(process.env).find((name) => /^[A-Z_]+$/.test(name) && name !== 'PATH')!;
  const names = [inherited, 'PATH', 'FROM_LAUNCH', 'EMPTY'];
  const dc = await client();
  try {
    const output = capture(dc);
    await launchToEnd(dc, { program, args: names, workspace: tmpdir(), env: { FROM_LAUNCH: 'x=1 y', EMPTY: '', [inherited]: null } });
    const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== inherited));
    const qemu = runQemu(program, names, ['-cpu', 'cortex-a15'], { ...env, FROM_LAUNCH: 'x=1 y', EMPTY: '' });
    assert.equal(programOutput(output.events), qemu.stdout);
    assert.match(qemu.stdout, new RegExp(`^${inherited} is unset\\nPATH='.*'\\nFROM_LAUNCH='x=1 y'\\nEMPTY=''\\n`, 'm'));
  } finally {
    await dc.stop();
  }
});

test("a breakpoint in a signal handler stops there, in the handler's frame, and the program goes on after it returns", { skip }, async () => {
  const handlersSource = join(root, 'test', 'emulator', 'linux', 'signal-programs', 'handlers.c');
  const text = readFileSync(handlersSource, 'utf8').split('\n');
  const line = text.findIndex((l) => l.includes('info_signo = info->si_signo;')) + 1;
  const dc = await client();
  try {
    const output = capture(dc);
    const stop = await launch(dc, { program: compile(handlersSource, DEBUG_BUILD) }, () => dc.setBreakpointsRequest({ source: { path: handlersSource }, breakpoints: [{ line }] }));
    assert.equal(stop.stop.body.reason, 'breakpoint');
    assert.equal(stop.frame.line, line);
    assert.equal(stop.frame.name, 'with_info');
    assert.equal(programOutput(output.events), 'old action of SIGUSR1: SIG_DFL\nold action now: with_info, SA_SIGINFO set\n', 'raise() has not returned yet');
    await dc.setBreakpointsRequest({ source: { path: handlersSource }, breakpoints: [] });
    const end = await runToEnd(dc, () => programOutput(output.events));
    assert.match(end.output, /raise: 0, handler saw signo 10, si_code -6 \(SI_TKILL -6\), si_pid is ours: 1, ucontext: 1\n/);
    assert.match(end.output, /raising SIGUSR1 with its default action\n$/);
  } finally {
    await dc.stop();
  }
});
