// Integer expressions with C's operators and precedence (ternary included), over numbers, labels and constants.
// Tokens are indices into the TokenStream.
import { TokenKind, TokenStream } from './lexer';

const BINARY_PRECEDENCE: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '<=': 7, '>': 7, '>=': 7,
  '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};

export class ExpressionError extends Error {
  /** tok: the token index the problem is at. An empty message means "already reported". */
  constructor(message: string, readonly tok: number, readonly code: 'expression' | 'undefined-symbol' | 'circular-symbol' = 'expression') {
    super(message);
  }
}

/** Resolves a symbol to its value, or throws ExpressionError when it is unknown or circular. */
export type SymbolResolver = (name: string, tok: number) => number;

/** Bitwise operators work on 64-bit two's complement, as C's long long does. */
const big = (v: number): bigint => BigInt.asIntN(64, BigInt(Math.trunc(v)));

/**
 * Evaluates tokens[start..end) as one expression while parsing it (no tree is built: operands are evaluated where
 * they stand). Both branches of && || ?: are parsed; only the taken one's symbols need to resolve.
 * Throws ExpressionError on bad syntax, unknown symbols and arithmetic errors.
 */
export function evaluateExpression(ts: TokenStream, start: number, end: number, resolve: SymbolResolver): number {
  return evaluateRange(ts, start, end, resolve, 0);
}

/** Checks only the syntax of tokens[start..end): symbols are not resolved, arithmetic errors are not raised. */
export function checkExpressionSyntax(ts: TokenStream, start: number, end: number): void {
  evaluateRange(ts, start, end, () => 0, 1);
}

function evaluateRange(ts: TokenStream, start: number, end: number, resolve: SymbolResolver, initialSkip: number): number {
  let pos = start;
  /** Depth of untaken branches: symbols there are not resolved (C short-circuit semantics). */
  let skipping = initialSkip;
  const fail = (message: string): never => {
    throw new ExpressionError(message, pos < end ? pos : Math.max(start, end - 1));
  };

  const primary = (): number => {
    if (pos >= end) return fail('expected an expression');
    const t = pos;
    const kind = ts.kinds[t];
    if (kind === TokenKind.Number) {
      pos++;
      return ts.values[t];
    }
    // An invalid number or character: the lexer reported it already.
    if (kind === TokenKind.Bad) throw new ExpressionError('', t);
    if (kind === TokenKind.Identifier) {
      pos++;
      return skipping > 0 ? 0 : resolve(ts.text(t), t);
    }
    if (ts.isPunct(t, '(')) {
      pos++;
      const v = ternary();
      if (pos >= end || !ts.isPunct(pos, ')')) fail("expected ')'");
      pos++;
      return v;
    }
    if (kind === TokenKind.Punct) {
      const op = ts.text(t);
      if (op === '-' || op === '+' || op === '~' || op === '!') {
        pos++;
        const v = primary();
        return op === '-' ? -v : op === '+' ? v : op === '~' ? Number(~big(v)) : v === 0 ? 1 : 0;
      }
    }
    return fail(`unexpected '${ts.text(t)}' in expression`);
  };

  const apply = (op: string, a: number, b: number, tok: number): number => {
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/':
      case '%':
        if (b === 0) {
          if (skipping > 0) return 0;
          throw new ExpressionError('division by zero', tok);
        }
        return op === '/' ? Math.trunc(a / b) : a % b;
      case '<<':
      case '>>': {
        if (b < 0 || b > 63) {
          if (skipping > 0) return 0;
          throw new ExpressionError(`shift count ${b} is out of range 0..63`, tok);
        }
        return Number(BigInt.asIntN(64, op === '<<' ? big(a) << BigInt(b) : big(a) >> BigInt(b)));
      }
      case '&': return Number(big(a) & big(b));
      case '|': return Number(big(a) | big(b));
      case '^': return Number(big(a) ^ big(b));
      case '==': return a === b ? 1 : 0;
      case '!=': return a !== b ? 1 : 0;
      case '<': return a < b ? 1 : 0;
      case '<=': return a <= b ? 1 : 0;
      case '>': return a > b ? 1 : 0;
      case '>=': return a >= b ? 1 : 0;
      case '&&': return a !== 0 && b !== 0 ? 1 : 0;
      default: return a !== 0 || b !== 0 ? 1 : 0;
    }
  };

  const binary = (minPrec: number): number => {
    let left = primary();
    for (;;) {
      if (pos >= end || ts.kinds[pos] !== TokenKind.Punct) return left;
      const op = ts.text(pos);
      const prec = BINARY_PRECEDENCE[op];
      if (prec === undefined || prec < minPrec) return left;
      const t = pos++;
      const shortCircuit = (op === '&&' && left === 0) || (op === '||' && left !== 0);
      if (shortCircuit) skipping++;
      const right = binary(prec + 1);
      if (shortCircuit) skipping--;
      left = apply(op, left, right, t);
    }
  };

  const ternary = (): number => {
    const cond = binary(1);
    if (pos >= end || !ts.isPunct(pos, '?')) return cond;
    pos++;
    if (cond === 0) skipping++;
    const a = ternary();
    if (cond === 0) skipping--;
    if (pos >= end || !ts.isPunct(pos, ':')) fail("expected ':' in conditional expression");
    pos++;
    if (cond !== 0) skipping++;
    const b = ternary();
    if (cond !== 0) skipping--;
    return cond !== 0 ? a : b;
  };

  const value = ternary();
  if (pos < end) fail(`unexpected '${ts.text(pos)}' after expression`);
  return value;
}
