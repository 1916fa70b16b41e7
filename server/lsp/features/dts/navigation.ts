// Devicetree navigation: definition of labels, &references, #include files and macros; references and rename of
// labels across the document and its includes; the node tree as document symbols.
import { SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver-types';
import type { NodeAst } from '../../../dts/parser';
import { nodeByRef } from '../../../dts/tree';
import { DtsAnalysis, Entity, Span, contains, entityAt } from './analysis';

export interface FileRange {
  readonly file: string;
  readonly range: Range;
}

const toRange = (s: Span): Range => ({ start: { line: s.line, character: s.col }, end: { line: s.endLine, character: s.endCol } });
const fileRange = (s: Span): FileRange => ({ file: s.file, range: toRange(s) });

/** The label a reference or label definition at the position names (not path references). */
export function labelAt(a: DtsAnalysis, line: number, col: number): string | undefined {
  const e = entityAt(a, line, col);
  if (e?.kind === 'label') return e.name;
  if (e?.kind === 'ref' && !e.ref.startsWith('/')) return e.ref;
  return undefined;
}

/** Where a reference, label or node at the position is defined. */
export function dtsDefinition(a: DtsAnalysis, line: number, col: number): FileRange[] {
  const e = entityAt(a, line, col);
  if (!e || !a.info) return [];
  if (e.kind === 'ref') {
    const node = nodeByRef(a.info.root, e.ref);
    if (!node) return [];
    const label = node.labels.find((l) => l.name === e.ref && l.loc);
    const loc = label?.loc ?? node.loc;
    return loc ? [fileRange(a.spanOf(loc))] : [];
  }
  if (e.kind === 'label') return [fileRange(e.span)];
  if (e.kind === 'node' && e.node?.loc) return [fileRange(a.spanOf(e.node.loc))];
  return [];
}

/** The part of a `&label` reference span that is the label itself. */
function labelPart(e: Entity & { kind: 'ref' }): Span {
  const s = e.span;
  return s.line === s.endLine && s.endCol - s.col === e.ref.length + 1 ? { ...s, col: s.col + 1 } : s;
}

/** Every definition and use of a label, in every file of the compilation. */
export function labelOccurrences(a: DtsAnalysis, label: string, includeDefinition: boolean): FileRange[] {
  const out: FileRange[] = [];
  const seen = new Set<string>();
  for (const e of a.entities) {
    let span: Span | undefined;
    if (e.kind === 'ref' && e.ref === label) span = labelPart(e);
    else if (e.kind === 'label' && e.name === label && includeDefinition) span = e.span;
    if (!span) continue;
    const key = `${span.file}:${span.line}:${span.col}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(fileRange(span));
  }
  return out;
}

export function labelRenameProblem(a: DtsAnalysis, label: string, newName: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) return `'${newName}' is not a valid label (letters, digits and _, not starting with a digit)`;
  if (newName !== label && a.entities.some((e) => e.kind === 'label' && e.name === newName)) return `label '${newName}' is already defined`;
  return undefined;
}

/** The document's own nodes (and the properties in them), nested as written. */
export function dtsDocumentSymbols(a: DtsAnalysis): DocumentSymbol[] {
  const byAst = new Map<NodeAst, Entity & { kind: 'node' }>();
  for (const e of a.entities) if (e.kind === 'node') byAst.set(e.ast, e);
  const symbolOf = (ast: NodeAst): DocumentSymbol | undefined => {
    const e = byAst.get(ast);
    if (!e || e.span.file !== a.path) return undefined;
    const properties: DocumentSymbol[] = [];
    for (const p of ast.properties) {
      if (p.kind !== 'property') continue;
      const span = a.spanOf(p.nameLoc);
      const whole = a.spanOf(p.loc);
      if (span.file !== a.path) continue;
      properties.push({ name: p.name, kind: SymbolKind.Property, range: toRange(contains(whole, span.line, span.col) ? whole : span), selectionRange: toRange(span) });
    }
    const children = ast.children.flatMap((c) => (c.kind === 'node' ? [symbolOf(c)].filter((s): s is DocumentSymbol => !!s) : []));
    const name = e.refName !== undefined ? `&${e.refName}` : ast.name || '/';
    const labels = ast.labels.map((l) => l.name).join(', ');
    const whole = contains(e.whole, e.span.line, e.span.col) && e.whole.file === a.path ? e.whole : e.span;
    return {
      name, detail: [labels && `${labels}:`, e.node && e.node.fullpath !== name ? e.node.fullpath : ''].filter(Boolean).join(' '),
      kind: e.refName !== undefined ? SymbolKind.Namespace : SymbolKind.Module,
      range: toRange(whole), selectionRange: toRange(e.span), children: [...properties, ...children],
    };
  };
  const roots: DocumentSymbol[] = [];
  for (const item of a.document?.items ?? []) {
    if (item.kind !== 'root' && item.kind !== 'ref-node') continue;
    const s = symbolOf(item.node);
    if (s) roots.push(s);
  }
  return roots;
}
