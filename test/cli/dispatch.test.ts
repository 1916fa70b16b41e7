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
});
