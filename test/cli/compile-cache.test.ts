// dist/cli.js loads the bundle of the command it runs (dist/cli-NAME.js; the dispatcher alone, dist/cli-main.js, for
// usage) through V8's code cache (NODE_COMPILE_CACHE names its directory): the first successful run of a command
// writes the cache, later runs use it unchanged, a cache V8 refuses (damaged, or from another build) is replaced, a
// rebuilt bundle gets a cache of its own, and a cache that cannot be written or read changes nothing of what the
// command does. The bundles are pure ASCII, which the launcher decodes fastest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const dist = join(root, 'dist');
const cli = join(dist, 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'dmalab-compile-cache-'));
const cacheDir = join(dir, 'cache');
const program = join(dir, 'copy.pl330');
writeFileSync(program, '.channel 0x1000\n    DMAMOV SAR, 0x2000\n    DMAMOV DAR, 0x3000\n    DMALD\n    DMAST\n    DMAEND\n');
const broken = join(dir, 'broken.pl330');
writeFileSync(broken, 'DMAMOV SAR\n');

function dmalab(args: readonly string[], env: NodeJS.ProcessEnv = {}, launcher = cli) {
  return spawnSync(process.execPath, [launcher, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '', NODE_COMPILE_CACHE: cacheDir, ...env },
  });
}

function assembleToStdout(env: NodeJS.ProcessEnv = {}, launcher = cli) {
  const r = dmalab(['asm', program, '--format', 'hex', '-o', '-'], env, launcher);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function cacheFiles(directory = cacheDir): string[] {
  try {
    return readdirSync(directory).sort();
  } catch {
    return [];
  }
}

test('the first run writes a cache per command, of its own bundle; the next uses it as it is', () => {
  const reference = assembleToStdout({ NODE_DISABLE_COMPILE_CACHE: '1' });
  assert.deepEqual(cacheFiles(), []);
  assert.equal(assembleToStdout(), reference);
  const [file, ...others] = cacheFiles();
  assert.match(file, /^cli-asm\.js\..*\.asm\.v8$/);
  assert.deepEqual(others, []);
  const written = statSync(join(cacheDir, file));
  assert.equal(assembleToStdout(), reference);
  assert.equal(statSync(join(cacheDir, file)).mtimeMs, written.mtimeMs, 'an accepted cache is not rewritten');
});

test('usage runs the dispatcher alone; help on a command, its bundle with a cache apart from its runs', () => {
  const usage = dmalab(['--help']);
  assert.equal(usage.status, 0, usage.stderr);
  assert.match(usage.stdout, /^usage: dmalab COMMAND/);
  for (const args of [['help', 'disasm'], ['disasm', '--help']]) {
    const help = dmalab(args);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: dmalab disasm /);
  }
  const files = cacheFiles();
  assert.ok(files.some((f) => /^cli-main\.js\..*\.usage\.v8$/.test(f)), files.join(' '));
  assert.ok(files.some((f) => /^cli-disasm\.js\..*\.help\.v8$/.test(f)), files.join(' '));
  assert.ok(!files.some((f) => f.endsWith('.disasm.v8')), 'help wrote the cache of the command itself');
});

