import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerValues } from '../../cli/run';
import { machineWith, patternBytes } from '../support/pl330-machine';

// Without an observer, counted DMALD/DMAST loops run as block copies; with one, every instruction is interpreted.
// Both must end in the same registers, memory and cycle count, also when a cycle budget stops them mid-loop.
const SIXTEEN_STORES = Array(16).fill('DMAST').join('\n');
const PROGRAMS: Record<string, string> = {
  'nested memcpy': `.channel 0x1000
    DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
    DMAMOV SAR, 0x10000
    DMAMOV DAR, 0x40000
    DMALP LC0, 7
      DMALP LC1, 33
        DMALD
        DMAST
      DMALPEND LC1
    DMALPEND LC0
    DMASEV 1
    DMAEND`,
  'two loads then two stores, different burst shapes': `.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAI DB2 DS64 DAI
    DMAMOV SAR, 0x10000
    DMAMOV DAR, 0x40000
    DMALP 200
      DMALD
      DMALD
      DMAST
      DMAST
    DMALPEND
    DMAEND`,
  'overlapping source and destination (interpreted)': `.channel 0x1000
    DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
    DMAMOV SAR, 0x10000
    DMAMOV DAR, 0x10040
    DMALP 100
      DMALD
      DMAST
    DMALPEND
    DMAEND`,
  'unaligned destination (interpreted)': `.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAI DB1 DS8 DAI
    DMAMOV SAR, 0x10000
    DMAMOV DAR, 0x40001
    DMALP 50
      DMALD
      ${SIXTEEN_STORES}
    DMALPEND
    DMAEND`,
};

function runOnce(source: string, observed: boolean, budget?: number) {
  const m = machineWith(source);
  m.write(0x10000, patternBytes(0x30000, 99));
  if (observed) m.dmac.observe(() => undefined);
  m.go(0, 0x1000);
  const r = m.dmac.run({ maxCycles: budget });
  return { stop: r.stop, cycle: m.dmac.cycle, registers: registerValues(m.dmac), memory: Buffer.from(m.readBytes(0x10000, 0x40000)).toString('base64') };
}

for (const [name, source] of Object.entries(PROGRAMS)) {
  test(`fast path equals the interpreter: ${name}`, () => {
    const full = runOnce(source, true);
    assert.equal(full.stop, 'idle');
    assert.deepEqual(runOnce(source, false), full);
    for (const budget of [5, 17, 100, Math.floor(full.cycle / 3), full.cycle - 2]) {
      assert.deepEqual(runOnce(source, false, budget), runOnce(source, true, budget), `budget ${budget}`);
    }
  });
}
