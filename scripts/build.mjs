// One esbuild pass over every bundle: the extension, the language server, the debug adapter, the CLI;
// with --tests / --bench also every test/**/*.test.ts and bench/**/*.bench.ts.
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = new Set(process.argv.slice(2));

/** Bundles shipped in the extension and the CLI: [entry, output name]. Missing entries are skipped. */
const products = [
  ['extension/extension.ts', 'extension'],
  ['server/lsp/main.ts', 'server'],
  ['debugger/main.ts', 'dap'],
  // bin/dmalab's entry: loads the bundle of the command it runs (buildCliBundles) through V8's code cache.
  ['cli/launcher.ts', 'cli'],
].filter(([entry]) => existsSync(join(root, entry)));

function findFiles(dir, suffix) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findFiles(path, suffix));
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out;
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

await build({
  ...common,
  entryPoints: Object.fromEntries(products.map(([entry, name]) => [name, entry])),
  outdir: join(root, 'dist'),
  external: ['vscode'],
  minify: args.has('--minify'),
});

/**
 * esbuild escapes every character outside ASCII in the code, and leaves comments as they are written: the same
 * escapes there keep a bundle pure ASCII, which dist/cli.js decodes several times faster than UTF-8 (cli/launcher.ts).
 */
function escapeComments(file) {
  const text = readFileSync(file, 'utf8');
  if (/[^\0-\x7f]/.test(text)) writeFileSync(file, text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** The CLI's dispatcher; each of its commands is a module it imports dynamically, when that command runs. */
const CLI_MAIN = 'cli/main.ts';

/**
 * The CLI as one bundle per command, so that a process reads and compiles one command's code only: dist/cli-NAME.js
 * holds the dispatcher and command NAME's module (about 0.9 MB for run-elf, 0.1-0.3 MB for asm and dtc, where all
 * commands together are 2.2 MB), dist/cli-main.js the dispatcher alone (usage, --version, an unknown command). The
 * other commands' modules are left out; dist/cli.js never loads a bundle for another command than its own.
 */
async function buildCliBundles() {
  const mainFile = join(root, CLI_MAIN);
  if (!existsSync(mainFile)) return [];
  // Command names beside their modules, as the dispatcher's table spells them: `name: 'run-elf', ... import('./run-elf')`.
  const commands = [...readFileSync(mainFile, 'utf8').matchAll(/name: '([a-z][a-z-]*)'[^{}]*?import\('(\.\/[a-z-]+)'\)/g)].map(([, name, module]) => ({ name, module }));
  const leaveOut = (keep) => ({
    name: 'other-commands',
    setup(b) {
      b.onResolve({ filter: /^\.\/[a-z-]+$/ }, (args) => {
        if (args.kind !== 'dynamic-import' || args.importer !== mainFile || args.path === keep) return undefined;
        if (!commands.some((c) => c.module === args.path)) throw new Error(`${CLI_MAIN}: a dynamic import of ${args.path} that names no command`);
        return { path: args.path, namespace: 'other-command' };
      });
      b.onLoad({ filter: /.*/, namespace: 'other-command' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`this bundle has no module ${args.path}: dist/cli.js loads the bundle of the command it runs`)});`,
      }));
    },
  });
  const variants = [{ name: 'main', module: undefined }, ...commands];
  await Promise.all(variants.map(({ name, module }) => build({
    ...common,
    entryPoints: [CLI_MAIN],
    outfile: join(root, 'dist', `cli-${name}.js`),
    plugins: [leaveOut(module)],
    minify: args.has('--minify'),
  })));
  return variants.map(({ name }) => `cli-${name}`);
}

const cliBundles = await buildCliBundles();

for (const name of [...products.map(([, name]) => name), ...cliBundles]) escapeComments(join(root, 'dist', `${name}.js`));

/** A devicetree source that reads another file: its blob depends on more than its own text. */
const READS_FILES = /^\s*#\s*include\b|\/include\/|\/incbin\//m;

/**
 * The package's platforms (examples/platforms/*.dts) compiled by the CLI just built, as a platform file always is
 * (preprocessor first), each blob beside a copy of its source in dist/platforms: a command loads its platform's
 * blob while the source is unchanged, instead of compiling it at every start (scenarios/platform.ts). A platform
 * that reads other files, or does not compile without a diagnostic, gets no blob.
 */
async function prebuildPlatforms() {
  const sources = join(root, 'examples', 'platforms');
  const out = join(root, 'dist', 'platforms');
  rmSync(out, { recursive: true, force: true });
  if (!existsSync(join(root, 'dist', 'cli.js')) || !existsSync(sources)) return;
  mkdirSync(out, { recursive: true });
  const names = readdirSync(sources).filter((name) => name.endsWith('.dts') && !READS_FILES.test(readFileSync(join(sources, name), 'latin1')));
  await Promise.all(names.map(async (name) => {
    const blob = join(out, name.replace(/\.dts$/, '.dtb'));
    const dtc = [join(root, 'dist', 'cli.js'), 'dtc', '--cpp', '-I', 'dts', '-O', 'dtb', '-o', blob, join(sources, name)];
    // A build writes no code cache of the CLI's.
    const compiled = await promisify(execFile)(process.execPath, dtc, { env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } })
      .then(({ stderr }) => stderr === '', () => false);
    if (compiled) copyFileSync(join(sources, name), join(out, name));
    else rmSync(blob, { force: true });
  }));
}

await prebuildPlatforms();

async function buildSuite(srcDir, suffix, outDir) {
  rmSync(join(root, outDir), { recursive: true, force: true });
  const entries = findFiles(join(root, srcDir), suffix);
  if (entries.length === 0) return;
  await build({
    ...common,
    entryPoints: entries.map((e) => relative(root, e)),
    outdir: join(root, outDir),
    outbase: srcDir,
    packages: 'external',
  });
}

if (args.has('--tests')) await buildSuite('test', '.test.ts', 'dist-test');
if (args.has('--bench')) await buildSuite('bench', '.bench.ts', 'dist-bench');
