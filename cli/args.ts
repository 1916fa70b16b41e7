// A small, strict argument parser shared by the CLI commands: declared flags only, clear errors.
import { closestName } from '../server/spelling';

export interface FlagSpec {
  /** Takes a value (`--base 0x1000`, `--base=0x1000`); repeatable flags collect every value. */
  readonly value?: boolean;
  readonly repeat?: boolean;
  readonly alias?: string;
}

export interface ParsedArgs {
  readonly flags: Map<string, string[]>;
  readonly positional: string[];
  /** Everything after a bare `--`. */
  readonly rest: string[];
  /** Every flag with its value, in command-line order (for options whose relative order matters). */
  readonly sequence: [name: string, value: string][];
}

export class UsageError extends Error {}

/** `takesArguments(program)`: whether the command runs that program with its own arguments after `--`; an unknown
 * option after such a program is most likely one of them, and the error says where it goes. */
export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>, takesArguments?: (program: string) => boolean): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  const sequence: [string, string][] = [];
  const byAlias = new Map(Object.entries(specs).filter(([, s]) => s.alias).map(([name, s]) => [s.alias!, name]));
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let rawName = eq >= 0 ? arg.slice(0, eq) : arg;
    let name = byAlias.get(rawName) ?? rawName;
    let spec = specs[name];
    let attached: string | undefined;
    if (!spec && !arg.startsWith('--') && arg.length > 2) {
      // getopt-style short options: `-Wno-foo` is `-W no-foo`, `-qq` is `-q -q`.
      rawName = arg.slice(0, 2);
      name = byAlias.get(rawName) ?? rawName;
      spec = specs[name];
      if (spec?.value) attached = arg.slice(2);
      else if (spec) argv = [...argv.slice(0, i + 1), `-${arg.slice(2)}`, ...argv.slice(i + 1)];
    }
    if (!spec) {
      // A near miss of an option is a slip; anything else after a program is most likely one of its own options.
      const near = closestName(rawName, Object.entries(specs).map(([flag, s]) => [flag, ...(s.alias ? [s.alias] : [])]));
      if (near) throw new UsageError(`unknown option '${rawName}'; did you mean '${near}'?`);
      throw new UsageError(`unknown option '${rawName}'${positional.length > 0 && takesArguments?.(positional[0]) ? ` (the program's own options go after '--': ${positional[0]} -- ${arg})` : ''}`);
    }
    let value = 'true';
    if (spec.value) {
      if (attached !== undefined) value = attached;
      else if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`option '${rawName}' needs a value`);
    } else if (eq >= 0 && attached === undefined && rawName === arg.slice(0, eq)) throw new UsageError(`option '${rawName}' takes no value`);
    const list = flags.get(name) ?? [];
    if (list.length > 0 && !spec.repeat) throw new UsageError(`option '${rawName}' given more than once`);
    list.push(value);
    flags.set(name, list);
    sequence.push([name, value]);
  }
  return { flags, positional, rest, sequence };
}

/** An integer option in C syntax (decimal, 0x hex, 0b binary), range-checked. */
export function intOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = args.flags.get(name)?.[0];
  if (raw === undefined) return undefined;
  return parseIntArg(raw, name, min, max);
}

export function parseIntArg(raw: string, what: string, min: number, max: number): number {
  const value = /^0x[0-9a-f]+$/i.test(raw) ? parseInt(raw.slice(2), 16) : /^0b[01]+$/i.test(raw) ? parseInt(raw.slice(2), 2) : /^\d+$/.test(raw) ? parseInt(raw, 10) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max === 0xffffffff ? '0xffffffff' : max}`;
    throw new UsageError(`${what}: '${raw}' is not an integer ${range} (decimal, 0x hex or 0b binary)`);
  }
  return value;
}

export function has(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}
