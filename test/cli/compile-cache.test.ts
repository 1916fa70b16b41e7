// dist/cli.js loads the CLI bundle through V8's code cache (NODE_COMPILE_CACHE names its directory): the first run of
// a command writes the cache, later runs use it unchanged, and a cache V8 refuses (damaged, or from another build) is
// replaced without changing what the command does. The bundles are pure ASCII, which the launcher decodes fastest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'dmalab-compile-cache-'));
const cacheDir = join(dir, 'cache');
const program = join(dir, 'copy.pl330');
writeFileSync(program, '.channel 0x1000\n    DMAMOV SAR, 0x2000\n    DMAMOV DAR, 0x3000\n    DMALD\n    DMAST\n    DMAEND\n');

function assembleToStdout(env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [cli, 'asm', program, '--format', 'hex', '-o', '-'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '', NODE_COMPILE_CACHE: cacheDir, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function cacheFiles(): string[] {
  try {
    return readdirSync(cacheDir).sort();
  } catch {
    return [];
  }
}

test('the first run writes a cache per command; the next uses it as it is', () => {
  const reference = assembleToStdout({ NODE_DISABLE_COMPILE_CACHE: '1' });
  assert.deepEqual(cacheFiles(), []);
  assert.equal(assembleToStdout(), reference);
  const [file, ...others] = cacheFiles();
  assert.match(file, /^cli-main\.js\..*\.asm\.v8$/);
  assert.deepEqual(others, []);
  const written = statSync(join(cacheDir, file));
  assert.equal(assembleToStdout(), reference);
  assert.equal(statSync(join(cacheDir, file)).mtimeMs, written.mtimeMs, 'an accepted cache is not rewritten');
});

test('a cache V8 refuses is replaced and the command still runs', () => {
  const reference = assembleToStdout({ NODE_DISABLE_COMPILE_CACHE: '1' });
  assembleToStdout();
  const [file] = cacheFiles();
  writeFileSync(join(cacheDir, file), Buffer.alloc(4096, 0x5a));
  assert.equal(assembleToStdout(), reference);
  assert.notDeepEqual(readFileSync(join(cacheDir, file)), Buffer.alloc(4096, 0x5a));
  assert.equal(assembleToStdout(), reference);
});

test("writing a cache drops older builds' caches of the same bundle, not those of a checkout elsewhere", () => {
  assembleToStdout();
  const [current] = cacheFiles();
  const place = /^(cli-main\.js\.[0-9a-f]{8}\.)/.exec(current)![1];
  const olderBuild = `${place}1-2-3.v0.0.0-x64.asm.v8`;
  const elsewhere = `cli-main.js.${place.slice(12, 20) === '00000000' ? '11111111' : '00000000'}.1-2-3.v0.0.0-x64.asm.v8`;
  for (const name of [olderBuild, elsewhere]) writeFileSync(join(cacheDir, name), 'x');
  writeFileSync(join(cacheDir, current), 'damaged'); // refused, so this run writes the cache again
  assembleToStdout();
  assert.deepEqual(cacheFiles(), [current, elsewhere].sort());
});

test('a mistyped command writes no cache', () => {
  const before = cacheFiles();
  const r = spawnSync(process.execPath, [cli, 'asmm'], { encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '', NODE_COMPILE_CACHE: cacheDir } });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'asmm'/);
  assert.deepEqual(cacheFiles(), before);
});

test('the bundles are pure ASCII (the launcher decodes them as Latin-1), comments included', () => {
  for (const name of ['cli-main.js', 'cli.js']) {
    const text = readFileSync(join(root, 'dist', name), 'latin1');
    const at = text.search(/[^\0-\x7f]/);
    assert.equal(at, -1, `${name}: a byte outside ASCII at ${at}: ${text.slice(Math.max(0, at - 40), at + 10)}`);
  }
});
