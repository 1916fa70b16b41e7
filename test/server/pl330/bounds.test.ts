// Static address bounds of PL330 programs, checked against the emulator: on random programs the bytes a run reads and
// writes (the observer's bus events) are exactly the predicted ranges (every access inside, every range touched);
// peripheral programs are bounded for every request pattern; the limits say where and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../server/pl330/assembler';
import { AddressRange, computeBounds, describeAccesses, mergeRanges, ProgramBounds } from '../../../server/pl330/bounds';
import { programBounds, programDiagnostics } from '../../../server/pl330/program-checks';
import { TestPeripheral, type PeripheralRequest } from '../../../emulator/pl330/peripheral';
import { machineWith } from '../../support/pl330-machine';

function boundsOf(source: string, entry = 0x1000): ProgramBounds {
  const result = assemble(source);
  assert.equal(result.errorCount, 0, result.diagnostics.map((d) => `${d.line + 1}: ${d.message}`).join('\n'));
  return computeBounds(result.programs, entry, { revision: result.config.revision });
}

/** Runs the program on channel 0 and returns the merged data bytes it read and wrote, and its fault type. */
function observedRun(source: string, peripherals: Record<number, PeripheralRequest[]> = {}, entry = 0x1000): { reads: AddressRange[]; writes: AddressRange[]; fault: number } {
  const m = machineWith(source);
  for (const [n, script] of Object.entries(peripherals)) m.dmac.attachPeripheral(Number(n), new TestPeripheral(script));
  const reads: AddressRange[] = [];
  const writes: AddressRange[] = [];
  m.dmac.observe((e) => {
    if (e.kind !== 'bus' || e.thread === 'manager' || e.access.fetch) return;
    const range = { start: e.access.address, end: e.access.address + e.access.data.length };
    (e.access.write ? writes : reads).push(range);
  });
  m.go(0, entry);
  const run = m.dmac.run({ maxCycles: 2_000_000 });
  assert.equal(run.stop, 'idle', `the program did not finish:\n${source}`);
  return { reads: mergeRanges(reads), writes: mergeRanges(writes), fault: m.dmac.register('FTR0') };
}

test('a memcpy reads its source and writes its destination, exactly; the hover text says so', () => {
  const b = boundsOf(`.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI
    DMAMOV SAR, 0x2000
    DMAMOV DAR, 0x3000
    DMALP 16
      DMALP 16
        DMALD
        DMAST
      DMALPEND
    DMALPEND
    DMAEND`);
  assert.equal(b.complete, true);
  assert.deepEqual(b.reads, [{ start: 0x2000, end: 0x3000 }]);
  assert.deepEqual(b.writes, [{ start: 0x3000, end: 0x4000 }]);
  assert.equal(describeAccesses(b), 'reads 0x2000–0x2fff (4096 bytes), writes 0x3000–0x3fff (4096 bytes)');
});

test('fixed addresses, unaligned bursts, DMAADDH/DMAADNH, DMASTZ and a range that wraps past 0xffffffff', () => {
  const b = boundsOf(`.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAF DB2 DS32 DAI
    DMAMOV SAR, 0x5002          ; fixed and unaligned: each beat reads 2 bytes
    DMAMOV DAR, 0x6000
    DMALD
    DMAADNH DAR, -0x10          ; 0x5ff0
    DMAADDH DAR, 0x10           ; 0x6000 again
    DMASTZ
    DMAMOV DAR, 0xfffffffc
    DMAMOV CCR, SB1 SS32 SAI DB2 DS32 DAI
    DMASTZ                      ; 8 bytes from 0xfffffffc: wraps
    DMAEND`);
  assert.deepEqual(b.reads, [{ start: 0x5002, end: 0x5004 }]);
  assert.deepEqual(b.writes, [{ start: 0, end: 4 }, { start: 0x6000, end: 0x6008 }, { start: 0xfffffffc, end: 2 ** 32 }]);
});

