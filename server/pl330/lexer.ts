// Tokenizer for PL330 assembly: identifiers (directives start with '.'), numbers, character literals, punctuation
// and newlines, each with its 0-based line and column. Comments: ';', '//' and '/* */' (which may span lines).

export const enum TokenKind {
  Identifier,
  Number,
  Punct,
  Newline,
  End,
  Bad,
}

export interface Token {
  readonly kind: TokenKind;
  /** Source text of the token (for Punct the operator; for Bad the offending character). */
  readonly text: string;
  /** Numeric value for Number tokens. */
  readonly value: number;
  readonly line: number;
  readonly col: number;
  readonly offset: number;
  readonly end: number;
}

const PUNCT2 = new Set(['<<', '>>', '<=', '>=', '==', '!=', '&&', '||']);
const PUNCT1 = new Set([',', ':', '(', ')', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '?', '=', '[', ']']);

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 36;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** An unterminated block comment or character literal, reported by the caller as a diagnostic. */
export interface LexProblem {
  readonly message: string;
  readonly line: number;
  readonly col: number;
  readonly length: number;
}

/**
 * Tokens as parallel typed arrays: a 1 MB source has a quarter of a million tokens, and objects for each would
 * dominate the assembler's time in garbage collection. Token i is described by kind(i), start(i), ... .
 */
export class TokenStream {
  count = 0;
  kinds: Uint8Array;
  starts: Uint32Array;
  ends: Uint32Array;
  lines: Uint32Array;
  cols: Uint32Array;
  values: Float64Array;
  readonly problems: LexProblem[] = [];
  /** Number of lines of the source. */
  lineCount = 1;

  constructor(readonly source: string) {
    // Real sources have about one token per 4-5 characters; growing later is still possible.
    const capacity = 64 + (source.length >> 2);
    this.kinds = new Uint8Array(capacity);
    this.starts = new Uint32Array(capacity);
    this.ends = new Uint32Array(capacity);
    this.lines = new Uint32Array(capacity);
    this.cols = new Uint32Array(capacity);
    this.values = new Float64Array(capacity);
  }

  push(kind: TokenKind, start: number, end: number, line: number, col: number, value: number): void {
    if (this.count === this.kinds.length) this.grow();
    const i = this.count++;
    this.kinds[i] = kind;
    this.starts[i] = start;
    this.ends[i] = end;
    this.lines[i] = line;
    this.cols[i] = col;
    this.values[i] = value;
  }

  private grow(): void {
    const size = this.kinds.length * 2;
    const grow = <T extends Uint8Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
    this.starts = grow(this.starts, (n) => new Uint32Array(n));
    this.ends = grow(this.ends, (n) => new Uint32Array(n));
    this.lines = grow(this.lines, (n) => new Uint32Array(n));
    this.cols = grow(this.cols, (n) => new Uint32Array(n));
    this.values = grow(this.values, (n) => new Float64Array(n));
  }

  text(i: number): string {
    return this.source.slice(this.starts[i], this.ends[i]);
  }

  /** Length of token i in characters. */
  width(i: number): number {
    return this.ends[i] - this.starts[i];
  }

  /** Whether token i is the punctuation p (compared without slicing the source). */
  isPunct(i: number, p: string): boolean {
    return this.kinds[i] === TokenKind.Punct && this.ends[i] - this.starts[i] === p.length && this.source.startsWith(p, this.starts[i]);
  }

  token(i: number): Token {
    return { kind: this.kinds[i], text: this.text(i), value: this.values[i], line: this.lines[i], col: this.cols[i], offset: this.starts[i], end: this.ends[i] };
  }
}

