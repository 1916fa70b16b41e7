// `dmalab run --trace-out FILE`: the run as a Chrome trace-event JSON file. Checked against the format's rules (the
// Trace Event Format document: required fields per phase, metadata names, instant scopes, counters, flows that pair
// up, complete slices that nest on each lane) and against the run's own text trace (`--trace`): the bursts carry
// every access and every byte the run moved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TraceDocument, TraceEvent } from '../../emulator/pl330/trace-events';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'dmalab-trace-'));

/** Runs an example (or a source file) with --trace (text, the reference) and --trace-out (the file under test). */
function traced(example: string): { doc: TraceDocument; text: string } {
  const out = join(dir, `${basename(example)}.json`);
  const program = example.includes('/') ? example : join(root, 'examples', 'pl330', example);
  const r = spawnSync(process.execPath, [cli, 'run', program, '--trace', '--trace-out', out], { encoding: 'utf8', timeout: 30_000 });
  // 1: a thread faulted, 4: a thread waits for what nothing signals (dmalab run's statuses); the trace shows both.
  assert.ok(r.status === 0 || r.status === 1 || r.status === 4, r.stderr);
  return { doc: JSON.parse(readFileSync(out, 'utf8')) as TraceDocument, text: r.stdout };
}

const PHASES = new Set(['X', 'i', 'C', 'M', 's', 'f']);
const METADATA = new Set(['process_name', 'process_labels', 'process_sort_index', 'thread_name', 'thread_sort_index']);

/** The format's rules, as problems found. */
function formatProblems(doc: TraceDocument): string[] {
  const problems: string[] = [];
  if (!Array.isArray(doc.traceEvents)) return ['traceEvents is not an array'];
  if (!['ms', 'ns'].includes(doc.displayTimeUnit)) problems.push(`displayTimeUnit ${doc.displayTimeUnit}`);
  const flows = new Map<number, { s?: TraceEvent; f?: TraceEvent }>();
  doc.traceEvents.forEach((e, k) => {
    const at = `event ${k} (${e.name})`;
    if (typeof e.name !== 'string' || !PHASES.has(e.ph)) problems.push(`${at}: name or ph`);
    if (!Number.isFinite(e.ts) || e.ts < 0) problems.push(`${at}: ts`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) problems.push(`${at}: pid/tid`);
    if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null)) problems.push(`${at}: args`);
    switch (e.ph) {
      case 'X': if (!Number.isFinite(e.dur) || e.dur! < 0) problems.push(`${at}: dur`); break;
      case 'i': if (!['g', 'p', 't'].includes(e.s!)) problems.push(`${at}: scope`); break;
      case 'C': if (!e.args || !Object.values(e.args).every((v) => typeof v === 'number')) problems.push(`${at}: counter values`); break;
      case 'M': if (!METADATA.has(e.name) || e.args === undefined) problems.push(`${at}: metadata`); break;
      case 's':
      case 'f': {
        if (!Number.isInteger(e.id)) problems.push(`${at}: flow id`);
        const pair = flows.get(e.id!) ?? {};
        const end = e.ph as 's' | 'f';
        if (pair[end]) problems.push(`${at}: flow ${e.id} has two '${end}'`);
        pair[end] = e;
        flows.set(e.id!, pair);
        break;
      }
    }
  });
  for (const [id, pair] of flows) if (!pair.s || !pair.f || pair.f.ts < pair.s.ts) problems.push(`flow ${id} does not pair up forwards`);
  // Complete slices on one lane nest: each starts after and ends before the enclosing one, in nanoseconds.
  const lanes = new Map<number, TraceEvent[]>();
  for (const e of doc.traceEvents) if (e.ph === 'X') lanes.set(e.tid, [...(lanes.get(e.tid) ?? []), e]);
  for (const [tid, slices] of lanes) {
    const open: number[] = [];
    for (const e of slices) {
      const start = Math.round(e.ts * 1000), end = Math.round((e.ts + e.dur!) * 1000);
      while (open.length && open[open.length - 1] <= start && !(open[open.length - 1] === start && end === start)) open.pop();
      if (open.length && end > open[open.length - 1]) problems.push(`lane ${tid}: ${e.name} at ${e.ts} overlaps its enclosing slice`);
      open.push(end);
    }
  }
  return problems;
}

/** Data accesses of the --trace text: count and bytes by direction. */
function textAccesses(text: string): Record<'read' | 'write', { accesses: number; bytes: number }> {
  const out = { read: { accesses: 0, bytes: 0 }, write: { accesses: 0, bytes: 0 } };
  for (const m of text.matchAll(/^\[\s*\d+\]\s+(read|write) 0x[0-9a-f]+ (\d+) bytes/gm)) {
    out[m[1] as 'read' | 'write'].accesses++;
    out[m[1] as 'read' | 'write'].bytes += Number(m[2]);
  }
  return out;
}

