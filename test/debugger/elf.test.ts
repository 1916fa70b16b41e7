// An ARM executable in a debug session: the VFIO_PLATFORM guide's VFIO driver (examples/vfio-pl330, built with -g) on the CPU
// thread beside the DMA threads, with breakpoints and steps in its C source and the PL330's interrupt stopping in C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../support/toolchain';
import { after, client, launch, programFile, registers, root } from './support';

const program = join(root, 'examples', 'vfio-pl330', 'vfio-pl330');
const source = join(root, 'examples', 'vfio-pl330', 'vfio-pl330.c');
const sourceLines = readFileSync(source, 'utf8').split('\n');
/** 1-based line of the first source line containing `text`. */
const lineOf = (text: string): number => sourceLines.findIndex((l) => l.includes(text)) + 1;

/** Runs the session to its end: the exit code and everything the program printed. */
async function runToEnd(dc: DebugClient, output: () => string): Promise<{ exitCode: number; output: string }> {
  const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
  const terminated = dc.waitForEvent('terminated');
  await dc.continueRequest({ threadId: 1 });
  const exitCode = (await exited).body.exitCode;
  await terminated;
  return { exitCode, output: output() };
}

test('a line breakpoint in the C source stops the CPU thread there; registers, stepping, and the end', async () => {
  const dc = await client();
  try {
    let output = '';
    dc.on('output', (e: DebugProtocol.OutputEvent) => (output += e.body.output));
    const microcode = lineOf('printf("microcode:');
    const blank = lineOf('int main(') - 1;
    assert.equal(sourceLines[blank - 1].trim(), '');
    let breakpoints: DebugProtocol.Breakpoint[] = [];
    const first = await launch(dc, { program }, async () => {
      breakpoints = (await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: blank }, { line: microcode }] })).body.breakpoints;
    });
    assert.deepEqual(breakpoints.map((b) => [b.verified, b.line]), [[true, blank + 1], [true, microcode]]);

    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    assert.equal(threads[0], 'cpu0');
    assert.ok(threads.includes('dma0 manager') && threads.includes('dma0 ch0'), threads.join(', '));

    assert.equal(first.stop.body.reason, 'breakpoint');
    assert.equal(first.threadId, 1);
    assert.equal(first.frame.source?.path, source);
    assert.equal(first.frame.line, blank + 1);

    const regs = await registers(dc, first.threadId);
    assert.equal(regs.pc, first.frame.instructionPointerReference);
    for (const r of ['r0', 'r7', 'r12', 'sp', 'lr']) assert.match(regs[r], /^0x[0-9a-f]{8}$/);
    assert.match(regs.cpsr, /Thumb, user mode/);
    const evaluate = async (expression: string): Promise<string> => (await dc.evaluateRequest({ expression, frameId: first.threadId, context: 'repl' })).body.result;
    assert.equal(Number(await evaluate('pc')), Number(regs.pc));
    assert.equal(Number(await evaluate('r7 + 4')), Number(regs.r7) + 4);
    assert.match(await evaluate('*(u32 *)sp'), /^0x[0-9a-f]+|^\d+/);
    await assert.rejects(dc.evaluateRequest({ expression: 'r99', context: 'repl' }), /unknown name 'r99'/);

    const atMicrocode = await after(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(atMicrocode.frame.line, microcode);
    assert.match(output, /device .* group \/dev\/vfio\/0\n/);
    assert.doesNotMatch(output, /microcode:/);

    // `next` runs the printf (in the C library, no line information) and stops on the following line.
    const next = await after(dc, dc.nextRequest({ threadId: 1 }));
    assert.equal(next.stop.body.reason, 'step');
    assert.ok(next.frame.line > microcode, `next went to line ${next.frame.line}`);
    assert.match(output, /microcode: 28 bytes/);
    const instruction = await after(dc, dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    assert.notEqual(instruction.frame.instructionPointerReference, next.frame.instructionPointerReference);

    await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
    const end = await runToEnd(dc, () => output);
    assert.equal(end.exitCode, 0);
    assert.match(end.output, /copy of 4096 bytes: PASS\n/);
  } finally {
    await dc.stop();
  }
});

