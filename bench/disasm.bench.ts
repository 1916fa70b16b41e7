// Instructions per second of the ARM disassembler over all of examples/vfio-pl330's code (A32 and T32 regions by
// mapping symbols, as the objdump comparison and `dmalab disasm` decode them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuUsage } from 'node:process';
import { disassembleElf } from '../emulator/cpu/disasm/elf';
import { ROOT } from '../test/support/toolchain';

const elf = new Uint8Array(readFileSync(join(ROOT, 'examples', 'vfio-pl330', 'vfio-pl330')));
let instructions = 0;
const before = cpuUsage();
for (let round = 0; round < 5; round++) instructions += disassembleElf(elf).length;
const used = cpuUsage(before);
const seconds = (used.user + used.system) / 1e6;
console.log(`disassembler: ${instructions} instructions in ${seconds.toFixed(2)} CPU s = ${(instructions / seconds / 1e6).toFixed(2)} M instructions/s`);
