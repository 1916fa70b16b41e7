// Behaviour QEMU cannot show (manager programs, the peripheral handshake, security, the watchdog, DMAKILL states,
// MFIFO accounting, bus errors), checked against the TRM facts in pl330-isa.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus, BusResponse } from '../../../emulator/bus/bus';
import { DEFAULT_CONFIG, Pl330Config } from '../../../emulator/pl330/config';
import { debugGo, debugKill, debugSev, issueDebug } from '../../../emulator/pl330/debug';
import { FAULT } from '../../../emulator/pl330/faults';
import type { Pl330Event } from '../../../emulator/pl330/observer';
import { TestPeripheral } from '../../../emulator/pl330/peripheral';
import { Pl330 } from '../../../emulator/pl330/pl330';
import { describeRegister } from '../../../emulator/bus/registers';
import { ChannelState, PL330_REGISTER_MAP } from '../../../emulator/pl330/registers';
import { assembleOrThrow, machineWith, patternBytes } from '../../support/pl330-machine';

const WD = 0xe80;
const INTEN = 0x020;

/** A DMAC whose bus has only 64 KiB of RAM at 0 (everything above is unmapped), with source loaded. */
function dmacOverSmallRam(source: string): Pl330 {
  const bus = new Bus();
  bus.addRam(0, 0x10000);
  const dmac = new Pl330(DEFAULT_CONFIG, bus.port({ name: 'dma', streamId: 5 }));
  for (const p of assembleOrThrow(source)) bus.physicalWrite(p.base, p.bytes, 0, p.bytes.length);
  return dmac;
}

test('a manager program booted from CR2 starts channels, waits for their event and signals its own', () => {
  const m = machineWith(`.manager 0x800
    DMAGO C1, worker
    DMAWFE 4
    DMASEV 9
    DMAEND
.channel 0x1000
worker:
    DMAMOV DAR, 0xabc
    DMASEV 4
    DMAEND`, { bootFromPc: true, bootAddress: 0x800 });
  m.dmac.write(INTEN, 4, 1 << 9);
  assert.equal(m.dmac.register('DSR') & 15, ChannelState.Executing, 'the manager runs from reset');
  assert.equal(m.dmac.register('CR0') & 2, 2, 'CR0.boot_en');
  assert.equal(m.dmac.register('CR2'), 0x800);
  assert.equal(m.dmac.run({ maxCycles: 1000 }).stop, 'idle');
  assert.equal(m.dmac.register('DSR') & 15, ChannelState.Stopped);
  assert.equal(m.dmac.register('DAR1'), 0xabc);
  assert.equal(m.dmac.register('INTMIS'), 1 << 9);
  assert.equal(m.dmac.irq[9].level, true);
});

test('channel-only instructions fault a manager program, DMAGO faults a channel program (undef_instr)', () => {
  const m = machineWith(`.manager 0x800
    DMANOP
    .byte 0x04
.channel 0x1000
    .byte 0xa0, 0x00, 0, 0, 0, 0`, { bootFromPc: true, bootAddress: 0x800 });
  m.go(0, 0x1000);
  m.dmac.run({ maxCycles: 100 });
  assert.equal(m.dmac.register('FSRD'), 1);
  assert.equal(m.dmac.register('FTRD'), FAULT.undef_instr);
  assert.equal(m.dmac.register('DPC'), 0x801, 'the manager stops at the DMALD');
  assert.equal(m.dmac.register('FTR0'), FAULT.undef_instr);
  assert.equal(m.dmac.register('CPC0'), 0x1000);
  issueDebug(m.dmac, debugKill('manager'));
  assert.equal(m.dmac.register('FSRD'), 0);
  assert.equal(m.dmac.register('FTRD'), 0);
});

