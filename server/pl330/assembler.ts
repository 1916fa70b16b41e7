// The PL330 assembler: source text in, programs, listing data, symbols and diagnostics out. Pure; never throws.
// Syntax follows the ARM DMA-330 TRM (DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI; DMALP 16; DMALPEND; DMAGO C2, lbl, ns).
import { Pl330Config, DEFAULT_CONFIG, validateConfig } from '../../emulator/pl330/config';
import { CCR, CCR_DEFAULT, CCR_FIELDS, CcrField, MAX_SIZE_CODE, ccrField } from '../../emulator/pl330/ccr';
import {
  FOREVER_LPEND_DEFAULT, InstructionSpec, OperandKind, SPECS_BY_MNEMONIC, ThreadKind, writeField,
} from '../../emulator/pl330/isa';
import { ExpressionError, checkExpressionSyntax, evaluateExpression } from './expression';
import { CheckLevels, Pl330CheckCode, pl330Check, SourceDiagnostic } from './diagnostics';
import { formatTemplate } from '../checks';
import { editDistance } from '../spelling';
import { Token, TokenKind, TokenStream, lex } from './lexer';
import { EmittedKind, HeadInfo, Statement, StatementTable } from './statements';

export interface AssembleOptions {
  /** Overrides of the file's configuration directives (the command line wins over the file). */
  readonly config?: Partial<Pl330Config>;
  /** Base address of a program that has no .channel/.manager directive. */
  readonly base?: number;
  /** Thread kind of a program that has no .channel/.manager directive. */
  readonly thread?: ThreadKind;
  /** Checks the user turned off or raised to errors (`dmalab asm -W no-CHECK`, `-E CHECK`). */
  readonly levels?: CheckLevels;
}

export interface Program {
  readonly kind: ThreadKind;
  readonly base: number;
  readonly bytes: Uint8Array;
  /** 0-based line of the directive (or first statement) that opened it. */
  readonly line: number;
}

export interface AssembledInstruction {
  readonly address: number;
  readonly length: number;
  readonly program: number;
  readonly mnemonic: string;
  /** undefined for .byte data and DMALPFE. */
  readonly spec?: InstructionSpec;
  readonly line: number;
  readonly col: number;
  readonly endCol: number;
}

export interface SymbolInfo {
  readonly name: string;
  readonly kind: 'label' | 'constant';
  value?: number;
  readonly line: number;
  readonly col: number;
  readonly references: { line: number; col: number }[];
}

export interface LoopInfo {
  readonly kind: 'counted' | 'forever';
  readonly counter?: 0 | 1;
  readonly iterations?: number;
  /** The count as written when it is outside 1..256 (the loop is then taken as running once). */
  readonly requestedIterations?: number;
  readonly startLine: number;
  endLine?: number;
  /** Address of the first instruction of the body. */
  readonly bodyStart: number;
  endAddress?: number;
}

/** A memory region the file declares with `.buffer NAME, ADDRESS, SIZE`: where its transfers may go. */
export interface BufferInfo {
  readonly name: string;
  readonly address: number;
  readonly size: number;
  readonly line: number;
}

export interface AssembleResult {
  readonly programs: Program[];
  readonly buffers: BufferInfo[];
  readonly instructions: AssembledInstruction[];
  readonly symbols: Map<string, SymbolInfo>;
  readonly loops: LoopInfo[];
  readonly diagnostics: SourceDiagnostic[];
  readonly config: Pl330Config;
  readonly errorCount: number;
}

const DIRECTIVES = ['.channel', '.manager', '.equ', '.set', '.buffer', '.byte', '.channels', '.peripherals', '.events', '.data_width', '.revision', '.mfifo_lines'] as const;
export const PL330_DIRECTIVES: readonly string[] = DIRECTIVES;

const CONFIG_DIRECTIVES = new Map<string, keyof Pl330Config>([
  ['.channels', 'channels'],
  ['.peripherals', 'peripherals'],
  ['.events', 'events'],
  ['.data_width', 'dataWidth'],
  ['.revision', 'revision'],
  ['.mfifo_lines', 'mfifoLines'],
]);

interface ConstantDef {
  /** Token range of the value. */
  readonly range?: [number, number];
  state: 'pending' | 'evaluating' | 'done' | 'failed';
  value?: number;
}

class Assembly {
  private readonly ts: TokenStream;
  private readonly diagnostics: SourceDiagnostic[] = [];
  private readonly statements: StatementTable;
  private readonly heads = new Map<string, HeadInfo>();
  private readonly symbols = new Map<string, SymbolInfo>();
  private readonly labelValues = new Map<string, number>();
  private readonly constants = new Map<string, ConstantDef>();
  private readonly programsMeta: { kind: ThreadKind; base: number; line: number; size: number }[] = [];
  private readonly loops: LoopInfo[] = [];
  private readonly bufferDefs: { statement: Statement; name: string }[] = [];
  private readonly buffers: BufferInfo[] = [];
  private readonly programsUsed = new Set<number>();
  private lastEmitted: Statement | undefined;
  private config: Pl330Config;
  private programBytes: Uint8Array[] = [];
  private readonly scratch = new Uint8Array(6);

  constructor(text: string, private readonly options: AssembleOptions) {
    this.ts = lex(text);
    this.statements = new StatementTable(this.ts);
    for (const p of this.ts.problems) this.report('syntax', { detail: p.message }, p.line, p.col, p.col + p.length);
    this.config = { ...DEFAULT_CONFIG };
  }

  run(): AssembleResult {
    this.parse();
    this.layout();
    const overrides = this.options.config ?? {};
    this.config = { ...this.config, ...overrides };
    for (const problem of validateConfig(this.config)) this.report('bad-directive', { detail: `configuration: ${problem}` }, 0, 0, 0);
    this.programBytes = this.programsMeta.map((p) => new Uint8Array(p.size));
    this.encodeAll();
    this.evaluateBuffers();
    this.checkOverlaps();
    if (this.programsMeta.every((p) => p.size === 0) && this.diagnostics.length === 0) this.report('no-program', {}, 0, 0, 0);
    return this.result();
  }

