// Cross-compiles test programs with Debian's ARM toolchains (cached in .cache/ by a hash of source and flags) and
// runs them on the two implementations compared: qemu-arm (the reference) and dmalab's user-mode emulator.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runElf } from '../../cli/run-elf';

/** The repository root: the nearest directory above this bundle that holds package.json. */
export const ROOT = ((): string => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'package.json'))) return dir;
  return process.cwd();
})();
const CACHE = join(ROOT, '.cache', 'cpu-programs');

export interface Variant {
  readonly name: string;
  readonly compiler: string;
  readonly flags: readonly string[];
}

export const VARIANTS: readonly Variant[] = [
  { name: 'armhf-thumb', compiler: 'arm-linux-gnueabihf-gcc', flags: ['-O2', '-static'] },
  { name: 'armhf-arm', compiler: 'arm-linux-gnueabihf-gcc', flags: ['-O2', '-static', '-marm'] },
  { name: 'armel', compiler: 'arm-linux-gnueabi-gcc', flags: ['-O2', '-static'] },
];

/** Compiles (or reuses) source with variant's compiler; returns the executable's path. */
export function compile(source: string, variant: Variant, extraFlags: readonly string[] = []): string {
  const text = readFileSync(source);
  const flags = [...variant.flags, ...extraFlags];
  // The source's path is in the key: the DWARF line table records it, and debugger tests set breakpoints by path.
  const key = createHash('sha256').update(source).update(text).update(variant.compiler).update(flags.join(' ')).digest('hex').slice(0, 24);
  const out = join(CACHE, `${key}.elf`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${out}.${process.pid}.tmp`;
  const r = spawnSync(variant.compiler, [...flags, '-o', partial, source, '-lm', '-latomic'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${variant.compiler} ${source} failed:\n${r.stderr}`);
  renameSync(partial, out);
  return out;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** A fresh empty directory for a run's files. */
function scratchDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'dmalab-cpu-'));
}

/** qemu-arm in a fresh empty directory, with an empty environment by default (the guest inherits qemu's). */
export function runQemu(program: string, args: readonly string[] = [], qemuOptions: readonly string[] = [], env: Readonly<Record<string, string>> = {}): RunResult {
  const cwd = scratchDirectory();
  try {
    const r = spawnSync('qemu-arm', [...qemuOptions, program, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
    const signal = r.signal === null ? 0 : (constants.signals as Record<string, number>)[r.signal] ?? 9;
    return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 128 + signal };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

export interface DmalabRunOptions {
  /** The program's environment (default: empty, as runQemu gives qemu-arm). */
  readonly env?: readonly string[];
  readonly strictSyscalls?: boolean;
  /** The directory the program sees as / (default: a fresh empty one, removed afterwards). */
  readonly workspace?: string;
}

export function runDmalab(program: string, args: readonly string[] = [], input = '', options: DmalabRunOptions = {}): RunResult {
  const cwd = options.workspace ?? scratchDirectory();
  let stdout = '';
  let stderr = '';
  try {
    let unread = Buffer.from(input);
    const stdin = (length: number): Uint8Array => {
      const chunk = unread.subarray(0, length);
      unread = unread.subarray(chunk.length);
      return chunk;
    };
    const status = runElf({ program, args, workspace: cwd, env: options.env ?? [], strictSyscalls: options.strictSyscalls, maxInstructions: 5e8, stdin }, {
      stdout: (data) => { stdout += typeof data === 'string' ? data : Buffer.from(data).toString('utf8'); },
      stderr: (text) => { stderr += text; },
    });
    return { stdout, stderr, status };
  } finally {
    if (options.workspace === undefined) rmSync(cwd, { recursive: true, force: true });
  }
}

export function toolchainAvailable(variant: Variant): boolean {
  return spawnSync(variant.compiler, ['--version']).status === 0 && spawnSync('qemu-arm', ['--version']).status === 0;
}

const ASSEMBLER = 'arm-linux-gnueabihf-as';

/** Why assemble() cannot run here, or false. */
export function assemblerMissing(): string | false {
  return spawnSync(ASSEMBLER, ['--version']).error ? `${ASSEMBLER} is not installed` : false;
}

/** Assembles ARM code (ARMv7 with the Virtualization Extensions) to a flat binary at address 0. */
export function assemble(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-sys-'));
  try {
    writeFileSync(join(dir, 'a.S'), `.syntax unified\n.arm\n${source}\n`);
    const as = spawnSync(ASSEMBLER, ['-march=armv7ve', '-o', join(dir, 'a.o'), join(dir, 'a.S')], { encoding: 'utf8' });
    if (as.status !== 0) throw new Error(as.stderr);
    const copy = spawnSync('arm-linux-gnueabihf-objcopy', ['-O', 'binary', join(dir, 'a.o'), join(dir, 'a.bin')], { encoding: 'utf8' });
    if (copy.status !== 0) throw new Error(copy.stderr);
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
