// The disassembly view's instructions: decoded from memory as the DMAC would fetch them, walking backwards over the
// assembled program's instruction starts where they are known (PL330 instructions are 1 to 6 bytes long).
import { decodeInstruction, formatInstruction } from '../../emulator/pl330/disasm';
import type { DebugProgram } from './program';

export interface DisassembledInstruction {
  readonly address: number;
  readonly bytes: Uint8Array;
  readonly text: string;
  /** 0-based source line of an assembled instruction. */
  readonly line?: number;
}

/** Reads `length` bytes of memory at an address (unmapped bytes read as zero). */
export type ByteReader = (address: number, length: number) => Uint8Array;

const LONGEST_INSTRUCTION = 6;

/** The instruction at an address: its bytes and text; bytes that are no valid instruction are one `.byte`. */
export function decodeAt(read: ByteReader, address: number): { bytes: Uint8Array; text: string; length: number } {
  const bytes = read(address, LONGEST_INSTRUCTION);
  const d = decodeInstruction(bytes, 0, address);
  if (!d.spec || d.invalid) return { bytes: bytes.slice(0, 1), text: `.byte 0x${bytes[0].toString(16).padStart(2, '0')}`, length: 1 };
  return { bytes: bytes.slice(0, d.length), text: formatInstruction(d), length: d.length };
}

/** `count` instructions from the one `offset` instructions away from `address` (negative: before it). */
export function disassembleAround(read: ByteReader, program: DebugProgram, address: number, offset: number, count: number): DisassembledInstruction[] {
  const starts = program.instructionStarts();
  let at = address >>> 0;
  for (let k = 0; k > offset; k--) at = previousStart(starts, at);
  for (let k = 0; k < offset; k++) at = (at + decodeAt(read, at).length) >>> 0;
  const out: DisassembledInstruction[] = [];
  for (let k = 0; k < count; k++) {
    const d = decodeAt(read, at);
    out.push({ address: at, bytes: d.bytes, text: d.text, line: program.locate(at)?.line });
    at = (at + d.length) >>> 0;
  }
  return out;
}

/** The instruction start before `address`: from the assembled program when known, else one byte back. */
export function previousStart(starts: readonly number[], address: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] < address) {
      best = starts[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best >= 0 && address - best <= LONGEST_INSTRUCTION ? best : (address - 1) >>> 0;
}
