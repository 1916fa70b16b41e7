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

export interface LexResult {
  readonly tokens: Token[];
  readonly problems: LexProblem[];
  /** Start offset of each line, for position ↔ offset mapping. */
  readonly lineStarts: number[];
}

export function tokenize(text: string): LexResult {
  const tokens: Token[] = [];
  const problems: LexProblem[] = [];
  const lineStarts = [0];
  const n = text.length;
  let i = 0;
  let line = 0;
  let lineStart = 0;
  const push = (kind: TokenKind, start: number, end: number, value = 0, str?: string): void => {
    tokens.push({ kind, text: str ?? text.slice(start, end), value, line, col: start - lineStart, offset: start, end });
  };
  const newline = (at: number): void => {
    line++;
    lineStart = at + 1;
    lineStarts.push(lineStart);
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      push(TokenKind.Newline, i, i + 1, 0, '\n');
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
      const raw = text.slice(start, i);
      const value = parseNumber(raw);
      if (value === undefined) {
        push(TokenKind.Bad, start, i);
        problems.push({ message: `invalid number '${raw}'`, line, col: start - lineStart, length: i - start });
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
    const two = text.slice(i, i + 2);
    if (PUNCT2.has(two)) {
      push(TokenKind.Punct, i, i + 2);
      i += 2;
      continue;
    }
    const one = text[i];
    if (PUNCT1.has(one)) {
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
  push(TokenKind.End, n, n, 0, '');
  return { tokens, problems, lineStarts };
}

/** C-style integer literals: decimal, 0x hex, 0b binary, 0 octal; '_' separators are not allowed. */
export function parseNumber(raw: string): number | undefined {
  let digits = raw;
  let radix = 10;
  if (/^0[xX]/.test(raw)) {
    digits = raw.slice(2);
    radix = 16;
    if (!/^[0-9a-fA-F]+$/.test(digits)) return undefined;
  } else if (/^0[bB]/.test(raw)) {
    digits = raw.slice(2);
    radix = 2;
    if (!/^[01]+$/.test(digits)) return undefined;
  } else if (/^0[0-7]+$/.test(raw)) {
    digits = raw.slice(1);
    radix = 8;
  } else if (!/^[0-9]+$/.test(raw)) return undefined;
  const value = parseInt(digits, radix);
  return Number.isSafeInteger(value) ? value : undefined;
}
