// Every devicetree in examples/ compiles with dmalab dtc to the bytes cpp + Debian's dtc give, and a `// Build:`
// command in one runs as written (from the file's folder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '../../..');
const CLI = join(ROOT, 'dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'dmalab-dts-examples-'));
const sources = readdirSync(join(ROOT, 'examples'), { recursive: true }).map(String).filter((f) => f.endsWith('.dts')).map((f) => join(ROOT, 'examples', f));

test('the examples include devicetrees', () => assert.ok(sources.length >= 5, sources.join(', ')));

for (const file of sources) {
  test(`examples: ${file.slice(ROOT.length + 1)} compiles as cpp + dtc compile it`, () => {
    const text = readFileSync(file, 'utf8');
    const out = join(work, 'ours.dtb');
    const ours = spawnSync(process.execPath, [CLI, 'dtc', '-q', '--cpp', '-O', 'dtb', '-o', out, file], { encoding: 'utf8' });
    assert.equal(ours.status, 0, ours.stderr);
    const pre = spawnSync('cpp', ['-nostdinc', '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-I', dirname(file), '-o', join(work, 'pre.dts'), file]);
    assert.equal(pre.status, 0, String(pre.stderr));
    const theirs = spawnSync('dtc', ['-q', '-O', 'dtb', '-o', join(work, 'theirs.dtb'), join(work, 'pre.dts')], { encoding: 'utf8' });
    assert.equal(theirs.status, 0, theirs.stderr);
    assert.deepEqual(readFileSync(out), readFileSync(join(work, 'theirs.dtb')));
    const build = /^\/\/ Build: dmalab (.+)$/m.exec(text);
    if (build) {
      const r = spawnSync(process.execPath, [CLI, ...build[1].split(/\s+/).map((a) => (a.endsWith('.dtb') ? join(work, a) : a))], { cwd: dirname(file), encoding: 'utf8' });
      assert.equal(r.status, 0, `${build[1]}: ${r.stderr}`);
    }
  });
}