test('peripheral handshake: FLUSHP, DMAWFP periph, conditional single/burst transfers, acknowledgements, drlast ends DMALPFE', () => {
  const m = machineWith(`.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAF DB4 DS32 DAI
    DMAMOV SAR, 0x5000
    DMAMOV DAR, 0x6000
    DMAFLUSHP P1
    DMALPFE
      DMAWFP P1, periph
      DMALDB
      DMALDS
      DMASTPB P1
      DMASTPS P1
    DMALPEND
    DMASEV 0
    DMAEND`);
  const word = patternBytes(4, 5);
  m.write(0x5000, word);
  const uart = new TestPeripheral([
    { type: 'burst', last: false },
    { type: 'single', last: false },
    { type: 'burst', last: false },
    { type: 'single', last: true },
  ]);
  m.dmac.attachPeripheral(1, uart);
  m.go(0, 0x1000);
  assert.equal(m.dmac.run({ maxCycles: 1000 }).stop, 'idle');
  assert.equal(m.dmac.register('CSR0') & 15, ChannelState.Stopped);
  assert.deepEqual(uart.acknowledged, ['burst', 'single', 'burst', 'single']);
  assert.equal(uart.flushes, 1);
  assert.equal(m.dmac.register('DAR0'), 0x6000 + 16 + 4 + 16 + 4, 'bursts move 4 beats, singles one beat');
  assert.equal(m.dmac.register('SAR0'), 0x5000, 'fixed source');
  const out = m.readBytes(0x6000, 44);
  for (let i = 0; i < 40; i += 4) assert.deepEqual(out.subarray(i, i + 4), word);
  assert.deepEqual(out.subarray(40), new Uint8Array(4));
  assert.equal(m.dmac.register('INT_EVENT_RIS'), 1);
});

test('DMAWFP waits in state 7 with the peripheral number and burst bit until a request arrives', () => {
  const m = machineWith(`.channel 0x1000
    DMAWFP P3, burst
    DMAMOV SAR, 0x77
    DMAEND`);
  m.go(0, 0x1000);
  m.dmac.run({ maxCycles: 100 });
  assert.equal(m.dmac.register('CSR0'), ChannelState.WaitingForPeripheral | (3 << 4) | (1 << 14));
  assert.deepEqual(m.dmac.idleReport().threads.map((t) => t.waitingFor), ['peripheral 3']);
  m.dmac.attachPeripheral(3, new TestPeripheral([{ type: 'single', last: false }]));
  m.dmac.run({ maxCycles: 100 });
  assert.equal(m.dmac.register('CSR0') & 15, ChannelState.Stopped);
  assert.equal(m.dmac.register('SAR0'), 0x77);
});

test('security: non-secure manager and channels fault on secure DMAGO, events, peripherals and CCR', () => {
  const cfg: Partial<Pl330Config> = { managerNonSecure: true, eventsNonSecure: 1 << 1, peripheralsNonSecure: 1 << 0 };
  const m = machineWith(`.channel 0x1000
    DMAMOV CCR, SB1 SS32 SP2 DB1 DS32 DP2
    DMASEV 1
    DMAWFP P0, single
    DMAEND
.channel 0x1100
    DMASEV 2
.channel 0x1200
    DMAWFP P1, single
.channel 0x1300
    DMAMOV CCR, SB1 SS32 DB1 DS32 DP2`, cfg);
  assert.equal(m.dmac.register('DSR') >>> 9, 1, 'DSR.dns');
  m.go(4, 0x1000, false);
  assert.equal(m.dmac.register('FTRD'), FAULT.dmago_err | FAULT.dbg_instr);
  issueDebug(m.dmac, debugKill('manager'));
  m.dmac.attachPeripheral(0, new TestPeripheral([{ type: 'single', last: false }]));
  m.go(0, 0x1000, true);
  m.go(1, 0x1100, true);
  m.go(2, 0x1200, true);
  m.go(3, 0x1300, true);
  m.dmac.run({ maxCycles: 100 });
  assert.equal(m.dmac.register('CSR0') & 15, ChannelState.Stopped, 'non-secure event 1 and peripheral 0 are allowed');
  assert.equal(m.dmac.register('FTR1'), FAULT.ch_evnt_err);
  assert.equal(m.dmac.register('FTR2'), FAULT.ch_periph_err);
  assert.equal(m.dmac.register('FTR3'), FAULT.ch_rdwr_err);
  assert.equal(m.dmac.register('FSRC'), 0b1110);
  issueDebug(m.dmac, debugSev(5));
  assert.equal(m.dmac.register('FTRD'), FAULT.mgr_evnt_err | FAULT.dbg_instr);
});

