// Inlay hints: each instruction line's address and encoded bytes, after the line's text; and at each loop's end,
// the address ranges its body reads and writes over all iterations (static bounds).
import { InlayHintKind, type InlayHint } from 'vscode-languageserver-types';
import { Pl330Analysis, hexByte, instructionBytes } from '../../../pl330/analysis';
import { briefAccesses, loopAccesses } from '../../../pl330/bounds-report';
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
  for (const loop of a.result.loops) {
    const line = loop.endLine;
    if (line === undefined || line < fromLine || line > toLine) continue;
    const accesses = loopAccesses(a.bounds, loop);
    if (!accesses) continue;
    const times = loop.kind === 'forever' ? 'until the last request' : `×${loop.iterations}`;
    hints.push({ position: { line, character: lineLengths(line) }, label: `loop ${times}: ${briefAccesses(accesses)}`, paddingLeft: true });
  }
  return hints;
}