test('where the bounds cannot be known, the limit says where and why', () => {
  const neverSet = assemble(`.channel 0x1000
    DMAMOV CCR, SB1 SS32 DB1 DS32
    DMAMOV DAR, 0x3000
    DMALD
    DMAST
    DMAEND`);
  const b = computeBounds(neverSet.programs, 0x1000);
  assert.equal(b.complete, false);
  assert.deepEqual(b.limits, [{ address: 0x100c, reason: 'SAR is never set before this transfer' }]);
  assert.deepEqual(b.writes, [{ start: 0x3000, end: 0x3004 }], 'what is known is still given');

  const forever = boundsOf(`.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAF DB4 DS32 DAI
    DMAMOV SAR, 0xe0001030
    DMAMOV DAR, 0x300000
    DMALPFE
      DMAWFP P2, burst
      DMALDB
      DMASTB
    DMALPEND
    DMAEND`);
  assert.equal(forever.complete, false);
  assert.match(forever.limits[0].reason, /DMALPFE loop moves DAR by \+0x10 per iteration/);
  assert.equal(forever.limits[0].address, 0x1016, 'at the DMALPEND');

  // A forever loop over fixed addresses (a FIFO to a FIFO) is bounded.
  const fifo = boundsOf(`.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAF DB4 DS32 DAF
    DMAMOV SAR, 0xe0001030
    DMAMOV DAR, 0xe0002030
    DMALPFE
      DMAWFP P2, periph
      DMALDB
      DMASTB
      DMALDS
      DMASTS
    DMALPEND
    DMAEND`);
  assert.equal(fifo.complete, true);
  assert.deepEqual(fifo.reads, [{ start: 0xe0001030, end: 0xe0001034 }]);

  // A loop end that jumps back to its own DMALP reloads the counter: it never ends.
  const reloading = (ccr: string): string => `.channel 0x1000
    DMAMOV CCR, ${ccr}
    DMAMOV SAR, 0x2000
    DMAMOV DAR, 0x3000
    again:
    DMALP 2
    DMALD
    DMAST
    DMALPEND again
    DMAEND`;
  const endless = boundsOf(reloading('SB1 SS32 DB1 DS32'));
  assert.equal(endless.complete, false);
  assert.deepEqual(endless.limits, [{ address: 0x1016, reason: 'this loop end jumps back to its own DMALP, so the loop never ends, and it moves SAR by +0x4 and DAR by +0x4 each time' }]);
  // Over fixed addresses the same never-ending loop is bounded (libn3ds' capture program does this on purpose).
  const sameBytes = boundsOf(reloading('SB1 SS32 SAF DB1 DS32 DAF'));
  assert.equal(sameBytes.complete, true);
  assert.deepEqual(sameBytes.writes, [{ start: 0x3000, end: 0x3004 }]);
  assert.match(sameBytes.limits[0].reason, /never ends \(over the same addresses\)/);
  // Paths that never repeat a state exhaust the budget, and say so.
  const wideSource = `.channel 0x1000
    DMAMOV CCR, SB1 SS32 DB1 DS32
    DMAMOV SAR, 0x2000
    DMAMOV DAR, 0x300000
    DMALP 256
      DMALP 256
        DMALD
        DMAST
      DMALPEND
    DMALPEND
    DMAEND`;
  assert.equal(boundsOf(wideSource).complete, true, '65536 iterations fit the default budget');
  const budget = computeBounds(assemble(wideSource).programs, 0x1000, { budget: 1000 });
  assert.equal(budget.complete, false);
  assert.match(budget.limits[0].reason, /gave up/);
});

test('peripheral-driven forms: the bounds cover every request pattern, and each pattern touches only those bytes', () => {
  const source = `.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI
    DMAMOV SAR, 0x8000
    DMAMOV DAR, 0x9000
    DMALP 3
      DMAWFP P1, periph
      DMALDPB P1
      DMALDPS P1
      DMASTB
      DMASTS
    DMALPENDB
    DMAEND`;
  const b = boundsOf(source);
  assert.equal(b.complete, true);
  // Burst requests move 16 bytes and count the loop; a single request moves 4 and leaves it (DMALPENDB is a NOP then).
  const patterns: ('single' | 'burst')[][] = [['burst', 'burst', 'burst'], ['single', 'burst', 'burst', 'burst'], ['burst', 'single', 'single', 'burst', 'burst']];
  const union: { reads: AddressRange[]; writes: AddressRange[] } = { reads: [], writes: [] };
  for (const pattern of patterns) {
    const run = observedRun(source, { 1: pattern.map((type) => ({ type, last: false })) });
    assert.equal(run.fault, 0);
    for (const [side, ranges] of [['reads', run.reads], ['writes', run.writes]] as const) {
      for (const r of ranges) assert.ok(b[side].some((p) => p.start <= r.start && r.end <= p.end), `${side} ${r.start.toString(16)}..${r.end.toString(16)} outside ${JSON.stringify(b[side])}`);
      union[side].push(...ranges);
    }
  }
  // A single request ends the loop (DMALPENDB falls through): three bursts reach furthest, and the patterns together
  // touch every predicted byte.
  assert.deepEqual(b.reads, [{ start: 0x8000, end: 0x8030 }]);
  assert.deepEqual(b.writes, [{ start: 0x9000, end: 0x9030 }]);
  assert.deepEqual(mergeRanges(union.reads), b.reads);
  assert.deepEqual(mergeRanges(union.writes), b.writes);
});

