// The launch attribute `sourceMap` (alias `sourceFileMap`) over a real DAP client: the bare-metal program built with
// -g records calls.c under its source directory; mapped to a copy elsewhere, frames show the copy's path and a line
// breakpoint set on the copy binds where objdump's decoded line table enters the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SourceMap } from '../../debugger/source-map';
import { PROGRAMS, build, objdumpLineEntry, toolsMissing } from '../support/bare-metal';
import { client, launch, root } from './support';

const SOURCE = join(PROGRAMS, 'debug', 'calls.c');
const PLATFORM = join(root, 'test', 'support', 'virt-a15.dts');
const leaf = readFileSync(SOURCE, 'utf8').split('\n').findIndex((l) => l.includes('/* LEAF */')) + 1;

test('a prefix matches whole path components, the longest first, both ways; `/` maps too', () => {
  const map = SourceMap.parse({ sourceMap: { '/build/linux-6.1/': '/home/u/ls', '/build/linux-6.1/drivers': '/home/u/drv', '/': '/srv/root' } }, '/cwd');
  assert.equal(map.local('/build/linux-6.1/arch/arm/kernel/head.S'), '/home/u/ls/arch/arm/kernel/head.S');
  assert.equal(map.local('/build/linux-6.1/drivers/dma/pl330.c'), '/home/u/drv/dma/pl330.c');
  assert.equal(map.local('/build/linux-6.1x/a.c'), '/srv/root/build/linux-6.1x/a.c');
  assert.equal(map.recorded('/home/u/drv/dma/pl330.c'), '/build/linux-6.1/drivers/dma/pl330.c');
  assert.equal(map.recorded('/srv/root/etc/x'), '/etc/x');
  assert.equal(map.recorded('/home/u/lsx/a.c'), '/home/u/lsx/a.c');
  assert.equal(SourceMap.parse({ sourceFileMap: { '/b': 'src' } }, '/cwd').local('/b/a.c'), '/cwd/src/a.c', 'a relative directory is taken from the working directory');
});

for (const attribute of ['sourceMap', 'sourceFileMap']) {
  test(`'${attribute}' maps frames' paths to a local copy and breakpoints set on the copy back to the debug information`, { skip: toolsMissing(), timeout: 120_000 }, async () => {
    const elf = build('debug/calls.c', ['-g', '-funwind-tables']);
    const local = mkdtempSync(join(tmpdir(), 'dmalab-srcmap-'));
    const copy = join(local, 'calls.c');
    copyFileSync(SOURCE, copy);
    const dc = await client();
    try {
      let bound: { verified: boolean; path?: string; address: number } | undefined;
      // The longer prefix wins over a shorter one mapping elsewhere.
      const map = { [dirname(SOURCE)]: local, [PROGRAMS]: join(local, 'wrong') };
      const stop = await launch(dc, { kernel: elf, symbols: elf, platform: PLATFORM, [attribute]: map }, async () => {
        const [b] = (await dc.setBreakpointsRequest({ source: { path: copy }, breakpoints: [{ line: leaf }] })).body.breakpoints;
        bound = { verified: b.verified, path: b.source?.path, address: Number(b.instructionReference) };
      });
      assert.deepEqual(bound, { verified: true, path: copy, address: objdumpLineEntry(elf, 'calls.c', leaf) });
      assert.equal(Number(stop.frame.instructionPointerReference), objdumpLineEntry(elf, 'calls.c', leaf));
      const frames = (await dc.stackTraceRequest({ threadId: stop.threadId })).body.stackFrames;
      assert.deepEqual(frames.map((f) => [f.name.replace(/\+0x[0-9a-f]+$/, ''), f.source?.path]), [['leaf', copy], ['middle', copy], ['main', copy]]);
    } finally {
      await dc.stop();
      rmSync(local, { recursive: true, force: true });
    }
  });
}

test('a sourceMap that is not an object, maps to no directory, or comes with its alias fails the launch with one clear error', { timeout: 60_000 }, async () => {
  for (const [args, expected] of [
    [{ sourceMap: '/build/linux-6.1' }, /^'sourceMap' must be an object mapping a path prefix in the program's debug information to a local directory: .*\(got "\/build\/linux-6.1"\)$/],
    [{ sourceFileMap: { '/build/linux-6.1': 3 } }, /^'sourceFileMap\.\/build\/linux-6.1' must name a local directory \(got 3\)$/],
    [{ sourceMap: {}, sourceFileMap: {} }, /^give either 'sourceMap' or 'sourceFileMap' \(its alias\), not both$/],
  ] as const) {
    const dc = await client();
    try {
      await assert.rejects(dc.launch({ kernel: '/nonexistent', ...args } as never), (e: Error) => {
        assert.match(e.message, expected);
        return true;
      });
    } finally {
      await dc.stop();
    }
  }
});
