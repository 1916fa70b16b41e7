// The EHABI unwinder on hand-built index tables: entries written as the "Exception Handling ABI for the ARM
// Architecture" describes them (section 6: prel31 function offsets, EXIDX_CANTUNWIND, inline compact entries and
// offsets to .ARM.extab; section 10.3: the unwind instructions), over a memory of words built for each case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CANT_UNWIND, ExidxIndex, compactOpcodes, executeUnwind, prel31 } from '../../../emulator/elf/arm-exidx';

const SP = 13;
const LR = 14;
const PC = 15;

/** A sparse memory of words; unwritten words cannot be read. */
function memory(words: Record<number, number>): (address: number) => number | undefined {
  return (address) => words[address];
}

/** The prel31 word at `at` that points to `target`. */
const offsetTo = (target: number, at: number): number => ((target - at) & 0x7fffffff) >>> 0;

/** r0-r15 with recognisable values (r<n> = 0x<n><n>), sp and lr given. */
function registers(sp: number, lr: number): number[] {
  const r = Array.from({ length: 16 }, (_, i) => i * 0x11);
  r[SP] = sp;
  r[LR] = lr;
  r[PC] = 0x8000;
  return r;
}

test('prel31: a 31-bit signed offset from the word, both directions', () => {
  assert.equal(prel31(0x7ffffff0, 0x1000), 0x0ff0);
  assert.equal(prel31(0x00000010, 0x1000), 0x1010);
  assert.equal(prel31(offsetTo(0xc0208000, 0xc13ac6b8), 0xc13ac6b8), 0xc0208000);
});

test('compact model: personality 0 holds three opcodes in its word, 1 and 2 hold two plus four per extra word; 3-15 are reserved', () => {
  assert.deepEqual(compactOpcodes(0x80a8b0b0, []), [0xa8, 0xb0, 0xb0]);
  assert.deepEqual(compactOpcodes(0x81010280, [0x08b0b0b0]), [0x02, 0x80, 0x08, 0xb0, 0xb0, 0xb0]);
  assert.deepEqual(compactOpcodes(0x82000281, []), [0x02, 0x81]);
  assert.equal(compactOpcodes(0x83000000, []), undefined);
});

test('unwind instructions: vsp adjustments, pops under masks and ranges, vsp from a register, finish', () => {
  const stack = { 0x1000: 0xa4, 0x1004: 0xa5, 0x1008: 0xa6, 0x100c: 0xa7, 0x1010: 0xc0de, 0x1014: 0x5555 };
  const read = memory(stack);
  // 0xab: pop r4-r7 and r14; no r15 popped, so the caller's PC is the popped lr.
  const caller = executeUnwind([0xab, 0xb0, 0xb0], registers(0x1000, 0xdead), read)!;
  assert.deepEqual([caller[4], caller[5], caller[6], caller[7], caller[LR], caller[PC], caller[SP]], [0xa4, 0xa5, 0xa6, 0xa7, 0xc0de, 0xc0de, 0x1014]);
  assert.equal(caller[8], 0x88, 'registers the instructions do not name keep their values');
  // 00xxxxxx: vsp += (x << 2) + 4; 01xxxxxx: vsp -= (x << 2) + 4.
  assert.equal(executeUnwind([0x00], registers(0x1000, 1), read)![SP], 0x1004);
  assert.equal(executeUnwind([0x3f], registers(0x1000, 1), read)![SP], 0x1100);
  assert.equal(executeUnwind([0x40], registers(0x1000, 1), read)![SP], 0x0ffc);
  assert.equal(executeUnwind([0x7f], registers(0x1000, 1), read)![SP], 0x0f00);
  // 0xb2 uleb128: vsp += 0x204 + (uleb128 << 2); 0x81 0x01 is 129.
  assert.equal(executeUnwind([0xb2, 0x81, 0x01], registers(0x1000, 1), read)![SP], 0x1000 + 0x204 + 129 * 4);
  // 1001nnnn: vsp = r[nnnn] (a frame pointer), then the pops from there.
  const fp = registers(0x0800, 1);
  fp[11] = 0x1010;
  const viaFp = executeUnwind([0x9b, 0x84, 0x00], fp, read)!;
  assert.deepEqual([viaFp[LR], viaFp[PC], viaFp[SP]], [0xc0de, 0xc0de, 0x1014]);
  // 1000iiii iiiiiiii: pop under mask, r4 (bit 0) to r15 (bit 11); r15 popped is the caller's PC, not lr.
  const masked = executeUnwind([0x88, 0x01], registers(0x1000, 0x1234), memory({ 0x1000: 0xa4, 0x1004: 0xb000 }))!;
  assert.deepEqual([masked[4], masked[PC], masked[LR], masked[SP]], [0xa4, 0xb000, 0x1234, 0x1008]);
  // 0xb1 0000iiii: pop r0-r3 under mask.
  const low = executeUnwind([0xb1, 0x0a], registers(0x1000, 1), read)!;
  assert.deepEqual([low[0], low[1], low[2], low[3], low[SP]], [0x00, 0xa4, 0x22, 0xa5, 0x1008]);
  // VFP registers are only skipped: 0xc9 (VPUSH d[ssss]-d[ssss+cccc]) two registers of 8 bytes, 0xd1 d8-d9.
  assert.equal(executeUnwind([0xc9, 0x01], registers(0x1000, 1), read)![SP], 0x1010);
  assert.equal(executeUnwind([0xd1], registers(0x1000, 1), read)![SP], 0x1010);
  assert.equal(executeUnwind([0xb3, 0x01], registers(0x1000, 1), read)![SP], 0x1014, 'FSTMFDX: one more word');
  // The Thumb bit of a popped return address is not part of the PC.
  assert.equal(executeUnwind([0x84, 0x00], registers(0x1000, 1), memory({ 0x1000: 0x8001 }))![PC], 0x8000);
});

