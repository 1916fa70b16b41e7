import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gic } from '../../../emulator/gic/gic';

function setup() {
  const gic = new Gic();
  const irq: boolean[] = [];
  gic.cpuIrq[0] = { setLevel: (h) => irq.push(h) };
  const cpu = gic.cpuInterfaces[0];
  gic.write(0x000, 4, 1); // distributor on
  cpu.write(0x00, 4, 1); // CPU interface on
  cpu.write(0x04, 4, 0xf0); // priority mask
  return { gic, cpu, irq };
}

function enableSpi(gic: Gic, spi: number, priority: number, edge = false) {
  const id = 32 + spi;
  gic.write(0x100 + 4 * (id >> 5), 4, 1 << (id & 31));
  gic.write(0x400 + id, 1, priority);
  gic.write(0x800 + id, 1, 1);
  if (edge) gic.write(0xc00 + 4 * (id >> 4), 4, gic.read(0xc00 + 4 * (id >> 4), 4) | (2 << (2 * (id & 15))));
}

test('GICD_TYPER and identification describe a GIC-400 with 256 interrupts and 4 CPUs', () => {
  const { gic, cpu } = setup();
  assert.equal(gic.read(0x004, 4) & 0x1f, 7);
  assert.equal((gic.read(0x004, 4) >>> 5) & 7, 3);
  assert.equal(gic.read(0x008, 4), 0x0200143b);
  assert.equal(cpu.read(0xfc, 4), 0x0202143b);
  assert.equal(gic.read(0x800 + 5, 1), 1, 'ITARGETSR of a private interrupt reads the accessing CPU');
});

test('a level-sensitive SPI: pending while the line is high, acknowledge, EOI, priority order, masking', () => {
  const { gic, cpu, irq } = setup();
  const line64 = gic.spi(64);
  const line100 = gic.spi(100);
  line64.setLevel(true);
  assert.deepEqual(irq, [], 'disabled interrupts do not signal');
  assert.equal(gic.state(96).pending, true);
  enableSpi(gic, 64, 0xa0);
  enableSpi(gic, 100, 0x80);
  assert.deepEqual(irq, [true]);
  line100.setLevel(true);
  assert.equal(cpu.read(0x18, 4), 132, 'HPPIR: the lower priority value wins');
  assert.equal(cpu.read(0x0c, 4), 132);
  assert.equal(cpu.read(0x14, 4), 0x80, 'running priority');
  assert.deepEqual(irq, [true, false], 'nothing of higher priority is pending');
  line100.setLevel(false);
  cpu.write(0x10, 4, 132);
  assert.deepEqual(irq, [true, false, true]);
  assert.equal(cpu.read(0x0c, 4), 96);
  assert.equal(gic.state(96).active, true);
  assert.equal(gic.state(96).pending, true, 'line still high: active and pending');
  line64.setLevel(false);
  cpu.write(0x10, 4, 96);
  assert.equal(cpu.read(0x0c, 4), 1023, 'spurious when nothing is pending');
  line64.setLevel(true);
  gic.write(0x180 + 4 * 3, 4, 1 << 0); // ICENABLER: disable ID 96
  assert.equal(gic.state(96).enabled, false);
  assert.equal(cpu.read(0x0c, 4), 1023);
  gic.write(0x100 + 4 * 3, 4, 1 << 0);
  cpu.write(0x04, 4, 0xa0); // mask priorities >= 0xa0
  assert.equal(cpu.read(0x0c, 4), 1023, 'masked by PMR');
});

