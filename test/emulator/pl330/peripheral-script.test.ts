// Scripted peripheral requests on the DMAC's clock: the script syntax of `dmalab run --periph`, requests held back
// until their cycle (time passes while every thread waits), the handshakes as observer events, and snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestPeripheral, parsePeripheralScript } from '../../../emulator/pl330/peripheral';
import type { Pl330Event } from '../../../emulator/pl330/observer';
import { machineWith } from '../../support/pl330-machine';

const RX = `.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAF DB4 DS32 DAI
    DMAMOV SAR, 0x8000
    DMAMOV DAR, 0x9000
    DMAFLUSHP P1
    DMALPFE
        DMAWFP P1, periph
        DMALDPB P1
        DMALDPS P1
        DMASTB
        DMASTS
    DMALPEND
    DMAEND`;

test('the script syntax: kinds, counts, cycles; mistakes name the item', () => {
  assert.deepEqual(parsePeripheralScript('burst*2,last@100'), [
    { type: 'burst', last: false }, { type: 'burst', last: false }, { type: 'single', last: true, at: 100 },
  ]);
  assert.deepEqual(parsePeripheralScript('single@5 , burst-last'), [{ type: 'single', last: false, at: 5 }, { type: 'burst', last: true }]);
  assert.throws(() => parsePeripheralScript('brust'), /'brust' is not a request/);
  assert.throws(() => parsePeripheralScript('burst*0'), /count must be 1\.\.1000000/);
});

test('a request due at a cycle is raised then, while the channel waits; drlast ends the forever loop', () => {
  const m = machineWith(RX);
  const events: Pl330Event[] = [];
  m.dmac.observe((e) => {
    if (e.kind === 'peripheral') events.push(e);
  });
  const device = new TestPeripheral(parsePeripheralScript('burst,single@500,last@800'));
  m.dmac.attachPeripheral(1, device);
  m.go(0, 0x1000);
  const r = m.dmac.run({ maxCycles: 10_000 });
  assert.equal(r.stop, 'idle');
  assert.equal(m.dmac.register('CSR0') & 15, 0, 'stopped after the last request');
  assert.deepEqual(device.acknowledged, ['burst', 'single', 'single']);
  const requests = events.filter((e) => e.kind === 'peripheral' && e.action === 'request').map((e) => e.cycle);
  assert.equal(requests.length, 4, 'the burst at connection, again after DMAFLUSHP, the single, the last');
  assert.ok(requests[2] >= 500 && requests[2] < 510, `the timed single at cycle 500 (got ${requests[2]})`);
  assert.ok(requests[3] >= 800 && requests[3] < 810, `the last at cycle 800 (got ${requests[3]})`);
  assert.equal(m.dmac.register('DAR0'), 0x9000 + 16 + 4 + 4);
  assert.deepEqual(events.filter((e) => e.kind === 'peripheral' && e.action !== 'request').map((e) => e.kind === 'peripheral' && e.action), ['flush', 'acknowledge', 'acknowledge', 'acknowledge']);
});

test('a timed request beyond the budget stops the run at the budget, not idle; the snapshot of the DMAC holds the peripheral too', () => {
  const m = machineWith(RX);
  const device = new TestPeripheral(parsePeripheralScript('last@5000'));
  m.dmac.attachPeripheral(1, device);
  m.go(0, 0x1000);
  assert.equal(m.dmac.run({ maxCycles: 1000 }).stop, 'budget');
  assert.equal(m.dmac.idleReport().idle, false, 'the peripheral will still raise its request');
  const snapshot = m.dmac.snapshot();
  const first = m.dmac.run({ maxCycles: 10_000 });
  const after = { cycle: m.dmac.cycle, dar: m.dmac.register('DAR0') };
  assert.equal(device.sent, 1);
  m.dmac.restore(snapshot);
  assert.equal(device.sent, 0, 'the peripheral is back where it was');
  const again = m.dmac.run({ maxCycles: 10_000 });
  assert.deepEqual(again, first);
  assert.deepEqual({ cycle: m.dmac.cycle, dar: m.dmac.register('DAR0') }, after);
  assert.ok(after.cycle >= 5000);
});
