// Warming the dense executor (dense.ts) early in a CPU's first run. V8 optimizes `executeDense` within the first
// milliseconds of a kernel's boot, when the code run so far used a dozen of its forms; the optimized code then
// deoptimized at each form or path met for the first time later (an ADDS, a TST, the first Thumb code's paths...), and
// V8 compiled the whole function again: 6-11 times a boot of the Debian kernel, 20-40 ms each on its compiler thread,
// the function running unoptimized meanwhile. Running every form that touches neither memory nor the other CPUs once,
// on the CPU itself (so that V8 sees its class and no other), gives V8 their feedback before it compiles: 2-3 times.
// Once, and only after the CPU ran its first quantum: V8 records feedback only for a function already run, and more
// passes, or a pass before any real code, made the warm-up's flat mix of forms V8's profile of the loop (it then
// inlined other helpers and ran 5-10% slower once warm).
import type { Handler } from './alu';
import { DENSE_STRIDE, denseArm, executeDense } from './dense';
import type { CpuState } from './state';
import { denseThumb } from './dense-t32';

const AL = 0xe0000000;
/** Where the warming code pretends to be: above 2 GiB, where kernels run (addresses then exceed a small integer). */
const ARM_AT = 0xc0001000;
const THUMB_AT = 0xc0002000;

/** A32 words of the forms without memory accesses: straight-line code first, then one branch per run. */
function armWords(): { straight: number[]; branches: number[] } {
  const straight: number[] = [];
  for (let op = 0; op < 16; op++) {
    for (let s = 0; s < 2; s++) {
      if (op >= 8 && op <= 11 && s === 0) continue; // the miscellaneous instructions' space
      const base = AL | (op << 21) | (s << 20) | (2 << 16) | (1 << 12);
      // Immediates with and without a rotation (a carry out), Rn the PC, registers shifted by an immediate (each
      // type, RRX) and by a register.
      straight.push(base | 0x020000ff, base | 0x020004ff, base | 0x020f00ff, base | 3, base | (3 << 5) | 3);
      for (let type = 0; type < 4; type++) straight.push(base | (5 << 7) | (type << 5) | 3, base | (4 << 8) | (type << 5) | 0x10 | 3);
    }
  }
  straight.push(
    0xe3001234, 0xe3401234, 0xe28f1008, 0xe1a0100f, // MOVW, MOVT, ADR, MOV of the PC
    0x01a01002, 0x11a01002, // conditional: one passes, one does not
    0xe0010392, 0xe0214392, 0xe0110392, // MUL, MLA, MULS
    0xe0821394, 0xe0a21394, 0xe0c21394, 0xe0e21394, 0xe0921394, // UMULL, UMLAL, SMULL, SMLAL, UMULLS
    0xe6bf1f32, 0xe6bf1fb2, 0xe6ff1fb2, 0xe16f1f12, // REV, REV16, REVSH, CLZ
    0xe6af1072, 0xe6ff1472, 0xe7e41252, 0xe7a41252, // SXTB, UXTH with a rotation, UBFX, SBFX
    0xe10f1000, 0xee1d1f70, 0xee1d1f50, 0xee1d1f90, 0xee071f3b, // MRS, MRC TPIDRURO/URW/PRW, MCR DCCMVAU
    0xe320f000, 0xe6800f92, // NOP, and one left to its handler (SSAT)
  );
  // B, BL, BX, BLX (register), BLX (immediate).
  return { straight, branches: [0xea000000, 0xeb000000, 0xe12fff11, 0xe12fff31, 0xfa000000] };
}

/** T32 instructions (halfwords) of the forms only Thumb code uses, and the dense loop's Thumb paths. */
const THUMB: readonly (readonly number[])[] = [
  [0x3001], [0x1e48], [0x4008], [0x0008], [0x4348], [0xb2c0], [0xba08], [0x2800], // ADDS, SUBS, ANDS, MOVS, MULS, UXTB, REV, CMP
  [0xf3ef, 0x8100], [0xee1d, 0x1f70], [0xbf00], [0xb672], [0xb100], [0xb900], // MRS, MRC TPIDRURO, NOP, CPSID (a handler), CBZ (r0 = 0: taken), CBNZ
];

let warmed = false;

/** Runs the forms once on `c` (the first call in a process only), leaving its state as it was. */
export function warmDenseForms(c: CpuState): void {
  if (warmed) return;
  warmed = true;
  const saved = c.snapshot();
  const { next, stop } = c;
  const { straight, branches } = armWords();
  c.thumb = false;
  for (const words of [straight, ...branches.map((word) => [word])]) {
    const code = new Int32Array(words.length * DENSE_STRIDE);
    words.forEach((word, i) => denseArm(word >>> 0, ARM_AT + 4 * i, code, i * DENSE_STRIDE));
    run(c, code, ARM_AT, words.length, (i) => ARM_AT + 4 * i + 4, (i) => ARM_AT + 4 * i + 8);
  }
  for (let i = 0; i < THUMB.length; i++) {
    const [first, second = -1] = THUMB[i];
    const code = new Int32Array(DENSE_STRIDE);
    denseThumb(first, second, THUMB_AT, 0, code, 0);
    c.thumb = true;
    run(c, code, THUMB_AT, 1, () => THUMB_AT + (second < 0 ? 2 : 4), () => THUMB_AT + 4);
  }
  c.restore(saved);
  c.next = next;
  c.stop = stop;
}

const nothing: Handler = () => {};

function run(c: CpuState, code: Int32Array, start: number, count: number, fallthrough: (i: number) => number, pcValue: (i: number) => number): void {
  c.r.set([0, 0x12345679, -7, 0x80000001, 3, 0x1000]); // r1 odd: BX r1 goes to Thumb code
  c.setFlags(0x60000000);
  const handlers = Array.from({ length: count }, () => nothing); // packed, as a block's handlers are
  executeDense(c, code, 0, handlers, start, count, Uint32Array.from({ length: count }, (_, i) => fallthrough(i)),
    Int32Array.from({ length: count }, (_, i) => pcValue(i)));
}
