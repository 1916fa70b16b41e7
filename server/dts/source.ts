// Source texts, positions and diagnostics shared by the preprocessor, the parser and the checks.
// Texts are latin1 strings (one char per byte) so byte offsets, columns and DTB bytes agree with dtc.

/** A position in a user's file (1-based line and column, in bytes). */
export interface Position {
  file: string;
  line: number;
  col: number;
}

/** Maps offsets of a (preprocessed) text back to the files it came from. */
export interface SourceMap {
  positionAt(offset: number): Position;
}

/**
 * A part of a preprocessor's output that one #include of the input produced, on its own: a parser may reuse what
 * it made of a segment with the same key (the same expansion, replayed) instead of reading the text again.
 */
export interface TextSegment {
  readonly start: number;
  readonly end: number;
  readonly key: object;
  /** The segment's text, with its map (offset 0 = start). */
  readonly text: string;
  readonly map: SourceMap;
}

/** A text the parser reads: a file as written, or a preprocessor's output with its map and include segments. */
export class Source {
  private lineStarts: number[] | undefined;
  /** cpp line markers (`# 12 "file.dtsi"`) met while scanning: from `offset` on, lines count from `line` in `file`. */
  private readonly lineMarkers: { offset: number; file: string; line: number }[] = [];

  constructor(
    readonly name: string,
    readonly text: string,
    /** Directory `/include/` and `/incbin/` search first (dtc: the directory of the file being read). */
    readonly dir: string,
    readonly map?: SourceMap,
    /** The input's own #includes in the text, in order. */
    readonly segments?: readonly TextSegment[],
  ) {}

  addLineMarker(offset: number, file: string, line: number): void {
    this.lineMarkers.push({ offset, file, line });
  }

  positionAt(offset: number): Position {
    if (this.map) return this.map.positionAt(offset);
    const starts = (this.lineStarts ??= computeLineStarts(this.text));
    const line = lineIndex(starts, offset);
    const raw = { file: this.name, line: line + 1, col: offset - starts[line] + 1 };
    for (let i = this.lineMarkers.length - 1; i >= 0; i--) {
      const m = this.lineMarkers[i];
      if (m.offset <= offset) return { file: m.file, line: m.line + line - lineIndex(starts, m.offset), col: raw.col };
    }
    return raw;
  }
}

function lineIndex(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** A span of a Source. */
export interface Loc {
  source: Source;
  start: number;
  end: number;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  message: string;
  /** A dtc check name, or a parse/preprocess error code. */
  code: string;
  loc?: Loc;
  /** Set instead of loc when the position is already resolved (preprocessor). */
  position?: Position;
}

export function diagnosticPosition(d: Diagnostic): Position | undefined {
  return d.position ?? (d.loc ? d.loc.source.positionAt(d.loc.start) : undefined);
}

/** `file:line:col: error|warning: message [code]`; `fallbackFile` names diagnostics without a position. */
export function formatDiagnostic(d: Diagnostic, fallbackFile: string): string {
  const p = diagnosticPosition(d);
  const where = p ? `${p.file}:${p.line}:${p.col}` : fallbackFile;
  return `${where}: ${d.severity}: ${d.message} [${d.code}]`;
}

/** Thrown for input that stops processing (dtc's syntax and fatal errors); carries its diagnostic. */
export class DtsFatal extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/** How the engine reads files: the CLI passes the file system, the language server its open documents. */
export interface FileHost {
  /** The file's bytes, or undefined when it does not exist. */
  readFile(path: string): Uint8Array | undefined;
}

/**
 * Node's latin1 decoding, without a copy: one char per byte by definition (TextDecoder's 'latin1' is WHATWG's
 * windows-1252, which maps 0x80-0x9f elsewhere where that is implemented), and half the cost of TextDecoder.
 */
export function bytesToText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