test("every command the dispatcher lists runs from its own bundle, without the dispatcher's other commands", () => {
  const listed = [...dmalab(['--help']).stdout.matchAll(/^  ([a-z][a-z-]*)  /gm)].map(([, name]) => name);
  assert.ok(listed.length >= 9 && listed.includes('run-elf'), listed.join(' '));
  for (const name of listed) {
    const help = dmalab([name, '--help'], { NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(help.status, 0, `${name}: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`^usage: dmalab ${name}(?=\\s)`), name);
    const bundle = readFileSync(join(dist, `cli-${name}.js`), 'latin1');
    // The dispatcher's import of each other command is left out (a command may still import another's code itself:
    // `run` runs ELF files as `run-elf` does).
    for (const other of listed.filter((o) => o !== name)) assert.ok(bundle.includes(`this bundle has no module ./${other}:`), `cli-${name}.js: the dispatcher's ./${other} is in`);
  }
});

test('a run that stops at an error writes no cache; the next successful run does', () => {
  const own = join(dir, 'failing');
  const failed = dmalab(['asm', broken, '-o', join(dir, 'broken.bin')], { NODE_COMPILE_CACHE: own });
  assert.equal(failed.status, 1, failed.stderr);
  assert.match(failed.stderr, /broken\.pl330:1:/);
  assert.deepEqual(cacheFiles(own), []);
  assembleToStdout({ NODE_COMPILE_CACHE: own });
  assert.match(cacheFiles(own).join(' '), /^cli-asm\.js\..*\.asm\.v8$/);
});

test('a cache V8 refuses is replaced and the command still runs', () => {
  const reference = assembleToStdout({ NODE_DISABLE_COMPILE_CACHE: '1' });
  assembleToStdout();
  const file = cacheFiles().find((f) => f.endsWith('.asm.v8'))!;
  writeFileSync(join(cacheDir, file), Buffer.alloc(4096, 0x5a));
  assert.equal(assembleToStdout(), reference);
  assert.notDeepEqual(readFileSync(join(cacheDir, file)), Buffer.alloc(4096, 0x5a));
  assert.equal(assembleToStdout(), reference);
});

test("writing a cache drops older builds' caches of the same bundle, not those of a checkout elsewhere", () => {
  assembleToStdout();
  const current = cacheFiles().find((f) => f.endsWith('.asm.v8'))!;
  const place = /^(cli-asm\.js\.[0-9a-f]{8}\.)/.exec(current)![1];
  const olderBuild = `${place}1-2-3.v0.0.0-x64.asm.v8`;
  const elsewhere = `cli-asm.js.${place.slice(11, 19) === '00000000' ? '11111111' : '00000000'}.1-2-3.v0.0.0-x64.asm.v8`;
  for (const name of [olderBuild, elsewhere]) writeFileSync(join(cacheDir, name), 'x');
  writeFileSync(join(cacheDir, current), 'damaged'); // refused, so this run writes the cache again
  assembleToStdout();
  const asmCaches = cacheFiles().filter((f) => f.endsWith('.asm.v8'));
  assert.deepEqual(asmCaches, [current, elsewhere].sort());
});

test("writing a cache drops any bundle's cache no run has read for 30 days, and nothing else", () => {
  const own = join(dir, 'stale');
  mkdirSync(own);
  const longAgo = new Date(Date.now() - 31 * 24 * 60 * 60 * 1000);
  const stale = ['cli-run-elf.js.0badcafe.1-2-3.v20.0.0-x64.run-elf.v8', 'cli-asm.js.0badcafe.1-2-3.v20.0.0-x64.asm.v8.1234.tmp'];
  const recent = 'cli-run.js.0badcafe.1-2-3.v20.0.0-x64.run.v8';
  const foreign = 'notes.v8';
  for (const name of [...stale, recent, foreign]) writeFileSync(join(own, name), 'x');
  for (const name of [...stale, foreign]) utimesSync(join(own, name), longAgo, longAgo);
  assembleToStdout({ NODE_COMPILE_CACHE: own });
  const files = cacheFiles(own);
  for (const name of stale) assert.ok(!files.includes(name), `${name} kept`);
  assert.ok(files.includes(recent) && files.includes(foreign), files.join(' '));
  assert.ok(files.some((f) => /^cli-asm\.js\..*\.asm\.v8$/.test(f)), files.join(' '));
});

test('a rebuilt bundle never runs with the cache of its predecessor', () => {
  // A copy of the launcher and the bundles asm needs, rebuilt in place (its text changed, as a build changes it).
  const copy = join(dir, 'package', 'dist');
  mkdirSync(copy, { recursive: true });
  for (const name of ['cli.js', 'cli-main.js', 'cli-asm.js']) copyFileSync(join(dist, name), join(copy, name));
  const own = join(dir, 'rebuilt');
  const reference = assembleToStdout({ NODE_DISABLE_COMPILE_CACHE: '1' });
  assert.equal(assembleToStdout({ NODE_COMPILE_CACHE: own }, join(copy, 'cli.js')), reference);
  const [before, ...others] = cacheFiles(own);
  assert.deepEqual(others, []);
  appendFileSync(join(copy, 'cli-asm.js'), '\n// rebuilt\n');
  assert.equal(assembleToStdout({ NODE_COMPILE_CACHE: own }, join(copy, 'cli.js')), reference);
  const [after, ...rest] = cacheFiles(own);
  assert.deepEqual(rest, [], 'the old build\'s cache is dropped');
  assert.notEqual(after, before);
  assert.match(after, /^cli-asm\.js\./);
});

test('a cache directory that cannot be made or read changes nothing of what a command does', () => {
  const reference = assembleToStdout({ NODE_DISABLE_COMPILE_CACHE: '1' });
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  // Under a regular file: neither root nor anyone else can make it.
  const r = dmalab(['asm', program, '--format', 'hex', '-o', '-'], { NODE_COMPILE_CACHE: join(file, 'cache') });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, reference);
  assert.equal(r.stderr, '');
  // A directory in the cache's place (reading it fails with EISDIR): the command compiles from source and runs.
  const own = join(dir, 'unreadable');
  assembleToStdout({ NODE_COMPILE_CACHE: own });
  const [name] = cacheFiles(own);
  const cacheFile = join(own, name);
  rmSync(cacheFile);
  mkdirSync(cacheFile);
  assert.equal(assembleToStdout({ NODE_COMPILE_CACHE: own }), reference);
});

test('a mistyped command writes no cache', () => {
  const before = cacheFiles();
  const r = dmalab(['asmm']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'asmm'/);
  assert.deepEqual(cacheFiles(), before);
});

test('the bundles are pure ASCII (the launcher decodes them as Latin-1), comments included', () => {
  const bundles = readdirSync(dist).filter((name) => /^cli(-[a-z-]+)?\.js$/.test(name));
  assert.ok(bundles.includes('cli-main.js') && bundles.includes('cli-run-elf.js'), bundles.join(' '));
  for (const name of bundles) {
    const text = readFileSync(join(dist, name), 'latin1');
    const at = text.search(/[^\0-\x7f]/);
    assert.equal(at, -1, `${name}: a byte outside ASCII at ${at}: ${text.slice(Math.max(0, at - 40), at + 10)}`);
  }
});
