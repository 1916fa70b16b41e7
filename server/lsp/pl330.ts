// PL330 assembly in the language server: the assembler's analysis cached per document version, the feature
// functions of features/pl330 mapped onto LSP requests.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-types';
import { Pl330Analysis, analyzePl330 } from '../pl330/analysis';
import type { Severity } from '../pl330/diagnostics';
import { pl330CodeActions } from './features/pl330/code-actions';
import { pl330Completion } from './features/pl330/completion';
import { formatPl330Lines } from './features/pl330/format';
import { pl330Hover } from './features/pl330/hover';
import { pl330InlayHints } from './features/pl330/inlay-hints';
import { definitionRange, pl330DocumentSymbols, renameProblem, symbolAt, symbolOccurrences } from './features/pl330/navigation';
import { pl330SemanticTokens } from './features/pl330/semantic-tokens';
import { pl330SignatureHelp } from './features/pl330/signature';
import { DocumentContext, LanguageSupport, lineEdits } from './language';

const SEVERITY: Record<Severity, DiagnosticSeverity> = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information };

export function createPl330Support(): LanguageSupport & { analysis(ctx: DocumentContext): Pl330Analysis } {
  const cache = new Map<string, { version: number; settings: DocumentContext['settings']; analysis: Pl330Analysis }>();
  const analysis = (ctx: DocumentContext): Pl330Analysis => {
    const { document, settings } = ctx;
    const hit = cache.get(document.uri);
    if (hit && hit.version === document.version && hit.settings === settings) return hit.analysis;
    const fresh = analyzePl330(document.getText(), { config: settings.pl330 });
    cache.set(document.uri, { version: document.version, settings, analysis: fresh });
    return fresh;
  };
  return {
    analysis,
    forget: (uri) => cache.delete(uri),
    diagnostics(ctx): Diagnostic[] {
      return analysis(ctx).diagnostics.map((d) => ({
        range: { start: { line: d.line, character: d.col }, end: { line: d.endLine, character: d.endCol } },
        severity: SEVERITY[d.severity],
        code: d.code,
        source: 'dmalab',
        message: d.message,
      }));
    },
    hover: (ctx, p) => pl330Hover(analysis(ctx), p.line, p.character),
    completion: (ctx, p) => pl330Completion(analysis(ctx), p.line, p.character),
    signatureHelp: (ctx, p) => pl330SignatureHelp(analysis(ctx), p.line, p.character),
    definition(ctx, p) {
      const symbol = symbolAt(analysis(ctx), p.line, p.character);
      return symbol ? [{ uri: ctx.document.uri, range: definitionRange(symbol) }] : [];
    },
    references(ctx, p, includeDeclaration) {
      const a = analysis(ctx);
      const symbol = symbolAt(a, p.line, p.character);
      return symbol ? symbolOccurrences(a, symbol, includeDeclaration).map((range) => ({ uri: ctx.document.uri, range })) : [];
    },
    prepareRename(ctx, p) {
      const a = analysis(ctx);
      const symbol = symbolAt(a, p.line, p.character);
      if (!symbol) return undefined;
      const range = symbolOccurrences(a, symbol, true).find((r) => r.start.line === p.line && r.start.character <= p.character && p.character <= r.end.character);
      return range && { range, placeholder: symbol.name };
    },
    rename(ctx, p, newName) {
      const a = analysis(ctx);
      const symbol = symbolAt(a, p.line, p.character);
      if (!symbol) return 'no label or constant here';
      const problem = renameProblem(a, symbol, newName);
      if (problem) return problem;
      return { changes: { [ctx.document.uri]: symbolOccurrences(a, symbol, true).map((range) => ({ range, newText: newName })) } };
    },
    documentSymbols: (ctx) => pl330DocumentSymbols(analysis(ctx)),
    semanticTokens: (ctx) => pl330SemanticTokens(analysis(ctx)),
    inlayHints(ctx, range) {
      const lines = ctx.document.getText().split('\n');
      return pl330InlayHints(analysis(ctx), (line) => (lines[line] ?? '').replace(/\r$/, '').length, range.start.line, range.end.line);
    },
    codeActions: (ctx, diagnostics) => pl330CodeActions(analysis(ctx), ctx.document.uri, diagnostics),
    format(ctx, options) {
      return lineEdits(ctx.document, formatPl330Lines(analysis(ctx), { indent: options.tabSize }));
    },
  };
}
