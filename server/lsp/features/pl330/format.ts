// Formatting of PL330 assembly: directives and labels at column 0, instructions indented one level plus one per
// enclosing loop, mnemonics in upper case, one space between words and after commas, trailing comments aligned.
// Lines touched by a block comment or a lexical error are left as they are; the bytes never change.
import { Pl330Analysis, lineTokens, parseLineStatement } from '../../../pl330/analysis';
import { Token, TokenKind } from '../../../pl330/lexer';
import { isMnemonic } from './operands';

export interface Pl330FormatOptions {
  /** Spaces per indentation level. */
  readonly indent?: number;
  /** Column trailing comments start at (when the code is shorter). */
  readonly commentColumn?: number;
}

/** The formatted text of every line (without line terminators), index for index with the input's lines. */
export function formatPl330Lines(a: Pl330Analysis, options: Pl330FormatOptions = {}): string[] {
  const unit = options.indent ?? 4;
  const commentColumn = options.commentColumn ?? 40;
  const sourceLines = a.text.split('\n').map((l) => l.replace(/\r$/, ''));
  const frozen = blockCommentLines(a.text);
  let depth = 0;
  let inProgram = false;
  return sourceLines.map((source, line) => {
    const tokens = lineTokens(a, line);
    const statement = parseLineStatement(tokens);
    const head = statement.head;
    const upper = head?.text.toUpperCase() ?? '';
    if (upper === '.CHANNEL' || upper === '.MANAGER') {
      depth = 0;
      inProgram = true;
    }
    if (head && isMnemonic(head.text)) inProgram = true;
    if (upper.startsWith('DMALPEND')) depth = Math.max(0, depth - 1);
    const codeIndent = unit * (1 + depth);
    if (upper === 'DMALP' || upper === 'DMALPFE') depth++;
    if (frozen.has(line) || tokens.some((t) => t.kind === TokenKind.Bad)) return source;
    const comment = trailingComment(source, tokens);
    if (tokens.length === 0) {
      if (!comment) return '';
      return (/^\s/.test(source) && inProgram ? ' '.repeat(codeIndent) : '') + comment;
    }
    let code = statement.labels.map((l) => `${l.text}:`).join(' ');
    const rest = tokens.slice(statement.labels.length * 2);
    if (rest.length > 0) {
      const atColumnZero = head !== undefined && head.text.startsWith('.') && !/^\.byte$/i.test(head.text) || head !== rest[0];
      const indent = atColumnZero ? 0 : codeIndent;
      code = code ? (code.length < indent ? code.padEnd(indent) : `${code} `) : ' '.repeat(indent);
      code += joinTokens(rest, head);
    }
    if (!comment) return code;
    return code.length < commentColumn ? code.padEnd(commentColumn) + comment : `${code} ${comment}`;
  });
}

export function formatPl330(a: Pl330Analysis, options: Pl330FormatOptions = {}): string {
  return formatPl330Lines(a, options).join(a.text.includes('\r\n') ? '\r\n' : '\n');
}

/** Words joined with at most one space where the source had any, none before a comma and one after it. */
function joinTokens(tokens: readonly Token[], head: Token | undefined): string {
  let out = '';
  tokens.forEach((t, k) => {
    const text = t === head ? (t.text.startsWith('.') ? t.text.toLowerCase() : isMnemonic(t.text) ? t.text.toUpperCase() : t.text) : t.text;
    if (k > 0) {
      const prev = tokens[k - 1];
      const gap = t.offset > prev.end;
      if (t.text !== ',' && (prev.text === ',' || gap || prev === head)) out += ' ';
    }
    out += text;
  });
  return out;
}

function trailingComment(source: string, tokens: readonly Token[]): string {
  const last = tokens[tokens.length - 1];
  return source.slice(last ? last.col + last.text.length : 0).trim();
}

/** Lines a /* comment starts, ends or passes through (mirrors the lexer's comment and literal rules). */
function blockCommentLines(text: string): Set<number> {
  const lines = new Set<number>();
  let line = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    else if (c === ';' || (c === '/' && text[i + 1] === '/')) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close > i && close - i <= 3 && !text.slice(i, close).includes('\n')) i = close;
    } else if (c === '/' && text[i + 1] === '*') {
      lines.add(line);
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) {
        if (text[i] === '\n') lines.add(++line);
        i++;
      }
      i++;
    }
  }
  return lines;
}
