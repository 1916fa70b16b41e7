// What `dmalab` itself answers before a command runs: its version, and a near miss of a command's or an option's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dmalab = (...args: string[]) => spawnSync(process.execPath, [join(__dirname, '../../bin/dmalab'), ...args], { encoding: 'utf8' });

test("dmalab --version prints package.json's version", () => {
  const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
  const r = dmalab('--version');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `dmalab ${version}\n`);
  assert.match(dmalab('--help').stdout, /'dmalab --version' prints the version/);
});

test("an unknown command one slip from a real one is named: a typo, a spelled-out name; nothing when none is near", () => {
  for (const [typed, meant] of [['asembl', 'asm'], ['assemble', 'asm'], ['dissasm', 'disasm'], ['run-efl', 'run-elf'], ['dtcc', 'dtc']]) {
    const r = dmalab(typed, 'x');
    assert.equal(r.status, 2, typed);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^dmalab: unknown command '${typed}'; did you mean '${meant}'\\?\\nusage: dmalab COMMAND`), typed);
  }
  assert.match(dmalab('compile', 'x').stderr, /^dmalab: unknown command 'compile'\n/);
});

test("an unknown option one slip from one of the command's is named (and an alias's long form); a far one is not", () => {
  const platfrom = dmalab('run', '--platfrom', 'board.dts', 'x.pl330');
  assert.equal(platfrom.status, 2);
  assert.match(platfrom.stderr, /^dmalab run: unknown option '--platfrom'; did you mean '--platform'\?\nusage: dmalab run /);
  assert.match(dmalab('run-elf', 'prog', '--sysrot', '/usr/arm-linux-gnueabihf').stderr, /^dmalab run-elf: unknown option '--sysrot'; did you mean '--sysroot'\?\n/);
  assert.match(dmalab('dtc', '--out-fromat', 'dtb', 'x.dts').stderr, /^dmalab dtc: unknown option '--out-fromat'; did you mean '--out-format'\?\n/);
  assert.match(dmalab('asm', '--verbose', 'x.pl330').stderr, /^dmalab asm: unknown option '--verbose'\n/);
});
