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
}

/** Reads a little-endian halfword of code, or undefined where nothing is mapped. */
export type HalfwordReader = (address: number) => number | undefined;

/** The instructions from `start` (inclusive) to `end` (exclusive) of one instruction set, decoded in order. Stops
 * early at unmapped memory. */
export function disassembleRange(read: HalfwordReader, start: number, end: number, thumb: boolean): DisassembledInstruction[] {
  const out: DisassembledInstruction[] = [];
  let itState = 0;
  for (let address = start; address < end;) {
    const first = read(address);
    if (first === undefined) break;
    if (thumb) {
      const second = isWide(first) ? read(address + 2) : 0;
      if (second === undefined) break;
      const d = disassembleT32(first, second, address, itState);
      itState = d.itState;
      out.push({ address, length: d.length, text: d.text, thumb });
      address += d.length;
    } else {
      const high = read(address + 2);
      if (high === undefined) break;
      out.push({ address, length: 4, text: disassembleA32(((high << 16) | first) >>> 0, address), thumb });
      address += 4;
    }
  }
  return out;
}
