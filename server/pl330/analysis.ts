// One assembled document as the editor features read it: the assembler's result plus the tokens of each line and
// each instruction's encoded bytes, so that a position maps to a token, a statement and an address in O(1).
import { AssembleOptions, AssembleResult, AssembledInstruction, assemble } from './assembler';
import type { SourceDiagnostic } from './diagnostics';
import { Token, TokenKind, tokenize } from './lexer';
import { EntryBounds, programBounds, withProgramDiagnostics } from './program-checks';

export interface Pl330Analysis {
  readonly text: string;
  readonly result: AssembleResult;
  /** Every token but newlines and the end marker, in source order. */
  readonly tokens: readonly Token[];
  /** tokens[lineTokenStart[line] .. lineTokenStart[line + 1]) start on that line. */
  readonly lineTokenStart: readonly number[];
  readonly lineCount: number;
  /** Instructions (and .byte data) by 0-based source line. */
  readonly instructionsByLine: ReadonlyMap<number, readonly AssembledInstruction[]>;
  /** Static address bounds of each channel program entry (none while the source has errors). */
  readonly bounds: readonly EntryBounds[];
  /** The assembler's diagnostics and the program checks'. */
  readonly diagnostics: readonly SourceDiagnostic[];
}

/** The token and line indexes of an analysis. */
type LineIndex = Pick<Pl330Analysis, 'tokens' | 'lineTokenStart' | 'lineCount' | 'instructionsByLine'>;

export function analyzePl330(text: string, options: AssembleOptions = {}): Pl330Analysis {
  const result = assemble(text, options);
  // The token and line indexes serve requests only, so an edit's diagnostics do not pay for them.
  let index: LineIndex | undefined;
  const built = (): LineIndex => (index ??= indexLines(text, result));
  let bounds: EntryBounds[] | undefined;
  let diagnostics: SourceDiagnostic[] | undefined;
  const boundsOf = (): EntryBounds[] => (bounds ??= result.errorCount > 0 ? [] : programBounds(result));
  return {
    text,
    result,
    get tokens() { return built().tokens; },
    get lineTokenStart() { return built().lineTokenStart; },
    get lineCount() { return built().lineCount; },
    get instructionsByLine() { return built().instructionsByLine; },
    get bounds() { return boundsOf(); },
    get diagnostics() { return (diagnostics ??= withProgramDiagnostics(result, boundsOf())); },
  };
}

function indexLines(text: string, result: AssembleResult): LineIndex {
  const tokens = tokenize(text).filter((t) => t.kind !== TokenKind.Newline && t.kind !== TokenKind.End);
  let lineCount = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineCount++;
  const lineTokenStart = new Array<number>(lineCount + 1);
  let k = 0;
  for (let line = 0; line <= lineCount; line++) {
    while (k < tokens.length && tokens[k].line < line) k++;
    lineTokenStart[line] = k;
  }
  const instructionsByLine = new Map<number, AssembledInstruction[]>();
  for (const ins of result.instructions) {
    const list = instructionsByLine.get(ins.line);
    if (list) list.push(ins);
    else instructionsByLine.set(ins.line, [ins]);
  }
  return { tokens, lineTokenStart, lineCount, instructionsByLine };
}

export function lineTokens(a: Pl330Analysis, line: number): readonly Token[] {
  if (line < 0 || line >= a.lineCount) return [];
  return a.tokens.slice(a.lineTokenStart[line], a.lineTokenStart[line + 1]);
}

/** The token under (line, col), or the one ending exactly at col (the cursor just after a word). */
export function tokenAt(a: Pl330Analysis, line: number, col: number): Token | undefined {
  const onLine = lineTokens(a, line);
  return onLine.find((t) => col >= t.col && col < t.col + t.text.length) ??
    onLine.find((t) => t.kind === TokenKind.Identifier && col === t.col + t.text.length);
}

/** The bytes an instruction assembled to. */
export function instructionBytes(a: Pl330Analysis, ins: AssembledInstruction): Uint8Array {
  const program = a.result.programs[ins.program];
  if (!program) return new Uint8Array(0);
  return program.bytes.subarray(ins.address - program.base, ins.address - program.base + ins.length);
}

/** A line's statement: its labels, its head word (mnemonic or directive) and its comma-separated operands. */
export interface LineStatement {
  readonly labels: readonly Token[];
  readonly head?: Token;
  readonly operands: readonly (readonly Token[])[];
  /** The comma tokens between operands. */
  readonly commas: readonly Token[];
}

export function parseLineStatement(tokens: readonly Token[]): LineStatement {
  const labels: Token[] = [];
  let i = 0;
  while (i + 1 < tokens.length && tokens[i].kind === TokenKind.Identifier && !tokens[i].text.startsWith('.') && tokens[i + 1].text === ':') {
    labels.push(tokens[i]);
    i += 2;
  }
  // NAME .equ EXPR and NAME = EXPR put the directive second.
  if (i + 1 < tokens.length && tokens[i].kind === TokenKind.Identifier && (/^\.(equ|set)$/i.test(tokens[i + 1].text) || tokens[i + 1].text === '=')) {
    return { labels, head: tokens[i + 1], operands: [[tokens[i]], tokens.slice(i + 2)], commas: [] };
  }
  const head = tokens[i]?.kind === TokenKind.Identifier ? tokens[i] : undefined;
  if (!head) return { labels, operands: [], commas: [] };
  const operands: Token[][] = [];
  const commas: Token[] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const t of tokens.slice(i + 1)) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    if (t.kind === TokenKind.Punct && t.text === ',' && depth === 0) {
      operands.push(current);
      commas.push(t);
      current = [];
    } else current.push(t);
  }
  if (current.length > 0 || commas.length > 0) operands.push(current);
  return { labels, head, operands, commas };
}

export function hexByte(b: number): string {
  return b.toString(16).padStart(2, '0');
}

