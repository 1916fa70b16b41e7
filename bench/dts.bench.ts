// The kernel corpus (2,278 DTS) compiled by dmalab in one process, against cpp + dtc run per file, as a ratio.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { newPreprocessCache } from '../server/dts/preprocessor';
import { INCLUDE_PREFIXES, KERNEL_DTC_FLAGS, compileKernelDts, corpusFiles, ensureKernelTree } from '../test/support/corpus';

const tree = ensureKernelTree();
const files = corpusFiles(tree);

const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const cache = newPreprocessCache();
let compiled = 0;
for (const rel of files) if (compileKernelDts(tree, rel, cache).dtb) compiled++;
const dmalabSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
console.log(`dmalab (preprocessor + compiler, one process): ${compiled}/${files.length} in ${dmalabSeconds.toFixed(1)} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU)`);

const tmp = mkdtempSync(join(tmpdir(), 'dmalab-bench-'));
const t1 = process.hrtime.bigint();
for (const rel of files) {
  const src = join(tree, rel);
  const dir = dirname(src);
  const pre = join(tmp, 'pre.tmp');
  spawnSync('cpp', ['-nostdinc', '-I', dir, '-I', INCLUDE_PREFIXES, '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-o', pre, src]);
  spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-b', '0', '-i', dir, '-i', INCLUDE_PREFIXES, ...KERNEL_DTC_FLAGS, '-o', join(tmp, 'out.dtb'), pre]);
}
const referenceSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
rmSync(tmp, { recursive: true, force: true });
console.log(`cpp + dtc per file, serial: ${files.length} in ${referenceSeconds.toFixed(1)} s`);
console.log(`ratio dmalab / (cpp + dtc): ${(dmalabSeconds / referenceSeconds).toFixed(2)} (target <= 0.5)`);
