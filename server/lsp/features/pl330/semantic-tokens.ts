// Semantic tokens for PL330 assembly: what each word is to the assembler (mnemonic, directive, label, constant,
// register, CCR field, channel/peripheral/event, flag), which a TextMate grammar can only guess.
import { parseCcrKeyword } from '../../../pl330/assembler';
import { Pl330Analysis, lineTokens, parseLineStatement } from '../../../pl330/analysis';
import { OPERAND_KEYWORD_DOCS } from '../../../pl330/directives';
import { Token, TokenKind } from '../../../pl330/lexer';

import { DECLARATION, READONLY, SemanticTokenType as TokenType, semanticTypeIndex as typeIndex } from '../semantic-legend';

/** The LSP's relative encoding: deltaLine, deltaStart, length, type, modifiers per token. */
export function pl330SemanticTokens(a: Pl330Analysis): number[] {
  const data: number[] = [];
  let prevLine = 0;
  let prevCol = 0;
  const emit = (tok: Token, type: TokenType, modifiers = 0): void => {
    data.push(tok.line - prevLine, tok.line === prevLine ? tok.col - prevCol : tok.col, tok.text.length, typeIndex(type), modifiers);
    prevLine = tok.line;
    prevCol = tok.col;
  };
  for (let line = 0; line < a.lineCount; line++) {
    const tokens = lineTokens(a, line);
    if (tokens.length === 0) continue;
    const statement = parseLineStatement(tokens);
    const inCcr = statement.head?.text.toUpperCase() === 'DMAMOV' && statement.operands[0]?.[0]?.text.toUpperCase() === 'CCR';
    const ccrOperand = inCcr ? new Set(statement.operands[1] ?? []) : undefined;
    for (const tok of tokens) {
      // Tokens of a multi-line block comment's tail never reach here: the lexer drops comments.
      if (tok.kind === TokenKind.Number) emit(tok, 'number');
      else if (tok.kind === TokenKind.Punct) {
        if (tok.text !== ',' && tok.text !== ':' && tok.text !== '(' && tok.text !== ')') emit(tok, 'operator');
      } else if (tok.kind === TokenKind.Identifier) {
        const type = identifierType(a, tok, statement.head, statement.labels, ccrOperand);
        if (type) emit(tok, type[0], type[1]);
      }
    }
  }
  return data;
}

function identifierType(a: Pl330Analysis, tok: Token, head: Token | undefined, labels: readonly Token[], ccrOperand: Set<Token> | undefined): [TokenType, number] | undefined {
  if (tok === head) return [tok.text.startsWith('.') ? 'macro' : 'keyword', 0];
  const symbol = a.result.symbols.get(tok.text);
  const declaration = symbol && symbol.line === tok.line && symbol.col === tok.col ? DECLARATION : 0;
  if (labels.includes(tok) || symbol?.kind === 'label') return ['function', declaration];
  if (symbol) return ['variable', READONLY | declaration];
  if (ccrOperand?.has(tok) && parseCcrKeyword(tok.text)) return ['property', 0];
  const upper = tok.text.toUpperCase();
  if (upper === 'SAR' || upper === 'DAR' || upper === 'CCR' || upper === 'LC0' || upper === 'LC1' || /^[CPE]\d+$/.test(upper)) return ['enumMember', 0];
  if (upper in OPERAND_KEYWORD_DOCS) return ['modifier', 0];
  return undefined;
}
