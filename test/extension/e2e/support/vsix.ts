// The packaged extension the end-to-end tests install: dmalab.vsix as `npm run package` builds it, rebuilt when any
// file it is made from is newer than it, so the tests never drive a stale package.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths';

export const VSIX = join(REPO_ROOT, 'dmalab.vsix');

/** What the bundles, grammars and manifest in the package are built from. */
const SOURCES = ['extension', 'server', 'debugger', 'emulator', 'cli', 'syntaxes', 'snippets', 'media', 'package.json', 'README.md', '.vscodeignore'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), stat.mtimeMs);
}

export function ensureVsix(log: (line: string) => void = () => {}): string {
  const built = existsSync(VSIX) ? statSync(VSIX).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map((s) => newestMtime(join(REPO_ROOT, s))));
  if (built > sources) return VSIX;
  log(`building ${VSIX} (npm run package)`);
  const r = spawnSync('npm', ['run', 'package'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  if (r.status !== 0 || !existsSync(VSIX)) throw new Error(`npm run package failed (status ${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return VSIX;
}
