// One code-server on 127.0.0.1 with a fresh profile (user data and extensions in a temporary folder), the packaged
// extension installed into it, and a copy of a workspace so that tests may edit files.
import { spawnSync } from 'node:child_process';
import { createWriteStream, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureCodeServer } from './install';
import { spawnGroup, type GroupProcess } from './processes';
import { waitFor } from './wait';

/** User settings of the fresh profile: nothing may cover the window or change behind the test's back. */
const USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
  'files.autoSave': 'off',
  'editor.hover.delay': 200,
  'editor.minimap.enabled': false,
  'window.zoomLevel': 0,
};

export interface CodeServerOptions {
  /** Folder copied into the temporary area and opened as the workspace. */
  workspace: string;
  /** .vsix files installed into the fresh extensions folder before the server starts. */
  extensions?: string[];
  /** Files written into the workspace copy before the editor opens it: relative path → content. */
  files?: Record<string, string>;
  /** Extra user settings, merged over the defaults. */
  settings?: Record<string, unknown>;
}

export interface CodeServer {
  readonly url: string;
  /** The workspace copy the editor has open. */
  readonly workspace: string;
  /** The profile's logs folder (extension host output, the window's log). */
  readonly logsDir: string;
  /** The last lines code-server printed. */
  outputTail(): string;
  stop(): Promise<void>;
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const entry = ensureCodeServer((line) => console.log(`# ${line}`));
  const temp = mkdtempSync(join(tmpdir(), 'dmalab-e2e-'));
  const userData = join(temp, 'user-data');
  const extensionsDir = join(temp, 'extensions');
  const workspace = join(temp, 'workspace');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(extensionsDir);
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...options.settings }, null, 2));
  cpSync(options.workspace, workspace, { recursive: true });
  for (const [path, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), content);
  }

  for (const vsix of options.extensions ?? []) {
    const r = spawnSync(process.execPath, [entry, '--user-data-dir', userData, '--extensions-dir', extensionsDir, '--install-extension', vsix], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`code-server --install-extension ${vsix} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }

  const port = await freePort();
  const logPath = join(temp, 'code-server.log');
  const log = createWriteStream(logPath);
  let server: GroupProcess | undefined = spawnGroup(
    process.execPath,
    [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', userData, '--extensions-dir', extensionsDir,
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', workspace],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  server.child.stdout?.pipe(log, { end: false });
  server.child.stderr?.pipe(log, { end: false });
  const outputTail = () => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (server === undefined) return;
    const s = server;
    server = undefined;
    await s.stop();
    log.end();
    rmSync(temp, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    let exitedEarly: number | string | undefined;
    void server.exited.then((code) => (exitedEarly = code));
    await waitFor(`code-server to answer on ${url}/healthz`, 60_000, async () => {
      if (exitedEarly !== undefined) throw new Error(`code-server exited (${exitedEarly}):\n${outputTail()}`);
      try {
        return (await fetch(`${url}/healthz`)).ok;
      } catch {
        return false;
      }
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, workspace, logsDir: join(userData, 'logs'), outputTail, stop };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
