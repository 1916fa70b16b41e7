// Undoing a function's straight-line start to find its caller, on the prologue of Debian 6.1's pl330_probe as
// objdump lists it (`push {r4-r11, lr}`, `sub sp, sp, #28`, `push {lr}`, and the `bl __gnu_mcount_nc` after it, which
// Linux's ftrace turns into `pop {lr}` once booted), stopped after each of its instructions; and the code it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { undoPrologue } from '../../../emulator/elf/arm-prologue';

const SP = 13;
const LR = 14;
const PC = 15;
const PROLOGUE = [0xe92d4ff0, 0xe24dd01c, 0xe52de004, 0xe49de004];
const RETURN = 0xc09ae680;
const ENTRY_SP = 0xf08b1e00;

test("pl330_probe's prologue undone after each of its instructions: the caller's sp, r4-r11 and return address", () => {
  // The stack as the prologue leaves it: r4-r11 and lr pushed below the entry sp, 28 bytes of locals below them.
  const words: Record<number, number> = {};
  const pushed = ENTRY_SP - 36;
  for (let i = 0; i < 8; i++) words[pushed + 4 * i] = 0xc0de0004 + i;
  words[pushed + 32] = RETURN;
  const read = (a: number): number | undefined => words[a];
  const at = (executed: number, sp: number, lr: number): number[] => {
    const regs = Array.from({ length: 16 }, (_, i) => 0x1000 + i);
    regs[SP] = sp;
    regs[LR] = lr;
    regs[PC] = 0xc0a03b40 + 4 * executed;
    return undoPrologue(PROLOGUE.slice(0, executed), regs, read)!;
  };
  const afterSub = pushed - 28;
  words[afterSub - 4] = RETURN; // push {lr}
  const states: [number, number, number][] = [[0, ENTRY_SP, RETURN], [1, pushed, RETURN], [2, afterSub, RETURN], [3, afterSub - 4, RETURN], [4, afterSub, RETURN]];
  for (const [executed, sp, lr] of states) {
    const caller = at(executed, sp, lr);
    assert.equal(caller[SP], ENTRY_SP, `after ${executed} instructions`);
    assert.equal(caller[PC], RETURN);
    if (executed > 0) assert.deepEqual(caller.slice(4, 12), Array.from({ length: 8 }, (_, i) => 0xc0de0004 + i));
    else assert.equal(caller[4], 0x1004, 'nothing pushed yet: r4 is the caller\'s own');
  }
});

test('code that branches or moves sp otherwise is past its start: no answer', () => {
  const regs = Array.from({ length: 16 }, () => 0);
  const read = (): number => 0;
  for (const [word, what] of [
    [0xebe83ade, 'bl'], [0x0a000002, 'beq'], [0x012fff1e, 'bxeq lr'], [0xe8bd8010, 'pop {r4, pc}'], [0xe28dd010, 'add sp, sp, #16'],
    [0xe1a0d000, 'mov sp, r0'], [0xe16d40f8, 'strd r4, r5, [sp, #-8]!'], [0xe59df000, 'ldr pc, [sp]'], [0xe92d4010, 'push {r4, lr} once too often'],
  ] as const) {
    const code = what.endsWith('too often') ? Array.from({ length: 33 }, () => word) : [word];
    assert.equal(undoPrologue(code, regs, read), undefined, what);
  }
  assert.ok(undoPrologue([0xe1a04000, 0xe3a05001], regs, read), 'mov r4, r0; mov r5, #1: nothing to undo');
});
