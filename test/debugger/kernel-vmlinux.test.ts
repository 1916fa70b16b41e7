// Source lines of Debian's own kernel: the 6.1 Image booted with its `-dbg` package's vmlinux as `symbols` (DWARF 4 and
// 5 line programs, 3,589 files, relative to the top of the build tree). Not in CI (a 620 MB download):
// examples/guest/fetch-vmlinux.sh fetches it into .cache/guest/dbg/, or DMALAB_VMLINUX names one. The references are
// binutils' addr2line for each frame's file and line and gdb's `info line` for where a line breakpoint binds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { FrameTable } from '../../emulator/elf/dwarf-frame';
import { readKallsyms } from '../../emulator/linux/kallsyms';
import { GUEST, INITRAMFS, initramfsWith } from '../support/debian-kernel';
import { ROOT } from '../support/toolchain';
import { after, client, launchKernelTo, programFile } from './support';

const IMAGE = join(GUEST, 'Image');
const DBG = join(ROOT, '.cache', 'guest', 'dbg');
const VMLINUX = process.env.DMALAB_VMLINUX ?? (existsSync(DBG) ? readdirSync(DBG).filter((f) => f.startsWith('vmlinux-')).map((f) => join(DBG, f))[0] : undefined);

function why(): string | false {
  if (!existsSync(IMAGE) || !existsSync(INITRAMFS)) return `${IMAGE} is missing (examples/guest/fetch.sh)`;
  if (VMLINUX === undefined || !existsSync(VMLINUX)) return 'no vmlinux with DWARF (examples/guest/fetch-vmlinux.sh, or DMALAB_VMLINUX)';
  if (spawnSync('gdb-multiarch', ['--version']).error) return 'gdb-multiarch is not installed';
  const probe = readKallsyms(new Uint8Array(readFileSync(IMAGE))).find((s) => s.name === 'pl330_probe')?.address;
  if (new FrameTable(new Uint8Array(readFileSync(VMLINUX))).symbol('pl330_probe') !== probe) return `${VMLINUX} is not the vmlinux of ${IMAGE}`;
  return false;
}

/** addr2line's path and line of an address. */
function addr2line(address: number): { path: string; line: number } {
  const r = spawnSync('arm-linux-gnueabihf-addr2line', ['-e', VMLINUX!, `0x${address.toString(16)}`], { encoding: 'utf8' });
  const [path, line] = r.stdout.trim().split(':');
  return { path, line: Number(line) };
}

/** Where gdb's `info line FILE:LINE` says the line starts. */
function gdbLineStart(file: string, line: number): number {
  const r = spawnSync('gdb-multiarch', ['-batch', '-ex', `info line ${file}:${line}`, VMLINUX!], { encoding: 'utf8' });
  const m = /starts at address (0x[0-9a-f]+)/.exec(r.stdout);
  assert.ok(m, `gdb: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

test("Debian's vmlinux as symbols: frames on addr2line's files and lines, a line breakpoint in pl330_probe where gdb places it, next and step in by line", { skip: why(), timeout: 600_000 }, async () => {
  const top = dirname(VMLINUX!);
  const dc = await client();
  try {
    const stop = await launchKernelTo(dc, { kernel: IMAGE, symbols: VMLINUX, initrd: programFile('initramfs.cpio', initramfsWith({})), append: 'console=ttyAMA0 cryptomgr.notests=1', cpus: 1 }, 'pl330_probe');
    const threadId = stop.body.threadId!;
    const frames = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    assert.deepEqual(frames.slice(0, 3).map((f) => f.name.replace(/\+0x[0-9a-f]+$/, '')), ['pl330_probe', 'amba_probe', 'really_probe']);
    for (const [depth, frame] of frames.entries()) {
      const pc = Number(frame.instructionPointerReference);
      const reference = addr2line(depth === 0 ? pc : pc - 1);
      assert.ok(frame.source?.path, `${frame.name} has a source`);
      const recorded = relative(top, frame.source.path);
      assert.ok(reference.path.endsWith(`/${recorded}`) || reference.path === frame.source.path, `${frame.name}: ${recorded} vs addr2line's ${reference.path}`);
      assert.equal(frame.line, reference.line, `${frame.name}'s line`);
    }
    assert.equal(relative(top, frames[0].source?.path ?? ''), 'drivers/dma/pl330.c');

    // A line breakpoint on the line of pl330_probe's first call in pl330.c itself (not in a header inlined there), as
    // an editor sends it (the file in the tree).
    const [call] = (await dc.disassembleRequest({ memoryReference: frames[0].instructionPointerReference!, instructionCount: 64 })).body!.instructions
      .filter((i) => /^bl\s/.test(i.instruction) && addr2line(Number(i.address)).path.endsWith('/drivers/dma/pl330.c'));
    assert.ok(call, 'a call on a line of pl330.c');
    const line = addr2line(Number(call.address)).line;
    const set = (await dc.setBreakpointsRequest({ source: { path: join(top, 'drivers', 'dma', 'pl330.c') }, breakpoints: [{ line }] })).body.breakpoints[0];
    assert.equal(set.verified, true);
    assert.equal(set.line, line);
    assert.equal(Number(set.instructionReference), gdbLineStart('drivers/dma/pl330.c', line));
    const hit = await after(dc, dc.continueRequest({ threadId }));
    assert.equal(hit.stop.body.reason, 'breakpoint');
    assert.equal(Number(hit.frame.instructionPointerReference), Number(set.instructionReference));
    assert.equal(hit.frame.line, line);

    // Over that line (and its call): the next line of pl330_probe, in the same invocation; into a call: the called
    // function's first line, with pl330_probe below it.
    const over = await after(dc, dc.nextRequest({ threadId }));
    assert.equal(over.stop.body.reason, 'step');
    assert.match(over.frame.name, /^pl330_probe\+0x/);
    assert.notEqual(over.frame.line, line);
    const overPc = Number(over.frame.instructionPointerReference);
    assert.equal(over.frame.line, addr2line(overPc).line, 'a line start, on its line');
    let into = over;
    for (let i = 0; i < 20 && /^pl330_probe/.test(into.frame.name); i++) into = await after(dc, dc.stepInRequest({ threadId }));
    const stack = (await dc.stackTraceRequest({ threadId })).body.stackFrames;
    assert.ok(!/^pl330_probe/.test(into.frame.name), 'stepped into a call');
    assert.match(stack[1].name, /^pl330_probe\+0x/);
    assert.equal(into.frame.line, addr2line(Number(into.frame.instructionPointerReference)).line);
  } finally {
    await dc.stop();
  }
});
