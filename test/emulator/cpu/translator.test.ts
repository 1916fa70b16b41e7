// Differential tests of the translator (emulator/cpu/translate.ts, emit.ts) against the interpreter: random A32 and
// T32 instruction streams looped until hot, every C program of test/emulator/cpu/programs (user mode), every bare-metal
// program of test/support/bare-metal-programs (system mode: MMU, exceptions, interrupts) and a stretch of Debian's kernel
// boot, run translated, interpreted from ARM blocks' dense form (dense.ts) and by the handlers alone (the reference),
// must end with equal registers, flags, memory, stop reasons and retired-instruction counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Cpu } from '../../../emulator/cpu/cpu';
import { DENSE_STRIDE, denseArm } from '../../../emulator/cpu/dense';
import { denseThumb } from '../../../emulator/cpu/dense-t32';
import { MemoryFault, type CpuMemory } from '../../../emulator/cpu/memory';
import { translationStats } from '../../../emulator/cpu/translate';
import { LinuxProcess } from '../../../emulator/linux/process';
import { Workspace } from '../../../emulator/linux/workspace';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../../support/toolchain';
import * as bareMetal from '../../support/bare-metal';
import { defaultMachine, platformMachine, runElf } from '../../../cli/run-elf';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { bootKernel } from '../../../emulator/machine/linux-boot';
import { SystemMachine } from '../../../emulator/machine/system';
import { loadPlatformDtb } from '../../../scenarios/platform';
import { ZIMAGE, imageOf } from '../../support/debian-kernel';

const RAM_SIZE = 0x100000;
/** Blocks are translated after this many instructions (not the default's 200,000): as much code as possible runs translated. */
const HOT = 16;

/**
 * Flat RAM at 0: anything beyond it faults (the translated code must leave the interpreter's state there too), and
 * writes to pages with decoded code drop it (random stores do hit the code).
 */
class FlatMemory implements CpuMemory {
  readonly bytes = new Uint8Array(RAM_SIZE);
  private readonly watchers = new Map<number, (pageNumber: number) => void>();
  private check(address: number, size: number, access: 'read' | 'write' | 'execute'): void {
    // The CPU passes addresses signed or unsigned (CpuMemory): above 2 GiB they are negative here.
    if ((address >>> 0) + size > RAM_SIZE) throw new MemoryFault(address >>> 0, access, 'outside the test RAM');
    if (access !== 'write') return;
    for (const page of new Set([address >>> 12, (address + size - 1) >>> 12])) {
      const invalidate = this.watchers.get(page);
      if (invalidate === undefined) continue;
      this.watchers.delete(page);
      this.writeTags[page] = page;
      invalidate(page);
    }
  }
  read8(a: number): number { this.check(a, 1, 'read'); return this.bytes[a]; }
  read16(a: number): number { this.check(a, 2, 'read'); return this.bytes[a] | (this.bytes[a + 1] << 8); }
  read32(a: number): number { this.check(a, 4, 'read'); return this.bytes[a] | (this.bytes[a + 1] << 8) | (this.bytes[a + 2] << 16) | (this.bytes[a + 3] << 24); }
  write8(a: number, v: number): void { this.check(a, 1, 'write'); this.bytes[a] = v; }
  write16(a: number, v: number): void { this.check(a, 2, 'write'); this.bytes[a] = v; this.bytes[a + 1] = v >>> 8; }
  write32(a: number, v: number): void { this.check(a, 4, 'write'); for (let i = 0; i < 4; i++) this.bytes[a + i] = v >>> (8 * i); }
  fetch16(a: number): number { this.check(a, 2, 'execute'); return this.bytes[a] | (this.bytes[a + 1] << 8); }
  fetch32(a: number): number { this.check(a, 4, 'execute'); return this.read32(a); }
  watchCode(pageNumber: number, invalidate: (pageNumber: number) => void): void {
    this.watchers.set(pageNumber, invalidate);
    if (pageNumber < RAM_SIZE >>> 12) this.writeTags[pageNumber] = -1;
    this.cacheEpoch++;
  }
  // Translated code accesses pages directly: any page of the RAM for reads, one without decoded code for writes.
  cacheEpoch = 0;
  readPageAt(a: number): Uint8Array {
    const page = (a >>> 12) * 4096;
    return this.bytes.subarray(page, Math.min(page + 4096, RAM_SIZE));
  }
  writePageAt(a: number): Uint8Array {
    return this.watchers.has(a >>> 12) ? new Uint8Array(0) : this.readPageAt(a);
  }
  // The same as a page cache (page-cache.ts) holding every page of the RAM (its 256 pages fill entries 0-255).
  readonly readTags = Int32Array.from({ length: 1024 }, (_, page) => (page < RAM_SIZE >>> 12 ? page : -1));
  readonly readPages = Array.from({ length: 1024 }, (_, page) => this.bytes.subarray(page * 4096, Math.min(page * 4096 + 4096, RAM_SIZE)));
  readonly writeTags = this.readTags.slice();
  readonly writePages = this.readPages;
  readonly readViews = this.readPages.map(() => new DataView(this.bytes.buffer));
  readonly readOffsets = Int32Array.from({ length: 1024 }, (_, page) => page * 4096);
  readonly writeViews = this.readViews;
  readonly writeOffsets = this.readOffsets;
}

function xorshift(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return x >>> 0;
  };
}

const CODE = 0x8000;

// Registers: r0-r7 take results, r8-r12 and SP are bases into the middle of the RAM (loads and stores mostly
// succeed, so that streams run long; a few still fault, which must stop both engines alike).
const pick = <T = number>(next: () => number, values: readonly T[]): T => values[next() % values.length];
const RESULTS = [0, 1, 2, 3, 4, 5, 6, 7];
const BASES = [8, 9, 10, 11, 12];

/**
 * An A32 long multiply (UMULL, UMLAL, SMULL, SMLAL, some setting flags, and UMAAL), SBFX/UBFX/BFI/BFC (fields within
 * the register: the others are UNPREDICTABLE) or LDR pc: POP {pc} (LDR pc, [sp], #4) or from a base with an offset
 * (the stack and the bases hold addresses in the loop), some conditional.
 */
function randomArmWideOrField(next: () => number): number {
  const cond = next() % 4 === 0 ? next() % 15 : 14;
  const rd = pick(next, RESULTS), rm = next() % 13, lsb = next() % 32;
  const insert = next() % 3 === 0;
  const top = insert ? lsb + (next() % (32 - lsb)) : next() % (32 - lsb);
  const body = [
    pick(next, [0x00800090, 0x00a00090, 0x00c00090, 0x00e00090, 0x00900090, 0x00400090]) | (pick(next, RESULTS) << 16) | (rd << 12) | ((next() % 13) << 8) | rm,
    insert ? 0x07c00010 | (top << 16) | (rd << 12) | (lsb << 7) | pick(next, [rm, 15]) : pick(next, [0x07a00050, 0x07e00050]) | (top << 16) | (rd << 12) | (lsb << 7) | rm,
    pick(next, [0x049df004, (0x05100000 | ((next() & 0x28) << 18) | (pick(next, BASES) << 16) | 0xf000 | (next() & 0xffc)) >>> 0]),
  ][next() % 3];
  return ((cond << 28) | body) >>> 0;
}

