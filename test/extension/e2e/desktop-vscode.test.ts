// The extension's tests in a desktop VS Code through @vscode/test-electron, where one can be downloaded. Offline (as
// on the machines this project is built on) the download fails within seconds and the test says so and skips: the
// code-server suite beside it is the one that drives a real editor there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadAndUnzipVSCode, runTests, SilentReporter } from '@vscode/test-electron';
import { build } from 'esbuild';
import { REPO_ROOT } from './support/paths';
import { ensureVsix } from './support/vsix';

/** The desktop build matching the code-server suite's VS Code. */
const DESKTOP_VERSION = '1.96.4';
const DOWNLOAD_PATIENCE_MS = 20_000;
const OFFLINE = 'no desktop VS Code can be downloaded here; the code-server suite covers the extension';

test('extension tests in a desktop VS Code (@vscode/test-electron)', { timeout: 15 * 60_000 }, async (t) => {
  let executable: string;
  try {
    executable = await withDeadline(
      downloadAndUnzipVSCode({ version: DESKTOP_VERSION, cachePath: join(REPO_ROOT, '.cache', 'vscode-desktop'), timeout: 10_000, reporter: new SilentReporter() }),
      DOWNLOAD_PATIENCE_MS,
    );
  } catch (error) {
    t.diagnostic(`download of VS Code ${DESKTOP_VERSION} failed: ${(error as Error).message}`);
    t.skip(OFFLINE);
    return;
  }
  if (!process.env.DISPLAY) {
    t.skip('a desktop VS Code needs a display (run the tests under xvfb-run); the code-server suite covers the extension');
    return;
  }

  ensureVsix(); // builds dist/, which the development path loads
  const temp = mkdtempSync(join(tmpdir(), 'dmalab-desktop-'));
  try {
    const suite = join(temp, 'suite.js');
    await build({ entryPoints: [join(REPO_ROOT, 'test/extension/e2e/desktop/suite.ts')], outfile: suite, bundle: true, platform: 'node', format: 'cjs', external: ['vscode'], logLevel: 'warning' });
    const workspace = join(temp, 'workspace');
    cpSync(join(REPO_ROOT, 'examples'), workspace, { recursive: true });
    const code = await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: suite,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(temp, 'user-data'), '--extensions-dir', join(temp, 'extensions')],
    });
    assert.equal(code, 0);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
});

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
