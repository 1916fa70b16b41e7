// `dmalab dtc`: dtc's command line (same options and meanings) on dmalab's devicetree engine, plus --cpp to run
// dmalab's C preprocessor first, as a kernel-style `cpp | dtc` does.
import { readFileSync, writeFileSync } from 'node:fs';
import type { PhandleFormat } from '../server/dts/checks';
import type { CheckSwitches } from '../server/checks';
import { toAsm } from '../server/dts/asm';
import { BINDING_CHECKS, dtcCheckSwitches, runBindingChecks } from '../server/dts/bindings';
import type { DtInfo } from '../server/dts/build';
import { BlobOptions, CompileResult, loadDtb, toDtb, toDts } from '../server/dts/compiler';
import { compileDtsText, fileHost } from '../server/dts/compile-file';
import type { Annotation } from '../server/dts/printer';
import { Diagnostic, FileHost, bytesToText, formatDiagnostic } from '../server/dts/source';
import { ParsedArgs, UsageError, parseIntArg } from './args';
import { wrapList, type Command } from './command';
import { InputError, readInputBytes } from './input';

/** The dtc release whose behaviour and output `dmalab dtc` reproduces. */
const DTC_VERSION = '1.6.1';

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

/** The binding checks, off by default here (in the editor they have their table's levels). */
const BINDING_CHECK_NAMES = BINDING_CHECKS.map((c) => c.name);

/**
 * -W/-E in command-line order over one set of switches: dtc's checks, and the binding checks of dmalab's engine by
 * name (`-W bindings`: all of them); an unknown check name is fatal, as in dtc.
 */
function checkSwitches(args: ParsedArgs): CheckSwitches {
  const switches = dtcCheckSwitches();
  for (const [flag, arg] of args.sequence) {
    if (flag !== '-W' && flag !== '-E') continue;
    const lower = arg.match(/^no[-_]/)?.[0] ?? '';
    const names = arg.slice(lower.length) === 'bindings' ? BINDING_CHECK_NAMES.map((name) => lower + name) : [arg];
    for (const name of names) {
      if (!switches.apply(name, flag === '-E')) throw new InputError(`unknown check name "${arg.slice(lower.length)}" (${flag} ${arg})`);
    }
  }
  return switches;
}

/** The enabled binding checks' findings as diagnostics at the property (or node) they are about. */
function bindingDiagnostics(info: DtInfo, switches: CheckSwitches): Diagnostic[] {
  if (!BINDING_CHECK_NAMES.some((name) => switches.severity(name))) return [];
  return runBindingChecks(info).flatMap((f) => {
    const severity = switches.severity(f.code);
    return severity ? [{ severity, code: f.code, message: f.message, loc: f.property?.loc ?? f.node.loc }] : [];
  });
}

/** A FileHost that remembers every file it read (the input's includes, for -d). */
function recordingHost(read: string[]): FileHost {
  return {
    readFile(path) {
      const bytes = fileHost.readFile(path);
      if (bytes !== undefined && !read.includes(path)) read.push(path);
      return bytes;
    },
  };
}

