// Console input in kernel sessions over the Debug Adapter Protocol: typed in the Debug Console (`> line`, evaluate in
// the 'repl' context) or by `dmalab/consoleInput`, it reaches the guest's PL011 when the machine runs and is recorded
// with the run, so that reverse execution replays it.
// - debug/echo.c (bare metal, one CPU, polling the UART): stopped in `waiting` after its prompt, `> hello` typed, the
//   program echoes it and stops in `line_done` (line "hello", its checksum); reverse continue returns to `waiting`
//   before the input (the line not received); continued without typing, the same stop with the same registers and
//   memory, and the Debug Console shows nothing twice (the replayed echo matches what was shown); on, the program's
//   answer follows once. Back before the input again, another line typed is a new future: its echo is shown.
// - Debian's 6.1 kernel with a busybox initramfs whose init script reads a line: typed while the machine runs, the
//   tty echoes it and the script answers with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, toolsMissing } from '../support/bare-metal';
import { GUEST, INITRAMFS, initramfsWith } from '../support/debian-kernel';
import { nmSymbols } from '../support/objdump';
import { after, client, launch, programFile, registers, root } from './support';

const skip = toolsMissing();
const VIRT = join(root, 'test', 'support', 'virt-a15.dts');
const IMAGE = join(GUEST, 'Image');
const skipKernel = existsSync(IMAGE) && existsSync(INITRAMFS) ? false : `${IMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** echo.c's checksum of a line. */
const checksum = (text: string): number => [...text].reduce((sum, c) => (Math.imul(sum, 31) + c.charCodeAt(0)) >>> 0, 0);

test('a line typed in the Debug Console reaches the guest, is replayed by reverse execution (same stop, registers, memory, console) and typing anew starts a new future', { skip, timeout: 120_000 }, async () => {
  const elf = build('debug/echo.c');
  const symbols = nmSymbols(elf);
  const dc = await client();
  try {
    const shown = { text: '' };
    const console = (): string => shown.text;
    dc.on('output', (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === 'stdout') shown.text += e.body.output;
      else process.stderr.write(e.body.output);
    });
    const memory = async (name: string, count: number): Promise<Buffer> =>
      Buffer.from((await dc.customRequest('readMemory', { memoryReference: hex(symbols.get(name)!), count }) as DebugProtocol.ReadMemoryResponse).body!.data!, 'base64');
    const state = async (threadId: number) => ({ registers: await registers(dc, threadId), line: await memory('line', 16), lines: (await memory('lines', 4)).readUInt32LE(0) });

    let stop = await launch(dc, { kernel: elf, platform: VIRT, cpus: 1 }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'waiting' }, { name: 'line_done' }] }));
    const cpu0 = stop.threadId;
    assert.match(stop.frame.name, /^waiting/);
    assert.equal(console(), 'echo> ');

    const typed = await dc.evaluateRequest({ expression: '> hello', context: 'repl' });
    assert.equal(typed.body.result, '');
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^line_done/);
    assert.equal(console(), 'echo> hello');
    const first = await state(cpu0);
    assert.equal(first.line.toString('latin1'), 'hello' + '\0'.repeat(11));
    assert.equal(first.lines, 1);
    assert.equal((await memory('checksum', 4)).readUInt32LE(0), checksum('hello'));

    // Back before the input: the line not received yet.
    stop = await after(dc, dc.reverseContinueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^waiting/);
    assert.equal((await state(cpu0)).lines, 0);
    assert.equal((await memory('line', 1))[0], 0);

    // Forward without typing: the input replayed at its instant, the same stop and state, nothing shown twice.
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^line_done/);
    assert.deepEqual(await state(cpu0), first);
    assert.equal(console(), 'echo> hello');
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^waiting/);
    assert.equal(console(), `echo> hello\nline: hello\nchecksum=${hex(checksum('hello'))}\necho> `);

    // Back before the first line and another typed (the custom request, Enter as a line feed): a new future, shown.
    stop = await after(dc, dc.reverseContinueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^line_done/);
    stop = await after(dc, dc.reverseContinueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^waiting/);
    await dc.customRequest('dmalab/consoleInput', { text: 'bye\n' });
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^line_done/);
    assert.equal((await memory('line', 4)).toString('latin1'), 'bye\0');
    await after(dc, dc.continueRequest({ threadId: cpu0 }));
    // Shown from the first byte that differs from what the Debug Console showed (the prompt before it was the same).
    assert.equal(console(), `echo> hello\nline: hello\nchecksum=${hex(checksum('hello'))}\necho> bye\nline: bye\nchecksum=${hex(checksum('bye'))}\necho> `);
  } finally {
    await dc.stop();
  }
});

test('a line of 150 characters typed in one go reaches the guest whole through the 32-byte FIFO, and reverse execution replays all of it', { skip, timeout: 120_000 }, async () => {
  const elf = build('debug/echo.c');
  const symbols = nmSymbols(elf);
  const long = Array.from({ length: 150 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
  const dc = await client();
  try {
    let shown = '';
    dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.category === 'stdout') shown += e.body.output; });
    const word = async (name: string): Promise<number> =>
      Buffer.from((await dc.customRequest('readMemory', { memoryReference: hex(symbols.get(name)!), count: 4 }) as DebugProtocol.ReadMemoryResponse).body!.data!, 'base64').readUInt32LE(0);
    let stop = await launch(dc, { kernel: elf, platform: VIRT, cpus: 1 }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'waiting' }, { name: 'line_done' }] }));
    const cpu0 = stop.threadId;
    await dc.evaluateRequest({ expression: `> ${long}`, context: 'repl' });
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^line_done/);
    assert.equal(shown, `echo> ${long}`, 'every character echoed');
    assert.equal(await word('checksum'), checksum(long));
    const first = await registers(dc, cpu0);
    stop = await after(dc, dc.reverseContinueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^waiting/);
    assert.equal(await word('lines'), 0);
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.match(stop.frame.name, /^line_done/);
    assert.deepEqual(await registers(dc, cpu0), first);
    assert.equal(await word('checksum'), checksum(long));
    assert.equal(shown, `echo> ${long}`, 'the replayed echo is not shown twice');
  } finally {
    await dc.stop();
  }
});

test("a line typed on Debian's console while the kernel runs reaches its shell script, which answers", { skip: skipKernel, timeout: 600_000 }, async () => {
  const initrd = programFile('console-input.cpio', initramfsWith({ test: '#!/bin/sh\necho "== ready"\nread line\necho "== typed: $line"\nexec sh\n' }));
  const dc = await client();
  try {
    let output = '';
    const seen = (text: string): Promise<void> => new Promise((resolve) => {
      const look = (e: DebugProtocol.OutputEvent): void => {
        if (e.body.category === 'stdout') output += e.body.output;
        if (output.includes(text)) {
          dc.off('output', look);
          resolve();
        }
      };
      dc.on('output', look);
    });
    const ready = seen('== ready');
    const entry = await launch(dc, { kernel: IMAGE, initrd, append: 'console=ttyAMA0 cryptomgr.notests=1', cpus: 1, stopOnEntry: true });
    await dc.continueRequest({ threadId: entry.threadId });
    await ready;
    const answered = seen('== typed: hello kernel');
    await dc.evaluateRequest({ expression: '> hello kernel', context: 'repl' });
    await answered;
    assert.match(output, /== ready\r?\n[^]*hello kernel[^]*== typed: hello kernel/, 'the tty echoes the line, the script answers');
    // A shell command line far longer than the PL011's 32-byte FIFO, typed in one go: the shell gets all of it.
    const words = Array.from({ length: 16 }, (_, i) => `word${String(i).padStart(2, '0')}`);
    const command = `for w in ${words.join(' ')}; do printf '%s,' "$w"; done; echo ' == end'`;
    assert.ok(command.length > 100, `${command.length} characters`);
    const ran = seen(`${words.join(',')}, == end`);
    await dc.evaluateRequest({ expression: `> ${command}`, context: 'repl' });
    await ran;
  } finally {
    await dc.stop();
  }
});
