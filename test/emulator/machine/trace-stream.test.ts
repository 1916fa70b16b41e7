// A system machine's DMA timeline streamed out as it runs (SystemTraceStream, `dmalab boot --trace-out`) on a
// bare-metal DMA driver (programs/trace/dma-copy.c on virt-a15-dma330.dts): the file written in pieces while the
// channel runs is the document recorded whole in memory, event for event and in the same nesting order; the
// driver's register accesses are on cpu0 with its DMAGO's flow to the channel, CPU 1's polls on cpu1; --trace-limit
// bounds the file and says what it left out, --trace-devices all adds the UART, and the flags are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { SystemMachine } from '../../../emulator/machine/system';
import { SystemTraceStream, traceSystemDeviceAccesses } from '../../../emulator/machine/system-trace';
import { CPU_PID, DMAC_PID_BASE, machineTraceRecorder } from '../../../emulator/machine/trace';
import { TraceBuilder, TraceStream, type TraceDocument, type TraceEvent } from '../../../emulator/trace/trace-events';
import { ROOT } from '../../support/toolchain';
import { burstTotals, formatProblems } from '../../support/trace-format';
import { build, toolsMissing } from '../../support/bare-metal';

const skip = toolsMissing();
const DTS = join(ROOT, 'test', 'support', 'virt-a15-dma330.dts');
const PROGRAM = 'trace/dma-copy.c';
/** The copy the program makes (its BYTES). */
const COPIED = 1024;
/** CPU 0 drives the copy, CPU 1 polls the waiting channel. */
const CPUS = 2;
/** Guest time between flushes (ns): the channel runs for several microseconds, so it is cut in many places. */
const STEP_NS = 200;
const work = mkdtempSync(join(tmpdir(), 'dmalab-trace-stream-'));

function machine(): SystemMachine {
  const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', DTS]));
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: CPUS, console: () => {} });
  system.boot(system.loadElf(readFileSync(build(PROGRAM))));
  return system;
}

/** Runs to power-off in steps of STEP_NS, calling `step` after each. */
function runInSteps(system: SystemMachine, step: () => void): void {
  for (let i = 0; i < 1_000_000; i++) {
    const outcome = system.run(STEP_NS);
    step();
    if (outcome.kind === 'off') return;
    assert.equal(outcome.kind, 'time-limit', JSON.stringify(outcome));
  }
  assert.fail('the program did not power off');
}

