// Hover for PL330 assembly: instruction documentation with the encoded bytes (and a decoded field table for
// DMAMOV CCR), symbol values, CCR field keywords, directives and operand keywords.
import type { Hover } from 'vscode-languageserver-types';
import { CCR_FIELDS, ccrField, ccrKeyword, decodeCcr } from '../../../../emulator/pl330/ccr';
import { DMALPFE_DOC, InstructionSpec } from '../../../../emulator/pl330/isa';
import { parseCcrKeyword } from '../../../pl330/assembler';
import { Pl330Analysis, hexByte, instructionBytes, lineTokens, parseLineStatement, tokenAt } from '../../../pl330/analysis';
import { describeEntry, instructionAccesses } from '../../../pl330/bounds-report';
import { describeAccesses } from '../../../pl330/bounds';
import { hexAddress } from '../../../../emulator/pl330/disasm';
import { PL330_REGISTER_MAP } from '../../../../emulator/pl330/registers';
import { DIRECTIVE_DOCS, OPERAND_KEYWORD_DOCS } from '../../../pl330/directives';
import { TokenKind, type Token } from '../../../pl330/lexer';
import { specFor } from './operands';

/** A channel register's place in the DMAC's register table (`SAR` -> SARn at 0x400 + 0x20 * n), from that table. */
function channelRegister(name: string): string {
  const def = PL330_REGISTER_MAP.named(`${name === 'LC0' || name === 'LC1' ? `${name}_` : name}0`)?.def;
  if (!def || def.count === undefined) return '';
  const fields = def.fields?.length ? `; fields ${def.fields.map((f) => f.name).join(' ')}` : '';
  return `\n\nRegister \`${def.name.replace('{n}', 'n')}\` at ${hexAddress(def.offset)} + ${hexAddress(def.stride ?? 4)} × n (${def.access === 'ro' ? 'read-only' : def.access}; reset ${hexAddress(def.reset)}): ${def.description}${fields}.`;
}

export function pl330Hover(a: Pl330Analysis, line: number, col: number): Hover | undefined {
  const tok = tokenAt(a, line, col);
  if (!tok || tok.kind !== TokenKind.Identifier) return numberHover(tok);
  const statement = parseLineStatement(lineTokens(a, line));
  const range = { start: { line, character: tok.col }, end: { line, character: tok.col + tok.text.length } };
  const markdown = (value: string): Hover => ({ contents: { kind: 'markdown', value }, range });
  if (tok === statement.head) {
    const directive = DIRECTIVE_DOCS[tok.text.toLowerCase()];
    if (directive) return markdown(`\`\`\`pl330\n${directive.syntax}\n\`\`\`\n${directive.summary}`);
    const upper = tok.text.toUpperCase();
    if (upper === DMALPFE_DOC.mnemonic) return markdown(`\`\`\`pl330\n${DMALPFE_DOC.syntax}\n\`\`\`\n**${DMALPFE_DOC.summary}**\n\n${DMALPFE_DOC.description}`);
    return instructionHover(a, line, tok, markdown);
  }
  const symbol = a.result.symbols.get(tok.text);
  if (symbol) {
    const value = symbol.value === undefined ? 'not evaluated' : `${hexAddress(symbol.value)} (${symbol.value})`;
    const entry = symbol.kind === 'label' ? a.bounds.find((e) => e.entry === symbol.value) : undefined;
    const program = entry ? `\n\nChannel program from here ${describeEntry(a.result, entry)}.` : '';
    return markdown(`**${symbol.kind}** \`${symbol.name}\` = ${value}\n\nDefined on line ${symbol.line + 1}.${program}`);
  }
  const inCcr = statement.head?.text.toUpperCase() === 'DMAMOV' && statement.operands[0]?.[0]?.text.toUpperCase() === 'CCR' && statement.operands[1]?.includes(tok);
  const ccr = inCcr ? parseCcrKeyword(tok.text) : undefined;
  if (ccr) {
    return markdown(`**CCR.${ccr.field.name}** (bits ${ccr.field.shift + ccr.field.bits - 1}:${ccr.field.shift}) = ${ccr.value}\n\n${ccr.field.description}`);
  }
  const keyword = OPERAND_KEYWORD_DOCS[tok.text.toUpperCase()];
  if (keyword) return markdown(`\`${tok.text}\`: ${keyword}${channelRegister(tok.text.toUpperCase())}`);
  const numbered = /^([CPE])(\d+)$/i.exec(tok.text);
  if (numbered) {
    const n = Number(numbered[2]);
    const { channels, peripherals, events } = a.result.config;
    const [what, count] = numbered[1].toUpperCase() === 'C' ? ['channel', channels] : numbered[1].toUpperCase() === 'P' ? ['peripheral', peripherals] : ['event', events];
    return markdown(`${what} ${n} (${count} configured${n >= count ? ': out of range' : ''})`);
  }
  return undefined;
}

