// The built language server on devicetree sources, driven over stdio by a real LSP suite.client. References: Debian's
// cpp + dtc (the DTB the server compiles, before and after formatting and renaming, must be dtc's byte for byte).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CompletionRequest, DefinitionRequest, DocumentFormattingRequest, DocumentSymbolRequest, HoverRequest, InlayHintRequest, MarkupContent,
  ReferencesRequest, RenameRequest, SemanticTokensRequest, type CompletionItem, type DocumentSymbol, type InitializeResult, type Location,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';
import { REQUESTS } from '../../../server/lsp/requests';
import { LspClient, ROOT, fileUri, serverForSuite } from './client';

const dir = mkdtempSync(join(tmpdir(), 'dmalab-dts-'));
cpSync(join(ROOT, 'examples', 'devicetree'), dir, { recursive: true });
const board = join(dir, 'zynq-dma-board.dts');
const soc = join(dir, 'zynq-dma.dtsi');
const boardUri = fileUri(board);
const suite = serverForSuite({ settings: {} });

/** The kernel's way: cpp -nostdinc -undef -D__DTS__ -x assembler-with-cpp, then Debian's dtc. */
function dtcReference(text: string, name = 'ref.dts'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  const pre = execFileSync('cpp', ['-nostdinc', '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-I', dir, path], { encoding: 'latin1' });
  return execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', '-', '-'], { input: Buffer.from(pre, 'latin1') }).toString('base64');
}

async function compiled(uri: string): Promise<string> {
  const r = await suite.client.connection.sendRequest(REQUESTS.compileDevicetree, { uri });
  assert.equal(r.errors, 0, r.messages.join('\n'));
  return r.dtb;
}

function position(text: string, needle: string, offset = 0): { line: number; character: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  assert.ok(line >= 0, needle);
  return { line, character: lines[line].indexOf(needle) + offset };
}

async function hover(uri: string, text: string, needle: string, offset = 0): Promise<string> {
  const h = await suite.client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: position(text, needle, offset) });
  return (h?.contents as MarkupContent | undefined)?.value ?? '';
}

test('a board with its includes compiles to the DTB dtc builds; diagnostics as you type with the node path', async () => {
  const text = readFileSync(board, 'utf8');
  assert.deepEqual(await suite.client.open(boardUri, 'devicetree', text), []);
  assert.equal(await compiled(boardUri), dtcReference(text));
  // One dma-names for two dmas entries: the binding check names the node.
  const at = position(text, '"tx", "rx"');
  const names = await suite.client.change(boardUri, [{ range: { start: at, end: { line: at.line, character: at.character + 10 } }, text: '"tx"' }]);
  assert.deepEqual(names.map((d) => [d.code, d.message]), [['dma-names', '/bus/serial@e0000000: dma-names has 1 name(s) for 2 dmas entries']]);
  assert.equal(names[0].range.start.line, at.line);
  // An unresolved reference is an error at the reference.
  const ref = position(text, '&smmu 0x101');
  const unresolved = await suite.client.change(boardUri, [{ range: { start: ref, end: { line: ref.line, character: ref.character + 5 } }, text: '&smmx' }]);
  assert.ok(unresolved.some((d) => d.severity === 1 && d.range.start.line === ref.line && /smmx/.test(String(d.message))), JSON.stringify(unresolved));
  assert.deepEqual(await suite.client.change(boardUri, [{ text }]), []);
});

test('binding checks for the PL330 and the SMMU', async () => {
  const uri = fileUri(join(dir, 'bad-bindings.dts'));
  const text = readFileSync(soc, 'utf8')
    .replace('#dma-cells = <1>;', '#dma-cells = <2>;')
    .replace('#global-interrupts = <1>;', '#global-interrupts = <2>;')
    .replace('#iommu-cells = <1>;', '#iommu-cells = <3>;');
  const diagnostics = await suite.client.open(uri, 'devicetree', `/dts-v1/;\n${text}`);
  const codes = diagnostics.map((d) => `${d.code} ${d.message}`);
  assert.ok(codes.includes('pl330-dma-cells /bus/dma-controller@f8003000: #dma-cells must be <1> (the peripheral request number), is 2'), codes.join('\n'));
  assert.ok(codes.includes('smmu-global-interrupts /bus/iommu@fd800000: interrupts has 2 entries but #global-interrupts is 2: no context interrupts follow the global ones'), codes.join('\n'));
  assert.ok(codes.includes('smmu-iommu-cells /bus/iommu@fd800000: #iommu-cells must be <1> (stream ID) or <2> (stream ID and SMR mask)'), codes.join('\n'));
});

