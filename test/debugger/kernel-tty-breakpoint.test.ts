// Function breakpoints on the tty's read path in Debian's 6.1 kernel (the boot of kernel-console-input.test.ts: a
// busybox init script prints `== ready`, then `read`s a line). Busybox's `read` waits for input in poll() (the line
// discipline's n_tty_poll) and reads only once the tty has a byte: a breakpoint on tty_read or n_tty_read stops when
// a line is typed, not at the prompt. Stopped in n_tty_poll after `== ready`, a line typed: the script's read stops
// in tty_read, then in n_tty_read called by it (its PC at the symbol), and without breakpoints the script answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GUEST, INITRAMFS, initramfsWith } from '../support/debian-kernel';
import { after, client, launchKernelTo, programFile, registers } from './support';

const IMAGE = join(GUEST, 'Image');
const skip = existsSync(IMAGE) && existsSync(INITRAMFS) ? false : `${IMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;

test("Debian's console read: stopped in n_tty_poll after the prompt, a typed line stops in tty_read, then in n_tty_read", { skip, timeout: 600_000 }, async () => {
  const initrd = programFile('tty-breakpoint.cpio', initramfsWith({ test: '#!/bin/sh\necho "== ready"\nread line\necho "== typed: $line"\nexec sh\n' }));
  const dc = await client();
  try {
    let output = '';
    dc.on('output', (e: DebugProtocol.OutputEvent) => {
      if (e.body.category === 'stdout') output += e.body.output;
    });
    const frameNames = async (threadId: number): Promise<string[]> =>
      (await dc.stackTraceRequest({ threadId })).body.stackFrames.map((f) => f.name);

    const polled = await launchKernelTo(dc, { kernel: IMAGE, initrd, append: 'console=ttyAMA0 cryptomgr.notests=1', cpus: 1 }, 'n_tty_poll');
    const cpu0 = polled.body.threadId!;
    assert.equal(polled.body.description, 'n_tty_poll (cpu0)');
    assert.match(output, /== ready/, "the script's read polls the tty after its prompt");

    const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'tty_read' }, { name: 'n_tty_read' }] });
    assert.deepEqual(set.body.breakpoints.map((b) => b.verified), [true, true]);
    const nTtyRead = Number(set.body.breakpoints[1].instructionReference);
    await dc.evaluateRequest({ expression: '> hi', context: 'repl' });

    let stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.equal(stop.stop.body.description, 'tty_read (cpu0)');
    assert.match(stop.frame.name, /^tty_read\b/);
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.equal(stop.stop.body.description, 'n_tty_read (cpu0)');
    assert.deepEqual(stop.stop.body.hitBreakpointIds, [set.body.breakpoints[1].id]);
    assert.match(stop.frame.name, /^n_tty_read\b/);
    assert.equal(Number((await registers(dc, cpu0)).pc.split(' ')[0]), nTtyRead);
    assert.ok((await frameNames(cpu0)).some((name) => /^tty_read\b/.test(name)), 'n_tty_read called by tty_read');
    assert.doesNotMatch(output, /== typed/);

    // Without breakpoints the script reads the rest of the line and answers.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const answered = new Promise<void>((resolve) => {
      const look = (): void => {
        if (!output.includes('== typed: hi')) return;
        dc.off('output', look);
        resolve();
      };
      dc.on('output', look);
    });
    await dc.continueRequest({ threadId: cpu0 });
    await answered;
  } finally {
    await dc.stop();
  }
});
