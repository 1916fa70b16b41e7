// The address space's access watch (data breakpoints on CPU stores and loads): every store overlapping a watched
// range is reported after it lands, stores beside it in the same page are not, loads only where loads are watched,
// the watch outlives remapping, and clearing it leaves nothing reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus } from '../../../emulator/bus/bus';
import { PROT_READ, PROT_WRITE, UserAddressSpace, rangeFrames } from '../../../emulator/linux/address-space';

function space(): UserAddressSpace {
  const bus = new Bus();
  bus.addRam(0x80000000, 0x100000);
  const memory = new UserAddressSpace(bus, bus.port({ name: 'cpu0', streamId: -1 }), rangeFrames(bus.memory, 0x80000000, 0x100000));
  memory.mapAnonymous(0x10000, 0x3000, PROT_READ | PROT_WRITE);
  return memory;
}

test('stores into a watched range are reported with their address, size and value; stores beside it are not', () => {
  const memory = space();
  // Fill the TLB first: a page the CPU already writes fast must take the checked path once watched.
  memory.write32(0x10ff0, 1);
  const seen: [number, number, number][] = [];
  memory.watchAccesses([{ start: 0x10ff4, length: 8 }], (address, size, value) => seen.push([address, size, value >>> 0]));
  memory.write32(0x10ff0, 0xaabbccdd); // beside the range, same page
  memory.write8(0x10ff4, 0x11);
  memory.write16(0x10ffa, 0x2233); // overlaps the range's last byte
  memory.write32(0x10ffc, 0x44556677); // just past it
  memory.write32(0x10ff2, 0x8899aabb); // straddles its start
  assert.deepEqual(seen, [[0x10ff4, 1, 0x11], [0x10ffa, 2, 0x2233], [0x10ff2, 4, 0x8899aabb]]);
  assert.deepEqual([...memory.inspect(0x10ff0, 16)], [0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x00, 0x00, 0x00, 0x00, 0x33, 0x22, 0x77, 0x66, 0x55, 0x44]);
});

test('loads from a range watching loads are reported with the value loaded, loads beside it and stores to it are not', () => {
  const memory = space();
  memory.write32(0x10ff4, 0x01020304);
  // Fill the read TLB first: a page the CPU already reads fast must take the checked path once watched.
  assert.equal(memory.read32(0x10ff4), 0x01020304);
  const seen: [number, number, number, boolean][] = [];
  memory.watchAccesses([{ start: 0x10ff4, length: 4, loads: true, stores: false }], (address, size, value, write) => seen.push([address, size, value >>> 0, write]));
  memory.read32(0x10ff0); // beside, same page
  assert.equal(memory.read16(0x10ff6), 0x0102);
  assert.equal(memory.read8(0x10ff4), 0x04);
  memory.write32(0x10ff4, 5); // a store: not watched here
  assert.equal(memory.read32(0x10ff4), 5);
  assert.deepEqual(seen, [[0x10ff6, 2, 0x0102, false], [0x10ff4, 1, 0x04, false], [0x10ff4, 4, 5, false]]);
});

test('a store crossing into a watched page is reported; the watch outlives remapping; clearing it stops the reports', () => {
  const memory = space();
  const seen: number[] = [];
  memory.watchAccesses([{ start: 0x11000, length: 4 }], (address) => seen.push(address));
  memory.write32(0x10ffe, 0x01020304); // two bytes in the page before, two in the watched one
  assert.deepEqual(seen, [0x11000, 0x11001]);
  memory.unmap(0x11000, 0x1000);
  memory.mapAnonymous(0x11000, 0x1000, PROT_READ | PROT_WRITE);
  memory.write8(0x11003, 9);
  assert.deepEqual(seen, [0x11000, 0x11001, 0x11003]);
  memory.watchAccesses([], undefined);
  memory.write8(0x11003, 10);
  memory.write32(0x11000, 10);
  assert.deepEqual(seen, [0x11000, 0x11001, 0x11003]);
  assert.equal(memory.read32(0x11000), 10);
});

test('inspect reads up to the first unmapped page; patch writes read-only pages and stops at unmapped ones', () => {
  const memory = space();
  memory.protect(0x12000, 0x1000, PROT_READ);
  assert.deepEqual([...memory.inspect(0x12ffc, 8)], [0, 0, 0, 0], 'an untouched page reads as zeros; the unmapped page after it ends the read');
  assert.equal(memory.patch(0x12ffe, Uint8Array.of(1, 2, 3, 4)), 2);
  assert.deepEqual([...memory.inspect(0x12ffe, 2)], [1, 2]);
});