  result(): AssembleResult {
    const programs = this.programsMeta.map((p, i) => ({ kind: p.kind, base: p.base, line: p.line, bytes: this.programBytes[i] ?? new Uint8Array(0) }));
    this.diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
    let instructions: AssembledInstruction[] | undefined;
    const listing = (): AssembledInstruction[] => (instructions ??= this.listInstructions());
    return {
      programs,
      buffers: this.buffers,
      get instructions() {
        return listing();
      },
      symbols: this.symbols,
      loops: this.loops,
      diagnostics: this.diagnostics,
      config: this.config,
      errorCount: this.diagnostics.filter((d) => d.severity === 'error').length,
    };
  }

  reportInternal(error: unknown): AssembleResult {
    this.report('internal', { detail: error instanceof Error ? error.message : String(error) }, 0, 0, 0);
    return this.result();
  }

  // ---- diagnostics -------------------------------------------------------------------------------------------

  private report(code: Pl330CheckCode, args: Record<string, string | number>, line: number, col: number, endCol: number, endLine = line): void {
    const spec = pl330Check(code);
    const severity = this.options.levels?.get(code) ?? spec.level;
    if (severity === 'off') return;
    this.diagnostics.push({ severity, code, message: formatTemplate(spec.message, args), line, col, endLine, endCol: Math.max(endCol, col + 1) });
  }

  private reportTokens(code: Pl330CheckCode, args: Record<string, string | number>, start: number, end: number): void {
    const ts = this.ts;
    const last = Math.max(start, end - 1);
    const line = ts.lines[start];
    const endCol = ts.lines[last] === line ? ts.cols[last] + ts.width(last) : ts.cols[start] + ts.width(start);
    this.report(code, args, line, ts.cols[start], endCol, line);
  }

  /** Reports at one token. */
  private reportAt(code: Pl330CheckCode, args: Record<string, string | number>, tok: number): void {
    this.reportTokens(code, args, tok, tok + 1);
  }

  /** Why the operands may not count up, for the two usual slips: a missing ',' (`DMAMOV CCR SB4`: fewer operands
   * than required, one of them several words) and a suffix written apart (`DMALD B` for DMALDB). */
  private operandCountHint(s: Statement, mnemonic: string, required: number): string {
    const operands = s.operands;
    if (operands.length < required) {
      const joined = operands.find(([start, end]) => end - start > 1);
      return joined ? ` (a ',' missing after '${this.ts.text(joined[0])}'?)` : '';
    }
    const suffixed = operands.length > 0 && operands[0][1] - operands[0][0] === 1 ? mnemonic + this.ts.text(operands[0][0]).toUpperCase() : '';
    return HEAD_WORDS.includes(suffixed) ? ` (did you mean '${suffixed}'?)` : '';
  }

  private textOf(start: number, end: number): string {
    const words: string[] = [];
    for (let i = start; i < end; i++) words.push(this.ts.text(i));
    return words.join(' ');
  }

  // ---- pass 0: statements --------------------------------------------------------------------------------------

  private parse(): void {
    const kinds = this.ts.kinds;
    let i = 0;
    while (kinds[i] !== TokenKind.End) {
      let lineEnd = i;
      while (kinds[lineEnd] !== TokenKind.Newline && kinds[lineEnd] !== TokenKind.End) lineEnd++;
      if (lineEnd > i) this.parseLine(i, lineEnd);
      i = kinds[lineEnd] === TokenKind.Newline ? lineEnd + 1 : lineEnd;
    }
  }

  private parseLine(start: number, end: number): void {
    const ts = this.ts;
    const isName = (k: number): boolean => ts.kinds[k] === TokenKind.Identifier && ts.source.charCodeAt(ts.starts[k]) !== 46; // not '.'
    const labelStart = start;
    let i = start;
    while (i + 1 < end && isName(i) && ts.isPunct(i + 1, ':')) i += 2;
    const labelCount = (i - start) >> 1;
    const line = ts.lines[start];
    const table = this.statements;
    // NAME .equ EXPR  or  NAME = EXPR
    if (i + 1 < end && isName(i) &&
        ((ts.kinds[i + 1] === TokenKind.Identifier && /^\.(equ|set)$/i.test(ts.text(i + 1))) || ts.isPunct(i + 1, '='))) {
      const first = table.boundCount;
      table.pushBound(i, i + 1);
      table.pushBound(i + 2, end);
      table.add(line, labelStart, labelCount, i + 1, this.classify(i + 1), first, 2, i, end);
      return;
    }
    if (i >= end) {
      table.add(line, labelStart, labelCount, -1, undefined, 0, 0, i, end);
      return;
    }
    if (ts.kinds[i] !== TokenKind.Identifier) {
      this.reportTokens('syntax', { detail: `expected an instruction, a directive or a label, found '${ts.text(i)}'` }, i, i + 1);
      table.add(line, labelStart, labelCount, -1, undefined, 0, 0, i, end);
      return;
    }
    const first = table.boundCount;
    let opStart = i + 1;
    let depth = 0;
    for (let j = i + 1; j < end; j++) {
      if (ts.kinds[j] !== TokenKind.Punct) continue;
      if (ts.isPunct(j, '(')) depth++;
      else if (ts.isPunct(j, ')')) depth--;
      else if (depth === 0 && ts.isPunct(j, ',')) {
        table.pushBound(opStart, j);
        opStart = j + 1;
      }
    }
    if (opStart < end || table.boundCount > first) table.pushBound(opStart, end);
    table.add(line, labelStart, labelCount, i, this.classify(i), first, table.boundCount - first, i, end);
  }

