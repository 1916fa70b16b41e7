// The examples/ directory as a new user meets it: every file the README names is there, every devicetree compiles
// without a warning under Debian's dtc (after cpp where it uses the preprocessor) and dmalab dtc writes the same
// bytes, and the example launch configurations name files that exist and attributes the debugger declares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'dmalab-examples-'));
const dtcAvailable = spawnSync('dtc', ['--version']).status === 0 && spawnSync('cpp', ['--version']).status === 0;

test('every examples/ path the README names exists (or is what a command shown beside it writes)', () => {
  const written = new Set([...README.matchAll(/# writes (examples\/\S+)/g)].map((m) => m[1]));
  const named = new Set([...README.matchAll(/examples\/[\w./-]*\w/g)].map((m) => m[0]));
  assert.ok(named.size > 10, `found ${named.size} paths`);
  for (const path of named) assert.ok(existsSync(join(ROOT, path)) || written.has(path), `README names ${path}, which does not exist`);
});

function devicetrees(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? devicetrees(join(dir, e.name)) : e.name.endsWith('.dts') ? [join(dir, e.name)] : []));
}

test('every example devicetree compiles without a warning, in Debian dtc and in dmalab dtc, to the same bytes', { skip: !dtcAvailable && 'dtc or cpp is not installed' }, () => {
  const files = devicetrees(join(ROOT, 'examples'));
  assert.ok(files.length >= 6, files.join(' '));
  for (const file of files) {
    const name = relative(ROOT, file);
    const cpp = /^\s*#\s*(include|define)\b/m.test(readFileSync(file, 'utf8'));
    const reference = join(work, 'reference.dtb');
    const pre = cpp ? spawnSync('cpp', ['-nostdinc', '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-I', dirname(file), file], { encoding: 'latin1' }) : undefined;
    assert.equal(pre?.status ?? 0, 0, `${name}: cpp: ${pre?.stderr}`);
    const dtc = spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', reference, cpp ? '-' : file], { input: pre && Buffer.from(pre.stdout, 'latin1'), encoding: 'utf8' });
    assert.equal(dtc.status, 0, `${name}: dtc: ${dtc.stderr}`);
    assert.equal(dtc.stderr, '', `${name}: Debian's dtc warns`);
    const mine = join(work, 'mine.dtb');
    const r = spawnSync(process.execPath, [CLI, 'dtc', ...(cpp ? ['--cpp'] : []), '-O', 'dtb', '-o', mine, file], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.equal(r.stderr, '', `${name}: dmalab dtc warns`);
    assert.deepEqual(readFileSync(mine), readFileSync(reference), name);
  }
});

test('the example launch configurations name files that exist and attributes the debugger declares', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const declared = Object.keys(manifest.contributes.debuggers.find((d: { type: string }) => d.type === 'dmalab').configurationAttributes.launch.properties);
  // examples/.vscode is the examples folder's own; examples/guest/launch.json is copied into the repository's.
  for (const [file, workspaceFolder] of [['examples/.vscode/launch.json', 'examples'], ['examples/guest/launch.json', '.']]) {
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const { configurations } = JSON.parse(text) as { configurations: Record<string, unknown>[] };
    assert.ok(configurations.length > 0, file);
    for (const configuration of configurations) {
      const label = `${file}: ${configuration.name}`;
      assert.equal(configuration.type, 'dmalab', label);
      for (const key of Object.keys(configuration)) assert.ok(['type', 'request', 'name', ...declared].includes(key), `${label}: '${key}' is not a launch attribute`);
      for (const value of Object.values(configuration)) {
        if (typeof value !== 'string' || !value.includes('${workspaceFolder}')) continue;
        const path = join(ROOT, workspaceFolder, value.replace('${workspaceFolder}', ''));
        // Kernels and initramfs images are built by `node scripts/setup.mjs demo` into .cache/.
        if (relative(ROOT, path).startsWith('.cache')) continue;
        assert.ok(existsSync(path), `${label}: ${value} does not exist`);
      }
    }
  }
});