function dmalab(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'dmalab'), ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('a streamed trace is the document recorded whole: the same events in the same nesting order', { skip }, () => {
  let text = '';
  let flushes = 0;
  const streamed = machine();
  const stream = new SystemTraceStream(streamed, (chunk) => { text += chunk; });
  runInSteps(streamed, () => {
    const before = text.length;
    stream.flush();
    if (text.length > before) flushes++;
  });
  stream.end({ program: PROGRAM });
  const doc = JSON.parse(text) as TraceDocument;

  const whole = machine();
  const recorder = machineTraceRecorder(whole.machine);
  recorder.attach();
  traceSystemDeviceAccesses(whole, recorder);
  runInSteps(whole, () => {});
  const reference = recorder.document(whole.machine.now);

  assert.deepEqual(formatProblems(doc), []);
  assert.ok(flushes > 5, `written in ${flushes} pieces`);
  const key = (e: TraceEvent) => JSON.stringify(e);
  assert.deepEqual(doc.traceEvents.map(key).sort(), reference.traceEvents.map(key).sort());
  const slicesOf = (d: TraceDocument) => d.traceEvents.filter((e) => e.ph === 'X').map(key);
  assert.deepEqual(slicesOf(doc), slicesOf(reference), 'slices in nesting order');
  assert.deepEqual([doc.otherData.events, doc.otherData.dropped], [doc.traceEvents.filter((e) => e.ph !== 'M').length, 0]);

  // The copy: bursts of 16 bytes on channel 0, started by the driver's DMAGO through the debug interface.
  const totals = burstTotals(doc);
  assert.deepEqual([totals.read.bytes, totals.write.bytes, totals.read.bursts], [COPIED, COPIED, COPIED / 16]);
  const lanes = doc.traceEvents.filter((e) => e.name === 'thread_name' && e.pid === CPU_PID).map((e) => [e.tid, e.args!.name]);
  assert.deepEqual(lanes, [[1, 'cpu0'], [2, 'cpu1']]);
  const all = doc.traceEvents.filter((e) => e.pid === CPU_PID && e.cat === 'register');
  assert.ok(all.every((e) => e.args!.device === '9100000.dma'));
  for (const tid of [1, 2]) {
    const lane = all.filter((e) => e.tid === tid);
    assert.ok(lane.every((e, k) => k === 0 || e.ts >= lane[k - 1].ts), `cpu${tid - 1}: in its time order`);
  }
  // CPU 1 only polls channel 1's status, until it reads Stopped.
  const secondary = all.filter((e) => e.tid === 2);
  assert.ok(secondary.length > 0 && secondary.every((e) => e.name === 'read 9100000.dma CSR1'));
  assert.equal(Number(secondary.at(-1)!.args!.value) & 0xf, 0);
  const accesses = all.filter((e) => e.tid === 1);
  const writes = accesses.filter((e) => e.name.startsWith('write')).map((e) => [e.args!.register, e.args!.address]);
  const dmago = [['DBGINST0', '0x9100d08'], ['DBGINST1', '0x9100d0c'], ['DBGCMD', '0x9100d04']];
  assert.deepEqual(writes, [...dmago, ...dmago], 'DMAGO to channel 1, then to channel 0');
  // The debug interface executes each DMAGO in the DMAC cycle in which the CPU wrote DBGCMD; a flow goes from it on
  // the manager's lane to the channel it started.
  const dbgcmds = accesses.filter((e) => e.args!.register === 'DBGCMD');
  const gos = doc.traceEvents.filter((e) => e.cat === 'instruction' && e.pid === DMAC_PID_BASE && e.name.startsWith('DMAGO'));
  assert.deepEqual(gos.map((e) => e.name.split(',')[0]), ['DMAGO C1', 'DMAGO C0']);
  gos.forEach((go, k) => assert.ok(go.ts <= dbgcmds[k].ts && dbgcmds[k].ts < go.ts + go.dur!, `DMAGO at ${go.ts} µs for ${go.dur} µs, DBGCMD written at ${dbgcmds[k].ts} µs`));
  const flowEnds = doc.traceEvents.filter((e) => e.ph === 's' && e.name === 'DMAGO').map((s) => [s.tid, doc.traceEvents.find((e) => e.ph === 'f' && e.id === s.id)!.tid]);
  assert.deepEqual(flowEnds, [[0, 2], [0, 1]], 'from the manager lane to channels 1 and 0');
  // Channel 1 waits for the event channel 0 signals after its copy: one slice from its DMAWFE to the DMASEV.
  const wait = doc.traceEvents.find((e) => e.cat === 'state' && e.tid === 2 && e.name === 'Waiting for event')!;
  const sev = doc.traceEvents.find((e) => e.cat === 'instruction' && e.tid === 1 && e.name === 'DMASEV E0')!;
  const lastBurst = doc.traceEvents.filter((e) => e.cat === 'burst').at(-1)!;
  assert.ok(wait.ts < doc.traceEvents.find((e) => e.cat === 'burst')!.ts && wait.ts + wait.dur! >= sev.ts && sev.ts >= lastBurst.ts, 'the wait spans the copy');
  // CPU 0 polled CSR0 until channel 0 stopped: the last poll comes after the channel's last instruction.
  const polls = accesses.filter((e) => e.args!.register === 'CSR0');
  const lastInstruction = doc.traceEvents.filter((e) => e.cat === 'instruction' && e.tid === 1).at(-1)!;
  assert.equal(Number(polls.at(-1)!.args!.value) & 0xf, 0, 'Stopped');
  assert.ok(polls.at(-1)!.ts >= lastInstruction.ts + lastInstruction.dur!);
});

