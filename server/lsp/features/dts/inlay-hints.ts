// Inlay hints: a `reg` statement's address ranges (decoded with the parent's #address-cells/#size-cells) after it,
// and the node path a `&label` in a value resolves to, as the compiled tree has them.
import { InlayHintKind, type InlayHint } from 'vscode-languageserver-types';
import { nodeByRef } from '../../../dts/tree';
import type { DtsAnalysis } from './analysis';
import { addressCells, cells, hex, joinCells } from '../../../dts/cells';

/** `0xe0000000..0xe0000fff` per entry (the address alone without size cells), or why it can't be read. */
function regRanges(values: readonly number[], address: number, size: number): string {
  const n = address + size;
  if (n === 0 || values.length % n !== 0) return `${values.length} cells: not whole (#address-cells ${address}, #size-cells ${size}) entries`;
  const out: string[] = [];
  for (let i = 0; i < values.length; i += n) {
    const base = joinCells(values, i, address);
    const length = joinCells(values, i + address, size);
    out.push(size && length > 0n ? `${hex(base)}..${hex(base + length - 1n)}` : hex(base));
  }
  return out.join(', ');
}

export function dtsInlayHints(a: DtsAnalysis, fromLine: number, toLine: number): InlayHint[] {
  const root = a.info?.root;
  if (!root) return [];
  const hints: InlayHint[] = [];
  const inRange = (line: number): boolean => line >= fromLine && line <= toLine;
  // `&label {` opens a node: its reference is no value.
  const headers = new Set<string>();
  for (const e of a.entities) if (e.kind === 'node' && e.refName !== undefined) headers.add(`${e.span.line}:${e.span.col}`);
  for (const e of a.entities) {
    if (e.kind === 'property' && e.name === 'reg' && e.node && e.whole.file === a.path && inRange(e.whole.endLine)) {
      // Only the statement that gave the compiled value (a later one may override it).
      const reg = e.node.property('reg');
      const at = reg?.loc && a.spanOf(reg.loc);
      if (!reg || !at || at.file !== e.span.file || at.line !== e.span.line || at.col !== e.span.col) continue;
      const { address, size } = addressCells(e.node);
      hints.push({ position: { line: e.whole.endLine, character: e.whole.endCol }, label: regRanges(cells(reg), address, size), kind: InlayHintKind.Type, paddingLeft: true });
    } else if (e.kind === 'ref' && e.span.file === a.path && inRange(e.span.endLine) && !headers.has(`${e.span.line}:${e.span.col}`)) {
      const target = nodeByRef(root, e.ref);
      if (target) hints.push({ position: { line: e.span.endLine, character: e.span.endCol }, label: `→ ${target.fullpath}`, kind: InlayHintKind.Parameter, paddingLeft: true });
    }
  }
  return hints.sort((x, y) => x.position.line - y.position.line || x.position.character - y.position.character);
}
