// The caller's registers at an instruction in the straight-line start of an A32 function (its prologue, or code
// before its first branch), by undoing what that code did to the stack: the EHABI tables describe a function after
// its prologue, so a stop inside the prologue (a step from a function breakpoint) needs this. Written from the ARM
// Architecture Reference Manual's A32 encodings of the instructions compilers put in prologues: PUSH (STMDB SP!),
// STR Rt, [SP, #-imm]!, SUB SP, SP, #imm, VPUSH (VSTMDB SP!), and LDR Rt, [SP], #imm (Linux's ftrace turns the
// `bl __gnu_mcount_nc` after `push {lr}` into `pop {lr}`).
import type { ReadWord } from './arm-exidx';

const SP = 13;
const LR = 14;
const PC = 15;
const ALWAYS = 0xe;

/** What one instruction did to the stack, to be undone. */
type StackEffect =
  | { readonly kind: 'push'; readonly mask: number }
  | { readonly kind: 'store'; readonly register: number; readonly bytes: number }
  | { readonly kind: 'grow'; readonly bytes: number }
  | { readonly kind: 'load'; readonly bytes: number };

const rotatedImmediate = (word: number): number => {
  const value = word & 0xff;
  const rotation = ((word >>> 8) & 0xf) * 2;
  return ((value >>> rotation) | (value << (32 - rotation))) >>> 0;
};

/** The stack effect of an instruction, null for one that leaves sp and the flow alone, undefined for a branch, a
 * write to pc or an sp change this does not undo. */
function effectOf(word: number): StackEffect | null | undefined {
  const cond = word >>> 28;
  if (cond === 0xf) return (word & 0xfe000000) === 0xfa000000 ? undefined : null; // BLX (immediate); other unconditional forms leave sp
  const rd = (word >>> 12) & 0xf;
  const rn = (word >>> 16) & 0xf;
  if ((word & 0x0e000000) === 0x0a000000) return undefined; // B, BL
  if ((word & 0x0ffffff0) === 0x012fff10 || (word & 0x0ffffff0) === 0x012fff30) return undefined; // BX, BLX (register)
  const blockTransfer = (word & 0x0e000000) === 0x08000000;
  if (blockTransfer && (word & 0x00108000) === 0x00108000) return undefined; // LDM with pc
  const singleTransfer = (word & 0x0c000000) === 0x04000000;
  if (singleTransfer && (word & 0x00100000) !== 0 && rd === PC) return undefined; // LDR pc
  const dataProcessing = (word & 0x0c000000) === 0 && (word & 0x0f900000) !== 0x01000000; // not the compare/misc space
  if (dataProcessing && rd === PC) return undefined;
  const always = cond === ALWAYS;
  if (always && (word & 0x0fff0000) === 0x092d0000) return { kind: 'push', mask: word & 0xffff };
  if (always && (word & 0x0fff0000) === 0x052d0000) return { kind: 'store', register: rd, bytes: word & 0xfff };
  if (always && (word & 0x0ffff000) === 0x024dd000) return { kind: 'grow', bytes: rotatedImmediate(word) };
  if (always && (word & 0x0fbf0e00) === 0x0d2d0a00) return { kind: 'grow', bytes: (word & 0xff) * 4 };
  if (always && (word & 0x0fff0000) === 0x049d0000) return { kind: 'load', bytes: word & 0xfff };
  // Anything else that writes sp: a data-processing result in it, a write-back to it as a base.
  if (dataProcessing && rd === SP) return undefined;
  if ((blockTransfer || singleTransfer || (word & 0x0e000000) === 0x0c000000) && rn === SP && (word & 0x00200000) !== 0) return undefined;
  if (singleTransfer && (word & 0x01000000) === 0 && rn === SP) return undefined; // post-indexed: always writes back
  if (singleTransfer && (word & 0x00100000) !== 0 && rd === SP) return undefined;
  const extraTransfer = (word & 0x0e000090) === 0x00000090 && (word & 0x60) !== 0; // LDRH, STRD, ...
  if (extraTransfer && rn === SP && ((word & 0x01000000) === 0 || (word & 0x00200000) !== 0)) return undefined;
  return null;
}

/** Instructions from a function's start this looks back over at most (a prologue is a few). */
export const MAX_PROLOGUE = 32;

/**
 * The caller's registers (r0-r15) at `regs[15]`, given the words from the function's first instruction up to it
 * (`code`, A32): what the instructions pushed is popped back, the stack's growth undone, the caller's pc the return
 * address in lr as restored. Undefined where that code branches (the function is past its start: its table applies),
 * changes sp otherwise, or is longer than MAX_PROLOGUE, or the stack cannot be read.
 */
export function undoPrologue(code: readonly number[], regs: readonly number[], read32: ReadWord): number[] | undefined {
  if (code.length > MAX_PROLOGUE) return undefined;
  const effects: StackEffect[] = [];
  for (const word of code) {
    const effect = effectOf(word);
    if (effect === undefined) return undefined;
    if (effect) effects.push(effect);
  }
  const caller = [...regs];
  let sp = regs[SP] >>> 0;
  const pop = (register: number): boolean => {
    const value = read32(sp);
    if (value === undefined) return false;
    caller[register] = value >>> 0;
    sp = (sp + 4) >>> 0;
    return true;
  };
  for (const effect of effects.reverse()) {
    if (effect.kind === 'push') {
      for (let r = 0; r < 16; r++) if (effect.mask & (1 << r) && !pop(r)) return undefined;
    } else if (effect.kind === 'store') {
      const value = read32(sp);
      if (value === undefined) return undefined;
      caller[effect.register] = value >>> 0;
      sp = (sp + effect.bytes) >>> 0;
    } else if (effect.kind === 'grow') sp = (sp + effect.bytes) >>> 0;
    else sp = (sp - effect.bytes) >>> 0; // a pop of what was pushed just before: the register holds the same value
  }
  caller[SP] = sp;
  caller[PC] = (caller[LR] & ~1) >>> 0;
  return caller;
}
