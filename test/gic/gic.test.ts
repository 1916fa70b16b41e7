import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gic } from '../../emulator/gic/gic';

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
