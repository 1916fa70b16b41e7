// The kernel devicetree corpus (Debian's linux-source-6.1: arch/arm and arch/arm64 boot/dts with dt-bindings) and
// its reference DTBs from `cpp` + Debian's `dtc`, both cached under .cache/ so reruns only compare.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileHost } from '../../server/dts/compile-file';
import { CHECKS } from '../../server/dts/checks';
import { CheckSwitches } from '../../server/checks';
import { compileDts, toDtb } from '../../server/dts/compiler';
import { PreprocessCache, preprocess } from '../../server/dts/preprocessor';
import { Diagnostic, Source, bytesToText } from '../../server/dts/source';

/** Tests and benchmarks run from the repository root. */
export const ROOT = process.cwd();
const CACHE = join(ROOT, '.cache', 'linux-source');
const TREE = join(CACHE, 'linux-source-6.1');
export const INCLUDE_PREFIXES = join(TREE, 'scripts', 'dtc', 'include-prefixes');
/** The kernel 6.1 default dtc warning switches (scripts/Makefile.lib without W=1). */
export const KERNEL_DTC_FLAGS = ['interrupt_provider', 'unit_address_vs_reg', 'avoid_unnecessary_addr_size', 'alias_paths', 'graph_child_address', 'simple_bus_reg', 'unique_unit_address'].map((w) => `-Wno-${w}`);

/** Unpacks the kernel's devicetree sources once (apt-get download of linux-source-6.1, then a selective untar). */
export function ensureKernelTree(): string {
  if (existsSync(join(TREE, '.complete'))) return TREE;
  mkdirSync(CACHE, { recursive: true });
  let deb = readdirSync(CACHE).find((f) => /^linux-source-6\.1_.*_all\.deb$/.test(f));
  if (!deb) {
    try {
      execFileSync('apt-get', ['download', 'linux-source-6.1'], { cwd: CACHE, stdio: 'pipe' });
    } catch {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'pipe' });
      execFileSync('apt-get', ['download', 'linux-source-6.1'], { cwd: CACHE, stdio: 'pipe' });
    }
    deb = readdirSync(CACHE).find((f) => /^linux-source-6\.1_.*_all\.deb$/.test(f))!;
  }
  rmSync(TREE, { recursive: true, force: true });
  const p = 'linux-source-6.1';
  const wanted = [`${p}/arch/arm/boot/dts/*`, `${p}/arch/arm64/boot/dts/*`, `${p}/include/dt-bindings/*`, `${p}/scripts/dtc/include-prefixes/*`, `${p}/include/uapi/linux/input-event-codes.h`];
  execFileSync('bash', ['-c', `set -o pipefail; dpkg-deb --fsys-tarfile "$0" | tar -xO ./usr/src/linux-source-6.1.tar.xz | tar -xJ --wildcards ${wanted.map((w) => `'${w}'`).join(' ')}`, join(CACHE, deb)], { cwd: CACHE, stdio: 'pipe' });
  writeFileSync(join(TREE, '.complete'), deb + '\n');
  return TREE;
}

/** Every top-level .dts (regular files; board symlinks are skipped), relative to the tree, sorted. */
export function corpusFiles(tree = ensureKernelTree()): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile() && e.name.endsWith('.dts')) out.push(relative(tree, path));
    }
  };
  for (const arch of ['arm', 'arm64']) walk(join(tree, 'arch', arch, 'boot', 'dts'));
  return out.sort();
}

export function dtcVersion(): string {
  return execFileSync('dtc', ['--version'], { encoding: 'utf8' }).trim().replace(/^Version: DTC /, '');
}

export function referenceDir(): string {
  return join(ROOT, '.cache', 'dts-reference', `dtc-${dtcVersion()}`);
}

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.resume();
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** Builds (once) the reference DTB of every corpus file with cpp + dtc, exactly as Kbuild invokes them. */
export async function ensureReferenceDtbs(files: readonly string[], tree = ensureKernelTree(), jobs = 2): Promise<string> {
  const out = referenceDir();
  const missing = files.filter((f) => !existsSync(join(out, f + '.dtb')) && !existsSync(join(out, f + '.failed')));
  let next = 0;
  const worker = async () => {
    while (next < missing.length) {
      const rel = missing[next++];
      const src = join(tree, rel);
      const dir = dirname(src);
      const target = join(out, rel + '.dtb');
      mkdirSync(dirname(target), { recursive: true });
      const pre = target + '.pre.tmp';
      const cpp = await run('cpp', ['-nostdinc', '-I', dir, '-I', INCLUDE_PREFIXES, '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-o', pre, src]);
      const dtc = cpp === 0 ? await run('dtc', ['-I', 'dts', '-O', 'dtb', '-b', '0', '-i', dir, '-i', INCLUDE_PREFIXES, ...KERNEL_DTC_FLAGS, '-o', target + '.tmp', pre]) : 1;
      rmSync(pre, { force: true });
      if (dtc === 0) renameSync(target + '.tmp', target);
      else writeFileSync(join(out, rel + '.failed'), `cpp=${cpp} dtc=${dtc}\n`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return out;
}

/** Compiles one corpus file the way `dmalab dtc --cpp -b 0 -i DIR -i include-prefixes <kernel -W flags>` does. */
export function compileKernelDts(tree: string, rel: string, cache: PreprocessCache, options: { symbols?: boolean; dtcFlags?: readonly string[] } = {}): { dtb: Uint8Array | undefined; diagnostics: Diagnostic[] } {
  const src = join(tree, rel);
  const dir = dirname(src);
  const includeDirs = [dir, INCLUDE_PREFIXES];
  const pre = preprocess(src, bytesToText(readFileSync(src)), { host: fileHost, includeDirs, cache });
  if (pre.diagnostics.some((d) => d.severity === 'error')) return { dtb: undefined, diagnostics: pre.diagnostics };
  const levels = new CheckSwitches(CHECKS);
  for (const flag of options.dtcFlags ?? KERNEL_DTC_FLAGS) levels.apply(flag.slice(2), false);
  const result = compileDts(new Source(src, pre.text, dir, pre.map, pre.segments), { host: fileHost, includeDirs, bootCpu: 0, levels, symbols: options.symbols });
  return { dtb: result.info ? toDtb(result.info) : undefined, diagnostics: [...pre.diagnostics, ...result.diagnostics] };
}
