// Labels and constants: go to definition, references and rename, and the outline (programs, labels, loops).
import { SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver-types';
import type { SymbolInfo } from '../../../pl330/assembler';
import { Pl330Analysis, lineTokens, parseLineStatement, tokenAt } from '../../../pl330/analysis';
import { hexAddress } from '../../../../emulator/pl330/disasm';
import { TokenKind } from '../../../pl330/lexer';
import { isMnemonic } from './operands';

const range = (line: number, col: number, length: number): Range => ({ start: { line, character: col }, end: { line, character: col + length } });

/** The label or constant named by the word at the position. */
export function symbolAt(a: Pl330Analysis, line: number, col: number): SymbolInfo | undefined {
  const tok = tokenAt(a, line, col);
  return tok && tok.kind === TokenKind.Identifier ? a.result.symbols.get(tok.text) : undefined;
}

export function definitionRange(symbol: SymbolInfo): Range {
  return range(symbol.line, symbol.col, symbol.name.length);
}

/**
 * Every occurrence of a symbol: its definition and each word with its name in a label or operand position.
 * Words rather than the assembler's resolved uses, so that operands of a line with another error still rename.
 */
export function symbolOccurrences(a: Pl330Analysis, symbol: SymbolInfo, includeDefinition: boolean): Range[] {
  const out: Range[] = [];
  for (let line = 0; line < a.lineCount; line++) {
    const tokens = lineTokens(a, line);
    if (!tokens.some((t) => t.text === symbol.name)) continue;
    const head = parseLineStatement(tokens).head;
    for (const t of tokens) {
      if (t.kind !== TokenKind.Identifier || t.text !== symbol.name || t === head) continue;
      const isDefinition = t.line === symbol.line && t.col === symbol.col;
      if (!isDefinition || includeDefinition) out.push(range(t.line, t.col, t.text.length));
    }
  }
  return out;
}

/** Why a new name cannot be used, or undefined when it can. */
export function renameProblem(a: Pl330Analysis, symbol: SymbolInfo, newName: string): string | undefined {
  if (!/^[A-Za-z_$][A-Za-z0-9_$.]*$/.test(newName)) return `'${newName}' is not a valid symbol name`;
  if (isMnemonic(newName)) return `'${newName}' is an instruction mnemonic`;
  if (newName !== symbol.name && a.result.symbols.has(newName)) return `'${newName}' is already defined`;
  return undefined;
}

interface OutlineNode {
  readonly symbol: DocumentSymbol;
  readonly startLine: number;
  endLine: number;
}

/** Programs contain their labels and constants, labels their loops, loops the loops nested in them. */
export function pl330DocumentSymbols(a: Pl330Analysis): DocumentSymbol[] {
  const lastLine = Math.max(0, a.lineCount - 1);
  const lineEnd = (line: number): number => {
    const tokens = lineTokens(a, line);
    const last = tokens[tokens.length - 1];
    return last ? last.col + last.text.length : 0;
  };
  const node = (name: string, detail: string, kind: SymbolKind, startLine: number, endLine: number, selection: Range): OutlineNode => ({
    symbol: { name, detail, kind, range: { start: { line: startLine, character: 0 }, end: { line: endLine, character: lineEnd(endLine) } }, selectionRange: selection, children: [] },
    startLine,
    endLine,
  });
  const nodes: OutlineNode[] = [];
  const programs = a.result.programs;
  programs.forEach((p, i) => {
    const end = i + 1 < programs.length ? programs[i + 1].line - 1 : lastLine;
    const head = parseLineStatement(lineTokens(a, p.line)).head;
    const name = head && /^\.(channel|manager)$/i.test(head.text) ? `${head.text.toLowerCase()} ${hexAddress(p.base)}` : `${p.kind} ${hexAddress(p.base)}`;
    nodes.push(node(name, `${p.bytes.length} bytes`, SymbolKind.Module, p.line, Math.max(p.line, end), range(p.line, head?.col ?? 0, head?.text.length ?? 0)));
  });
  const labels = [...a.result.symbols.values()].filter((s) => s.kind === 'label').sort((x, y) => x.line - y.line);
  labels.forEach((s, i) => {
    const program = nodes.find((n) => n.symbol.kind === SymbolKind.Module && n.startLine <= s.line && s.line <= n.endLine);
    const next = labels[i + 1];
    const end = Math.min(program?.endLine ?? lastLine, next && next.line > s.line ? next.line - 1 : lastLine);
    nodes.push(node(s.name, s.value === undefined ? '' : hexAddress(s.value), SymbolKind.Function, s.line, Math.max(s.line, end), definitionRange(s)));
  });
  for (const s of a.result.symbols.values()) {
    if (s.kind === 'constant') nodes.push(node(s.name, s.value === undefined ? '' : `= ${hexAddress(s.value)}`, SymbolKind.Constant, s.line, s.line, definitionRange(s)));
  }
  for (const loop of a.result.loops) {
    const end = loop.endLine ?? loop.startLine;
    const head = parseLineStatement(lineTokens(a, loop.startLine)).head;
    const name = loop.kind === 'forever' ? 'DMALPFE' : `DMALP ${loop.iterations} (LC${loop.counter})`;
    nodes.push(node(name, `body at ${hexAddress(loop.bodyStart)}`, SymbolKind.Event, loop.startLine, end, range(loop.startLine, head?.col ?? 0, head?.text.length ?? 0)));
  }
  return nest(nodes);
}

/** Builds the tree by line containment: larger ranges first, each node under the innermost one containing it. */
function nest(nodes: OutlineNode[]): DocumentSymbol[] {
  const order = [...nodes].sort((x, y) => x.startLine - y.startLine || y.endLine - x.endLine || rank(x) - rank(y));
  const roots: DocumentSymbol[] = [];
  const stack: OutlineNode[] = [];
  for (const n of order) {
    while (stack.length > 0 && !(stack[stack.length - 1].startLine <= n.startLine && n.endLine <= stack[stack.length - 1].endLine)) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) parent.symbol.children!.push(n.symbol);
    else roots.push(n.symbol);
    if (n.symbol.kind !== SymbolKind.Constant) stack.push(n);
  }
  return roots;
}

/** Among equal ranges, programs enclose labels, which enclose loops. */
function rank(n: OutlineNode): number {
  return n.symbol.kind === SymbolKind.Module ? 0 : n.symbol.kind === SymbolKind.Function ? 1 : 2;
}
