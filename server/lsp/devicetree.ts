// Devicetree in the language server: the engine's analysis (server/dts) cached per document version and
// settings, with the include files shared between runs; features from features/dts mapped onto LSP requests.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { DiagnosticSeverity, type Diagnostic, type Location } from 'vscode-languageserver-types';
import { loadDtb, toDtb, toDts } from '../dts/compiler';
import { newPreprocessCache } from '../dts/preprocessor';
import { FileHost } from '../dts/source';
import { DtsAnalysis, MacroDefinition, analyzeDts, diagnosticSpan, includeAt } from './features/dts/analysis';
import { dtsCompletion } from './features/dts/completion';
import { formatDts } from './features/dts/format';
import { dtsInlayHints } from './features/dts/inlay-hints';
import { dtsSemanticTokens } from './features/dts/semantic-tokens';
import { dtsHover } from './features/dts/hover';
import { FileRange, dtsDefinition, dtsDocumentSymbols, labelAt, labelOccurrences, labelRenameProblem } from './features/dts/navigation';
import { DocumentContext, LanguageSupport, lineEdits } from './language';
import type { CompileDevicetreeResponse } from './requests';

export interface DevicetreeSupport extends LanguageSupport {
  compile(ctx: DocumentContext): CompileDevicetreeResponse;
  decompile(bytes: Uint8Array): { text: string };
  /** A file changed on disk or in the editor: drop what was read of it. */
  invalidate(path: string): void;
}

const diskHost: FileHost = {
  readFile(path) {
    try {
      return statSync(path).isFile() ? readFileSync(path) : undefined;
    } catch {
      return undefined;
    }
  },
};