  /** The head token's classification, computed once per distinct spelling. */
  private classify(tok: number): HeadInfo {
    const text = this.ts.text(tok);
    let info = this.heads.get(text);
    if (info === undefined) {
      const directive = text.startsWith('.') || text === '=';
      const key = directive ? text.toLowerCase() : text.toUpperCase();
      const list = this.statements.headList;
      info = { id: list.length, text, key, specs: directive ? undefined : SPECS_BY_MNEMONIC.get(key) };
      list.push(info);
      this.heads.set(text, info);
    }
    return info;
  }

  // ---- symbols --------------------------------------------------------------------------------------------------

  private define(tok: Token, kind: 'label' | 'constant'): boolean {
    const existing = this.symbols.get(tok.text);
    if (existing) {
      this.report('duplicate-symbol', { name: tok.text, line: existing.line + 1 }, tok.line, tok.col, tok.col + tok.text.length);
      return false;
    }
    this.symbols.set(tok.text, { name: tok.text, kind, line: tok.line, col: tok.col, references: [] });
    return true;
  }

  private resolve = (name: string, tok: number): number => {
    const sym = this.symbols.get(name);
    if (sym) sym.references.push({ line: this.ts.lines[tok], col: this.ts.cols[tok] });
    const label = this.labelValues.get(name);
    if (label !== undefined) return label;
    const c = this.constants.get(name);
    if (!c) throw new ExpressionError(formatTemplate(pl330Check('undefined-symbol').message, { name }), tok, 'undefined-symbol');
    if (c.state === 'done') return c.value!;
    if (c.state === 'failed') throw new ExpressionError('', tok); // already reported at its definition
    if (c.state === 'evaluating') {
      c.state = 'failed';
      throw new ExpressionError(formatTemplate(pl330Check('circular-symbol').message, { name }), tok, 'circular-symbol');
    }
    c.state = 'evaluating';
    try {
      c.value = evaluateExpression(this.ts, c.range![0], c.range![1], this.resolve);
      c.state = 'done';
      if (sym) sym.value = c.value;
      return c.value;
    } catch (e) {
      c.state = 'failed';
      throw e;
    }
  };

  /** Evaluates tokens[start..end) as an expression; reports and returns undefined on failure. */
  private evalRange(start: number, end: number): number | undefined {
    if (start >= end) {
      this.reportAt('syntax', { detail: 'expected an expression' }, Math.max(0, start - 1));
      return undefined;
    }
    // Most operands are one number or one symbol: no expression tree for them.
    if (end - start === 1) {
      const kind = this.ts.kinds[start];
      if (kind === TokenKind.Number) return this.ts.values[start];
    }
    return this.evaluate(() => evaluateExpression(this.ts, start, end, this.resolve));
  }

  /** Runs an evaluation; reports its expression error and returns undefined on failure. */
  private evaluate(run: () => number): number | undefined {
    try {
      return run();
    } catch (e) {
      if (e instanceof ExpressionError) {
        if (e.message) {
          const ts = this.ts;
          this.diagnostics.push({ severity: 'error', code: e.code, message: e.message, line: ts.lines[e.tok], col: ts.cols[e.tok], endLine: ts.lines[e.tok], endCol: ts.cols[e.tok] + Math.max(1, ts.width(e.tok)) });
        }
        return undefined;
      }
      throw e;
    }
  }

  // ---- pass 1: layout ---------------------------------------------------------------------------------------------

  private openProgram(kind: ThreadKind, base: number, line: number): number {
    this.programsMeta.push({ kind, base: base >>> 0, line, size: 0 });
    return this.programsMeta.length - 1;
  }

  private layout(): void {
    let current = -1;
    let address = 0;
    const ensureProgram = (line: number): number => {
      if (current < 0) {
        current = this.openProgram(this.options.thread ?? 'channel', this.options.base ?? 0, line);
        address = this.programsMeta[current].base;
      }
      return current;
    };
    // Constants first, so that .channel bases and configuration directives may use them in any order.
    const count = this.statements.count;
    for (let k = 0; k < count; k++) {
      const s = this.statements.at(k);
      if (isConstantDefinition(s.info?.key)) this.defineConstant(s);
      else if (s.info?.key === '.buffer') this.defineBuffer(s);
    }
    for (let k = 0; k < count; k++) {
      const s = this.statements.at(k);
      const info = s.info;
      const headText = info?.text;
      const name = info?.key;
      if (name === '.channel' || name === '.manager') {
        if (s.labelCount === 0 && s.operandCount > 1) this.reportTokens('bad-directive', { detail: `${name} takes at most one operand, the base address` }, s.start, s.end);
        let base = current >= 0 ? address : this.options.base ?? 0;
        if (s.operands.length > 0) base = this.evalRange(s.operands[0][0], s.operands[0][1]) ?? base;
        current = this.openProgram(name === '.manager' ? 'manager' : 'channel', base, s.line);
        address = this.programsMeta[current].base;
      }
      if (s.labelCount > 0) {
        s.program = ensureProgram(s.line);
        for (const label of s.labels) {
          if (this.define(label, 'label')) {
            this.labelValues.set(label.text, address >>> 0);
            this.symbols.get(label.text)!.value = address >>> 0;
          }
        }
      }
      if (headText === undefined || name === '.channel' || name === '.manager' || name === '.buffer' || isConstantDefinition(name)) continue;
      const configKey = CONFIG_DIRECTIVES.get(name!);
      if (configKey) {
        this.configDirective(s, configKey);
        continue;
      }
      if (name === '.byte') {
        s.program = ensureProgram(s.line);
        s.address = address;
        s.size = s.operandCount;
        address += s.size;
        this.programsMeta[s.program].size = address - this.programsMeta[s.program].base;
        if (s.size === 0) this.reportTokens('bad-directive', { detail: '.byte needs at least one value' }, s.start, s.end);
        continue;
      }
      if (name!.startsWith('.')) {
        this.reportTokens('unknown-mnemonic', { name: headText, suggestion: suggestion(name!) }, s.start, s.start + 1);
        continue;
      }
      const mnemonic = name!;
      s.program = ensureProgram(s.line);
      s.address = address;
      if (mnemonic === 'DMALPFE') {
        s.size = 0;
        continue;
      }
      const specs = info!.specs;
      if (!specs) {
        this.reportTokens('unknown-mnemonic', { name: headText, suggestion: suggestion(mnemonic) }, s.start, s.start + 1);
        continue;
      }
      s.size = specs[0].length;
      address += s.size;
      this.programsMeta[s.program].size = address - this.programsMeta[s.program].base;
    }
  }

