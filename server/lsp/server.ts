// The dmalab language server: one connection, a document manager, capabilities declared once, and handlers that
// only route a request to the language of its document. Shared by the extension (dist/server.js) and `dmalab lsp`.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Connection, DidChangeConfigurationNotification, ResponseError, TextDocumentSyncKind, TextDocuments,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { assemble } from '../pl330/assembler';
import { toCArray, toImage, toListing } from '../pl330/output';
import { disassemble, formatDisassembly } from '../../emulator/pl330/disasm';
import { createDevicetreeSupport } from './devicetree';
import { DocumentContext, LanguageSupport } from './language';
import { createPl330Support } from './pl330';
import { SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES } from './features/semantic-legend';
import { DEFAULT_SETTINGS, DmalabSettings, parseSettings } from './settings';
import { REQUESTS } from './requests';
import { DMALAB_VERSION } from '../version';

/** Language of a document by its languageId, or by its file name for clients that send another id. */
function languageOf(document: TextDocument): 'pl330' | 'devicetree' | undefined {
  if (document.languageId === 'pl330' || /\.pl330$/i.test(document.uri)) return 'pl330';
  if (document.languageId === 'devicetree' || document.languageId === 'dts' || /\.(dts|dtsi|dtso|overlay)$/i.test(document.uri)) return 'devicetree';
  return undefined;
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const pl330 = createPl330Support();
  const devicetree = createDevicetreeSupport();
  const languages: Record<'pl330' | 'devicetree', LanguageSupport> = { pl330, devicetree };
  let pullConfiguration = false;
  let initialSettings: DmalabSettings = DEFAULT_SETTINGS;
  let workspaceFolders: string[] = [];
  const settingsByUri = new Map<string, Promise<DmalabSettings>>();
  const pending = new Map<string, ReturnType<typeof setImmediate>>();

  const settingsFor = (uri: string): Promise<DmalabSettings> => {
    if (!pullConfiguration) return Promise.resolve(initialSettings);
    let settings = settingsByUri.get(uri);
    if (!settings) {
      settings = connection.workspace.getConfiguration({ scopeUri: uri, section: 'dmalab' }).then(parseSettings, () => initialSettings);
      settingsByUri.set(uri, settings);
    }
    return settings;
  };

  const openDocument = (path: string): string | undefined => documents.get(pathToFileURL(path).href)?.getText();

  const context = async (document: TextDocument): Promise<DocumentContext> => {
    const path = document.uri.startsWith('file:') ? fileURLToPath(document.uri) : undefined;
    const workspaceFolder = path ? workspaceFolders.filter((f) => path.startsWith(f + '/')).sort((x, y) => y.length - x.length)[0] : undefined;
    return { document, settings: await settingsFor(document.uri), workspaceFolder, openDocument };
  };

  /** Runs a feature for the document at uri if its language has it. */
  const withLanguage = async <T>(uri: string, run: (support: LanguageSupport, ctx: DocumentContext) => T): Promise<T | undefined> => {
    const document = documents.get(uri);
    const language = document && languageOf(document);
    if (!document || !language) return undefined;
    return run(languages[language], await context(document));
  };

  const validate = async (uri: string): Promise<void> => {
    const document = documents.get(uri);
    if (!document) return;
    const version = document.version;
    const diagnostics = await withLanguage(uri, (support, ctx) => support.diagnostics(ctx));
    // A newer edit supersedes this result; its own validation publishes.
    if (diagnostics === undefined || documents.get(uri)?.version !== version) return;
    await connection.sendDiagnostics({ uri, version, diagnostics });
  };

  /** Coalesces a burst of edits into one validation of the latest text. */
  const scheduleValidation = (uri: string): void => {
    if (pending.has(uri)) return;
    pending.set(uri, setImmediate(() => {
      pending.delete(uri);
      validate(uri).catch((error: unknown) => connection.console.error(`validation of ${uri} failed: ${String(error)}`));
    }));
  };

  /** Documents that include a changed file are checked again too. */
  const revalidateDependents = async (changedUri: string): Promise<void> => {
    if (!changedUri.startsWith('file:')) return;
    const changedPath = fileURLToPath(changedUri);
    for (const document of documents.all()) {
      if (document.uri === changedUri) continue;
      const deps = await withLanguage(document.uri, (support, ctx) => support.dependencies?.(ctx) ?? []);
      if (deps?.includes(changedPath)) scheduleValidation(document.uri);
    }
  };

  connection.onInitialize((params) => {
    pullConfiguration = params.capabilities.workspace?.configuration === true;
    initialSettings = parseSettings((params.initializationOptions as { settings?: unknown } | undefined)?.settings ?? params.initializationOptions);
    workspaceFolders = (params.workspaceFolders ?? []).map((f) => f.uri).concat(params.rootUri ? [params.rootUri] : [])
      .filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u).replace(/\/$/, ''));
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: [' ', ',', '.', '&', '<', '#', '/', '"'] },
        signatureHelpProvider: { triggerCharacters: [' ', ','], retriggerCharacters: [' '] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        semanticTokensProvider: { legend: { tokenTypes: [...SEMANTIC_TOKEN_TYPES], tokenModifiers: [...SEMANTIC_TOKEN_MODIFIERS] }, full: true },
        inlayHintProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
      },
      serverInfo: { name: 'dmalab', version: DMALAB_VERSION },
    };
  });

  connection.onInitialized(() => {
    if (pullConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'dmalab' }).catch(() => undefined);
  });

  connection.onDidChangeConfiguration((change) => {
    settingsByUri.clear();
    if (!pullConfiguration) initialSettings = parseSettings((change.settings as { dmalab?: unknown } | undefined)?.dmalab ?? change.settings);
    for (const document of documents.all()) scheduleValidation(document.uri);
  });

  documents.onDidChangeContent((change) => {
    if (change.document.uri.startsWith('file:')) devicetree.invalidate(fileURLToPath(change.document.uri));
    scheduleValidation(change.document.uri);
    void revalidateDependents(change.document.uri);
  });
  documents.onDidClose((event) => {
    clearImmediate(pending.get(event.document.uri));
    pending.delete(event.document.uri);
    settingsByUri.delete(event.document.uri);
    for (const support of Object.values(languages)) support.forget?.(event.document.uri);
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  // Includes and headers changed on disk (the extension watches *.dtsi, *.dts, *.h).
  connection.onDidChangeWatchedFiles((params) => {
    for (const change of params.changes) {
      if (!change.uri.startsWith('file:')) continue;
      devicetree.invalidate(fileURLToPath(change.uri));
      void revalidateDependents(change.uri);
    }
  });

  connection.onHover((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.hover?.(ctx, p.position)));
  connection.onCompletion((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.completion?.(ctx, p.position) ?? []));
  connection.onSignatureHelp((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.signatureHelp?.(ctx, p.position)));
  connection.onDefinition((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.definition?.(ctx, p.position) ?? []));
  connection.onReferences((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.references?.(ctx, p.position, p.context.includeDeclaration) ?? []));
  connection.onPrepareRename((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.prepareRename?.(ctx, p.position) ?? null));
  connection.onRenameRequest(async (p) => {
    const edit = await withLanguage(p.textDocument.uri, (s, ctx) => s.rename?.(ctx, p.position, p.newName));
    if (typeof edit === 'string') throw new ResponseError(-32803, edit);
    return edit ?? null;
  });
  connection.onDocumentSymbol((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.documentSymbols?.(ctx) ?? []));
  connection.languages.semanticTokens.on(async (p) => ({ data: (await withLanguage(p.textDocument.uri, (s, ctx) => s.semanticTokens?.(ctx))) ?? [] }));
  connection.languages.inlayHint.on((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.inlayHints?.(ctx, p.range) ?? []));
  connection.onDocumentFormatting((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.format?.(ctx, p.options) ?? []));
  connection.onCodeAction((p) => withLanguage(p.textDocument.uri, (s, ctx) => s.codeActions?.(ctx, p.context.diagnostics) ?? []));

  // Commands of the extension (and of any client): the engines' outputs for a document or for raw bytes.
  connection.onRequest(REQUESTS.assemble, async ({ uri }) => {
    const document = documents.get(uri);
    const text = document?.getText() ?? readFileSync(fileURLToPath(uri), 'utf8');
    const settings = await settingsFor(uri);
    const result = assemble(text, { config: settings.pl330 });
    const image = toImage(result.programs);
    const name = (uri.split('/').pop() ?? 'program').replace(/\.[^.]*$/, '');
    return {
      errors: result.errorCount,
      listing: toListing(result, text),
      base: image.base,
      image: Buffer.from(image.bytes).toString('base64'),
      header: toCArray(result.programs, name),
    };
  });
  connection.onRequest(REQUESTS.disassemble, ({ bytes, base, thread }) => ({
    text: formatDisassembly(disassemble(new Uint8Array(Buffer.from(bytes, 'base64')), { base, thread })),
  }));
  connection.onRequest(REQUESTS.compileDevicetree, async ({ uri }) => {
    const result = await withLanguage(uri, (_, ctx) => devicetree.compile(ctx));
    if (!result) throw new ResponseError(-32602, `${uri} is not an open devicetree document`);
    return result;
  });
  connection.onRequest(REQUESTS.decompileDtb, ({ bytes }) => devicetree.decompile(new Uint8Array(Buffer.from(bytes, 'base64'))));

  documents.listen(connection);
  connection.listen();
}
