// dist/cli.js, what bin/dmalab and `node dist/cli.js` start: loads the bundle of the command it runs (dist/cli-NAME.js,
// see scripts/build.mjs) through V8's code cache, so that a command reads only its own code and compiles only what it
// did not run before. Node 22 has this built in (module.enableCompileCache); on Node 20 the bundle is compiled here
// with the cached data V8 produced after an earlier run. Imports nothing of ours: everything else is in the bundles.
import Module, { createRequire } from 'node:module';
import { isAscii } from 'node:buffer';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

type ModuleFunction = (exports: unknown, require: NodeRequire, module: Module, filename: string, dirname: string) => void;

/** Where the cache lives: Node's own variables, else the user's cache directory (never a shared one: it is code). */
function cacheDirectory(): string | undefined {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  return process.env.NODE_COMPILE_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dmalab', 'v8');
}

/** The bundle's place, as a short tag (FNV-1a of its path): checkouts side by side keep caches of their own. */
function placeTag(file: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) hash = Math.imul(hash ^ file.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * The prefix of a bundle's cache files: its name and place, then its build. V8 checks a cache against the source's
 * length and its own version and flags only, so the name also carries the file's identity (size, modification time,
 * inode): a rebuilt bundle never meets the code of its predecessor.
 */
function cachePrefixes(file: string): { place: string; build: string } {
  const stat = statSync(file);
  const place = `${basename(file)}.${placeTag(file)}.`;
  return { place, build: `${place}${stat.size}-${Math.floor(stat.mtimeMs)}-${stat.ino}.${process.version}-${process.arch}.` };
}

/** A cache file's name (cachePrefixes, then the variant), or one being written. */
const CACHE_FILE = /^[a-z][a-z0-9-]*\.js\.[0-9a-f]{8}\.\d+-\d+-\d+\.v[\d.]+-\w+\.[a-z-]+\.v8(\.\d+\.tmp)?$/;

/**
 * A cache that no run has read (nor written) for this long belongs to a checkout or an install that is gone, or
 * unused: dropped when another is written. A run reading it refreshes its access time (daily, with relatime).
 */
const STALE_CACHE_MS = 30 * 24 * 60 * 60 * 1000;

function isStale(file: string): boolean {
  const stat = statSync(file);
  return Math.max(stat.atimeMs, stat.mtimeMs) < Date.now() - STALE_CACHE_MS;
}

/**
 * Writes the script's code (with every function compiled so far) for the next run; drops older builds' caches of the
 * same bundle, and stale caches of any.
 */
function saveCache(script: Script, directory: string, name: string, prefixes: { place: string; build: string }): void {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const temporary = join(directory, `${name}.${process.pid}.tmp`);
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    renameSync(temporary, join(directory, name)); // atomic: concurrent runs never read half a cache
    for (const other of readdirSync(directory)) {
      if (other === name || !CACHE_FILE.test(other)) continue;
      const file = join(directory, other);
      const olderBuild = other.startsWith(prefixes.place) && !other.startsWith(prefixes.build) && other.endsWith('.v8');
      if (olderBuild || isStale(file)) unlinkSync(file);
    }
  } catch {
    // A cache that cannot be written only costs the next run its compile time.
  }
}

/**
 * The source text inside CommonJS's function wrapper, read into one buffer that holds the wrapper too: V8 compiles one
 * flat string (a wrapper concatenated to a 1 MB source is copied whole before compiling), and a fresh megabyte costs
 * this machine about 0.5 ms of page faults, so the file is read straight into its place. Pure ASCII (the build
 * escapes every other character of its bundles) is decoded as Latin-1, several times faster than UTF-8.
 */
function readWrappedSource(file: string): string {
  const [head, tail] = (Module as unknown as { wrapper: [string, string] }).wrapper;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = Buffer.allocUnsafe(head.length + size + tail.length);
    bytes.write(head, 0, 'latin1');
    let read = 0;
    for (let n; read < size && (n = readSync(fd, bytes, head.length + read, size - read, read)) > 0; ) read += n;
    bytes.write(tail, head.length + read, 'latin1');
    const text = bytes.subarray(0, head.length + read + tail.length);
    return text.toString(isAscii(text) ? 'latin1' : 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * require(file) of a CommonJS bundle, compiled from the code cache when one matches. Each variant (a CLI command)
 * has a cache of its own, holding the functions that it runs; `worthKeeping` says at exit whether to write it.
 */
function requireCached(file: string, variant: string, worthKeeping: () => boolean): unknown {
  const enableCompileCache = (Module as unknown as { enableCompileCache?: (directory?: string) => unknown }).enableCompileCache;
  const directory = cacheDirectory();
  if (enableCompileCache || directory === undefined) {
    if (directory !== undefined) enableCompileCache!(directory);
    return require(file);
  }
  const prefixes = cachePrefixes(file);
  const name = `${prefixes.build}${variant}.v8`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(join(directory, name));
  } catch {
    cachedData = undefined;
  }
  const script = new Script(readWrappedSource(file), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      if (worthKeeping()) saveCache(script, directory, name, prefixes);
    });
  }
  const module = new Module(file, require.main);
  module.filename = file;
  module.loaded = true;
  (script.runInThisContext() as ModuleFunction).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/**
 * Commands that compile one small input and exit: V8's optimizing compiler would spend more (on a background core
 * that a busy machine may not have) than its code saves before the end, so the baseline compiler is their top tier
 * (even the longest kernel devicetree, sdm845-db845c, takes 25% longer with the optimizing compiler). Most of what
 * they allocate lives to the end (a syntax tree, then the devicetree), so each scavenge of the young generation
 * copies most of it: the young generation grows fourfold at a time instead of twofold (1, 4, then 16 MiB), which
 * takes sdm845-db845c from 11 scavenges to 7 and its process's CPU time down by about 6%.
 */