  private defineConstant(s: Statement): void {
    // Both `.equ NAME, EXPR` and `NAME .equ EXPR` / `NAME = EXPR` arrive as operands [NAME], [EXPR].
    const ts = this.ts;
    const [nameRange, exprRange] = s.operands;
    const nameTok = s.operands.length === 2 && nameRange[1] - nameRange[0] === 1 && ts.kinds[nameRange[0]] === TokenKind.Identifier ? ts.token(nameRange[0]) : undefined;
    if (!nameTok) {
      this.reportTokens('bad-directive', { detail: '.equ takes a name and a value: .equ NAME, EXPR' }, s.start, s.end);
      return;
    }
    if (!this.define(nameTok, 'constant')) return;
    if (exprRange[0] >= exprRange[1]) {
      this.reportTokens('bad-directive', { detail: `constant '${nameTok.text}' has no value` }, s.start, s.end);
      this.constants.set(nameTok.text, { state: 'failed' });
      return;
    }
    try {
      checkExpressionSyntax(ts, exprRange[0], exprRange[1]);
      this.constants.set(nameTok.text, { range: exprRange, state: 'pending' });
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      this.reportAt('syntax', { detail: e.message }, e.tok);
      this.constants.set(nameTok.text, { state: 'failed' });
    }
  }

  /** `.buffer NAME, ADDRESS, SIZE`: NAME is a constant (the address); the region is checked after layout. */
  private defineBuffer(s: Statement): void {
    const ts = this.ts;
    const ops = s.operands;
    const nameRange = ops[0];
    const named = ops.length === 3 && nameRange[1] - nameRange[0] === 1 && ts.kinds[nameRange[0]] === TokenKind.Identifier;
    if (!named || ops[1][0] >= ops[1][1] || ops[2][0] >= ops[2][1]) {
      this.reportTokens('bad-directive', { detail: '.buffer takes a name, an address and a size: .buffer NAME, ADDRESS, SIZE' }, s.start, s.end);
      return;
    }
    const nameTok = ts.token(nameRange[0]);
    if (!this.define(nameTok, 'constant')) return;
    try {
      checkExpressionSyntax(ts, ops[1][0], ops[1][1]);
      this.constants.set(nameTok.text, { range: ops[1], state: 'pending' });
      this.bufferDefs.push({ statement: s, name: nameTok.text });
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      this.reportAt('syntax', { detail: e.message }, e.tok);
      this.constants.set(nameTok.text, { state: 'failed' });
    }
  }

  private evaluateBuffers(): void {
    for (const { statement: s, name } of this.bufferDefs) {
      // The buffer's own name is not a reference to it.
      const symbol = this.symbols.get(name)!;
      const references = symbol.references.length;
      const address = this.evaluate(() => this.resolve(name, s.operands[0][0]));
      symbol.references.length = references;
      const size = this.evalRange(...s.operands[2]);
      if (address === undefined || size === undefined) continue;
      if (!Number.isInteger(size) || size < 1 || address + size > 2 ** 32) {
        this.reportTokens('bad-directive', { detail: `buffer '${name}' of ${size} bytes at ${hex(address)} does not fit the 32-bit address space` }, ...s.operands[2]);
        continue;
      }
      this.buffers.push({ name, address: address >>> 0, size, line: s.line });
    }
  }

  private configDirective(s: Statement, key: keyof Pl330Config): void {
    if (s.operands.length !== 1) {
      this.reportTokens('bad-directive', { detail: `${s.head!.text} takes one value` }, s.start, s.end);
      return;
    }
    const value = this.evalRange(s.operands[0][0], s.operands[0][1]);
    if (value === undefined) return;
    const limits: Partial<Record<keyof Pl330Config, [number, number]>> = { channels: [1, 8], peripherals: [0, 32], events: [1, 32], revision: [0, 3], mfifoLines: [1, 1024] };
    const range = limits[key];
    if (key === 'dataWidth' ? ![32, 64, 128].includes(value) : range && (value < range[0] || value > range[1])) {
      const detail = key === 'dataWidth' ? `data width must be 32, 64 or 128 bits, not ${value}` : `${s.head!.text} must be ${range![0]}..${range![1]}, not ${value}`;
      this.reportTokens('bad-directive', { detail }, s.operands[0][0], s.operands[0][1]);
      return;
    }
    this.config = { ...this.config, [key]: value };
  }

  // ---- pass 2: encoding -----------------------------------------------------------------------------------------------

