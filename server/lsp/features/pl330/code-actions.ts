// Quick fixes for the PL330 checks whose answer is certain:
// - missing-wmb: insert DMAWMB before the DMASEV;
// - loop-count (over 256): the loop becomes two nested loops (and a remainder loop when the count has no factors
//   that fit), which run the body the same number of times in the same order;
// - jump-too-far: a body made of one block repeated k times is rolled up: the block alone, run n × k times (one loop
//   when that fits 256, else an inner loop of k); any other body of plain transfers is split into consecutive loops
//   when the bounds engine shows the split moves the same data (loop-split.ts).
// Loops are rewritten only when a second counter is free and the body has no labels or loops of its own.
import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver-types';
import type { LoopInfo } from '../../../pl330/assembler';
import { Pl330Analysis, lineTokens } from '../../../pl330/analysis';
import { TokenKind } from '../../../pl330/lexer';
import { splitLongLoop } from '../../../pl330/loop-split';

const MAX_COUNT = 256;
const MAX_JUMP = 255;

export function pl330CodeActions(a: Pl330Analysis, uri: string, diagnostics: readonly Diagnostic[]): CodeAction[] {
  const lines = a.text.split('\n').map((l) => l.replace(/\r$/, ''));
  const actions: CodeAction[] = [];
  const action = (title: string, diagnostic: Diagnostic, edit: TextEdit): void => {
    actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true, edit: { changes: { [uri]: [edit] } } });
  };
  for (const d of diagnostics) {
    const line = d.range.start.line;
    switch (d.code) {
      case 'missing-wmb': {
        const indent = indentOf(lines[line]);
        action('Insert DMAWMB before DMASEV', d, { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}DMAWMB\n` });
        break;
      }
      case 'loop-count': {
        const loop = a.result.loops.find((l) => l.kind === 'counted' && l.startLine === line && l.requestedIterations !== undefined);
        const rewrite = loop && splitCount(a, lines, loop);
        if (rewrite) action(`Run the loop ${loop!.requestedIterations} times with two nested loops`, d, rewrite);
        break;
      }
      case 'jump-too-far': {
        const loop = a.result.loops.find((l) => l.kind === 'counted' && l.endLine === line);
        if (!loop) break;
        const rolled = rollUp(a, lines, loop);
        if (rolled) {
          action('Roll the repeated loop body up into a shorter loop', d, rolled);
          break;
        }
        const split = splitLongLoop(a.text, a.result, loop, { config: a.result.config });
        if (split) action(`Split the loop into ${split.newLines.filter((l) => /^\s*DMALP\b/i.test(l)).length} loops of ${loop.iterations}`, d, replaceLoop(lines, loop, [...split.newLines]));
        break;
      }
    }
  }
  return actions;
}

function indentOf(text: string | undefined): string {
  return /^\s*/.exec(text ?? '')![0];
}

/** The counter the loop uses and the other one, if no enclosing or enclosed counted loop holds it. */
function freeCounters(a: Pl330Analysis, loop: LoopInfo): { outer: string; inner: string } | undefined {
  const end = loop.endLine!;
  const clash = a.result.loops.some((l) => l !== loop && l.kind === 'counted' && l.endLine !== undefined &&
    ((l.startLine < loop.startLine && l.endLine > end) || (l.startLine > loop.startLine && l.endLine < end)));
  if (clash) return undefined;
  return { outer: `LC${loop.counter ?? 0}`, inner: `LC${1 - (loop.counter ?? 0)}` };
}

/** The body's source lines, when none of them carries a label (a copy would define it twice). */
function bodyLines(a: Pl330Analysis, lines: readonly string[], loop: LoopInfo): string[] | undefined {
  const end = loop.endLine!;
  for (let line = loop.startLine + 1; line < end; line++) {
    const tokens = lineTokens(a, line);
    if (tokens.length > 1 && tokens[0].kind === TokenKind.Identifier && tokens[1].text === ':') return undefined;
  }
  return lines.slice(loop.startLine + 1, end);
}

/** An edit replacing the loop's lines, DMALP to DMALPEND, with new ones. */
function replaceLoop(lines: readonly string[], loop: LoopInfo, text: string[]): TextEdit {
  const end = loop.endLine!;
  return { range: { start: { line: loop.startLine, character: 0 }, end: { line: end, character: lines[end].length } }, newText: text.join('\n') };
}

/** outer × inner (+ remainder) = n with both factors at most 256, preferring no remainder. */
function factor(n: number): { outer: number; inner: number; remainder: number } | undefined {
  if (n > MAX_COUNT * MAX_COUNT) return undefined;
  for (let outer = Math.ceil(n / MAX_COUNT); outer <= MAX_COUNT; outer++) {
    if (n % outer === 0 && n / outer <= MAX_COUNT) return { outer, inner: n / outer, remainder: 0 };
  }
  const outer = Math.floor(n / MAX_COUNT);
  return { outer, inner: MAX_COUNT, remainder: n - outer * MAX_COUNT };
}

function splitCount(a: Pl330Analysis, lines: readonly string[], loop: LoopInfo): TextEdit | undefined {
  const n = loop.requestedIterations!;
  const counters = loop.endLine !== undefined ? freeCounters(a, loop) : undefined;
  const f = factor(n);
  if (!counters || !f || !Number.isInteger(n) || n < 1) return undefined;
  const body = bodyLines(a, lines, loop);
  if (!body) return undefined;
  const indent = indentOf(lines[loop.startLine]);
  const step = indentOf(body.find((l) => l.trim())) .slice(indent.length) || '    ';
  const text = [
    `${indent}DMALP ${counters.outer}, ${f.outer}`,
    `${indent}${step}DMALP ${counters.inner}, ${f.inner}`,
    ...body.map((l) => (l.trim() ? step + l : l)),
    `${indent}${step}DMALPEND ${counters.inner}`,
    `${indent}DMALPEND ${counters.outer}`,
  ];
  if (f.remainder > 0) text.push(`${indent}DMALP ${counters.outer}, ${f.remainder}`, ...body, `${indent}DMALPEND ${counters.outer}`);
  return replaceLoop(lines, loop, text);
}

function rollUp(a: Pl330Analysis, lines: readonly string[], loop: LoopInfo): TextEdit | undefined {
  const body = bodyLines(a, lines, loop);
  if (!body || loop.iterations === undefined) return undefined;
  // The body's statements (tokens without comments), with the line each starts on.
  const statements: { key: string; line: number; bytes: number }[] = [];
  for (let line = loop.startLine + 1; line < loop.endLine!; line++) {
    const tokens = lineTokens(a, line);
    if (tokens.length === 0) continue;
    const instructions = a.instructionsByLine.get(line) ?? [];
    if (instructions.some((i) => !i.spec || i.spec.operation === 'LP' || i.spec.operation === 'LPEND')) return undefined;
    statements.push({ key: tokens.map((t) => t.text.toUpperCase()).join(' '), line, bytes: instructions.reduce((n, i) => n + i.length, 0) });
  }
  const k = statements.length;
  for (let period = 1; period < k; period++) {
    if (k % period !== 0 || !statements.every((s, i) => s.key === statements[i % period].key)) continue;
    const repeats = k / period;
    const blockBytes = statements.slice(0, period).reduce((n, s) => n + s.bytes, 0);
    const block = lines.slice(loop.startLine + 1, statements[period].line);
    const indent = indentOf(lines[loop.startLine]);
    const total = loop.iterations * repeats;
    if (total <= MAX_COUNT && blockBytes <= MAX_JUMP) {
      const counter = `LC${loop.counter ?? 0}`;
      return replaceLoop(lines, loop, [`${indent}DMALP ${counter}, ${total}`, ...block, `${indent}DMALPEND ${counter}`]);
    }
    const counters = freeCounters(a, loop);
    // The outer jump spans the inner DMALP, the block and the inner DMALPEND.
    if (!counters || repeats > MAX_COUNT || blockBytes + 4 > MAX_JUMP) return undefined;
    const step = indentOf(block.find((l) => l.trim())).slice(indent.length) || '    ';
    return replaceLoop(lines, loop, [
      `${indent}DMALP ${counters.outer}, ${loop.iterations}`,
      `${indent}${step}DMALP ${counters.inner}, ${repeats}`,
      ...block.map((l) => (l.trim() ? step + l : l)),
      `${indent}${step}DMALPEND ${counters.inner}`,
      `${indent}DMALPEND ${counters.outer}`,
    ]);
  }
  return undefined;
}