test('with the interrupt filter ticked, the PL330 raising its interrupt stops the session in C', async () => {
  const dc = await client();
  try {
    let output = '';
    dc.on('output', (e: DebugProtocol.OutputEvent) => (output += e.body.output));
    const stop = await launch(dc, { program }, () => dc.setExceptionBreakpointsRequest({ filters: ['irq'] }));
    assert.equal(stop.stop.body.reason, 'exception');
    assert.match(stop.stop.body.description ?? '', /irq\[0\] raised/);
    assert.equal(stop.frame.source?.path, source);
    assert.ok(stop.frame.line > lineOf('printf("microcode:') && stop.frame.line <= lineOf('if (poll(fds'), `stopped at line ${stop.frame.line}`);
    assert.doesNotMatch(output, /interrupt on irq index/);
    const end = await runToEnd(dc, () => output);
    assert.equal(end.exitCode, 0);
    assert.match(end.output, /interrupt on irq index 0/);
    assert.match(end.output, /PASS/);
  } finally {
    await dc.stop();
  }
});

test('step into a C function; the call stack shows it and its caller on the line of the call', async () => {
  const dc = await client();
  try {
    const call = sourceLines.findIndex((l) => /^\s+.*write_file\(/.test(l) && !l.includes('static')) + 1;
    const atCall = await launch(dc, { program }, () => dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: call }] }));
    assert.equal(atCall.frame.line, call);
    assert.equal(atCall.frame.name, 'main');

    const inside = await after(dc, dc.stepInRequest({ threadId: 1 }));
    const body = lineOf('static int write_file(');
    assert.equal(inside.frame.name, 'write_file');
    assert.ok(inside.frame.line >= body && inside.frame.line <= body + 6, `stepped into line ${inside.frame.line}`);
    const stack = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    assert.deepEqual(stack.slice(0, 2).map((f) => [f.name, f.line]), [['write_file', inside.frame.line], ['main', call]]);

    const out = await after(dc, dc.stepOutRequest({ threadId: 1 }));
    assert.equal(out.frame.name, 'main');
    assert.equal((await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].name, 'main');
  } finally {
    await dc.stop();
  }
});

test('an executable that is not a 32-bit ARM one, or is cut short, is a clear launch error; the adapter stays up', async () => {
  const truncated = programFile('truncated.elf', readFileSync(program).subarray(0, 200).toString('latin1'));
  for (const [path, message] of [[process.execPath, /: not a 32-bit little-endian ELF file$/], [truncated, /truncated.elf: ELF section headers are truncated$/]] as const) {
    const dc = await client();
    try {
      await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path' });
      const error = await dc.launch({ program: path } as DebugProtocol.LaunchRequestArguments).then(() => 'launched', (e: Error) => e.message);
      assert.match(error, message);
      assert.doesNotMatch(error, /internal error/);
      assert.deepEqual((await dc.threadsRequest()).body.threads, []);
    } finally {
      await dc.stop();
    }
  }
});

test('inside the C library (no line information) the call stack still leads back to the C caller', async () => {
  const dc = await client();
  try {
    const call = lineOf('printf("microcode:');
    const atCall = await launch(dc, { program }, () => dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: call }] }));
    assert.equal(atCall.frame.line, call);
    let stop = atCall;
    for (let i = 0; i < 200 && stop.frame.name === 'main'; i++) stop = await after(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(stop.frame.name, 'printf');
    assert.equal(stop.frame.source, undefined);
    // On into the function printf calls: printf's frame is then at a call, where its unwind table entry holds.
    for (let i = 0; i < 200 && stop.frame.name === 'printf'; i++) stop = await after(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    const stack = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    const main = stack.findIndex((f) => f.name === 'main');
    assert.deepEqual(stack.slice(main - 1, main + 1).map((f) => f.name), ['printf', 'main'], stack.map((f) => f.name).join(' < '));
    assert.equal(stack[main].line, call);
    assert.equal(stack[main].source?.path, source);
  } finally {
    await dc.stop();
  }
});

/** gdb's backtrace of `program` under qemu-arm at a line breakpoint: each frame's pc (the return address for callers). */
async function gdbBacktrace(elf: string, breakpoint: string): Promise<{ pc: number; name: string }[]> {
  const port = 20000 + (process.pid % 20000);
  const qemu = spawn('qemu-arm', ['-g', String(port), elf], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    const gdb = spawnSync('gdb-multiarch', ['-batch', '-nx', '-ex', `file ${elf}`, '-ex', `target remote :${port}`, '-ex', `break ${breakpoint}`,
      '-ex', 'continue', '-ex', 'info registers pc', '-ex', 'bt', '-ex', 'kill'], { encoding: 'utf8', timeout: 30_000 });
    const pc = Number(/^pc\s+(0x[0-9a-f]+)/m.exec(gdb.stdout)?.[1]);
    return [...gdb.stdout.matchAll(/^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\S+)/gm)].map((m) => ({ pc: m[2] ? Number(m[2]) : pc, name: m[3] }));
  } finally {
    qemu.kill();
  }
}

