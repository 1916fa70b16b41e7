// DTB -> DTS against `dtc -I dtb -O dts` on real kernel DTBs (the reference corpus), plus the round-trip style.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileDts, loadDtb, toDtb, toDts } from '../../../server/dts/compiler';
import { Source } from '../../../server/dts/source';
import { fileHost } from '../../../server/dts/compile-file';
import { corpusFiles, ensureKernelTree, ensureReferenceDtbs } from '../../support/corpus';

/** Every 10th corpus DTB keeps this test quick while covering every vendor directory. */
function sample(): string[] {
  return corpusFiles(ensureKernelTree()).filter((_, i) => i % 10 === 0);
}

test('dtb -> dts prints exactly what dtc 1.6.1 prints', { timeout: 10 * 60_000 }, async () => {
  const files = sample();
  const refDir = await ensureReferenceDtbs(files);
  let same = 0;
  const diffs: string[] = [];
  for (const rel of files) {
    const dtbPath = join(refDir, rel + '.dtb');
    const expected = spawnSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', dtbPath], { encoding: 'latin1', maxBuffer: 1 << 26 }).stdout;
    const result = loadDtb(readFileSync(dtbPath), {});
    assert.ok(result.info, rel);
    if (toDts(result.info) === expected) same++;
    else diffs.push(rel);
  }
  console.log(`dts decompile: ${same} of ${files.length} identical to dtc -I dtb -O dts`);
  assert.deepEqual(diffs, []);
});

test('dtb -> dts -> dtb: the round-trip style always reads back; dtc 1.6.1 style does not for digit-led string lists', { timeout: 10 * 60_000 }, async () => {
  const files = sample();
  const refDir = await ensureReferenceDtbs(files);
  let dtcStyleBroken = 0;
  for (const rel of files) {
    const original = readFileSync(join(refDir, rel + '.dtb'));
    const info = loadDtb(original, {}).info!;
    for (const style of ['roundtrip', 'dtc'] as const) {
      const again = compileDts(new Source(rel + '.dts', toDts(info, style), '.'), { host: fileHost, force: true, bootCpu: info.bootCpuidPhys });
      const same = again.info !== undefined && Buffer.from(toDtb(again.info)).equals(original);
      if (style === 'roundtrip') assert.ok(same, `${rel} does not round-trip`);
      else if (!same) dtcStyleBroken++;
    }
  }
  console.log(`dts round-trip: ${files.length} of ${files.length} with --dts-roundtrip; ${files.length - dtcStyleBroken} in dtc 1.6.1 style`);
});
