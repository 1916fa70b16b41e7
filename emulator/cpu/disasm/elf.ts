// All the code of an ARM ELF executable disassembled: each A32 and T32 region that its mapping symbols mark within a
// section of the file, decoded in order (literal pools, `$d`, are left out), as objdump -d walks it.
import { elfSections } from '../../elf/dwarf-line';
import { MappingSymbols } from '../../elf/mapping-symbols';
import { disassembleRange, type DisassembledInstruction } from './index';

export function disassembleElf(elf: Uint8Array): DisassembledInstruction[] {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const sections = [...elfSections(elf).values()].filter((s) => s.address !== 0);
  const sectionAt = (address: number) => sections.find((s) => address >= s.address && address < s.address + s.size);
  // Code is read in address order: the section of the previous read almost always holds the next.
  let current = sections[0];
  const read = (address: number): number | undefined => {
    if (current === undefined || address < current.address || address + 2 > current.address + current.size) current = sectionAt(address)!;
    return current && address + 2 <= current.address + current.size ? view.getUint16(current.offset + address - current.address, true) : undefined;
  };
  const mapping = new MappingSymbols(elf);
  const out: DisassembledInstruction[] = [];
  mapping.regions.forEach((region, i) => {
    const section = region.kind === 'data' ? undefined : sectionAt(region.start);
    if (!section) return;
    const end = Math.min(mapping.regions[i + 1]?.start ?? Infinity, section.address + section.size);
    out.push(...disassembleRange(read, region.start, end, region.kind === 'thumb'));
  });
  return out;
}