function burstTotals(doc: TraceDocument): Record<'read' | 'write', { accesses: number; bytes: number; bursts: number }> {
  const out = { read: { accesses: 0, bytes: 0, bursts: 0 }, write: { accesses: 0, bytes: 0, bursts: 0 } };
  for (const e of doc.traceEvents) {
    if (e.cat !== 'burst') continue;
    const side = out[e.name.startsWith('write') ? 'write' : 'read'];
    side.bursts++;
    side.accesses += e.args!.accesses as number;
    side.bytes += e.args!.bytes as number;
  }
  return out;
}

test('memcpy: a well-formed trace; four 16-byte read and write bursts of 4 × 4-byte beats; a flow from DMAGO', () => {
  const { doc, text } = traced('memcpy.pl330');
  assert.deepEqual(formatProblems(doc), []);
  const totals = burstTotals(doc);
  assert.deepEqual(totals, { read: { ...textAccesses(text).read, bursts: 4 }, write: { ...textAccesses(text).write, bursts: 4 } });
  assert.equal(totals.read.bytes, 64);
  const reads = doc.traceEvents.filter((e) => e.cat === 'burst' && e.name.startsWith('read'));
  assert.deepEqual(reads.map((e) => [e.args!.address, e.args!.beats, e.args!.beatBytes]), [['0x2000', 4, 4], ['0x2010', 4, 4], ['0x2020', 4, 4], ['0x2030', 4, 4]]);
  // Each burst lies within the DMALD/DMAST slice that issued it.
  for (const burst of reads) assert.ok(doc.traceEvents.some((e) => e.cat === 'instruction' && e.name === 'DMALD' && e.ts === burst.ts && e.dur === burst.dur));
  const start = doc.traceEvents.find((e) => e.ph === 's')!;
  const end = doc.traceEvents.find((e) => e.ph === 'f')!;
  assert.equal(start.tid, 0, 'from the manager lane (the debug interface DMAGO)');
  assert.equal(end.tid, 1, 'to channel 0');
  assert.ok(doc.traceEvents.some((e) => e.ph === 'i' && e.name === 'event 0' && e.tid === 1), 'DMASEV 0');
  assert.deepEqual(doc.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args!.name), ['manager', 'channel 0']);
  assert.equal(doc.otherData.clockHz, 250_000_000);
});

test('a fixed source: the beats of one DMALD are one burst of four accesses', () => {
  const file = join(dir, 'fixed.pl330');
  writeFileSync(file, '.channel 0x1000\nDMAMOV CCR, SB4 SS32 SAF DB4 DS32 DAI\nDMAMOV SAR, 0x2000\nDMAMOV DAR, 0x3000\nDMALP 2\nDMALD\nDMAST\nDMALPEND\nDMAEND\n');
  const { doc, text } = traced(file);
  assert.deepEqual(formatProblems(doc), []);
  const reads = doc.traceEvents.filter((e) => e.cat === 'burst' && e.name.startsWith('read'));
  assert.deepEqual(reads.map((e) => [e.args!.address, e.args!.accesses, e.args!.bytes, e.args!.beats]), [['0x2000', 4, 16, 4], ['0x2000', 4, 16, 4]]);
  assert.equal(textAccesses(text).read.accesses, 8);
});

test('a manager program: a flow per DMAGO to each channel, a fault on its lane; a wait is a slice', () => {
  const { doc, text } = traced('scatter.pl330');
  assert.deepEqual(formatProblems(doc), []);
  const totals = burstTotals(doc);
  const reference = textAccesses(text);
  assert.deepEqual({ read: { accesses: totals.read.accesses, bytes: totals.read.bytes }, write: { accesses: totals.write.accesses, bytes: totals.write.bytes } }, reference);
  assert.ok(totals.read.bytes > 0 && totals.write.bursts > 0);
  const flowEnds = doc.traceEvents.filter((e) => e.ph === 'f').map((e) => e.tid).sort();
  assert.ok(flowEnds.length >= 2, `flows to ${flowEnds}`);
  assert.ok(doc.traceEvents.filter((e) => e.ph === 's').every((e) => e.tid === 0), 'every DMAGO is the manager\'s');
  // Run without its --ns-peripherals, the example's non-secure channel uses a secure peripheral: the fault is on
  // channel 1's lane, with the PC.
  const fault = doc.traceEvents.find((e) => e.ph === 'i' && e.name === 'fault');
  assert.equal(fault?.tid, 2);
  assert.match(String(fault?.args?.description), /ch_periph_err/);

  const rx = traced('peripheral-rx.pl330').doc;
  assert.deepEqual(formatProblems(rx), []);
  const wait = rx.traceEvents.find((e) => e.cat === 'state' && e.name === 'Waiting for peripheral');
  assert.ok(wait, 'the DMAWFP with no peripheral attached waits to the end of the run');
  assert.equal(Math.round((wait.ts + wait.dur!) * 1e3), Math.round((Number(rx.otherData.cycles) * 4)), 'until the last cycle (4 ns each)');
});

test('--trace-out is refused where it does not apply, with the reason', () => {
  const r = spawnSync(process.execPath, [cli, 'run', '--scenario', 'vfio-test-case-1', '--trace-out', join(dir, 'no.json')], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--trace-out is for a PL330 PROGRAM, not a scenario/);
});
