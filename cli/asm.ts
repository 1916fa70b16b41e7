// `dmalab asm FILE [-o OUT] [--format bin|c|hex|listing] [--bounds]`
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { assemble } from '../server/pl330/assembler';
import { PL330_CHECKS, checkLevels, formatDiagnostic } from '../server/pl330/diagnostics';
import { OUTPUT_FORMATS, OutputFormat, toCArray, toImage, toIntelHex, toListing } from '../server/pl330/output';
import { formatBoundsReport } from '../server/pl330/bounds-report';
import { AccessWindow, accessesOutside, programBounds, withProgramDiagnostics } from '../server/pl330/program-checks';
import { formatRanges } from '../server/pl330/bounds';
import { ParsedArgs, UsageError, intOption, parseIntArg } from './args';
import { wrapList, type Command } from './command';
import { limitDiagnostics, readSourceText } from './input';
import { PL330_CONFIG_FLAGS, PL330_CONFIG_USAGE, configOverrides } from './pl330-config';

/** ADDR:SIZE[:r|rw] → the region and what it allows. */
function parseWindow(raw: string): AccessWindow {
  const m = /^([^:]+):([^:]+)(?::(r|rw))?$/i.exec(raw);
  if (!m) throw new UsageError(`--window: '${raw}' is not ADDR:SIZE[:r|rw]`);
  const start = parseIntArg(m[1], '--window address', 0, 0xffffffff);
  const size = parseIntArg(m[2], '--window size', 1, 2 ** 32 - start);
  return { start, end: start + size, read: true, write: (m[3] ?? 'rw').toLowerCase() === 'rw' };
}

export const asmCommand: Command = {
  name: 'asm',
  usage: `usage: dmalab asm FILE [-o OUT] [--format bin|c|hex|listing] [--base ADDR] [--werror] [-W|-E [no-]CHECK]...
       dmalab asm FILE --bounds [--window ADDR:SIZE[:r|rw] ...]

Assembles FILE (ARM DMA-330 TRM syntax; '-' reads stdin). Diagnostics go to stderr as file:line:col: severity:
message [code]; the exit status is 1 when there are errors. Without -o, bin is written to FILE.bin (from stdin: give
-o) and the text formats to stdout.
  -o, --output OUT     output file ('-' for stdout)
  --format FMT         bin (default), c, hex (Intel HEX) or listing
  --base ADDR          base address of a program without a .channel/.manager directive (0)
  --werror             treat warnings as errors
  -W, --warning [no-]CHECK  report a warning check as a warning (no-: not at all), as dtc's -W; repeatable
  -E, --error [no-]CHECK    raise a warning check to an error (no-: not at all); repeatable. CHECK is a code
                       printed in [brackets]; an unknown one is fatal (status 1). The warning checks:
${wrapList([...PL330_CHECKS.values()].filter((c) => c.level === 'warning').map((c) => c.name), 23, 118)}
  --bounds             print, instead of the output, the address ranges each channel program reads and writes
                       (computed from the microcode without running it) and where they cannot be known
  --window ADDR:SIZE[:r|rw]  with --bounds: a region the DMAC may reach (an IOMMU mapping; rw by default); the
                       accesses outside every window that allows them are listed and the exit status is 1
${PL330_CONFIG_USAGE}`,
  flags: {
    '--output': { value: true, alias: '-o' }, '--format': { value: true }, '--base': { value: true }, '--werror': {},
    '-W': { value: true, repeat: true, alias: '--warning' }, '-E': { value: true, repeat: true, alias: '--error' },
    '--bounds': {}, '--window': { value: true, repeat: true }, ...PL330_CONFIG_FLAGS,
  },
  run(args: ParsedArgs, io) {
    if (args.positional.length !== 1) throw new UsageError('asm takes exactly one FILE');
    const stdin = args.positional[0] === '-';
    const file = stdin ? '<stdin>' : args.positional[0];
    const format = (args.flags.get('--format')?.[0] ?? 'bin') as OutputFormat;
    if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format: '${format}' is not one of ${OUTPUT_FORMATS.join(', ')}`);
    const windows = (args.flags.get('--window') ?? []).map(parseWindow);
    if (windows.length > 0 && !args.flags.has('--bounds')) throw new UsageError('--window goes with --bounds');
    const outputFlag = (['-o', '--format'] as const).find((flag) => args.flags.has(flag === '-o' ? '--output' : flag));
    if (args.flags.has('--bounds') && outputFlag) throw new UsageError(`--bounds prints the ranges instead of an output: drop ${outputFlag}`);
    if (stdin && format === 'bin' && !args.flags.has('--output')) throw new UsageError("the binary of a program read from stdin needs -o OUT ('-o -' for stdout)");
    const levels = checkLevels(args.sequence.filter((e): e is ['-W' | '-E', string] => e[0] === '-W' || e[0] === '-E'));
    if (typeof levels === 'string') {
      io.stderr(`dmalab asm: ${levels}\n`);
      return 1;
    }
    const source = stdin ? readSourceText(file, new Uint8Array(readFileSync(0))) : readSourceText(file);
    const result = assemble(source, { config: configOverrides(args), base: intOption(args, '--base', 0, 0xffffffff), levels });
    const bounds = result.errorCount > 0 ? [] : programBounds(result);
    const diagnostics = withProgramDiagnostics(result, bounds);
    for (const line of limitDiagnostics(diagnostics.map((d) => formatDiagnostic(file, d)), `dmalab asm: ${file}`)) io.stderr(line + '\n');
    const warnings = diagnostics.length - result.errorCount;
    if (result.errorCount > 0 || (args.flags.has('--werror') && warnings > 0)) {
      io.stderr(`dmalab asm: ${file}: ${result.errorCount} error(s), ${warnings} warning(s)\n`);
      return 1;
    }
    if (args.flags.has('--bounds')) {
      io.stdout(formatBoundsReport(result, bounds));
      let outside = false;
      for (const e of windows.length ? bounds : []) {
        const { reads, writes } = accessesOutside(e.bounds, windows);
        if (reads.length) io.stdout(`${file}:${e.line + 1}: program at 0x${e.entry.toString(16)} reads outside the windows: ${formatRanges(reads)}\n`);
        if (writes.length) io.stdout(`${file}:${e.line + 1}: program at 0x${e.entry.toString(16)} writes outside the windows: ${formatRanges(writes)}\n`);
        outside ||= reads.length + writes.length > 0;
      }
      return outside ? 1 : 0;
    }
    const out = args.flags.get('--output')?.[0] ?? (format === 'bin' ? file.slice(0, file.length - extname(file).length) + '.bin' : '-');
    let data: string | Uint8Array;
    switch (format) {
      case 'bin': data = toImage(result.programs).bytes; break;
      case 'c': data = toCArray(result.programs, stdin ? 'program' : basename(file, extname(file))); break;
      case 'hex': data = toIntelHex(result.programs); break;
      case 'listing': data = toListing(result, source); break;
    }
    if (out === '-') io.stdout(data);
    else writeFileSync(out, data);
    return 0;
  },
};