export function lex(text: string): TokenStream {
  const ts = new TokenStream(text);
  const problems = ts.problems;
  const n = text.length;
  let i = 0;
  let line = 0;
  let lineStart = 0;
  const push = (kind: TokenKind, start: number, end: number, value = 0): void => ts.push(kind, start, end, line, start - lineStart, value);
  const newline = (at: number): void => {
    line++;
    lineStart = at + 1;
    ts.lineCount++;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      push(TokenKind.Newline, i, i + 1);
      newline(i);
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    if (c === 59 || (c === 47 && text.charCodeAt(i + 1) === 47)) {
      // ';' or '//' comment to end of line
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const startLine = line;
      const startCol = i - lineStart;
      i += 2;
      let closed = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 42 && text.charCodeAt(i + 1) === 47) {
          i += 2;
          closed = true;
          break;
        }
        if (d === 10) newline(i);
        i++;
      }
      if (!closed) problems.push({ message: 'unterminated /* comment', line: startLine, col: startCol, length: 2 });
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      push(TokenKind.Identifier, start, i);
      continue;
    }
    if (isDigit(c)) {
      const start = i;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      const value = parseNumber(text, start, i);
      if (value === undefined) {
        push(TokenKind.Bad, start, i);
        problems.push({ message: `invalid number '${text.slice(start, i)}'`, line, col: start - lineStart, length: i - start });
      } else push(TokenKind.Number, start, i, value);
      continue;
    }
    if (c === 39) {
      // 'c' character literal, with the common escapes
      const start = i;
      let value: number | undefined;
      let j = i + 1;
      if (text.charCodeAt(j) === 92) {
        const esc = text[j + 1];
        const map: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34 };
        value = esc !== undefined ? map[esc] : undefined;
        j += 2;
      } else if (j < n && text.charCodeAt(j) !== 10) {
        value = text.charCodeAt(j);
        j += 1;
      }
      if (value !== undefined && text.charCodeAt(j) === 39) {
        i = j + 1;
        push(TokenKind.Number, start, i, value);
      } else {
        i = start + 1;
        push(TokenKind.Bad, start, i);
        problems.push({ message: 'invalid character literal', line, col: start - lineStart, length: 1 });
      }
      continue;
    }
    if (i + 1 < n && PUNCT2.has(text.slice(i, i + 2))) {
      push(TokenKind.Punct, i, i + 2);
      i += 2;
      continue;
    }
    if (PUNCT1.has(text[i])) {
      push(TokenKind.Punct, i, i + 1);
      i++;
      continue;
    }
    // Any other character: a single bad token (surrogate pairs kept whole so columns stay sensible).
    const width = c >= 0xd800 && c <= 0xdbff && i + 1 < n ? 2 : 1;
    push(TokenKind.Bad, i, i + width);
    problems.push({ message: `unexpected character '${text.slice(i, i + width)}'`, line, col: i - lineStart, length: width });
    i += width;
  }
  push(TokenKind.End, n, n);
  return ts;
}

/** Token objects, for consumers that want them (syntax colouring); the assembler reads the stream directly. */
export function tokenize(text: string): Token[] {
  const ts = lex(text);
  const out: Token[] = [];
  for (let i = 0; i < ts.count; i++) out.push(ts.token(i));
  return out;
}

/** C-style integer literals in text[start..end): decimal, 0x hex, 0b binary, 0 octal. */
export function parseNumber(text: string, start = 0, end = text.length): number | undefined {
  let radix = 10;
  let i = start;
  if (end - start > 1 && text.charCodeAt(start) === 48) {
    const p = text.charCodeAt(start + 1) | 0x20;
    if (p === 0x78) radix = 16;
    else if (p === 0x62) radix = 2;
    else radix = 8;
    i = radix === 8 ? start + 1 : start + 2;
    if (i >= end) return undefined;
  }
  let value = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    const lower = c | 0x20;
    const digit = c >= 48 && c <= 57 ? c - 48 : lower >= 97 && lower <= 102 ? lower - 87 : 99;
    if (digit >= radix) return undefined;
    value = value * radix + digit;
  }
  return Number.isSafeInteger(value) ? value : undefined;
}
