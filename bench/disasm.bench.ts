// Instructions per second of the ARM disassembler over all of examples/vfio-pl330's code (A32 and T32 regions by
// mapping symbols, as the debugger's disassembly view and the objdump comparison decode them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuUsage } from 'node:process';
import { disassembleRange } from '../emulator/cpu/disasm';
import { elfSections } from '../emulator/elf/dwarf-line';
import { MappingSymbols } from '../emulator/elf/mapping-symbols';
import { ROOT } from '../test/cpu/toolchain';

const elf = new Uint8Array(readFileSync(join(ROOT, 'examples', 'vfio-pl330', 'vfio-pl330')));
const text = elfSections(elf).get('.text')!;
const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
const read = (address: number): number | undefined =>
  address >= text.address && address + 2 <= text.address + text.size ? view.getUint16(text.offset + address - text.address, true) : undefined;
const regions = new MappingSymbols(elf).regions.filter((r) => r.kind !== 'data' && r.start >= text.address && r.start < text.address + text.size);

let instructions = 0;
const before = cpuUsage();
for (let round = 0; round < 5; round++) {
  regions.forEach((region, i) => {
    const end = Math.min(regions[i + 1]?.start ?? Infinity, text.address + text.size);
    instructions += disassembleRange(read, region.start, end, region.kind === 'thumb').length;
  });
}
const used = cpuUsage(before);
const seconds = (used.user + used.system) / 1e6;
console.log(`disassembler: ${instructions} instructions in ${seconds.toFixed(2)} CPU s = ${(instructions / seconds / 1e6).toFixed(2)} M instructions/s`);
