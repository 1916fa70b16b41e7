// Runs every built test file with Node's test runner; extra arguments filter test files by substring.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

// Filters match the path inside dist-test/, not the checkout's own location. The end-to-end tests in a real editor
// are the slowest and need every bundle: they run last.
const testDir = join(root, 'dist-test');
const isEndToEnd = (f) => relative(testDir, f).startsWith('extension/e2e/');
const files = findTests(testDir)
  .filter((f) => filters.length === 0 || filters.some((s) => relative(testDir, f).includes(s)))
  .sort((a, b) => Number(isEndToEnd(a)) - Number(isEndToEnd(b)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
