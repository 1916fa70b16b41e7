// A person's editor for one test file: code-server with the packaged extension and a workspace copy, and Debian's
// Chromium showing its workbench. `close` stops both; the process-group registry covers a run that never gets there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startCodeServer, type CodeServer, type CodeServerOptions } from './codeServer';
import { ensureVsix } from './vsix';
import { Workbench } from './workbench';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Time for the first run's code-server install (about 5 minutes on 2 cores) plus the packaging and start-up. */
export const OPEN_TIMEOUT_MS = 15 * 60_000;

export interface Editor {
  readonly server: CodeServer;
  readonly workbench: Workbench;
  close(): Promise<void>;
}

/** Starts code-server with dmalab.vsix installed and opens its workbench on a copy of `workspace`. */
export async function openEditor(options: Omit<CodeServerOptions, 'extensions'>): Promise<Editor> {
  const log = (line: string) => console.log(`# ${line}`);
  const server = await startCodeServer({ ...options, extensions: [ensureVsix(log)] });
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => {});
    await server.stop();
  };
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const workbench = new Workbench(page);
    await workbench.open(`${server.url}/?folder=${encodeURIComponent(server.workspace)}`);
    return { server, workbench, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Runs one scenario and keeps its screenshot in test-results/e2e/<name>.png, whether it passed or not; a failure
 * carries the tail of the extension host's log, where the extension's own errors go.
 */
export async function scenario(editor: Editor, name: string, body: (workbench: Workbench) => Promise<void>): Promise<void> {
  try {
    await body(editor.workbench);
  } catch (error) {
    const log = extensionHostLog(editor.server.logsDir);
    if (error instanceof Error && log) error.message += `\n--- extension host log (last lines) ---\n${log}`;
    throw error;
  } finally {
    await editor.workbench.screenshot(name).catch(() => {});
  }
}

function extensionHostLog(logsDir: string): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of safeList(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/exthost\.log$|dmalab.*\.log$/i.test(name)) found.push(path);
    }
  };
  walk(logsDir);
  return found.map((f) => `${f}:\n${readFileSync(f, 'utf8').split('\n').slice(-25).join('\n')}`).join('\n');
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