test('watchdog: a channel that cannot get MFIFO space locks up (lockup_err), or only raises irq_abort with WD=1', () => {
  const source = `.channel 0x1000
    DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
    DMALPFE
      DMALD
    DMALPEND`;
  const abort = machineWith(source);
  abort.go(0, 0x1000);
  abort.dmac.run({ maxCycles: 10_000 });
  assert.equal(abort.dmac.register('CSR0') & 15, ChannelState.Faulting);
  assert.equal(abort.dmac.register('FTR0'), FAULT.lockup_err);
  assert.equal(abort.dmac.register('SAR0'), 2048, 'the 256 x 8-byte MFIFO filled up');
  assert.equal(abort.dmac.irqAbort.level, true);
  const irqOnly = machineWith(source);
  irqOnly.dmac.write(WD, 4, 1);
  irqOnly.go(0, 0x1000);
  irqOnly.dmac.run({ maxCycles: 10_000 });
  assert.equal(irqOnly.dmac.register('CSR0') & 15, ChannelState.Executing);
  assert.equal(irqOnly.dmac.register('FTR0'), 0);
  assert.equal(irqOnly.dmac.irqAbort.level, true);
  issueDebug(irqOnly.dmac, debugKill(0));
  irqOnly.dmac.run({ maxCycles: 10 });
  assert.equal(irqOnly.dmac.irqAbort.level, false);
});

test('MFIFO: a burst larger than the MFIFO faults (mfifo_err); channels share it and wait for each other', () => {
  const tiny = machineWith(`.channel 0x1000
    DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
    DMALD`, { mfifoLines: 4 });
  tiny.go(0, 0x1000);
  tiny.dmac.run({ maxCycles: 100 });
  assert.equal(tiny.dmac.register('FTR0'), FAULT.mfifo_err);
  assert.equal(tiny.dmac.register('CPC0'), 0x1006);

  const m = machineWith(`.channel 0x1000
    DMAMOV CCR, SB3 SS64 SAI DB3 DS64 DAI
    DMAMOV SAR, 0x2000
    DMAMOV DAR, 0x3000
    DMALD
    DMAWFE 1
    DMAST
    DMAEND
.channel 0x1100
    DMAMOV CCR, SB2 SS64 SAI DB2 DS64 DAI
    DMAMOV SAR, 0x2100
    DMAMOV DAR, 0x3100
    DMALD
    DMAST
    DMAEND`, { mfifoLines: 4 });
  m.write(0x2000, patternBytes(0x200, 8));
  m.go(0, 0x1000);
  m.dmac.run({ maxCycles: 100 });
  m.go(1, 0x1100);
  for (let i = 0; i < 200; i++) m.dmac.tick();
  assert.equal(m.dmac.register('CPC1'), 0x1112, 'channel 1 waits at its DMALD: 8 of 32 bytes free');
  assert.equal(m.dmac.register('CSR1') & 15, ChannelState.Executing);
  issueDebug(m.dmac, debugSev(1));
  m.dmac.run({ maxCycles: 100 });
  assert.equal(m.dmac.register('CSR0') & 15, ChannelState.Stopped);
  assert.equal(m.dmac.register('CSR1') & 15, ChannelState.Stopped);
  assert.deepEqual(m.readBytes(0x3000, 24), m.readBytes(0x2000, 24));
  assert.deepEqual(m.readBytes(0x3100, 16), m.readBytes(0x2100, 16));
});

test('DMAKILL: a waiting channel goes Killing then Stopped and frees its MFIFO data', () => {
  const m = machineWith(`.channel 0x1000
    DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
    DMALD
    DMAWFE 0
.channel 0x1100
    DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
    DMALP 16
      DMALD
    DMALPEND
    DMALP 16
      DMAST
    DMALPEND
    DMAEND`);
  m.go(0, 0x1000);
  m.dmac.run({ maxCycles: 100 });
  m.go(1, 0x1100);
  m.dmac.run({ maxCycles: 500 });
  assert.equal(m.dmac.register('CSR1') & 15, ChannelState.Executing, 'channel 1 needs all 2048 bytes; channel 0 holds 128');
  issueDebug(m.dmac, debugKill(0));
  assert.equal(m.dmac.register('CSR0') & 15, ChannelState.Killing);
  m.dmac.tick();
  assert.equal(m.dmac.register('CSR0') & 15, ChannelState.Stopped);
  m.dmac.run({ maxCycles: 500 });
  assert.equal(m.dmac.register('CSR1') & 15, ChannelState.Stopped);
});

