import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debugKill, debugSev, issueDebug } from '../../../emulator/pl330/debug';
import { FAULT } from '../../../emulator/pl330/faults';
import type { Pl330Event } from '../../../emulator/pl330/observer';
import { ChannelState } from '../../../emulator/pl330/registers';
import { machineWith, patternBytes } from '../../support/pl330-machine';

// The QEMU worked example (qemu-and-toolchains.md §1): 64 bytes from 0x2000 to 0x3000, program at 0x1000.
const MEMCPY = readFileSync(join(__dirname, '..', '..', '..', 'examples', 'pl330', 'memcpy.pl330'), 'utf8');

test('memcpy started through the debug interface copies the data and stops (QEMU worked example)', () => {
  const m = machineWith(MEMCPY);
  const data = patternBytes(64, 7);
  m.write(0x2000, data);
  m.go(0, 0x1000);
  assert.equal(m.dmac.register('CSR0') & 15, ChannelState.Executing);
  const r = m.dmac.run({ maxCycles: 1000 });
  assert.equal(r.stop, 'idle');
  assert.deepEqual(m.readBytes(0x3000, 64), data);
  assert.deepEqual(m.readBytes(0x3040, 4), new Uint8Array(4), 'nothing written past the copy');
  assert.equal(m.dmac.register('CSR0'), 0);
  assert.equal(m.dmac.register('CPC0'), 0x101c);
  assert.equal(m.dmac.register('SAR0'), 0x2040);
  assert.equal(m.dmac.register('DAR0'), 0x3040);
  assert.equal(m.dmac.register('CCR0'), 0x000d4035);
  assert.equal(m.dmac.register('INT_EVENT_RIS'), 1, 'DMASEV 0 with INTEN clear leaves event 0 pending');
});

