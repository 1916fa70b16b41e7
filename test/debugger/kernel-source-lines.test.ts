// Source lines and call stacks in a kernel session, on a kernel that has DWARF and boots in CI: a bare-metal program
// built with -g and -funwind-tables, booted as a kernel ELF on the virt platform with its own ELF as `symbols` (the
// role of a vmlinux). A line breakpoint binds where objdump's decoded line table says the line is entered; the stop's
// call stack is unwound by the program's EHABI index read from the machine's memory, and each frame's file and line
// are addr2line's for its PC (a caller's: for its call, the instruction before the return address).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { elfSections } from '../../emulator/elf/dwarf-line';
import { PROGRAMS, build, objdumpLineEntry, toolsMissing } from '../support/bare-metal';
import { after, client, launch, programFile, registers, root } from './support';

const SOURCE = join(PROGRAMS, 'debug', 'calls.c');
const PLATFORM = join(root, 'test', 'support', 'virt-a15.dts');
const skip = toolsMissing() || (spawnSync('arm-linux-gnueabihf-addr2line', ['--version']).error ? 'arm-linux-gnueabihf-addr2line is not installed' : false);

/** The 1-based line of `calls.c` holding a marker comment. */
const lineOf = (marker: string): number => readFileSync(SOURCE, 'utf8').split('\n').findIndex((l) => l.includes(`/* ${marker} */`)) + 1;

/** addr2line's file:line of an address (the reference for a frame's position). */
function addr2line(elf: string, address: number): string {
  const r = spawnSync('arm-linux-gnueabihf-addr2line', ['-e', elf, `0x${address.toString(16)}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [file, line] = r.stdout.trim().split(':');
  return `${basename(file)}:${Number(line)}`;
}

test("a kernel ELF with DWARF: line breakpoints bind to the line's entry (verified, moved to the next line with code, or unverified), the stop's frames are unwound by its EHABI index with addr2line's lines, and continue passes the second call", { skip, timeout: 120_000 }, async () => {
  const elf = build('debug/calls.c', ['-g', '-funwind-tables']);
  const leaf = lineOf('LEAF');
  const dc = await client();
  try {
    let results: DebugProtocol.Breakpoint[] = [];
    const stop = await launch(dc, { kernel: elf, symbols: elf, platform: PLATFORM }, async () => {
      // The blank line before leaf's signature moves to the signature's line; past the end of the file nothing binds.
      results = (await dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line: leaf }, { line: leaf - 2 }, { line: 10_000 }] })).body.breakpoints;
    });
    const [onLeaf, moved, beyond] = results;
    assert.equal(onLeaf.verified, true);
    assert.equal(onLeaf.line, leaf);
    assert.equal(Number(onLeaf.instructionReference), objdumpLineEntry(elf, 'calls.c', leaf));
    assert.equal(moved.verified, true);
    assert.equal(moved.line, leaf - 1, 'the function signature: the first line with code after the blank one');
    assert.equal(beyond.verified, false);
    assert.match(beyond.message ?? '', /no code at or after line 10000 of calls\.c/);

    // Stopped in leaf, called by middle, called by main: each frame on addr2line's line.
    assert.equal(stop.stop.body.reason, 'breakpoint');
    assert.equal(Number(stop.frame.instructionPointerReference), objdumpLineEntry(elf, 'calls.c', leaf));
    const frames = (await dc.stackTraceRequest({ threadId: stop.threadId })).body.stackFrames;
    assert.deepEqual(frames.slice(0, 3).map((f) => f.name.replace(/\+0x[0-9a-f]+$/, '')), ['leaf', 'middle', 'main']);
    // start.S's call of main is not in a function (_start has no function symbol): the walk ends at main.
    assert.equal(frames.length, 3);
    for (const [depth, frame] of frames.entries()) {
      const pc = Number(frame.instructionPointerReference);
      assert.equal(`${basename(frame.source?.path ?? '')}:${frame.line}`, addr2line(elf, depth === 0 ? pc : pc - 1), `frame ${depth} ${frame.name}`);
    }
    assert.equal(frames[0].line, leaf);
    assert.equal(frames[1].line, lineOf('MIDDLE CALL'));
    assert.equal(frames[2].line, lineOf('MAIN CALL'));
    assert.equal(frames[0].source?.path, SOURCE);

    // A caller's frame has the registers the unwinding restored: middle pushed r4 and lr in 8 bytes
    // (`str r4, [sp, #-8]!`), leaf pushed nothing; its pc is the return address.
    const inner = await registers(dc, frames[0].id);
    const callerRegisters = await registers(dc, frames[2].id);
    assert.equal(Number(callerRegisters.sp), Number(inner.sp) + 8);
    assert.equal(Number(callerRegisters.pc), Number(frames[2].instructionPointerReference));
    assert.equal(callerRegisters.r0, undefined, 'r0-r3 are not preserved across calls');
    const evaluated = await dc.evaluateRequest({ expression: 'sp', frameId: frames[2].id, context: 'watch' });
    assert.equal(Number(evaluated.body.result.split(' ')[0]), Number(inner.sp) + 8);

    // Continued: the second call of leaf, from the next line of middle.
    const second = await after(dc, dc.continueRequest({ threadId: stop.threadId }));
    assert.equal(second.stop.body.reason, 'breakpoint');
    const again = (await dc.stackTraceRequest({ threadId: second.threadId })).body.stackFrames;
    assert.equal(again[1].line, lineOf('MIDDLE CALL') + 1);
    assert.equal(again[2].line, lineOf('MAIN CALL'));
  } finally {
    await dc.stop();
  }
});

test('stepping a kernel ELF by source line: over a line to the next (back in the caller when the function returns), into a call to its first line, out to the caller', { skip, timeout: 120_000 }, async () => {
  const elf = build('debug/calls.c', ['-g', '-funwind-tables']);
  const dc = await client();
  try {
    const first = await launch(dc, { kernel: elf, symbols: elf, platform: PLATFORM }, async () => {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'middle' }] });
    });
    const threadId = first.threadId;
    const at = (s: { frame: DebugProtocol.StackFrame }): string => `${s.frame.name} ${basename(s.frame.source?.path ?? '')}:${s.frame.line}`;
    assert.equal(at(first), `middle calls.c:${lineOf('MIDDLE CALL') - 1}`, 'the function breakpoint: its first line');
    // Over: the line of the first call, then over that call to the next line.
    let stop = await after(dc, dc.nextRequest({ threadId }));
    assert.equal(stop.stop.body.reason, 'step');
    assert.equal(stop.frame.line, lineOf('MIDDLE CALL'));
    stop = await after(dc, dc.nextRequest({ threadId }));
    assert.equal(stop.frame.line, lineOf('MIDDLE CALL') + 1, 'over leaf(x) without stopping in it');
    // In: leaf's first line, with middle below it.
    stop = await after(dc, dc.stepInRequest({ threadId }));
    assert.equal(at(stop), `leaf calls.c:${lineOf('LEAF')}`);
    const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    assert.deepEqual(frames.slice(1, 3).map((f) => f.line), [lineOf('MIDDLE CALL') + 1, lineOf('MAIN CALL')]);
    // Back one instruction: the call in middle, the step in's only instruction; in again.
    const backed = await after(dc, dc.stepBackRequest({ threadId }));
    assert.equal(backed.stop.body.reason, 'step');
    assert.equal(Number(backed.frame.instructionPointerReference), Number(frames[1].instructionPointerReference) - 4);
    assert.equal(backed.frame.line, lineOf('MIDDLE CALL') + 1);
    stop = await after(dc, dc.stepInRequest({ threadId }));
    assert.equal(at(stop), `leaf calls.c:${lineOf('LEAF')}`);
    // Out: back in middle, at the return address (mid-line), as addr2line places it.
    stop = await after(dc, dc.stepOutRequest({ threadId }));
    assert.equal(stop.stop.body.reason, 'step');
    const back = Number(stop.frame.instructionPointerReference);
    assert.equal(Number(frames[1].instructionPointerReference), back);
    assert.equal(`${basename(stop.frame.source?.path ?? '')}:${stop.frame.line}`, addr2line(elf, back));
    // Over the end of middle: back in main, after its call.
    stop = await after(dc, dc.nextRequest({ threadId }));
    assert.match(stop.frame.name, /^main\+0x/);
    assert.equal(Number(stop.frame.instructionPointerReference), Number(frames[2].instructionPointerReference));
  } finally {
    await dc.stop();
  }
});

