// `dmalab dtc`: dtc's command line (same options and meanings) on dmalab's devicetree engine, plus --cpp to run
// dmalab's C preprocessor first, as a kernel-style `cpp | dtc` does.
import { readFileSync, writeFileSync } from 'node:fs';
import { CheckLevels, PhandleFormat } from '../server/dts/checks';
import { CompileResult, loadDtb, toDtb, toDts } from '../server/dts/compiler';
import { compileDtsText, fileHost } from '../server/dts/compile-file';
import { bytesToText, formatDiagnostic } from '../server/dts/source';
import { ParsedArgs, UsageError, parseIntArg } from './args';
import type { Command, CommandIO } from './command';

const FDT_MAGIC_BYTES = [0xd0, 0x0d, 0xfe, 0xed];

function guessInputFormat(file: string, bytes: Uint8Array): 'dts' | 'dtb' {
  if (FDT_MAGIC_BYTES.every((b, i) => bytes[i] === b)) return 'dtb';
  return /\.dtbo?$/.test(file) ? 'dtb' : 'dts';
}

function value(args: ParsedArgs, flag: string): string | undefined {
  return args.flags.get(flag)?.[0];
}

function intValue(args: ParsedArgs, flag: string, max = 0x7fffffff): number | undefined {
  const raw = value(args, flag);
  return raw === undefined ? undefined : parseIntArg(raw, flag, 0, max);
}

function checkLevels(args: ParsedArgs, io: CommandIO): CheckLevels {
  const levels = new CheckLevels();
  for (const [flag, arg] of args.sequence) {
    if (flag !== '-W' && flag !== '-E') continue;
    if (!levels.apply(arg, flag === '-E')) io.stderr(`dmalab dtc: warning: unknown check name "${arg.replace(/^no[-_]/, '')}" ignored
`);
  }
  return levels;
}

