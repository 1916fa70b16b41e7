// The C preprocessor as the Linux kernel's DTS build uses it (`cpp -nostdinc -undef -D__DTS__ -x
// assembler-with-cpp`): #include with search paths, object- and function-like macros with # and ##, #undef,
// #if/#ifdef/#ifndef/#elif/#else/#endif with defined() and integer arithmetic. Lines starting with an unknown
// directive (`#address-cells = <1>;`) are text, as in assembler mode. Output spacing follows GCC's (a space only
// where the source had one, or where two tokens would otherwise paste), and every output offset maps back to the
// file, line and column it came from (a macro's expansion maps to its invocation).
import { Diagnostic, FileHost, Position, SourceMap, TextSegment, bytesToText } from './source';
import { dirname, joinPath } from './parser';

const enum K {
  Ident,
  Number,
  String,
  Char,
  Punct,
  Other,
  Newline,
  Eof,
  /** A macro-expansion boundary: the next token may need a space so it does not paste onto the previous one. */
  Padding,
  /** An empty macro argument next to ##. */
  Placemarker,
}

interface Tok {
  kind: K;
  text: string;
  /** Whitespace precedes the token (GCC's PREV_WHITE). */
  ws: boolean;
  file: number;
  line: number;
  col: number;
  /** Macros this token must not expand (the hide set). */
  hide?: ReadonlySet<string>;
  /** First token on its line (directives start with such a `#`). */
  bol?: boolean;
}

interface Macro {
  name: string;
  params: string[] | undefined;
  variadic: boolean;
  /** The replacement list; undefined until first needed when `bodyText` holds it as written. */
  body: Tok[] | undefined;
  bodyText?: string;
}

/**
 * A macro's replacement list, lexed at its first use: a kernel header defines hundreds of macros that a devicetree
 * never uses. Its tokens' own positions are never read (an expansion takes its invocation's).
 */
function macroBody(m: Macro): Tok[] {
  if (m.body === undefined) {
    const body = lex(m.bodyText ?? '', -1).filter((t) => t.kind !== K.Newline);
    for (let i = 0; i < body.length; i++) body[i].bol = false;
    if (body.length > 0) body[0].ws = false;
    m.body = body;
  }
  return m.body;
}

export interface PreprocessOptions {
  host: FileHost;
  /** -I directories, searched by #include "…" (after the including file's directory) and #include <…>. */
  includeDirs: readonly string[];
  /** -D NAME[=VALUE] */
  defines?: readonly string[];
  /**
   * Files already read, and (if it replays includes) #include expansions already made, shared between runs: a
   * whole corpus in one process, or an editor's runs after each keystroke.
   */
  cache?: PreprocessCache;
}


export interface PreprocessResult {
  text: string;
  map: SourceMap;
  diagnostics: Diagnostic[];
  /** Every file read, in order (the input first). */
  files: string[];
  /** The outputs of the input's own #includes, in order (only with a cache that replays includes). */
  segments: TextSegment[];
}

/**
 * A cache for many runs. `replayIncludes`: also record each #include's expansion and replay it when the file is
 * included again in the same macro state (for an editor re-running one document; a corpus of distinct documents
 * gains less than the recording and memory cost).
 */
export function newPreprocessCache(options: { replayIncludes?: boolean } = {}): PreprocessCache {
  return new PreprocessCache(options.replayIncludes ?? false);
}

const PUNCTS = ['%:%:', '...', '<<=', '>>=', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=', '##'];
const SINGLE_PUNCT = new Set('[](){}.&*+-~!/%<>^|?:;=,#');
/** The multi-character punctuators by first character, longest first: the lexer tries only those its character starts. */
const PUNCTS_BY_FIRST = new Map<string, string[]>();
for (const p of PUNCTS) PUNCTS_BY_FIRST.set(p[0], [...(PUNCTS_BY_FIRST.get(p[0]) ?? []), p]);
/** Identifier starts by character code, read inline (the dtc command runs on V8's baseline compiler: a call costs). */
const IDENT_START = Uint8Array.from({ length: 128 }, (_, c) => ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 ? 1 : 0));
const isDigit = (c: number) => c >= 48 && c <= 57;
const MAX_INCLUDE_DEPTH = 200;
const MAX_EXPANSION_TOKENS = 5_000_000;

interface LexState {
  pos: number;
  line: number;
  lineStart: number;
  ws: boolean;
  bol: boolean;
}

/** Splits a file into preprocessing tokens on demand (comments and line splices become whitespace). */
class Lexer {
  private st: LexState = { pos: 0, line: 1, lineStart: 0, ws: false, bol: true };
  private done = false;

  constructor(
    readonly text: string,
    readonly file: number,
  ) {}

  save(): LexState {
    return { ...this.st };
  }

  restore(state: LexState): void {
    this.st = { ...state };
    this.done = false;
  }

  get pos(): number {
    return this.st.pos;
  }

  get line(): number {
    return this.st.line;
  }

  get col(): number {
    return this.st.pos - this.st.lineStart + 1;
  }

  atEnd(): boolean {
    return this.done || this.st.pos >= this.text.length;
  }

  /** Is the next token the first on its line? */
  atLineStart(): boolean {
    return this.st.bol;
  }

  /** Moves to `end` (a newline's offset or the text's end) and past the newline, counting the lines crossed. */
  skipTo(end: number): void {
    const text = this.text;
    const st = this.st;
    for (let k = text.indexOf('\n', st.pos); k >= 0 && k < end; k = text.indexOf('\n', k + 1)) {
      st.line++;
      st.lineStart = k + 1;
    }
    st.pos = Math.min(end + 1, text.length);
    if (end < text.length) {
      st.line++;
      st.lineStart = end + 1;
    }
    st.ws = false;
    st.bol = true;
  }

  private tok(kind: K, start: number, end: number, value?: string): Tok {
    const st = this.st;
    const t: Tok = { kind, text: value ?? this.text.slice(start, end), ws: st.ws, file: this.file, line: st.line, col: start - st.lineStart + 1, bol: st.bol };
    st.ws = false;
    st.bol = false;
    return t;
  }

  next(): Tok {
    const text = this.text;
    const n = text.length;
    const st = this.st;
    let i = st.pos;
    for (;;) {
      if (i >= n) {
        st.pos = i;
        if (this.done) return this.tok(K.Eof, i, i, '');
        this.done = true;
        // Every file ends with a newline token.
        return this.tok(K.Newline, i, i, '\n');
      }
      const c = text.charCodeAt(i);
      if (c === 10) {
        const t = this.tok(K.Newline, i, i, '\n');
        i++;
        st.pos = i;
        st.line++;
        st.lineStart = i;
        st.bol = true;
        return t;
      }
      if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
        st.ws = true;
        i++;
        continue;
      }
      if (c === 92 /* \ */ && (text.charCodeAt(i + 1) === 10 || (text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10))) {
        i += text.charCodeAt(i + 1) === 13 ? 3 : 2;
        st.line++;
        st.lineStart = i;
        continue;
      }
      if (c === 47 /* / */) {
        const d = text.charCodeAt(i + 1);
        if (d === 42 /* * */) {
          let end = text.indexOf('*/', i + 2);
          if (end < 0) end = n - 2;
          for (let k = text.indexOf('\n', i); k >= 0 && k < end; k = text.indexOf('\n', k + 1)) {
            st.line++;
            st.lineStart = k + 1;
          }
          i = end + 2;
          st.ws = true;
          continue;
        }
        if (d === 47) {
          i = commentEnd(text, i);
          st.ws = true;
          continue;
        }
      }
      const start = i;
      if (IDENT_START[c] === 1) {
        IDENTIFIER_REST.lastIndex = i + 1;
        IDENTIFIER_REST.test(text);
        i = IDENTIFIER_REST.lastIndex;
        st.pos = i;
        return this.tok(K.Ident, start, i);
      }
      if ((c >= 48 && c <= 57) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
        i = numberEnd(text, i);
        st.pos = i;
        return this.tok(K.Number, start, i);
      }
      if (c === 34 || c === 39) {
        // A string or character literal; unterminated ones are a lone quote character (assembler mode).
        const end = quoteEnd(text, i);
        st.pos = end < 0 ? i + 1 : end;
        return this.tok(end < 0 ? K.Other : c === 34 ? K.String : K.Char, start, st.pos);
      }
      let p = '';
      if (SINGLE_PUNCT.has(text[i])) {
        p = text[i];
        const candidates = PUNCTS_BY_FIRST.get(p);
        for (let k = 0; candidates !== undefined && k < candidates.length; k++) {
          if (text.startsWith(candidates[k], i)) {
            p = candidates[k];
            break;
          }
        }
      }
      st.pos = i + (p ? p.length : 1);
      return this.tok(p ? K.Punct : K.Other, start, st.pos);
    }
  }
}

