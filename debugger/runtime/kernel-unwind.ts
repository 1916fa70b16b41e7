// A stopped CPU's kernel call stack, unwound by the kernel's own EHABI tables (CONFIG_ARM_UNWIND, as Debian's armmp
// kernels are built) read from the machine's memory: each frame's index entry says how its function saved its
// caller's registers, the stack is read through the CPU's MMU. The index is where the symbols file says
// (__start_unwind_idx/__stop_unwind_idx of a System.map, the .ARM.unwind_idx or .ARM.exidx section of a vmlinux or
// an ELF kernel), else found in the Image by its structure.
import { ExidxIndex, type ReadWord, executeUnwind } from '../../emulator/elf/arm-exidx';
import { MAX_PROLOGUE, undoPrologue } from '../../emulator/elf/arm-prologue';
import { elfSections } from '../../emulator/elf/dwarf-line';
import { isElf } from '../../emulator/linux/elf';
import { findUnwindIndex, type UnwindIndexRange } from '../../emulator/linux/unwind-index';
import type { KernelSymbols } from './kernel-symbols';
import { hex32, type VariableNode } from './views';

const SP = 13;
const LR = 14;
const PC = 15;
/** The deepest call chain shown (a kernel stack is 8 KiB: far fewer frames fit). */
const MAX_FRAMES = 64;

export interface KernelFrame {
  /** The frame's PC: the stop's for the innermost, else the return address into it. */
  readonly pc: number;
  /** r0-r15 as far as the unwinding restores them (the callee-saved ones, sp and pc). */
  readonly registers: readonly number[];
}

/** The unwind index of a kernel: from the symbols file, else found in the image (undefined: one frame per stop). */
export function locateUnwindIndex(kernel: Uint8Array, symbolsFile: Uint8Array | undefined, symbols: KernelSymbols): UnwindIndexRange | undefined {
  for (const elf of [symbolsFile, kernel]) {
    if (elf === undefined || !isElf(elf)) continue;
    const sections = elfSections(elf);
    const index = sections.get('.ARM.unwind_idx') ?? sections.get('.ARM.exidx');
    if (index && index.address !== 0) return { start: index.address, end: index.address + index.size };
  }
  const [start] = symbols.addresses('__start_unwind_idx');
  const [end] = symbols.addresses('__stop_unwind_idx');
  if (start !== undefined && end !== undefined && end > start) return { start, end };
  if (isElf(kernel) || symbols.size === 0) return undefined;
  return findUnwindIndex(kernel, symbols.functionAddresses());
}

/** What the kernel's symbols say about code addresses. */
export interface KernelCode {
  /** Where the function holding the address starts. */
  functionStart(address: number): number | undefined;
  /** Whether the address is in the kernel's code (a caller elsewhere is garbage: a frame interrupted in its prologue
   * is not laid out as its table says). */
  holds(address: number): boolean;
}

/**
 * The call chain from `registers` (r0-r15, r15 the PC), innermost first. The table describes a function after its
 * prologue: in the straight-line code from the function's start (by the symbols, else its entry's: the linker merges
 * the entries of neighbours that unwind alike) up to the PC, the innermost caller is found by undoing that code's
 * pushes instead (at the first instruction: nothing pushed, the return address in lr). The walk ends where no entry covers the PC, the entry cannot be unwound (EXIDX_CANTUNWIND: an exception entry, a
 * thread's start), the stack cannot be read, the caller would not be in the kernel's code, or its frame would not be
 * above the callee's.
 */
export function unwindKernelStack(index: UnwindIndexRange | undefined, registers: readonly number[], read32: ReadWord, code: KernelCode): KernelFrame[] {
  let regs = registers.map((r) => r >>> 0);
  const frames: KernelFrame[] = [{ pc: regs[PC], registers: regs }];
  if (!index) return frames;
  const table = new ExidxIndex(index.start, index.end, read32);
  for (let depth = 1; depth < MAX_FRAMES; depth++) {
    // A caller's PC is a return address: the call is the instruction before it.
    const at = depth === 1 ? regs[PC] : regs[PC] - 1;
    const entry = table.entryFor(at);
    if (!entry) break;
    let caller = depth === 1 ? callerInPrologue(code.functionStart(regs[PC]) ?? entry.functionStart, regs, read32) : undefined;
    if (!caller) {
      const opcodes = table.opcodes(entry);
      caller = opcodes && executeUnwind(opcodes, regs, read32);
    }
    if (!caller || !code.holds(caller[PC]) || caller[SP] < regs[SP] || (caller[SP] === regs[SP] && caller[PC] === regs[PC])) break;
    regs = caller;
    frames.push({ pc: regs[PC], registers: regs });
  }
  return frames;
}

/** The caller from the code between the function's start and the PC, when that is a straight-line start. */
function callerInPrologue(start: number, regs: readonly number[], read32: ReadWord): number[] | undefined {
  const pc = regs[PC];
  if (pc < start || pc - start > MAX_PROLOGUE * 4) return undefined;
  const code: number[] = [];
  for (let at = start; at < pc; at += 4) {
    const word = read32(at);
    if (word === undefined) return undefined;
    code.push(word);
  }
  return undoPrologue(code, regs, read32);
}

const CALLER_REGISTERS: readonly (readonly [string, number])[] = [
  ['r4', 4], ['r5', 5], ['r6', 6], ['r7', 7], ['r8', 8], ['r9', 9], ['r10', 10], ['r11', 11], ['sp', SP], ['lr', LR], ['pc', PC],
];

/** A caller's registers as the unwinding restored them: r4-r11, sp, lr and pc (r0-r3 and r12 are not preserved
 * across a call, so a caller's are unknown). */
export function callerRegisters(frame: KernelFrame): VariableNode[] {
  return CALLER_REGISTERS.map(([name, register]) => {
    const value = frame.registers[register];
    return { name, value: hex32(value), evaluateName: name, memoryReference: hex32(value) };
  });
}
