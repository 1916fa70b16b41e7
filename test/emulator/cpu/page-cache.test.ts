// The page cache's exercise of its miss paths (run before the first translation, so that V8 has their feedback):
// each access size misses once, reading and writing back the bytes of a page cached for both, which stay unchanged;
// with no such page nothing is accessed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageCachedMemory } from '../../../emulator/cpu/page-cache';

/** Four pages of RAM at 0; a miss fills the cache entry for the access (reads: the read cache, writes: both). */
class FlatPages extends PageCachedMemory {
  readonly pages = Array.from({ length: 4 }, (_, p) => Uint8Array.from({ length: 4096 }, (_, i) => (p * 31 + i * 7) & 0xff));
  readonly misses: string[] = [];

  protected readMiss(address: number, size: 1 | 2 | 4): number {
    this.misses.push(`read${size * 8}`);
    const page = this.pages[address >>> 12];
    this.cacheRead(address >>> 12, page);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + page[(address & 4095) + i];
    return value;
  }

  protected writeMiss(address: number, size: 1 | 2 | 4, value: number): void {
    this.misses.push(`write${size * 8}`);
    const page = this.pages[address >>> 12];
    this.cacheRead(address >>> 12, page);
    this.cacheWrite(address >>> 12, page);
    for (let i = 0; i < size; i++) page[(address & 4095) + i] = value >>> (8 * i);
  }
}

test('every access size misses once on a page cached for reads and writes, which keeps its bytes', () => {
  const memory = new FlatPages();
  memory.write32(0x2004, memory.read32(0x2004)); // page 2 cached for both
  const before = memory.pages.map((page) => Uint8Array.from(page));
  memory.misses.length = 0;
  memory.exerciseMissPaths();
  assert.deepEqual(memory.misses, ['read8', 'write8', 'read16', 'write16', 'read32', 'write32']);
  assert.deepEqual(memory.pages, before);
  assert.equal(memory.readPageAt(0x2000), memory.pages[2], 'the page is cached again');
});

test('nothing is accessed when no page is cached for both reads and writes', () => {
  const memory = new FlatPages();
  memory.read8(0x1000); // cached for reads only
  memory.misses.length = 0;
  memory.exerciseMissPaths();
  assert.deepEqual(memory.misses, []);
});
