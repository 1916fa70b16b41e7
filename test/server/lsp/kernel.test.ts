// The language server on real kernel devicetrees (Debian's linux-source-6.1, cached under .cache/ by the corpus
// helpers): the largest one and the PL330/SMMU boards. References: cpp + Debian's dtc for the DTB, and dt-schema's
// published findings on the same files for the binding checks (dts.md §2.4: Juno is clean; vexpress-v2p-ca15_a7
// lacks #dma-cells on its pl330).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DocumentSymbolRequest, HoverRequest, MarkupContent, type DocumentSymbol } from 'vscode-languageserver-protocol/node';
import { REQUESTS } from '../../../server/lsp/requests';
import { INCLUDE_PREFIXES, ensureKernelTree } from '../../support/corpus';
import { fileUri, serverForSuite } from './client';

const tree = ensureKernelTree();
const suite = serverForSuite({ settings: { devicetree: { includePaths: [INCLUDE_PREFIXES] } } });

/** Kbuild's way: cpp -nostdinc -I include-prefixes -undef -D__DTS__ -x assembler-with-cpp, then dtc. */
function dtcReference(path: string): string {
  const pre = execFileSync('cpp', ['-nostdinc', '-I', INCLUDE_PREFIXES, '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', path], { encoding: 'latin1', maxBuffer: 64 << 20 });
  return execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-i', dirname(path), '-i', INCLUDE_PREFIXES, '-o', '-', '-'], { input: Buffer.from(pre, 'latin1'), maxBuffer: 64 << 20 }).toString('base64');
}

async function openKernel(rel: string): Promise<{ uri: string; text: string; diagnostics: Awaited<ReturnType<typeof suite.client.open>> }> {
  const path = join(tree, rel);
  const text = readFileSync(path, 'utf8');
  const uri = fileUri(path);
  return { uri, text, diagnostics: await suite.client.open(uri, 'devicetree', text) };
}

test('the largest kernel devicetree (am572x-idk, 252 KB after cpp): no errors, dtc\'s DTB, its node tree', async () => {
  const rel = 'arch/arm/boot/dts/am572x-idk.dts';
  const { uri, diagnostics } = await openKernel(rel);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1), []);
  const compiled = await suite.client.connection.sendRequest(REQUESTS.compileDevicetree, { uri });
  assert.equal(compiled.errors, 0, compiled.messages.join('\n'));
  assert.equal(compiled.dtb, dtcReference(join(tree, rel)));
  const symbols = (await suite.client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as DocumentSymbol[];
  assert.ok(symbols.length > 0 && symbols[0].name === '/', JSON.stringify(symbols.map((s) => s.name)));
});

test('Juno (pl330 behind an MMU-401): no binding findings, as dt-schema finds none; hover resolves the 9 iommus', async () => {
  const { uri, diagnostics } = await openKernel('arch/arm64/boot/dts/arm/juno.dts');
  assert.deepEqual(diagnostics.filter((d) => d.severity === 1), []);
  assert.deepEqual(diagnostics.filter((d) => /^(pl330|smmu)-/.test(String(d.code))), []);
  assert.equal((await suite.client.connection.sendRequest(REQUESTS.compileDevicetree, { uri })).dtb, dtcReference(join(tree, 'arch/arm64/boot/dts/arm/juno.dts')));
  // The pl330 node lives in juno-base.dtsi: opened on its own, it is read as a fragment of the tree.
  const base = await openKernel('arch/arm64/boot/dts/arm/juno-base.dtsi');
  const lines = base.text.split('\n');
  const pl330 = lines.findIndex((l) => l.includes('"arm,pl330"'));
  const iommus = lines.findIndex((l, k) => k > pl330 && l.includes('iommus = <&smmu_dma 0>'));
  const hover = await suite.client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: base.uri }, position: { line: iommus, character: lines[iommus].indexOf('iommus') } });
  const value = (hover!.contents as MarkupContent).value;
  assert.match(value, /\*\*iommus\*\* of `\/dma-controller@7ff00000`/);
  assert.equal(value.match(/&smmu_dma `\/iommu@7fb00000`/g)?.length, 9, value);
});

test('vexpress-v2p-ca15_a7: the pl330 lacks #dma-cells, as dt-schema reports', async () => {
  const { diagnostics } = await openKernel('arch/arm/boot/dts/vexpress-v2p-ca15_a7.dts');
  const pl330 = diagnostics.filter((d) => String(d.code).startsWith('pl330-'));
  assert.deepEqual(pl330.map((d) => d.message), ["/dma@7ff00000: missing required property '#dma-cells'"]);
});
