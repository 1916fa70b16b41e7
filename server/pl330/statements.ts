// The assembler's statements as columns of typed arrays. A 1 MB source has fifty thousand statements; as objects
// they would live through the whole assembly, be copied by every young-generation collection and dominate its time.
// `Statement` is a short-lived view of one row: it is created where needed and dies young.
import { INSTRUCTIONS, InstructionSpec } from '../../emulator/pl330/isa';
import type { Token, TokenStream } from './lexer';

/** A statement's mnemonic or directive, classified once per distinct spelling. */
export interface HeadInfo {
  /** Index in StatementTable.headList. */
  readonly id: number;
  /** As written. */
  readonly text: string;
  /** Directives ('.equ', '=') in lower case, mnemonics in upper case: what the assembler compares. */
  readonly key: string;
  /** The instruction specs of a known mnemonic. */
  readonly specs?: readonly InstructionSpec[];
}

/** What pass 2 emitted for a statement. */
export const enum EmittedKind {
  None,
  Instruction,
  LoopStart,
  Data,
}

export class StatementTable {
  count = 0;
  readonly line: Int32Array;
  /** First label token (labels stand at labelStart, labelStart + 2, ...: each is followed by ':'). */
  readonly labelStart: Int32Array;
  readonly labelCount: Int32Array;
  /** Token index of the mnemonic or directive; -1 for a line with only labels. */
  readonly headIndex: Int32Array;
  readonly operandFirst: Int32Array;
  readonly operandCount: Int32Array;
  /** Token index range of the whole statement (without labels). */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Layout (pass 1): program index (-1: none), address and size in bytes. */
  readonly program: Int32Array;
  readonly address: Float64Array;
  readonly size: Int32Array;
  /** Index into headList; -1 when the statement has no head. */
  readonly headIds: Int32Array;
  readonly headList: HeadInfo[] = [];
  readonly emittedKind: Uint8Array;
  /** For emitted instructions: the index of their spec in INSTRUCTIONS. */
  readonly specIndex: Int16Array;
  /** Operand bounds of every statement, flat: [start0, end0, start1, end1, ...]; boundCount pairs in use. */
  readonly bounds: Int32Array;
  boundCount = 0;

  constructor(readonly ts: TokenStream) {
    // At most one statement per line.
    const capacity = ts.lineCount;
    this.line = new Int32Array(capacity);
    this.labelStart = new Int32Array(capacity);
    this.labelCount = new Int32Array(capacity);
    this.headIndex = new Int32Array(capacity);
    this.operandFirst = new Int32Array(capacity);
    this.operandCount = new Int32Array(capacity);
    this.start = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.program = new Int32Array(capacity).fill(-1);
    this.address = new Float64Array(capacity);
    this.size = new Int32Array(capacity);
    this.headIds = new Int32Array(capacity);
    this.emittedKind = new Uint8Array(capacity);
    this.specIndex = new Int16Array(capacity);
    // An operand has at least one token or one comma, so tokens + lines bounds every statement's operands.
    this.bounds = new Int32Array(2 * (ts.count + capacity + 2));
  }

  add(line: number, labelStart: number, labelCount: number, head: number, info: HeadInfo | undefined, operandFirst: number, operandCount: number, start: number, end: number): void {
    const i = this.count++;
    this.headIds[i] = info === undefined ? -1 : info.id;
    this.line[i] = line;
    this.labelStart[i] = labelStart;
    this.labelCount[i] = labelCount;
    this.headIndex[i] = head;
    this.operandFirst[i] = operandFirst;
    this.operandCount[i] = operandCount;
    this.start[i] = start;
    this.end[i] = end;
  }

  pushBound(start: number, end: number): void {
    this.bounds[2 * this.boundCount] = start;
    this.bounds[2 * this.boundCount + 1] = end;
    this.boundCount++;
  }

  at(i: number): Statement {
    return new Statement(this, i);
  }
}

export class Statement {
  constructor(private readonly t: StatementTable, readonly index: number) {}

  get line(): number { return this.t.line[this.index]; }
  get labelCount(): number { return this.t.labelCount[this.index]; }
  get headIndex(): number { return this.t.headIndex[this.index]; }
  get operandCount(): number { return this.t.operandCount[this.index]; }
  get start(): number { return this.t.start[this.index]; }
  get end(): number { return this.t.end[this.index]; }

  get program(): number { return this.t.program[this.index]; }
  set program(v: number) { this.t.program[this.index] = v; }
  get address(): number { return this.t.address[this.index]; }
  set address(v: number) { this.t.address[this.index] = v; }
  get size(): number { return this.t.size[this.index]; }
  set size(v: number) { this.t.size[this.index] = v; }
  get info(): HeadInfo | undefined {
    const id = this.t.headIds[this.index];
    return id < 0 ? undefined : this.t.headList[id];
  }
  get emittedKind(): EmittedKind { return this.t.emittedKind[this.index]; }

  /** The spec of an emitted instruction. */
  get spec(): InstructionSpec | undefined {
    return this.emittedKind === EmittedKind.Instruction ? INSTRUCTIONS[this.t.specIndex[this.index]] : undefined;
  }

  emit(kind: EmittedKind, spec?: InstructionSpec): void {
    this.t.emittedKind[this.index] = kind;
    if (spec) this.t.specIndex[this.index] = INSTRUCTIONS.indexOf(spec);
  }

  get headText(): string | undefined {
    const head = this.headIndex;
    return head < 0 ? undefined : this.t.ts.text(head);
  }

  get head(): Token | undefined {
    const head = this.headIndex;
    return head < 0 ? undefined : this.t.ts.token(head);
  }

  get labels(): Token[] {
    const out: Token[] = [];
    const first = this.t.labelStart[this.index];
    for (let k = 0; k < this.labelCount; k++) out.push(this.t.ts.token(first + 2 * k));
    return out;
  }

  /** Operand token ranges [start, end). */
  get operands(): [number, number][] {
    const out: [number, number][] = [];
    const first = this.t.operandFirst[this.index];
    const bounds = this.t.bounds;
    for (let k = 0; k < this.operandCount; k++) out.push([bounds[2 * (first + k)], bounds[2 * (first + k) + 1]]);
    return out;
  }
}
