// Every channel state a program passes through shows in CSR, in order: a taken loop end spends a tick Updating PC,
// a barrier a tick At barrier, DMAEND a tick Completing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelState } from '../../../emulator/pl330/registers';
import { machineWith } from '../../support/pl330-machine';

test('CSR goes through Executing, Updating PC, At barrier and Completing, tick by tick', () => {
  const m = machineWith('.channel 0x1000\nDMAMOV CCR, SB1 SS32 SAI DB1 DS32 DAI\nDMAMOV SAR, 0x2000\nDMAMOV DAR, 0x3000\nDMALP 2\nDMALD\nDMAST\nDMALPEND\nDMAWMB\nDMAEND\n');
  const seen: number[] = [];
  m.dmac.observe((e) => {
    if (e.kind === 'state' && e.thread === 0) seen.push(e.to);
  });
  m.go(0, 0x1000);
  const csr: number[] = [];
  for (let tick = 0; tick < 40 && m.dmac.register('CSR0') !== undefined; tick++) {
    csr.push(m.dmac.register('CSR0') & 0xf);
    m.dmac.tick();
  }
  // Cache misses come and go with the instruction cache; the rest is the program's own sequence.
  const transient = seen.filter((s) => s !== ChannelState.Executing && s !== ChannelState.CacheMiss);
  assert.deepEqual(transient, [ChannelState.UpdatingPc, ChannelState.AtBarrier, ChannelState.Completing, ChannelState.Stopped]);
  assert.ok(csr.includes(ChannelState.UpdatingPc) && csr.includes(ChannelState.AtBarrier), `CSR0 showed ${csr.join(',')}`);
  assert.deepEqual(Array.from(m.readBytes(0x3000, 8)), Array.from(m.readBytes(0x2000, 8)));
});

test('the memcpy fast path keeps the cycle count of the interpreter, Updating PC ticks included', () => {
  const source = '.channel 0x1000\nDMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI\nDMAMOV SAR, 0x100000\nDMAMOV DAR, 0x200000\nDMALP 200\nDMALD\nDMAST\nDMALPEND\nDMAEND\n';
  const fast = machineWith(source);
  fast.go(0, 0x1000);
  const fastRun = fast.dmac.run();
  const slow = machineWith(source);
  slow.dmac.observe(() => undefined); // an observer turns the fast path off
  slow.go(0, 0x1000);
  const slowRun = slow.dmac.run();
  assert.equal(fastRun.cycles, slowRun.cycles);
  assert.equal(fast.dmac.register('CPC0'), slow.dmac.register('CPC0'));
});
