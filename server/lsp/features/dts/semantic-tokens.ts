// Semantic tokens for devicetree sources: node names, labels, references and property names from the parser's tree
// (where the compiler found them), then macros the preprocessor defines, numbers, strings and directives from a scan
// of the rest of the text.
import { DECLARATION, SemanticTokenType, semanticTypeIndex } from '../semantic-legend';
import type { DtsAnalysis, Span } from './analysis';

interface SemanticToken {
  line: number;
  col: number;
  length: number;
  type: SemanticTokenType;
  modifiers: number;
}

const DTS_KEYWORDS = ['/dts-v1/', '/plugin/', '/memreserve/', '/bits/', '/delete-property/', '/delete-node/', '/omit-if-no-ref/', '/include/', '/incbin/'];

/** Tokens of the tree that lie in the document, where the text there is what the tree says (not a macro's output). */
function treeTokens(a: DtsAnalysis, lines: readonly string[]): SemanticToken[] {
  const out: SemanticToken[] = [];
  const add = (span: Span, text: string, type: SemanticTokenType, modifiers: number): void => {
    if (span.file !== a.path || span.line !== span.endLine) return;
    if (lines[span.line]?.startsWith(text, span.col) !== true) return;
    out.push({ line: span.line, col: span.col, length: text.length, type, modifiers });
  };
  for (const e of a.entities) {
    if (e.kind === 'node' && e.refName === undefined && e.ast.name !== '') add(e.span, e.ast.name, 'class', DECLARATION);
    else if (e.kind === 'property') add(e.span, e.name, 'property', DECLARATION);
    else if (e.kind === 'label') add(e.span, e.name, 'function', DECLARATION);
    else if (e.kind === 'ref') add(e.span, e.ref.startsWith('/') ? `&{${e.ref}}` : `&${e.ref}`, 'function', 0);
  }
  return out;
}

/** Macros, numbers, strings and directives outside comments. */
function textTokens(a: DtsAnalysis, lines: readonly string[]): SemanticToken[] {
  const out: SemanticToken[] = [];
  let inComment = false;
  lines.forEach((text, line) => {
    let i = 0;
    const directive = /^\s*#\s*(include|define|undef|ifdef|ifndef|if|elif|else|endif|error|warning|pragma|line)\b/.exec(text);
    if (directive && !inComment) {
      out.push({ line, col: text.indexOf('#'), length: directive[0].length - text.indexOf('#'), type: 'keyword', modifiers: 0 });
      i = directive[0].length;
      const defined = /^\s+([A-Za-z_]\w*)/.exec(text.slice(i));
      if (directive[1] === 'define' && defined) {
        out.push({ line, col: i + defined[0].length - defined[1].length, length: defined[1].length, type: 'macro', modifiers: DECLARATION });
        i += defined[0].length;
      }
      // An #include's file name is not a string value.
      if (directive[1] === 'include') return;
    }
    while (i < text.length) {
      if (inComment) {
        const end = text.indexOf('*/', i);
        if (end < 0) return;
        inComment = false;
        i = end + 2;
        continue;
      }
      const rest = text.slice(i);
      if (rest.startsWith('/*')) {
        inComment = true;
        i += 2;
        continue;
      }
      if (rest.startsWith('//')) return;
      const keyword = DTS_KEYWORDS.find((k) => rest.startsWith(k));
      const match = keyword !== undefined ? [keyword] : /^"(?:[^"\\]|\\.)*"/.exec(rest) ?? /^(?:0[xX][0-9a-fA-F]+|\d+)(?:ULL|UL|LL|U|L)?\b/.exec(rest) ?? /^[A-Za-z_]\w*/.exec(rest);
      if (!match) {
        i++;
        continue;
      }
      const word = match[0];
      const type: SemanticTokenType | undefined = keyword !== undefined ? 'keyword' : word.startsWith('"') ? 'string' : /^\d/.test(word) ? 'number' : a.macros.has(word) ? 'macro' : undefined;
      if (type) out.push({ line, col: i, length: word.length, type, modifiers: 0 });
      i += word.length;
    }
  });
  return out;
}

/** The LSP's relative encoding (deltaLine, deltaStart, length, type, modifiers), tree tokens winning overlaps. */
export function dtsSemanticTokens(a: DtsAnalysis): number[] {
  if (!a.document) return [];
  const lines = a.text.split('\n').map((l) => l.replace(/\r$/, ''));
  const tree = treeTokens(a, lines);
  const taken = new Map<number, { col: number; end: number }[]>();
  for (const t of tree) {
    let spans = taken.get(t.line);
    if (!spans) taken.set(t.line, (spans = []));
    spans.push({ col: t.col, end: t.col + t.length });
  }
  const free = (t: SemanticToken): boolean => !(taken.get(t.line) ?? []).some((s) => t.col < s.end && s.col < t.col + t.length);
  const tokens = [...tree, ...textTokens(a, lines).filter(free)].sort((x, y) => x.line - y.line || x.col - y.col);
  const data: number[] = [];
  let prevLine = 0;
  let prevCol = 0;
  let prevEnd = -1;
  for (const t of tokens) {
    // Two tree tokens at one place (a label that is also a reference's target): the first one stays.
    if (t.line === prevLine && t.col < prevEnd) continue;
    data.push(t.line - prevLine, t.line === prevLine ? t.col - prevCol : t.col, t.length, semanticTypeIndex(t.type), t.modifiers);
    prevLine = t.line;
    prevCol = t.col;
    prevEnd = t.col + t.length;
  }
  return data;
}
