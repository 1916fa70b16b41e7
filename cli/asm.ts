// `dmalab asm FILE [-o OUT] [--format bin|c|hex|listing]`
import { writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { assemble } from '../server/pl330/assembler';
import { checkLevels, formatDiagnostic } from '../server/pl330/diagnostics';
import { OUTPUT_FORMATS, OutputFormat, toCArray, toImage, toIntelHex, toListing } from '../server/pl330/output';
import { ParsedArgs, UsageError, intOption } from './args';
import type { Command } from './command';
import { limitDiagnostics, readSourceText } from './input';
import { PL330_CONFIG_FLAGS, PL330_CONFIG_USAGE, configOverrides } from './pl330-config';

export const asmCommand: Command = {
  name: 'asm',
  summary: 'assemble PL330 microcode',
  usage: `usage: dmalab asm FILE [-o OUT] [--format bin|c|hex|listing] [--base ADDR] [--werror] [-W|-E [no-]CHECK]...

Assembles FILE (ARM DMA-330 TRM syntax). Diagnostics go to stderr as file:line:col: severity: message [code];
the exit status is 1 when there are errors. Without -o, bin is written to FILE.bin and the text formats to stdout.
  -o, --output OUT     output file ('-' for stdout)
  --format FMT         bin (default), c, hex (Intel HEX) or listing
  --base ADDR          base address of a program without a .channel/.manager directive (0)
  --werror             treat warnings as errors
  -W, --warning [no-]CHECK  report a warning check as a warning (no-: not at all), as dtc's -W; repeatable
  -E, --error [no-]CHECK    raise a warning check to an error (no-: not at all); repeatable. CHECK is a code
                       printed in [brackets]; an unknown one is fatal (status 1)
${PL330_CONFIG_USAGE}`,
  flags: {
    '--output': { value: true, alias: '-o' }, '--format': { value: true }, '--base': { value: true }, '--werror': {},
    '-W': { value: true, repeat: true, alias: '--warning' }, '-E': { value: true, repeat: true, alias: '--error' },
    ...PL330_CONFIG_FLAGS,
  },
  run(args: ParsedArgs, io) {
    if (args.positional.length !== 1) throw new UsageError('asm takes exactly one FILE');
    const file = args.positional[0];
    const format = (args.flags.get('--format')?.[0] ?? 'bin') as OutputFormat;
    if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format: '${format}' is not one of ${OUTPUT_FORMATS.join(', ')}`);
    const levels = checkLevels(args.sequence.filter((e): e is ['-W' | '-E', string] => e[0] === '-W' || e[0] === '-E'));
    if (typeof levels === 'string') {
      io.stderr(`dmalab asm: ${levels}\n`);
      return 1;
    }
    const source = readSourceText(file);
    const result = assemble(source, { config: configOverrides(args), base: intOption(args, '--base', 0, 0xffffffff), levels });
    for (const line of limitDiagnostics(result.diagnostics.map((d) => formatDiagnostic(file, d)), `dmalab asm: ${file}`)) io.stderr(line + '\n');
    const warnings = result.diagnostics.length - result.errorCount;
    if (result.errorCount > 0 || (args.flags.has('--werror') && warnings > 0)) {
      io.stderr(`dmalab asm: ${file}: ${result.errorCount} error(s), ${warnings} warning(s)\n`);
      return 1;
    }
    const out = args.flags.get('--output')?.[0] ?? (format === 'bin' ? file.slice(0, file.length - extname(file).length) + '.bin' : '-');
    let data: string | Uint8Array;
    switch (format) {
      case 'bin': data = toImage(result.programs).bytes; break;
      case 'c': data = toCArray(result.programs, basename(file, extname(file))); break;
      case 'hex': data = toIntelHex(result.programs); break;
      case 'listing': data = toListing(result, source); break;
    }
    if (out === '-') io.stdout(data);
    else writeFileSync(out, data);
    return 0;
  },
};