const ONE_SHOT_COMMANDS = new Set(['asm', 'disasm', 'dtc']);

/**
 * Commands that run a program's hot loops as translations (emulator/cpu/translate.ts), each called again at every
 * quantum of the clock: V8 optimizes a translation for its next call, and replacing the call in progress on its stack
 * as well (OSR) would compile every hot loop twice, for the few thousand instructions left in the call. Their hot
 * code is loops (a translation's passes, the interpreter's blocks), whose calls run many times a call of the
 * function around them; a call that runs about once a call (a translation's page miss, the clock's quantum, an
 * instruction handler's helper) is not worth V8 compiling it into its caller, which then compiles faster: at least
 * 3 calls a call (V8's default: 0.15), the CRC benchmark's compiles cost 20-30% less CPU, its translations 3-4 ms
 * instead of 4-8 ms. And V8 optimizes a function after 4 times the work it would by default (Node 20's interrupt
 * budget, 66 KiB of bytecode): the engine's loop is otherwise optimized before a static program's first system call
 * (20,000 instructions into libc's start-up) and compiled again for each path it takes first afterwards, and most of
 * the code that runs while libc starts is not worth optimizing at all. The CRC benchmark's process then makes about
 * 25 compiles instead of 50 (its CPU time 0.27 s instead of 0.29 s), a static hello world takes 0.105 s instead of
 * 0.12 s. More (8 times) saves little more, and leaves what runs once per quantum of the clock unoptimized longer.
 */
const TRANSLATING_COMMANDS = new Set(['run-elf']);

/** V8's flags for this process: node:v8 is loaded only then (it loads Node's streams, 1-2 ms). */
function setV8Flags(flags: string): void {
  (require('node:v8') as typeof import('node:v8')).setFlagsFromString(flags);
}

const [command, ...rest] = process.argv.slice(2);
if (command !== undefined && ONE_SHOT_COMMANDS.has(command)) setV8Flags('--max-opt=1 --semi-space-growth-factor=4');
if (command !== undefined && TRANSLATING_COMMANDS.has(command)) setV8Flags('--no-use-osr --min-inlining-frequency=3 --interrupt-budget=270336');

const isWord = (word: string | undefined): word is string => word !== undefined && /^[a-z][a-z-]*$/.test(word);
/** `dmalab NAME ...` and `dmalab help NAME` load command NAME's module: its bundle, when NAME is a command. */
const named = command === 'help' && rest.length === 1 ? rest[0] : command;
const commandBundle = isWord(named) ? join(__dirname, `cli-${named}.js`) : undefined;
const bundle = commandBundle !== undefined && existsSync(commandBundle) ? commandBundle : join(__dirname, 'cli-main.js');
/** The command's own words: what follows `--` is a program's (`dmalab run-elf prog -- --help`). */
const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
// A bundle has a cache per use: its command, its help, or the dispatcher's usage.
const variant = bundle !== commandBundle ? 'usage' : named !== command || own.includes('--help') || own.includes('-h') ? 'help' : command!;
/**
 * A cache is written once per build and use, by the first run that has none: a run that did the command's work,
 * not a mistyped command nor one that stopped at an error (its cache would miss most of the command's code, and
 * every later run would compile that); the next successful run writes it.
 */
const worthKeeping = (): boolean => {
  if (variant === 'usage') return !isWord(command) || command === 'help';
  return variant === 'help' || (cli.isCommand(variant) && !process.exitCode);
};
const cli = requireCached(bundle, variant, worthKeeping) as typeof import('./main');

/** Runs the CLI on this process's arguments and sets its exit status. */
export const runCli = cli.runCli;

if (require.main === module) runCli();
