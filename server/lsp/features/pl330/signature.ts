// Signature help for PL330 instructions: the operand list with the one under the cursor active.
import type { SignatureHelp } from 'vscode-languageserver-types';
import { Pl330Analysis, lineTokens, parseLineStatement } from '../../../pl330/analysis';
import { activeOperand, operandLabel, specFor, writtenOperands } from './operands';

export function pl330SignatureHelp(a: Pl330Analysis, line: number, col: number): SignatureHelp | undefined {
  const before = lineTokens(a, line).filter((t) => t.col + t.text.length <= col);
  const statement = parseLineStatement(before);
  const head = statement.head;
  // Only once the mnemonic is complete and followed by a space.
  if (!head || head.col + head.text.length >= col) return undefined;
  const spec = specFor(head.text);
  if (!spec) return undefined;
  const ops = writtenOperands(spec);
  let label = spec.mnemonic;
  const parameters: { label: [number, number] }[] = [];
  // The TRM's notation: DMALP [LC0|LC1,] <1..256>, DMAGO <C0..C7>, <address>[, ns].
  ops.forEach((op, k) => {
    const text = operandLabel(op.kind, a.result.config, spec);
    const afterLeadingOptional = k === 1 && ops[0].optional;
    if (k === 0 || afterLeadingOptional) label += op.optional ? ' [' : ' ';
    else label += op.optional ? '[, ' : ', ';
    parameters.push({ label: [label.length, label.length + text.length] });
    label += text + (k === 0 && op.optional && ops.length > 1 ? ',]' : op.optional ? ']' : '');
  });
  const commaIndex = statement.commas.length;
  const firstWord = commaIndex > 0 ? statement.operands[0]?.[0]?.text : undefined;
  return {
    signatures: [{ label, documentation: { kind: 'markdown', value: `**${spec.summary}**\n\n${spec.description}` }, parameters }],
    activeSignature: 0,
    activeParameter: ops.length === 0 ? undefined : activeOperand(spec, commaIndex, firstWord),
  };
}