const gdbAvailable = ['gdb-multiarch', 'qemu-arm'].every((tool) => spawnSync(tool, ['--version']).status === 0);

test('the call stack through the C library matches gdb\'s backtrace of the same program under qemu-arm', { skip: !gdbAvailable && 'needs gdb-multiarch and qemu-user' }, async () => {
  const callback = join(root, 'test', 'debugger', 'programs', 'callback.c');
  const elf = compile(callback, { name: 'armhf-debug', compiler: 'arm-linux-gnueabihf-gcc', flags: ['-g', '-O0', '-static'] });
  const text = readFileSync(callback, 'utf8').split('\n');
  const line = text.findIndex((l) => l.includes('calls++')) + 1;
  const expected = await gdbBacktrace(elf, `callback.c:${line}`);
  assert.ok(expected.length >= 4 && expected[0].name === 'compare', JSON.stringify(expected));
  const dc = await client();
  try {
    const stop = await launch(dc, { program: elf }, () => dc.setBreakpointsRequest({ source: { path: callback }, breakpoints: [{ line }] }));
    assert.equal(stop.frame.line, line);
    const stack = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    const upToMain = stack.slice(0, stack.findIndex((f) => f.name === 'main') + 1);
    assert.deepEqual(upToMain.map((f) => Number(f.instructionPointerReference)), expected.map((f) => f.pc));
    assert.equal(upToMain[0].name, 'compare');
    assert.equal(upToMain.at(-1)!.line, text.findIndex((l) => l.includes('qsort(v')) + 1);
  } finally {
    await dc.stop();
  }
});

test('stop on entry at _start; breakpoints in files without code are unverified; pause and continue to the end', async () => {
  const dc = await client();
  try {
    let output = '';
    dc.on('output', (e: DebugProtocol.OutputEvent) => (output += e.body.output));
    let elsewhere: DebugProtocol.Breakpoint[] = [];
    const entry = await launch(dc, { program, stopOnEntry: true }, async () => {
      elsewhere = (await dc.setBreakpointsRequest({ source: { path: join(root, 'test', 'debugger', 'programs', 'callback.c') }, breakpoints: [{ line: 8 }] })).body.breakpoints;
    });
    assert.equal(elsewhere[0].verified, false);
    assert.match(elsewhere[0].message ?? '', /no code at or after line 8 in callback\.c/);
    assert.equal(entry.stop.body.reason, 'entry');
    assert.equal(entry.frame.name, '_start');
    assert.equal(entry.frame.source, undefined);
    const paused = await after(dc, dc.continueRequest({ threadId: 1 }).then(() => dc.pauseRequest({ threadId: 1 })));
    assert.equal(paused.stop.body.reason, 'pause');
    assert.notEqual(paused.frame.instructionPointerReference, entry.frame.instructionPointerReference);
    const end = await runToEnd(dc, () => output);
    assert.equal(end.exitCode, 0);
    assert.match(end.output, /PASS/);
  } finally {
    await dc.stop();
  }
});

test("scenario vfio-armhf in a session runs the scenario's executable as the program: its C source, the DMA filters, the device argument", async () => {
  const dc = await client();
  try {
    let output = '';
    dc.on('output', (e: DebugProtocol.OutputEvent) => (output += e.body.output));
    const stop = await launch(dc, { scenario: 'vfio-armhf', device: '2c0a2000.dma' }, () => dc.setExceptionBreakpointsRequest({ filters: ['irq'] }));
    assert.match(stop.stop.body.description ?? '', /irq\[0\] raised/);
    assert.equal(stop.frame.source?.path, source);
    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    assert.ok(threads.includes('cpu0') && threads.includes('dma2 ch0'), threads.join(', '));
    const end = await runToEnd(dc, () => output);
    assert.equal(end.exitCode, 0);
    assert.match(end.output, /^device 2c0a2000\.dma \(amba bus, vfio-amba\)/m);
    assert.match(end.output, /copy of 4096 bytes: PASS/);
  } finally {
    await dc.stop();
  }
});
