// Runs every built benchmark in turn; each prints its own figures. Extra arguments filter by substring.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'dist-bench');
const filters = process.argv.slice(2);
const files = existsSync(dir)
  ? readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.bench.js')).sort()
  : [];
let failed = 0;
for (const file of files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))) {
  console.log(`\n== ${file.replace(/\.bench\.js$/, '')}`);
  const r = spawnSync(process.execPath, ['--enable-source-maps', '--expose-gc', join(dir, file)], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
