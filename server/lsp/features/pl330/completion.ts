// Completion for PL330 assembly: mnemonics and directives at the start of a statement; then, by operand position,
// registers, channels, peripherals, events, loop counters, flags, CCR fields not yet given, labels and constants.
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from 'vscode-languageserver-types';
import { CCR_FIELDS, CcrField, ccrKeyword } from '../../../../emulator/pl330/ccr';
import { DMALPFE_DOC, OperandKind, SPECS_BY_MNEMONIC } from '../../../../emulator/pl330/isa';
import { parseCcrKeyword } from '../../../pl330/assembler';
import { Pl330Analysis, lineTokens, parseLineStatement } from '../../../pl330/analysis';
import { hexAddress } from '../../../../emulator/pl330/disasm';
import { DIRECTIVE_DOCS, OPERAND_KEYWORD_DOCS } from '../../../pl330/directives';
import { activeOperand, specFor, writtenOperands } from './operands';

export function pl330Completion(a: Pl330Analysis, line: number, col: number): CompletionItem[] {
  // Only what is left of the cursor decides the context; a word the cursor is inside of is being replaced.
  const before = lineTokens(a, line).filter((t) => t.col < col);
  const partial = before.length > 0 && before[before.length - 1].col + before[before.length - 1].text.length >= col ? before[before.length - 1] : undefined;
  const statement = parseLineStatement(partial ? before.slice(0, -1) : before);
  if (!statement.head) return statementStarts(partial?.text.startsWith('.') ?? false);
  const head = statement.head.text;
  // NAME .equ EXPR has two operands and no comma.
  const operandIndex = Math.max(statement.commas.length, statement.operands.length - 1);
  const symbols = symbolItems(a);
  if (/^\.(equ|set)$/i.test(head) || head === '=') return operandIndex === 0 ? [] : symbols;
  if (head.startsWith('.')) return symbols;
  const spec = specFor(head);
  if (!spec) return [];
  const ops = writtenOperands(spec);
  if (ops.length === 0) return [];
  const firstWord = statement.operands[0]?.[0]?.text;
  const current = statement.operands[operandIndex] ?? [];
  const index = activeOperand(spec, operandIndex, operandIndex > 0 ? firstWord : undefined);
  if (spec.operation === 'MOV' && operandIndex === 1 && firstWord?.toUpperCase() === 'CCR') {
    return [...ccrFieldItems(current.map((t) => t.text)), ...symbols.filter((s) => s.kind === CompletionItemKind.Constant)];
  }
  const kinds: OperandKind[] = [ops[index].kind];
  // A leading optional counter and the operand after it are both possible at the first position.
  if (operandIndex === 0 && ops[0].kind === 'loopCounter' && ops.length > 1) kinds.push(ops[1].kind);
  if (spec.operation === 'LPEND') kinds.push('loopCounter');
  return [...new Set(kinds)].flatMap((k) => operandItems(k, a, symbols, spec.operation === 'LPEND'));
}

function statementStarts(directivesOnly: boolean): CompletionItem[] {
  const directives: CompletionItem[] = Object.entries(DIRECTIVE_DOCS).map(([name, doc]) => ({
    label: name, kind: CompletionItemKind.Keyword, detail: doc.syntax, documentation: doc.summary,
    // The '.' is a word character here, so the item replaces the typed '.chan' as a whole.
    filterText: name, sortText: `1${name}`,
  }));
  if (directivesOnly) return directives;
  const mnemonics: CompletionItem[] = [...SPECS_BY_MNEMONIC.entries()].map(([mnemonic, specs]) => ({
    label: mnemonic, kind: CompletionItemKind.Function, detail: specs[0].syntax,
    documentation: { kind: 'markdown', value: `**${specs[0].summary}**\n\n${specs[0].description}` }, sortText: `0${mnemonic}`,
  }));
  mnemonics.push({ label: DMALPFE_DOC.mnemonic, kind: CompletionItemKind.Function, detail: DMALPFE_DOC.syntax, documentation: DMALPFE_DOC.summary, sortText: `0${DMALPFE_DOC.mnemonic}` });
  return [...mnemonics, ...directives];
}

function symbolItems(a: Pl330Analysis): CompletionItem[] {
  return [...a.result.symbols.values()].map((s) => ({
    label: s.name,
    kind: s.kind === 'label' ? CompletionItemKind.Reference : CompletionItemKind.Constant,
    detail: s.value === undefined ? s.kind : `${s.kind} = ${hexAddress(s.value)}`,
    sortText: `2${s.name}`,
  }));
}

function keywordItems(words: readonly string[], kind: CompletionItemKind = CompletionItemKind.EnumMember): CompletionItem[] {
  return words.map((w, i) => ({ label: w, kind, documentation: OPERAND_KEYWORD_DOCS[w.toUpperCase()], sortText: `0${String(i).padStart(3, '0')}` }));
}

function numbered(prefix: string, count: number, what: string): CompletionItem[] {
  return Array.from({ length: count }, (_, n) => ({ label: `${prefix}${n}`, kind: CompletionItemKind.EnumMember, detail: `${what} ${n}`, sortText: `0${String(n).padStart(3, '0')}` }));
}

function operandItems(kind: OperandKind, a: Pl330Analysis, symbols: CompletionItem[], loopEnd: boolean): CompletionItem[] {
  const { channels, peripherals, events } = a.result.config;
  switch (kind) {
    case 'addrReg': return keywordItems(['SAR', 'DAR']);
    case 'movReg': return keywordItems(['SAR', 'CCR', 'DAR']);
    case 'channel': return numbered('C', channels, 'channel');
    case 'periph': return numbered('P', peripherals, 'peripheral');
    case 'event': return numbered('E', events, 'event');
    case 'loopCounter': return keywordItems(loopEnd ? ['LC0', 'LC1', 'forever'] : ['LC0', 'LC1']);
    case 'nsFlag': return keywordItems(['ns']);
    case 'invalidateFlag': return keywordItems(['invalid']);
    case 'wfpKind': return keywordItems(['single', 'burst', 'periph']);
    case 'backJump': return symbols.filter((s) => s.kind === CompletionItemKind.Reference);
    case 'loopCount':
    case 'imm16':
    case 'negImm16':
    case 'imm32': return symbols;
  }
}

/** Every keyword of the CCR fields that the operand does not set yet. */
function ccrFieldItems(given: readonly string[]): CompletionItem[] {
  const taken = new Set(given.map((w) => parseCcrKeyword(w)?.field.name).filter((n) => n !== undefined));
  const items: CompletionItem[] = [];
  CCR_FIELDS.forEach((field, order) => {
    if (taken.has(field.name)) return;
    fieldValues(field).forEach((value, k) => {
      const word = ccrKeyword(field, value)!;
      items.push({
        label: word, kind: CompletionItemKind.Property, detail: `CCR.${field.name} = ${value}`, documentation: field.description,
        sortText: `0${String(order).padStart(2, '0')}${String(k).padStart(2, '0')}`, insertTextFormat: InsertTextFormat.PlainText,
      });
    });
  });
  return items;
}

function fieldValues(field: CcrField): number[] {
  switch (field.form) {
    case 'incFlag': return [1, 0];
    case 'length': return Array.from({ length: 16 }, (_, k) => k);
    case 'sizeBits': return [0, 1, 2, 3, 4];
    case 'raw': return Array.from({ length: 1 << field.bits }, (_, k) => k);
  }
}
