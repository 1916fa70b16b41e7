// The DMA timeline of a debug session (dmalab/timeline, dmalab/exportTrace, dmalab/timelineSource), over stdio as an
// editor drives it. The exported file is checked against the trace-event format's rules and against the same
// program's run outside the debugger (`dmalab run --trace`, `dmalab run-elf --trace-out`): going back and forth in
// the session records every burst once; an item leads back to its microcode or C line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { CPU_PID, DMAC_PID_BASE } from '../../emulator/machine/trace';
import { PL330_REGISTER_MAP } from '../../emulator/pl330/registers';
import type { TraceDocument, TraceEvent } from '../../emulator/trace/trace-events';
import { burstTotals, formatProblems } from '../support/trace-format';
import { after, client, launch, memcpy, root } from './support';

const work = mkdtempSync(join(tmpdir(), 'dmalab-timeline-'));
const cli = join(root, 'bin', 'dmalab');
const memcpyLines = readFileSync(memcpy, 'utf8').split('\n');
const lineOf = (pattern: RegExp) => memcpyLines.findIndex((l) => pattern.test(l)) + 1;

async function timeline(dc: DebugClient): Promise<{ trace: TraceDocument; now: number }> {
  return (await dc.customRequest('dmalab/timeline')).body;
}

async function exported(dc: DebugClient, name: string): Promise<TraceDocument> {
  const path = join(work, name);
  const r = await dc.customRequest('dmalab/exportTrace', { path });
  const doc = JSON.parse(readFileSync(path, 'utf8')) as TraceDocument;
  assert.equal(r.body.events, doc.traceEvents.length);
  return doc;
}

/** What memcpy's run outside the debugger moves (`dmalab run --trace-out`). */
function memcpyReference(): ReturnType<typeof burstTotals> {
  const out = join(work, 'reference.json');
  const reference = spawnSync(process.execPath, [cli, 'run', memcpy, '--trace-out', out], { encoding: 'utf8' });
  assert.equal(reference.status, 0, reference.stderr);
  return burstTotals(JSON.parse(readFileSync(out, 'utf8')));
}

const bursts = (doc: TraceDocument): TraceEvent[] => doc.traceEvents.filter((e) => e.cat === 'burst');

test('a PL330 session: the timeline opened mid-run holds the past; stepping back moves the present, not the record; the export counts what `dmalab run` moves', async () => {
  const expected = memcpyReference();
  const store = lineOf(/^\s*DMAST\b/);
  const dc = await client();
  try {
    const first = await launch(dc, { program: memcpy }, () => dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [{ line: store }] }));
    assert.equal(first.frame.line, store);
    const atStore = await timeline(dc);
    assert.deepEqual(formatProblems(atStore.trace), []);
    assert.deepEqual(bursts(atStore.trace).map((e) => e.name), ['read 0x2000 16 B'], 'one DMALD ran before the stop, recorded by re-execution');
    const next = await after(dc, dc.continueRequest({ threadId: first.threadId }));
    assert.equal(next.frame.line, store);
    const later = await timeline(dc);
    assert.ok(later.now > atStore.now);
    const back = await after(dc, dc.stepBackRequest({ threadId: first.threadId }));
    assert.equal(back.frame.line, store - 1);
    const past = await timeline(dc);
    assert.ok(past.now < later.now, `the present moved back: ${past.now} < ${later.now} µs`);
    assert.equal(bursts(past.trace).length, bursts(later.trace).length, 'what was recorded stays');

    await dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [] });
    await dc.setExceptionBreakpointsRequest({ filters: ['dmasev'] });
    await after(dc, dc.continueRequest({ threadId: first.threadId }));
    const doc = await exported(dc, 'memcpy.json');
    assert.deepEqual(formatProblems(doc), []);
    assert.deepEqual(burstTotals(doc), expected, 'each burst once, as the run outside the debugger');

    const burst = bursts(doc).find((e) => e.name.startsWith('write'))!;
    const where = (await dc.customRequest('dmalab/timelineSource', { pid: burst.pid, pc: Number(burst.args!.pc) })).body;
    assert.equal(where.source.path, memcpy);
    assert.equal(where.line, store, 'a write burst leads to its DMAST');
  } finally {
    await dc.stop();
  }
});