  private encodeAll(): void {
    /** refused: a DMALP already reported (no counter left); its DMALPEND closes it without further errors. */
    type OpenLoop = { kind: 'counted' | 'forever'; counter: 0 | 1; bodyStart: number; info: LoopInfo; stmt: Statement; refused?: boolean };
    let program = -1;
    let loops: OpenLoop[] = [];
    let ended = false;
    let endedReported = false;
    let lastSpec: InstructionSpec | undefined;
    let sawInstruction = false;
    const closeProgram = (): void => {
      if (program < 0) return;
      for (const open of loops) if (!open.refused) this.reportTokens('unclosed-loop', { kind: open.kind === 'forever' ? 'DMALPFE' : 'DMALP' }, open.stmt.start, open.stmt.start + 1);
      loops = [];
      const meta = this.programsMeta[program];
      const last = this.lastEmitted;
      if (last?.head && sawInstruction && !ended && !(lastSpec && (lastSpec.forever || lastSpec.operation === 'KILL'))) {
        this.report('missing-end', { kind: meta.kind, base: hex(meta.base) }, last.line, last.head.col, this.endColOf(last));
      }
    };
    for (let k = 0; k < this.statements.count; k++) {
      const s = this.statements.at(k);
      if (s.program >= 0 && s.program !== program) {
        closeProgram();
        program = s.program;
        ended = false;
        endedReported = false;
        lastSpec = undefined;
        sawInstruction = false;
      }
      if (s.labelCount > 0 && ended) {
        // A label after DMAEND starts another program in the same section (a DMAGO target).
        ended = false;
        endedReported = false;
      }
      const head = s.info;
      if (!head || s.program < 0) continue;
      const mnemonic = head.key;
      if (mnemonic === '.byte') {
        this.encodeBytes(s);
        sawInstruction = true;
        continue;
      }
      if (mnemonic !== 'DMALPFE' && !head.specs) continue;
      if (ended && !endedReported) {
        this.reportTokens('code-after-end', {}, s.start, s.end);
        endedReported = true;
      }
      sawInstruction = true;
      const threadKind = this.programsMeta[s.program].kind;
      if (mnemonic === 'DMALPFE') {
        if (s.operandCount > 0) this.reportTokens('operand-count', { mnemonic, expected: 'no operands', count: s.operandCount, hint: this.operandCountHint(s, mnemonic, 0) }, s.start, s.end);
        if (threadKind === 'manager') this.reportTokens('wrong-thread', { mnemonic, thread: 'manager', allowed: 'channel' }, s.start, s.start + 1);
        if (loops.some((l) => l.kind === 'forever')) this.reportTokens('forever-nested', {}, s.start, s.start + 1);
        const info: LoopInfo = { kind: 'forever', startLine: s.line, bodyStart: s.address };
        this.loops.push(info);
        loops.push({ kind: 'forever', counter: 1, bodyStart: s.address, info, stmt: s });
        this.emit(s, EmittedKind.LoopStart);
        continue;
      }
      let spec = head.specs![0];
      if (!spec.threads.includes(threadKind)) {
        this.reportTokens('wrong-thread', { mnemonic, thread: threadKind, allowed: spec.threads.join(' and ') }, s.start, s.start + 1);
      }
      if (spec.minRevision !== undefined && this.config.revision < spec.minRevision) {
        const rev = revisionName(this.config.revision);
        this.reportTokens('revision', { mnemonic, major: rev[0], minor: rev[1] }, s.start, s.start + 1);
      }
      // Encode into a scratch buffer, then copy: a view per instruction would cost more than the encoding.
      const bytes = this.scratch.fill(0);
      if (spec.operation === 'LP') {
        this.encodeLoopStart(s, spec, bytes, loops, (counter, count, refused, requested) => {
          const info: LoopInfo = { kind: 'counted', counter, iterations: count, requestedIterations: requested, startLine: s.line, bodyStart: s.address + 2 };
          if (!refused) this.loops.push(info);
          loops.push({ kind: 'counted', counter, bodyStart: s.address + 2, info, stmt: s, refused });
        });
      } else if (spec.operation === 'LPEND') {
        spec = this.encodeLoopEnd(s, bytes, loops);
      } else {
        this.encodeGeneric(s, spec, bytes);
      }
      const out = this.programBytes[s.program];
      const at = s.address - this.programsMeta[s.program].base;
      for (let k = 0; k < s.size; k++) out[at + k] = bytes[k];
      if (spec.operation === 'END') ended = true;
      lastSpec = spec;
      this.emit(s, EmittedKind.Instruction, spec);
    }
    closeProgram();
    this.programsMeta.forEach((meta, i) => {
      if (!this.programsUsed.has(i)) this.report('empty-program', { kind: meta.kind, base: hex(meta.base) }, meta.line, 0, 1);
    });
  }

  private encodeBytes(s: Statement): void {
    const meta = this.programsMeta[s.program];
    const out = this.programBytes[s.program];
    s.operands.forEach(([a, b], k) => {
      const v = this.evalRange(a, b);
      if (v === undefined) return;
      if (v < -128 || v > 255) this.reportTokens('out-of-range', { what: 'byte', value: v, min: -128, max: 255 }, a, b);
      out[s.address - meta.base + k] = v & 0xff;
    });
    this.emit(s, EmittedKind.Data);
  }

  private emit(s: Statement, kind: EmittedKind, spec?: InstructionSpec): void {
    s.emit(kind, spec);
    this.lastEmitted = s;
    this.programsUsed.add(s.program);
  }

  /** Instructions in source order, built from the statements only when a consumer asks (listing, editor). */
  private listInstructions(): AssembledInstruction[] {
    const out: AssembledInstruction[] = [];
    for (let k = 0; k < this.statements.count; k++) {
      const s = this.statements.at(k);
      const kind = s.emittedKind;
      if (kind === EmittedKind.None || s.headIndex < 0) continue;
      const spec = s.spec;
      const mnemonic = kind === EmittedKind.LoopStart ? 'DMALPFE' : kind === EmittedKind.Data ? '.byte' : spec!.mnemonic;
      const length = kind === EmittedKind.LoopStart ? 0 : s.size;
      out.push({ address: s.address, length, program: s.program, mnemonic, spec, line: s.line, col: this.ts.cols[s.headIndex], endCol: this.endColOf(s) });
    }
    return out;
  }

  private endColOf(s: Statement): number {
    return this.ts.cols[s.end - 1] + this.ts.width(s.end - 1);
  }

  private keyword(range: [number, number]): string | undefined {
    return range[1] - range[0] === 1 && this.ts.kinds[range[0]] === TokenKind.Identifier ? this.ts.text(range[0]).toUpperCase() : undefined;
  }

