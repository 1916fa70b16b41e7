// What the server asks of each language: every feature is optional except diagnostics. Positions are LSP ones;
// a language maps them onto its engine's result (cached per document version).
import type {
  CodeAction, CompletionItem, Diagnostic, DocumentSymbol, FormattingOptions, Hover, InlayHint, Location, Position, Range, SignatureHelp,
  TextEdit, WorkspaceEdit,
} from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DmalabSettings } from './settings';

/** A document with its settings and the workspace folder it belongs to. */
export interface DocumentContext {
  readonly document: TextDocument;
  readonly settings: DmalabSettings;
  /** Filesystem path of the workspace folder containing the document, if any. */
  readonly workspaceFolder?: string;
  /** Text of other open documents, which take precedence over the disk (includes being edited). */
  readonly openDocument: (path: string) => string | undefined;
}

export interface LanguageSupport {
  diagnostics(ctx: DocumentContext): Diagnostic[];
  /** Drops what is cached for a closed document. */
  forget?(uri: string): void;
  /** Files besides the document whose changes affect it (includes), as filesystem paths. */
  dependencies?(ctx: DocumentContext): readonly string[];
  hover?(ctx: DocumentContext, position: Position): Hover | undefined;
  completion?(ctx: DocumentContext, position: Position): CompletionItem[];
  signatureHelp?(ctx: DocumentContext, position: Position): SignatureHelp | undefined;
  definition?(ctx: DocumentContext, position: Position): Location[];
  references?(ctx: DocumentContext, position: Position, includeDeclaration: boolean): Location[];
  prepareRename?(ctx: DocumentContext, position: Position): { range: Range; placeholder: string } | undefined;
  /** A workspace edit, or the reason the rename is refused. */
  rename?(ctx: DocumentContext, position: Position, newName: string): WorkspaceEdit | string;
  documentSymbols?(ctx: DocumentContext): DocumentSymbol[];
  semanticTokens?(ctx: DocumentContext): number[];
  inlayHints?(ctx: DocumentContext, range: Range): InlayHint[];
  format?(ctx: DocumentContext, options: FormattingOptions): TextEdit[];
  /** Quick fixes for the given diagnostics (those the client shows in the range). */
  codeActions?(ctx: DocumentContext, diagnostics: readonly Diagnostic[]): CodeAction[];
}

/** Edits that turn each changed line into its new text (line counts equal), so the cursor stays put. */
export function lineEdits(document: TextDocument, newLines: readonly string[]): TextEdit[] {
  const edits: TextEdit[] = [];
  const oldLines = document.getText().split('\n').map((l) => l.replace(/\r$/, ''));
  newLines.forEach((text, line) => {
    if (oldLines[line] === text) return;
    edits.push({ range: { start: { line, character: 0 }, end: { line, character: oldLines[line].length } }, newText: text });
  });
  return edits;
}