test("a vmlinux whose line table is damaged is one launch error naming 'symbols', the file and the problem", { skip }, async () => {
  const elf = new Uint8Array(readFileSync(build('debug/calls.c', ['-g', '-funwind-tables'])));
  const line = elfSections(elf).get('.debug_line')!;
  // The first unit's version (after its 4-byte length) made 9: not DWARF 2 to 5.
  elf[line.offset + 4] = 9;
  elf[line.offset + 5] = 0;
  const damaged = programFile('damaged.elf', elf);
  const dc = await client();
  try {
    await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path' });
    await assert.rejects(dc.launch({ kernel: damaged, symbols: damaged, platform: PLATFORM } as DebugProtocol.LaunchRequestArguments), /'symbols': .*damaged\.elf: \.debug_line: version 9 is not DWARF 2 to 5/);
  } finally {
    await dc.stop();
  }
});

test('step in by source line over a line that unmasks a pending interrupt: its handler runs, the step ends back on the next line', { skip, timeout: 120_000 }, async () => {
  const elf = build('debug/irq-step.c', ['-g']);
  const source = join(PROGRAMS, 'debug', 'irq-step.c');
  const marked = (marker: string): number => readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes(`/* ${marker} */`)) + 1;
  const dc = await client();
  try {
    const console: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => console.push(e.body.output));
    const first = await launch(dc, { kernel: elf, symbols: elf, platform: PLATFORM }, async () => {
      await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: marked('UNMASK') }] });
    });
    assert.equal(first.frame.line, marked('UNMASK'));
    const stepped = await after(dc, dc.stepInRequest({ threadId: first.threadId }));
    assert.equal(stepped.stop.body.reason, 'step');
    assert.equal(`${stepped.frame.name.replace(/\+0x[0-9a-f]+$/, '')} ${basename(stepped.frame.source?.path ?? '')}:${stepped.frame.line}`, `main irq-step.c:${marked('AFTER')}`);
    const ended = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: first.threadId });
    await ended;
    assert.match(console.join(''), /ticks=0x00000001/, 'the handler ran once');
  } finally {
    await dc.stop();
  }
});
