// `dmalab run-elf --trace-out FILE`: the C VFIO driver's run as a Chrome trace-event file. Checked against the
// format's rules and against the run itself: the copy the program verifies (its size from its output, the burst
// shape from the CCR its microcode loads), the driver's register accesses in the order of its source, and an SMMU
// walk for every page the copy touched, each linked from the access that needed it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCcr } from '../../../emulator/pl330/ccr';
import { CPU_PID, DMAC_PID_BASE, SMMU_PID_BASE } from '../../../emulator/machine/trace';
import type { TraceDocument } from '../../../emulator/trace/trace-events';
import { burstTotals, formatProblems } from '../../support/trace-format';

const ROOT = join(__dirname, '../../..');
const EXAMPLE = join(ROOT, 'examples/vfio-pl330');
const SOURCE = readFileSync(join(EXAMPLE, 'vfio-pl330.c'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'dmalab-trace-elf-'));

/** The driver's register accesses in source order: `rd(NAME)` and `wr(NAME, ...)`. */
const SOURCE_ACCESSES = [...SOURCE.matchAll(/\b(rd|wr)\(([A-Z][A-Z0-9_]*)/g)].map((m) => `${m[1] === 'rd' ? 'read' : 'write'} ${m[2]}`);

test('run-elf --trace-out: the copy as bursts of the CCR\'s shape, the driver\'s register accesses in source order, SMMU walks linked from the accesses', () => {
  const out = join(work, 'vfio.json');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/dmalab'), 'run-elf', join(EXAMPLE, 'vfio-pl330'), '--trace-out', out], { encoding: 'utf8', cwd: EXAMPLE, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const copied = Number(/copy of (\d+) bytes: PASS/.exec(r.stdout)![1]);
  const ccr = decodeCcr(Number(/dmamov\(1, (0x[0-9a-f]+)\)/.exec(SOURCE)![1]));
  const doc = JSON.parse(readFileSync(out, 'utf8')) as TraceDocument;
  assert.deepEqual(formatProblems(doc), []);

  const totals = burstTotals(doc);
  const perBurst = ccr.srcBurstLen * ccr.srcBeatBytes;
  assert.deepEqual(totals.read, { bursts: copied / perBurst, bytes: copied, accesses: totals.read.accesses });
  assert.deepEqual(totals.write, { bursts: copied / perBurst, bytes: copied, accesses: totals.write.accesses });
  for (const e of doc.traceEvents.filter((e) => e.cat === 'burst')) {
    assert.equal(e.pid, DMAC_PID_BASE, 'on the first DMAC');
    assert.equal(e.tid, 1, 'on channel 0, which the driver started');
    assert.deepEqual([e.args!.beats, e.args!.beatBytes], [ccr.srcBurstLen, ccr.srcBeatBytes]);
  }

  const accesses = doc.traceEvents.filter((e) => e.pid === CPU_PID && e.cat === 'register');
  assert.deepEqual(accesses.map((e) => `${e.name.split(' ')[0]} ${e.args!.register}`), SOURCE_ACCESSES);
  assert.ok(accesses.every((e) => e.args!.device === '2c0a0000.dma'));
  // DMAGO through the debug interface: the channel's first instruction comes after the CPU wrote DBGCMD.
  const dbgcmd = accesses.find((e) => e.args!.register === 'DBGCMD')!;
  const first = doc.traceEvents.find((e) => e.cat === 'instruction' && e.pid === DMAC_PID_BASE && e.tid === 1)!;
  assert.ok(first.ts >= dbgcmd.ts, `channel 0 starts at ${first.ts} µs, DBGCMD written at ${dbgcmd.ts} µs`);

  // Every page of source and destination was walked once (then the TLB hit), and each walk has its access's flow.
  const walks = doc.traceEvents.filter((e) => e.pid === SMMU_PID_BASE && e.cat === 'walk');
  const pages = (side: 'read' | 'write') => new Set(doc.traceEvents.filter((e) => e.cat === 'burst' && e.name.startsWith(side)).map((e) => Number(e.args!.address) >>> 12));
  const walked = (side: 'read' | 'write') => new Set(walks.filter((e) => e.args!.access === side).map((e) => Number(e.args!.iova) >>> 12));
  for (const page of pages('read')) assert.ok(walked('read').has(page), `read page 0x${page.toString(16)}000 walked`);
  for (const page of pages('write')) assert.ok(walked('write').has(page), `write page 0x${page.toString(16)}000 walked`);
  const flowEnds = doc.traceEvents.filter((e) => e.ph === 'f' && e.name === 'SMMU walk');
  assert.equal(flowEnds.length, walks.length);
  assert.ok(doc.traceEvents.some((e) => e.pid === SMMU_PID_BASE && e.cat === 'tlb'), 'TLB hits');
});
