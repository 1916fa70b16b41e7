// Differential test on the Linux kernel's ARM devicetrees: dmalab's preprocessor + compiler (one process) against
// cpp + Debian's dtc per file (cached), requiring byte-identical DTBs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { newPreprocessCache } from '../../../server/dts/preprocessor';
import { formatDiagnostic } from '../../../server/dts/source';
import { compileKernelDts, corpusFiles, ensureKernelTree, ensureReferenceDtbs } from '../../support/corpus';

/** Files known to differ are listed by the test; the count identical must not fall below this. */
const IDENTICAL_FLOOR = 2278;

test('kernel corpus: dmalab dtc --cpp is byte-identical to cpp + dtc', { timeout: 30 * 60_000 }, async () => {
  const tree = ensureKernelTree();
  const only = process.env.DTS_CORPUS_FILTER;
  const files = corpusFiles(tree).filter((f) => !only || f.includes(only));
  const refDir = await ensureReferenceDtbs(files, tree);
  const cache = newPreprocessCache();
  let compiled = 0;
  let identical = 0;
  const failures: string[] = [];
  const started = Date.now();
  for (const rel of files) {
    const refPath = join(refDir, rel + '.dtb');
    const reference = existsSync(refPath) ? readFileSync(refPath) : undefined;
    let result;
    try {
      result = compileKernelDts(tree, rel, cache);
    } catch (e) {
      failures.push(`${rel}: crashed: ${(e as Error).stack}`);
      continue;
    }
    if (result.dtb) compiled++;
    if (!reference) {
      failures.push(`${rel}: no reference DTB (cpp + dtc failed)`);
      continue;
    }
    if (result.dtb && Buffer.from(result.dtb).equals(reference)) identical++;
    else {
      const why = result.dtb ? `differs (${result.dtb.length} vs ${reference.length} bytes)` : result.diagnostics.filter((d) => d.severity === 'error').slice(0, 3).map((d) => formatDiagnostic(d, rel)).join('; ');
      failures.push(`${rel}: ${why}`);
    }
  }
  console.log(`dts corpus: ${compiled} compiled, ${identical} identical (of ${files.length}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failures.length) console.log(`not identical:\n  ${failures.slice(0, 200).join('\n  ')}`);
  assert.ok(files.length > 0);
  assert.ok(identical >= Math.min(IDENTICAL_FLOOR, files.length), `identical ${identical} fell below the floor ${IDENTICAL_FLOOR}`);
});