/** A32 words of the classes the translator emits inline (and some it does not), some conditional. */
function randomArm(next: () => number): number {
  const cond = next() % 4 === 0 ? next() % 15 : 14;
  const rd = pick(next, RESULTS), rn = next() % 13, rm = next() % 13, base = pick(next, BASES);
  const low = next() & 0xfff;
  const body = [
    (0x02 << 24) | ((next() & 0x1f) << 20) | (rn << 16) | (rd << 12) | low, // data processing, immediate
    (0x00 << 24) | ((next() & 0x1f) << 20) | (rn << 16) | (rd << 12) | (low & 0xf80) | ((next() & 3) << 5) | rm, // register, shifted
    (0x04 << 24) | ((next() & 0x1f) << 20) | (base << 16) | (rd << 12) | (low & 0x3ff), // LDR/STR immediate
    (0x07 << 24) | ((next() & 0x1d) << 20) | (base << 16) | (rd << 12) | pick(next, BASES), // LDR/STR register
    (0x01 << 24) | ((next() & 0x1d) << 20) | (base << 16) | (rd << 12) | 0x90 | ((next() % 3 + 1) << 5) | (low & 0xf0f), // LDRH...
    0x03000000 | ((next() & 4) << 20) | ((low << 4) & 0xf0000) | (rd << 12) | low, // MOVW/MOVT
    0x00000090 | ((next() & 0xf) << 20) | (rd << 16) | (pick(next, RESULTS) << 12) | (rn << 8) | rm, // multiplies
    0x0a000000 | ((next() & 1) << 24) | (next() % 4), // a short forward branch or BL
    0x08000000 | ((next() & 0x1b) << 20) | (base << 16) | (next() & 0x90ff), // LDM/STM (S = 0), some with the PC
    0x000000d0 | ((next() & 0x1e) << 20) | (base << 16) | ((next() % 4) * 2 << 12) | ((next() & 1) << 5) | (low & 0xf0f), // LDRD/STRD
    0x012fff10 | ((next() & 1) << 5) | (next() % 15), // BX/BLX (register)
    (0x00 << 24) | ((next() & 0x1f) << 20) | (rn << 16) | (rd << 12) | ((next() % 13) << 8) | ((next() & 3) << 5) | 0x10 | rm, // register, register-shifted
    0x06800070 | ((next() & 7) << 20) | (pick(next, [rn, 15]) << 16) | (rd << 12) | ((next() & 3) << 10) | rm, // SXTB... UXTAH
    pick(next, [0x016f0f10 | (rd << 12) | rm, 0x0320f000, 0x0320f001, 0x0320f014, 0x0e1d0f70 | (rd << 12), 0x0e1d0f50 | (rd << 12)]), // CLZ, NOP, YIELD, CSDB, MRC TPIDRURO/URW
    pick(next, [
      0x01900f9f | (base << 16) | (rd << 12), // LDREX
      0x01800f90 | (base << 16) | (rd << 12) | pick(next, [rm, rd, base]), // STREX (some UNPREDICTABLE: left to the handler)
      0x010f0000 | (rd << 12), // MRS CPSR
      pick(next, [0x06bf0f30, 0x06bf0fb0, 0x06ff0fb0]) | (rd << 12) | rm, // REV, REV16, REVSH
      0x0320f004, // SEV
      // CP15 in USR mode (UNDEFINED, or a barrier): TPIDRPRW, CTR, DCCMVAU, DMB.
      pick(next, [0x0e1d0f90, 0x0e100f30, 0x0e070f3b, 0x0e070fba]) | (rd << 12),
    ]),
    randomArmWideOrField(next) & 0x0fffffff,
    next(), // anything
  ][next() % 17];
  // Now and then one of the unconditional space: barriers and PLD (NOPs), CLREX.
  if (next() % 32 === 0) return pick(next, [0xf57ff04f, 0xf57ff05b, 0xf57ff06f, (0xf5d0f000 | (base << 16)) >>> 0, 0xf57ff01f]);
  return ((cond << 28) | (body & 0x0fffffff)) >>> 0;
}

/**
 * A T32 long multiply (SMULL, UMULL, SMLAL, UMLAL), SBFX/UBFX/BFI/BFC (BFC: Rn = 15), their fields within the
 * register, or LDR.W pc: POP {pc} (LDR pc, [sp], #4), or from a base with an offset.
 */
function randomThumbWideOrField(next: () => number): number[] {
  const rd = pick(next, [0, 1, 2, 3, 12]), rn = next() % 13, base = pick(next, BASES);
  const op = pick(next, [0xf340, 0xf3c0, 0xf360]), lsb = next() % 32;
  const top = op === 0xf360 ? lsb + (next() % (32 - lsb)) : next() % (32 - lsb);
  return [
    [0xfb80 | (pick(next, [0, 2, 4, 6]) << 4) | rn, (pick(next, [0, 1, 2, 3]) << 12) | (rd << 8) | (next() % 13)],
    [op | (op === 0xf360 ? pick(next, [rn, 15]) : rn), ((lsb & 0x1c) << 10) | (rd << 8) | ((lsb & 3) << 6) | top],
    pick(next, [[0xf85d, 0xfb04], [0xf8d0 | base, 0xf000 | (next() & 0xffc)], [0xf850 | base, 0xf000 | pick(next, [0xd00, 0xf00, 0xb00, 0x900]) | (next() & 0xfc)]]),
  ][next() % 3];
}

