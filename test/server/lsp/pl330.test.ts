// The built language server (dist/server.js) driven over stdio by a real LSP client, on the PL330 examples.
// References: the CLI's own output for the same file (`dmalab asm`: diagnostics and listing), and reassembly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CodeActionRequest, CompletionRequest, DefinitionRequest, DocumentFormattingRequest, DocumentSymbolRequest, HoverRequest, InlayHintRequest,
  MarkupContent, PrepareRenameRequest, ReferencesRequest, RenameRequest, SemanticTokensRequest, SignatureHelpRequest,
  InlayHintKind, type CodeAction, type CompletionItem, type Diagnostic, type DocumentSymbol, type Location, type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { LspClient, ROOT, fileUri, serverForSuite } from './client';

const CLI = join(ROOT, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'dmalab-lsp-'));
const suite = serverForSuite({ settings: {} });

/** A copy of an example in the temp folder, its text and its URI. */
function example(name: string): { path: string; text: string; uri: string } {
  const text = readFileSync(join(ROOT, 'examples', 'pl330', name), 'utf8');
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, text, uri: fileUri(path) };
}

/** `dmalab asm --format listing`: address and bytes per source line (0-based), the reference for bytes. */
function listingBytes(path: string): Map<number, string[]> {
  const out = execFileSync(process.execPath, [CLI, 'asm', path, '--format', 'listing', '-o', '-'], { encoding: 'utf8' });
  const byLine = new Map<number, string[]>();
  let line = -1;
  // Each row is 8 address characters, 2 spaces, 18 byte characters, 2 spaces, the source line; a second row for
  // the same line (several instructions) has no source text.
  for (const row of out.split('\n').slice(0, -1)) {
    const address = row.slice(0, 8).trim();
    const bytes = row.slice(10, 28).trim();
    if (row.slice(30) !== '' || !address) line++;
    if (address) byLine.set(line, [...(byLine.get(line) ?? []), bytes ? `0x${address}: ${bytes}` : `0x${address}`]);
  }
  return byLine;
}

function lineOf(text: string, needle: string): number {
  const line = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, `no line with ${needle}`);
  return line;
}

