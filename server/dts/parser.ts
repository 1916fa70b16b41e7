// DTS lexer and parser (the dtc source language): a syntax tree with source ranges for every node, property,
// label and reference. Values are compiled as they are read (bytes plus markers), like dtc's parser actions.
// The lexer is driven by the parser's context, as dtc's lexer states are: names after `{` and `;`, values elsewhere.
import { ByteSink } from '../../emulator/devicetree/fdt';
import { Diagnostic, DtsFatal, FileHost, Loc, Source, TextSegment, bytesToText } from './source';
import { DtValue, ElementType, Marker } from './tree';

export interface LabelDef {
  name: string;
  loc: Loc;
}

export interface RefAst {
  /** A label, or an absolute path for `&{/path}`. */
  ref: string;
  loc: Loc;
}

export interface PropertyAst {
  kind: 'property';
  labels: LabelDef[];
  name: string;
  nameLoc: Loc;
  /** Undefined for `name;` (an empty property). */
  value: DtValue | undefined;
  loc: Loc;
}

export interface DeletePropertyAst {
  kind: 'delete-property';
  name: string;
  loc: Loc;
}

export interface NodeAst {
  kind: 'node';
  labels: LabelDef[];
  name: string;
  nameLoc: Loc;
  omitIfNoRef: boolean;
  properties: (PropertyAst | DeletePropertyAst)[];
  children: (NodeAst | DeleteNodeAst)[];
  loc: Loc;
  /** From its `{` to the `;` after its `}` (what `dtc -T` annotates). */
  bodyLoc: Loc;
}

export interface DeleteNodeAst {
  kind: 'delete-node';
  name: string;
  loc: Loc;
}

export type TopItemAst =
  | { kind: 'root'; node: NodeAst }
  | { kind: 'ref-node'; labels: LabelDef[]; ref: RefAst; node: NodeAst }
  | { kind: 'delete-ref'; ref: RefAst; loc: Loc }
  | { kind: 'omit-ref'; ref: RefAst; loc: Loc };

export interface MemreserveAst {
  labels: LabelDef[];
  address: bigint;
  size: bigint;
  loc: Loc;
}

export interface DtsDocument {
  plugin: boolean;
  memreserves: MemreserveAst[];
  items: TopItemAst[];
  /** Non-fatal errors met while parsing (bad literals, out-of-range cells…); any of them stops compilation. */
  diagnostics: Diagnostic[];
  /** Items of reused include segments: other documents share them, so what compiling changes is copied first. */
  shared?: ReadonlySet<TopItemAst>;
}

export interface ParseOptions {
  host: FileHost;
  /** `-i` directories for `/include/` and `/incbin/`. */
  includeDirs?: readonly string[];
}

type Mode = 'name' | 'value' | 'bytes';

type TokenKind = 'name' | 'label' | 'ref' | 'int' | 'string' | 'keyword' | 'punct' | 'byte' | 'ident' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  value: bigint;
  source: Source;
  start: number;
  end: number;
}

const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const IDENT_TABLE = (() => {
  const t = new Uint8Array(256);
  for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_') t[c.charCodeAt(0)] = 1;
  return t;
})();
const isIdentChar = (code: number) => code < 256 && IDENT_TABLE[code] === 1;
/*
 * The lexer's runs of characters are regular expressions, sticky at an offset: V8 runs them as native code, where
 * dtc's code runs on the baseline compiler, at about 20 ns a character in a loop of charCodeAt and a table.
 */
