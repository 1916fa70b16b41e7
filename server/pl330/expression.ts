// Integer expressions with C's operators and precedence (ternary included), over numbers, labels and constants.
import { Token, TokenKind } from './lexer';

export type Expr =
  | { readonly k: 'num'; readonly value: number; readonly tok: Token }
  | { readonly k: 'sym'; readonly name: string; readonly tok: Token }
  | { readonly k: 'unary'; readonly op: string; readonly arg: Expr; readonly tok: Token }
  | { readonly k: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr; readonly tok: Token }
  | { readonly k: 'ternary'; readonly cond: Expr; readonly then: Expr; readonly else: Expr; readonly tok: Token };

const BINARY_PRECEDENCE: Record<string, number> = {
  '||': 1, '&&': 2, '|': 3, '^': 4, '&': 5, '==': 6, '!=': 6, '<': 7, '<=': 7, '>': 7, '>=': 7,
  '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '%': 10,
};

export class ExpressionError extends Error {
  constructor(message: string, readonly tok: Token) {
    super(message);
  }
}

/** Parses tokens[start..end) as one expression; throws ExpressionError (caught by the assembler) on bad syntax. */
export function parseExpression(tokens: readonly Token[], start: number, end: number): Expr {
  let pos = start;
  const peek = (): Token | undefined => (pos < end ? tokens[pos] : undefined);
  const fail = (message: string): never => {
    throw new ExpressionError(message, peek() ?? tokens[Math.max(start, end - 1)]);
  };

  const primary = (): Expr => {
    const t = peek();
    if (!t) return fail('expected an expression');
    if (t.kind === TokenKind.Number) {
      pos++;
      return { k: 'num', value: t.value, tok: t };
    }
    if (t.kind === TokenKind.Identifier) {
      pos++;
      return { k: 'sym', name: t.text, tok: t };
    }
    if (t.kind === TokenKind.Punct && t.text === '(') {
      pos++;
      const e = ternary();
      const close = peek();
      if (!close || close.text !== ')') fail("expected ')'");
      pos++;
      return e;
    }
    if (t.kind === TokenKind.Punct && (t.text === '-' || t.text === '+' || t.text === '~' || t.text === '!')) {
      pos++;
      return { k: 'unary', op: t.text, arg: primary(), tok: t };
    }
    return fail(`unexpected '${t.text}' in expression`);
  };

  const binary = (minPrec: number): Expr => {
    let left = primary();
    for (;;) {
      const t = peek();
      const prec = t && t.kind === TokenKind.Punct ? BINARY_PRECEDENCE[t.text] : undefined;
      if (!t || prec === undefined || prec < minPrec) return left;
      pos++;
      const right = binary(prec + 1);
      left = { k: 'binary', op: t.text, left, right, tok: t };
    }
  };

  const ternary = (): Expr => {
    const cond = binary(1);
    const q = peek();
    if (!q || q.text !== '?') return cond;
    pos++;
    const a = ternary();
    const colon = peek();
    if (!colon || colon.text !== ':') fail("expected ':' in conditional expression");
    pos++;
    const b = ternary();
    return { k: 'ternary', cond, then: a, else: b, tok: q };
  };

  const expr = ternary();
  if (pos < end) fail(`unexpected '${tokens[pos].text}' after expression`);
  return expr;
}

/** Resolves a symbol to its value, or throws ExpressionError when it is unknown or circular. */
export type SymbolResolver = (name: string, tok: Token) => number;

/** Bitwise operators work on 64-bit two's complement, as C's long long does. */
const big = (v: number): bigint => BigInt.asIntN(64, BigInt(Math.trunc(v)));

export function evaluate(e: Expr, resolve: SymbolResolver): number {
  switch (e.k) {
    case 'num':
      return e.value;
    case 'sym':
      return resolve(e.name, e.tok);
    case 'unary': {
      const v = evaluate(e.arg, resolve);
      switch (e.op) {
        case '-': return -v;
        case '+': return v;
        case '~': return Number(~big(v));
        default: return v === 0 ? 1 : 0;
      }
    }
    case 'ternary':
      return evaluate(e.cond, resolve) !== 0 ? evaluate(e.then, resolve) : evaluate(e.else, resolve);
    case 'binary': {
      if (e.op === '&&') return evaluate(e.left, resolve) !== 0 && evaluate(e.right, resolve) !== 0 ? 1 : 0;
      if (e.op === '||') return evaluate(e.left, resolve) !== 0 || evaluate(e.right, resolve) !== 0 ? 1 : 0;
      const a = evaluate(e.left, resolve);
      const b = evaluate(e.right, resolve);
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/':
        case '%':
          if (b === 0) throw new ExpressionError('division by zero', e.tok);
          return e.op === '/' ? Math.trunc(a / b) : a % b;
        case '<<':
        case '>>': {
          if (b < 0 || b > 63) throw new ExpressionError(`shift count ${b} is out of range 0..63`, e.tok);
          const r = e.op === '<<' ? big(a) << BigInt(b) : big(a) >> BigInt(b);
          return Number(BigInt.asIntN(64, r));
        }
        case '&': return Number(big(a) & big(b));
        case '|': return Number(big(a) | big(b));
        case '^': return Number(big(a) ^ big(b));
        case '==': return a === b ? 1 : 0;
        case '!=': return a !== b ? 1 : 0;
        case '<': return a < b ? 1 : 0;
        case '<=': return a <= b ? 1 : 0;
        case '>': return a > b ? 1 : 0;
        default: return a >= b ? 1 : 0;
      }
    }
  }
}