function reassemble(text: string): string {
  const path = join(dir, `re-${Math.random().toString(36).slice(2)}.pl330`);
  writeFileSync(path, text);
  const r = spawnSync(process.execPath, [CLI, 'asm', path, '--format', 'hex', '-o', '-'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('diagnostics as you type match the CLI, with codes and ranges', async () => {
  const { path, text, uri } = example('memcpy.pl330');
  assert.deepEqual(await suite.client.open(uri, 'pl330', text), []);
  const line = lineOf(text, 'DMALP BURSTS');
  const col = text.split('\n')[line].indexOf('BURSTS');
  const diagnostics = await suite.client.change(uri, [{ range: { start: { line, character: col }, end: { line, character: col + 6 } }, text: '300' }]);
  const edited = TextDocument.applyEdits(TextDocument.create(uri, 'pl330', 1, text), [{ range: { start: { line, character: col }, end: { line, character: col + 6 } }, newText: '300' }]);
  writeFileSync(path, edited);
  const cli = spawnSync(process.execPath, [CLI, 'asm', path, '-o', '-'], { encoding: 'utf8' }).stderr
    .split('\n').filter((l) => l.startsWith(`${path}:`)).map((l) => l.slice(path.length + 1)).filter((l) => /^\d+:\d+: /.test(l));
  assert.ok(cli.length > 0);
  assert.deepEqual(diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity === 1 ? 'error' : 'warning'}: ${d.message} [${d.code}]`), cli);
  assert.ok(diagnostics.some((d) => d.code === 'loop-count' && d.range.start.line === line && d.source === 'dmalab'));
  // Undo: the problem goes away.
  assert.deepEqual(await suite.client.change(uri, [{ text }]), []);
});

test('hover shows the documentation and the encoded bytes; DMAMOV CCR gets a field table', async () => {
  const { path, text, uri } = example('scatter.pl330');
  await suite.client.open(uri, 'pl330', text);
  const bytes = listingBytes(path);
  const line = lineOf(text, 'DMAMOV CCR, SB4 SS64');
  const hover = await suite.client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character: 6 } });
  const value = (hover!.contents as MarkupContent).value;
  assert.match(value, /DMAMOV <SAR\|CCR\|DAR>/);
  assert.ok(value.includes(bytes.get(line)![0].split(': ')[1]), `${value} lacks ${bytes.get(line)}`);
  assert.match(value, /\| SB \| 7:4 \| 3 \| SB4 \|/);
  assert.match(value, /\| SS \| 3:1 \| 3 \| SS64 \|/);
  assert.match(value, /\| DAI \| 14 \| 1 \| DAI \|/);
  // Register operands read the DMAC's register table: offset, stride, reset and description.
  const sar = await suite.client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: lineOf(text, 'DMAMOV SAR, SRC'), character: 12 } });
  assert.match((sar!.contents as MarkupContent).value, /Register `SARn` at 0x00000400 \+ 0x00000020 × n \(read-only; reset 0x00000000\): source address\./);
  const ccr = await suite.client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character: 12 } });
  assert.match((ccr!.contents as MarkupContent).value, /Register `CCRn` at 0x00000408 .*reset 0x00800200\): channel control; fields SAI SS SB/);
  const constant = await suite.client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: lineOf(text, 'DMALP BEATS_PER_ROW'), character: 20 } });
  assert.match((constant!.contents as MarkupContent).value, /constant\*\* `BEATS_PER_ROW` = 0x00000008 \(8\)/);
});

test('completion of mnemonics, operands, CCR fields, labels and constants', async () => {
  const uri = fileUri(join(dir, 'typing.pl330'));
  const text = '.equ SIZE, 4\n.channel 0x100\nstart:\n    DMA\n    DMAMOV CCR, SB4 \n    DMASEV \n    DMALP \n    DMAGO C0, \n';
  await suite.client.open(uri, 'pl330', text);
  const labels = async (line: number, character: number): Promise<string[]> => {
    const r = await suite.client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } });
    return (Array.isArray(r) ? r : r!.items).map((i: CompletionItem) => i.label);
  };
  const mnemonics = await labels(3, 7);
  for (const m of ['DMAMOV', 'DMALPFE', 'DMAWFP', 'DMAGO', '.channel']) assert.ok(mnemonics.includes(m), m);
  const ccr = await labels(4, 20);
  assert.ok(ccr.includes('SS32') && ccr.includes('DAF') && ccr.includes('ES16'));
  assert.ok(!ccr.some((l) => l.startsWith('SB')), 'SB is already given');
  assert.deepEqual((await labels(5, 11)).filter((l) => /^E\d+$/.test(l)).length, 16);
  const loop = await labels(6, 10);
  assert.ok(loop.includes('LC0') && loop.includes('SIZE'));
  assert.ok((await labels(7, 14)).includes('start'));
});

test('the PL330 configuration comes from the settings', async () => {
  const configured = new LspClient({ settings: { pl330: { events: 4, channels: 2 } } });
  await configured.initialize();
  const uri = fileUri(join(dir, 'config.pl330'));
  const diagnostics = await configured.open(uri, 'pl330', '.manager\n    DMAGO C3, 0x1000\n    DMASEV 5\n    DMAEND\n');
  assert.deepEqual(diagnostics.map((d) => d.code), ['channel-range', 'event-range']);
  const items = await configured.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 2, character: 11 } });
  assert.deepEqual((items as CompletionItem[]).map((i) => i.label).filter((l) => /^E\d$/.test(l)), ['E0', 'E1', 'E2', 'E3']);
  assert.equal(await configured.shutdown(), 0);
});

test('signature help follows the operand under the cursor', async () => {
  const uri = fileUri(join(dir, 'sig.pl330'));
  await suite.client.open(uri, 'pl330', '.manager\n    DMAGO C0, \n    DMALP 4\n');
  const go = await suite.client.connection.sendRequest(SignatureHelpRequest.type, { textDocument: { uri }, position: { line: 1, character: 14 } });
  assert.equal(go!.signatures[0].label, 'DMAGO <C0..C7>, <address | label>[, ns]');
  assert.equal(go!.activeParameter, 1);
  const lp = await suite.client.connection.sendRequest(SignatureHelpRequest.type, { textDocument: { uri }, position: { line: 2, character: 11 } });
  assert.equal(lp!.signatures[0].label, 'DMALP [LC0|LC1,] <1..256>');
});

test('definition, references and rename of constants and labels; the bytes do not change', async () => {
  const { text, uri } = example('scatter.pl330');
  await suite.client.open(uri, 'pl330', text);
  const use = lineOf(text, 'DMAMOV SAR, SRC');
  const definition = (await suite.client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: { line: use, character: 17 } })) as Location[];
  assert.deepEqual(definition[0].range.start, { line: lineOf(text, '.equ SRC'), character: 5 });
  const refs = (await suite.client.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri }, position: { line: use, character: 17 }, context: { includeDeclaration: true } }))!;
  assert.equal(refs.length, text.match(/\bSRC\b/g)!.length);
  const label = lineOf(text, 'DMAGO C1, to_uart');
  const prepared = await suite.client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri }, position: { line: label, character: 16 } });
  assert.deepEqual(prepared, { range: { start: { line: label, character: 14 }, end: { line: label, character: 21 } }, placeholder: 'to_uart' });
  const edit = await suite.client.connection.sendRequest(RenameRequest.type, { textDocument: { uri }, position: { line: label, character: 16 }, newName: 'uart_tx_program' });
  const edits = edit!.changes![uri] as TextEdit[];
  assert.equal(edits.length, 2);
  const renamed = TextDocument.applyEdits(TextDocument.create(uri, 'pl330', 1, text), edits);
  assert.equal(reassemble(renamed), reassemble(text));
  await assert.rejects(suite.client.connection.sendRequest(RenameRequest.type, { textDocument: { uri }, position: { line: label, character: 16 }, newName: 'SRC' }), /already defined/);
  await assert.rejects(suite.client.connection.sendRequest(RenameRequest.type, { textDocument: { uri }, position: { line: label, character: 16 }, newName: 'DMAEND' }), /mnemonic/);
});

test('document symbols: programs contain labels, labels contain loops', async () => {
  const { text, uri } = example('scatter.pl330');
  await suite.client.open(uri, 'pl330', text);
  const symbols = (await suite.client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as DocumentSymbol[];
  const channel = symbols.find((s) => s.name === '.channel 0x00001000')!;
  assert.ok(channel, JSON.stringify(symbols.map((s) => s.name)));
  assert.deepEqual(channel.children!.map((c) => c.name), ['tile_copy', 'to_uart']);
  const outer = channel.children![0].children![0];
  assert.equal(outer.name, 'DMALP 16 (LC0)');
  assert.deepEqual(outer.children!.map((c) => c.name), ['DMALP 8 (LC1)']);
  assert.deepEqual(channel.children![1].children!.map((c) => c.name), ['DMALPFE']);
  assert.ok(symbols.some((s) => s.name === '.manager 0x00000000'));
  assert.ok(symbols.some((s) => s.name === 'UART_TX' && s.detail === '= 0x00004000'));
});

test('semantic tokens classify mnemonics, directives, labels, constants and CCR fields', async () => {
  const uri = fileUri(join(dir, 'sem.pl330'));
  const text = '.equ N, 2\n.channel 0\nloop_start:\n    DMAMOV CCR, SB2 DAF\n    DMALP N\n    DMALPEND\n    DMAEND\n';
  await suite.client.open(uri, 'pl330', text);
  const { data } = (await suite.client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri } }))!;
  const legend = ['keyword', 'macro', 'function', 'variable', 'number', 'operator', 'enumMember', 'property', 'modifier'];
  const decoded: string[] = [];
  const lines = text.split('\n');
  let line = 0;
  let col = 0;
  for (let i = 0; i < data.length; i += 5) {
    line += data[i];
    col = data[i] === 0 ? col + data[i + 1] : data[i + 1];
    decoded.push(`${lines[line].slice(col, col + data[i + 2])}:${legend[data[i + 3]]}${data[i + 4] ? `+${data[i + 4]}` : ''}`);
  }
  assert.deepEqual(decoded, [
    '.equ:macro', 'N:variable+3', '2:number', '.channel:macro', '0:number', 'loop_start:function+1',
    'DMAMOV:keyword', 'CCR:enumMember', 'SB2:property', 'DAF:property', 'DMALP:keyword', 'N:variable+2', 'DMALPEND:keyword', 'DMAEND:keyword',
  ]);
});

test('inlay hints give each instruction line its address and bytes, as the listing does', async () => {
  const { path, text, uri } = example('scatter.pl330');
  await suite.client.open(uri, 'pl330', text);
  const hints = (await suite.client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } } }))!;
  const expected = listingBytes(path);
  const addressHints = hints.filter((h) => h.kind === InlayHintKind.Type);
  assert.equal(addressHints.length, expected.size);
  for (const h of addressHints) assert.equal(h.label, expected.get(h.position.line)!.join(' | '), `line ${h.position.line + 1}`);
});

test('formatting lays the source out and keeps the bytes; formatting again changes nothing', async () => {
  const { text, uri } = example('scatter.pl330');
  const messy = text.split('\n').map((l, k) => (k % 3 === 0 ? l.trim() : `\t ${l.replace(/, /g, ' ,  ')}  `)).join('\n').replace(/DMALD\b/g, 'dmald');
  await suite.client.open(uri, 'pl330', messy);
  const edits = (await suite.client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } }))!;
  const formatted = TextDocument.applyEdits(TextDocument.create(uri, 'pl330', 1, messy), edits);
  assert.equal(reassemble(formatted), reassemble(text));
  assert.ok(formatted.includes('\n            DMALD\n'), formatted);
  assert.ok(formatted.includes('\ntile_copy:\n    DMAMOV CCR, SB4 SS64 SAI DB4 DS64 DAI\n'), formatted);
  await suite.client.change(uri, [{ text: formatted }]);
  assert.deepEqual(await suite.client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } }), []);
});

/** `dmalab asm FILE --bounds`: the reference for the editor's bounds. */
function cliBounds(path: string): string {
  return execFileSync(process.execPath, [CLI, 'asm', path, '--bounds'], { encoding: 'utf8' });
}

async function hoverText(uri: string, line: number, character: number): Promise<string> {
  const hover = await suite.client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
  return (hover!.contents as MarkupContent).value;
}

test('static bounds: hover on DMALD, DMAST and the program label, inlay hints per loop; the same as dmalab asm --bounds', async () => {
  const { path, text, uri } = example('memcpy.pl330');
  await suite.client.open(uri, 'pl330', text);
  const report = cliBounds(path);
  const programLine = report.split('\n')[0];
  assert.equal(programLine, 'channel program memcpy at 0x1000 (line 8): reads 0x2000–0x203f (64 bytes), writes 0x3000–0x303f (64 bytes)');
  assert.ok((await hoverText(uri, text.split('\n').indexOf('memcpy:'), 2)).includes(`Channel program from here ${programLine.split('): ')[1]}.`));
  assert.ok((await hoverText(uri, lineOf(text, 'DMALD'), 9)).includes('Over all its executions: reads 0x2000–0x203f (64 bytes)'));
  assert.ok((await hoverText(uri, lineOf(text, 'DMAST'), 9)).includes('Over all its executions: writes 0x3000–0x303f (64 bytes)'));
  const hints = (await suite.client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } } }))!;
  const loopHints = hints.filter((h) => h.kind !== InlayHintKind.Type).map((h) => `${h.position.line}: ${h.label}`);
  assert.deepEqual(loopHints, [`${lineOf(text, 'DMALPEND')}: loop ×4: reads 0x2000–0x203f (64 bytes), writes 0x3000–0x303f (64 bytes)`]);
  assert.equal(report.split('\n')[1], `  loop at line ${lineOf(text, 'DMALP BURSTS') + 1} (DMALP 4): reads 0x2000–0x203f (64 bytes), writes 0x3000–0x303f (64 bytes)`);
});

test('static bounds: a transfer that leaves the .buffer regions is flagged as you type, as the CLI does', async () => {
  const path = join(dir, 'buffers.pl330');
  const text = `.buffer src, 0x2000, 64
.buffer dst, 0x3000, 64
.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI
    DMAMOV SAR, src
    DMAMOV DAR, dst
    DMALP 5
        DMALD
        DMAST
    DMALPEND
    DMAEND
`;
  writeFileSync(path, text);
  const uri = fileUri(path);
  const diagnostics = await suite.client.open(uri, 'pl330', text);
  const cli = spawnSync(process.execPath, [CLI, 'asm', path, '-o', '-'], { encoding: 'utf8' }).stderr.split('\n').filter((l) => l.startsWith(`${path}:`)).map((l) => l.slice(path.length + 1));
  assert.deepEqual(diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}: warning: ${d.message} [${d.code}]`), cli);
  assert.deepEqual(diagnostics.map((d) => `${d.range.start.line}:${d.code}: ${d.message}`), [
    '7:bounds-outside-buffer: reads 0x2040–0x204f (16 bytes), outside the buffers declared in this file (src, dst)',
    '8:bounds-outside-buffer: writes 0x3040–0x304f (16 bytes), outside the buffers declared in this file (src, dst)',
  ]);
  // Four bursts fit: the warnings go.
  const fixed = text.replace('DMALP 5', 'DMALP 4');
  assert.deepEqual(await suite.client.change(uri, [{ text: fixed }]), []);
});

/** Opens text, asks for the quick fixes of its diagnostics with `code`, applies the one fix and returns the new text. */
async function applyQuickFix(name: string, text: string, code: string): Promise<{ fixed: string; action: CodeAction }> {
  const uri = fileUri(join(dir, name));
  const diagnostics: Diagnostic[] = (await suite.client.open(uri, 'pl330', text)).filter((d) => d.code === code);
  assert.equal(diagnostics.length, 1, `one ${code} diagnostic expected`);
  const actions = (await suite.client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: diagnostics[0].range, context: { diagnostics } })) as CodeAction[];
  assert.equal(actions.length, 1);
  const edits = actions[0].edit!.changes![uri];
  const fixed = TextDocument.applyEdits(TextDocument.create(uri, 'pl330', 1, text), edits);
  assert.deepEqual(await suite.client.change(uri, [{ text: fixed }]), [], `the fix leaves no diagnostics:\n${fixed}`);
  return { fixed, action: actions[0] };
}

