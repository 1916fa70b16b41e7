// Where the end-to-end harness finds the repository and keeps its outputs. Test bundles run from dist-test/extension/e2e/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRepoRoot(start: string): string {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scripts', 'build.mjs'))) return dir;
  }
  throw new Error(`no dmalab repository above ${start}`);
}

export const REPO_ROOT = findRepoRoot(__dirname);

/** One PNG per scenario, kept after the run (test-results/ is not versioned). */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'e2e');