const SPACE_RUN = /[ \t\n\r\v\f]*/y;
const NAME_RUN = /[a-zA-Z0-9,._+*#?@-]*/y;
/** A path reference's characters: a name's, and slashes. */
const PATH_RUN = /[a-zA-Z0-9,._+*#?@/-]*/y;
const IDENT_RUN = /[a-zA-Z0-9_]*/y;
const STRING_RUN = /[^"\\]*/y;
const CHAR_RUN = /[^'\\]*/y;
const HEX_RUN = /[0-9a-fA-F]*/y;
const DIGIT_RUN = /[0-9]*/y;

/** The end of the run of `run`'s characters in `text` from `i`. */
function runEnd(run: RegExp, text: string, i: number): number {
  run.lastIndex = i;
  run.test(text);
  return run.lastIndex;
}
const KEYWORDS = ['/dts-v1/', '/plugin/', '/memreserve/', '/bits/', '/delete-property/', '/delete-node/', '/omit-if-no-ref/', '/incbin/'];
const PUNCT2 = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||'];
/** An integer literal's suffixes, longest first (only a literal followed by U or L has one). */
const INT_SUFFIXES = ['ULL', 'UL', 'LL', 'U', 'L'];
const MAX_INCLUDE_DEPTH = 100;

function isHex(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/** Decodes dtc string escapes (`\n`, `\0`-`\377` octal, `\xNN`); `bad` reports a malformed escape. */
export function unescape(raw: string, bad: (message: string) => void): string {
  if (raw.indexOf('\\') < 0) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const e = raw[++i];
    switch (e) {
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'v': out += '\v'; break;
      case 'f': out += '\f'; break;
      case 'r': out += '\r'; break;
      case 'x': {
        let j = i + 1;
        while (j < raw.length && j < i + 3 && isHex(raw[j])) j++;
        if (j === i + 1) {
          bad('\\x used with no following hex digits');
          break;
        }
        out += String.fromCharCode(parseInt(raw.slice(i + 1, j), 16));
        i = j - 1;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          let j = i;
          while (j < raw.length && j < i + 3 && raw[j] >= '0' && raw[j] <= '7') j++;
          out += String.fromCharCode(parseInt(raw.slice(i, j), 8) & 0xff);
          i = j - 1;
        } else {
          out += e;
        }
    }
  }
  return out;
}

const MASK64 = (1n << 64n) - 1n;

/** Where lexing resumes after an /include/d file ends (an immutable list, so saving it is free). */
interface IncludeFrame {
  source: Source;
  pos: number;
  outer: IncludeFrame | undefined;
}

/** The items an include segment holds when read on its own (null: it cannot be), by the segment's key. */
interface SegmentItems {
  readonly items: readonly TopItemAst[];
  readonly diagnostics: readonly Diagnostic[];
}
const segmentItems = new WeakMap<object, SegmentItems | null>();

/** Does `text` hold only whitespace and comments from `from` to exactly `to`? */
function onlyTrivia(text: string, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12) i++;
    else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return false;
      i = end + 2;
    } else if (c === 47 && text.charCodeAt(i + 1) === 47) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else return false;
  }
  return i === to;
}

class Parser {
  private stack: IncludeFrame | undefined;
  private depth = 0;
  private source: Source;
  private pos = 0;
  /** Scratch buffer for property values (copied out per value). */
  private readonly data = new ByteSink();
  readonly diagnostics: Diagnostic[] = [];
  plugin = false;
  /** Files were read (/include/, /incbin/) or line markers met: what was parsed depends on more than the text. */
  private outsideText = false;
  /** The next include segment of the root that may still be reused. */
  private segmentIndex = 0;
  private readonly shared = new Set<TopItemAst>();

  constructor(
    private readonly root: Source,
    private readonly options: ParseOptions,
  ) {
    this.source = root;
  }

  // ---- lexing ----------------------------------------------------------------------------------------------

  private fatal(message: string, loc: Loc, code = 'syntax'): never {
    throw new DtsFatal({ severity: 'error', message, code, loc });
  }

  private error(message: string, loc: Loc, code = 'syntax'): void {
    this.diagnostics.push({ severity: 'error', message, code, loc });
  }

  private locOf(t: Token): Loc {
    return { source: t.source, start: t.start, end: t.end };
  }

  private span(from: Loc, to: Loc): Loc {
    return from.source === to.source ? { source: from.source, start: from.start, end: to.end } : from;
  }

  /** Skips whitespace, comments and cpp line markers; pops finished includes. */
  private skipTrivia(): void {
    for (;;) {
      const text = this.source.text;
      while (this.pos < text.length) {
        SPACE_RUN.lastIndex = this.pos;
        SPACE_RUN.test(text);
        this.pos = SPACE_RUN.lastIndex;
        if (this.pos >= text.length) break;
        const c = text.charCodeAt(this.pos);
        if (c === 47 /* / */ && text.charCodeAt(this.pos + 1) === 42 /* * */) {
          const end = text.indexOf('*/', this.pos + 2);
          if (end < 0) this.fatal('unterminated comment', { source: this.source, start: this.pos, end: text.length });
          this.pos = end + 2;
        } else if (c === 47 && text.charCodeAt(this.pos + 1) === 47) {
          const end = text.indexOf('\n', this.pos);
          this.pos = end < 0 ? text.length : end;
        } else if (c === 35 /* # */ && (this.pos === 0 || text.charCodeAt(this.pos - 1) === 10) && this.lineMarker()) {
          // consumed
        } else {
          return;
        }
      }
      const outer = this.stack;
      if (!outer) return;
      this.stack = outer.outer;
      this.depth--;
      this.source = outer.source;
      this.pos = outer.pos;
    }
  }

  private static readonly LINE_MARKER = /#(?:line)?[ \t]+(\d+)[ \t]+"((?:[^"\\\n]|\\.)*)"[^\n]*(?:\n|$)/y;

  private lineMarker(): boolean {
    Parser.LINE_MARKER.lastIndex = this.pos;
    const m = Parser.LINE_MARKER.exec(this.source.text);
    if (!m) return false;
    this.pos = Parser.LINE_MARKER.lastIndex;
    this.outsideText = true;
    this.source.addLineMarker(this.pos, unescape(m[2], () => undefined), Number(m[1]));
    return true;
  }

  private make(kind: TokenKind, start: number, text: string, value = 0n): Token {
    return { kind, text, value, source: this.source, start, end: this.pos };
  }

  private scan(mode: Mode): Token {
    // Calls cost on the baseline compiler: trivia is skipped only when some may come (or an include may end).
    const before = this.source.text.charCodeAt(this.pos);
    if (before !== before || before <= 32 || before === 47 /* / */ || before === 35 /* # */) this.skipTrivia();
    const text = this.source.text;
    const start = this.pos;
    if (start >= text.length) return this.make('eof', start, '');
    const c = text[start];
    if (mode === 'bytes') {
      if (isHex(c) && isHex(text[start + 1] ?? '')) {
        this.pos += 2;
        return this.make('byte', start, text.slice(start, start + 2), BigInt(parseInt(text.slice(start, start + 2), 16)));
      }
    }
    // The most common tokens first: punctuators that begin no longer token (',' only outside names, where it is a
    // name character), and integers (no label starts with a digit).
    const code = text.charCodeAt(start);
    if (code === 59 /* ; */ || code === 123 /* { */ || code === 125 /* } */ || code === 40 /* ( */ || code === 41 /* ) */ || code === 91 /* [ */ || code === 93 /* ] */ || (code === 44 /* , */ && mode !== 'name')) {
      this.pos = start + 1;
      return this.make('punct', start, c);
    }
    if (code === 60 /* < */ || code === 62 /* > */) {
      const next = text.charCodeAt(start + 1);
      if (next !== 60 && next !== 62 && next !== 61 /* = */) {
        this.pos = start + 1;
        return this.make('punct', start, c);
      }
    }
    if (mode !== 'name' && code >= 48 && code <= 57) return this.scanInt(start);
    if (c === '/') {
      if (text.startsWith('/include/', start)) {
        this.include();
        return this.scan(mode);
      }
      for (const k of KEYWORDS) {
        if (text.startsWith(k, start)) {
          this.pos += k.length;
          return this.make('keyword', start, k);
        }
      }
    }
    if (c === '"') return this.scanString(start);
    if (c === "'") return this.scanChar(start);
    if (c === '&') {
      if (text[start + 1] === '{' && text[start + 2] === '/') {
        const j = runEnd(PATH_RUN, text, start + 3);
        if (text[j] === '}') {
          this.pos = j + 1;
          return this.make('ref', start, text.slice(start + 2, j));
        }
      }
      IDENT_RUN.lastIndex = start + 1;
      IDENT_RUN.test(text);
      const j = IDENT_RUN.lastIndex;
      // The run is identifier characters: a label (LABEL_RE) unless it starts with a digit.
      const first = text.charCodeAt(start + 1);
      if (j > start + 1 && !(first >= 48 && first <= 57)) {
        this.pos = j;
        return this.make('ref', start, text.slice(start + 1, j));
      }
    }
    // Names, labels and literals: take the longest run of name characters, then decide.
    let j = start;
    const nameStart = mode === 'name' && c === '\\' ? start + 1 : start;
    j = nameStart;
    NAME_RUN.lastIndex = j;
    NAME_RUN.test(text);
    j = NAME_RUN.lastIndex;
    if (j > nameStart) {
      const word = text.slice(nameStart, j);
      if (text[j] === ':' && LABEL_RE.test(word) && nameStart === start) {
        this.pos = j + 1;
        return this.make('label', start, word);
      }
      if (mode === 'name') {
        this.pos = j;
        return this.make('name', start, word);
      }
    }
    if (mode !== 'name' && c >= '0' && c <= '9') return this.scanInt(start);
    if (mode !== 'name' && isIdentChar(c.charCodeAt(0))) {
      const k = runEnd(IDENT_RUN, text, start);
      this.pos = k;
      return this.make('ident', start, text.slice(start, k));
    }
    if ('<>=!&|'.includes(c)) {
      const two = text.slice(start, start + 2);
      if (PUNCT2.includes(two)) {
        this.pos += 2;
        return this.make('punct', start, two);
      }
    }
    this.pos++;
    return this.make('punct', start, c);
  }

  private scanInt(start: number): Token {
    const text = this.source.text;
    let j = start;
    const hex = text[j] === '0' && (text[j + 1] === 'x' || text[j + 1] === 'X') && isHex(text[j + 2] ?? '');
    if (hex) {
      j = runEnd(HEX_RUN, text, j + 2);
    } else j = runEnd(DIGIT_RUN, text, j);
    const digitsEnd = j;
    const after = text[j];
    if (after === 'U' || after === 'L') {
      for (let k = 0; k < INT_SUFFIXES.length; k++) {
        if (text.startsWith(INT_SUFFIXES[k], j)) {
          j += INT_SUFFIXES[k].length;
          break;
        }
      }
    }
    this.pos = j;
    const literal = text.slice(start, j);
    const digits = text.slice(start, digitsEnd);
    let value: bigint;
    if (hex) value = BigInt(digits);
    else if (digits.length > 1 && digits[0] === '0') {
      if (!/^[0-7]+$/.test(digits)) {
        this.error(`Bad integer literal '${literal}'`, { source: this.source, start, end: j }, 'literal');
        return this.make('int', start, literal, 0n);
      }
      value = BigInt('0o' + digits);
    } else value = BigInt(digits);
    if (value > MASK64) {
      this.error(`Integer literal '${literal}' out of range`, { source: this.source, start, end: j }, 'literal');
      value = MASK64;
    }
    return this.make('int', start, literal, value);
  }

  private scanQuoted(start: number, quote: string): string {
    const text = this.source.text;
    // The run up to a quote or a backslash, natively; a loop only past escapes.
    const plain = quote === '"' ? STRING_RUN : CHAR_RUN;
    plain.lastIndex = start + 1;
    plain.test(text);
    let j = plain.lastIndex;
    while (j < text.length && text[j] !== quote) j += text[j] === '\\' ? 2 : 1;
    if (j >= text.length) this.fatal(`unterminated ${quote === '"' ? 'string' : 'character literal'}`, { source: this.source, start, end: text.length });
    this.pos = j + 1;
    return text.slice(start + 1, j);
  }

  private scanString(start: number): Token {
    const raw = this.scanQuoted(start, '"');
    const loc = { source: this.source, start, end: this.pos };
    return this.make('string', start, unescape(raw, (m) => this.error(m, loc, 'literal')));
  }

  private scanChar(start: number): Token {
    const raw = this.scanQuoted(start, "'");
    const loc = { source: this.source, start, end: this.pos };
    const s = unescape(raw, (m) => this.error(m, loc, 'literal'));
    if (s.length === 0) this.error('Empty character literal', loc, 'literal');
    else if (s.length > 1) this.error(`Character literal has ${s.length} characters instead of 1`, loc, 'literal');
    return this.make('int', start, `'${raw}'`, BigInt(s.length > 0 ? s.charCodeAt(0) : 0));
  }

  /** `/include/ "file"`: continue lexing inside the file, then return here. */
  private include(): void {
    const start = this.pos;
    this.pos += '/include/'.length;
    this.skipTrivia();
    if (this.source.text[this.pos] !== '"') this.fatal('/include/ needs a "file" name', { source: this.source, start, end: this.pos });
    const raw = this.scanQuoted(this.pos, '"');
    const loc = { source: this.source, start, end: this.pos };
    const name = unescape(raw, () => undefined);
    const found = this.findFile(name);
    if (!found) this.fatal(`Couldn't open "${name}": No such file or directory`, loc, 'include');
    if (this.depth >= MAX_INCLUDE_DEPTH) this.fatal(`/include/ nested more than ${MAX_INCLUDE_DEPTH} deep`, loc, 'include');
    this.stack = { source: this.source, pos: this.pos, outer: this.stack };
    this.depth++;
    this.source = new Source(found.path, bytesToText(found.bytes), dirname(found.path));
    this.pos = 0;
  }

  findFile(name: string): { path: string; bytes: Uint8Array } | undefined {
    this.outsideText = true;
    const candidates = name.startsWith('/') ? [name] : [joinPath(this.source.dir, name), ...(this.options.includeDirs ?? []).map((d) => joinPath(d, name))];
    for (const path of candidates) {
      const bytes = this.options.host.readFile(path);
      if (bytes) return { path, bytes };
    }
    return undefined;
  }

  // One token of lookahead, scanned in a given mode; a different mode rescans from the saved position.
  private peekMode: Mode | undefined;
  private peekToken: Token | undefined;
  private peekSource: Source | undefined;
  private peekPos = 0;
  private peekStack: IncludeFrame | undefined;
  private peekDepth = 0;

  private peek(mode: Mode): Token {
    if (this.peekMode !== undefined) {
      if (this.peekMode === mode) return this.peekToken!;
      this.source = this.peekSource!;
      this.pos = this.peekPos;
      this.stack = this.peekStack;
      this.depth = this.peekDepth;
    }
    this.peekSource = this.source;
    this.peekPos = this.pos;
    this.peekStack = this.stack;
    this.peekDepth = this.depth;
    this.peekToken = this.scan(mode);
    this.peekMode = mode;
    return this.peekToken;
  }

  /** Where the last token taken ended, and in which source (to tell a ';' missing at a line's end). */
  private lastEndSource: Source | undefined;
  private lastEnd = 0;

  private next(mode: Mode): Token {
    const t = this.peekMode === mode ? this.peekToken! : this.peek(mode);
    this.peekMode = undefined;
    this.lastEndSource = this.source;
    this.lastEnd = t.end;
    return t;
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of input';
    const text = this.source.text.slice(t.start, t.end) || t.text;
    if (/^#\s*(include|define|undef|if|ifdef|ifndef|elif|else|endif|error)\b/.test(text)) return `'${text}' (a C preprocessor directive: compile with --cpp)`;
    if (t.kind === 'ident') return `'${t.text}' (an undefined macro?)`;
    return `'${text}'`;
  }

  private expectPunct(p: string, mode: Mode): Token {
    const beforeSource = this.lastEndSource;
    const before = this.lastEnd;
    const t = this.next(mode);
    if (t.kind !== 'punct' || t.text !== p) {
      // A statement that ends at a line's end and a new one on the next line: the ';' was forgotten there. The
      // error stays where dtc puts it (the next token), without guessing at macros.
      if (p === ';' && beforeSource === this.source && this.source.text.slice(before, t.start).includes('\n')) {
        const line = this.source.positionAt(before).line;
        const found = t.kind === 'eof' ? 'the end of input' : `'${this.source.text.slice(t.start, t.end) || t.text}'`;
        this.fatal(`syntax error: expected ';' before ${found} (missing at the end of line ${line}?)`, this.locOf(t));
      }
      this.fatal(`syntax error: expected '${p}', found ${this.describe(t)}`, this.locOf(t));
    }
    return t;
  }

  // ---- grammar ---------------------------------------------------------------------------------------------

  parseDocument(): DtsDocument {
    const memreserves: MemreserveAst[] = [];
    const items: TopItemAst[] = [];
    let headers = 0;
    for (;;) {
      const t = this.peek('name');
      if (t.kind !== 'keyword' || t.text !== '/dts-v1/') break;
      this.next('name');
      this.expectPunct(';', 'value');
      let plugin = false;
      const p = this.peek('name');
      if (p.kind === 'keyword' && p.text === '/plugin/') {
        this.next('name');
        this.expectPunct(';', 'value');
        plugin = true;
      }
      if (headers > 0 && plugin !== this.plugin) this.error("Header flags don't match earlier ones", this.locOf(t));
      this.plugin ||= plugin;
      headers++;
    }
    if (headers === 0) {
      const t = this.peek('name');
      this.fatal(`syntax error: the file must start with /dts-v1/; (found ${this.describe(t)})`, this.locOf(t));
    }
    for (;;) {
      const labels = this.labels('name');
      const t = this.peek('name');
      if (t.kind === 'keyword' && t.text === '/memreserve/') {
        this.next('name');
        const address = this.integerPrim();
        const size = this.integerPrim();
        const end = this.expectPunct(';', 'value');
        memreserves.push({ labels, address, size, loc: this.span(labels[0]?.loc ?? this.locOf(t), this.locOf(end)) });
        continue;
      }
      if (labels.length > 0) {
        items.push(this.topItem(labels));
      }
      break;
    }
    this.topItems(items);
    if (items.length === 0) this.fatal('syntax error: no root node', this.locOf(this.peek('name')));
    return { plugin: this.plugin, memreserves, items, diagnostics: this.diagnostics, shared: this.shared };
  }

  private topItems(items: TopItemAst[]): void {
    for (;;) {
      if (this.reuseSegment(items)) continue;
      const t = this.peek('name');
      if (t.kind === 'eof') break;
      items.push(this.topItem(this.labels('name')));
    }
  }

  /**
   * Between top-level items of the root, with only trivia before the next include segment: the segment's items
   * as read on their own (once per segment key), then on after it. The same items as reading on: a segment that
   * is not whole items, or that reads files, is read in place instead.
   */
  private reuseSegment(items: TopItemAst[]): boolean {
    const segments = this.root.segments;
    if (!segments || this.segmentIndex >= segments.length) return false;
    const peeked = this.peekMode !== undefined;
    const source = peeked ? this.peekSource : this.source;
    const pos = peeked ? this.peekPos : this.pos;
    if (source !== this.root || (peeked ? this.peekStack : this.stack) !== undefined) return false;
    while (this.segmentIndex < segments.length && segments[this.segmentIndex].start < pos) this.segmentIndex++;
    const segment = segments[this.segmentIndex];
    if (!segment || !onlyTrivia(this.root.text, pos, segment.start)) return false;
    const parsed = this.segmentItems(segment);
    if (!parsed) return false;
    items.push(...parsed.items);
    for (const item of parsed.items) this.shared.add(item);
    this.diagnostics.push(...parsed.diagnostics);
    this.source = this.root;
    this.stack = undefined;
    this.depth = 0;
    this.pos = segment.end;
    this.peekMode = undefined;
    this.segmentIndex++;
    return true;
  }

  private segmentItems(segment: TextSegment): SegmentItems | null {
    let parsed = segmentItems.get(segment.key);
    if (parsed !== undefined) return parsed;
    const parser = new Parser(new Source(this.root.name, segment.text, this.root.dir, segment.map), this.options);
    const items: TopItemAst[] = [];
    try {
      parser.topItems(items);
      parsed = parser.outsideText ? null : { items, diagnostics: parser.diagnostics };
    } catch (e) {
      if (!(e instanceof DtsFatal)) throw e;
      parsed = null;
    }
    segmentItems.set(segment.key, parsed);
    return parsed;
  }

  private labels(mode: Mode): LabelDef[] {
    const labels: LabelDef[] = [];
    for (let t = this.peek(mode); t.kind === 'label'; t = this.peek(mode)) {
      this.next(mode);
      labels.push({ name: t.text, loc: this.locOf(t) });
    }
    return labels;
  }

  private ref(mode: Mode): RefAst {
    const t = this.next(mode);
    if (t.kind !== 'ref') this.fatal(`syntax error: expected a &label or &{/path} reference, found ${this.describe(t)}`, this.locOf(t));
    return { ref: t.text, loc: this.locOf(t) };
  }

  private topItem(labels: LabelDef[]): TopItemAst {
    const t = this.peek('name');
    if (t.kind === 'punct' && t.text === '/' && labels.length === 0) {
      this.next('name');
      return { kind: 'root', node: this.nodeBody([], '', this.locOf(t), false) };
    }
    if (t.kind === 'ref') {
      const ref = this.ref('name');
      return { kind: 'ref-node', labels, ref, node: this.nodeBody([], '', ref.loc, false) };
    }
    if (t.kind === 'keyword' && (t.text === '/delete-node/' || t.text === '/omit-if-no-ref/') && labels.length === 0) {
      this.next('name');
      const ref = this.ref('value');
      const end = this.expectPunct(';', 'value');
      return { kind: t.text === '/delete-node/' ? 'delete-ref' : 'omit-ref', ref, loc: this.span(this.locOf(t), this.locOf(end)) };
    }
    this.fatal(`syntax error: expected '/ {', '&label {', /delete-node/ or /omit-if-no-ref/, found ${this.describe(t)}`, this.locOf(t));
  }

  /** `{ properties... subnodes... };` after a node's name. */
  private nodeBody(labels: LabelDef[], name: string, nameLoc: Loc, omitIfNoRef: boolean): NodeAst {
    const open = this.locOf(this.expectPunct('{', 'value'));
    const node: NodeAst = { kind: 'node', labels, name, nameLoc, omitIfNoRef, properties: [], children: [], loc: nameLoc, bodyLoc: open };
    for (;;) {
      const first = this.peek('name');
      if (first.kind === 'punct' && first.text === '}') {
        this.next('name');
        const end = this.expectPunct(';', 'value');
        node.loc = this.span(labels[0]?.loc ?? nameLoc, this.locOf(end));
        node.bodyLoc = this.span(open, this.locOf(end));
        return node;
      }
      if (first.kind === 'keyword' && first.text === '/delete-property/') {
        this.next('name');
        const n = this.name();
        this.expectPunct(';', 'value');
        if (node.children.length > 0) this.fatal('Properties must precede subnodes', this.locOf(first));
        node.properties.push({ kind: 'delete-property', name: n.text, loc: this.span(this.locOf(first), this.locOf(n)) });
        continue;
      }
      if (first.kind === 'keyword' && first.text === '/delete-node/') {
        this.next('name');
        const n = this.name();
        this.expectPunct(';', 'value');
        node.children.push({ kind: 'delete-node', name: n.text, loc: this.span(this.locOf(first), this.locOf(n)) });
        continue;
      }
      const item = this.propertyOrNode();
      if (item.kind === 'property') {
        if (node.children.length > 0) this.fatal('Properties must precede subnodes', item.nameLoc);
        node.properties.push(item);
      } else node.children.push(item);
    }
  }

  private name(): Token {
    const t = this.next('name');
    if (t.kind !== 'name') this.fatal(`syntax error: expected a node or property name, found ${this.describe(t)}`, this.locOf(t));
    return t;
  }

  private propertyOrNode(): PropertyAst | NodeAst {
    const labels: LabelDef[] = [];
    let omit = false;
    for (;;) {
      const t = this.peek('name');
      if (t.kind === 'label') {
        labels.push(...this.labels('name'));
        continue;
      }
      if (t.kind === 'keyword' && t.text === '/omit-if-no-ref/') {
        this.next('name');
        omit = true;
        continue;
      }
      break;
    }
    const n = this.name();
    const nameLoc = this.locOf(n);
    const after = this.peek('value');
    if (after.kind === 'punct' && after.text === '{') return this.nodeBody(labels, n.text, nameLoc, omit);
    if (omit) this.fatal("syntax error: /omit-if-no-ref/ applies to nodes, found a property", nameLoc);
    if (after.kind === 'punct' && after.text === ';') {
      this.next('value');
      return { kind: 'property', labels, name: n.text, nameLoc, value: undefined, loc: this.span(labels[0]?.loc ?? nameLoc, this.locOf(after)) };
    }
    if (!(after.kind === 'punct' && after.text === '=')) this.fatal(`syntax error: expected '=', ';' or '{' after '${n.text}', found ${this.describe(after)}`, this.locOf(after));
    this.next('value');
    const value = this.propertyValue();
    const end = this.expectPunct(';', 'value');
    return { kind: 'property', labels, name: n.text, nameLoc, value, loc: this.span(labels[0]?.loc ?? nameLoc, this.locOf(end)) };
  }

  private propertyValue(): DtValue {
    const data = this.data;
    data.length = 0;
    const markers: Marker[] = [];
    const label = (t: Token) => markers.push({ kind: 'label', offset: data.length, ref: t.text, loc: this.locOf(t) });
    for (;;) {
      for (let t = this.peek('value'); t.kind === 'label'; t = this.peek('value')) label(this.next('value'));
      const t = this.next('value');
      if (t.kind === 'string') {
        markers.push({ kind: 'type', offset: data.length, type: 'string' });
        data.text(t.text);
        data.u8(0);
      } else if (t.kind === 'ref') {
        markers.push({ kind: 'path', offset: data.length, ref: t.text, loc: this.locOf(t) });
      } else if ((t.kind === 'punct' && t.text === '<') || (t.kind === 'keyword' && t.text === '/bits/')) {
        this.array(t, data, markers);
      } else if (t.kind === 'punct' && t.text === '[') {
        markers.push({ kind: 'type', offset: data.length, type: 'u8' });
        for (;;) {
          const b = this.next('bytes');
          if (b.kind === 'byte') data.u8(Number(b.value));
          else if (b.kind === 'label') label(b);
          else if (b.kind === 'punct' && b.text === ']') break;
          else this.fatal(`syntax error: expected hex byte pairs or ']' in a byte string, found ${this.describe(b)}`, this.locOf(b));
        }
      } else if (t.kind === 'keyword' && t.text === '/incbin/') {
        this.incbin(t, data, markers);
      } else {
        this.fatal(`syntax error: expected a property value, found ${this.describe(t)}`, this.locOf(t));
      }
      for (let l = this.peek('value'); l.kind === 'label'; l = this.peek('value')) label(this.next('value'));
      const after = this.peek('value');
      if (after.kind === 'punct' && after.text === ',') {
        this.next('value');
        continue;
      }
      return new DtValue(data.result(), markers);
    }
  }

  private array(first: Token, data: ByteSink, markers: Marker[]): void {
    let bits = 32;
    if (first.kind === 'keyword') {
      const b = this.next('value');
      if (b.kind !== 'int') this.fatal(`syntax error: expected an element size after /bits/, found ${this.describe(b)}`, this.locOf(b));
      bits = Number(b.value);
      if (bits !== 8 && bits !== 16 && bits !== 32 && bits !== 64) {
        this.error('Array elements must be 8, 16, 32 or 64-bits', this.locOf(b), 'bits');
        bits = 32;
      }
      this.expectPunct('<', 'value');
    }
    markers.push({ kind: 'type', offset: data.length, type: ('u' + bits) as ElementType });
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      const t = this.peek('value');
      if (t.kind === 'punct' && t.text === '>') {
        this.next('value');
        return;
      }
      if (t.kind === 'label') {
        this.next('value');
        markers.push({ kind: 'label', offset: data.length, ref: t.text, loc: this.locOf(t) });
        continue;
      }
      if (t.kind === 'ref') {
        this.next('value');
        if (bits !== 32) this.error('References are only allowed in arrays with 32-bit elements.', this.locOf(t), 'bits');
        else markers.push({ kind: 'phandle', offset: data.length, ref: t.text, loc: this.locOf(t) });
        appendInt(data, MASK64, bits);
        continue;
      }
      // A literal cell taken here, without the calls of integerPrim (calls cost on V8's baseline compiler).
      let v: bigint;
      if (t.kind === 'int') {
        this.peekMode = undefined;
        this.lastEndSource = this.source;
        this.lastEnd = t.end;
        v = t.value;
      } else v = this.integerPrim();
      if (bits < 64 && v > mask && (v | mask) !== MASK64) this.error(`Value out of range for ${bits}-bit array element`, this.locOf(t), 'cell');
      if (bits === 32) data.u32(Number(v & 0xffffffffn));
      else appendInt(data, v, bits);
    }
  }

  private incbin(t: Token, data: ByteSink, markers: Marker[]): void {
    this.expectPunct('(', 'value');
    const f = this.next('value');
    if (f.kind !== 'string') this.fatal(`syntax error: /incbin/ needs a "file" name, found ${this.describe(f)}`, this.locOf(f));
    let offset = 0n;
    let length: bigint | undefined;
    const comma = this.peek('value');
    if (comma.kind === 'punct' && comma.text === ',') {
      this.next('value');
      offset = this.integerPrim();
      this.expectPunct(',', 'value');
      length = this.integerPrim();
    }
    const end = this.expectPunct(')', 'value');
    const loc = this.span(this.locOf(t), this.locOf(end));
    const found = this.findFile(f.text);
    if (!found) this.fatal(`Couldn't open "${f.text}": No such file or directory`, loc, 'include');
    const from = Number(offset);
    const to = length === undefined ? found.bytes.length : from + Number(length);
    if (from > found.bytes.length || to > found.bytes.length) this.fatal(`/incbin/ range ${from}..${to} is outside "${f.text}" (${found.bytes.length} bytes)`, loc, 'include');
    markers.push({ kind: 'type', offset: data.length, type: 'u8' });
    data.data(found.bytes.subarray(from, to));
  }

  // ---- integer expressions (64-bit unsigned, C precedence) ---------------------------------------------------

  private integerPrim(): bigint {
    const t = this.next('value');
    if (t.kind === 'int') return t.value;
    if (t.kind === 'punct' && t.text === '(') {
      const v = this.ternary();
      this.expectPunct(')', 'value');
      return v;
    }
    this.fatal(`syntax error: expected an integer, a character literal or a (parenthesised expression), found ${this.describe(t)}`, this.locOf(t));
  }

  private ternary(): bigint {
    const cond = this.binary(0);
    const question = this.peek('value');
    if (!(question.kind === 'punct' && question.text === '?')) return cond;
    this.next('value');
    const a = this.ternary();
    this.expectPunct(':', 'value');
    const b = this.ternary();
    return cond !== 0n ? a : b;
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

  private binary(level: number): bigint {
    if (level >= Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek('value');
      if (t.kind !== 'punct' || !Parser.LEVELS[level].includes(t.text)) return left;
      this.next('value');
      const right = this.binary(level + 1);
      left = this.apply(t, left, right);
    }
  }

  private apply(op: Token, a: bigint, b: bigint): bigint {
    switch (op.text) {
      case '||': return a !== 0n || b !== 0n ? 1n : 0n;
      case '&&': return a !== 0n && b !== 0n ? 1n : 0n;
      case '|': return a | b;
      case '^': return a ^ b;
      case '&': return a & b;
      case '==': return a === b ? 1n : 0n;
      case '!=': return a !== b ? 1n : 0n;
      case '<': return a < b ? 1n : 0n;
      case '>': return a > b ? 1n : 0n;
      case '<=': return a <= b ? 1n : 0n;
      case '>=': return a >= b ? 1n : 0n;
      case '<<': return b >= 64n ? 0n : (a << b) & MASK64;
      case '>>': return b >= 64n ? 0n : a >> b;
      case '+': return (a + b) & MASK64;
      case '-': return (a - b) & MASK64;
      case '*': return (a * b) & MASK64;
      default:
        if (b === 0n) {
          this.error('Division by zero', this.locOf(op), 'expression');
          return 0n;
        }
        return op.text === '/' ? a / b : a % b;
    }
  }

  private unary(): bigint {
    const t = this.peek('value');
    if (t.kind === 'punct' && (t.text === '-' || t.text === '~' || t.text === '!')) {
      this.next('value');
      const v = this.unary();
      return t.text === '-' ? (-v) & MASK64 : t.text === '~' ? ~v & MASK64 : v === 0n ? 1n : 0n;
    }
    return this.integerPrim();
  }
}

function appendInt(data: ByteSink, v: bigint, bits: number): void {
  if (bits === 32) data.u32(Number(v & 0xffffffffn));
  else if (bits === 8) data.u8(Number(v & 0xffn));
  else if (bits === 16) {
    data.u8(Number((v >> 8n) & 0xffn));
    data.u8(Number(v & 0xffn));
  } else data.u64(v & MASK64);
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  if (name.startsWith('/')) return name;
  if (dir === '' || dir === '.') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** Parses a DTS text. Throws DtsFatal on a syntax error (dtc stops at the first one too). */
export function parseDts(source: Source, options: ParseOptions): DtsDocument {
  return new Parser(source, options).parseDocument();
}
