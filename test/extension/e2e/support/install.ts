// Installs code-server (a real VS Code whose workbench runs in a browser) into .cache/code-server/<version>/ once,
// from the npm registry only: no step may download a binary, since the machine has no other network.
// The install goes to a staging folder that is renamed into place only when complete, so an interrupted install
// is redone rather than half-used.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths';

/** The last code-server whose VS Code (1.96.4) accepts Node 20. */
export const CODE_SERVER_VERSION = '4.96.4';

/** Native modules of the VS Code server, rebuilt against the installed Node instead of fetched prebuilt. */
const NATIVE_MODULES = ['kerberos', '@parcel/watcher', '@vscode/deviceid', '@vscode/spdlog', 'native-watchdog', 'node-pty'];

const NPM_QUIET = ['--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'];

export function codeServerDir(version = CODE_SERVER_VERSION): string {
  return join(REPO_ROOT, '.cache', 'code-server', version);
}

/** Path of code-server's entry script, installing code-server first when the cache does not hold it. */
export function ensureCodeServer(log: (line: string) => void = () => {}): string {
  const dir = codeServerDir();
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (existsSync(join(dir, '.complete')) && existsSync(entry)) return entry;

  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  // Without its own package.json, npm would walk up and install into the repository.
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'code-server-cache', private: true }) + '\n');
  const started = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (several minutes, once)`);
  try {
    npm(staging, ['install', ...NPM_QUIET, `code-server@${CODE_SERVER_VERSION}`]);
    const vscode = join(staging, 'node_modules', 'code-server', 'lib', 'vscode');
    unpinGitDependency(join(vscode, 'npm-shrinkwrap.json'), 'node_modules/@vscode/proxy-agent');
    npm(vscode, ['install', '--omit=dev', ...NPM_QUIET]);
    npm(vscode, ['rebuild', ...NATIVE_MODULES]);
    // @vscode/ripgrep's own install script downloads rg; Debian's ripgrep is the same program.
    mkdirSync(join(vscode, 'node_modules', '@vscode', 'ripgrep', 'bin'), { recursive: true });
    symlinkSync('/usr/bin/rg', join(vscode, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'));
    symlinkSync('node_modules', join(vscode, 'node_modules.asar'));
    npm(join(vscode, 'extensions'), ['install', '--omit=dev', ...NPM_QUIET]);
    npm(staging, ['rebuild', 'argon2']);
    writeFileSync(join(staging, '.complete'), `${CODE_SERVER_VERSION}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  log(`code-server installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return entry;
}

function npm(cwd: string, args: string[]): void {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    throw new Error(`code-server install: 'npm ${args.join(' ')}' in ${cwd} failed (status ${r.status}):\n${r.stderr.slice(-4000)}`);
  }
}

/** The shrinkwrap pins a package to a git URL that cannot be reached; the same version is on the registry. */
function unpinGitDependency(shrinkwrapPath: string, entry: string): void {
  const shrinkwrap = JSON.parse(readFileSync(shrinkwrapPath, 'utf8'));
  const pinned = shrinkwrap.packages?.[entry];
  if (pinned === undefined) throw new Error(`code-server install: ${shrinkwrapPath} has no entry ${entry}`);
  delete pinned.resolved;
  writeFileSync(shrinkwrapPath, JSON.stringify(shrinkwrap, null, 2) + '\n');
}