/** T32 halfwords (one or two) of the classes the translator emits inline, and a few others. */
function randomThumb(next: () => number): number[] {
  const low = (): number => next() % 8;
  const result = (): number => next() % 4; // r0-r3 take results, r4-r7 stay bases
  const lowBase = (): number => 4 + (next() % 4);
  const rd = pick(next, [0, 1, 2, 3, 12]), rn = next() % 13, base = pick(next, BASES);
  const forms = [
    () => [((next() % 3) << 11) | ((next() & 31) << 6) | (low() << 3) | result()], // shifts by an immediate
    () => [0x1800 | (next() & 0x600) | (low() << 6) | (low() << 3) | result()], // ADD/SUB (register, imm3)
    () => [0x2000 | ((next() & 3) << 11) | (result() << 8) | (next() & 0xff)], // MOV/CMP/ADD/SUB imm8
    () => [0x4000 | ((next() & 15) << 6) | (low() << 3) | result()], // data processing (register)
    () => [0x4400 | ((next() & 3) << 8) | pick(next, [0x00, 0x01, 0x02, 0x03, 0x84]) | (pick(next, [0, 3, 8, 12, 13, 14, 15]) << 3)], // high registers, BX/BLX
    () => [0x5000 | ((next() & 7) << 9) | (lowBase() << 6) | (lowBase() << 3) | result()], // load/store (register)
    () => [0x6000 | ((next() & 0x1f) << 11 & 0x3800) | ((next() & 31) << 6) | (lowBase() << 3) | result()], // load/store imm5
    () => [0x9000 | ((next() & 1) << 11) | (result() << 8) | (next() & 0xff)], // SP-relative
    () => [0xb200 | ((next() & 3) << 6) | (low() << 3) | result()], // extends
    () => [0xbf00 | ((next() % 14) << 4) | (1 + (next() % 15))], // IT
    () => [0xd000 | ((next() % 14) << 8) | (next() % 4)], // B<cond>, short and forward
    () => [0xea00 | (next() & 0x1ff & ~0xf) | rn, ((next() & 0x70ff) & ~0x0f00) | (rd << 8)], // shifted register
    () => [0xf000 | (next() & 0x5e0) | (next() & 0x10) | rn, ((next() & 0x70ff) & ~0x0f00) | (rd << 8)], // modified immediate
    () => [0xf200 | (pick(next, [0x000, 0x040, 0x0a0, 0x0c0]) << 0) | (next() & 0x40f), ((next() & 0x70ff) & ~0x0f00) | (rd << 8)], // MOVW...
    () => [0xf800 | (next() & 0x1f0) | base, (result() << 12) | pick(next, [next() & 0x3ff, 0x800 | (next() & 0x7ff), pick(next, BASES)])],
    () => [0xb400 | ((next() & 1) << 11) | (next() & 0x1ff)], // PUSH/POP
    () => [0xc000 | ((next() & 1) << 11) | (lowBase() << 8) | (next() & 0xff)], // LDMIA/STMIA
    () => [0xe800 | pick(next, [0x80, 0x100]) | (next() & 0x30) | base, next() & 0x5fff], // LDM/STM (IA, DB)
    () => [0xfb00 | rn, 0xf000 | (rd << 8) | (next() & 0x1f)], // MUL/MLA/MLS
    () => [0xfa00 | ((next() & 7) << 4) | pick(next, [rn, 15]), 0xf080 | (rd << 8) | ((next() & 3) << 4) | (next() % 13)], // extends (32-bit)
    () => [0xe840 | pick(next, [0x100, 0x120, 0x020, 0x180, 0x1a0, 0x0a0]) | (next() & 0x10) | base, (result() << 12) | (result() << 8) | (next() & 0xff)], // LDRD/STRD
    () => [0xbd00 | (next() & 0xff)], // POP with the PC
    () => [0xb100 | (next() & 0x0a00) | ((next() & 31) << 3) | low()], // CBZ, CBNZ
    () => [0x4800 | (result() << 8) | (next() & 0x1f)], // LDR (literal)
    () => [pick(next, [0xf8df, 0xf85f, 0xf89f, 0xf9bf, 0xf8bf]), (result() << 12) | (next() & 0x3f)], // LDR.W... (literal)
    () => pick(next, [[0xa000 | (result() << 8) | (next() & 0xff)], [pick(next, [0xf20f, 0xf2af]), (result() << 8) | (next() & 0x70ff)]]), // ADR
    () => pick(next, [[0xb000 | (next() & 0x8f)], [0xa800 | (result() << 8) | (next() & 0xff)]]), // ADD/SUB SP, ADD Rd, SP
    () => [0xf000, pick(next, [0xf800, 0x9000, 0x8000, 0xe800]) | (next() % 16)], // BL, B.W, BEQ.W, BLX, short and forward
    () => [0xf000 | ((next() % 14) << 6), 0x8000 | (next() % 16)], // B<cond>.W
    () => [0xee1d, pick(next, [0x0f70, 0x0f50]) | (result() << 12)], // MRC TPIDRURO, TPIDRURW
    () => pick(next, [
      [0xe850 | base, (result() << 12) | 0x0f00 | (next() & 3)], // LDREX
      [0xe840 | base, (result() << 12) | (result() << 8) | (next() & 3)], // STREX (Rd = Rt: left to the handler)
      [0xba00 | ((next() & 3) << 6) | (low() << 3) | result()], // REV, REV16, REVSH (and HLT)
      [0xfb80 | (pick(next, [0, 2, 4, 6]) << 4) | rn, (result() << 12) | (result() << 8) | (next() % 13)], // SMULL, UMULL, SMLAL, UMLAL
      [0xbf40], // SEV
      [0xf3ef, 0x8000 | (result() << 8)], // MRS CPSR
      [pick(next, [0xee1d, 0xee10, 0xee07]), pick(next, [0x0f90, 0x0f30, 0x0f3b, 0x0fba]) | (result() << 12)], // CP15 in USR mode
    ]),
    () => randomThumbWideOrField(next),
    () => [next() & 0xffff, next() & 0xffff], // anything
  ];
  const halfwords = forms[next() % forms.length]();
  if (halfwords.length === 2 && (halfwords[0] & 0xf800) < 0xe800) halfwords.pop();
  return halfwords;
}

/** CBZ/CBNZ, TBB/TBH and the 32-bit branches. */
function isIt(halfwords: readonly number[]): boolean {
  return halfwords.length === 1 && (halfwords[0] & 0xff00) === 0xbf00 && (halfwords[0] & 0xf) !== 0;
}

/** An instruction that may branch: inside an IT block, UNPREDICTABLE unless last (B T1 and CBZ/CBNZ always are). */
function isThumbBranch(halfwords: readonly number[]): boolean {
  if (halfwords.length === 1) {
    const h = halfwords[0];
    // CBZ/CBNZ, B<cond> (T1), B (T2), BX/BLX, POP with the PC.
    return (h & 0xf500) === 0xb100 || ((h & 0xf000) === 0xd000 && (h & 0x0e00) !== 0x0e00) || (h & 0xf800) === 0xe000 ||
      (h & 0xff00) === 0x4700 || (h & 0xff00) === 0xbd00;
  }
  // TBB/TBH, B.W/BL/BLX, LDR.W pc.
  return halfwords[0] === 0xe8df || ((halfwords[0] & 0xf800) === 0xf000 && (halfwords[1] & 0x8000) !== 0) ||
    ((halfwords[0] & 0xff50) === 0xf850 && (halfwords[1] & 0xf000) === 0xf000);
}

interface Outcome {
  /** Registers, CPSR, PC and retired count after each call of `run` (every engine stops where the handlers do). */
  readonly calls: string[];
  readonly registers: number[];
  readonly cpsr: number;
  readonly pc: number;
  readonly it: number;
  readonly retired: number;
  readonly ran: number;
  readonly stop: string;
  readonly memory: Uint8Array;
}