  private encodeLoopStart(s: Statement, spec: InstructionSpec, bytes: Uint8Array, open: readonly { kind: string; counter: 0 | 1; refused?: boolean }[], push: (counter: 0 | 1, count: number, refused: boolean, requested?: number) => void): void {
    let counter: 0 | 1 | undefined;
    let countRange: [number, number];
    if (s.operands.length === 2) {
      const kw = this.keyword(s.operands[0]);
      if (kw !== 'LC0' && kw !== 'LC1') {
        this.reportTokens('unknown-operand', { text: this.textOf(...s.operands[0]), mnemonic: 'DMALP', expected: 'LC0 or LC1' }, ...s.operands[0]);
        return;
      }
      counter = kw === 'LC0' ? 0 : 1;
      countRange = s.operands[1];
    } else if (s.operands.length === 1) {
      countRange = s.operands[0];
      // `DMALP LC0 4` would otherwise read as the count expression `LC0 4`, an undefined symbol.
      const first = this.keyword([countRange[0], countRange[0] + 1]);
      if (countRange[1] - countRange[0] > 1 && (first === 'LC0' || first === 'LC1')) {
        this.reportTokens('syntax', { detail: `expected ',' after ${first} (DMALP ${first}, COUNT)` }, countRange[0], countRange[0] + 1);
        counter = first === 'LC0' ? 0 : 1;
        countRange = [countRange[0] + 1, countRange[1]];
      }
    } else {
      this.reportTokens('operand-count', { mnemonic: 'DMALP', expected: 'an iteration count, optionally after LC0 or LC1', count: s.operands.length, hint: this.operandCountHint(s, 'DMALP', 1) }, s.start, s.end);
      return;
    }
    // Counters held by the enclosing counted loops: bit 0 for LC0, bit 1 for LC1.
    let used = 0;
    let counted = 0;
    for (const l of open) {
      if (l.kind !== 'counted' || l.refused) continue;
      used |= 1 << l.counter;
      counted++;
    }
    let tracked = true;
    if (counter === undefined) {
      if (used === 3) {
        this.reportTokens('loops-too-deep', {}, s.start, s.start + 1);
        tracked = false;
      }
      counter = used & 1 ? 1 : 0;
    } else if (used & (1 << counter)) {
      this.reportTokens(counted >= 2 ? 'loops-too-deep' : 'counter-in-use', { counter: `LC${counter}` }, s.start, s.end);
      tracked = false;
    }
    const count = this.evalRange(...countRange);
    bytes[0] = spec.opcode | (counter << 1);
    const valid = count !== undefined && Number.isInteger(count) && count >= 1 && count <= 256;
    if (count !== undefined && !valid) this.reportTokens('loop-count', { value: count }, ...countRange);
    if (valid) bytes[1] = count - 1;
    push(counter, valid ? count : 1, !tracked, valid || count === undefined ? undefined : count);
  }

  private encodeLoopEnd(s: Statement, bytes: Uint8Array, loops: { kind: 'counted' | 'forever'; counter: 0 | 1; bodyStart: number; info: LoopInfo; stmt: Statement; refused?: boolean }[]): InstructionSpec {
    const mnemonic = s.info!.key;
    let counter: 0 | 1 | undefined;
    let forever = false;
    let targetRange: [number, number] | undefined;
    for (const range of s.operands) {
      const kw = this.keyword(range);
      if (kw === 'LC0' || kw === 'LC1') counter = kw === 'LC0' ? 0 : 1;
      else if (kw === 'FOREVER') forever = true;
      else if (!targetRange) targetRange = range;
      else this.reportTokens('unknown-operand', { text: this.textOf(...range), mnemonic, expected: 'LC0, LC1, forever or a target' }, ...range);
    }
    const popped = loops.pop();
    // The end of a refused DMALP closes it quietly: one error for one mistake, not one per loop end after it.
    const open = popped?.refused ? undefined : popped;
    if (open) {
      open.info.endLine = s.line;
      open.info.endAddress = s.address;
      if (open.kind === 'forever') forever = true;
      else if (forever) this.reportTokens('loop-counter-mismatch', { given: 'forever', expected: `LC${open.counter}` }, s.start, s.end);
      if (open.kind === 'counted' && counter !== undefined && counter !== open.counter) {
        this.reportTokens('loop-counter-mismatch', { given: `LC${counter}`, expected: `LC${open.counter}` }, s.start, s.end);
      }
    } else if (!targetRange && !popped) {
      this.reportTokens('unmatched-loop-end', {}, s.start, s.end);
    }
    if (counter === undefined) counter = forever ? FOREVER_LPEND_COUNTER : open?.counter ?? 0;
    const candidates = s.info!.specs!;
    const spec = candidates.find((c) => !!c.forever === forever) ?? candidates[0];
    if (spec.unverified) this.reportTokens('unverified-encoding', { detail: `${spec.unverified}; the hardware may treat it differently` }, s.start, s.start + 1);
    if (spec.forever && spec.opcodeMask === 0xff && counter === 0) {
      this.reportTokens('unknown-operand', { text: 'LC0', mnemonic, expected: 'LC1 (a conditional DMALPFE end exists only with lc = 1)' }, s.start, s.end);
    }
    let target = open?.bodyStart;
    if (targetRange) {
      const explicit = this.evalRange(...targetRange);
      if (explicit !== undefined && open && explicit !== open.bodyStart) {
        this.reportTokens('target-mismatch', { target: hex(explicit), expected: hex(open.bodyStart) }, ...targetRange);
      }
      target = explicit;
    }
    bytes[0] = spec.opcodeMask === 0xff ? spec.opcode : spec.opcode | (counter << 2);
    if (target !== undefined) {
      // Program counters wrap at 32 bits, so distances are taken modulo 2^32.
      const distance = (s.address - target) >>> 0;
      const forward = (target - s.address) >>> 0;
      if (distance > 255 && forward > 0 && forward < 0x80000000) this.reportTokens('jump-target', { target: hex(target), address: hex(s.address) }, s.start, s.end);
      else if (distance > 255) this.reportTokens('jump-too-far', { distance, excess: distance - 255 }, s.start, s.end);
      else bytes[1] = distance;
    }
    return spec;
  }

