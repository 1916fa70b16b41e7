// `dmalab disasm FILE [--base ADDR] [--thread manager|channel]`
import { readFileSync } from 'node:fs';
import { disassemble, formatDisassembly } from '../emulator/pl330/disasm';
import { ParsedArgs, UsageError, intOption } from './args';
import type { Command } from './command';

export const disasmCommand: Command = {
  name: 'disasm',
  summary: 'disassemble PL330 microcode',
  usage: `usage: dmalab disasm FILE [--base ADDR] [--thread manager|channel]

Disassembles the raw bytes of FILE into assembler syntax, with addresses and bytes as comments and labels at loop
targets. Invalid encodings appear as .byte with the reason. Assembling the output gives back the same bytes.
  --base ADDR          address of the first byte (0)
  --thread KIND        the thread the code runs on (guessed from the instructions by default)`,
  flags: { '--base': { value: true }, '--thread': { value: true } },
  run(args: ParsedArgs, io) {
    if (args.positional.length !== 1) throw new UsageError('disasm takes exactly one FILE');
    const thread = args.flags.get('--thread')?.[0];
    if (thread !== undefined && thread !== 'manager' && thread !== 'channel') throw new UsageError(`--thread: '${thread}' is not manager or channel`);
    const bytes = new Uint8Array(readFileSync(args.positional[0]));
    io.stdout(formatDisassembly(disassemble(bytes, { base: intOption(args, '--base', 0, 0xffffffff), thread })));
    return 0;
  },
};
