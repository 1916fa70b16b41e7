// One devicetree document as the editor features read it: the engine's run (cpp, parse, build, dtc's checks, the
// binding checks) and an index of what is where: nodes, properties, labels, references, #includes and macros, in
// the document and in the files it includes, with the compiled node each one belongs to.
import { DtInfo, buildDtInfo } from '../../../dts/build';
import { CHECKS } from '../../../dts/checks';
import { CheckSwitches } from '../../../checks';
import { processTree } from '../../../dts/compiler';
import { DtsDocument, LabelDef, NodeAst, dirname, joinPath, parseDts } from '../../../dts/parser';
import type { PreprocessCache } from '../../../dts/preprocessor';
import { preprocessDts } from '../../../dts/compile-file';
import { Diagnostic, DtsFatal, FileHost, Loc, Source, bytesToText, diagnosticPosition } from '../../../dts/source';
import type { DtNode, DtProperty } from '../../../dts/tree';
import { BindingFinding, runBindingChecks } from '../../../dts/bindings';

/** 0-based line and UTF-16 column... of an ASCII line; the engine counts bytes, which agree for ASCII text. */
export interface Span {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
}

export type Entity =
  | { readonly kind: 'node'; readonly span: Span; readonly whole: Span; readonly ast: NodeAst; readonly node?: DtNode; readonly refName?: string }
  | { readonly kind: 'property'; readonly span: Span; readonly whole: Span; readonly name: string; readonly node?: DtNode }
  | { readonly kind: 'label'; readonly span: Span; readonly name: string; readonly node?: DtNode }
  | { readonly kind: 'ref'; readonly span: Span; readonly ref: string };