test('bus errors: instruction fetch (precise), data read and write (imprecise, PC past the transfer)', () => {
  const dmac = dmacOverSmallRam(`.channel 0x1000
    DMAMOV CCR, SB2 SS32 SAI DB2 DS32 DAI
    DMAMOV SAR, 0x80000
    DMALD
.channel 0x1100
    DMAMOV CCR, SB2 SS32 SAI DB2 DS32 DAI
    DMAMOV DAR, 0x80000
    DMALD
    DMAST`);
  issueDebug(dmac, debugGo(0, 0x1000));
  issueDebug(dmac, debugGo(1, 0x1100));
  issueDebug(dmac, debugGo(2, 0x90000));
  dmac.run({ maxCycles: 100 });
  assert.equal(dmac.register('FTR0'), FAULT.data_read_err);
  assert.equal(dmac.register('CPC0'), 0x100d);
  assert.equal(dmac.register('FTR1'), FAULT.data_write_err);
  assert.equal(dmac.register('CPC1'), 0x110e);
  assert.equal(dmac.register('FTR2'), FAULT.instr_fetch_err);
  assert.equal(dmac.register('CPC2'), 0x90000);
});

test('endian swap: ES32 reverses each 32-bit word on the way to the destination', () => {
  const m = machineWith(`.channel 0x1000
    DMAMOV CCR, SB2 SS64 SAI DB2 DS64 DAI ES32
    DMAMOV SAR, 0x2000
    DMAMOV DAR, 0x3000
    DMALD
    DMAST
    DMAEND`);
  m.write(0x2000, [...Array(16).keys()]);
  m.go(0, 0x1000);
  m.dmac.run({ maxCycles: 100 });
  assert.deepEqual([...m.readBytes(0x3000, 16)], [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12]);
});

test('the observer reports every kind of event, typed', () => {
  const m = machineWith(`.channel 0x1000
    DMAMOV CCR, SB1 SS32 SAI DB1 DS32 DAI
    DMALD
    DMAST
    DMASEV 2
    .byte 0xff`);
  m.dmac.write(INTEN, 4, 4);
  const events: Pl330Event[] = [];
  m.dmac.observe((e) => events.push(e));
  m.go(0, 0x1000);
  m.dmac.run({ maxCycles: 100 });
  const kinds = new Set(events.map((e) => e.kind));
  assert.deepEqual([...kinds].sort(), ['bus', 'channelStart', 'event', 'fault', 'instruction', 'irq', 'state']);
  const bus = events.filter((e) => e.kind === 'bus').map((e) => (e.kind === 'bus' ? `${e.access.fetch ? 'f' : e.access.write ? 'w' : 'r'}${e.access.master.name}:${e.access.data.length}` : ''));
  assert.ok(bus.includes('rpl330:4') && bus.includes('wpl330:4') && bus.some((b) => b.startsWith('f')), bus.join(' '));
  assert.deepEqual(events.filter((e) => e.kind === 'irq').map((e) => e.kind === 'irq' && `${e.line}:${e.level}`), ['2:true', 'abort:true']);
  issueDebug(m.dmac, debugKill(0));
  m.dmac.run({ maxCycles: 10 });
  assert.ok(events.some((e) => e.kind === 'channelEnd' && e.how === 'kill'));
});

test('DMAADNH is undefined on r0p0 and adds a negative halfword from r1p0', () => {
  const source = `.channel 0x1000
    DMAMOV DAR, 0x1000
    DMAADNH DAR, -16
    DMAEND`;
  const r1 = machineWith(source);
  r1.go(0, 0x1000);
  r1.dmac.run({ maxCycles: 100 });
  assert.equal(r1.dmac.register('DAR0'), 0xff0);
  // The assembler refuses DMAADNH for r0p0, so the r0p0 DMAC runs the bytes assembled for r1p1.
  const old = new Pl330({ ...DEFAULT_CONFIG, revision: 0 }, r1.bus.port({ name: 'old', streamId: 1 }));
  issueDebug(old, debugGo(0, 0x1000));
  old.run({ maxCycles: 100 });
  assert.equal(old.register('FTR0'), FAULT.undef_instr);
  assert.equal(old.register('CPC0'), 0x1006);
});