  private encodeGeneric(s: Statement, spec: InstructionSpec, bytes: Uint8Array): void {
    bytes[0] = spec.opcode;
    const required = spec.operands.filter((o) => !o.optional).length;
    const mnemonic = spec.mnemonic;
    if (s.operands.length < required || s.operands.length > spec.operands.length) {
      const expected = spec.operands.length === 0 ? 'no operands' : spec.syntax.replace(/^\S+\s*/, '');
      this.reportTokens('operand-count', { mnemonic, expected, count: s.operands.length, hint: this.operandCountHint(s, mnemonic, required) }, s.start, s.end);
      return;
    }
    let movRegister = -1;
    s.operands.forEach((range, k) => {
      const operand = spec.operands[k];
      const value = this.operandValue(operand.kind, range, mnemonic, movRegister);
      if (value === undefined) return;
      if (operand.kind === 'movReg') movRegister = value;
      writeField(bytes, 0, operand.field, value);
    });
  }

  /** The encoded field value of one operand, or undefined after reporting why it is invalid. */
  private operandValue(kind: OperandKind, range: [number, number], mnemonic: string, movRegister: number): number | undefined {
    const kw = this.keyword(range);
    const bad = (expected: string): undefined => {
      this.reportTokens('unknown-operand', { text: this.textOf(...range) || '(nothing)', mnemonic, expected }, range[0], Math.max(range[1], range[0] + 1));
      return undefined;
    };
    const numbered = (prefix: string, what: string, count: number, code: Pl330CheckCode): number | undefined => {
      const prefixed = kw !== undefined && kw.length > prefix.length && kw.startsWith(prefix) && /^\d+$/.test(kw.slice(prefix.length));
      const value = prefixed ? Number(kw.slice(prefix.length)) : this.evalRange(...range);
      if (value === undefined) return undefined;
      if (!Number.isInteger(value) || value < 0 || value > 31) {
        this.reportTokens('out-of-range', { what, value: numberText(value), min: 0, max: what === 'channel' ? 7 : 31 }, ...range);
        return undefined;
      }
      if (value >= count) {
        this.reportTokens(code, { value, count, max: count - 1 }, ...range);
        return undefined;
      }
      return value;
    };
    switch (kind) {
      case 'addrReg':
        return kw === 'SAR' ? 0 : kw === 'DAR' ? 1 : bad('SAR or DAR');
      case 'movReg':
        return kw === 'SAR' ? 0 : kw === 'CCR' ? 1 : kw === 'DAR' ? 2 : bad('SAR, CCR or DAR');
      case 'channel':
        return numbered('C', 'channel', this.config.channels, 'channel-range');
      case 'periph':
        return numbered('P', 'peripheral', this.config.peripherals, 'peripheral-range');
      case 'event':
        return numbered('E', 'event', this.config.events, 'event-range');
      case 'nsFlag':
        return kw === 'NS' ? 1 : bad('ns');
      case 'invalidateFlag':
        return kw === 'INVALID' ? 1 : bad('invalid');
      case 'wfpKind':
        return kw === 'SINGLE' ? 0 : kw === 'BURST' ? 2 : kw === 'PERIPH' ? 1 : bad('single, burst or periph');
      case 'imm16': {
        const v = this.evalRange(...range);
        if (v === undefined) return undefined;
        if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
          this.reportTokens('out-of-range', { what: 'immediate', value: v, min: 0, max: 65535 }, ...range);
          return undefined;
        }
        return v;
      }
      case 'negImm16': {
        const v = this.evalRange(...range);
        if (v === undefined) return undefined;
        if (!Number.isInteger(v) || v < -65536 || v > 0xffff) {
          this.reportTokens('out-of-range', { what: 'immediate', value: v, min: -65536, max: -1 }, ...range);
          return undefined;
        }
        return v < 0 ? v + 0x10000 : v;
      }
      case 'imm32': {
        if (movRegister === 1 && this.isCcrKeywords(range)) return this.ccrValue(range);
        const v = this.evalRange(...range);
        if (v === undefined) return undefined;
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
          this.reportTokens('out-of-range', { what: 'immediate', value: numberText(v), min: '-0x80000000', max: '0xffffffff' }, ...range);
          return undefined;
        }
        if (movRegister === 1) this.checkCcr(v >>> 0, range);
        return v >>> 0;
      }
      default:
        return bad('an operand');
    }
  }

  /** Symbolic CCR operands are bare words (SB4 SS32 ...); anything with numbers or operators is an expression. */
  private isCcrKeywords(range: [number, number]): boolean {
    if (range[1] <= range[0]) return false;
    for (let i = range[0]; i < range[1]; i++) if (this.ts.kinds[i] !== TokenKind.Identifier) return false;
    if (range[1] - range[0] > 1) return true;
    const word = this.ts.text(range[0]);
    return parseCcrKeyword(word) !== undefined && !this.symbols.has(word);
  }

  private ccrValue(range: [number, number]): number | undefined {
    const given = new Map<string, number>();
    let ok = true;
    for (let i = range[0]; i < range[1]; i++) {
      const text = this.ts.text(i);
      const parsed = this.ts.kinds[i] === TokenKind.Identifier ? parseCcrKeyword(text) : undefined;
      if (!parsed) {
        this.reportAt('ccr-field', { text }, i);
        ok = false;
        continue;
      }
      if (given.has(parsed.field.name)) {
        this.reportAt('ccr-duplicate', { field: parsed.field.keyword }, i);
        ok = false;
        continue;
      }
      given.set(parsed.field.name, parsed.value);
    }
    if (!ok) return undefined;
    let ccr = CCR_DEFAULT;
    for (const field of CCR_FIELDS) {
      const v = given.get(field.name);
      if (v === undefined) continue;
      const mask = ((1 << field.bits) - 1) << field.shift;
      ccr = (ccr & ~mask) | (v << field.shift);
    }
    ccr >>>= 0;
    this.checkCcr(ccr, range);
    return ccr;
  }

  private checkCcr(ccr: number, range: [number, number]): void {
    const busBytes = this.config.dataWidth / 8;
    const ss = ccrField(ccr, CCR.SS);
    const ds = ccrField(ccr, CCR.DS);
    const sides: [string, number][] = [['SS', ss], ['DS', ds]];
    for (const [field, code] of sides) {
      if (code > MAX_SIZE_CODE) this.reportTokens('reserved-size', { field, value: code }, ...range);
      else if (1 << code > busBytes) this.reportTokens('burst-too-wide', { field, bits: 8 << code, bytes: 1 << code, width: this.config.dataWidth }, ...range);
    }
    const es = ccrField(ccr, CCR.ES);
    if (es > MAX_SIZE_CODE) this.reportTokens('reserved-size', { field: 'ES', value: es }, ...range);
    else if (es > 0) {
      for (const [side, code] of [['source', ss], ['destination', ds]] as const) {
        if (code <= MAX_SIZE_CODE && es > code) this.reportTokens('swap-wider-than-beat', { swap: 8 << es, side, beat: 8 << code }, ...range);
      }
    }
  }

  private checkOverlaps(): void {
    const metas = this.programsMeta;
    const order: number[] = [];
    for (let i = 0; i < metas.length; i++) if (metas[i].size > 0) order.push(i);
    order.sort((a, b) => metas[a].base - metas[b].base);
    for (let k = 1; k < order.length; k++) {
      const prev = metas[order[k - 1]];
      const cur = metas[order[k]];
      if (prev.base + prev.size > cur.base) this.report('overlap', { kind: cur.kind, base: hex(cur.base), other: hex(prev.base) }, cur.line, 0, 1);
    }
  }

}