export const dtcCommand: Command = {
  name: 'dtc',
  usage: `usage: dmalab dtc [OPTIONS] [FILE]

Devicetree compiler with dtc's options; FILE '-' or none reads stdin. Diagnostics go to stderr as
file:line:col: error|warning: message [check-name]. Exit status: 0 ok, 1 syntax/fatal error, 2 check errors.
  -I, --in-format dts|dtb      input format (default: from the magic number or the file extension)
  -O, --out-format dts|dtb|asm output format (default: dtb for dts input, dts otherwise); asm: assembler source
                               of the blob, every label a global symbol
  -o, --out FILE               output file ('-' for stdout, the default)
  -V, --out-version 16|17      blob version to write (17)
  -d, --out-dependency FILE    write a make rule 'OUT: INPUT INCLUDED...' to FILE (Kbuild passes it)
  -i, --include DIR            search DIR for /include/ and /incbin/ (and #include with --cpp); repeatable
  -@, --symbols                generate /__symbols__ (and keep labelled /omit-if-no-ref/ nodes)
  -b, --boot-cpu N             boot_cpuid_phys (default: reg of the first child of /cpus)
  -p, --pad N                  add N bytes of padding to the blob
  -S, --space N                make the blob at least N bytes
  -a, --align N                align the blob size to N (a power of 2)
  -R, --reserve N              add N empty memory reservation slots
  -H, --phandle epapr|legacy|both   phandle properties to generate (default epapr)
  -W, --warning [no-]CHECK     enable (or with no- disable) a check as a warning; repeatable. Besides dtc's checks,
                               the editor's binding checks (off by default; 'bindings' for all of them):
${wrapList(BINDING_CHECK_NAMES, 31, 118)}
  -E, --error [no-]CHECK       enable (or disable) a check as an error; repeatable
  -f, --force                  write output even when checks raise errors
  -q, --quiet                  -q hides warnings, -qq errors too
  -s, --sort                   sort reservations, properties and nodes by name
  -A, --auto-alias             add every label to /aliases
  -T, --annotate               with -O dts, each node and property with its source file:line (-T -T: path and
                               line:col ranges of every definition)
  -v, --version                print the dtc version this reproduces
  --cpp                        run the C preprocessor first (kernel style: -undef -D__DTS__, assembler-with-cpp)
  -D NAME[=VALUE]              define a macro for --cpp; repeatable (refused without --cpp)
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
    '--out-version': { value: true, alias: '-V' },
    '--out-dependency': { value: true, alias: '-d' },
    '--sort': { alias: '-s' },
    '--auto-alias': { alias: '-A' },
    '--version': { alias: '-v' },
    '--annotate': { repeat: true, alias: '-T' },
  },
  run(args, io) {
    if (args.flags.has('--version')) {
      io.stdout(`Version: DTC ${DTC_VERSION} (dmalab dtc)\n`);
      return 0;
    }
    if (args.positional.length > 1) throw new UsageError('dtc takes at most one input FILE');
    if (args.flags.has('-D') && !args.flags.has('--cpp')) throw new UsageError('-D defines a macro for the C preprocessor: add --cpp (dtc itself has no macros)');
    const version = value(args, '--out-version');
    if (version !== undefined && version !== '16' && version !== '17') throw new UsageError(`-V: blob version '${version}': dmalab writes versions 16 and 17 (1 to 3 are obsolete)`);
    const file = args.positional[0] ?? '-';
    const inputBytes = file === '-' ? readFileSync(0) : readInputBytes(file);
    const inFormat = value(args, '--in-format') ?? guessInputFormat(file, inputBytes);
    if (inFormat !== 'dts' && inFormat !== 'dtb') throw new UsageError(`-I: unknown input format '${inFormat}' (dts or dtb)`);
    // An -I that the file's own magic number contradicts: say so rather than fail to parse it.
    const isBlob = FDT_MAGIC_BYTES.every((b, i) => inputBytes[i] === b);
    if (value(args, '--in-format') !== undefined && isBlob !== (inFormat === 'dtb') && inputBytes.length > 0) {
      throw new InputError(`${file === '-' ? '<stdin>' : file}: -I ${inFormat}, but it is ${isBlob ? 'a blob (magic 0xd00dfeed): -I dtb' : 'not a blob (no magic 0xd00dfeed): a source, -I dts'}`);
    }
    const out = value(args, '--out') ?? '-';
    const outFormat = value(args, '--out-format') ?? (/\.dtbo?$/.test(out) ? 'dtb' : /\.dtsi?$/.test(out) ? 'dts' : inFormat === 'dts' ? 'dtb' : 'dts');
    if (outFormat !== 'dts' && outFormat !== 'dtb' && outFormat !== 'asm') throw new UsageError(`-O: unknown output format '${outFormat}' (dts, dtb or asm)`);
    const phandleFormat = (value(args, '--phandle') ?? 'epapr') as PhandleFormat;
    if (!['epapr', 'legacy', 'both'].includes(phandleFormat)) throw new UsageError(`-H: '${phandleFormat}' is not epapr, legacy or both`);
    if (args.flags.has('--space') && args.flags.has('--pad')) throw new UsageError('-S and -p cannot be combined');
    const align = intValue(args, '--align');
    if (align !== undefined && (align === 0 || (align & (align - 1)) !== 0)) throw new UsageError('-a: the alignment must be a power of 2');
    const quiet = args.flags.get('--quiet')?.length ?? 0;
    const includeDirs = args.flags.get('--include') ?? [];
    const checks = checkSwitches(args);
    const treeOptions = {
      symbols: args.flags.has('--symbols'),
      bootCpu: intValue(args, '--boot-cpu', 0xffffffff),
      phandleFormat,
      levels: checks,
      force: args.flags.has('--force'),
      autoAlias: args.flags.has('--auto-alias'),
      sort: args.flags.has('--sort'),
    };
    const read: string[] = [];
    const host = recordingHost(read);
    const name = file === '-' ? '<stdin>' : file;
    let result: CompileResult;
    if (inFormat === 'dtb') {
      result = loadDtb(inputBytes, treeOptions);
    } else {
      const compiled = compileDtsText(name, bytesToText(inputBytes), {
        ...treeOptions, host, includeDirs, defines: args.flags.get('-D') ?? [], cpp: args.flags.has('--cpp'),
      });
      for (const d of compiled.preprocessor) if (quiet < 2) io.stderr(formatDiagnostic(d, name) + '\n');
      if (!compiled.result) return 1;
      result = compiled.result;
    }
    const bindingFindings = result.info ? bindingDiagnostics(result.info, checks) : [];
    if (bindingFindings.some((d) => d.severity === 'error') && !treeOptions.force) result = { ...result, info: undefined, checksFailed: true };
    for (const d of [...result.diagnostics, ...bindingFindings]) {
      if (d.severity === 'warning' ? quiet >= 1 : quiet >= 2) continue;
      io.stderr(formatDiagnostic(d, out === '-' ? name : out) + '\n');
    }
    if (!result.info) {
      if (quiet < 2) io.stderr(result.checksFailed ? 'dmalab dtc: input tree has errors, aborting (use -f to force output)\n' : `dmalab dtc: ${name}: cannot compile\n`);
      return result.checksFailed ? 2 : 1;
    }
    if (treeOptions.force && [...result.diagnostics, ...bindingFindings].some((d) => d.severity === 'error') && quiet < 3) io.stderr('dmalab dtc: warning: input tree has errors, output forced\n');
    const warnings: string[] = [];
    const blob: BlobOptions = { reserve: intValue(args, '--reserve'), minSize: intValue(args, '--space'), pad: intValue(args, '--pad'), align, version: version === '16' ? 16 : 17 };
    const data: string | Uint8Array = outFormat === 'dtb' ? toDtb(result.info, blob, warnings)
      : outFormat === 'asm' ? toAsm(result.info, blob)
      : toDts(result.info, args.flags.has('--dts-roundtrip') ? 'roundtrip' : 'dtc', Math.min(2, args.flags.get('--annotate')?.length ?? 0) as Annotation);
    if (quiet < 1) for (const w of warnings) io.stderr(`dmalab dtc: warning: ${w}\n`);
    if (out === '-') io.stdout(data);
    else writeFileSync(out, data);
    const depfile = value(args, '--out-dependency');
    if (depfile !== undefined) writeFileSync(depfile, `${out}: ${[name, ...read.filter((f) => f !== name)].join(' ')}\n`);
    return 0;
  },
};
