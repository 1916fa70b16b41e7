// PhysicalMemory against a plain array: flat until the first snapshot, then paged with copy-on-write; every
// operation (byte and block writes, copies and fills across chunk and page boundaries, the CPU's private pages,
// in-place spans) leaves the same bytes, and restoring a snapshot gives back exactly the bytes it saved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus, BusResponse } from '../../../emulator/bus/bus';
import { PAGE_SIZE, PhysicalMemory, type MemorySnapshot } from '../../../emulator/bus/memory';

/** A 3 MiB window that straddles chunk (1 MiB) boundaries, above 2 GiB. */
const BASE = 0x8000_0000 - 0x10_0000 + 0x1234;
const SIZE = 3 << 20;

/** A deterministic pseudo-random sequence (xorshift32). */
function random(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

function assertSame(memory: PhysicalMemory, reference: Uint8Array, when: string): void {
  const bytes = new Uint8Array(SIZE);
  memory.readBlock(BASE, bytes, 0, SIZE);
  const at = bytes.findIndex((b, i) => b !== reference[i]);
  assert.equal(at, -1, `${when}: first difference at 0x${(BASE + at).toString(16)}`);
}

function exercise(memory: PhysicalMemory, reference: Uint8Array, next: (n: number) => number, steps: number): void {
  for (let step = 0; step < steps; step++) {
    const length = 1 + next(next(4) === 0 ? 300_000 : 9000);
    const at = next(SIZE - length);
    switch (next(6)) {
      case 0: {
        const value = next(256);
        memory.fill(BASE + at, length, value);
        reference.fill(value, at, at + length);
        break;
      }
      case 1: {
        const bytes = Uint8Array.from({ length }, () => next(256));
        memory.writeBlock(BASE + at, bytes, 0, length);
        reference.set(bytes, at);
        break;
      }
      case 2: {
        const from = next(SIZE - length);
        if (from < at + length && at < from + length) break; // copy() is for disjoint ranges
        memory.copy(BASE + at, BASE + from, length);
        reference.copyWithin(at, from, from + length);
        break;
      }
      case 3: {
        const size = ([1, 2, 4] as const)[next(3)];
        const value = next(2 ** 31) * 2 + next(2);
        const where = next(SIZE - 4);
        memory.write(BASE + where, size, value);
        for (let i = 0; i < size; i++) reference[where + i] = (value / 2 ** (8 * i)) & 0xff;
        assert.equal(memory.read(BASE + where, size), size === 4 ? value >>> 0 : value % 2 ** (8 * size));
        break;
      }
      case 4: {
        // The CPU's TLB writes straight into a private page.
        const pageNumber = Math.floor((BASE + at) / PAGE_SIZE);
        const page = memory.privatePage(pageNumber);
        const offset = next(PAGE_SIZE);
        const value = next(256);
        page[offset] = value;
        const index = pageNumber * PAGE_SIZE + offset - BASE;
        if (index >= 0 && index < SIZE) reference[index] = value;
        break;
      }
      case 5: {
        // A loader filling a range in place.
        let position = 0;
        memory.spans(BASE + at, length, true, (bytes, offset, size) => {
          for (let i = 0; i < size; i++) bytes[offset + i] = (at + position + i) * 7;
          position += size;
        });
        for (let i = 0; i < length; i++) reference[at + i] = (at + i) * 7;
        break;
      }
    }
  }
}

test('flat memory matches a plain array under writes, copies, fills, private pages and in-place spans', () => {
  const memory = new PhysicalMemory();
  const reference = new Uint8Array(SIZE);
  exercise(memory, reference, random(17), 400);
  assertSame(memory, reference, 'flat');
  assert.equal(memory.generation, 0, 'nothing was snapshotted');
});

test('the first snapshot turns flat memory paged; snapshots restore exactly and later writes never leak into them', () => {
  const memory = new PhysicalMemory();
  const reference = new Uint8Array(SIZE);
  const next = random(99);
  exercise(memory, reference, next, 150);
  const saved: [MemorySnapshot, Uint8Array][] = [];
  for (let round = 0; round < 6; round++) {
    saved.push([memory.snapshot(), reference.slice()]);
    exercise(memory, reference, next, 60);
    assertSame(memory, reference, `round ${round}`);
  }
  assert.equal(memory.generation, 6);
  for (const [i, [snapshot, bytes]] of [...saved.entries()].reverse().concat([...saved.entries()])) {
    memory.restore(snapshot);
    assertSame(memory, bytes, `restored snapshot ${i}`);
    exercise(memory, bytes.slice(), next, 10); // writes after a restore never leak into the snapshot
  }
});

test('the bus visits RAM in place and a device through a scratch buffer; an unmapped address stops it', () => {
  const bus = new Bus();
  bus.addRam(0, 0x20_0000);
  const registers = new Map<number, number>();
  bus.addDevice(0x20_0000, 0x1000, { name: 'dev', read: (o) => registers.get(o) ?? 0, write: (o, _s, v) => registers.set(o, v) });
  const pieces: number[] = [];
  assert.equal(bus.physicalInPlace(0x1f_fff0, 0x20, true, (bytes, offset, length) => {
    pieces.push(length);
    bytes.fill(0xab, offset, offset + length);
  }), BusResponse.Okay);
  assert.deepEqual(pieces, [0x10, 0x10]);
  assert.equal(bus.memory.read(0x1f_fffc, 4), 0xabababab);
  assert.equal(registers.get(0xc), 0xabababab, 'the device got its bytes in aligned words');
  const seen: number[] = [];
  assert.equal(bus.physicalInPlace(0x1f_fffe, 0x1004, false, (bytes, offset, length) => seen.push(...bytes.subarray(offset, offset + length).subarray(0, 4))), BusResponse.DecodeError);
  assert.deepEqual(seen, [0xab, 0xab, 0xab, 0xab, 0xab, 0xab]);
});

test('zeros over pages that never held data read as zeros and count as held; over pages that did, they clear them', () => {
  const memory = new PhysicalMemory();
  const page = 0x9000_0000 / PAGE_SIZE;
  memory.write8((page + 1) * PAGE_SIZE + 5, 0xaa); // written through a method
  memory.privatePage(page + 3)[7] = 0xbb; // written in place, as the CPU writes
  memory.fill(page * PAGE_SIZE + 100, 4 * PAGE_SIZE - 200, 0); // pages 0-3: two never held data
  memory.fill((page + 5) * PAGE_SIZE, PAGE_SIZE, 0); // a page of a chunk never written
  const bytes = new Uint8Array(6 * PAGE_SIZE);
  memory.readBlock(page * PAGE_SIZE, bytes, 0, bytes.length);
  assert.equal(bytes.findIndex((b) => b !== 0), -1);
  assert.equal(memory.allocatedPages, 5);
  memory.write8((page + 5) * PAGE_SIZE + 9, 0xcc);
  assert.equal(memory.read8((page + 5) * PAGE_SIZE + 9), 0xcc);
});
