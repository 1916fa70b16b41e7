// With --json a script reads one JSON object on stdout whatever goes wrong: a usage error, a missing file, a platform
// that does not compile are `{ error: { message, file?, line?, column? } }`, with the status the human form has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asmCommand } from '../../cli/asm';
import { bootCommand } from '../../cli/boot';
import { demoCommand } from '../../cli/demo';
import { disasmCommand } from '../../cli/disasm';
import { dtcCommand } from '../../cli/dtc';
import { runCommand } from '../../cli/run';
import { runElfCommand } from '../../cli/run-elf';

const ROOT = join(__dirname, '../..');
const dmalab = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/dmalab'), ...args], { encoding: 'utf8' });
const work = mkdtempSync(join(tmpdir(), 'dmalab-json-errors-'));
const MEMCPY = join(ROOT, 'examples/pl330/memcpy.pl330');

/** The run with --json: nothing on stderr, one object on stdout, the status of the same run without --json. */
function jsonError(...args: string[]): { status: number | null; error: Record<string, unknown> } {
  const human = dmalab(...args);
  const r = dmalab(...args, '--json');
  assert.equal(r.stderr, '', args.join(' '));
  assert.equal(r.status, human.status, args.join(' '));
  assert.notEqual(human.stderr, '', 'the human form reports it on stderr');
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['error'], r.stdout);
  return { status: r.status, error: out.error };
}

test('every command with --json reports a usage error as JSON (status 2)', () => {
  const withJson = [asmCommand, disasmCommand, runCommand, runElfCommand, bootCommand, dtcCommand, demoCommand].filter((c) => '--json' in c.flags);
  assert.ok(withJson.includes(runCommand));
  for (const command of withJson) {
    const { status, error } = jsonError(command.name, '--platfrom', 'board.dts', MEMCPY);
    assert.equal(status, 2, command.name);
    assert.deepEqual(error, { message: "unknown option '--platfrom'; did you mean '--platform'?" });
  }
  // A flag's name before ':' is not a file.
  assert.deepEqual(jsonError('run', MEMCPY, '--max-cycles', 'lots').error, { message: "--max-cycles: 'lots' is not an integer of at least 1 (decimal, 0x hex or 0b binary)" });
});

test('run --json: a missing program, an output in a missing directory name the file (status 6)', () => {
  const missing = join(work, 'nope.pl330');
  assert.deepEqual(jsonError('run', missing), { status: 6, error: { message: 'no such file', file: missing } });
  const out = join(work, 'no-dir', 'dump.bin');
  assert.deepEqual(jsonError('run', MEMCPY, '--dump', `0x0:4=${out}`), { status: 6, error: { message: `the directory ${join(work, 'no-dir')} does not exist`, file: out } });
});

test('run --json: a platform with a syntax error names file, line and column, for a program and for a scenario', () => {
  const platform = join(work, 'bad.dts');
  writeFileSync(platform, '/dts-v1/;\n/ {\n  foo = <1;\n};\n');
  const expected = { message: "syntax error: expected an integer, a character literal or a (parenthesised expression), found ';' [syntax]", file: platform, line: 3, column: 11 };
  assert.deepEqual(jsonError('run', MEMCPY, '--platform', platform), { status: 6, error: expected });
  assert.deepEqual(jsonError('run', '--scenario', 'vfio-test-case-1', '--platform', platform), { status: 6, error: expected });
});

test('run --json: a program that does not assemble has the same error shape, with its diagnostics', () => {
  const bad = join(work, 'bad.pl330');
  writeFileSync(bad, 'DMALP 300\nDMAEND\n');
  const r = dmalab('run', bad, '--json');
  assert.equal(r.status, 5);
  assert.equal(r.stderr, '');
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.error, { message: '2 error(s); not run', file: bad });
  assert.deepEqual(out.diagnostics.map((d: { line: number; col: number }) => [d.line, d.col]), [[1, 1], [1, 7]]);
  assert.equal(dmalab('run', bad).stderr.split('\n').at(-2), `dmalab run: ${bad}: 2 error(s); not run`);
});

test("run --json: a bug of dmalab's is still one JSON object (status 70), its stack on stderr", () => {
  // A preload makes reading this one program throw as a defect would (a TypeError, not a file error).
  const program = join(work, 'internal-fault.pl330');
  writeFileSync(program, 'DMAEND\n');
  const preload = join(work, 'fault.cjs');
  writeFileSync(preload, `const fs = require('node:fs'); const read = fs.readFileSync;
fs.readFileSync = function (path, ...rest) {
  if (String(path) === ${JSON.stringify(program)}) throw new TypeError('simulated defect');
  return read.call(this, path, ...rest);
};`);
  const run = (...args: string[]) => spawnSync(process.execPath, ['--require', preload, join(ROOT, 'bin/dmalab'), 'run', program, ...args], { encoding: 'utf8' });
  const json = run('--json');
  assert.equal(json.status, 70);
  assert.deepEqual(JSON.parse(json.stdout), { error: { message: 'internal error: simulated defect', internal: true } });
  assert.match(json.stderr, /^dmalab: internal error: TypeError: simulated defect\n\s+at /);
  const human = run();
  assert.equal(human.status, 70);
  assert.equal(human.stdout, '');
  assert.match(human.stderr, /^dmalab: internal error: TypeError: simulated defect/);
  assert.equal(dmalab('run', program, '--json').status, 0, 'without the preload the program runs');
});
