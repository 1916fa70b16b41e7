import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus, BusResponse, MmioDevice } from '../../../emulator/bus/bus';
import { PhysicalMemory } from '../../../emulator/bus/memory';

test('memory reads back what was written, little-endian, across page boundaries', () => {
  const m = new PhysicalMemory();
  m.write(0x1ffe, 4, 0xdeadbeef);
  assert.equal(m.read(0x1ffe, 4), 0xdeadbeef);
  assert.equal(m.read8(0x1ffe), 0xef);
  assert.equal(m.read8(0x2001), 0xde);
  assert.equal(m.read(0x2000, 2), 0xdead);
  assert.equal(m.read(0x123456789, 4), 0, 'unwritten memory reads as zero');
  assert.equal(m.allocatedPages, 2);
});

test('snapshots are copy-on-write and restore exactly', () => {
  const m = new PhysicalMemory();
  m.fill(0x10000, 3 * 4096, 0xaa);
  const snap = m.snapshot();
  m.write(0x10004, 4, 0x11223344);
  m.write(0x90000, 1, 7);
  assert.equal(m.read(0x10004, 4), 0x11223344);
  const after = m.snapshot();
  m.restore(snap);
  assert.equal(m.read(0x10004, 4), 0xaaaaaaaa);
  assert.equal(m.read8(0x90000), 0);
  m.restore(after);
  assert.equal(m.read(0x10004, 4), 0x11223344);
  m.restore(snap);
  m.write(0x10008, 1, 1);
  m.restore(after);
  assert.equal(m.read8(0x10008), 0xaa, 'a write after restoring one snapshot never leaks into another');
});

test('the bus routes RAM, devices and unmapped addresses; translators see every page', () => {
  const bus = new Bus();
  bus.addRam(0, 0x10000);
  const writes: [number, number, number][] = [];
  const device: MmioDevice = { name: 'dev', read: (o) => 0x1000 + o, write: (o, s, v) => writes.push([o, s, v]) };
  bus.addDevice(0x20000, 0x1000, device);
  assert.throws(() => bus.addRam(0x20800, 0x1000), /overlaps dev/);
  const port = bus.port({ name: 'dma', streamId: 3 });
  const buf = new Uint8Array([1, 2, 3, 4, 5, 6]);
  assert.equal(port.write(0x20002, buf, 0, 6), BusResponse.Okay);
  assert.deepEqual(writes, [[2, 2, 0x0201], [4, 4, 0x06050403]]);
  assert.equal(port.read(0x30000, buf, 0, 4), BusResponse.DecodeError);
  const seen: number[] = [];
  port.translator = {
    translate: (master, address) => {
      seen.push(address);
      assert.equal(master.streamId, 3);
      return address >= 0x5000 ? -BusResponse.SlaveError : address + 0x8000;
    },
  };
  const data = new Uint8Array(0x1800).fill(9);
  assert.equal(port.write(0x3800, data, 0, data.length), BusResponse.Okay);
  assert.deepEqual(seen, [0x3800, 0x4000]);
  assert.equal(bus.memory.read8(0xb800), 9);
  assert.equal(bus.memory.read8(0x3800), 0, 'the untranslated address is untouched');
  assert.equal(port.write(0x4ff0, data, 0, 0x20), BusResponse.SlaveError);
  assert.equal(bus.memory.read8(0xd000), 0, 'nothing is written past a faulting page');
});
