// The server under random and invalid edits: every request keeps answering, no exception reaches the log, memory
// stays bounded over many edits and many opened-and-closed documents; `dmalab lsp --stdio` and the command requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompletionRequest, DefinitionRequest, DidCloseTextDocumentNotification, DocumentFormattingRequest, DocumentSymbolRequest,
  HoverRequest, InlayHintRequest, PrepareRenameRequest, ReferencesRequest, SemanticTokensRequest, SignatureHelpRequest,
  type Position,
} from 'vscode-languageserver-protocol/node';
import { REQUESTS } from '../../../server/lsp/requests';
import { LspClient, ROOT, fileUri } from './client';

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PL330_FRAGMENTS = ['DMA', 'DMALP ', 'DMALPEND', 'DMALPFE\n', 'DMAMOV CCR, ', 'SB16 ', 'ES128', ',', ':', '\n', '/*', '*/', ';', '//', "'", '"',
  '(', ')', '0x', '99999999999999999999', '-', '~', '<<', '.equ X, X\n', '.channel ', '.manager\n', 'lbl:', '\u{1F600}', '\u0000', '\r\n', '\t', 'é'];

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

const DTS_FRAGMENTS = ['{', '}', '};', ';', '<', '>', '&', '&dmac', '&{/bus}', '"', '/*', '*/', '//', '#include "', '#include <x.h>\n', '#define X(a) a##a\n',
  '#if 1\n', '#endif\n', '/delete-node/ ', '/bits/ 64 ', 'reg = <0 1>;', 'label:', '@', '0x', '(1 << 40)', '\n', '\t', '/ {', '\u{1F600}', '\u0000', '[00 11', ','];

interface RandomEditCase {
  readonly uri: string;
  readonly languageId: string;
  readonly file: string;
  readonly fragments: readonly string[];
  readonly seed: number;
}

const CASES: readonly RandomEditCase[] = [
  { uri: 'file:///random/scatter.pl330', languageId: 'pl330', file: join(ROOT, 'examples', 'pl330', 'scatter.pl330'), fragments: PL330_FRAGMENTS, seed: 0x5eed },
  { uri: fileUri(join(ROOT, 'examples', 'devicetree', 'random-edits.dts')), languageId: 'devicetree', file: join(ROOT, 'examples', 'devicetree', 'zynq-dma-board.dts'), fragments: DTS_FRAGMENTS, seed: 0xd75 },
];

for (const c of CASES) test(`random ${c.languageId} edits: every request answers, nothing is logged, memory stays bounded`, async () => {
  const client = new LspClient({ settings: {} });
  await client.initialize();
  const { uri, languageId } = c;
  const FRAGMENTS = c.fragments;
  let text = readFileSync(c.file, 'utf8');
  await client.open(uri, languageId, text);
  const next = random(c.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  const position = (): Position => {
    const lines = text.split('\n');
    const line = Math.floor(next() * (lines.length + 1));
    return { line, character: Math.floor(next() * ((lines[line]?.length ?? 0) + 3)) };
  };
  const offsetOf = (p: Position): number => {
    const lines = text.split('\n');
    if (p.line >= lines.length) return text.length;
    return lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + Math.min(p.character, lines[p.line].length);
  };
  let baseline = 0;
  for (let round = 0; round < 60; round++) {
    let version = 0;
    for (let k = 0; k < 20; k++) {
      const start = position();
      const a = offsetOf(start);
      const remove = next() < 0.4 ? Math.floor(next() * 40) : 0;
      const insert = next() < 0.8 ? Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(FRAGMENTS)).join('') : '';
      const end = text.slice(0, a + remove).split('\n');
      const endPos = { line: end.length - 1, character: end[end.length - 1].length };
      text = text.slice(0, a) + insert + text.slice(a + remove);
      version = client.changeNoWait(uri, [{ range: { start: { line: start.line, character: start.character }, end: endPos }, text: insert }]);
      // The client and the server must agree on the text: clamp as the server does (TextDocument) by resending now and then.
      if (start.line >= text.split('\n').length || next() < 0.1) version = client.changeNoWait(uri, [{ text }]);
    }
    await client.diagnostics(uri, version);
    const p = position();
    const doc = { textDocument: { uri }, position: p };
    await Promise.all([
      client.connection.sendRequest(HoverRequest.type, doc),
      client.connection.sendRequest(CompletionRequest.type, doc),
      client.connection.sendRequest(SignatureHelpRequest.type, doc),
      client.connection.sendRequest(DefinitionRequest.type, doc),
      client.connection.sendRequest(ReferencesRequest.type, { ...doc, context: { includeDeclaration: true } }),
      client.connection.sendRequest(PrepareRenameRequest.type, doc),
      client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } }),
      client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri } }),
      client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 9999, character: 0 } } }),
      client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } }),
    ]);
    if (round === 10) baseline = rssKiB(client.pid);
  }
  // Many documents opened and closed leave nothing behind.
  for (let k = 0; k < 200; k++) {
    const other = uri.replace(/(\.\w+)$/, `-${k}$1`);
    await client.open(other, languageId, text);
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri: other } });
  }
  const grown = rssKiB(client.pid) - baseline;
  assert.ok(grown < 60 * 1024, `server memory grew by ${grown} KiB`);
  assert.equal(client.stderr, '');
  assert.equal(await client.shutdown(), 0);
});

test('dmalab lsp --stdio serves the same server; the command requests assemble and disassemble', async () => {
  const client = new LspClient({ viaCli: true });
  const init = (await client.initialize()) as { capabilities: Record<string, unknown>; serverInfo: { name: string } };
  assert.equal(init.serverInfo.name, 'dmalab');
  assert.ok(init.capabilities.hoverProvider && init.capabilities.semanticTokensProvider && init.capabilities.documentFormattingProvider);
  const uri = 'file:///cli/memcpy.pl330';
  const source = readFileSync(join(ROOT, 'examples', 'pl330', 'memcpy.pl330'), 'utf8');
  assert.deepEqual(await client.open(uri, 'pl330', source), []);
  const assembled = await client.connection.sendRequest(REQUESTS.assemble, { uri });
  assert.equal(assembled.errors, 0);
  assert.equal(assembled.base, 0x1000);
  assert.match(assembled.header, /static const uint8_t memcpy\[\d+\]/);
  const { text } = await client.connection.sendRequest(REQUESTS.disassemble, { bytes: assembled.image, base: assembled.base });
  const back = 'file:///cli/back.pl330';
  assert.deepEqual(await client.open(back, 'pl330', text), []);
  assert.equal((await client.connection.sendRequest(REQUESTS.assemble, { uri: back })).image, assembled.image);
  assert.equal(await client.shutdown(), 0);
});