/** How a stream runs: hot blocks translated, or all interpreted from ARM blocks' dense form, or by the handlers. */
type Engine = 'translated' | 'dense' | 'handlers';

function runStream(code: Uint8Array, thumb: boolean, seed: number, engine: Engine): Outcome {
  const mem = new FlatMemory();
  mem.bytes.set(code, CODE);
  const cpu = new Cpu(mem);
  cpu.translateAfter = engine === 'translated' ? HOT : Infinity;
  cpu.denseForm = engine !== 'handlers';
  const next = xorshift(seed);
  for (let i = 0; i < 8; i++) cpu.r[i] = next() % 2 === 0 ? next() | 0 : next() % 64;
  for (let i = 4; i < 8; i++) if (thumb) cpu.r[i] = 0x20000 + (next() % 0x8000);
  for (let i = 8; i < 13; i++) cpu.r[i] = 0x40000 + (next() % 0x8000);
  cpu.r[13] = 0x60000;
  // Where LDR pc loads from (the stack, and the bases' areas): addresses of the loop's instructions, mostly in the
  // stream's own instruction set, now and then in the other (ARM words then run as Thumb code, and the reverse).
  for (const area of [0x60000, 0x40000, 0x20000]) {
    for (let a = area; a < area + 0x9000; a += 4) mem.write32(a, CODE + 4 * (next() % 4) + ((thumb ? next() % 8 !== 0 : next() % 8 === 0) ? 1 : 0));
  }
  cpu.thumb = thumb;
  cpu.pc = cpu.next = CODE;
  cpu.setFlags(next());
  cpu.tpidruro = next() | 0;
  cpu.tpidrurw = next() | 0;
  let ran = 0;
  const calls: string[] = [];
  // Several calls with uneven budgets, single steps first: blocks must stop exactly where the handlers would.
  for (const budget of [1, 1, 2, 3, 5, 700, 1, 333, 2000, 17, 4000]) {
    if (cpu.stop !== null) break;
    ran += cpu.run(budget);
    calls.push(`${[...cpu.r.subarray(0, 15)].join()} cpsr ${cpu.cpsr} pc ${cpu.pc} retired ${cpu.retired}`);
  }
  const stop = cpu.stop === null ? 'none' : JSON.stringify({ ...cpu.stop, cause: undefined });
  return { calls, registers: [...cpu.r.subarray(0, 15)], cpsr: cpu.cpsr, pc: cpu.pc, it: cpu.it, retired: cpu.retired, ran, stop, memory: mem.bytes };
}

/**
 * Runs `halfwords` and a branch back to their start by the handlers, from the dense form and translated: the same
 * states after each call of `run` and at the end (returned: the translated run's).
 */
function checkLoopedStream(halfwords: number[], thumb: boolean, seed: number, where: string): Outcome {
  // Back to the start: B (A32) or B.W (T32).
  const offset = -(halfwords.length * 2) - (thumb ? 4 : 8);
  if (thumb) {
    const imm = (offset >> 1) & 0xffffff;
    const s = (offset >>> 31) & 1;
    const i1 = (imm >>> 22) & 1, i2 = (imm >>> 21) & 1;
    halfwords.push(0xf000 | (s << 10) | ((imm >>> 11) & 0x3ff), 0x9000 | ((1 - (i1 ^ s)) << 13) | ((1 - (i2 ^ s)) << 11) | (imm & 0x7ff));
  } else {
    const w = (0xea000000 | ((offset >> 2) & 0xffffff)) >>> 0;
    halfwords.push(w & 0xffff, w >>> 16);
  }
  const code = new Uint8Array(Uint16Array.from(halfwords).buffer);
  const reference = runStream(code, thumb, seed, 'handlers');
  const stream = `${where}: ${Array.from(halfwords, (h) => h.toString(16).padStart(4, '0')).join(' ')}`;
  let translated = reference;
  for (const engine of ['dense', 'translated'] as const) {
    const outcome = runStream(code, thumb, seed, engine);
    assert.deepEqual({ ...outcome, memory: undefined }, { ...reference, memory: undefined }, `${engine}, ${stream}`);
    assert.ok(Buffer.from(outcome.memory).equals(Buffer.from(reference.memory)), `${engine}, ${stream}: memory differs`);
    translated = outcome;
  }
  return translated;
}

for (const thumb of [false, true]) {
  test(`random ${thumb ? 'T32' : 'A32'} streams, looped: translated, dense and handler runs end in the same state`, () => {
    const next = xorshift(thumb ? 0x1234567 : 0x7654321);
    const before = translationStats.inlined;
    let translatedRuns = 0;
    let dense = 0, words = 0;
    for (let stream = 0; stream < 400; stream++) {
      const halfwords: number[] = [];
      const length = 4 + (next() % 20);
      let itLeft = 0;
      for (let i = 0; i < length; i++) {
        if (thumb) {
          let instruction = randomThumb(next);
          // Branches inside an IT block are UNPREDICTABLE (B T1 and CBZ anywhere in it, the others unless last), as
          // is an IT in it: the engines may differ there, so NOPs instead.
          if (itLeft > 0 && (isThumbBranch(instruction) || isIt(instruction))) instruction = [0xbf00];
          itLeft = isIt(instruction) ? 4 - (31 - Math.clz32(instruction[0] & -instruction[0] & 0xf)) : Math.max(0, itLeft - 1);
          halfwords.push(...instruction);
          words++;
          if (denseThumb(instruction[0], instruction.length === 2 ? instruction[1] : -1, CODE, 0, new Int32Array(DENSE_STRIDE), 0)) dense++;
        } else {
          const w = randomArm(next);
          halfwords.push(w & 0xffff, w >>> 16);
          words++;
          if (denseArm(w, CODE, new Int32Array(DENSE_STRIDE), 0)) dense++;
        }
      }
      // The branch back that closes the loop may end an IT block, not come in its middle.
      for (; itLeft > 1; itLeft--) halfwords.push(0xbf00);
      if (checkLoopedStream(halfwords, thumb, next() | 1, `stream ${stream}`).ran > 100) translatedRuns++;
    }
    // The test means something only if streams ran long, and the emitter and the dense form took part.
    assert.ok(translatedRuns > 50, `only ${translatedRuns} streams ran long`);
    assert.ok(translationStats.inlined > before, 'no instruction was emitted inline');
    assert.ok(dense > words / 2, `only ${dense} of ${words} instructions have a dense form`);
  });
}