test('an incremental timeline: each answer carries what was recorded since the cursor, and with the open slices adds up to the whole document', async () => {
  const store = lineOf(/^\s*DMAST\b/);
  const dc = await client();
  const delta = async (since?: string) => (await dc.customRequest('dmalab/timeline', { incremental: true, since })).body;
  const key = (e: TraceEvent) => JSON.stringify(e);
  try {
    const first = await launch(dc, { program: memcpy }, () => dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [{ line: store }] }));
    const a = await delta();
    assert.equal(a.reset, true);
    const held = [...a.added];
    for (let k = 0; k < 3; k++) {
      await after(dc, dc.continueRequest({ threadId: first.threadId }));
      const b = await delta(a.cursor);
      assert.equal(b.reset, false);
      assert.ok(b.added.length > 0, 'something new');
      held.push(...b.added);
      a.cursor = b.cursor;
      const whole = await timeline(dc);
      assert.deepEqual([...b.metadata, ...held, ...b.open].map(key).sort(), whole.trace.traceEvents.map(key).sort());
      assert.equal(b.now, whole.now);
    }
    const again = await delta(a.cursor);
    assert.deepEqual([again.reset, again.added.length], [false, 0], 'nothing recorded since');
    const stale = await delta('0:5:5');
    assert.deepEqual([stale.reset, stale.added.length], [true, held.length], "another record's cursor: everything");
    await assert.rejects(dc.customRequest('dmalab/timeline', { incremental: true, since: 5 }), /'since' must be the cursor of an earlier answer/);
  } finally {
    await dc.stop();
  }
});

test('memory written after stepping back: the timeline starts again there, and the write stands', async () => {
  const expected = memcpyReference();
  const load = lineOf(/^\s*DMALD\b/);
  const dc = await client();
  try {
    const first = await launch(dc, { program: memcpy }, () => dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [{ line: load + 1 }] }));
    assert.equal(bursts((await timeline(dc)).trace).length, 1);
    const back = await after(dc, dc.stepBackRequest({ threadId: first.threadId }));
    assert.equal(back.frame.line, load);
    const pattern = Buffer.alloc(16, 0xab);
    await dc.customRequest('writeMemory', { memoryReference: '0x2000', data: pattern.toString('base64') });
    const restarted = await timeline(dc);
    assert.equal(bursts(restarted.trace).length, 0, 'the recorded future no longer follows: nothing after here is kept');
    await dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [] });
    await dc.setExceptionBreakpointsRequest({ filters: ['dmasev'] });
    await after(dc, dc.continueRequest({ threadId: first.threadId }));
    const copied = await dc.customRequest('readMemory', { memoryReference: '0x3000', count: 16 });
    assert.deepEqual(Buffer.from(copied.body.data, 'base64'), pattern, 'the timeline re-executed nothing over the write');
    const doc = await exported(dc, 'memcpy-written.json');
    assert.deepEqual(formatProblems(doc), []);
    assert.deepEqual(burstTotals(doc), expected);
  } finally {
    await dc.stop();
  }
});

test('an ARM executable session: recording from when the timeline is asked for; the export matches run-elf --trace-out; a register access leads to its C line', async () => {
  const example = join(root, 'examples', 'vfio-pl330');
  const program = join(example, 'vfio-pl330');
  const source = join(example, 'vfio-pl330.c');
  const sourceLines = readFileSync(source, 'utf8').split('\n');
  const checkLine = sourceLines.findIndex((l) => l.includes('memcmp(src, dst')) + 1;
  const r = spawnSync(process.execPath, [cli, 'run-elf', program, '--trace-out', join(work, 'elf-reference.json')], { encoding: 'utf8', cwd: example });
  assert.equal(r.status, 0, r.stderr);
  const reference = JSON.parse(readFileSync(join(work, 'elf-reference.json'), 'utf8')) as TraceDocument;
  const registerAccesses = (doc: TraceDocument) => doc.traceEvents.filter((e) => e.pid === CPU_PID && e.cat === 'register').map((e) => `${e.name}`);
  const dc = await client();
  try {
    const entry = await launch(dc, { program, stopOnEntry: true });
    assert.equal((await timeline(dc)).trace.traceEvents.filter((e) => e.ph !== 'M').length, 0, 'nothing happened before the entry');
    await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line: checkLine }] });
    const stop = await after(dc, dc.continueRequest({ threadId: entry.threadId }));
    assert.equal(stop.frame.line, checkLine);
    const doc = await exported(dc, 'elf.json');
    assert.deepEqual(formatProblems(doc), []);
    assert.deepEqual(burstTotals(doc), burstTotals(reference));
    assert.deepEqual(registerAccesses(doc), registerAccesses(reference));
    assert.ok(bursts(doc).every((e) => e.pid === DMAC_PID_BASE && e.tid === 1));
    const go = doc.traceEvents.filter((e) => e.name === 'DMAGO' && e.ph === 'f');
    assert.deepEqual(go.map((e) => [e.pid, e.tid]), [[DMAC_PID_BASE, 1]], 'the DMAGO the driver issued through the debug registers links to channel 0');

    const dbgcmd = doc.traceEvents.find((e) => e.cat === 'register' && e.args!.register === 'DBGCMD')!;
    const where = (await dc.customRequest('dmalab/timelineSource', { pid: dbgcmd.pid, pc: Number(dbgcmd.args!.pc), callers: (dbgcmd.args!.callers as string[]).map(Number) })).body;
    assert.equal(where.source.path, source);
    assert.match(sourceLines[where.line - 1], /wr\(DBGCMD\b/);
  } finally {
    await dc.stop();
  }
});