/** The first line of `dmalab asm --bounds` for a source. */
function boundsLine(text: string): string {
  const path = join(dir, `bounds-${Math.random().toString(36).slice(2)}.pl330`);
  writeFileSync(path, text);
  return cliBounds(path).split('\n')[0].replace(/^.*\): /, '');
}

const COPY_HEADER = `.channel 0x1000
    DMAMOV CCR, SB1 SS32 SAI DB1 DS32 DAI
    DMAMOV SAR, 0x20000
    DMAMOV DAR, 0x40000
`;

test('quick fix: DMAWMB is inserted before a DMASEV that follows stores in a peripheral program', async () => {
  const text = `${COPY_HEADER}    DMAWFP P1, burst
    DMALDB
    DMASTB
    DMASEV 1    ; tell the CPU
    DMAEND
`;
  const { fixed, action } = await applyQuickFix('wmb.pl330', text, 'missing-wmb');
  assert.equal(action.title, 'Insert DMAWMB before DMASEV');
  assert.ok(fixed.includes('    DMASTB\n    DMAWMB\n    DMASEV 1    ; tell the CPU\n'), fixed);
});

test('quick fix: a DMALP count over 256 becomes nested loops (with a remainder loop for a prime), same bytes moved', async () => {
  for (const [count, nested] of [[300, ['DMALP LC0, 2', 'DMALP LC1, 150']], [257, ['DMALP LC0, 1', 'DMALP LC1, 256', 'DMALP LC0, 1']]] as const) {
    const text = `${COPY_HEADER}    DMALP ${count}
        DMALD
        DMAST
    DMALPEND
    DMAEND
`;
    const { fixed } = await applyQuickFix(`count-${count}.pl330`, text, 'loop-count');
    for (const line of nested) assert.ok(fixed.includes(line), `${line} in\n${fixed}`);
    const bytes = count * 4;
    assert.equal(boundsLine(fixed), `reads 0x20000–0x${(0x20000 + bytes - 1).toString(16)} (${bytes} bytes), writes 0x40000–0x${(0x40000 + bytes - 1).toString(16)} (${bytes} bytes)`);
  }
});