test('round-robin ticks interleave channels deterministically; stepInstruction and run-until stop where asked', () => {
  const m = machineWith(`.channel 0x1000
    DMANOP
    DMANOP
    DMAEND
.channel 0x1100
    DMANOP
    DMANOP
    DMAEND`);
  const order: string[] = [];
  m.dmac.observe((e) => {
    if (e.kind === 'instruction' && !e.debug) order.push(`${e.cycle}:${e.thread}@${e.pc.toString(16)}`);
  });
  m.go(0, 0x1000);
  m.go(1, 0x1100);
  assert.equal(m.dmac.stepInstruction(1), true);
  assert.equal(m.dmac.register('CPC1'), 0x1101, 'one instruction of channel 1 only');
  assert.equal(m.dmac.register('CPC0'), 0x1000);
  const r = m.dmac.run({ until: () => m.dmac.register('CPC0') === 0x1002 });
  assert.equal(r.stop, 'condition');
  m.dmac.run();
  // A cache miss costs a tick: channel 0's first line is fetched in tick 2 while channel 1 runs from the cache.
  assert.deepEqual(order, ['1:1@1100', '2:1@1101', '3:0@1000', '3:1@1102', '4:0@1001', '5:0@1002']);
});

test('the register table drives the APB interface: read-only registers ignore writes, write-only ones read as zero', () => {
  const m = machineWith(`.channel 0x1000
    DMAMOV SAR, 0x1234
    DMAWFE 7`);
  m.go(0, 0x1000);
  m.dmac.run({ maxCycles: 100 });
  for (const reg of PL330_REGISTER_MAP.instances) {
    const before = m.dmac.read(reg.offset, 4);
    assert.equal(before, m.dmac.register(reg.name), reg.name);
    if (reg.def.access === 'wo') assert.equal(before, 0, `${reg.name} is write-only`);
    if (reg.def.access === 'ro') {
      m.dmac.write(reg.offset, 4, 0xffffffff);
      assert.equal(m.dmac.read(reg.offset, 4), before, `${reg.name} is read-only`);
    }
  }
  assert.equal(m.dmac.read(0x0c0, 4), 0, 'a reserved offset reads as zero');
  assert.equal(m.dmac.read(0x401, 1), 0x12, 'byte reads of SAR0');
  m.dmac.write(INTEN, 4, 0xffffffff);
  assert.equal(m.dmac.register('INTEN'), 0xffff, 'INTEN has one bit per configured event');
  const csr = PL330_REGISTER_MAP.named('CSR0')!.def;
  assert.match(describeRegister(csr, m.dmac.register('CSR0')), /state=4 \(Waiting for event\) wakeup_number=0x7/);
});

test('snapshots cover a peripheral transfer in flight (DMAC, memory and peripheral restored together)', () => {
  const m = machineWith(`.channel 0x1000
    DMAMOV CCR, SB2 SS32 SAF DB2 DS32 DAI
    DMAMOV SAR, 0x5000
    DMAMOV DAR, 0x6000
    DMALPFE
      DMAWFP P0, periph
      DMALDB
      DMALDS
      DMASTPB P0
      DMASTPS P0
    DMALPEND
    DMAEND`);
  m.write(0x5000, [1, 2, 3, 4]);
  const script = Array.from({ length: 9 }, (_, i) => ({ type: i % 3 === 0 ? 'single' as const : 'burst' as const, last: i === 8 }));
  const p = new TestPeripheral(script);
  m.dmac.attachPeripheral(0, p);
  m.go(0, 0x1000);
  for (let i = 0; i < 25; i++) m.dmac.tick();
  const saved = { dmac: m.dmac.snapshot(), memory: m.bus.memory.snapshot(), periph: p.snapshot() };
  const finish = () => {
    m.dmac.run({ maxCycles: 10_000 });
    return { dar: m.dmac.register('DAR0'), cycle: m.dmac.cycle, acks: [...p.acknowledged], out: Buffer.from(m.readBytes(0x6000, 96)).toString('hex') };
  };
  const first = finish();
  assert.equal(first.acks.length, 9);
  m.dmac.restore(saved.dmac);
  m.bus.memory.restore(saved.memory);
  p.restore(saved.periph);
  assert.deepEqual(finish(), first);
});

