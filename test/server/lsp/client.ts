// A real LSP client over stdio for the tests and the benchmark: spawns the built server (dist/server.js, or
// `dmalab lsp --stdio`), speaks JSON-RPC through vscode-languageserver-protocol, and collects published diagnostics.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  Diagnostic, InitializeRequest, InitializedNotification, ProtocolConnection, PublishDiagnosticsNotification,
  StreamMessageReader, StreamMessageWriter, createProtocolConnection, DidOpenTextDocumentNotification,
  DidChangeTextDocumentNotification, ExitNotification, ShutdownRequest, TextDocumentContentChangeEvent,
  ConfigurationRequest,
} from 'vscode-languageserver-protocol/node';

/** The repository root: the nearest folder above this bundle (dist-test/server/lsp or dist-bench) with the built server. */
export const ROOT = ((): string => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

export interface ServerOptions {
  /** Run `dist/cli.js lsp --stdio` instead of `dist/server.js --stdio`. */
  readonly viaCli?: boolean;
  /** What the client answers to workspace/configuration for section "dmalab" (omit: no configuration support). */
  readonly settings?: unknown;
  readonly workspaceFolder?: string;
}

export class LspClient {
  readonly connection: ProtocolConnection;
  private readonly child: ChildProcess;
  private readonly published = new Map<string, { version?: number; diagnostics: Diagnostic[] }>();
  private readonly waiters: { uri: string; version?: number; resolve: (d: Diagnostic[]) => void; reject: (e: Error) => void }[] = [];
  private readonly versions = new Map<string, number>();
  stderr = '';
  exitCode: number | null = null;
  private readonly exited: Promise<number | null>;

  constructor(private readonly options: ServerOptions = {}) {
    const args = options.viaCli ? [join(ROOT, 'dist', 'cli.js'), 'lsp', '--stdio'] : [join(ROOT, 'dist', 'server.js'), '--stdio'];
    this.child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve((this.exitCode = code))));
    // A server that dies must fail the caller, not leave it waiting.
    this.child.on('exit', (code) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`server exited with ${code}: ${this.stderr}`));
    });
    this.connection = createProtocolConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.published.set(p.uri, { version: p.version, diagnostics: p.diagnostics });
      for (const w of this.waiters.filter((x) => x.uri === p.uri && (x.version === undefined || x.version === p.version))) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(p.diagnostics);
      }
    });
    this.connection.onRequest(ConfigurationRequest.type, (p) => p.items.map((item) => (item.section === 'dmalab' ? options.settings ?? {} : null)));
    this.connection.listen();
  }

  get pid(): number {
    return this.child.pid!;
  }

  async initialize(): Promise<Awaited<ReturnType<ProtocolConnection['sendRequest']>>> {
    const folder = this.options.workspaceFolder;
    const result = await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: folder ? pathToFileURL(folder).href : null,
      workspaceFolders: folder ? [{ uri: pathToFileURL(folder).href, name: 'ws' }] : null,
      capabilities: {
        workspace: { configuration: this.options.settings !== undefined },
        textDocument: { publishDiagnostics: { versionSupport: true }, hover: { contentFormat: ['markdown'] } },
      },
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return result;
  }

  /** Opens a document and resolves with its first published diagnostics. */
  open(uri: string, languageId: string, text: string): Promise<Diagnostic[]> {
    this.versions.set(uri, 1);
    const wait = this.diagnostics(uri, 1);
    void this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    return wait;
  }

  openFile(path: string, languageId: string): Promise<Diagnostic[]> {
    return this.open(pathToFileURL(path).href, languageId, readFileSync(path, 'utf8'));
  }

  /** Applies edits as a new version; resolves with the diagnostics published for that version. */
  change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<Diagnostic[]> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const wait = this.diagnostics(uri, version);
    void this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
    return wait;
  }

  /** Sends edits without waiting (a burst of typing); only the last version is guaranteed diagnostics. */
  changeNoWait(uri: string, changes: TextDocumentContentChangeEvent[]): number {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    void this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  diagnostics(uri: string, version?: number): Promise<Diagnostic[]> {
    const known = this.published.get(uri);
    if (known && version !== undefined && known.version === version) return Promise.resolve(known.diagnostics);
    return new Promise((resolve, reject) => this.waiters.push({ uri, version, resolve, reject }));
  }

  async shutdown(): Promise<number | null> {
    await this.connection.sendRequest(ShutdownRequest.type);
    await this.connection.sendNotification(ExitNotification.type);
    const code = await this.exited;
    this.connection.dispose();
    return code;
  }
}

export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}

/** One server for a whole test file: started before the first test, shut down (exit status 0) after the last. */
export function serverForSuite(options: ServerOptions = {}): { readonly client: LspClient } {
  const holder = {} as { client: LspClient };
  before(async () => {
    holder.client = new LspClient(options);
    await holder.client.initialize();
  });
  after(async () => {
    assert.equal(await holder.client.shutdown(), 0, holder.client.stderr);
  });
  return holder;
}
