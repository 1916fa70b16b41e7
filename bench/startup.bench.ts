// Start-up of the CLI, whole processes, best of several interleaved runs: `dmalab --help` and `dmalab asm` of a small
// file against `node -e 0`, and per kernel devicetree `dmalab dtc --cpp` against node -e 0 + 2x (cpp, then dtc) as
// Kbuild runs them. The code cache of each command is written by a first, untimed run, as any earlier use would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { INCLUDE_PREFIXES, KERNEL_DTC_FLAGS, ensureKernelTree } from '../test/support/corpus';
import { bestOf, milliseconds, runProcess } from './whole-process';

const ROUNDS = 20;
/** A few boards of both architectures, from a small include tree to a large one. */
const DEVICETREES = [
  'arch/arm/boot/dts/vexpress-v2p-ca9.dts',
  'arch/arm64/boot/dts/arm/juno.dts',
  'arch/arm64/boot/dts/rockchip/rk3399-rock-pi-4b.dts',
  'arch/arm64/boot/dts/qcom/sdm845-db845c.dts',
];

const dir = mkdtempSync(join(tmpdir(), 'dmalab-bench-startup-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const small = join(dir, 'copy.pl330');
writeFileSync(small, '.channel 0x1000\n    DMAMOV SAR, 0x2000\n    DMAMOV DAR, 0x3000\n    DMALP 16\n      DMALD\n      DMAST\n    DMALPEND\n    DMAEND\n');

const node = () => runProcess('node', ['-e', '0']);
const help = () => runProcess('node', ['dist/cli.js', '--help']);
const asm = () => runProcess('node', ['dist/cli.js', 'asm', small, '-o', join(dir, 'copy.bin')]);
help();
asm();
const [reference, helpRun, asmRun] = bestOf(ROUNDS, [node, help, asm]);
const ratio = (r: { wallSeconds: number }) => `${(r.wallSeconds / reference.wallSeconds).toFixed(2)}x`;
console.log(`node -e 0: ${milliseconds(reference.wallSeconds)} (best of ${ROUNDS})`);
console.log(`dmalab --help: ${milliseconds(helpRun.wallSeconds)} = ${ratio(helpRun)} node -e 0 (target <= 1.5x)`);
console.log(`dmalab asm (a 7-line program): ${milliseconds(asmRun.wallSeconds)} = ${ratio(asmRun)} node -e 0 (target <= 1.5x)`);

const tree = ensureKernelTree();
for (const rel of DEVICETREES) {
  const src = join(tree, rel);
  const includes = ['-I', dirname(src), '-I', INCLUDE_PREFIXES];
  const preprocessed = join(dir, 'pre.dts');
  const cpp = () => runProcess('cpp', ['-nostdinc', ...includes, '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-o', preprocessed, src]);
  const dtc = () => runProcess('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-b', '0', '-i', dirname(src), '-i', INCLUDE_PREFIXES, ...KERNEL_DTC_FLAGS, '-o', join(dir, 'ref.dtb'), preprocessed]);
  const dmalab = () => runProcess('node', ['dist/cli.js', 'dtc', '--cpp', '-q', '-I', 'dts', '-O', 'dtb', '-b', '0', '-i', dirname(src), '-i', INCLUDE_PREFIXES,
    ...KERNEL_DTC_FLAGS, '-o', join(dir, 'out.dtb'), src]);
  dmalab();
  const [nodeRun, cppRun, dtcRun, dmalabRun] = bestOf(5, [node, cpp, dtc, dmalab]);
  const pipeline = cppRun.wallSeconds + dtcRun.wallSeconds;
  const target = nodeRun.wallSeconds + 2 * pipeline;
  console.log(`dmalab dtc --cpp ${rel.replace(/^arch\//, '')}: ${milliseconds(dmalabRun.wallSeconds)}; cpp + dtc ${milliseconds(pipeline)}, node -e 0 ` +
    `${milliseconds(nodeRun.wallSeconds)}: target <= ${milliseconds(target)} (${(dmalabRun.wallSeconds / target).toFixed(2)}x of it)`);
}