// The forms a kernel's hot blocks hold besides the common ones (long multiplies, bitfields, POP {pc} as LDR), two in
// three instructions, among the other random ones: their blocks run translated as pure code far more often.
for (const thumb of [false, true]) {
  test(`random ${thumb ? 'T32' : 'A32'} long multiplies, bitfield instructions and LDR pc, looped: translated, dense and handler runs alike`, () => {
    const next = xorshift(thumb ? 0x2468ace : 0xeca8642);
    const before = translationStats.pure;
    for (let stream = 0; stream < 200; stream++) {
      const halfwords: number[] = [];
      const length = 2 + (next() % 8);
      for (let i = 0; i < length; i++) {
        if (thumb) {
          const instruction = next() % 3 !== 0 ? randomThumbWideOrField(next) : randomThumb(next);
          halfwords.push(...(isIt(instruction) ? [0xbf00] : instruction));
        } else {
          const w = next() % 3 !== 0 ? randomArmWideOrField(next) : randomArm(next);
          halfwords.push(w & 0xffff, w >>> 16);
        }
      }
      checkLoopedStream(halfwords, thumb, next() | 1, `stream ${stream}`);
    }
    assert.ok(translationStats.pure > before + 30, `only ${translationStats.pure - before} pure translations`);
  });
}

// A loop whose pointer walks off the end of the RAM, a page at a time or less: the translated block loops in its own
// function, across calls of uneven budgets (some ending mid-pass), through its direct accesses' page changes, until
// the load or the store of its Nth pass faults, where it must leave exactly the interpreter's state.
const WALKING_LOOPS: readonly { readonly name: string; readonly thumb: boolean; readonly halfwords: readonly number[]; readonly access: 'read' | 'write' }[] = [
  // eor r2, r2, r2, lsl #13; strb r2, [r8, #4095]!; ldr r3, [r9, #2044]!; adds r1, r1, r3: the store faults first.
  { name: 'A32, the store faults', thumb: false, halfwords: [0x2682, 0xe022, 0x2fff, 0xe5e8, 0x37fc, 0xe5b9, 0x1003, 0xe091], access: 'write' },
  // ldr r3, [r9, #4092]!; strb r2, [r8, #1]!: the load faults first.
  { name: 'A32, the load faults', thumb: false, halfwords: [0x3ffc, 0xe5b9, 0x2001, 0xe5e8], access: 'read' },
  // eor.w r2, r2, r2, lsl #13; strb.w r2, [r8, #255]!; add.w r8, r8, #1024; ldr.w r3, [r9, #252]!; adds r1, r1, r3.
  { name: 'T32, the store faults', thumb: true, halfwords: [0xea82, 0x3242, 0xf808, 0x2fff, 0xf508, 0x6880, 0xf859, 0x3ffc, 0x18c9], access: 'write' },
  // ldr.w r3, [r9, #252]!; add.w r9, r9, #1024; strb.w r2, [r8, #1]!.
  { name: 'T32, the load faults', thumb: true, halfwords: [0xf859, 0x3ffc, 0xf509, 0x6980, 0xf808, 0x2f01], access: 'read' },
];

for (const loop of WALKING_LOOPS) {
  test(`a translated loop faulting in its Nth pass (${loop.name}) leaves the interpreter's state`, () => {
    const before = translationStats.blocks;
    const outcome = checkLoopedStream([...loop.halfwords], loop.thumb, 0x5eed, loop.name);
    assert.match(outcome.stop, new RegExp(`"kind":"fault".*"access":"${loop.access}"`));
    assert.ok(outcome.ran > 500, `the loop ran ${outcome.ran} instructions only`);
    assert.ok(translationStats.blocks > before, 'the loop was not translated');
  });
}

// Streams of data processing only (some conditional, some setting flags), which the emitter writes inline: their
// blocks keep registers and flags in locals, where an add's or a subtract's C and V are left pending.
test('A32 instructions reading or loading the PC, and field extracts, run alike by the handlers, from the dense form and translated', () => {
  // The dense form reads R15 as a constant where it can (MOV, ADR), sets it where an operand or access may be the PC.
  const words = [
    0xe7a601d1, // SBFX r0, r1, #3, #7
    0xe7ef2053, // UBFX r2, r3, #0, #16
    0xe7e04fd5, // UBFX r4, r5, #31, #1
    0xe1a0000f, // MOV r0, pc
    0xe28f1008, // ADD r1, pc, #8
    0xe24f2004, // SUB r2, pc, #4
    0xe35f0000, // CMP pc, #0
    0xe150000f, // CMP r0, pc
    0xe08f3101, // ADD r3, pc, r1, LSL #2
    0xe51f4004, // LDR r4, [pc, #-4]
    0xe38f5001, // ORR r5, pc, #1
    0xe528f004, // STR pc, [r8, #-4]!
    0xe8898001, // STMIA r9, {r0, pc}
    0xe14f60d8, // LDRD r6, r7, [pc, #-8]
    0xe1b0700f, // MOVS r7, pc
    0xe093300f, // ADDS r3, r3, pc
    0xe59af000, // LDR pc, [r10]: to what r10 points at (0: the zeros there run on)
  ];
  checkLoopedStream(words.flatMap((w) => [w & 0xffff, w >>> 16]), false, 0x5eed, 'PC readers, field extracts');
});

test('T32 table branches, CBZ/CBNZ, literal loads, ADR and IT blocks: translated, dense and handler runs alike', () => {
  const halfwords = [
    0x2101, // MOVS r1, #1
    0xe8df, 0xf001, // TBB [pc, r1]: to 0x800a
    0x0201, 0xbf00, // the table; NOP
    0x2202, // MOVS r2, #2
    0xe8df, 0xf012, // TBH [pc, r2]: to 0x8016
    0x0000, 0x0000, 0x0003, // the table
    0xb108, // CBZ r0, 0x801c
    0x3301, // ADDS r3, #1
    0xbf00, // NOP
    0xb903, // CBNZ r3, 0x8020
    0xbf00, // NOP
    0x4c01, // LDR r4, [pc, #4]: Align(PC, 4) + 4
    0xf85f, 0x5008, // LDR.W r5, [pc, #-8]
    0xbf08, 0x3601, // IT EQ; ADDEQ r6, #1 (no flags)
    0xbfcc, 0x460f, 0x4617, // ITE GT; MOVGT r7, r1; MOVLE r7, r2
    0xa002, // ADR r0, #8
    0x6800, // LDR r0, [r0]
  ];
  checkLoopedStream(halfwords, true, 0x5eed, 'T32 table branches');
  checkLoopedStream(halfwords, true, 0xfeed, 'T32 table branches');
});

test('interworking by BLX (immediate) and BX PC: translated, dense and handler runs alike', () => {
  const arm = (w: number): number[] => [w & 0xffff, w >>> 16];
  const halfwords = [
    ...arm(0xe3a00001), // MOV r0, #1
    ...arm(0xfa000000), // BLX 0x800c (Thumb)
    ...arm(0xe1a00000), // NOP
    0x3001, // ADDS r0, #1
    0xbf00, // NOP
    0x4778, // BX PC: to 0x8014 (ARM)
    0xbf00,
    ...arm(0xe2800002), // ADD r0, r0, #2
  ];
  const outcome = checkLoopedStream(halfwords, false, 0x5eed, 'interworking');
  assert.deepEqual([outcome.registers[0], outcome.registers[14], outcome.retired > 1000], [4, 0x8008, true]);
});

