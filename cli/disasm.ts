// `dmalab disasm FILE [--base ADDR] [--thread manager|channel]`, or `dmalab disasm PROGRAM.elf [--function NAME]`
import { disassembleElf } from '../emulator/cpu/disasm/elf';
import { FrameTable } from '../emulator/elf/dwarf-frame';
import { DwarfError } from '../emulator/elf/dwarf-line';
import { ElfError, isElf } from '../emulator/linux/elf';
import { disassemble, formatDisassembly } from '../emulator/pl330/disasm';
import { ParsedArgs, UsageError, intOption } from './args';
import type { Command } from './command';
import { InputError, isAllText, isPl330Source, readInputBytes } from './input';

export const disasmCommand: Command = {
  name: 'disasm',
  usage: `usage: dmalab disasm FILE [--base ADDR] [--thread manager|channel]
       dmalab disasm PROGRAM.elf [--function NAME]

Disassembles the raw bytes of FILE (PL330 microcode, as 'dmalab asm' writes it; a .pl330, .asm or .s source, or
any file that is all text, is refused) into assembler syntax, with addresses and bytes as comments and labels at
loop targets. Invalid encodings appear as .byte with the reason. Assembling the output gives back the same bytes.
  --base ADDR          address of the first byte (0)
  --thread KIND        the thread the code runs on (guessed from the instructions by default)

An ARM ELF executable is listed instead as its A32 and Thumb code (chosen by its mapping symbols), in objdump's
syntax, under its function names; literal pools are left out.
  --function NAME      only that function`,
  flags: { '--base': { value: true }, '--thread': { value: true }, '--function': { value: true } },
  run(args: ParsedArgs, io) {
    if (args.positional.length !== 1) throw new UsageError('disasm takes exactly one FILE');
    const file = args.positional[0];
    const bytes = readInputBytes(file);
    if (isElf(bytes)) {
      if (args.flags.has('--base') || args.flags.has('--thread')) throw new UsageError('--base and --thread are for raw PL330 microcode; an ELF says where its code is');
      const only = args.flags.get('--function')?.[0];
      let listing: string | undefined;
      try {
        listing = listElf(bytes, only);
      } catch (error) {
        // A damaged executable: its tables point outside the file or hold impossible values.
        if (!(error instanceof DwarfError || error instanceof ElfError || error instanceof RangeError)) throw error;
        io.stderr(`dmalab disasm: ${args.positional[0]}: malformed ARM ELF: ${error.message}\n`);
        return 1;
      }
      if (listing === undefined) {
        io.stderr(`dmalab disasm: no function '${only}' in the symbol table of ${args.positional[0]}\n`);
        return 1;
      }
      io.stdout(listing);
      return 0;
    }
    if (args.flags.has('--function')) throw new UsageError('--function is for ARM ELF executables');
    if (isPl330Source(file) || isAllText(bytes)) {
      throw new InputError(`${file}: ${isPl330Source(file) ? 'PL330 assembler source' : 'text'}, not microcode: 'dmalab asm ${file} --format listing' shows a source's bytes`);
    }
    const thread = args.flags.get('--thread')?.[0];
    if (thread !== undefined && thread !== 'manager' && thread !== 'channel') throw new UsageError(`--thread: '${thread}' is not manager or channel`);
    io.stdout(formatDisassembly(disassemble(bytes, { base: intOption(args, '--base', 0, 0xffffffff), thread })));
    return 0;
  },
};

/** `0001078c <main>:` headers over `   1078c:\tpush {r4, r5, r7, lr}` lines, objdump's layout (undefined when the
 * function asked for is not in the symbol table). */
function listElf(bytes: Uint8Array, only: string | undefined): string | undefined {
  const functions = new FrameTable(bytes).functions;
  const named = only === undefined ? undefined : functions.find((f) => f.name === only);
  if (only !== undefined && named === undefined) return undefined;
  const starts = new Map<number, string>();
  for (const f of functions) if (!starts.has(f.start)) starts.set(f.start, f.name);
  let text = '';
  for (const d of disassembleElf(bytes)) {
    if (named !== undefined && (d.address < named.start || d.address >= named.start + named.size)) continue;
    const name = starts.get(d.address);
    if (name !== undefined) text += `\n${d.address.toString(16).padStart(8, '0')} <${name}>:\n`;
    text += `${d.address.toString(16).padStart(8)}:\t${d.text}\n`;
  }
  return text;
}