const pathOf = (uri: string): string => (uri.startsWith('file:') ? fileURLToPath(uri) : uri.replace(/^[a-z]+:\/*/i, '/'));
const toLocation = (r: FileRange): Location => ({ uri: pathToFileURL(r.file).href, range: r.range });

function wordAt(text: string, line: number, col: number): string | undefined {
  const l = text.split('\n')[line] ?? '';
  let a = col;
  let b = col;
  while (a > 0 && /\w/.test(l[a - 1])) a--;
  while (b < l.length && /\w/.test(l[b])) b++;
  return a < b ? l.slice(a, b) : undefined;
}

export function createDevicetreeSupport(): DevicetreeSupport {
  const preprocessCache = newPreprocessCache({ replayIncludes: true });
  const macroCache = new Map<string, MacroDefinition[]>();
  const cache = new Map<string, { version: number; settings: DocumentContext['settings']; generation: number; analysis: DtsAnalysis }>();
  /** Bumped whenever a file that documents may include changes: every cached analysis is then stale. */
  let generation = 0;
  /** The last analysis that parsed, for completion while the text under the cursor does not. */
  const lastParsed = new Map<string, DtsAnalysis>();

  const includeDirs = (ctx: DocumentContext): string[] =>
    ctx.settings.devicetree.includePaths.map((p) => (isAbsolute(p) || !ctx.workspaceFolder ? p : join(ctx.workspaceFolder, p)));
  const hostFor = (ctx: DocumentContext): FileHost => ({
    // Open documents win over the disk, so an edited include is seen before it is saved.
    readFile: (path) => {
      const open = ctx.openDocument(path);
      return open !== undefined ? Buffer.from(open, 'utf8') : diskHost.readFile(path);
    },
  });

  const analysis = (ctx: DocumentContext): DtsAnalysis => {
    const { document, settings } = ctx;
    const hit = cache.get(document.uri);
    if (hit && hit.version === document.version && hit.settings === settings && hit.generation === generation) return hit.analysis;
    const defines = Object.entries(settings.devicetree.defines).map(([k, v]) => `${k}=${v}`);
    const path = pathOf(document.uri);
    // A .dtsi is best read through a document that includes it (for its macros and labels).
    const includer = [...cache.values()].map((c) => c.analysis).find((a) => a.path !== path && a.files.includes(path) && /\/dts-v1\//.test(a.text));
    const fresh = analyzeDts(path, document.getText(), { host: hostFor(ctx), includeDirs: includeDirs(ctx), defines, cache: preprocessCache, macroCache }, includer && { path: includer.path, text: ctx.openDocument(includer.path) ?? includer.text });
    cache.set(document.uri, { version: document.version, settings, generation, analysis: fresh });
    if (fresh.document) lastParsed.set(document.uri, fresh);
    return fresh;
  };

  const severity = (s: string): DiagnosticSeverity => (s === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning);

  return {
    invalidate(path) {
      // Only a file some compilation read (or an analysis includes) makes analyses stale, not the keystrokes in a
      // top-level document. Missing files are cached too (as null), so a created file is found again as well.
      const read = preprocessCache.delete(path);
      const macros = macroCache.delete(path);
      if (read || macros || [...cache.values()].some((c) => c.analysis.files.includes(path))) generation++;
    },
    forget(uri) {
      cache.delete(uri);
      lastParsed.delete(uri);
    },
    dependencies: (ctx) => analysis(ctx).files,
    diagnostics(ctx): Diagnostic[] {
      const a = analysis(ctx);
      const out: Diagnostic[] = [];
      const push = (code: string, sev: string, message: string, span: ReturnType<typeof diagnosticSpan>): void => {
        const here = span && span.file === a.path;
        out.push({
          range: here ? { start: { line: span.line, character: span.col }, end: { line: span.endLine, character: Math.max(span.endCol, span.line === span.endLine ? span.col + 1 : span.endCol) } } : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
          severity: severity(sev), code, source: 'dmalab',
          message: here || !span ? message : `${span.file}:${span.line + 1}:${span.col + 1}: ${message}`,
        });
      };
      for (const d of a.diagnostics) push(d.code, d.severity, d.message, diagnosticSpan(a, d));
      for (const f of a.bindings) {
        const locs = [...(f.property?.loc ? [f.property.loc] : []), ...f.node.locs];
        const spans = locs.map((l) => a.spanOf(l));
        push(f.code, f.severity, f.message, spans.find((s) => s.file === a.path) ?? spans[0]);
      }
      return out;
    },
    hover: (ctx, p) => {
      const a = analysis(ctx);
      return dtsHover(a, p.line, p.character, wordAt(a.text, p.line, p.character));
    },
    completion(ctx, p) {
      const fresh = analysis(ctx);
      const a = lastParsed.get(ctx.document.uri) ?? fresh;
      return dtsCompletion({ ...a, text: fresh.text }, p.line, p.character);
    },
    definition(ctx, p) {
      const a = analysis(ctx);
      const include = includeAt(a, p.line, hostFor(ctx));
      if (include?.path && p.character >= include.col && p.character <= include.endCol) return [{ uri: pathToFileURL(include.path).href, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }];
      const found = dtsDefinition(a, p.line, p.character).map(toLocation);
      if (found.length) return found;
      const word = wordAt(a.text, p.line, p.character);
      const macro = word !== undefined ? a.macros.get(word) : undefined;
      return macro ? [{ uri: pathToFileURL(macro.file).href, range: { start: { line: macro.line, character: macro.col }, end: { line: macro.line, character: macro.col + macro.name.length } } }] : [];
    },
    references(ctx, p, includeDeclaration) {
      const a = analysis(ctx);
      const label = labelAt(a, p.line, p.character);
      return label ? labelOccurrences(a, label, includeDeclaration).map(toLocation) : [];
    },
    prepareRename(ctx, p) {
      const a = analysis(ctx);
      const label = labelAt(a, p.line, p.character);
      if (!label) return undefined;
      const here = labelOccurrences(a, label, true).find((r) => r.file === a.path && r.range.start.line === p.line && r.range.start.character <= p.character && p.character <= r.range.end.character);
      return here && { range: here.range, placeholder: label };
    },
    rename(ctx, p, newName) {
      const a = analysis(ctx);
      const label = labelAt(a, p.line, p.character);
      if (!label) return 'no label here';
      const problem = labelRenameProblem(a, label, newName);
      if (problem) return problem;
      const changes: Record<string, { range: FileRange['range']; newText: string }[]> = {};
      for (const r of labelOccurrences(a, label, true)) (changes[pathToFileURL(r.file).href] ??= []).push({ range: r.range, newText: newName });
      return { changes };
    },
    documentSymbols: (ctx) => dtsDocumentSymbols(analysis(ctx)),
    semanticTokens: (ctx) => dtsSemanticTokens(analysis(ctx)),
    inlayHints: (ctx, range) => dtsInlayHints(analysis(ctx), range.start.line, range.end.line),
    format(ctx) {
      const text = ctx.document.getText();
      const formatted = formatDts(text);
      if (formatted === text) return [];
      const newLines = formatted.split('\n').map((l) => l.replace(/\r$/, ''));
      if (newLines.length === text.split('\n').length) return lineEdits(ctx.document, newLines);
      return [{ range: { start: { line: 0, character: 0 }, end: ctx.document.positionAt(text.length) }, newText: formatted }];
    },
    compile(ctx) {
      const a = analysis(ctx);
      const messages = a.diagnostics.map((d) => {
        const s = diagnosticSpan(a, d);
        return `${s ? `${s.file}:${s.line + 1}:${s.col + 1}: ` : ''}${d.severity}: ${d.message} [${d.code}]`;
      });
      const errors = a.diagnostics.filter((d) => d.severity === 'error').length;
      if (errors > 0 || !a.info) return { errors: Math.max(errors, 1), dtb: '', messages };
      return { errors: 0, dtb: Buffer.from(toDtb(a.info)).toString('base64'), messages };
    },
    decompile(bytes) {
      const result = loadDtb(bytes, { force: true });
      if (!result.info) return { text: `// not a devicetree blob: ${result.diagnostics.map((d) => d.message).join('; ')}\n` };
      return { text: toDts(result.info, 'roundtrip') };
    },
  };
}