function numberHover(tok: Token | undefined): Hover | undefined {
  if (!tok || tok.kind !== TokenKind.Number) return undefined;
  const v = tok.value;
  return {
    contents: { kind: 'markdown', value: `\`${tok.text}\` = ${v} = ${hexAddress(v)} = 0b${(v >>> 0).toString(2)}` },
    range: { start: { line: tok.line, character: tok.col }, end: { line: tok.line, character: tok.col + tok.text.length } },
  };
}

function instructionHover(a: Pl330Analysis, line: number, tok: Token, markdown: (v: string) => Hover): Hover | undefined {
  const assembled = a.instructionsByLine.get(line)?.find((i) => i.col === tok.col);
  const spec: InstructionSpec | undefined = assembled?.spec ?? specFor(tok.text);
  if (!spec) return undefined;
  const parts = [
    `\`\`\`pl330\n${spec.syntax}\n\`\`\``,
    `**${spec.summary}**`,
    spec.description,
    `${spec.threads.map((t) => `${t} thread`).join(' or ')}; ${spec.length} byte${spec.length > 1 ? 's' : ''}${spec.minRevision ? `; r1p0 and later` : ''}`,
  ];
  if (assembled && assembled.length > 0) {
    const accesses = instructionAccesses(a.bounds, assembled.address);
    if (accesses) parts.splice(1, 0, `Over all its executions: ${describeAccesses(accesses)}`);
    const bytes = instructionBytes(a, assembled);
    parts.push(`Encoded at \`${hexAddress(assembled.address)}\`: \`${Array.from(bytes, hexByte).join(' ')}\``);
    if (spec.operation === 'MOV' && bytes[1] === 1 && bytes.length === 6) {
      parts.push(ccrTable(bytes[2] | (bytes[3] << 8) | (bytes[4] << 16) | (bytes[5] << 24)));
    }
  }
  return markdown(parts.join('\n\n'));
}

/** The decoded CCR value: one row per field, in bit order, and the transfer shape it describes. */
export function ccrTable(value: number): string {
  const ccr = value >>> 0;
  const d = decodeCcr(ccr);
  const rows = CCR_FIELDS.map((f) => {
    const v = ccrField(ccr, f);
    const bits = f.bits === 1 ? `${f.shift}` : `${f.shift + f.bits - 1}:${f.shift}`;
    return `| ${f.name} | ${bits} | ${v} | ${ccrKeyword(f, v) ?? 'reserved'} | ${f.description} |`;
  });
  const side = (burst: number, beat: number, inc: boolean): string => `${burst} × ${beat}-byte beats (${burst * beat} bytes), ${inc ? 'incrementing' : 'fixed'}`;
  return [
    `CCR = \`${hexAddress(ccr)}\``,
    '',
    '| Field | Bits | Value | Keyword | Meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `Source: ${side(d.srcBurstLen, d.srcBeatBytes, d.srcInc)}. Destination: ${side(d.dstBurstLen, d.dstBeatBytes, d.dstInc)}.` +
      (d.swapBytes ? ` Endian swap within ${d.swapBytes * 8}-bit words.` : ''),
  ].join('\n');
}
