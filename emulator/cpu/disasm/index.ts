// The ARM disassembler: A32 and T32 (with VFP) words to objdump-style text, and runs of instructions decoded in
// order so Thumb IT blocks give their instructions a condition.
import { disassembleA32 } from './a32';
import { disassembleT32, isWide } from './t32';

export { disassembleA32 } from './a32';
export { disassembleT32, isWide } from './t32';

export interface DisassembledInstruction {
  readonly address: number;
  readonly length: 2 | 4;
  readonly text: string;
  readonly thumb: boolean;
  /** ITSTATE for the next instruction (0 in ARM state and outside IT blocks). */
  readonly itStateAfter: number;
}

/** Reads a little-endian halfword of code, or undefined where nothing is mapped. */
export type HalfwordReader = (address: number) => number | undefined;

/** The instructions from `start` (inclusive) to `end` (exclusive) of one instruction set, decoded in order. Stops
 * early at unmapped memory. */
export function disassembleRange(read: HalfwordReader, start: number, end: number, thumb: boolean): DisassembledInstruction[] {
  const out: DisassembledInstruction[] = [];
  let itState = 0;
  for (let address = start; address < end;) {
    const d = disassembleAt(read, address, thumb, itState);
    if (d === undefined) break;
    itState = d.itStateAfter;
    out.push(d);
    address += d.length;
  }
  return out;
}

/** The one instruction at `address` (with the ITSTATE in force there, for Thumb), or undefined where unmapped. */
export function disassembleAt(read: HalfwordReader, address: number, thumb: boolean, itState = 0): DisassembledInstruction | undefined {
  const first = read(address);
  if (first === undefined) return undefined;
  if (thumb) {
    const second = isWide(first) ? read(address + 2) : 0;
    if (second === undefined) return undefined;
    const d = disassembleT32(first, second, address, itState);
    return { address, length: d.length, text: d.text, thumb, itStateAfter: d.itState };
  }
  const high = read(address + 2);
  return high === undefined ? undefined : { address, length: 4, text: disassembleA32(((high << 16) | first) >>> 0, address), thumb, itStateAfter: 0 };
}