test('interworking by LDR pc, [sp], #4 (POP {pc}) from A32 into Thumb code: translated, dense and handler runs alike', () => {
  const arm = (w: number): number[] => [w & 0xffff, w >>> 16];
  const before = translationStats.pure;
  const halfwords = [
    ...arm(0xe3a00001), // MOV r0, #1
    ...arm(0xe3081011), // MOVW r1, #0x8011
    ...arm(0xe52d1004), // STR r1, [sp, #-4]!
    ...arm(0xe49df004), // LDR pc, [sp], #4: to 0x8010 (Thumb)
    0x3001, // ADDS r0, #1
    0xbf00, // NOP
    0x4778, // BX PC: to 0x8018 (ARM)
    0xbf00,
    ...arm(0xe2800002), // ADD r0, r0, #2
  ];
  const outcome = checkLoopedStream(halfwords, false, 0x5eed, 'interworking by LDR pc');
  assert.deepEqual([outcome.registers[1], outcome.registers[13], outcome.retired > 1000], [0x8011, 0x60000, true]);
  assert.ok(translationStats.pure > before, 'the block of the LDR pc was not translated as pure code');
});

// A hot block is decoded again past its branches (for its translation), and the engines see a taken branch by its
// target alone: an exchange to the very next address must still end the block, or ARM words would run on as Thumb.
test('interworking by BX to the address that follows, in the Nth pass of a hot loop: translated, dense and handler runs alike', () => {
  const arm = (w: number): number[] => [w & 0xffff, w >>> 16];
  const halfwords = [
    ...arm(0xe2800001), // ADD r0, r0, #1
    ...arm(0xe200203f), // AND r2, r0, #63
    ...arm(0xe3520028), // CMP r2, #40: equal within 64 passes, whatever r0 started at
    ...arm(0x028f1001), // ADDEQ r1, pc, #1: 0x8015
    ...arm(0x012fff11), // BXEQ r1: to 0x8014 in Thumb state, the loop's B back run as Thumb code
  ];
  for (const seed of [0x5eed, 0xfeed]) {
    const outcome = checkLoopedStream(halfwords.slice(), false, seed, 'exchange to the fall-through');
    assert.equal(outcome.cpsr & 0x20, 0x20, 'the loop ends in Thumb state');
  }
});

// LDREX/STREX pairs on two bases, with what moves a base or clears the monitor between them: the stores succeed and
// fail as the handlers' monitor says (random streams rarely pair an LDREX with a STREX to its address).
test('random A32 and T32 exclusives, looped: the monitor and the status registers as the handlers leave them', () => {
  const next = xorshift(0x13579b);
  for (const thumb of [false, true]) {
    let stores = 0;
    for (let stream = 0; stream < 120; stream++) {
      const halfwords: number[] = [];
      const length = 3 + (next() % 8);
      for (let i = 0; i < length; i++) {
        const base = pick(next, [8, 9]), rd = next() % 4, rt = 4 + (next() % 4);
        const choice = next() % 6;
        if (choice <= 2) stores++;
        if (thumb) {
          halfwords.push(...[
            [0xe840 | base, (rt << 12) | (rd << 8)], // STREX rd, rt, [base]
            [0xe840 | base, (rt << 12) | (rd << 8) | 1], // STREX rd, rt, [base, #4]
            [0xe840 | base, (rt << 12) | (rd << 8)],
            [0xe850 | base, (rt << 12) | 0x0f00 | (next() & 1)], // LDREX rt, [base(, #4)]
            [0xf108 | (base & 1), (base << 8) | 4], // ADD base, base, #4
            pick(next, [[0xf3bf, 0x8f2f], [0xf8c0 | base, rt << 12]]), // CLREX, STR rt, [base]
          ][choice]);
        } else {
          const word = [
            0xe1800f90 | (base << 16) | (rd << 12) | rt, // STREX rd, rt, [base]
            0xe1800f90 | (base << 16) | (rd << 12) | rt,
            0xe1800f90 | (base << 16) | (rd << 12) | rt,
            0xe1900f9f | (base << 16) | (rt << 12), // LDREX rt, [base]
            0xe2800004 | (base << 16) | (base << 12), // ADD base, base, #4
            pick(next, [0xf57ff01f, 0xe5800000 | (base << 16) | (rt << 12)]), // CLREX, STR rt, [base]
          ][choice] >>> 0;
          halfwords.push(word & 0xffff, word >>> 16);
        }
      }
      checkLoopedStream(halfwords, thumb, next() | 1, `${thumb ? 'T32' : 'A32'} exclusives ${stream}`);
    }
    assert.ok(stores > 100);
  }
});

test('random A32 data processing, looped: blocks with their flags in locals end in the same state', () => {
  const next = xorshift(0x2468ace);
  for (let stream = 0; stream < 300; stream++) {
    const halfwords: number[] = [];
    const length = 2 + (next() % 8);
    for (let i = 0; i < length; i++) {
      const cond = next() % 3 === 0 ? next() % 14 : 14;
      const operand = next() % 2 === 0 ? 0x02000000 | (next() & 0xfff) : ((next() & 0xf80) | ((next() & 3) << 5) | (next() % 13));
      const w = ((cond << 28) | operand | ((next() & 0x1f) << 20) | ((next() % 13) << 16) | (pick(next, RESULTS) << 12)) >>> 0;
      halfwords.push(w & 0xffff, w >>> 16);
    }
    checkLoopedStream(halfwords, false, next() | 1, `stream ${stream}`);
  }
});

test('random A32 flag setters on edge values, each followed by conditional instructions: conditions on pending flags as the handlers have them', () => {
  // Operands where the conditions differ from their neighbours: equal values, borrows, signed overflows, zero.
  const edges = [0xe3a00000, 0xe3a00001, 0xe3a00102, 0xe3e00000, 0xe3e00102, 0xe3a00002]; // MOV #0, #1, #0x80000000; MVN #0, #0x80000000; MOV #2
  const next = xorshift(0x5eed);
  let conditionals = 0;
  // CMP setting V every other pass (r6 alternates between 0x80000000 and 0), then MOVS with a shifter carry (C set,
  // V as the CMP left it), then ADDVS: V survives MOVS, also into the state the block leaves.
  const overflowThenCarry = [0xe3a01001, 0xe2066102, 0xe2266102, 0xe1560001, 0xe1b02081, 0x62855001];
  for (let seed = 1; seed <= 4; seed++) checkLoopedStream(overflowThenCarry.flatMap((w) => [w & 0xffff, w >>> 16]), false, seed, 'CMP, MOVS LSL');
  for (let stream = 0; stream < 1000; stream++) {
    const words: number[] = [];
    for (let rd = 0; rd < 4; rd++) words.push(pick(next, edges) | (rd << 12));
    for (let round = 0; round < 3; round++) {
      // Any data-processing opcode with S (the tests compare), register operands r0-r3, some shifted (a logical
      // one then sets C from the shifter and leaves V); now and then conditional.
      const cond = next() % 4 === 0 ? next() % 14 : 14;
      const shift = next() % 3 === 0 ? (next() & 0xf80) | ((next() & 3) << 5) : 0;
      words.push((cond << 28) | ((next() & 15) << 21) | 0x100000 | ((next() % 4) << 16) | ((next() % 4) << 12) | shift | (next() % 4));
      for (let i = 1 + (next() % 3); i > 0; i--, conditionals++) {
        const rd = 4 + (next() % 4);
        // MOV<c> rd, #k or ADD<c> rd, rd, #k
        words.push((next() % 14 << 28) | (next() % 2 === 0 ? 0x03a00000 : 0x02800000 | (rd << 16)) | (rd << 12) | (1 + (next() % 255)));
      }
    }
    checkLoopedStream(words.flatMap((w) => [w & 0xffff, w >>> 16]), false, next() | 1, `stream ${stream}`);
  }
  assert.ok(conditionals > 1000);
});