test('hover shows evaluated values: address/size pairs, GIC interrupt specifiers, phandles, macros', async () => {
  const text = readFileSync(board, 'utf8');
  await suite.client.open(boardUri, 'devicetree', text);
  assert.match(await hover(boardUri, text, 'reg = <0xe0000000'), /address 0xe0000000, size 0x1000 \(end 0xe0000fff\)/);
  const irq = await hover(boardUri, text, 'interrupts = <GIC_SPI 27');
  assert.match(irq, /interrupts = <0x0 0x1b 0x4>/);
  assert.match(irq, /SPI 27 \(GIC interrupt ID 59\), level high → \/interrupt-controller@f8f01000/);
  const dmas = await hover(boardUri, text, 'dmas = ');
  assert.match(dmas, /"tx": &dmac `\/bus\/dma-controller@f8003000` <0x0>/);
  assert.match(dmas, /"rx": &dmac `\/bus\/dma-controller@f8003000` <0x1>/);
  assert.match(await hover(boardUri, text, '&dmac UART', 2), /`&dmac` → `\/bus\/dma-controller@f8003000`[\s\S]*compatible: `arm,pl330`, `arm,primecell`/);
  assert.match(await hover(boardUri, text, 'UART_TX_REQ>'), /#define UART_TX_REQ 0/);
  assert.match(await hover(boardUri, text, 'GIC_SPI 27'), /#define GIC_SPI 0[\s\S]*gic\.h:2/);
});

test('go to definition of labels, references, #include files and macros', async () => {
  const text = readFileSync(board, 'utf8');
  await suite.client.open(boardUri, 'devicetree', text);
  const def = async (needle: string, offset: number): Promise<Location> =>
    ((await suite.client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: boardUri }, position: position(text, needle, offset) })) as Location[])[0];
  const smmu = await def('&smmu 0x101', 2);
  const socText = readFileSync(soc, 'utf8');
  assert.equal(smmu.uri, fileUri(soc));
  assert.deepEqual(smmu.range.start, position(socText, 'smmu: iommu'));
  assert.equal((await def('zynq-dma.dtsi', 3)).uri, fileUri(soc));
  const gic = await def('GIC_SPI 27', 1);
  assert.equal(gic.uri, fileUri(join(dir, 'gic.h')));
  assert.equal(gic.range.start.line, 1);
  assert.equal((await def('&amba {', 1)).uri, fileUri(soc));
});

test('references and rename of a label across the board and its include; the DTB stays dtc\'s', async () => {
  const text = readFileSync(board, 'utf8');
  await suite.client.open(boardUri, 'devicetree', text);
  const at = position(text, '&dmac UART', 1);
  const refs = (await suite.client.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri: boardUri }, position: at, context: { includeDeclaration: true } }))!;
  assert.deepEqual(refs.map((r) => r.uri.split('/').pop()).sort(), ['zynq-dma-board.dts', 'zynq-dma-board.dts', 'zynq-dma.dtsi']);
  const edit = await suite.client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: boardUri }, position: at, newName: 'pl330_dmac' });
  const apply = (uri: string, original: string): string => TextDocument.applyEdits(TextDocument.create(uri, 'devicetree', 1, original), (edit!.changes![uri] ?? []) as TextEdit[]);
  const newBoard = apply(boardUri, text);
  const newSoc = apply(fileUri(soc), readFileSync(soc, 'utf8'));
  assert.match(newSoc, /pl330_dmac: dma-controller@f8003000/);
  assert.match(newBoard, /<&pl330_dmac UART_TX_REQ>, <&pl330_dmac 1>/);
  writeFileSync(join(dir, 'renamed.dtsi'), newSoc);
  assert.equal(dtcReference(newBoard.replace('zynq-dma.dtsi', 'renamed.dtsi'), 'renamed.dts'), dtcReference(text));
  await assert.rejects(suite.client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: boardUri }, position: at, newName: 'smmu' }), /already defined/);
});

test('document symbols give the document\'s node tree', async () => {
  const text = readFileSync(board, 'utf8');
  await suite.client.open(boardUri, 'devicetree', text);
  const symbols = (await suite.client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: boardUri } })) as DocumentSymbol[];
  assert.deepEqual(symbols.map((s) => s.name), ['/', '&amba']);
  assert.deepEqual(symbols[0].children!.map((c) => c.name), ['model', 'chosen', 'aliases']);
  const serial = symbols[1].children!.find((c) => c.name === 'serial@e0000000')!;
  assert.equal(serial.detail, 'uart0: /bus/serial@e0000000');
  assert.deepEqual(serial.children!.map((c) => c.name), ['compatible', 'reg', 'interrupts', 'dmas', 'dma-names', 'iommus']);
});