test('configuration registers report the QEMU Zynq configuration and identification', () => {
  const m = machineWith('.channel 0\n DMAEND');
  assert.equal(m.dmac.register('CR0'), 0x001e3071);
  assert.equal(m.dmac.register('CR1'), 0x72);
  assert.equal(m.dmac.register('CRD'), 0x0fff7f73);
  const ids = [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map((o) => m.dmac.read(o, 4));
  assert.deepEqual(ids, [0x30, 0x13, 0x24, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  const small = machineWith('.channel 0\n DMAEND', { channels: 2, peripherals: 0, events: 32, dataWidth: 128, mfifoLines: 1024, revision: 0 });
  assert.equal(small.dmac.register('CR0'), (1 << 4) | (31 << 17));
  assert.equal(small.dmac.register('CRD') & 7, 4);
  assert.equal(small.dmac.register('CRD') >>> 20, 1023);
  assert.equal(small.dmac.read(0xfe8, 4), 0x04);
  assert.equal(small.dmac.register('CSR5'), 0, 'channels the configuration lacks read as zero');
});

test('an interrupt raised by DMASEV stays until INTCLR; irq lines are outputs', () => {
  const m = machineWith(MEMCPY);
  const levels: boolean[] = [];
  m.dmac.irq[0].connect((level) => levels.push(level));
  m.dmac.write(0x020, 4, 1); // INTEN[0]
  m.go(0, 0x1000);
  m.dmac.run({ maxCycles: 1000 });
  assert.deepEqual(levels, [true]);
  assert.equal(m.dmac.register('INTMIS'), 1);
  m.dmac.write(0x02c, 4, 1);
  assert.deepEqual(levels, [true, false]);
  assert.equal(m.dmac.register('INT_EVENT_RIS'), 0);
});

test('DMAWFE waits until another thread signals the event; a pending event is consumed', () => {
  const m = machineWith(`.channel 0x1000
    DMAWFE 3
    DMAMOV SAR, 0x11
    DMAEND
.channel 0x1100
    DMASEV 3
    DMAEND`);
  m.go(0, 0x1000);
  assert.equal(m.dmac.run({ maxCycles: 100 }).stop, 'idle');
  assert.equal(m.dmac.register('CSR0'), 0x34, 'waiting for event 3');
  assert.equal(m.dmac.register('CPC0'), 0x1000, 'PC stays at the DMAWFE while waiting');
  assert.deepEqual(m.dmac.idleReport().threads.map((t) => t.waitingFor), ['event 3']);
  m.go(1, 0x1100);
  m.dmac.run({ maxCycles: 100 });
  assert.equal(m.dmac.register('CSR0'), 0x30, 'stopped; the wakeup field keeps the last event waited for');
  assert.equal(m.dmac.register('SAR0'), 0x11);
  assert.equal(m.dmac.register('INT_EVENT_RIS'), 0, 'the woken waiter consumed the event');
  // An event sent first stays pending until a DMAWFE takes it.
  issueDebug(m.dmac, debugSev(3));
  assert.equal(m.dmac.register('INT_EVENT_RIS'), 8);
  m.go(0, 0x1000);
  m.dmac.run({ maxCycles: 100 });
  assert.equal(m.dmac.register('CSR0') & 15, 0);
  assert.equal(m.dmac.register('INT_EVENT_RIS'), 0);
});

test('an undefined opcode faults the channel at the opcode; DMAKILL through the debug interface clears it', () => {
  const m = machineWith(`.channel 0x1000
    DMAMOV CCR, SB1 SS8
    .byte 0xff
.channel 0x1100
    DMAMOV SAR, 0x55
    DMAEND`);
  let abort = false;
  m.dmac.irqAbort.connect((l) => (abort = l));
  m.go(0, 0x1000);
  m.go(1, 0x1100);
  m.dmac.run({ maxCycles: 100 });
  assert.equal(m.dmac.register('CSR0'), ChannelState.Faulting);
  assert.equal(m.dmac.register('FTR0'), FAULT.undef_instr);
  assert.equal(m.dmac.register('CPC0'), 0x1006);
  assert.equal(m.dmac.register('FSRC'), 1);
  assert.equal(abort, true);
  assert.equal(m.dmac.register('SAR1'), 0x55, 'the other channel went on');
  issueDebug(m.dmac, debugKill(0));
  assert.equal(m.dmac.register('CSR0'), ChannelState.Killing);
  m.dmac.run({ maxCycles: 10 });
  assert.equal(m.dmac.register('CSR0'), ChannelState.Stopped);
  assert.equal(m.dmac.register('FTR0'), 0);
  assert.equal(m.dmac.register('FSRC'), 0);
  assert.equal(abort, false);
});

test('snapshot and restore reproduce the run exactly, mid-transfer', () => {
  const m = machineWith(MEMCPY);
  m.write(0x2000, patternBytes(64, 3));
  m.go(0, 0x1000);
  for (let i = 0; i < 12; i++) m.dmac.tick();
  const dmacState = m.dmac.snapshot();
  const memState = m.bus.memory.snapshot();
  const trace = (): string[] => {
    const seen: string[] = [];
    const off = m.dmac.observe((e: Pl330Event) => seen.push(JSON.stringify({ ...e, bytes: undefined, access: e.kind === 'bus' ? e.access.address : undefined })));
    m.dmac.run({ maxCycles: 1000 });
    off();
    return seen;
  };
  const first = trace();
  const after = [m.dmac.register('SAR0'), m.dmac.register('CPC0'), m.dmac.cycle];
  const copied = m.readBytes(0x3000, 64);
  m.dmac.restore(dmacState);
  m.bus.memory.restore(memState);
  assert.notDeepEqual(m.readBytes(0x3000, 64), copied);
  const second = trace();
  assert.deepEqual(second, first);
  assert.deepEqual([m.dmac.register('SAR0'), m.dmac.register('CPC0'), m.dmac.cycle], after);
  assert.deepEqual(m.readBytes(0x3000, 64), copied);
});

test('a runaway program stops at the cycle budget', () => {
  const m = machineWith(`.channel 0x1000
    DMALPFE
    DMANOP
    DMALPEND`);
  m.go(0, 0x1000);
  const r = m.dmac.run({ maxCycles: 5000 });
  assert.equal(r.stop, 'budget');
  assert.equal(r.cycles, 5000);
  assert.equal(m.dmac.register('CSR0') & 15, ChannelState.Executing);
});