test("a scenario session: the host model's register accesses on cpu0, in the order of Test Case 1's steps, at the registers' addresses, before the channel they start", async () => {
  const dc = await client();
  try {
    // Asked for before the run starts (as an open panel does), the timeline holds the host's work from its boot.
    const stop = await launch(dc, { scenario: 'vfio-test-case-1' }, async () => {
      await timeline(dc);
      await dc.setExceptionBreakpointsRequest({ filters: ['dmasev'] });
    });
    assert.equal(stop.stop.body.reason, 'exception');
    const { trace } = await timeline(dc);
    assert.deepEqual(formatProblems(trace), []);
    const accesses = trace.traceEvents.filter((e) => e.pid === CPU_PID && e.cat === 'register');
    assert.ok(accesses.every((e) => e.tid === 1 && e.args!.pc === undefined), 'on cpu0, with no PC (a model, not an emulated CPU)');
    assert.deepEqual(trace.traceEvents.filter((e) => e.name === 'thread_name' && e.pid === CPU_PID).map((e) => e.args!.name), ['cpu0']);
    // The DMA-330's registers through the process's mapping: INTEN = 1, then DMAGO through the debug interface.
    const dmac = accesses.filter((e) => e.args!.device === '2c0a0000.dma');
    assert.deepEqual(dmac.map((e) => `${e.name.split(' ')[0]} ${e.args!.register}`), ['write INTEN', 'read DBGSTATUS', 'write DBGINST0', 'write DBGINST1', 'write DBGCMD']);
    for (const e of dmac) assert.equal(Number(e.args!.address), 0x2c0a0000 + PL330_REGISTER_MAP.named(String(e.args!.register))!.offset);
    // The host kernel's arm-smmu driver before them: the device's stream routed to a context bank and translation on.
    const smmu = accesses.filter((e) => e.args!.device === '2b400000.iommu');
    assert.ok(smmu.some((e) => /^CB\d\.SCTLR$/.test(String(e.args!.register)) && e.name.startsWith('write') && (Number(e.args!.value) & 1) === 1), 'a context bank enabled');
    assert.ok(smmu[0].ts <= dmac[0].ts);
    const dbgcmd = dmac.at(-1)!;
    const first = trace.traceEvents.find((e) => e.cat === 'instruction' && e.pid === DMAC_PID_BASE && e.tid === 1)!;
    assert.ok(first.ts >= dbgcmd.ts, `channel 0 starts at ${first.ts} µs, DBGCMD written at ${dbgcmd.ts} µs`);
  } finally {
    await dc.stop();
  }
});

test('exportTrace without a path, or before a launch, is refused with the reason', async () => {
  const dc = await client();
  try {
    await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    await assert.rejects(dc.customRequest('dmalab/timeline'), /no program is launched yet/);
    await launch(dc, { program: memcpy, stopOnEntry: true });
    await assert.rejects(dc.customRequest('dmalab/exportTrace', {}), /'path' must name the file to write/);
    await assert.rejects(dc.customRequest('dmalab/exportTrace', { path: join(work, 'no', 'such', 'dir.json') }), /dmalab\/exportTrace: .*ENOENT/);
  } finally {
    await dc.stop();
  }
});