test('a translated loop that starts storing into its own code runs the new instruction in its next pass', () => {
  const words = [
    0xe3088024, // movw r8, #0x8024: the ADD below
    0xe3004000, 0xe34e4280, // movw r4, #0; movt r4, #0xe280: ADD r0, r0, #0
    0xe3a02000, // mov r2, #0
    0xe20230ff, 0xe1833004, // loop: and r3, r2, #0xff; orr r3, r3, r4: ADD r0, r0, #(r2 & 0xff)
    0xe2822001, 0xe3520028, // add r2, r2, #1; cmp r2, #40
    0xc5883000, // strgt r3, [r8]: from the 40th pass on (the loop is translated by then)
    0xe2800001, // add r0, r0, #1 (rewritten)
    0xe3520064, 0xbafffff7, // cmp r2, #100; blt loop
  ];
  const outcome = checkLoopedStream(words.flatMap((w) => [w & 0xffff, w >>> 16]), false, 7, 'self-modifying loop');
  assert.ok(outcome.retired > 5000);
});

const PROGRAMS = join(ROOT, 'test', 'emulator', 'cpu', 'programs');

function runProgram(program: string, engine: Engine): { output: string; outcome: string; registers: number[]; retired: number } {
  let output = '';
  const machine = defaultMachine();
  const proc = new LinuxProcess(readFileSync(program), {
    bus: machine.bus, frames: machine.frames, workspace: new Workspace(ROOT), argv: ['/program', 'first', 'with space', ''], env: [],
    stdout: (d) => { output += Buffer.from(d).toString(); }, stderr: (d) => { output += Buffer.from(d).toString(); },
  });
  proc.cpu.translateAfter = engine === 'translated' ? HOT : Infinity;
  proc.cpu.denseForm = engine !== 'handlers';
  const outcome = proc.run(5e8);
  return { output, outcome: JSON.stringify(outcome), registers: [...proc.cpu.r], retired: proc.cpu.retired };
}

for (const variant of VARIANTS) {
  const skip = toolchainAvailable(variant) ? false : `${variant.compiler} is not installed`;
  for (const file of readdirSync(PROGRAMS).filter((f) => f.endsWith('.c')).sort()) {
    test(`${file} (${variant.name}): translated, dense and handler runs print, retire and end alike`, { skip }, () => {
      const program = compile(join(PROGRAMS, file), variant);
      const reference = runProgram(program, 'handlers');
      assert.deepEqual(runProgram(program, 'dense'), reference);
      assert.deepEqual(runProgram(program, 'translated'), reference);
    });
  }
}

const bareMetalSkip = bareMetal.toolsMissing();
for (const file of readdirSync(bareMetal.PROGRAMS).filter((f) => f.endsWith('.c') && f !== 'runtime.c').sort()) {
  test(`${file} (bare metal): translated, dense and handler runs print, retire and end alike`, { skip: bareMetalSkip }, () => {
    const elf = bareMetal.build(file);
    const run = (engine: Engine): unknown => {
      const { output, outcome, machine } = bareMetal.runDmalab(elf, bareMetal.cpusFor(file), engine === 'translated' ? HOT : Infinity, engine !== 'handlers');
      return { output, outcome, cpus: machine.cpus.map((cpu) => ({ retired: cpu.retired, registers: [...cpu.r], cpsr: cpu.cpsr, pc: cpu.pc })) };
    };
    const before = translationStats.blocks;
    const translated = run('translated');
    assert.ok(translationStats.blocks > before, 'no block became hot');
    const reference = run('handlers');
    assert.deepEqual(translated, reference);
    assert.deepEqual(run('dense'), reference);
  });
}

/** The kernel's stretch: 25 ms of guest time (about 25 M instructions: the MMU turned on, the page tables and
 * memory map built, the timer and the console probed, interrupts taken, TLB maintenance, code patched at boot). */
const KERNEL_STRETCH = 60_000_000;
/** The kernel's blocks are translated after this many instructions: thousands of them (fewer than HOT, which would
 * make V8 compile every block the boot runs). */
const KERNEL_HOT = 100;
/** RAM compared: the kernel, its page tables and what it allocated in the stretch. */
const KERNEL_RAM = 256 << 20;

test("a stretch of Debian's kernel boot: translated, dense and handler runs print, retire and end alike", { skip: existsSync(ZIMAGE) ? false : `${ZIMAGE} is missing (examples/guest/fetch.sh)`, timeout: 600_000 }, () => {
  const kernel = imageOf(readFileSync(ZIMAGE));
  const dtb = loadPlatformDtb(undefined, () => {});
  const run = (engine: Engine): unknown => {
    let output = '';
    const system = new SystemMachine(platformFromDtb(dtb), { console: (byte) => { output += String.fromCharCode(byte); } });
    const cpu = system.cpus[0];
    cpu.translateAfter = engine === 'translated' ? KERNEL_HOT : Infinity;
    cpu.denseForm = engine !== 'handlers';
    bootKernel(system, { kernel, dtb, bootargs: 'console=ttyAMA0 cryptomgr.notests=1' });
    const outcome = system.run(KERNEL_STRETCH);
    const ram = system.ram!;
    const digest = createHash('sha256');
    system.machine.bus.memory.spans(ram.base, Math.min(ram.size, KERNEL_RAM), false, (bytes, offset, length) => digest.update(bytes.subarray(offset, offset + length)));
    return { output, outcome, retired: cpu.retired, registers: [...cpu.r], cpsr: cpu.cpsr, pc: cpu.pc, cpu: cpu.saveSystem(), ram: digest.digest('hex') };
  };
  const before = translationStats.blocks;
  const translated = run('translated');
  assert.ok(translationStats.blocks - before > 250, `only ${translationStats.blocks - before} blocks were translated`);
  const reference = run('handlers');
  assert.deepEqual(translated, reference);
  assert.deepEqual(run('dense'), reference);
});