/** A deterministic generator of channel programs that run to DMAEND without faulting. */
function randomProgram(seed: number): string {
  let x = seed >>> 0 || 1;
  const rnd = (n: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const sizeCode = rnd(4); // 8..64-bit beats on the 64-bit bus
  const size = 1 << sizeCode;
  const burst = 1 + rnd(16);
  // Loads and stores move the same bytes per burst, so the MFIFO balances; a misalignment is the same on both sides.
  const srcFixed = rnd(4) === 0;
  const dstFixed = !srcFixed && rnd(4) === 0;
  const misalign = srcFixed || dstFixed ? 0 : rnd(size);
  const swap = rnd(3) === 0 && sizeCode > 0 ? ` ES${8 << (1 + rnd(sizeCode))}` : '';
  const ccr = `SB${burst} SS${8 << sizeCode} ${srcFixed ? 'SAF' : 'SAI'} DB${burst} DS${8 << sizeCode} ${dstFixed ? 'DAF' : 'DAI'}${swap}`;
  const lines = [
    '.channel 0x1000',
    `DMAMOV CCR, ${ccr}`,
    `DMAMOV SAR, ${0x100000 + rnd(0x4000) * size + misalign}`,
    `DMAMOV DAR, ${0x400000 + rnd(0x4000) * size + misalign}`,
  ];
  const block = (depth: number): void => {
    const n = 1 + rnd(4);
    for (let k = 0; k < n; k++) {
      const choice = rnd(depth < 2 ? 7 : 5);
      if (choice <= 1) lines.push('DMALD', 'DMAST');
      else if (choice === 2) lines.push(misalign === 0 || dstFixed ? 'DMASTZ' : 'DMANOP');
      else if (choice === 3) lines.push(`DMAADDH ${rnd(2) ? 'SAR' : 'DAR'}, ${size * rnd(64)}`);
      else if (choice === 4) lines.push(`DMAADNH ${rnd(2) ? 'SAR' : 'DAR'}, -${size * (1 + rnd(16))}`);
      else {
        lines.push(`DMALP ${1 + rnd(depth === 0 ? 40 : 8)}`);
        block(depth + 1);
        lines.push('DMALD', 'DMAST', 'DMALPEND');
      }
    }
  };
  block(0);
  lines.push('DMAEND');
  return lines.join('\n');
}

test('random programs: the emulator reads and writes exactly the predicted bytes', () => {
  const coverage = { fixed: 0, swap: 0, nested: 0, negative: 0, scattered: 0, bytes: 0 };
  for (let seed = 1; seed <= 150; seed++) {
    const source = randomProgram(seed);
    const b = boundsOf(source);
    if (/SAF|DAF/.test(source)) coverage.fixed++;
    if (/ES\d/.test(source)) coverage.swap++;
    if ((source.match(/DMALP /g) ?? []).length > 1) coverage.nested++;
    if (source.includes('DMAADNH')) coverage.negative++;
    if (b.reads.length + b.writes.length > 2) coverage.scattered++;
    coverage.bytes += b.reads.reduce((n, r) => n + r.end - r.start, 0);
    assert.equal(b.complete, true, source);
    const run = observedRun(source);
    assert.equal(run.fault, 0, `fault 0x${run.fault.toString(16)} in\n${source}`);
    assert.deepEqual(b.reads, run.reads, `reads of seed ${seed}:\n${source}`);
    assert.deepEqual(b.writes, run.writes, `writes of seed ${seed}:\n${source}`);
  }
  // The generator reaches every feature the bounds follow.
  for (const [feature, count] of Object.entries(coverage)) assert.ok(count >= 10, `only ${count} programs with ${feature}`);
});

test('checks: a copy over its own source, writes outside the declared buffers and over the code, DMASEV without DMAWMB', () => {
  const result = assemble(`.buffer src, 0x2000, 0x100
.buffer dst, 0x3000, 0x100
.channel 0x1000
copy:
    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI
    DMAMOV SAR, src
    DMAMOV DAR, dst
    DMALP 17                    ; one burst too many: 0x2100 and 0x3100 are outside
      DMALD
      DMAST
    DMALPEND
    DMAMOV SAR, src
    DMAMOV DAR, src + 0x10
    DMALD
    DMAST                       ; over its own source
    DMAMOV DAR, 0x1000
    DMASTZ                      ; over its own code
    DMAWFP P0, single
    DMASEV 0
    DMAEND`);
  assert.equal(result.errorCount, 0);
  assert.deepEqual(result.buffers, [{ name: 'src', address: 0x2000, size: 0x100, line: 0 }, { name: 'dst', address: 0x3000, size: 0x100, line: 1 }]);
  const found = programDiagnostics(result, programBounds(result)).map((d) => `${d.line + 1} ${d.code}: ${d.message}`);
  assert.deepEqual(found, [
    '9 bounds-outside-buffer: reads 0x2100–0x210f (16 bytes), outside the buffers declared in this file (src, dst)',
    '10 bounds-outside-buffer: writes 0x3100–0x310f (16 bytes), outside the buffers declared in this file (src, dst)',
    '15 bounds-overlap: writes 0x2010–0x201f (16 bytes), which this program also reads: a copy that overwrites its own source',
    '17 bounds-outside-buffer: writes 0x1000–0x100f (16 bytes), outside the buffers declared in this file (src, dst)',
    '17 bounds-writes-code: writes 0x1000–0x100f (16 bytes) over the microcode of the channel program at 0x1000',
    '19 missing-wmb: DMASEV after stores with no DMAWMB between: the event can be signalled before the data is written',
  ].sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0])));
});
