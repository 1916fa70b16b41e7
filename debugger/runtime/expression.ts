// Debugger expressions: the assembler's C-like integer expressions over register names and assembler symbols, plus
// C-style memory reads `*(u8|u16|u32 *)ADDRESS`. Used by breakpoint conditions, logpoints, hovers and the console.
import { ExpressionError, evaluateExpression as evaluateTokens } from '../../server/pl330/expression';
import { TokenKind, lex } from '../../server/pl330/lexer';

export interface ExpressionContext {
  /** A register, symbol or other name's value; undefined when unknown. */
  value(name: string): number | undefined;
  /** Reads `size` bytes little-endian at an address, or undefined when nothing answers there. */
  readMemory(address: number, size: 1 | 2 | 4): number | undefined;
}

export class EvaluationError extends Error {}

const DEREF = /\*\s*\(\s*u(8|16|32)\s*\*\s*\)\s*(0x[0-9a-f]+|0b[01]+|\d+|[A-Za-z_.$][\w.$]*|\([^()]*\))/i;

export function evaluateExpression(text: string, context: ExpressionContext): number {
  // Innermost reads first: each is replaced by the value it reads, until none is left.
  let source = text;
  for (let m = DEREF.exec(source); m; m = DEREF.exec(source)) {
    const address = evaluatePlain(m[2], context) >>> 0;
    const size = (Number(m[1]) / 8) as 1 | 2 | 4;
    const value = context.readMemory(address, size);
    if (value === undefined) throw new EvaluationError(`cannot read ${size} byte(s) at 0x${address.toString(16)}: nothing is mapped there`);
    source = source.slice(0, m.index) + String(value) + source.slice(m.index + m[0].length);
  }
  return evaluatePlain(source, context);
}

function evaluatePlain(text: string, context: ExpressionContext): number {
  const ts = lex(text);
  if (ts.problems.length) throw new EvaluationError(ts.problems[0].message);
  const kinds = Array.from(ts.kinds.subarray(0, ts.count));
  const end = kinds.findIndex((k) => k === TokenKind.End || k === TokenKind.Newline);
  const bad = kinds.indexOf(TokenKind.Bad);
  if (bad >= 0) throw new EvaluationError(`unexpected '${ts.text(bad)}' in '${text}'`);
  try {
    return evaluateTokens(ts, 0, end < 0 ? ts.count : end, (name, tok) => {
      const v = context.value(name);
      if (v === undefined) throw new ExpressionError(`unknown name '${name}'`, tok);
      return v;
    });
  } catch (error) {
    if (error instanceof ExpressionError) throw new EvaluationError(`${error.message} (in '${text.trim()}')`);
    throw error;
  }
}