test('an edge-triggered SPI latches; ICPENDR clears; SGIs reach the listed CPUs', () => {
  const { gic, cpu } = setup();
  enableSpi(gic, 10, 0x40, true);
  const line = gic.spi(10);
  line.setLevel(true);
  line.setLevel(false);
  assert.equal(gic.state(42).pending, true);
  gic.write(0x280 + 4, 4, 1 << 10);
  assert.equal(gic.state(42).pending, false);
  line.setLevel(true);
  assert.equal(cpu.read(0x0c, 4), 42);
  cpu.write(0x10, 4, 42);
  assert.equal(cpu.read(0x0c, 4), 1023, 'still high but already taken: an edge fires once');
  gic.write(0xf00, 4, (1 << 16) | 3);
  assert.equal(cpu.read(0x0c, 4), 3);
  assert.throws(() => gic.spi(224), /SPI 224 does not exist/);
});

test('two outputs on one SPI are wired-OR, and snapshots keep each output level', () => {
  const { gic } = setup();
  enableSpi(gic, 20, 0x40);
  const a = gic.spi(20), b = gic.spi(20);
  a.setLevel(true);
  b.setLevel(true);
  a.setLevel(false);
  assert.equal(gic.state(52).pending, true, 'b still holds the line');
  const snap = gic.snapshot();
  b.setLevel(false);
  assert.equal(gic.state(52).pending, false);
  gic.restore(snap);
  assert.equal(gic.state(52).pending, true);
  b.setLevel(false);
  assert.equal(gic.state(52).pending, false, 'after restore, b lowering drops the line');
});

/** The distributor and the CPU interface as CPU `cpu` reaches them on the bus (the machine names the accessing CPU). */
function asCpu(gic: Gic, cpu: number) {
  const frame = gic.bankedCpuInterface;
  const on = <T>(access: () => T): T => {
    gic.accessingCpu = cpu;
    return access();
  };
  return {
    read: (offset: number, size: 1 | 2 | 4 = 4) => on(() => gic.read(offset, size)),
    write: (offset: number, value: number, size: 1 | 2 | 4 = 4) => on(() => gic.write(offset, size, value)),
    acknowledge: () => on(() => frame.read(0x0c, 4)),
    end: (iar: number) => on(() => frame.write(0x10, 4, iar)),
    enableInterface: () => on(() => { frame.write(0x00, 4, 1); frame.write(0x04, 4, 0xf0); }),
  };
}

function smpSetup() {
  const gic = new Gic();
  const irq = [false, false, false, false];
  for (let c = 0; c < 4; c++) gic.cpuIrq[c] = { setLevel: (high) => { irq[c] = high; } };
  const cpus = [0, 1, 2, 3].map((c) => asCpu(gic, c));
  cpus[0].write(0x000, 1);
  for (const cpu of cpus) cpu.enableInterface();
  return { gic, irq, cpus };
}

test('the CPU interface on the bus is the accessing CPU\'s: an SPI targeted at CPU 1 is acknowledged and ended there only', () => {
  const { gic, irq, cpus } = smpSetup();
  const id = 32 + 10;
  cpus[0].write(0x100 + 4, 1 << 10); // ISENABLER1
  cpus[0].write(0x400 + id, 0x40, 1);
  cpus[0].write(0x800 + id, 0b0010, 1); // ITARGETSR: CPU 1
  gic.spi(10).setLevel(true);
  assert.deepEqual(irq, [false, true, false, false]);
  assert.equal(cpus[0].acknowledge(), 1023, 'not CPU 0\'s interrupt');
  assert.equal(cpus[1].acknowledge(), id);
  assert.deepEqual(irq, [false, false, false, false], 'active: signalled no more');
  assert.equal(gic.cpuInterfaces[1].read(0x14, 4), 0x40, 'CPU 1 runs at its priority');
  assert.equal(gic.cpuInterfaces[0].read(0x14, 4), 0xff, 'CPU 0 is idle');
  cpus[0].end(id);
  assert.equal(gic.state(id).active, true, 'an EOI on another CPU\'s interface does not end it');
  cpus[1].end(id);
  assert.equal(gic.state(id).active, false);
  assert.equal(cpus[2].read(0x800, 4), 0x04040404, 'ITARGETSR0-3 read as the accessing CPU');
});