test('a slice that runs long does not make the stream hold everything after it: past maxHeld slices they go out', () => {
  const run = (maxHeld: number) => {
    const builder = new TraceBuilder();
    let text = '';
    const stream = new TraceStream(builder, (chunk) => { text += chunk; }, maxHeld);
    const heldAfterFlush: number[] = [];
    // A wait from 0 to 100 ns encloses ten 5 ns instructions; while it runs, nothing after 0 is settled.
    for (let k = 0; k < 10; k++) {
      builder.slice(1, 1, `instruction ${k}`, 'instruction', 1000 * (10 * k), 1000 * (10 * k + 5), {}, 1);
      stream.flush(0);
      heldAfterFlush.push(builder.held);
    }
    builder.slice(1, 1, 'wait', 'state', 0, 100_000, {}, 0);
    stream.end({});
    return { heldAfterFlush, doc: JSON.parse(text) as TraceDocument };
  };
  const held = run(100);
  assert.deepEqual(held.heldAfterFlush, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'all held for the wait');
  assert.deepEqual(formatProblems(held.doc), []);
  assert.equal(held.doc.traceEvents.filter((e) => e.ph === 'X')[0].name, 'wait', 'in nesting order');
  const bounded = run(3);
  assert.deepEqual(bounded.heldAfterFlush, [1, 2, 3, 0, 1, 2, 3, 0, 1, 2]);
  const key = (e: TraceEvent) => JSON.stringify(e);
  assert.deepEqual(bounded.doc.traceEvents.map(key).sort(), held.doc.traceEvents.map(key).sort(), 'the same events');
});

test('boot --trace-limit: the file holds the first N events, valid, and says how many it left out', { skip }, () => {
  const elf = build(PROGRAM);
  const whole = join(work, 'whole.json');
  const full = dmalab('boot', '--kernel', elf, '--platform', DTS, '--cpus', String(CPUS), '--trace-out', whole);
  assert.equal(full.status, 0, full.stderr);
  assert.match(full.stdout, /copy: PASS/);
  const all = JSON.parse(readFileSync(whole, 'utf8')) as TraceDocument;
  assert.deepEqual(formatProblems(all), []);
  const total = Number(all.otherData.events);

  const bounded = join(work, 'bounded.json');
  const r = dmalab('boot', '--kernel', elf, '--platform', DTS, '--cpus', String(CPUS), '--trace-out', bounded, '--trace-limit', '100');
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(readFileSync(bounded, 'utf8')) as TraceDocument;
  assert.deepEqual(formatProblems(doc), []);
  const events = doc.traceEvents.filter((e) => e.ph !== 'M').length;
  // Past the limit only the other ends of flows already begun are kept (so that they pair up).
  assert.ok(events >= 100 && events <= 102, `${events} events`);
  assert.deepEqual([doc.otherData.events, doc.otherData.dropped, doc.otherData.limit], [events, total - events, 100]);
  assert.equal(r.stderr, `dmalab boot: ${bounded}: the trace holds its first ${events} events (--trace-limit); ${total - events} more were left out\n`);
});

test('boot --trace-devices all: every device on the CPU lanes; the console\'s bytes are the UARTDR writes', { skip }, () => {
  const out = join(work, 'all.json');
  const r = dmalab('boot', '--kernel', build(PROGRAM), '--platform', DTS, '--cpus', String(CPUS), '--trace-out', out, '--trace-devices', 'all');
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as TraceDocument;
  assert.deepEqual(formatProblems(doc), []);
  const uart = doc.traceEvents.filter((e) => e.cat === 'register' && e.args!.device === '9000000.pl011');
  const written = uart.filter((e) => e.name === 'write 9000000.pl011 UARTDR').map((e) => String.fromCharCode(Number(e.args!.value))).join('');
  assert.equal(written, r.stdout);
  assert.ok(uart.some((e) => e.name === 'read 9000000.pl011 UARTFR'), 'the driver waits on the flags');
  assert.ok(doc.traceEvents.some((e) => e.cat === 'register' && e.args!.device === '9100000.dma'));
});

test('boot: the trace flags are checked', { skip }, () => {
  const elf = build(PROGRAM);
  const cases: [string[], RegExp][] = [
    [['--trace-limit', '5'], /--trace-limit and --trace-devices go with --trace-out FILE/],
    [['--trace-out', join(work, 'x.json'), '--trace-limit', '2.5'], /--trace-limit: '2.5' is not a whole number/],
    [['--trace-out', join(work, 'x.json'), '--trace-devices', 'uart'], /--trace-devices: 'uart' is not dma or all/],
    [['--trace-out', join(work, 'no', 'such', 'dir', 'x.json')], /x\.json: the directory .*\/no\/such\/dir does not exist/],
  ];
  for (const [flags, message] of cases) {
    const r = dmalab('boot', '--kernel', elf, '--platform', DTS, ...flags);
    assert.notEqual(r.status, 0, flags.join(' '));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
