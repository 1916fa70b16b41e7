// Inlay hints: each instruction line's address and encoded bytes, after the line's text.
import { InlayHintKind, type InlayHint } from 'vscode-languageserver-types';
import { Pl330Analysis, hexByte, instructionBytes } from '../../../pl330/analysis';
import { hexAddress } from '../../../../emulator/pl330/disasm';

export function pl330InlayHints(a: Pl330Analysis, lineLengths: (line: number) => number, fromLine: number, toLine: number): InlayHint[] {
  const hints: InlayHint[] = [];
  for (let line = Math.max(0, fromLine); line <= toLine && line < a.lineCount; line++) {
    const instructions = a.instructionsByLine.get(line);
    if (!instructions) continue;
    const label = instructions
      .map((ins) => {
        const bytes = Array.from(instructionBytes(a, ins), hexByte).join(' ');
        return bytes ? `${hexAddress(ins.address)}: ${bytes}` : hexAddress(ins.address);
      })
      .join(' | ');
    hints.push({ position: { line, character: lineLengths(line) }, label, kind: InlayHintKind.Type, paddingLeft: true });
  }
  return hints;
}