export const dtcCommand: Command = {
  name: 'dtc',
  usage: `usage: dmalab dtc [OPTIONS] [FILE]

Devicetree compiler with dtc's options; FILE '-' or none reads stdin. Diagnostics go to stderr as
file:line:col: error|warning: message [check-name]. Exit status: 0 ok, 1 syntax/fatal error, 2 check errors.
  -I, --in-format dts|dtb      input format (default: from the magic number or the file extension)
  -O, --out-format dts|dtb     output format (default: dtb for dts input, dts otherwise)
  -o, --out FILE               output file ('-' for stdout, the default)
  -i, --include DIR            search DIR for /include/ and /incbin/ (and #include with --cpp); repeatable
  -@, --symbols                generate /__symbols__ (and keep labelled /omit-if-no-ref/ nodes)
  -b, --boot-cpu N             boot_cpuid_phys (default: reg of the first child of /cpus)
  -p, --pad N                  add N bytes of padding to the blob
  -S, --space N                make the blob at least N bytes
  -a, --align N                align the blob size to N (a power of 2)
  -R, --reserve N              add N empty memory reservation slots
  -H, --phandle epapr|legacy|both   phandle properties to generate (default epapr)
  -W, --warning [no-]CHECK     enable (or with no- disable) a check as a warning; repeatable
  -E, --error [no-]CHECK       enable (or disable) a check as an error; repeatable
  -f, --force                  write output even when checks raise errors
  -q, --quiet                  -q hides warnings, -qq errors too
  --cpp                        run the C preprocessor first (kernel style: -undef -D__DTS__, assembler-with-cpp)
  -D NAME[=VALUE]              define a macro for --cpp; repeatable
  --dts-roundtrip              with -O dts, print string lists as "a", "b" so the output always reads back
                               (dtc 1.6.1 prints "a\\0b")`,
  flags: {
    '--in-format': { value: true, alias: '-I' },
    '--out-format': { value: true, alias: '-O' },
    '--out': { value: true, alias: '-o' },
    '--include': { value: true, repeat: true, alias: '-i' },
    '--symbols': { alias: '-@' },
    '--boot-cpu': { value: true, alias: '-b' },
    '--pad': { value: true, alias: '-p' },
    '--space': { value: true, alias: '-S' },
    '--align': { value: true, alias: '-a' },
    '--reserve': { value: true, alias: '-R' },
    '--phandle': { value: true, alias: '-H' },
    '-W': { value: true, repeat: true, alias: '--warning' },
    '-E': { value: true, repeat: true, alias: '--error' },
    '--force': { alias: '-f' },
    '--quiet': { repeat: true, alias: '-q' },
    '--cpp': {},
    '-D': { value: true, repeat: true },
    '--dts-roundtrip': {},
  },
  run(args, io) {
    if (args.positional.length > 1) throw new UsageError('dtc takes at most one input FILE');
    const file = args.positional[0] ?? '-';
    const inputBytes = file === '-' ? readFileSync(0) : readFileSync(file);
    const inFormat = value(args, '--in-format') ?? guessInputFormat(file, inputBytes);
    if (inFormat !== 'dts' && inFormat !== 'dtb') throw new UsageError(`-I: unknown input format '${inFormat}' (dts or dtb)`);
    const out = value(args, '--out') ?? '-';
    const outFormat = value(args, '--out-format') ?? (/\.dtbo?$/.test(out) ? 'dtb' : /\.dtsi?$/.test(out) ? 'dts' : inFormat === 'dts' ? 'dtb' : 'dts');
    if (outFormat !== 'dts' && outFormat !== 'dtb') throw new UsageError(`-O: unknown output format '${outFormat}' (dts or dtb)`);
    const phandleFormat = (value(args, '--phandle') ?? 'epapr') as PhandleFormat;
    if (!['epapr', 'legacy', 'both'].includes(phandleFormat)) throw new UsageError(`-H: '${phandleFormat}' is not epapr, legacy or both`);
    if (args.flags.has('--space') && args.flags.has('--pad')) throw new UsageError('-S and -p cannot be combined');
    const align = intValue(args, '--align');
    if (align !== undefined && (align === 0 || (align & (align - 1)) !== 0)) throw new UsageError('-a: the alignment must be a power of 2');
    const quiet = args.flags.get('--quiet')?.length ?? 0;
    const includeDirs = args.flags.get('--include') ?? [];
    const treeOptions = {
      symbols: args.flags.has('--symbols'),
      bootCpu: intValue(args, '--boot-cpu', 0xffffffff),
      phandleFormat,
      levels: checkLevels(args, io),
      force: args.flags.has('--force'),
    };
    const name = file === '-' ? '<stdin>' : file;
    let result: CompileResult;
    if (inFormat === 'dtb') {
      result = loadDtb(inputBytes, name, treeOptions);
    } else {
      const compiled = compileDtsText(name, bytesToText(inputBytes), {
        ...treeOptions, host: fileHost, includeDirs, defines: args.flags.get('-D') ?? [], cpp: args.flags.has('--cpp'),
      });
      for (const d of compiled.preprocessor) if (quiet < 2) io.stderr(formatDiagnostic(d, name) + '\n');
      if (!compiled.result) return 1;
      result = compiled.result;
    }
    for (const d of result.diagnostics) {
      if (d.severity === 'warning' ? quiet >= 1 : quiet >= 2) continue;
      io.stderr(formatDiagnostic(d, out === '-' ? name : out) + '\n');
    }
    if (!result.info) {
      if (quiet < 2) io.stderr(result.checksFailed ? 'dmalab dtc: input tree has errors, aborting (use -f to force output)\n' : `dmalab dtc: ${name}: cannot compile\n`);
      return result.checksFailed ? 2 : 1;
    }
    if (treeOptions.force && result.diagnostics.some((d) => d.severity === 'error') && quiet < 3) io.stderr('dmalab dtc: warning: input tree has errors, output forced\n');
    const warnings: string[] = [];
    const data: string | Uint8Array = outFormat === 'dtb'
      ? toDtb(result.info, { reserve: intValue(args, '--reserve'), minSize: intValue(args, '--space'), pad: intValue(args, '--pad'), align }, warnings)
      : toDts(result.info, args.flags.has('--dts-roundtrip') ? 'roundtrip' : 'dtc');
    if (quiet < 1) for (const w of warnings) io.stderr(`dmalab dtc: warning: ${w}\n`);
    if (out === '-') io.stdout(data);
    else writeFileSync(out, data);
    return 0;
  },
};
