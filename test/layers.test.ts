// The layers' dependencies point one way: every relative import of every source file is checked against what its
// folder may use (the developers' guide's layout). The emulator is a pure library; the debugger never reaches into the
// CLI; the scenario registry, the platform loader and event formatting live below both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..');

/** Folder → the folders (besides itself) its files may import. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  emulator: [],
  server: ['emulator'],
  scenarios: ['emulator', 'server'],
  debugger: ['emulator', 'server', 'scenarios'],
  cli: ['debugger', 'scenarios', 'server', 'emulator'],
  extension: ['debugger', 'server'],
};

const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('each folder imports only the layers below it: emulator nothing of ours, debugger nothing of cli', () => {
  const wrong: string[] = [];
  let imports = 0;
  for (const [folder, allowed] of Object.entries(MAY_IMPORT)) {
    for (const file of sources(join(ROOT, folder))) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        imports++;
        const target = relative(ROOT, resolve(dirname(file), specifier)).split('/')[0];
        // The package's manifest is no layer: any may read it (server/version.ts takes its version).
        if (target === 'package.json') continue;
        if (target !== folder && !allowed.includes(target)) wrong.push(`${relative(ROOT, file)} imports ${specifier} (${target}/)`);
      }
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(imports > 500, `${imports} relative imports read`);
});

test('one home each: the scenario registry, the platform loader, event text, the program loaders, the devicetree compile path', () => {
  const definitions = (pattern: RegExp): string[] => Object.keys(MAY_IMPORT).flatMap((folder) => sources(join(ROOT, folder)))
    .filter((file) => pattern.test(readFileSync(file, 'utf8'))).map((file) => relative(ROOT, file));
  assert.deepEqual(definitions(/^export const SCENARIOS\b/m), ['scenarios/registry.ts']);
  assert.deepEqual(definitions(/^export function loadPlatform\(/m), ['scenarios/platform.ts']);
  assert.deepEqual(definitions(/^export function formatEvent\(/m), ['emulator/pl330/event-text.ts']);
  // The program loaders `dmalab run` and the debugger share: ARM executables and PL330 sources.
  assert.deepEqual(definitions(/^export function startUserProgram\(/m), ['emulator/linux/user-program.ts']);
  assert.deepEqual(definitions(/^export function assembleSource\(/m), ['server/pl330/program-load.ts']);
  assert.deepEqual(definitions(/^export function compileDtsText\(/m), ['server/dts/compile-file.ts']);
  // No devicetree is compiled around it (its preprocessor rule): `dmalab dtc`, machines, the VMM's guest tree.
  assert.deepEqual(definitions(/\bcompileDts\(/).filter((file) => !file.startsWith('server/dts/')), []);
});