// A driver polling the DMA-330 counts its reads: each device access must see the CPU's exact instant
// (`Cpu.retiredNow`) in the middle of a translated block as in an interpreted one.
for (const mode of ['poll', 'thread']) {
  const armhf = VARIANTS[0];
  test(`the VFIO polling driver (${mode}) interleaves with the DMAC alike translated and interpreted`, { skip: toolchainAvailable(armhf) ? false : `${armhf.compiler} is not installed` }, () => {
    const program = compile(join(ROOT, 'test', 'emulator', 'machine', 'programs', 'vfio-polling.c'), armhf);
    const run = (translation: boolean): { stdout: string; stderr: string; status: number } => {
      let stdout = '';
      let stderr = '';
      const status = runElf({
        program, args: [mode], machine: platformMachine(join(ROOT, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts')),
        env: [], maxInstructions: 2e8, stdin: () => new Uint8Array(0), translateAfter: translation ? HOT : Infinity,
      }, {
        stdout: (data) => { stdout += typeof data === 'string' ? data : Buffer.from(data).toString(); },
        stderr: (text) => { stderr += text; },
      });
      return { stdout, stderr, status };
    };
    const translated = run(true);
    assert.match(translated.stdout, /PASS/);
    assert.deepEqual(translated, run(false));
  });
}

// ARM blocks that follow one another as they did before run one after the other from the dense form without going
// back through the engine's loop (a chain): a call and its return in a loop, a read the memory answers with the CPU's
// instant (`retiredNow`, `pcNow`), a store that rewrites the called function halfway, a fault at the end. Every
// engine must see the same instants and stop alike after calls of uneven budgets, and a breakpoint set once the
// chains are formed must stop at its instruction after the same count.
const CHAINED = [
  0xe3a00000, // 0x8000 MOV r0, #0
  0xe3a01000, //        MOV r1, #0
  0xe2800001, // 0x8008 loop: ADD r0, r0, #1
  0xeb000007, //        BL f
  0xe5982000, // 0x8010 LDR r2, [r8]: the memory records the CPU's instant
  0xe3500032, //        CMP r0, #50
  0x05893000, //        STREQ r3, [r9]: f's first instruction becomes ADD r1, r1, #2
  0xe3500064, //        CMP r0, #100
  0x1afffff8, //        BNE loop
  0xe59a4000, // 0x8024 LDR r4, [r10]: outside the RAM
  0xef000000, //        SVC #0
  0,
  0xe0811000, // 0x8030 f: ADD r1, r1, r0
  0xe12fff1e, //        BX lr
];
const PROBE = 0x50000;

/** The probe's page is a device's: never in the page cache, so every access to it is called. */
class ProbedMemory extends FlatMemory {
  cpu: Cpu | undefined;
  readonly instants: string[] = [];
  constructor() {
    super();
    this.readTags[PROBE >>> 12] = this.writeTags[PROBE >>> 12] = -1;
  }
  override readPageAt(a: number): Uint8Array {
    return a >>> 12 === PROBE >>> 12 ? new Uint8Array(0) : super.readPageAt(a);
  }
  override writePageAt(a: number): Uint8Array {
    return a >>> 12 === PROBE >>> 12 ? new Uint8Array(0) : super.writePageAt(a);
  }
  override read32(a: number): number {
    if (a === PROBE && this.cpu !== undefined) this.instants.push(`${this.cpu.retiredNow}@${this.cpu.pcNow.toString(16)}`);
    return super.read32(a);
  }
}

function chainedCpu(engine: Engine): { cpu: Cpu; mem: ProbedMemory } {
  const mem = new ProbedMemory();
  CHAINED.forEach((word, i) => new DataView(mem.bytes.buffer).setUint32(CODE + 4 * i, word, true));
  const cpu = new Cpu(mem);
  mem.cpu = cpu;
  cpu.translateAfter = engine === 'translated' ? HOT : Infinity;
  cpu.denseForm = engine !== 'handlers';
  cpu.r[3] = 0xe2811002 | 0;
  cpu.r[8] = PROBE;
  cpu.r[9] = CODE + 0x30;
  cpu.r[10] = 0x200000;
  cpu.pc = cpu.next = CODE;
  return { cpu, mem };
}

test('chained dense blocks: device instants, a code write, uneven budgets and a fault as the handlers have them', () => {
  const run = (engine: Engine): { calls: string[]; instants: string[]; stop: string } => {
    const { cpu, mem } = chainedCpu(engine);
    const calls: string[] = [];
    // Budgets ending anywhere in the loop, also once its blocks are translated (after HOT instructions).
    for (const budget of [1, 2, 3, 7, 50, 5, 100, 13, ...Array.from({ length: 90 }, (_, k) => 1 + (k % 10)), 5000]) {
      cpu.run(budget);
      calls.push(`${[...cpu.r.subarray(0, 15)].join()} pc ${cpu.pc.toString(16)} retired ${cpu.retired}`);
      if (cpu.stop !== null) break;
    }
    return { calls, instants: mem.instants, stop: JSON.stringify({ ...cpu.stop, cause: undefined }) };
  };
  const reference = run('handlers');
  assert.match(reference.stop, /"kind":"fault".*"access":"read"/);
  assert.equal(reference.instants.length, 100);
  // 50 passes added r0 (1..50), then 50 added 2: the rewritten instruction ran.
  assert.match(reference.calls.at(-1)!, new RegExp(`^100,${(50 * 51) / 2 + 100},`));
  assert.deepEqual(run('dense'), reference);
  assert.deepEqual(run('translated'), reference);
});

test('a breakpoint in a chained dense block stops at its instruction, each time it is resumed, after as many instructions as the handlers run, translated too', () => {
  const stopAt = (engine: Engine): string => {
    const { cpu } = chainedCpu(engine);
    cpu.run(203); // the chains are formed
    cpu.breakpoints = new Set([CODE + 0x34]); // BX lr, the second instruction of f's block
    const hits: string[] = [];
    // Resumed from each hit, the next is reached through the loop's block, which f's follows.
    for (let hit = 0; hit < 4; hit++) {
      const ran = cpu.run(1000);
      hits.push(`${JSON.stringify(cpu.stop)} pc ${cpu.pc.toString(16)} ran ${ran} retired ${cpu.retired} r0 ${cpu.r[0]}`);
      cpu.stop = null;
      cpu.passBreakpointAt = cpu.pc;
    }
    return hits.join('\n');
  };
  const reference = stopAt('handlers');
  assert.equal(reference.match(/"detail":"breakpoint"} pc 8034/g)?.length, 4);
  assert.equal(stopAt('dense'), reference);
  assert.equal(stopAt('translated'), reference);
});
