// The VS Code side: starts the bundled language server and wires the commands to its requests. No language logic
// lives here; the server (the same one `dmalab lsp --stdio` runs) owns the engines.
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { REQUESTS } from '../server/lsp/requests';
import { registerDebugger } from './debug';
import { ReadOnlyDocuments } from './read-only-documents';
import { registerTimeline } from './timeline';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  registerDebugger(context);
  registerTimeline(context);
  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'pl330' }, { scheme: 'untitled', language: 'pl330' },
      { scheme: 'file', language: 'devicetree' }, { scheme: 'untitled', language: 'devicetree' },
    ],
    // Headers and includes that are not open still change the documents that include them.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{dtsi,dts,h}') },
  };
  client = new LanguageClient('dmalab', 'dmalab language server', serverOptions, clientOptions);
  const views = new ReadOnlyDocuments();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(ReadOnlyDocuments.scheme, views),
    vscode.commands.registerCommand('dmalab.assemble', (uri?: vscode.Uri) => assemble(views, uri)),
    vscode.commands.registerCommand('dmalab.disassemble', (uri?: vscode.Uri) => disassembleBinary(uri)),
    vscode.commands.registerCommand('dmalab.compileDevicetree', (uri?: vscode.Uri) => compileDevicetree(uri)),
    vscode.commands.registerCommand('dmalab.decompileDtb', (uri?: vscode.Uri) => decompileDtb(views, uri)),
  );
  await client.start();
}

export function deactivate(): Promise<void> | undefined {
  return client?.stop();
}

function running(): LanguageClient {
  if (!client) throw new Error('the dmalab language server is not running');
  return client;
}

/** The document a command acts on: the explorer's selection, else the active editor's if it has the language. */
async function targetDocument(uri: vscode.Uri | undefined, languageId: string): Promise<vscode.TextDocument | undefined> {
  if (uri) return vscode.workspace.openTextDocument(uri);
  const document = vscode.window.activeTextEditor?.document;
  if (document?.languageId === languageId) return document;
  void vscode.window.showErrorMessage(`Open a ${languageId === 'pl330' ? 'PL330 (.pl330)' : 'devicetree (.dts)'} file first.`);
  return undefined;
}

/** A sibling file of uri with another extension: prog.pl330 → prog.bin. */
function sibling(uri: vscode.Uri, extension: string): vscode.Uri {
  return uri.with({ path: uri.path.replace(/\.[^./]*$/, '') + extension });
}

async function assemble(views: ReadOnlyDocuments, uri?: vscode.Uri): Promise<void> {
  const document = await targetDocument(uri, 'pl330');
  if (!document) return;
  const result = await running().sendRequest(REQUESTS.assemble, { uri: document.uri.toString() });
  const listing = await views.set(document.uri.with({ path: document.uri.path + '.lst' }), result.listing);
  await vscode.window.showTextDocument(listing, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: true });
  if (result.errors > 0) {
    void vscode.window.showErrorMessage(`${result.errors} error(s): nothing written. See the Problems panel.`);
    return;
  }
  if (document.uri.scheme !== 'file') return;
  const bin = sibling(document.uri, '.bin');
  const header = sibling(document.uri, '.h');
  await vscode.workspace.fs.writeFile(bin, Buffer.from(result.image, 'base64'));
  await vscode.workspace.fs.writeFile(header, Buffer.from(result.header));
  void vscode.window.showInformationMessage(`Wrote ${vscode.workspace.asRelativePath(bin)} (base 0x${result.base.toString(16)}) and ${vscode.workspace.asRelativePath(header)}.`);
}

async function pickFile(uri: vscode.Uri | undefined, title: string, filters: Record<string, string[]>): Promise<vscode.Uri | undefined> {
  return uri ?? (await vscode.window.showOpenDialog({ title, canSelectMany: false, filters }))?.[0];
}

async function disassembleBinary(uri?: vscode.Uri): Promise<void> {
  const file = await pickFile(uri, 'PL330 microcode to disassemble', { 'PL330 binary': ['bin'], 'All files': ['*'] });
  if (!file) return;
  const baseText = await vscode.window.showInputBox({
    title: 'Address of the first byte', value: '0x0',
    validateInput: (v) => (/^(0x[0-9a-f]+|\d+)$/i.test(v.trim()) && Number(v.trim()) <= 0xffffffff ? undefined : 'an address: 0x1000 or 4096'),
  });
  if (baseText === undefined) return;
  const bytes = await vscode.workspace.fs.readFile(file);
  const { text } = await running().sendRequest(REQUESTS.disassemble, { bytes: Buffer.from(bytes).toString('base64'), base: Number(baseText.trim()) });
  const document = await vscode.workspace.openTextDocument({ language: 'pl330', content: text });
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside });
}

async function compileDevicetree(uri?: vscode.Uri): Promise<void> {
  const document = await targetDocument(uri, 'devicetree');
  if (!document) return;
  const result = await running().sendRequest(REQUESTS.compileDevicetree, { uri: document.uri.toString() });
  if (result.errors > 0 || document.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(`Devicetree not compiled: ${result.messages.slice(0, 3).join('; ') || `${result.errors} error(s)`}`);
    return;
  }
  const dtb = sibling(document.uri, document.uri.path.endsWith('.dtso') ? '.dtbo' : '.dtb');
  await vscode.workspace.fs.writeFile(dtb, Buffer.from(result.dtb, 'base64'));
  void vscode.window.showInformationMessage(`Wrote ${vscode.workspace.asRelativePath(dtb)}.`);
}

async function decompileDtb(views: ReadOnlyDocuments, uri?: vscode.Uri): Promise<void> {
  const file = await pickFile(uri, 'Flattened devicetree to decompile', { 'Devicetree blob': ['dtb', 'dtbo'], 'All files': ['*'] });
  if (!file) return;
  const bytes = await vscode.workspace.fs.readFile(file);
  const { text } = await running().sendRequest(REQUESTS.decompileDtb, { bytes: Buffer.from(bytes).toString('base64') });
  const document = await views.set(file.with({ path: file.path + '.dts' }), text);
  await vscode.window.showTextDocument(await vscode.languages.setTextDocumentLanguage(document, 'devicetree'), { viewColumn: vscode.ViewColumn.Beside });
}
