// One esbuild pass over every bundle: the extension, the language server, the debug adapter, the CLI;
// with --tests / --bench also every test/**/*.test.ts and bench/**/*.bench.ts.
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = new Set(process.argv.slice(2));

/** Bundles shipped in the extension and the CLI: [entry, output name]. Missing entries are skipped. */
const products = [
  ['extension/extension.ts', 'extension'],
  ['server/lsp/main.ts', 'server'],
  ['debugger/main.ts', 'dap'],
  ['cli/main.ts', 'cli-main'],
  // bin/dmalab's entry: loads cli-main through V8's code cache.
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