/** End of a // comment (the newline's offset), following backslash-newline continuations. */
function commentEnd(text: string, i: number): number {
  for (let k = i + 2; ; ) {
    const nl = text.indexOf('\n', k);
    if (nl < 0) return text.length;
    if (text.charCodeAt(nl - 1) === 92 || (text.charCodeAt(nl - 1) === 13 && text.charCodeAt(nl - 2) === 92)) {
      k = nl + 1;
      continue;
    }
    return nl;
  }
}

/*
 * The lexers' runs of characters are regular expressions, sticky at an offset: V8 runs them as native code, where dtc's
 * code runs on the baseline compiler, at about 20 ns a character in a loop of charCodeAt and a table.
 */
const IDENTIFIER_REST = /[A-Za-z0-9_$]*/y;
/** After a pp-number's first character: identifier characters, dots, and signs after an exponent's e or p. */
const NUMBER_REST = /(?:[eEpP][+-]|[A-Za-z0-9_$.])*/y;
/**
 * What scanLine passes over: all but newlines, backslashes, comments' and literals' starts, identifiers' and
 * numbers' characters (a dot is inert: a number it starts is found at its digit, with the same end).
 */
/**
 * Whole lines that need no preprocessing whatever the macros (when none is named with a lowercase letter first):
 * not a directive (nor a comment first), no comment, splice or character literal, strings closed on their line
 * without escapes, and no identifier that starts with an uppercase letter, '_' or '$'.
 */