/** SB16, SS64, SAI, DAF, SP2, DC3, ES32 → the field and its encoded value. */
export function parseCcrKeyword(word: string): { field: CcrField; value: number } | undefined {
  const upper = word.toUpperCase();
  for (const field of CCR_FIELDS) {
    if (!upper.startsWith(field.keyword)) continue;
    const rest = upper.slice(field.keyword.length);
    switch (field.form) {
      case 'incFlag':
        if (rest === 'I' || rest === 'F') return { field, value: rest === 'I' ? 1 : 0 };
        break;
      case 'length': {
        const n = Number(rest);
        if (/^\d+$/.test(rest) && n >= 1 && n <= 16) return { field, value: n - 1 };
        break;
      }
      case 'sizeBits': {
        const n = Number(rest);
        const code = [8, 16, 32, 64, 128].indexOf(n);
        if (/^\d+$/.test(rest) && code >= 0) return { field, value: code };
        break;
      }
      case 'raw': {
        const n = Number(rest);
        if (/^\d+$/.test(rest) && n >= 0 && n < 1 << field.bits) return { field, value: n };
        break;
      }
    }
  }
  return undefined;
}


function isConstantDefinition(head: string | undefined): boolean {
  return head === '.equ' || head === '.set' || head === '=';
}

/** The lc bit (byte0 bit 2) of the forever-loop end the assembler emits by default. */
const FOREVER_LPEND_COUNTER: 0 | 1 = (FOREVER_LPEND_DEFAULT & 0x04) !== 0 ? 1 : 0;

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** A value in a message: decimal while small, else hex (an address, a register word) with its sign. */
function numberText(v: number): string {
  if (!Number.isInteger(v) || Math.abs(v) <= 0xffff) return String(v);
  return `${v < 0 ? '-' : ''}0x${Math.abs(v).toString(16)}`;
}

/** Every word that may head a statement: the mnemonics (and DMALPFE) and the directives. */
const HEAD_WORDS: readonly string[] = [...SPECS_BY_MNEMONIC.keys(), 'DMALPFE', ...DIRECTIVES];

/** `; did you mean 'DMALDPS'?` for a near miss (one or two edits from exactly one known word), else nothing. */
function suggestion(word: string): string {
  const upper = word.toUpperCase();
  // A suffix left off (DMASTP for DMASTPS / DMASTPB) names the forms, however many other words are near.
  const completions = HEAD_WORDS.filter((w) => w.length === upper.length + 1 && w.toUpperCase().startsWith(upper));
  if (completions.length > 0 && completions.length <= 3) return `; did you mean ${completions.map((w) => `'${w}'`).join(' or ')}?`;
  for (const limit of [1, 2]) {
    let near = HEAD_WORDS.filter((w) => editDistance(upper, w.toUpperCase(), limit) <= limit);
    // Letters swapped or mistyped (the same length) are likelier than one left out or added.
    const sameLength = near.filter((w) => w.length === word.length);
    if (sameLength.length === 1) near = sameLength;
    if (near.length === 1) return `; did you mean '${near[0]}'?`;
    // Several words one edit away are all worth naming; two edits away, only a single one is a real hint.
    if (near.length > 1) return limit === 1 && near.length <= 3 ? `; did you mean one of ${near.map((w) => `'${w}'`).join(', ')}?` : '';
  }
  return '';
}

function revisionName(rev: number): [number, number] {
  return rev === 0 ? [0, 0] : [1, rev - 1];
}

export function assemble(text: string, options: AssembleOptions = {}): AssembleResult {
  const assembly = new Assembly(text, options);
  try {
    return assembly.run();
  } catch (error) {
    return assembly.reportInternal(error);
  }
}
