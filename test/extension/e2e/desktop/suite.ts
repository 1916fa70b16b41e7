// Extension tests that run inside a desktop VS Code's extension host (@vscode/test-electron loads this module and
// calls run()). Test code in the editor has to import `vscode`, like the extension itself.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { assemble } from '../../../../server/pl330/assembler';

const MISTAKES = '.channel 0x1000\n    DMALP 300\n        DMALD\n    DMALPEND\n    DMASEV 40\n    DMAEND\n';

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension('dmalab.dmalab');
  assert.ok(extension, 'dmalab is loaded from the development path');

  const document = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument({ content: MISTAKES }), 'pl330');
  await vscode.window.showTextDocument(document);
  await extension.activate();
  const expected = assemble(MISTAKES).diagnostics.map((d) => `${d.line}:${d.message}`).sort();
  const shown = await poll(() => {
    const now = vscode.languages.getDiagnostics(document.uri).map((d) => `${d.range.start.line}:${d.message}`).sort();
    return now.length === expected.length ? now : undefined;
  });
  assert.deepEqual(shown, expected);

  const line = MISTAKES.split('\n').findIndex((l) => l.includes('DMALD'));
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, new vscode.Position(line, 9));
  const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
  assert.match(text, /DMALD/);

  const commands = await vscode.commands.getCommands(true);
  for (const command of ['dmalab.assemble', 'dmalab.compileDevicetree']) assert.ok(commands.includes(command), command);
}

async function poll<T>(probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for the language server');
    await new Promise((r) => setTimeout(r, 200));
  }
}