const PLAIN_LINES = /(?:(?![ \t]*(?:#|\/\*))(?:[^\n\\/"'A-Z_$]|\/(?![*/])|"[^"\\\n]*"|(?<=[A-Za-z0-9_$])[A-Z_$])*\n)*/y;
/** `#define NAME` followed by a space or the line's end (a '(' right after the name makes a function-like macro). */
const OBJECT_MACRO_DEFINITION = /#[ \t]*define[ \t]+([A-Za-z_$][A-Za-z0-9_$]*)(?=[ \t\n]|$)/y;
const INERT_RUN = /[^\n\\/"'A-Za-z0-9_$]*/y;

/** The end of the identifier characters from `i`. */
function identifierEnd(text: string, i: number): number {
  IDENTIFIER_REST.lastIndex = i;
  IDENTIFIER_REST.test(text);
  return IDENTIFIER_REST.lastIndex;
}

function numberEnd(text: string, i: number): number {
  NUMBER_REST.lastIndex = i + 1;
  NUMBER_REST.test(text);
  return NUMBER_REST.lastIndex;
}

/** The offset after a literal's closing quote, or -1 when it is not closed on its line. */
function quoteEnd(text: string, i: number): number {
  const q = text.charCodeAt(i);
  for (let k = i + 1; k < text.length; ) {
    const e = text.charCodeAt(k);
    if (e === q) return k + 1;
    if (e === 10) return -1;
    k += e === 92 ? 2 : 1;
  }
  return -1;
}

/**
 * Which identifiers may name a macro, by first character and length: a line's words are looked up (sliced out and
 * hashed) only when some macro, ever defined, has their first character and length. Devicetree text is mostly
 * lowercase names, and macro names mostly uppercase.
 */
class MacroNameFilter {
  private readonly table = new Uint8Array(128 * 64);

  constructor() {
    this.add('__LINE__');
    this.add('__FILE__');
  }

  private static slot(first: number, length: number): number {
    return (first & 127) * 64 + (length < 63 ? length : 63);
  }

  add(name: string): void {
    this.table[MacroNameFilter.slot(name.charCodeAt(0), name.length)] = 1;
  }

  /** Might text[start, end) be a macro's name? */
  mayName(text: string, start: number, end: number): boolean {
    return this.table[MacroNameFilter.slot(text.charCodeAt(start), end - start)] === 1;
  }
}

/**
 * Scans one logical line from `i` without making tokens: the offset of the newline that ends it, and whether the
 * line needs real preprocessing (a macro name, __LINE__/__FILE__, or a line splice). Block comments may span lines.
 * `filter`, when given, says which words need no lookup in `macros` (never while lookups are recorded).
 */
function scanLine(text: string, i: number, macros: { has(name: string): boolean } | undefined, filter?: MacroNameFilter): { end: number; plain: boolean } {
  const n = text.length;
  let plain = true;
  while (i < n) {
    // Characters that start nothing (spaces, punctuators) are skipped by a regular expression (native code).
    INERT_RUN.lastIndex = i;
    INERT_RUN.test(text);
    i = INERT_RUN.lastIndex;
    if (i >= n) break;
    const c = text.charCodeAt(i);
    if (c === 10) return { end: i, plain };
    if (c === 92 && (text.charCodeAt(i + 1) === 10 || text.charCodeAt(i + 1) === 13)) {
      plain = false;
      i += 2;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === 47 && text.charCodeAt(i + 1) === 47) {
      const end = commentEnd(text, i);
      if (text.slice(i, end).includes('\\\n')) plain = false;
      i = end;
    } else if (c === 34 || c === 39) {
      const end = quoteEnd(text, i);
      i = end < 0 ? i + 1 : end;
    } else if (IDENT_START[c] === 1) {
      const start = i;
      i = identifierEnd(text, i + 1);
      if (macros && (filter === undefined || filter.mayName(text, start, i))) {
        const word = text.slice(start, i);
        if (macros.has(word) || word === '__LINE__' || word === '__FILE__') plain = false;
      }
    } else if ((c >= 48 && c <= 57) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i = numberEnd(text, i);
    } else i++;
  }
  return { end: n, plain };
}

/** Tokens of a short text (a -D value, the result of ##). */
function lex(text: string, file: number): Tok[] {
  const lexer = new Lexer(text, file);
  const toks: Tok[] = [];
  for (let t = lexer.next(); t.kind !== K.Eof; t = lexer.next()) toks.push(t);
  return toks;
}

const EQ_PASTERS = new Set(['=', '!', '>', '<', '+', '-', '*', '/', '%', '&', '|', '^', '>>', '<<']);

/** GCC's cpp_avoid_paste: would printing `b` right after `a` read back as different tokens? */
function avoidPaste(a: Tok, b: Tok): boolean {
  const c = b.kind === K.Punct ? b.text[0] : '';
  if (a.kind === K.Punct) {
    if (c === '=' && EQ_PASTERS.has(a.text)) return true;
    switch (a.text) {
      case '>': return c === '>';
      case '<': return c === '<' || c === '%' || c === ':';
      case '+': return c === '+';
      case '-': return c === '-' || c === '>';
      case '/': return c === '/' || c === '*';
      case '%': return c === ':' || c === '%';
      case '&': return c === '&';
      case '|': return c === '|';
      case ':': return c === ':' || c === '>';
      case '->': return c === '*';
      case '.': return c === '.' || c === '%' || b.kind === K.Number;
      case '#': return c === '#' || c === '%';
      default: return false;
    }
  }
  if (a.kind === K.Ident) return (b.kind === K.Number && /^[A-Za-z0-9_$]+$/.test(b.text)) || b.kind === K.Ident || b.kind === K.Char || b.kind === K.String;
  if (a.kind === K.Number) return b.kind === K.Number || b.kind === K.Ident || b.kind === K.Char || c === '.' || c === '+' || c === '-';
  if (a.kind === K.Other && a.text === '\\') return b.kind === K.Ident;
  return false;
}

class OutputMap implements SourceMap {
  private size = 0;
  private offsets: Int32Array;
  private files: Int32Array;
  private lines: Int32Array;
  private cols: Int32Array;
  /** Text copied as written (a whole line, or a token from the file): positions inside it are exact. */
  private verbatim: Uint8Array;
  text = '';

  constructor(
    private readonly names: readonly string[],
    capacity = 4096,
  ) {
    capacity = Math.max(capacity, 1);
    this.offsets = new Int32Array(capacity);
    this.files = new Int32Array(capacity);
    this.lines = new Int32Array(capacity);
    this.cols = new Int32Array(capacity);
    this.verbatim = new Uint8Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Makes room for `size` entries (growing at least fourfold, so adding one at a time stays linear). */
  reserve(size: number): void {
    if (size <= this.offsets.length) return;
    const capacity = Math.max(size, this.offsets.length * 4);
    const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(capacity);
      b.set(a);
      return b;
    };
    this.offsets = grow(this.offsets);
    this.files = grow(this.files);
    this.lines = grow(this.lines);
    this.cols = grow(this.cols);
    this.verbatim = grow(this.verbatim);
  }

  add(offset: number, file: number, line: number, col: number, verbatim: boolean): void {
    if (this.size === this.offsets.length) this.reserve(this.size + 1);
    const i = this.size++;
    this.offsets[i] = offset;
    this.files[i] = file;
    this.lines[i] = line;
    this.cols[i] = col;
    this.verbatim[i] = verbatim ? 1 : 0;
  }

  /** Entries `from`.. of this map, moved to start at offset 0 and file 0 of `names`: a segment's own map. */
  slice(from: number, outStart: number, fileStart: number, names: readonly string[], text: string): OutputMap {
    const map = new OutputMap(names, this.size - from);
    for (let i = from; i < this.size; i++) map.add(this.offsets[i] - outStart, this.files[i] - fileStart, this.lines[i], this.cols[i], this.verbatim[i] === 1);
    map.text = text;
    return map;
  }

  /** Appends a segment's map whose text starts at `outStart` and whose files start at index `fileStart`. */
  append(segment: OutputMap, outStart: number, fileStart: number): void {
    this.reserve(this.size + segment.size);
    for (let i = 0; i < segment.size; i++) {
      const k = this.size + i;
      this.offsets[k] = segment.offsets[i] + outStart;
      this.files[k] = segment.files[i] + fileStart;
      this.lines[k] = segment.lines[i];
      this.cols[k] = segment.cols[i];
      this.verbatim[k] = segment.verbatim[i];
    }
    this.size += segment.size;
  }

  positionAt(offset: number): Position {
    if (this.size === 0) return { file: this.names[0] ?? '', line: 1, col: 1 };
    const offs = this.offsets;
    let lo = 0;
    let hi = this.size - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offs[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const file = this.names[this.files[lo]] ?? '<built-in>';
    if (!this.verbatim[lo] || offset <= offs[lo]) return { file, line: this.lines[lo], col: this.cols[lo] };
    // A copied run may hold a block comment spanning lines.
    const run = this.text.slice(offs[lo], offset);
    const nl = run.lastIndexOf('\n');
    if (nl < 0) return { file, line: this.lines[lo], col: this.cols[lo] + run.length };
    let count = 0;
    for (let k = run.indexOf('\n'); k >= 0; k = run.indexOf('\n', k + 1)) count++;
    return { file, line: this.lines[lo] + count, col: run.length - nl };
  }
}

class PreprocessError extends Error {}

/** What an include's expansion did, recorded so that including the file again in the same state can replay it. */
interface Segment {
  readonly path: string;
  readonly includeDirs: string;
  /** Macros the expansion looked up before changing them itself, as they were (undefined: not defined). */
  readonly reads: ReadonlyMap<string, Macro | undefined>;
  /** Macros it defined or undefined (undefined), as they were after it. */
  readonly writes: ReadonlyMap<string, Macro | undefined>;
  /** Every path it looked for (found or not): a change to any of them invalidates it. */
  readonly probed: readonly string[];
  /** How much deeper than the file itself its deepest #include was made (-1: none). */
  readonly deepestInclude: number;
  readonly text: string;
  /** The files it read, the included one first; its map counts files from 0 in this list. */
  readonly files: readonly string[];
  readonly map: OutputMap;
  readonly diagnostics: readonly Diagnostic[];
  readonly expanded: number;
  /** The output state after it: the last token written and a pending paste-avoiding space. */
  readonly prev: Tok | undefined;
  readonly padPending: boolean;
}

/** A segment being recorded: the state at its start and what it read and wrote so far. */
interface Recording {
  readonly reads: Map<string, Macro | undefined>;
  readonly writes: Map<string, Macro | undefined>;
  readonly probed: Set<string>;
  readonly depth: number;
  deepestInclude: number;
  readonly outStart: number;
  readonly mapStart: number;
  readonly fileStart: number;
  readonly diagnosticStart: number;
  readonly expandedStart: number;
}

function sameTokens(a: readonly Tok[], b: readonly Tok[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].kind !== b[i].kind || a[i].text !== b[i].text || a[i].ws !== b[i].ws) return false;
  return true;
}

/** Two definitions expand alike (a body token's own position is never used: expansions take the invocation's). */
function sameMacro(a: Macro, b: Macro): boolean {
  return a.variadic === b.variadic && sameTokens(macroBody(a), macroBody(b)) && (a.params === b.params || (a.params !== undefined && b.params !== undefined && a.params.join(',') === b.params.join(',')));
}

/** Recorded segments kept at most (by text size: an editor's few documents), least recently used dropped first; variants kept per file. */
const SEGMENT_BUDGET_CHARS = 16_000_000;
const SEGMENT_VARIANTS = 4;

/**
 * What preprocessing runs share: file texts by path (null: no such file) and recorded include expansions, each
 * dropped when a file it read (or looked for) is deleted from the cache.
 */
export class PreprocessCache {
  private readonly texts = new Map<string, string | null>();
  private readonly byPath = new Map<string, Segment[]>();
  private readonly byProbed = new Map<string, Set<Segment>>();
  /** Every segment, least recently used first. */
  private readonly lru = new Set<Segment>();
  private chars = 0;
  /** Source map entries of the last output for each input file. */
  readonly outputEntries = new Map<string, number>();

  constructor(readonly replaysIncludes = false) {}

  text(path: string, host: FileHost): string | undefined {
    let text = this.texts.get(path);
    if (text === undefined) {
      const bytes = host.readFile(path);
      text = bytes ? bytesToText(bytes) : null;
      this.texts.set(path, text);
    }
    return text ?? undefined;
  }

  /** Forgets a file (changed, created or deleted) and every expansion that read it; was anything known of it? */
  delete(path: string): boolean {
    const known = this.texts.delete(path);
    const stale = this.byProbed.get(path);
    if (!stale) return known;
    for (const s of [...stale]) this.remove(s);
    return true;
  }

  segment(path: string, includeDirs: string, replayable: (s: Segment) => boolean): Segment | undefined {
    const found = this.byPath.get(path)?.find((s) => s.includeDirs === includeDirs && replayable(s));
    if (found) {
      this.lru.delete(found);
      this.lru.add(found);
    }
    return found;
  }

  addSegment(s: Segment): void {
    const variants = this.byPath.get(s.path) ?? [];
    this.byPath.set(s.path, variants);
    variants.unshift(s);
    if (variants.length > SEGMENT_VARIANTS) this.remove(variants[variants.length - 1]);
    for (const p of s.probed) {
      let set = this.byProbed.get(p);
      if (!set) this.byProbed.set(p, (set = new Set()));
      set.add(s);
    }
    this.lru.add(s);
    this.chars += s.text.length;
    for (const oldest of this.lru) {
      if (this.chars <= SEGMENT_BUDGET_CHARS) break;
      this.remove(oldest);
    }
  }

  private remove(s: Segment): void {
    if (!this.lru.delete(s)) return;
    this.chars -= s.text.length;
    const variants = this.byPath.get(s.path);
    if (variants) {
      variants.splice(variants.indexOf(s), 1);
      if (variants.length === 0) this.byPath.delete(s.path);
    }
    for (const p of s.probed) {
      const set = this.byProbed.get(p);
      set?.delete(s);
      if (set?.size === 0) this.byProbed.delete(p);
    }
  }
}

/** An #if group: is it active now, has a branch been taken, was #else seen. */
interface Cond {
  active: boolean;
  taken: boolean;
  sawElse: boolean;
  tok: Tok;
}

class Preprocessor {
  private readonly macros = new Map<string, Macro>();
  private readonly macroNameFilter = new MacroNameFilter();
  /** Has some macro a name that starts with neither an uppercase letter, '_' nor '$' (PLAIN_LINES cannot tell)? */
  private lowercaseMacroNames = false;
  readonly diagnostics: Diagnostic[] = [];
  readonly fileNames: string[] = [];
  private out = '';
  private readonly map = new OutputMap(this.fileNames);
  private prev: Tok | undefined;
  private padPending = false;
  private expanded = 0;
  private readonly cache: PreprocessCache;
  /** Expansions of includes being recorded, outermost first (only with a cache from the caller). */
  private readonly recordings: Recording[] = [];
  private readonly segments: TextSegment[] = [];
  private readonly includeDirsKey: string;
  /** The macro table as scanLine asks it, so that what a line looks up is recorded like any other lookup. */
  private readonly macroNames = { has: (name: string): boolean => this.macro(name) !== undefined };

  constructor(private readonly options: PreprocessOptions) {
    this.cache = options.cache ?? new PreprocessCache();
    this.includeDirsKey = options.includeDirs.join('\0');
    const builtin = { file: -1, line: 0, col: 0 };
    const define = (name: string, value: string) => {
      const body = value === '' ? [] : lex(value, -1).filter((t) => t.kind !== K.Newline);
      this.macros.set(name, { name, params: undefined, variadic: false, body: body.map((t) => ({ ...t, ...builtin })) });
      this.noteMacroName(name);
    };
    define('__STDC__', '1');
    define('__STDC_HOSTED__', '1');
    define('__ASSEMBLER__', '1');
    define('__DTS__', '1');
    for (const d of options.defines ?? []) {
      const eq = d.indexOf('=');
      define(eq < 0 ? d : d.slice(0, eq), eq < 0 ? '1' : d.slice(eq + 1));
    }
  }

  result(): PreprocessResult {
    this.map.text = this.out;
    return { text: this.map.text, map: this.map, diagnostics: this.diagnostics, files: this.fileNames, segments: this.segments };
  }

  // ---- the macro table: every lookup and change is seen by the recordings ----------------------------------

  private macro(name: string): Macro | undefined {
    const m = this.macros.get(name);
    if (this.recordings.length === 0) return m;
    for (const r of this.recordings) if (!r.reads.has(name) && !r.writes.has(name)) r.reads.set(name, m);
    return m;
  }

  private noteMacroName(name: string): void {
    this.macroNameFilter.add(name);
    const c = name.charCodeAt(0);
    if (!((c >= 65 && c <= 90) || c === 95 || c === 36)) this.lowercaseMacroNames = true;
  }

  private setMacro(name: string, m: Macro | undefined): void {
    if (m) {
      this.macros.set(name, m);
      this.noteMacroName(name);
    } else this.macros.delete(name);
    // Indexed: for-of allocates an iterator, even over no recordings, on V8's baseline compiler.
    for (let i = 0; i < this.recordings.length; i++) this.recordings[i].writes.set(name, m);
  }

  private position(t: Tok): Position {
    return { file: this.fileNames[t.file] ?? '<command line>', line: t.line, col: t.col };
  }

  private error(t: Tok, message: string, severity: 'error' | 'warning' = 'error'): void {
    this.diagnostics.push({ severity, code: 'cpp', message, position: this.position(t) });
  }

  private fatal(t: Tok, message: string): never {
    this.error(t, message);
    throw new PreprocessError(message);
  }

  // ---- output ----------------------------------------------------------------------------------------------

  private emit(t: Tok, fromMacro: boolean): void {
    if (t.kind === K.Padding) {
      this.padPending = true;
      return;
    }
    if (t.kind === K.Placemarker) return;
    if (t.kind === K.Newline) {
      this.write('\n');
      this.prev = undefined;
      this.padPending = false;
      return;
    }
    if (this.prev !== undefined && (t.ws || (this.padPending && avoidPaste(this.prev, t)))) this.out += ' ';
    this.map.add(this.out.length, t.file, t.line, t.col, !fromMacro);
    this.out += t.text;
    this.prev = t;
    this.padPending = false;
  }

  private write(s: string): void {
    this.out += s;
  }

  // ---- files -----------------------------------------------------------------------------------------------

  private textOf(path: string): string | undefined {
    for (let i = 0; i < this.recordings.length; i++) this.recordings[i].probed.add(path);
    return this.cache.text(path, this.options.host);
  }

  run(path: string, text: string): void {
    // The last run's map size, with room for edits: one allocation instead of a growing series.
    const entries = this.cache.outputEntries.get(path);
    if (entries !== undefined) this.map.reserve(Math.ceil(entries * 1.25) + 64);
    this.processFile(path, text, 0);
    this.cache.outputEntries.set(path, this.map.length);
  }

  /** Runs one file: directives, skipped groups, and text (copied as is when it holds no macro). */
  private processFile(path: string, text: string, depth: number): void {
    const file = this.fileNames.length;
    this.fileNames.push(path);
    const lexer = new Lexer(text, file);
    const src = new TokenSource(lexer);
    const conds: Cond[] = [];
    const active = () => conds.length === 0 || conds[conds.length - 1].active;
    while (!lexer.atEnd()) {
      if (lexer.col === 1 && lexer.atLineStart() && !this.lowercaseMacroNames && this.recordings.length === 0 && active()) {
        PLAIN_LINES.lastIndex = lexer.pos;
        PLAIN_LINES.test(text);
        if (PLAIN_LINES.lastIndex > lexer.pos) {
          this.copyPlainLines(text, lexer, PLAIN_LINES.lastIndex, file);
          continue;
        }
      }
      let at = lexer.pos;
      while (text.charCodeAt(at) === 32 || text.charCodeAt(at) === 9) at++;
      if (text.charCodeAt(at) === 35 /* # */ && lexer.atLineStart() && active() && this.defineObjectMacro(text, at, lexer)) continue;
      if (text.charCodeAt(at) === 35 /* # */ || (text.charCodeAt(at) === 47 && text.charCodeAt(at + 1) === 42)) {
        // A directive (possibly after a comment): lex it.
        const state = lexer.save();
        const first = lexer.next();
        if (first.bol && first.kind === K.Punct && first.text === '#') {
          this.directive(first, src.restOfLine(), conds, active, path, depth);
          this.write('\n');
          this.prev = undefined;
          continue;
        }
        lexer.restore(state);
      }
      const line = !active() ? scanLine(text, lexer.pos, undefined) : this.recordings.length ? scanLine(text, lexer.pos, this.macroNames) : scanLine(text, lexer.pos, this.macros, this.macroNameFilter);
      if (!active()) {
        lexer.skipTo(line.end);
        continue;
      }
      if (line.plain) {
        if (line.end > lexer.pos) {
          this.map.add(this.out.length, file, lexer.line, lexer.col, true);
          this.write(text.slice(lexer.pos, line.end));
        }
        this.write('\n');
        this.prev = undefined;
        lexer.skipTo(line.end);
        continue;
      }
      this.expandInto(src, undefined, false, true);
    }
    if (conds.length > 0) this.error(conds[conds.length - 1].tok, 'unterminated conditional directive');
  }

  /**
   * Copies whole plain lines up to `end` (after a newline) as they are: what copying each line would do, with one
   * source map entry (a verbatim entry maps the lines after it), at the first line that is not empty.
   */
  private copyPlainLines(text: string, lexer: Lexer, end: number, file: number): void {
    let first = lexer.pos;
    while (first < end && text.charCodeAt(first) === 10) first++;
    if (first < end) this.map.add(this.out.length + (first - lexer.pos), file, lexer.line + (first - lexer.pos), 1, true);
    this.write(text.slice(lexer.pos, end));
    this.prev = undefined;
    lexer.skipTo(end - 1);
  }

  /**
   * `#define NAME replacement` (an object-like macro, the most common directive by far) read without tokens: its
   * replacement list is kept as text, lexed if the macro is used (macroBody). False, having read nothing, for any
   * other line.
   */
  private defineObjectMacro(text: string, at: number, lexer: Lexer): boolean {
    OBJECT_MACRO_DEFINITION.lastIndex = at;
    const m = OBJECT_MACRO_DEFINITION.exec(text);
    if (m === null || m[1] === 'defined') return false;
    const bodyStart = OBJECT_MACRO_DEFINITION.lastIndex;
    const end = scanLine(text, bodyStart, undefined).end;
    this.setMacro(m[1], { name: m[1], params: undefined, variadic: false, body: undefined, bodyText: text.slice(bodyStart, end) });
    lexer.skipTo(end);
    this.write('\n');
    this.prev = undefined;
    return true;
  }

  private directive(hash: Tok, line: Tok[], conds: Cond[], active: () => boolean, path: string, depth: number): void {
    const name = line[0];
    if (name === undefined) return; // the null directive
    const parentActive = conds.length <= 1 || conds[conds.length - 2].active;
    const top = conds[conds.length - 1];
    if (name.kind === K.Ident) {
      switch (name.text) {
        case 'if':
        case 'ifdef':
        case 'ifndef': {
          if (!active()) {
            conds.push({ active: false, taken: true, sawElse: false, tok: hash });
            return;
          }
          let value: boolean;
          if (name.text === 'if') value = this.evaluate(name, line.slice(1)) !== 0n;
          else {
            const id = line[1];
            if (!id || id.kind !== K.Ident) {
              this.error(name, `no macro name given in #${name.text} directive`);
              value = false;
            } else value = (this.macro(id.text) !== undefined) === (name.text === 'ifdef');
          }
          conds.push({ active: value, taken: value, sawElse: false, tok: hash });
          return;
        }
        case 'elif': {
          if (!top) return this.error(name, '#elif without #if');
          if (top.sawElse) this.error(name, '#elif after #else');
          if (top.taken || !parentActive) top.active = false;
          else {
            top.active = this.evaluate(name, line.slice(1)) !== 0n;
            top.taken = top.active;
          }
          return;
        }
        case 'else': {
          if (!top) return this.error(name, '#else without #if');
          if (top.sawElse) this.error(name, '#else after #else');
          top.sawElse = true;
          top.active = parentActive && !top.taken;
          top.taken = true;
          return;
        }
        case 'endif': {
          if (!top) return this.error(name, '#endif without #if');
          conds.pop();
          return;
        }
      }
    }
    if (!active()) return;
    if (name.kind === K.Number) return; // a line marker (`# 12 "file"`)
    if (name.kind !== K.Ident) return this.passThrough(hash, line);
    switch (name.text) {
      case 'define': return this.define(name, line.slice(1));
      case 'undef': {
        const id = line[1];
        if (!id || id.kind !== K.Ident) return this.error(name, 'no macro name given in #undef directive');
        this.setMacro(id.text, undefined);
        return;
      }
      case 'include':
      case 'include_next': return this.include(name, line.slice(1), path, depth);
      case 'error': return this.fatal(name, `#error ${line.slice(1).map((t) => (t.ws ? ' ' : '') + t.text).join('').trim()}`);
      case 'warning': return this.error(name, `#warning ${line.slice(1).map((t) => (t.ws ? ' ' : '') + t.text).join('').trim()}`, 'warning');
      case 'line':
      case 'pragma':
      case 'ident':
        return;
      default:
        return this.passThrough(hash, line);
    }
  }

  /** Assembler mode: an unknown directive is ordinary text (`#address-cells = <1>;`). */
  private passThrough(hash: Tok, line: Tok[]): void {
    const src = TokenSource.of([hash, ...line]);
    this.expandInto(src, undefined, false);
  }

  private define(at: Tok, toks: Tok[]): void {
    const id = toks[0];
    if (!id || id.kind !== K.Ident) return this.error(at, 'macro names must be identifiers');
    if (id.text === 'defined') return this.error(id, '"defined" cannot be used as a macro name');
    let params: string[] | undefined;
    let variadic = false;
    let i = 1;
    if (toks[1] && toks[1].kind === K.Punct && toks[1].text === '(' && !toks[1].ws) {
      params = [];
      i = 2;
      for (;;) {
        const t = toks[i++];
        if (!t) return this.error(id, 'missing ")" in macro parameter list');
        if (t.kind === K.Punct && t.text === ')' && params.length === 0) break;
        if (t.kind === K.Punct && t.text === '...') {
          variadic = true;
          params.push('__VA_ARGS__');
        } else if (t.kind === K.Ident) {
          params.push(t.text);
          if (toks[i]?.kind === K.Punct && toks[i].text === '...') {
            variadic = true;
            i++;
          }
        } else return this.error(t, `"${t.text}" may not appear in macro parameter list`);
        const sep = toks[i++];
        if (sep?.kind === K.Punct && sep.text === ')') break;
        if (!(sep?.kind === K.Punct && sep.text === ',')) return this.error(sep ?? id, 'expected comma in macro parameter list');
      }
    }
    const body = toks.slice(i).map((t, k) => (k === 0 ? { ...t, ws: false } : t));
    this.setMacro(id.text, { name: id.text, params, variadic, body });
  }

  private include(at: Tok, toks: Tok[], path: string, depth: number): void {
    let spec = toks;
    if (spec[0] && spec[0].kind !== K.String && !(spec[0].kind === K.Punct && spec[0].text === '<')) {
      const expanded: Tok[] = [];
      this.expandInto(TokenSource.of(spec), (t) => expanded.push(t), true);
      spec = expanded.filter((t) => t.kind !== K.Padding && t.kind !== K.Placemarker);
    }
    let name: string;
    let quoted: boolean;
    if (spec[0]?.kind === K.String) {
      name = spec[0].text.slice(1, -1);
      quoted = true;
    } else if (spec[0]?.kind === K.Punct && spec[0].text === '<') {
      const close = spec.findIndex((t) => t.kind === K.Punct && t.text === '>');
      if (close < 0) return this.error(at, 'missing terminating > character');
      name = spec.slice(1, close).map((t, k) => (k > 0 && t.ws ? ' ' : '') + t.text).join('');
      quoted = false;
    } else return this.error(at, '#include expects "FILENAME" or <FILENAME>');
    if (depth >= MAX_INCLUDE_DEPTH) this.fatal(at, `#include nested depth ${depth} exceeds maximum of ${MAX_INCLUDE_DEPTH}`);
    for (const r of this.recordings) r.deepestInclude = Math.max(r.deepestInclude, depth - r.depth);
    const dirs = name.startsWith('/') ? [''] : [...(quoted ? [dirname(path)] : []), ...this.options.includeDirs];
    for (const dir of dirs) {
      const full = dir === '' ? name : joinPath(dir, name);
      const included = this.textOf(full);
      if (included !== undefined) {
        if (!this.cache.replaysIncludes) return this.processFile(full, included, depth + 1);
        const start = this.out.length;
        const replayed = this.cache.segment(full, this.includeDirsKey, (s) => this.replayable(s, depth + 1));
        if (replayed) this.replay(replayed, depth + 1);
        const segment = replayed ?? this.record(full, included, depth + 1);
        if (depth === 0) this.segments.push({ start, end: this.out.length, key: segment, text: segment.text, map: segment.map });
        return;
      }
    }
    // Where it looked: a kernel tree's <dt-bindings/...> is found only once its include/ is an include directory.
    const searched = dirs.filter((dir) => dir !== '');
    this.fatal(at, `${name}: No such file or directory${name.startsWith('/') ? '' : searched.length ? ` (searched ${searched.join(', ')})` : ' (no include directories given)'}`);
  }

  // ---- recorded includes --------------------------------------------------------------------------------------

  /** Processes an included file while recording what it read, wrote and produced, for a later replay. */
  private record(path: string, text: string, depth: number): Segment {
    const r: Recording = {
      reads: new Map(), writes: new Map(), probed: new Set([path]), depth, deepestInclude: -1,
      outStart: this.out.length, mapStart: this.map.length, fileStart: this.fileNames.length,
      diagnosticStart: this.diagnostics.length, expandedStart: this.expanded,
    };
    this.recordings.push(r);
    this.processFile(path, text, depth);
    this.recordings.pop();
    const segmentText = this.out.slice(r.outStart);
    const files = this.fileNames.slice(r.fileStart);
    const segment: Segment = {
      path, includeDirs: this.includeDirsKey, reads: r.reads, writes: r.writes, probed: [...r.probed], deepestInclude: r.deepestInclude,
      text: segmentText, files, map: this.map.slice(r.mapStart, r.outStart, r.fileStart, files, segmentText),
      diagnostics: this.diagnostics.slice(r.diagnosticStart), expanded: this.expanded - r.expandedStart,
      prev: this.prev, padPending: this.padPending,
    };
    this.cache.addSegment(segment);
    return segment;
  }

  /** Would the segment come out the same here: the macros it read are as they were, and no limit is crossed? */
  private replayable(s: Segment, depth: number): boolean {
    if (s.deepestInclude >= 0 && depth + s.deepestInclude >= MAX_INCLUDE_DEPTH) return false;
    if (this.expanded + s.expanded > MAX_EXPANSION_TOKENS) return false;
    for (const [name, then] of s.reads) {
      const now = this.macros.get(name);
      if (now !== then && !(now && then && sameMacro(now, then))) return false;
    }
    return true;
  }

  /** Does what processing the file would do: its output, macro changes and diagnostics, as recorded. */
  private replay(s: Segment, depth: number): void {
    for (const r of this.recordings) {
      for (const name of s.reads.keys()) if (!r.reads.has(name) && !r.writes.has(name)) r.reads.set(name, this.macros.get(name));
      for (const p of s.probed) r.probed.add(p);
      if (s.deepestInclude >= 0) r.deepestInclude = Math.max(r.deepestInclude, depth - r.depth + s.deepestInclude);
    }
    for (const [name, m] of s.writes) this.setMacro(name, m);
    this.map.append(s.map, this.out.length, this.fileNames.length);
    this.fileNames.push(...s.files);
    this.write(s.text);
    this.diagnostics.push(...s.diagnostics);
    this.expanded += s.expanded;
    this.prev = s.prev;
    this.padPending = s.padPending;
  }

  // ---- macro expansion ---------------------------------------------------------------------------------------

  /** Hands a token to `sink`, or (undefined) writes it to the output. */
  private deliver(sink: ((t: Tok) => void) | undefined, t: Tok): void {
    if (sink === undefined) this.emit(t, t.hide !== undefined);
    else sink(t);
  }

  /**
   * Expands tokens from `src` up to the end of the line (or of the source) and hands them to `sink`, or (undefined)
   * writes them to the output, without a call per token (calls cost on V8's baseline compiler).
   * `forIf`: `defined` is handled and the line is not the program text.
   */
  private expandInto(src: TokenSource, sink: ((t: Tok) => void) | undefined, forIf: boolean, stopAtNewline = false): void {
    const pending = src.pending;
    const lexer = src.lexer;
    for (;;) {
      // src.next(), inline.
      const t = pending.length > 0 ? pending.pop()! : lexer !== undefined ? lexer.next() : TokenSource.EOF;
      if (t.kind === K.Eof) return;
      if (t.kind === K.Newline) {
        this.deliver(sink, t);
        if (stopAtNewline && pending.length === 0) return;
        continue;
      }
      if (t.kind !== K.Ident || (t.hide !== undefined && t.hide.has(t.text))) {
        if (sink === undefined) this.emit(t, t.hide !== undefined);
        else sink(t);
        continue;
      }
      if (forIf && t.text === 'defined') {
        this.deliver(sink, this.definedOperator(t, src));
        continue;
      }
      if (t.text === '__LINE__' || t.text === '__FILE__') {
        const text = t.text === '__LINE__' ? String(t.line) : JSON.stringify(this.fileNames[t.file] ?? '');
        this.deliver(sink, { ...t, kind: t.text === '__LINE__' ? K.Number : K.String, text, hide: new Set() });
        continue;
      }
      const m = this.macro(t.text);
      if (!m) {
        if (sink === undefined) this.emit(t, t.hide !== undefined);
        else sink(t);
        continue;
      }
      if (m.params === undefined) {
        src.push(this.substitute(m, t, undefined, t.hide));
        continue;
      }
      // A function-like macro needs '(' next (newlines and padding in between are allowed).
      const skipped = src.skipToParen(stopAtNewline);
      if (!skipped) {
        this.deliver(sink, t);
        continue;
      }
      const args = this.collectArgs(t, m, src);
      if (!args) return;
      src.push(this.substitute(m, t, args.args, args.hide));
    }
  }

  private definedOperator(t: Tok, src: TokenSource): Tok {
    let id = src.next();
    let paren = false;
    if (id.kind === K.Punct && id.text === '(') {
      paren = true;
      id = src.next();
    }
    if (id.kind !== K.Ident) {
      this.error(t, 'operator "defined" requires an identifier');
      return { ...t, kind: K.Number, text: '0' };
    }
    if (paren) {
      const close = src.next();
      if (!(close.kind === K.Punct && close.text === ')')) this.error(t, 'missing \')\' after "defined"');
    }
    return { ...t, kind: K.Number, text: this.macro(id.text) !== undefined ? '1' : '0' };
  }

  private collectArgs(name: Tok, m: Macro, src: TokenSource): { args: Tok[][]; hide: ReadonlySet<string> | undefined } | undefined {
    const args: Tok[][] = [[]];
    let depth = 0;
    for (;;) {
      const t = src.next();
      if (t.kind === K.Eof) {
        this.error(name, `unterminated argument list invoking macro "${m.name}"`);
        return undefined;
      }
      if (t.kind === K.Padding) continue;
      if (t.kind === K.Newline) {
        args[args.length - 1].push({ ...t, kind: K.Padding, text: '' });
        continue;
      }
      if (t.kind === K.Punct) {
        if (t.text === '(') depth++;
        else if (t.text === ')') {
          if (depth === 0) {
            const params = m.params!;
            if (args.length === 1 && args[0].length === 0 && params.length === 0) args.pop();
            if (args.length < params.length && !(m.variadic && args.length === params.length - 1)) {
              if (!(params.length === 1 && args.length === 0)) this.error(name, `macro "${m.name}" requires ${params.length} arguments, but only ${args.length} given`);
            }
            if (args.length > params.length) {
              this.error(name, `macro "${m.name}" passed ${args.length} arguments, but takes just ${params.length}`);
              return undefined;
            }
            while (args.length < params.length) args.push([]);
            return { args: args.map((a) => a.filter((x) => x.kind !== K.Padding)), hide: t.hide };
          }
          depth--;
        } else if (t.text === ',' && depth === 0 && !(m.variadic && args.length === m.params!.length)) {
          args.push([]);
          continue;
        }
      }
      const arg = args[args.length - 1];
      arg.push(arg.length === 0 ? { ...t, ws: false } : t);
    }
  }

  /** Fully expands one argument on its own. */
  private expandArg(arg: Tok[]): Tok[] {
    const out: Tok[] = [];
    this.expandInto(TokenSource.of(arg), (t) => out.push(t), false);
    return out;
  }

  private substitute(m: Macro, name: Tok, args: Tok[][] | undefined, rparenHide: ReadonlySet<string> | undefined): Tok[] {
    const hideBase = new Set<string>(name.hide ?? []);
    if (args && rparenHide) for (const h of [...hideBase]) if (!rparenHide.has(h)) hideBase.delete(h);
    hideBase.add(m.name);
    const hide: ReadonlySet<string> = hideBase;
    const body = macroBody(m);
    if (args === undefined && !hasPaste(body)) {
      // An object-like macro without ##: its tokens at the invocation, between paddings (what the loop below makes of
      // them, without its tables and closures: most expansions in a devicetree are such constants).
      const out: Tok[] = [{ ...name, kind: K.Padding, text: '' }];
      for (let i = 0; i < body.length; i++) out.push({ kind: body[i].kind, text: body[i].text, ws: i === 0 ? name.ws : body[i].ws, file: name.file, line: name.line, col: name.col, hide });
      out.push({ ...name, kind: K.Padding, text: '' });
      return this.counted(name, out);
    }
    const unions = new Map<ReadonlySet<string>, ReadonlySet<string>>();
    const hideOf = (h: ReadonlySet<string> | undefined): ReadonlySet<string> => {
      if (!h) return hide;
      let u = unions.get(h);
      if (!u) unions.set(h, (u = union(h, hide)));
      return u;
    };
    const at = (t: Tok, ws: boolean): Tok => ({ kind: t.kind, text: t.text, ws, file: name.file, line: name.line, col: name.col, hide: hideOf(t.hide) });
    const params = m.params;
    const paramIndex = (t: Tok | undefined) => (t && t.kind === K.Ident && params ? params.indexOf(t.text) : -1);
    const isPaste = (t: Tok | undefined) => t !== undefined && t.kind === K.Punct && t.text === '##';
    const out: Tok[] = [{ ...name, kind: K.Padding, text: '' }];
    const expandedArgs = new Map<number, Tok[]>();
    for (let i = 0; i < body.length; i++) {
      const t = body[i];
      const ws = i === 0 ? name.ws : t.ws;
      if (args && t.kind === K.Punct && t.text === '#' && paramIndex(body[i + 1]) >= 0) {
        const arg = args[paramIndex(body[i + 1])];
        out.push(at({ ...t, kind: K.String, text: stringify(arg) }, ws));
        i++;
        continue;
      }
      if (isPaste(t) && out.length > 1) {
        // Paste the previous token with the next one (or the first token of the next argument).
        let right: Tok[];
        const next = body[i + 1];
        i++;
        if (next === undefined) break;
        const pi = paramIndex(next);
        if (args && pi >= 0) right = args[pi].length ? args[pi].map((x) => at(x, x.ws)) : [at({ ...next, kind: K.Placemarker, text: '' }, false)];
        else right = [at(next, next.ws)];
        // GNU comma elision: `, ## __VA_ARGS__` with no variadic arguments drops the comma.
        if (args && pi >= 0 && m.variadic && params![pi] === '__VA_ARGS__' && args[pi].length === 0) {
          const last = out[out.length - 1];
          if (last.kind === K.Punct && last.text === ',') out.pop();
          continue;
        }
        let li = out.length - 1;
        while (li > 0 && out[li].kind === K.Padding) li--;
        const left = out[li];
        out.length = li;
        out.push(...this.paste(left, right[0]));
        for (let k = 1; k < right.length; k++) out.push(right[k]);
        continue;
      }
      const pi = paramIndex(t);
      if (args && pi >= 0) {
        if (isPaste(body[i + 1])) {
          const arg = args[pi];
          if (arg.length === 0) out.push(at({ ...t, kind: K.Placemarker, text: '' }, ws));
          else arg.forEach((x, k) => out.push(at(x, k === 0 ? ws : x.ws)));
          continue;
        }
        let expanded = expandedArgs.get(pi);
        if (!expanded) {
          expanded = this.expandArg(args[pi]);
          expandedArgs.set(pi, expanded);
        }
        out.push({ ...name, kind: K.Padding, text: '' });
        let first = true;
        for (const x of expanded) {
          if (x.kind === K.Padding) {
            out.push(x);
            continue;
          }
          out.push(at(x, first ? ws : x.ws));
          first = false;
        }
        out.push({ ...name, kind: K.Padding, text: '' });
        continue;
      }
      out.push(at(t, ws));
    }
    out.push({ ...name, kind: K.Padding, text: '' });
    return this.counted(name, out).filter((t) => t.kind !== K.Placemarker);
  }

  /** An expansion's tokens, counted against the limit on all expansions. */
  private counted(name: Tok, out: Tok[]): Tok[] {
    this.expanded += out.length;
    if (this.expanded > MAX_EXPANSION_TOKENS) this.fatal(name, `macro expansion produced more than ${MAX_EXPANSION_TOKENS} tokens (recursive macros?)`);
    return out;
  }

  /** `a ## b`. Assembler mode keeps an invalid paste as two tokens (a boundary between them, as GCC does). */
  private paste(left: Tok, right: Tok): Tok[] {
    if (left.kind === K.Placemarker) return [right];
    if (right.kind === K.Placemarker) return [left];
    const text = left.text + right.text;
    const relexed = lex(text, -1).filter((t) => t.kind !== K.Newline);
    if (relexed.length !== 1) return [left, { ...right, kind: K.Padding, text: '' }, right];
    return [{ ...left, kind: relexed[0].kind, text }];
  }

  // ---- #if expressions ---------------------------------------------------------------------------------------

  private evaluate(at: Tok, toks: Tok[]): bigint {
    const expanded: Tok[] = [];
    this.expandInto(TokenSource.of(toks), (t) => expanded.push(t), true);
    const items = expanded.filter((t) => t.kind !== K.Padding && t.kind !== K.Placemarker && t.kind !== K.Newline);
    if (items.length === 0) {
      this.error(at, '#if with no expression');
      return 0n;
    }
    try {
      const e = new IfExpression(items);
      const v = e.parse();
      return v;
    } catch (err) {
      this.error(at, `invalid #if expression: ${(err as Error).message}`);
      return 0n;
    }
  }
}

function hasPaste(body: readonly Tok[]): boolean {
  for (let i = 0; i < body.length; i++) if (body[i].kind === K.Punct && body[i].text === '##') return true;
  return false;
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (a === b) return a;
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}

function stringify(arg: readonly Tok[]): string {
  let s = '';
  arg.forEach((t, k) => {
    if (t.kind === K.Padding || t.kind === K.Placemarker) return;
    if (k > 0 && t.ws && s !== '') s += ' ';
    s += t.kind === K.String || t.kind === K.Char ? t.text.replace(/[\\"]/g, (c) => '\\' + c) : t.text;
  });
  return `"${s}"`;
}

/** A token stream: pushed-back expansion results first, then a file's lexer (or a fixed list). */
class TokenSource {
  /** Pushed-back tokens, the next last (read directly by expandInto's loop: a call per token costs). */
  readonly pending: Tok[] = [];

  constructor(readonly lexer: Lexer | undefined) {}

  static of(toks: readonly Tok[]): TokenSource {
    const src = new TokenSource(undefined);
    src.push(toks);
    return src;
  }

  static readonly EOF: Tok = { kind: K.Eof, text: '', ws: false, file: -1, line: 0, col: 0 };

  peek(): Tok {
    if (this.pending.length) return this.pending[this.pending.length - 1];
    if (!this.lexer) return TokenSource.EOF;
    const state = this.lexer.save();
    const t = this.lexer.next();
    this.lexer.restore(state);
    return t;
  }

  next(): Tok {
    if (this.pending.length) return this.pending.pop()!;
    return this.lexer ? this.lexer.next() : TokenSource.EOF;
  }

  push(toks: readonly Tok[]): void {
    for (let i = toks.length - 1; i >= 0; i--) this.pending.push(toks[i]);
  }

  /** The rest of a directive line, consuming its newline (directives never come from expansions). */
  restOfLine(): Tok[] {
    const line: Tok[] = [];
    for (;;) {
      const t = this.next();
      if (t.kind === K.Eof || t.kind === K.Newline) return line;
      line.push(t);
    }
  }

  /**
   * After a function-like macro's name: consumes up to and including '(' when one follows (padding and, in the
   * program text, newlines may come between); otherwise consumes nothing and returns false.
   */
  skipToParen(acrossLines: boolean): boolean {
    const held: Tok[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === K.Padding || (acrossLines && t.kind === K.Newline && !this.nextLineIsDirective())) {
        held.push(this.next());
        continue;
      }
      if (t.kind === K.Punct && t.text === '(') {
        this.next();
        return true;
      }
      this.push(held);
      return false;
    }
  }

  /** With a newline next: does the following line start a directive? */
  private nextLineIsDirective(): boolean {
    if (this.pending.length || !this.lexer) return false;
    const state = this.lexer.save();
    this.lexer.next();
    const t = this.lexer.next();
    this.lexer.restore(state);
    return t.bol === true && t.kind === K.Punct && t.text === '#';
  }
}

/** Evaluates a #if expression (intmax_t arithmetic, C precedence). */
class IfExpression {
  private i = 0;

  constructor(private readonly toks: Tok[]) {}

  parse(): bigint {
    const v = this.ternary();
    if (this.i < this.toks.length) throw new Error(`unexpected '${this.toks[this.i].text}'`);
    return v;
  }

  private peekText(): string | undefined {
    const t = this.toks[this.i];
    return t && t.kind === K.Punct ? t.text : undefined;
  }

  private ternary(): bigint {
    const c = this.binary(0);
    if (this.peekText() !== '?') return c;
    this.i++;
    const a = this.ternary();
    if (this.peekText() !== ':') throw new Error("expected ':'");
    this.i++;
    const b = this.ternary();
    return c !== 0n ? a : b;
  }

  private static readonly LEVELS = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

  private binary(level: number): bigint {
    if (level >= IfExpression.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const op = this.peekText();
      if (op === undefined || !IfExpression.LEVELS[level].includes(op)) return left;
      this.i++;
      const right = this.binary(level + 1);
      left = BigInt.asIntN(64, IfExpression.apply(op, left, right));
    }
  }

  private static apply(op: string, a: bigint, b: bigint): bigint {
    switch (op) {
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
      case '<<': return a << (b & 63n);
      case '>>': return a >> (b & 63n);
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      default:
        if (b === 0n) throw new Error('division by zero');
        return op === '/' ? a / b : a % b;
    }
  }

  private unary(): bigint {
    const op = this.peekText();
    if (op === '-' || op === '+' || op === '~' || op === '!') {
      this.i++;
      const v = this.unary();
      return op === '-' ? BigInt.asIntN(64, -v) : op === '+' ? v : op === '~' ? BigInt.asIntN(64, ~v) : v === 0n ? 1n : 0n;
    }
    if (op === '(') {
      this.i++;
      const v = this.ternary();
      if (this.peekText() !== ')') throw new Error("expected ')'");
      this.i++;
      return v;
    }
    const t = this.toks[this.i++];
    if (t === undefined) throw new Error('unexpected end of expression');
    if (t.kind === K.Ident) return 0n;
    if (t.kind === K.Number) {
      const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)[uUlL]*$/.exec(t.text);
      if (!m) throw new Error(`invalid integer '${t.text}'`);
      const digits = m[1];
      return BigInt.asIntN(64, digits.length > 1 && digits[0] === '0' && /^[0-7]+$/.test(digits) ? BigInt('0o' + digits.slice(1)) : BigInt(digits));
    }
    if (t.kind === K.Char) {
      const body = t.text.slice(1, -1);
      return BigInt(body.startsWith('\\') ? ({ n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39 } as Record<string, number>)[body[1]] ?? body.charCodeAt(1) : body.charCodeAt(0));
    }
    throw new Error(`unexpected '${t.text}'`);
  }
}

/** Preprocesses `text` (the contents of `path`). Errors are diagnostics; output stops at a fatal one. */
export function preprocess(path: string, text: string, options: PreprocessOptions): PreprocessResult {
  const pp = new Preprocessor(options);
  try {
    pp.run(path, text);
  } catch (e) {
    if (!(e instanceof PreprocessError)) throw e;
  }
  return pp.result();
}