test('quick fix: a loop body too long for the 8-bit jump, made of one repeated block, is rolled up; same bytes moved', async () => {
  for (const [iterations, expected] of [[1, ['DMALP LC0, 130']], [3, ['DMALP LC0, 3', 'DMALP LC1, 130']]] as const) {
    const body = '        DMALD\n        DMAST\n'.repeat(130);
    const text = `${COPY_HEADER}    DMALP ${iterations}\n${body}    DMALPEND\n    DMAEND\n`;
    const { fixed } = await applyQuickFix(`long-${iterations}.pl330`, text, 'jump-too-far');
    for (const line of expected) assert.ok(fixed.includes(line), `${line} in\n${fixed}`);
    assert.equal(fixed.split('\n').filter((l) => l.includes('DMALD')).length, 1);
    const bytes = iterations * 130 * 4;
    assert.equal(boundsLine(fixed), `reads 0x20000–0x${(0x20000 + bytes - 1).toString(16)} (${bytes} bytes), writes 0x40000–0x${(0x40000 + bytes - 1).toString(16)} (${bytes} bytes)`);
  }
});

test('quick fix: any other over-long body of plain transfers is split into consecutive loops, when that moves the same data', async () => {
  const body = '        DMALD\n        DMAST\n'.repeat(100) + '        DMALD\n        DMAST\n        DMANOP\n'.repeat(30);
  const text = `${COPY_HEADER}    DMALP 3\n${body}    DMALPEND\n    DMAEND\n`;
  const { fixed, action } = await applyQuickFix('split.pl330', text, 'jump-too-far');
  assert.equal(action.title, 'Split the loop into 2 loops of 3');
  assert.equal(fixed.split('\n').filter((l) => l.trim() === 'DMALP LC0, 3').length, 2);
  const bytes = 3 * 130 * 4;
  assert.equal(boundsLine(fixed), `reads 0x20000–0x${(0x20000 + bytes - 1).toString(16)} (${bytes} bytes), writes 0x40000–0x${(0x40000 + bytes - 1).toString(16)} (${bytes} bytes)`);

  // A body that skips ahead in the source mid-way would pair other bytes once split: no fix is offered.
  const skipping = text.replace('        DMALD\n        DMAST\n        DMANOP\n', '        DMALD\n        DMAST\n        DMAADDH SAR, 0x40\n');
  const uri = fileUri(join(dir, 'no-split.pl330'));
  const diagnostics = (await suite.client.open(uri, 'pl330', skipping)).filter((d) => d.code === 'jump-too-far');
  assert.equal(diagnostics.length, 1);
  const actions = await suite.client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: diagnostics[0].range, context: { diagnostics } });
  assert.deepEqual(actions, []);
});
