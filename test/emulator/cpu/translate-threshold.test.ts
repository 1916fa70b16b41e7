// When a block is translated: after `translateAfter` interpreted instructions, and a block that branches back to its
// own start after 1/200 of them where `translateLoopsSooner` is set (user mode sets it: a program's hot loops run
// interpreted a shorter while). Either way the loop ends in the same state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cpu } from '../../../emulator/cpu/cpu';
import { PageCachedMemory } from '../../../emulator/cpu/page-cache';
import { translationStats } from '../../../emulator/cpu/translate';

/** 64 KiB of RAM at 0, every page cached on its first access. */
class FlatMemory extends PageCachedMemory {
  readonly bytes = new Uint8Array(0x10000);
  private page(address: number): Uint8Array {
    return this.bytes.subarray(address & ~4095, (address & ~4095) + 4096);
  }
  protected readMiss(address: number, size: 1 | 2 | 4): number {
    this.cacheRead(address >>> 12, this.page(address));
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + this.bytes[address + i];
    return value;
  }
  protected writeMiss(address: number, size: 1 | 2 | 4, value: number): void {
    this.cacheWrite(address >>> 12, this.page(address));
    for (let i = 0; i < size; i++) this.bytes[address + i] = value >>> (8 * i);
  }
  fetch16(address: number): number {
    return this.bytes[address] | (this.bytes[address + 1] << 8);
  }
  fetch32(address: number): number {
    return this.fetch16(address) | (this.fetch16(address + 2) << 16);
  }
  watchCode(): void {}
}

const LOOP = 0x1000;
/** subs r0, r0, #1; bne LOOP; svc #0 (which ends the block: 3 instructions, short enough for the shortest wait) */
const PROGRAM = [0xe2500001, 0x1afffffd, 0xef000000];

/** Runs the loop (2 instructions an iteration) with a threshold of 200,000 instructions; returns the translations made. */
function runLoop(loopsSooner: boolean, iterations: number): { translations: number; r0: number; retired: number } {
  const memory = new FlatMemory();
  PROGRAM.forEach((word, i) => new DataView(memory.bytes.buffer).setUint32(LOOP + 4 * i, word, true));
  const cpu = new Cpu(memory);
  cpu.translateAfter = 200_000;
  cpu.translateLoopsSooner = loopsSooner;
  cpu.pc = LOOP;
  cpu.r[0] = iterations;
  const before = translationStats.blocks;
  cpu.run(10_000);
  return { translations: translationStats.blocks - before, r0: cpu.r[0], retired: cpu.retired };
}

test('a block that loops on itself is translated after 1/200 of the threshold where loops go first, not before', () => {
  const sooner = runLoop(true, 600);
  const plain = runLoop(false, 600);
  assert.equal(sooner.translations, 1);
  assert.equal(plain.translations, 0);
  assert.deepEqual({ r0: sooner.r0, retired: sooner.retired }, { r0: plain.r0, retired: plain.retired });
  assert.equal(sooner.r0, 0);
});

test('a loop that runs fewer instructions than 1/200 of the threshold stays interpreted', () => {
  assert.equal(runLoop(true, 400).translations, 0); // 800 instructions, below 1,000
});