test('completion of labels, macros, compatibles and binding properties', async () => {
  const text = readFileSync(soc, 'utf8');
  const uri = fileUri(join(dir, 'typing.dtsi'));
  await suite.client.open(uri, 'devicetree', text);
  const labels = async (line: number, character: number): Promise<string[]> => {
    const r = await suite.client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } });
    return (Array.isArray(r) ? r : r!.items).map((i: CompletionItem) => i.label);
  };
  const iommus = position(text, 'iommus = <&smmu', 11);
  assert.deepEqual((await labels(iommus.line, iommus.character)).sort(), ['amba', 'dmac', 'gic', 'smmu']);
  const cellsAt = position(text, 'GIC_SPI 13');
  assert.ok((await labels(cellsAt.line, cellsAt.character)).includes('IRQ_TYPE_LEVEL_HIGH'));
  // At the start of a line inside the PL330 node: its binding's properties.
  const inNode = position(text, '#dma-cells = <1>;');
  const props = await labels(inNode.line, inNode.character);
  for (const p of ['#dma-cells', 'arm,pl330-broken-no-flushp', 'dma-coherent', 'status']) assert.ok(props.includes(p), p);
});

test('formatting in dtc\'s layout keeps the compiled tree and is stable', async () => {
  const text = readFileSync(board, 'utf8');
  const messy = text.replace(/\t/g, '  ').replace(/ = /g, '=').replace('dma-names=', 'dma-names    =   ').replace('{\n', '{\n\n\n');
  const uri = fileUri(join(dir, 'messy.dts'));
  await suite.client.open(uri, 'devicetree', messy);
  const edits = (await suite.client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 8, insertSpaces: false } }))!;
  const formatted = TextDocument.applyEdits(TextDocument.create(uri, 'devicetree', 1, messy), edits);
  assert.equal(formatted, text);
  assert.equal(dtcReference(formatted, 'formatted.dts'), dtcReference(messy, 'messy-ref.dts'));
  await suite.client.change(uri, [{ text: formatted }]);
  assert.deepEqual(await suite.client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 8, insertSpaces: false } }), []);
});

test('a DTB decompiles to DTS that compiles back to the same blob', async () => {
  const blob = dtcReference(readFileSync(board, 'utf8'));
  const { text } = await suite.client.connection.sendRequest(REQUESTS.decompileDtb, { bytes: blob });
  assert.match(text, /dma-controller@f8003000 \{/);
  const uri = fileUri(join(dir, 'decompiled.dts'));
  assert.deepEqual((await suite.client.open(uri, 'devicetree', text)).filter((d) => d.severity === 1), []);
  assert.equal(await compiled(uri), blob);
});

test('editing an open include re-checks the documents that include it', async () => {
  const text = readFileSync(board, 'utf8');
  const socText = readFileSync(soc, 'utf8');
  await suite.client.open(boardUri, 'devicetree', text);
  await suite.client.open(fileUri(soc), 'devicetree', socText);
  const at = position(socText, 'smmu: iommu');
  const boardAgain = suite.client.diagnostics(boardUri);
  await suite.client.change(fileUri(soc), [{ range: { start: at, end: { line: at.line, character: at.character + 4 } }, text: 'smmu_renamed' }]);
  const diagnostics = await boardAgain;
  assert.ok(diagnostics.some((d) => d.severity === 1 && /smmu/.test(String(d.message)) && d.range.start.line === position(text, '&smmu 0x101').line), JSON.stringify(diagnostics));
  const fixed = suite.client.diagnostics(boardUri);
  await suite.client.change(fileUri(soc), [{ text: socText }]);
  assert.deepEqual(await fixed, []);
});

test('consumers: reg against #address-cells/#size-cells, interrupts against #interrupt-cells, ranges, with the node path', async () => {
  const text = readFileSync(board, 'utf8')
    .replace('reg = <0xe0000000 0x1000>;', 'reg = <0xe0000000 0x1000 0x5>;')
    .replace('interrupts = <GIC_SPI 27 IRQ_TYPE_LEVEL_HIGH>;', 'interrupts = <GIC_SPI 27>;')
    .replace('stdout-path', 'ranges = <1 2>;\n\t\tstdout-path');
  const uri = fileUri(join(dir, 'consumers.dts'));
  const messages = (await suite.client.open(uri, 'devicetree', text)).map((d) => `${d.code}: ${d.message}`);
  assert.ok(messages.some((m) => /^reg_format: .*\/bus\/serial@e0000000/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /^interrupts_property: .*\/bus\/serial@e0000000/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /^ranges_format: .*\/chosen/.test(m)), messages.join('\n'));
});

test('include paths are resolved against the workspace folder', async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'dmalab-ws-'));
  cpSync(join(ROOT, 'examples', 'devicetree'), join(workspace, 'boards'), { recursive: true });
  cpSync(join(ROOT, 'examples', 'devicetree', 'gic.h'), join(workspace, 'include', 'dt-bindings', 'gic.h'));
  const path = join(workspace, 'boards', 'zynq-dma.dtsi');
  writeFileSync(path, readFileSync(path, 'utf8').replace('#include "gic.h"', '#include <dt-bindings/gic.h>'));
  const configured = new LspClient({ settings: { devicetree: { includePaths: ['include'] } }, workspaceFolder: workspace });
  await configured.initialize();
  const boardPath = join(workspace, 'boards', 'zynq-dma-board.dts');
  assert.deepEqual(await configured.open(fileUri(boardPath), 'devicetree', readFileSync(boardPath, 'utf8')), []);
  assert.equal(await configured.shutdown(), 0);
  const unconfigured = new LspClient({ settings: {}, workspaceFolder: workspace });
  await unconfigured.initialize();
  const missing = await unconfigured.open(fileUri(boardPath), 'devicetree', readFileSync(boardPath, 'utf8'));
  assert.ok(missing.some((d) => /dt-bindings\/gic\.h/.test(String(d.message))), JSON.stringify(missing));
  assert.equal(await unconfigured.shutdown(), 0);
});

