// A person's editor for one test file: code-server with the packaged extension and a workspace copy, and Debian's
// Chromium showing its workbench. `withEditor` stops both whatever happens in the scenarios.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startCodeServer, type CodeServer, type CodeServerOptions } from './codeServer';
import { SCREENSHOT_DIR } from './paths';
import { Workbench } from './workbench';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Editor {
  readonly server: CodeServer;
  readonly workbench: Workbench;
}

export async function withEditor(options: CodeServerOptions, body: (editor: Editor) => Promise<void>): Promise<void> {
  const server = await startCodeServer(options);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const workbench = new Workbench(page);
    await workbench.open(`${server.url}/?folder=${encodeURIComponent(server.workspace)}`);
    await body({ server, workbench });
  } finally {
    await browser?.close().catch(() => {});
    await server.stop();
  }
}

/** Runs one scenario and keeps its screenshot in test-results/e2e/<name>.png, whether it passed or not. */
export async function scenario(workbench: Workbench, name: string, body: () => Promise<void>): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  try {
    await body();
  } finally {
    await workbench.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) }).catch(() => {});
  }
}
