// Translated loads and stores read the memory's page cache inline (translate.ts): a block looks the cache's tags and
// pages up itself, and a block of inline instructions only (pure code) leaves before an access the cache misses, for
// the engine to run it. Its runs must see what the handlers see: the same values, the page cache's current entries
// (a page dropped from it is called for again), and at every device access the same instant (`retiredNow`) and
// instruction (`pcNow`), each access made once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cpu } from '../../../emulator/cpu/cpu';
import type { CpuMemory } from '../../../emulator/cpu/memory';
import { PageCachedMemory } from '../../../emulator/cpu/page-cache';
import { translationStats } from '../../../emulator/cpu/translate';

const CODE = 0x0000, DATA = 0x1000, DEVICE = 0x2000;

/**
 * Code at page 0, RAM at page 1 (cached on its first miss, into a fresh copy whenever it was dropped), a device at
 * page 2 (never cached: every access is a miss, logged with the CPU's instant and instruction).
 */
class TestMemory extends PageCachedMemory implements CpuMemory {
  code = new Uint8Array(4096);
  data = new Uint8Array(4096);
  dataMisses = 0;
  readonly deviceLog: string[] = [];
  cpu: Cpu | undefined;
  /** A device write to this address moves the data page (as a copy-on-write would, in the middle of a block). */
  moveOn = -1;
  private deviceValue = 0x1234;

  private exercising = false;

  /** The misses the first translation makes run once (page-cache.ts) are not the program's. */
  override exerciseMissPaths(): void {
    this.exercising = true;
    super.exerciseMissPaths();
    this.exercising = false;
  }

  private access(address: number, write: boolean, value: number): Uint8Array | undefined {
    const page = address >>> 12;
    if (page === DATA >>> 12) {
      if (!this.exercising) this.dataMisses++;
      this.cacheRead(page, this.data);
      if (write) this.cacheWrite(page, this.data);
      return this.data;
    }
    this.deviceLog.push(`${write ? 'write' : 'read'} ${address.toString(16)} = ${value} at ${this.cpu!.retiredNow} pc ${this.cpu!.pcNow.toString(16)}`);
    if (write && address === this.moveOn) this.moveData();
    return undefined;
  }