export interface MacroDefinition {
  readonly name: string;
  readonly params?: string;
  readonly body: string;
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface DtsAnalysis {
  readonly path: string;
  readonly text: string;
  readonly document?: DtsDocument;
  readonly info?: DtInfo;
  readonly diagnostics: readonly Diagnostic[];
  readonly bindings: readonly BindingFinding[];
  /** Every file the document includes, directly or not. */
  readonly files: readonly string[];
  readonly entities: readonly Entity[];
  readonly macros: ReadonlyMap<string, MacroDefinition>;
  readonly includeDirs: readonly string[];
  /** Resolves a position of the engine (a location) to a span. */
  readonly spanOf: (loc: Loc) => Span;
}

export interface DtsAnalyzeOptions {
  readonly host: FileHost;
  readonly includeDirs: readonly string[];
  readonly defines: readonly string[];
  readonly cache: PreprocessCache;
  /** Macro definitions per file, shared between runs like the preprocessor's token cache. */
  readonly macroCache: Map<string, MacroDefinition[]>;
}

/** Checks that only make sense for a whole tree: a fragment (a .dtsi) refers to labels defined by its includers. */
const WHOLE_TREE_ONLY = new Set(['reference', 'phandle_references', 'path_references']);

/**
 * Analyses `path`. A fragment (a .dtsi without /dts-v1/) is compiled through a file that includes it when one is
 * known (its macros and labels come from there), else as the include of a one-line wrapper; either way its own
 * lines keep their positions, and only findings in the fragment are kept.
 */
export function analyzeDts(path: string, text: string, options: DtsAnalyzeOptions, includer?: { path: string; text: string }): DtsAnalysis {
  const diagnostics: Diagnostic[] = [];
  const fragment = !/^\s*\/dts-v1\/\s*;/m.test(text);
  const wrapper = `${path}.dmalab-fragment.dts`;
  const host: FileHost = fragment ? { readFile: (p) => (p === path ? Buffer.from(text, 'utf8') : options.host.readFile(p)) } : options.host;
  const main = !fragment ? { path, text } : includer ?? { path: wrapper, text: `/dts-v1/;\n#include "${path}"\n` };
  const mainPath = main.path;
  if (fragment) options.cache.delete(path);
  // Kernel style: cpp first (-undef -D__DTS__), then dtc with the same include directories.
  const pre = preprocessDts(mainPath, main.text, { host, includeDirs: options.includeDirs, defines: options.defines, cache: options.cache });
  if (fragment) options.cache.delete(path);
  diagnostics.push(...pre.diagnostics);
  const source = new Source(mainPath, pre.text, dirname(mainPath), pre.map, pre.segments);
  const spanOf = (loc: Loc): Span => {
    const start = loc.source.positionAt(loc.start);
    const end = loc.end > loc.start ? loc.source.positionAt(loc.end) : start;
    const sameFile = end.file === start.file && (end.line > start.line || (end.line === start.line && end.col >= start.col));
    return { file: start.file, line: start.line - 1, col: start.col - 1, endLine: sameFile ? end.line - 1 : start.line - 1, endCol: sameFile ? end.col - 1 : start.col };
  };
  let document: DtsDocument | undefined;
  let info: DtInfo | undefined;
  let bindings: BindingFinding[] = [];
  if (!pre.diagnostics.some((d) => d.severity === 'error')) {
    try {
      document = parseDts(source, { host, includeDirs: options.includeDirs });
      diagnostics.push(...document.diagnostics);
      info = buildDtInfo(document, diagnostics);
      // force: the tree is wanted even when checks fail, for hover and navigation.
      processTree(info, { force: true, levels: new CheckSwitches(CHECKS) }, diagnostics);
      bindings = runBindingChecks(info);
    } catch (error) {
      if (error instanceof DtsFatal) diagnostics.push(error.diagnostic);
      else diagnostics.push({ severity: 'error', code: 'internal', message: `internal devicetree error: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  // The index is only needed by requests, not by the diagnostics of every edit: built on first use.
  let entities: Entity[] | undefined;
  const entitiesOnce = (): Entity[] => (entities ??= document ? indexEntities(document, info, spanOf) : []);
  if (fragment) {
    const inFragment = (d: Diagnostic): boolean => (d.loc ? spanOf(d.loc).file : diagnosticPosition(d)?.file) === path;
    const kept = diagnostics.filter((d) => (includer ? inFragment(d) : !WHOLE_TREE_ONLY.has(d.code)));
    diagnostics.length = 0;
    diagnostics.push(...kept);
  }
  // Like the index, the macros are for requests: collected on first use.
  let macros: Map<string, MacroDefinition> | undefined;
  const macrosOnce = (): Map<string, MacroDefinition> => {
    if (macros) return macros;
    macros = new Map();
    for (const file of pre.files.filter((f) => f !== wrapper)) {
      let defs = options.macroCache.get(file);
      if (!defs) {
        const bytes = file === path ? undefined : options.host.readFile(file);
        defs = macroDefinitions(file, file === path ? text : bytes ? bytesToText(bytes) : '');
        if (file !== path) options.macroCache.set(file, defs);
      }
      for (const d of defs) if (!macros.has(d.name)) macros.set(d.name, d);
    }
    return macros;
  };
  return {
    path, text, document, info, diagnostics, bindings: fragment && !includer ? [] : bindings,
    files: pre.files.filter((f) => f !== wrapper && f !== path && f !== mainPath),
    get entities() {
      return entitiesOnce();
    },
    get macros() {
      return macrosOnce();
    },
    includeDirs: options.includeDirs, spanOf,
  };
}

/** The compiled node of every definition site, by the definition's name location. */
function nodesByLoc(info: DtInfo | undefined): Map<Loc, DtNode> {
  const map = new Map<Loc, DtNode>();
  const walk = (node: DtNode): void => {
    for (const loc of node.locs) map.set(loc, node);
    for (const child of node.children) walk(child);
  };
  if (info) walk(info.root);
  return map;
}

function indexEntities(document: DtsDocument, info: DtInfo | undefined, spanOf: (loc: Loc) => Span): Entity[] {
  const nodes = nodesByLoc(info);
  const entities: Entity[] = [];
  const labels = (defs: readonly LabelDef[], node: DtNode | undefined): void => {
    for (const l of defs) {
      // The location covers `name:`; the label is the name.
      const span = spanOf(l.loc);
      entities.push({ kind: 'label', span: span.line === span.endLine ? { ...span, endCol: Math.min(span.endCol, span.col + l.name.length) } : span, name: l.name, node });
    }
  };
  const refs = (markers: readonly { kind: string; ref?: string; loc?: Loc }[]): void => {
    for (const m of markers) if ((m.kind === 'phandle' || m.kind === 'path') && m.loc && m.ref !== undefined) entities.push({ kind: 'ref', span: spanOf(m.loc), ref: m.ref });
  };
  const walk = (ast: NodeAst, refName?: string): void => {
    const node = nodes.get(ast.nameLoc);
    entities.push({ kind: 'node', span: spanOf(ast.nameLoc), whole: spanOf(ast.loc), ast, node, refName });
    labels(ast.labels, node);
    for (const p of ast.properties) {
      if (p.kind !== 'property') continue;
      entities.push({ kind: 'property', span: spanOf(p.nameLoc), whole: spanOf(p.loc), name: p.name, node });
      labels(p.labels, node);
      if (p.value) refs(p.value.markers);
    }
    for (const c of ast.children) if (c.kind === 'node') walk(c);
  };
  for (const item of document.items) {
    if (item.kind === 'root') walk(item.node);
    else if (item.kind === 'ref-node') {
      entities.push({ kind: 'ref', span: spanOf(item.ref.loc), ref: item.ref.ref });
      labels(item.labels, nodes.get(item.node.nameLoc));
      walk(item.node, item.ref.ref);
    } else entities.push({ kind: 'ref', span: spanOf(item.ref.loc), ref: item.ref.ref });
  }
  return entities;
}

/** `#define NAME[(params)] body` lines of a file (continuation lines joined). */
export function macroDefinitions(file: string, text: string): MacroDefinition[] {
  const out: MacroDefinition[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*#\s*define\s+)([A-Za-z_]\w*)(\([^)]*\))?(.*)$/.exec(lines[i]);
    if (!m) continue;
    let body = m[4];
    let k = i;
    while (body.endsWith('\\') && k + 1 < lines.length) body = body.slice(0, -1) + ' ' + lines[++k].trim();
    out.push({ name: m[2], params: m[3], body: body.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim(), file, line: i, col: m[1].length });
  }
  return out;
}

/** Where `#include` or `/include/` on a line of the document points to, resolved as the preprocessor does. */
export function includeAt(a: DtsAnalysis, line: number, host: FileHost): { path?: string; name: string; col: number; endCol: number } | undefined {
  const text = a.text.split('\n')[line] ?? '';
  const m = /^(\s*#\s*include\s*)([<"])([^>"]*)[>"]/.exec(text) ?? /^(.*?\/include\/\s*)(")([^"]*)"/.exec(text);
  if (!m) return undefined;
  const name = m[3];
  const quoted = m[2] === '"';
  const dirs = name.startsWith('/') ? [''] : [...(quoted ? [dirname(a.path)] : []), ...a.includeDirs];
  const col = m[1].length;
  const found = dirs.map((d) => (d === '' ? name : joinPath(d, name))).find((p) => host.readFile(p) !== undefined);
  return { path: found, name, col, endCol: col + name.length + 2 };
}

export function contains(span: Span, line: number, col: number): boolean {
  if (line < span.line || line > span.endLine) return false;
  if (line === span.line && col < span.col) return false;
  if (line === span.endLine && col > span.endCol) return false;
  return true;
}

/** The innermost entity of the document at a position (names before whole statements). */
export function entityAt(a: DtsAnalysis, line: number, col: number): Entity | undefined {
  let best: Entity | undefined;
  for (const e of a.entities) {
    if (e.span.file !== a.path || !contains(e.span, line, col)) continue;
    if (!best || e.kind === 'ref' || e.kind === 'label') best = e;
  }
  return best;
}

/** The property statement or node body around a position: innermost first. */
export function enclosing(a: DtsAnalysis, line: number, col: number): { property?: Entity & { kind: 'property' }; node?: Entity & { kind: 'node' } } {
  let property: (Entity & { kind: 'property' }) | undefined;
  let node: (Entity & { kind: 'node' }) | undefined;
  for (const e of a.entities) {
    if (e.kind === 'property' && e.whole.file === a.path && contains(e.whole, line, col)) property = e;
    if (e.kind === 'node' && e.whole.file === a.path && contains(e.whole, line, col)) {
      if (!node || (e.whole.line >= node.whole.line && e.whole.endLine <= node.whole.endLine)) node = e;
    }
  }
  return { property, node };
}

/** The live property named `name` of a compiled node. */
export function liveProperty(node: DtNode | undefined, name: string): DtProperty | undefined {
  return node?.property(name);
}

export function diagnosticSpan(a: DtsAnalysis, d: Diagnostic): Span | undefined {
  if (d.loc) return a.spanOf(d.loc);
  const p = diagnosticPosition(d);
  return p ? { file: p.file, line: p.line - 1, col: p.col - 1, endLine: p.line - 1, endCol: p.col } : undefined;
}
