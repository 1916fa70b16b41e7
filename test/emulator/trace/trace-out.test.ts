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
import type { TraceDocument } from '../../../emulator/trace/trace-events';
import { burstTotals, formatProblems } from '../../support/trace-format';

const root = join(__dirname, '..', '..', '..');
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

/** Data accesses of the --trace text: count and bytes by direction. */
function textAccesses(text: string): Record<'read' | 'write', { accesses: number; bytes: number }> {
  const out = { read: { accesses: 0, bytes: 0 }, write: { accesses: 0, bytes: 0 } };
  for (const m of text.matchAll(/^\[\s*\d+\]\s+(read|write) 0x[0-9a-f]+ (\d+) bytes/gm)) {
    out[m[1] as 'read' | 'write'].accesses++;
    out[m[1] as 'read' | 'write'].bytes += Number(m[2]);
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