test('behind a translator (an SMMU), transfers use translated addresses and a translation fault is a bus error', () => {
  const bus = new Bus();
  bus.addRam(0, 0x1000000);
  const port = bus.port({ name: 'dmac', streamId: 7 });
  const streams = new Set<number>();
  // IOVA 0x0000-0xffff maps to 0x100000 + IOVA; everything else faults.
  port.translator = {
    translate: (master, address) => {
      streams.add(master.streamId);
      return address < 0x10000 ? address + 0x100000 : -BusResponse.SlaveError;
    },
  };
  const dmac = new Pl330(DEFAULT_CONFIG, port);
  for (const p of assembleOrThrow(`.channel 0x1000
    DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
    DMAMOV SAR, 0x2000
    DMAMOV DAR, 0x3000
    DMALP 8
      DMALD
      DMAST
    DMALPEND
    DMAMOV DAR, 0x20000
    DMALD
    DMAST
    DMAEND`)) bus.physicalWrite(p.base + 0x100000, p.bytes, 0, p.bytes.length);
  const data = patternBytes(0x400, 4);
  bus.physicalWrite(0x102000, data, 0, data.length);
  issueDebug(dmac, debugGo(0, 0x1000));
  dmac.run({ maxCycles: 10_000 });
  const out = new Uint8Array(0x400);
  bus.physicalRead(0x103000, out, 0, out.length);
  assert.deepEqual(out, data);
  assert.deepEqual([...streams], [7]);
  assert.equal(dmac.register('FTR0'), FAULT.data_write_err);
  assert.equal(dmac.register('DAR0'), 0x20080);
});

test('an imprecise error on DMASTPB leaves CPC past the two-byte instruction', () => {
  const dmac = dmacOverSmallRam(`.channel 0x1000
    DMAMOV CCR, SB2 SS32 SAI DB2 DS32 DAI
    DMAMOV DAR, 0x80000
    DMAWFP P2, burst
    DMALDB
    DMASTPB P2
    DMAEND`);
  const periph = new TestPeripheral([{ type: 'burst', last: false }]);
  dmac.attachPeripheral(2, periph);
  issueDebug(dmac, debugGo(0, 0x1000));
  dmac.run({ maxCycles: 100 });
  assert.equal(dmac.register('FTR0'), FAULT.data_write_err);
  assert.equal(dmac.register('CPC0'), 0x1011);
  assert.deepEqual(periph.acknowledged, [], 'a failed store acknowledges nothing');
});

test('MFIFO entries follow the destination: packed towards an incrementing one, a line per beat towards a fixed one', () => {
  // 4 lines of 64 bits. 16 bytes for an incrementing destination take 2 lines; 16 one-byte beats to a fixed
  // destination take 16 entries: more than the MFIFO has (mfifo_err).
  const program = (dst: string) => `.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAI DB16 DS8 ${dst}
    DMAMOV SAR, 0x2000
    DMAMOV DAR, 0x3000
    DMALD
    DMAST
    DMAEND`;
  const packed = machineWith(program('DAI'), { mfifoLines: 4 });
  packed.write(0x2000, [...Array(16).keys()]);
  packed.go(0, 0x1000);
  packed.dmac.run({ until: () => packed.dmac.register('CPC0') === 0x1013 });
  const held = packed.dmac.mfifoContents(0);
  assert.deepEqual([...held.bytes], [...Array(16).keys()], 'the DMALD data waits in the MFIFO');
  assert.deepEqual([held.entries, held.freeEntries], [2, 2]);
  packed.dmac.run({ maxCycles: 100 });
  assert.equal(packed.dmac.mfifoContents(0).entries, 0);
  assert.equal(packed.dmac.register('FTR0'), 0);
  assert.equal(packed.dmac.register('DAR0'), 0x3010);
  const fixed = machineWith(program('DAF'), { mfifoLines: 4 });
  fixed.go(0, 0x1000);
  fixed.dmac.run({ maxCycles: 100 });
  assert.equal(fixed.dmac.register('FTR0'), FAULT.mfifo_err);
  assert.equal(fixed.dmac.register('CPC0'), 0x1012);
  const fits = machineWith(program('DAF'), { mfifoLines: 16 });
  fits.go(0, 0x1000);
  fits.dmac.run({ maxCycles: 100 });
  assert.equal(fits.dmac.register('FTR0'), 0);
});