test('SGIs go to the target list, to every other CPU or to the sender; each is pending per source, IAR names the source', () => {
  const { gic, irq, cpus } = smpSetup();
  cpus[0].write(0xf00, (0b0110 << 16) | 5); // SGI 5 to CPUs 1 and 2
  assert.deepEqual(irq, [false, true, true, false]);
  assert.equal(cpus[0].acknowledge(), 1023);
  assert.equal(cpus[3].acknowledge(), 1023);
  assert.equal(cpus[1].acknowledge(), 5, 'SGI 5 from CPU 0');
  assert.equal(cpus[2].acknowledge(), 5);
  cpus[1].end(5);
  cpus[2].end(5);

  cpus[2].write(0xf00, (0b0010 << 16) | 7);
  cpus[3].write(0xf00, (0b0010 << 16) | 7);
  assert.equal(cpus[1].read(0xf24), 0b1100 << 24, 'GICD_SPENDSGIR1: SGI 7 pending from CPUs 2 and 3');
  assert.equal(cpus[0].read(0xf24), 0, 'CPU 0 sees its own SGIs');
  const first = cpus[1].acknowledge();
  assert.equal(first, 7 | (2 << 10), 'the lowest source first, in CPUID');
  assert.equal(cpus[1].acknowledge(), 1023, 'SGI 7 is active');
  cpus[1].end(first);
  assert.equal(cpus[1].acknowledge(), 7 | (3 << 10), 'then the other source\'s');
  cpus[1].end(7 | (3 << 10));

  cpus[3].write(0xf00, (1 << 24) | 9); // every CPU but the sender
  assert.deepEqual([0, 1, 2, 3].map((c) => gic.state(9, c).pending), [true, true, true, false]);
  cpus[3].write(0xf00, (2 << 24) | 10); // the sender only
  assert.deepEqual([0, 1, 2, 3].map((c) => gic.state(10, c).pending), [false, false, false, true]);
  cpus[0].write(0xf18, 0xff << 8); // GICD_CPENDSGIR2: clear SGI 9 from every source
  assert.equal(gic.state(9, 0).pending, false);
  assert.equal(gic.state(9, 1).pending, true, 'another CPU\'s SGIs stay');
  cpus[0].write(0x280, 1 << 9); // ICPENDR0 does not clear SGIs (GICD_CPENDSGIR does)
  cpus[1].write(0x280, 1 << 9);
  assert.equal(gic.state(9, 1).pending, true);
  cpus[0].write(0xf20, 1 << 3); // GICD_SPENDSGIR0: SGI 0 as if from CPU 3
  assert.equal(cpus[0].acknowledge(), 0 | (3 << 10));
});

test('a PPI reaches its own CPU only, enabled and prioritised in that CPU\'s bank', () => {
  const { gic, irq, cpus } = smpSetup();
  const timer0 = gic.ppi(0, 27), timer1 = gic.ppi(1, 27);
  cpus[1].write(0x100, 1 << 27); // ISENABLER0 of CPU 1
  cpus[1].write(0x400 + 27, 0xa0, 1);
  assert.equal(cpus[0].read(0x100) & (1 << 27), 0, 'CPU 0\'s PPI 27 stays disabled');
  assert.equal(cpus[1].read(0x400 + 27, 1), 0xa0);
  assert.equal(cpus[0].read(0x400 + 27, 1), 0);
  timer0.setLevel(true);
  assert.deepEqual(irq, [false, false, false, false], 'disabled on CPU 0');
  timer1.setLevel(true);
  assert.deepEqual(irq, [false, true, false, false]);
  assert.equal(cpus[0].acknowledge(), 1023);
  assert.equal(cpus[1].acknowledge(), 27);
  assert.equal(gic.state(27, 0).active, false);
  assert.equal(gic.state(27, 1).active, true);
  timer1.setLevel(false);
  cpus[1].end(27);
  assert.equal(cpus[1].acknowledge(), 1023);
});