test('semantic tokens: node names, labels, references, property names from the tree; macros, numbers, strings, directives', async () => {
  const text = readFileSync(board, 'utf8');
  await suite.client.open(boardUri, 'devicetree', text);
  // The legend the server declares (shared by its languages).
  const probe = new LspClient();
  const init = (await probe.initialize()) as InitializeResult;
  assert.equal(await probe.shutdown(), 0);
  const legend = init.capabilities.semanticTokensProvider!.legend;
  const { data } = (await suite.client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri: boardUri } }))!;
  const lines = text.split('\n');
  const decoded = new Map<number, string[]>();
  let line = 0;
  let col = 0;
  for (let i = 0; i < data.length; i += 5) {
    line += data[i];
    col = data[i] === 0 ? col + data[i + 1] : data[i + 1];
    const modifiers = legend.tokenModifiers.filter((_, k) => data[i + 4] & (1 << k));
    decoded.set(line, [...(decoded.get(line) ?? []), `${lines[line].slice(col, col + data[i + 2])}:${legend.tokenTypes[data[i + 3]]}${modifiers.map((m) => `.${m}`).join('')}`]);
  }
  const on = (needle: string) => decoded.get(position(text, needle).line);
  assert.deepEqual(on('/dts-v1/'), ['/dts-v1/:keyword']);
  assert.deepEqual(on('#define UART_TX_REQ'), ['#define:keyword', 'UART_TX_REQ:macro.declaration', '0:number']);
  assert.deepEqual(on('model ='), ['model:property.declaration', '"dmalab PL330 + MMU-400 board":string']);
  assert.deepEqual(on('uart0: serial'), ['uart0:function.declaration', 'serial@e0000000:class.declaration']);
  assert.deepEqual(on('&amba {'), ['&amba:function']);
  assert.deepEqual(on('interrupts = <GIC_SPI'), ['interrupts:property.declaration', 'GIC_SPI:macro', '27:number', 'IRQ_TYPE_LEVEL_HIGH:macro']);
  assert.deepEqual(on('dmas = '), ['dmas:property.declaration', '&dmac:function', 'UART_TX_REQ:macro', '&dmac:function', '1:number']);
  assert.deepEqual(on('serial0 = &uart0'), ['serial0:property.declaration', '&uart0:function']);
});

test('inlay hints: reg decoded with the parent\'s cells, and where each &label in a value points', async () => {
  const text = readFileSync(board, 'utf8');
  await suite.client.open(boardUri, 'devicetree', text);
  const hints = (await suite.client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri: boardUri }, range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } } }))!;
  const at = (needle: string) => hints.filter((h) => h.position.line === position(text, needle).line).map((h) => h.label);
  assert.deepEqual(at('reg = <0xe0000000 0x1000>;'), ['0xe0000000..0xe0000fff']);
  assert.deepEqual(at('dmas = '), ['→ /bus/dma-controller@f8003000', '→ /bus/dma-controller@f8003000']);
  assert.deepEqual(at('serial0 = &uart0'), ['→ /bus/serial@e0000000']);
  assert.deepEqual(at('&amba {'), []);
  // The hint follows the statement: after it ends.
  const reg = hints.find((h) => h.position.line === position(text, 'reg = <0xe0000000').line)!;
  assert.equal(reg.position.character, lines(text)[reg.position.line].indexOf(';') + 1);
});

function lines(text: string): string[] {
  return text.split('\n');
}
