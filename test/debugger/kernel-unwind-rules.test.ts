// The kernel unwinder's walk on a hand-built machine memory: three functions, an index whose entries the linker
// merged for two neighbours that unwind alike, a stack with their frames; the rules at a function's entry (by the index
// or by the symbols), where the walk ends (no entry, EXIDX_CANTUNWIND, a caller outside the code, a frame not above
// its callee's, an unreadable stack) and what each frame's registers are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type KernelCode, unwindKernelStack } from '../../debugger/runtime/kernel-unwind';
import { CANT_UNWIND } from '../../emulator/elf/arm-exidx';

const SP = 13;
const LR = 14;
const PC = 15;
/** thread_start (cannot be unwound) at 0x1000, outer at 0x1100 and inner at 0x1200 (merged into outer's entry: both
 * `push {r4, lr}`), odd at 0x1300 (a table that moves vsp down before its pop), nothing after 0x1400. */
const THREAD_START = 0x1000;
const OUTER = 0x1100;
const INNER = 0x1200;
const ODD = 0x1300;
const CODE_END = 0x1400;
const INDEX = { start: 0x9000, end: 0x9018 };

function memory(stack: Record<number, number>): (address: number) => number | undefined {
  const words: Record<number, number> = { ...stack };
  const entry = (at: number, fn: number, data: number): void => {
    words[at] = (fn - at) & 0x7fffffff;
    words[at + 4] = data;
  };
  entry(0x9000, THREAD_START, CANT_UNWIND);
  entry(0x9008, OUTER, 0x80a8b0b0); // pop {r4, r14}
  entry(0x9010, ODD, 0x8043a8b0); // vsp -= 16, pop {r4, r14}
  return (address) => words[address];
}

const code = (starts: readonly number[]): KernelCode => ({
  functionStart: (a) => starts.filter((s) => s <= a).pop(),
  holds: (a) => a >= THREAD_START && a < CODE_END,
});

function registers(pc: number, sp: number, lr: number): number[] {
  const r = Array.from({ length: 16 }, (_, i) => 0x100 + i);
  r[SP] = sp;
  r[LR] = lr;
  r[PC] = pc;
  return r;
}

// inner's frame at 0x7f00 (r4, lr = into outer), outer's at 0x7f08 (r4, lr = into thread_start).
const STACK = { 0x7f00: 0xaaaa, 0x7f04: OUTER + 0x24, 0x7f08: 0xbbbb, 0x7f0c: THREAD_START + 0x14 };

test('a walk: each caller restored by its entry, ended by the thread start that cannot be unwound', () => {
  const frames = unwindKernelStack(INDEX, registers(INNER + 0x10, 0x7f00, 0xdead), memory(STACK), code([THREAD_START, OUTER, INNER]));
  assert.deepEqual(frames.map((f) => f.pc), [INNER + 0x10, OUTER + 0x24, THREAD_START + 0x14]);
  assert.deepEqual(frames.map((f) => f.registers[SP]), [0x7f00, 0x7f08, 0x7f10]);
  assert.deepEqual(frames.map((f) => f.registers[4]), [0x104, 0xaaaa, 0xbbbb], 'r4 as each caller had it');
});

test("at a function's first instruction the caller is lr: by the index entry, and by the symbols where the entry is a merged neighbour's", () => {
  const atOuter = unwindKernelStack(INDEX, registers(OUTER, 0x7f08, THREAD_START + 0x14), memory(STACK), code([THREAD_START, OUTER, INNER]));
  assert.deepEqual(atOuter.map((f) => f.pc), [OUTER, THREAD_START + 0x14]);
  assert.equal(atOuter[1].registers[SP], 0x7f08, 'nothing pushed yet');
  const atInner = unwindKernelStack(INDEX, registers(INNER, 0x7f08, OUTER + 0x24), memory(STACK), code([THREAD_START, OUTER, INNER]));
  assert.deepEqual(atInner.map((f) => f.pc), [INNER, OUTER + 0x24, THREAD_START + 0x14]);
  // Without the symbol, inner's entry is outer's body: its table pops what is on the stack (here garbage: 0x7f08's
  // words are outer's frame), and the walk goes wrong, which is why the symbols are asked.
  const unnamed = unwindKernelStack(INDEX, registers(INNER, 0x7f08, OUTER + 0x24), memory(STACK), code([THREAD_START, OUTER]));
  assert.notDeepEqual(unnamed.map((f) => f.pc), atInner.map((f) => f.pc));
});

test('the walk ends where no entry covers the PC, a caller is not code, a frame is not above its callee, the stack is unreadable; no index: one frame', () => {
  const starts = code([THREAD_START, OUTER, INNER, ODD]);
  assert.equal(unwindKernelStack(INDEX, registers(0x0800, 0x7f00, 1), memory(STACK), starts).length, 1, 'before the first entry');
  assert.equal(unwindKernelStack(INDEX, registers(INNER + 0x10, 0x7f00, 1), memory({ ...STACK, 0x7f04: 0x5000 }), starts).length, 1, 'a return address outside the code');
  assert.equal(unwindKernelStack(INDEX, registers(ODD + 0x10, 0x7f10, 1), memory(STACK), starts).length, 1, "a caller's frame below its callee's");
  assert.equal(unwindKernelStack(INDEX, registers(OUTER, 0x7f08, OUTER), memory(STACK), starts).length, 1, 'the same frame again');
  assert.equal(unwindKernelStack(INDEX, registers(INNER + 0x10, 0x7e00, 1), memory(STACK), starts).length, 1, 'nothing readable at sp');
  assert.equal(unwindKernelStack(undefined, registers(INNER + 0x10, 0x7f00, 1), memory(STACK), starts).length, 1);
});