test('a popped r13 becomes vsp once the pop is done (a `.save {r0-r15}` exception frame)', () => {
  const words: Record<number, number> = {};
  for (let i = 0; i < 16; i++) words[0x2000 + 4 * i] = 0x100 + i;
  words[0x2000 + 4 * SP] = 0x3000;
  words[0x2000 + 4 * PC] = 0xc0ffee00;
  const caller = executeUnwind([0xb1, 0x0f, 0x8f, 0xff], registers(0x2000, 1), memory(words))!;
  assert.deepEqual(caller.slice(0, 13), Array.from({ length: 13 }, (_, i) => 0x100 + i));
  assert.equal(caller[SP], 0x3000);
  assert.equal(caller[LR], 0x10e);
  assert.equal(caller[PC], 0xc0ffee00);
});

test('refuse to unwind, reserved and spare instructions, and a stack that cannot be read end the unwinding', () => {
  const read = memory({ 0x1000: 1, 0x1004: 2 });
  assert.equal(executeUnwind([0x80, 0x00], registers(0x1000, 1), read), undefined, 'pop under mask 0: refuse to unwind');
  assert.equal(executeUnwind([0x9d], registers(0x1000, 1), read), undefined, 'vsp = r13: reserved');
  assert.equal(executeUnwind([0x9f], registers(0x1000, 1), read), undefined, 'vsp = r15: reserved');
  assert.equal(executeUnwind([0xb1, 0x00], registers(0x1000, 1), read), undefined, 'pop r0-r3 under mask 0: spare');
  assert.equal(executeUnwind([0xb1, 0x10], registers(0x1000, 1), read), undefined, 'pop under mask 0001xxxx: spare');
  assert.equal(executeUnwind([0xb4], registers(0x1000, 1), read), undefined, 'spare');
  assert.equal(executeUnwind([0xc0], registers(0x1000, 1), read), undefined, 'iWMMX');
  assert.equal(executeUnwind([0xaf], registers(0x1000, 1), read), undefined, 'pops r4-r11 and lr past the readable stack');
});

test('an index table: entries found by function address, inline entries, .ARM.extab entries (personality 1 with an extra word), EXIDX_CANTUNWIND, a generic personality routine', () => {
  // Four functions at 0x8000, 0x8100, 0x8200, 0x8300; the index at 0x9000, the extab at 0x9100.
  const words: Record<number, number> = {};
  const entry = (i: number, fn: number, data: number): void => {
    words[0x9000 + 8 * i] = offsetTo(fn, 0x9000 + 8 * i);
    words[0x9000 + 8 * i + 4] = data;
  };
  entry(0, 0x8000, 0x80a8b0b0); // pop {r4, r14}
  entry(1, 0x8100, offsetTo(0x9100, 0x9000 + 8 + 4)); // .ARM.extab: vsp += 12, pop {r7}, pop {r14}
  words[0x9100] = 0x81010280;
  words[0x9104] = 0x088400b0; // the last byte pads with finish
  entry(2, 0x8200, CANT_UNWIND);
  entry(3, 0x8300, offsetTo(0x9200, 0x9000 + 24 + 4)); // a generic personality routine's address (bit 31 clear)
  words[0x9200] = offsetTo(0x8000, 0x9200);
  const index = new ExidxIndex(0x9000, 0x9020, memory(words));
  assert.equal(index.entries, 4);
  assert.equal(index.entryFor(0x7ffc), undefined, 'before the first function');
  assert.deepEqual(index.entryFor(0x80fc), { functionStart: 0x8000, dataAt: 0x9004 });
  assert.deepEqual(index.entryFor(0x8100), { functionStart: 0x8100, dataAt: 0x900c });
  assert.deepEqual(index.entryFor(0x8400), { functionStart: 0x8300, dataAt: 0x901c });

  const stack = memory({ ...words, 0x1000: 0x44, 0x1004: 0x8108, 0x1010: 0x77, 0x1014: 0x8010 });
  const fromFirst = index.unwind(registers(0x1000, 0), 0x8040, stack)!;
  assert.deepEqual([fromFirst[4], fromFirst[PC], fromFirst[SP]], [0x44, 0x8108, 0x1008]);
  const fromSecond = index.unwind(registers(0x1004, 0), 0x8140, stack)!;
  assert.deepEqual([fromSecond[7], fromSecond[LR], fromSecond[PC], fromSecond[SP]], [0x77, 0x8010, 0x8010, 0x1018]);
  assert.equal(index.unwind(registers(0x1000, 0), 0x8240, stack), undefined, 'EXIDX_CANTUNWIND');
  assert.equal(index.unwind(registers(0x1000, 0), 0x8340, stack), undefined, 'a generic personality routine is not decoded');
});