  protected readMiss(address: number, size: 1 | 2 | 4): number {
    const page = this.access(address, false, 0);
    if (page === undefined) return (this.deviceValue += 3) & (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + page[(address & 4095) + i];
    return value;
  }

  protected writeMiss(address: number, size: 1 | 2 | 4, value: number): void {
    const page = this.access(address, true, value);
    if (page !== undefined) for (let i = 0; i < size; i++) page[(address & 4095) + i] = value >>> (8 * i);
  }

  /** The data page leaves the cache and gets a copy of its bytes: later accesses must reach the copy. */
  moveData(): void {
    this.data = Uint8Array.from(this.data);
    this.uncachePage(DATA >>> 12);
  }

  fetch16(address: number): number {
    return this.code[address] | (this.code[address + 1] << 8);
  }

  fetch32(address: number): number {
    return (this.fetch16(address) | (this.fetch16(address + 2) << 16)) >>> 0;
  }

  watchCode(): void {}
}

// r8 = DATA, r9 = DEVICE, r10 = the loop's start, r11 = EXIT, r6 = passes: one block that leaves by BXNE or BX (no
// loop inside it; the no-ops after it fill what the translation decodes past the BX, so that every instruction is
// inline and the registers live in locals).
const EXIT = 0x800;
const PROGRAM = [
  0xe5981000, // ldr   r1, [r8]
  0xe5992000, // ldr   r2, [r9]
  0xe0811002, // add   r1, r1, r2
  0xe5881004, // str   r1, [r8, #4]
  0xe5c91008, // strb  r1, [r9, #8]
  0xe1d830b4, // ldrh  r3, [r8, #4]
  0xe0844003, // add   r4, r4, r3
  0xe5884000, // str   r4, [r8]
  0xe2566001, // subs  r6, r6, #1
  0x112fff1a, // bxne  r10
  0xe12fff1b, // bx    r11
];
const NOP = 0xe1a00000; // mov r0, r0
const SVC = 0xef000000;

// A loop (its accesses keep their own copies of the cache's entries) whose device write moves the data page it reads
// and writes: the next pass must reach the page's new copy.
const MOVING_LOOP = [
  0xe5981000, // ldr   r1, [r8]
  0xe2811001, // add   r1, r1, #1
  0xe5881000, // str   r1, [r8]
  0xe589100c, // str   r1, [r9, #12]: moves the data page
  0xe2566001, // subs  r6, r6, #1
  0x1afffff9, // bne   the ldr
  0xe12fff1b, // bx    r11
];

// A loop whose STM and LDM reach past the data page into the device's (r7 = the data page's last word): their first
// word hits the page cache, their second misses. The translated loop leaves before each of them, the store's first
// word written already (the engine writes it again), and the device sees each access once.
const STRADDLING_LOOP = [
  0xe2811001, // add   r1, r1, #1
  0xe8870006, // stmia r7, {r1, r2}
  0xe8970018, // ldmia r7, {r3, r4}
  0xe0855004, // add   r5, r5, r4
  0xe2566001, // subs  r6, r6, #1
  0x1afffff9, // bne   the add
  0xe12fff1b, // bx    r11
];

// A loop starting with a device load: its translation leaves before its first instruction every time, having run
// nothing, and the engine runs the block interpreted instead.
const DEVICE_FIRST_LOOP = [
  0xe5992000, // ldr   r2, [r9]
  0xe5881000, // str   r1, [r8]
  0xe0811002, // add   r1, r1, r2
  0xe2566001, // subs  r6, r6, #1
  0x1afffffa, // bne   the ldr
  0xe12fff1b, // bx    r11
];

// The same in T32 (halfwords), the device store inside an IT block: the translation leaves in the middle of the IT
// block, whose ITSTATE the engine resumes with.
const THUMB_IT_LOOP = [
  0xf8d8, 0x1000, // ldr.w   r1, [r8]
  0x3101, //         adds    r1, #1
  0xf8c8, 0x1000, // str.w   r1, [r8]
  0xf011, 0x0f01, // tst.w   r1, #1
  0xbf14, //         ite     ne
  0xf8c9, 0x1008, // strne.w r1, [r9, #8]
  0xf8c8, 0x1004, // streq.w r1, [r8, #4]
  0x3e01, //         subs    r6, #1
  0xd1f1, //         bne     the ldr.w
  0x4758, //         bx      r11
];

function run(engine: 'translated' | 'dense' | 'handlers', program = PROGRAM): unknown {
  const mem = new TestMemory();
  if (program === MOVING_LOOP) mem.moveOn = DEVICE + 12;
  const words = new Uint32Array(mem.code.buffer).fill(NOP);
  const thumb = program === THUMB_IT_LOOP;
  if (thumb) new Uint16Array(mem.code.buffer).set(program, CODE / 2);
  else words.set(program, CODE / 4);
  words[EXIT / 4] = SVC;
  const cpu = new Cpu(mem);
  mem.cpu = cpu;
  cpu.translateAfter = engine === 'translated' ? 16 : Infinity;
  cpu.denseForm = engine !== 'handlers';
  Object.assign(cpu.r, { 6: 200, 7: DATA + 4092, 8: DATA, 9: DEVICE, 10: CODE, 11: EXIT });
  cpu.pc = cpu.next = CODE;
  cpu.thumb = thumb;
  const calls: string[] = [];
  let budget = 1;
  while (cpu.stop === null) {
    cpu.run(budget);
    budget = (budget * 7 + 3) % 97;
    if (cpu.retired > 900 && calls.length % 5 === 0) mem.moveData();
    calls.push(`${[...cpu.r.subarray(0, 15)].join()} pc ${cpu.pc} it ${cpu.it} thumb ${cpu.thumb} retired ${cpu.retired}`);
  }
  return { calls, stop: cpu.stop.kind, data: [...mem.data.subarray(0, 8)], device: mem.deviceLog, dataMisses: mem.dataMisses };
}

test('a translated block reads the page cache inline as the handlers read memory, and calls the memory only on a miss', () => {
  const reference = run('handlers');
  assert.deepEqual(run('dense'), reference);
  const before = translationStats.blocks;
  const translated = run('translated');
  assert.ok(translationStats.blocks > before, 'the block was not translated');
  assert.deepEqual(translated, reference);
});

test('a translated loop whose device access moves the page it reads and writes reaches the new copy in its next pass', () => {
  const reference = run('handlers', MOVING_LOOP);
  assert.deepEqual(run('dense', MOVING_LOOP), reference);
  assert.deepEqual(run('translated', MOVING_LOOP), reference);
});

for (const [name, program] of [
  ['an STM and an LDM straddling the data and device pages', STRADDLING_LOOP], ['a device load first', DEVICE_FIRST_LOOP],
  ['a device store inside a T32 IT block', THUMB_IT_LOOP],
] as const) {
  test(`a translated loop with ${name} leaves before each access the page cache misses, made once by the engine`, () => {
    const reference = run('handlers', program);
    assert.deepEqual(run('dense', program), reference);
    const before = translationStats.pure;
    const translated = run('translated', program);
    assert.ok(translationStats.pure > before, 'the loop was not translated as pure code');
    assert.deepEqual(translated, reference);
  });
}
