// Overlay support on real trees: kernel DTS compiled with -@ (as Kbuild does for boards with overlays) must match
// cpp + dtc -@, __symbols__ and the phandles it forces included.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { newPreprocessCache } from '../../../server/dts/preprocessor';
import { INCLUDE_PREFIXES, KERNEL_DTC_FLAGS, compileKernelDts, corpusFiles, ensureKernelTree } from '../../support/corpus';

test('kernel DTS with -@: identical to cpp + dtc -@', { timeout: 10 * 60_000 }, () => {
  const tree = ensureKernelTree();
  // Every 25th file, and every overlay (/plugin/).
  const files = corpusFiles(tree).filter((f, i) => i % 25 === 0 || readFileSync(join(tree, f), 'latin1').includes('/plugin/'));
  const tmp = mkdtempSync(join(tmpdir(), 'dmalab-dts-sym-'));
  const cache = newPreprocessCache();
  const differ: string[] = [];
  for (const rel of files) {
    const src = join(tree, rel);
    const dir = dirname(src);
    const pre = join(tmp, 'pre.tmp');
    const out = join(tmp, 'ref.dtb');
    assert.equal(spawnSync('cpp', ['-nostdinc', '-I', dir, '-I', INCLUDE_PREFIXES, '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-o', pre, src]).status, 0);
    assert.equal(spawnSync('dtc', ['-q', '-@', '-I', 'dts', '-O', 'dtb', '-b', '0', '-i', dir, '-i', INCLUDE_PREFIXES, ...KERNEL_DTC_FLAGS, '-o', out, pre]).status, 0, rel);
    const mine = compileKernelDts(tree, rel, cache, { symbols: true }).dtb;
    if (!mine || !Buffer.from(mine).equals(readFileSync(out))) differ.push(rel);
  }
  console.log(`dts -@: ${files.length - differ.length} of ${files.length} identical`);
  assert.deepEqual(differ, []);
});
