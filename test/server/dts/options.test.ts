// dtc options the kernel build and users pass, compared with Debian's dtc: -d (Kbuild's depfile), -s, -A, -V 16,
// -O asm (text, and the bytes it assembles to), -T and -T -T, -v; an unknown -W check is fatal; -D needs --cpp.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'dmalab-dtc-options-'));
const run = (command: string, args: string[]) => spawnSync(command, args, { cwd: work, encoding: 'latin1' });
const dmalab = (...args: string[]) => run(process.execPath, [join(ROOT, 'dist/cli.js'), 'dtc', ...args]);
const dtc = (...args: string[]) => run('dtc', args);

mkdirSync(join(work, 'sub'));
writeFileSync(join(work, 'sub/inc.dtsi'), '/ {\n\tfrom-include;\n\tshared { a = <1>; };\n};\n');
writeFileSync(join(work, 'sub/blob.bin'), 'hi\n');
writeFileSync(join(work, 'sub/board.dts'), `/dts-v1/;
mr: /memreserve/ 0x2000 0x1000;
/memreserve/ 0x1000 0x100;
/include/ "inc.dtsi"
/ {
\tzeta = "z";
\talpha: alpha@1 {
\t\treg = <1>;
\t\tdata = /incbin/("blob.bin");
\t\tcells = <1 inner: 2>;
\t\tplab: flag;
\t};
\tbeta { ref = <&alpha>; };
};
&alpha {
\tadded = "x", "y";
\treg = <0x1>;
};
/ { shared { b; }; };
`);
const BOARD = 'sub/board.dts';
const EXAMPLES = [BOARD, join(ROOT, 'examples/dts/pl330.dts'), join(ROOT, 'examples/platforms/vexpress-mmu400-dma330.dts')];

function same(args: string[], file: string): void {
  const ours = dmalab(...args, file);
  const theirs = dtc(...args, file);
  assert.equal(theirs.status, 0, `dtc ${args.join(' ')} ${file}: ${theirs.stderr}`);
  assert.equal(ours.status, 0, `${args.join(' ')} ${file}: ${ours.stderr}`);
  assert.equal(ours.stdout, theirs.stdout, `${args.join(' ')} ${file}`);
}

test('-s, -A, -V 16, -O asm and -T as dtc 1.6.1 writes them', () => {
  for (const file of EXAMPLES) {
    for (const args of [['-O', 'dts', '-s'], ['-O', 'dts', '-A'], ['-O', 'dts', '-A', '-@', '-s'], ['-O', 'dtb', '-s', '-A'], ['-O', 'dtb', '-V', '16'],
      ['-O', 'asm'], ['-O', 'asm', '-@', '-R', '2', '-p', '32'], ['-O', 'asm', '-S', '8192'], ['-O', 'asm', '-a', '64', '-V', '16'],
      ['-O', 'dts', '-T'], ['-O', 'dts', '-T', '-T'], ['-O', 'dts', '-T', '-T', '-@', '-A']]) same(['-q', ...args], file);
  }
  const v = dmalab('-V', '3', BOARD);
  assert.equal(v.status, 2);
  assert.match(v.stderr, /-V: blob version '3': dmalab writes versions 16 and 17/);
});

test('-O asm assembles (binutils) to the bytes -O dtb writes', { skip: spawnSync('arm-linux-gnueabihf-as', ['--version']).error ? 'no arm-linux-gnueabihf-as' : false }, () => {
  assert.equal(dmalab('-q', '-O', 'asm', '-@', '-R', '1', '-p', '8', '-o', 'board.S', BOARD).status, 0);
  assert.equal(dmalab('-q', '-O', 'dtb', '-@', '-R', '1', '-p', '8', '-o', 'board.dtb', BOARD).status, 0);
  assert.equal(run('arm-linux-gnueabihf-as', ['-o', 'board.o', 'board.S']).status, 0);
  assert.equal(run('arm-linux-gnueabihf-objcopy', ['-O', 'binary', '-j', '.text', 'board.o', 'board.bin']).status, 0);
  assert.deepEqual(readFileSync(join(work, 'board.bin')), readFileSync(join(work, 'board.dtb')));
  const symbols = run('arm-linux-gnueabihf-nm', ['board.o']).stdout;
  for (const name of ['alpha', 'alpha_end', 'plab', 'inner', 'mr', 'dt_blob_start', 'dt_struct_start']) assert.match(symbols, new RegExp(` ${name}\\n`), name);
});

test('-d writes the make rule Kbuild reads: the output, the input and every file it included', () => {
  for (const [tool, out] of [[dmalab, 'ours.d'], [dtc, 'theirs.d']] as const) assert.equal(tool('-q', '-d', out, '-O', 'dtb', '-o', 'board.dtb', BOARD).status, 0);
  const ours = readFileSync(join(work, 'ours.d'), 'utf8');
  assert.equal(ours, readFileSync(join(work, 'theirs.d'), 'utf8'));
  assert.equal(ours, 'board.dtb: sub/board.dts sub/inc.dtsi sub/blob.bin\n');
  writeFileSync(join(work, 'sub/cpp.dts'), '/dts-v1/;\n#include "inc.h"\n/ { v = <VALUE>; };\n');
  writeFileSync(join(work, 'sub/inc.h'), '#define VALUE 3\n');
  assert.equal(dmalab('--cpp', '-d', 'cpp.d', '-o', 'cpp.dtb', 'sub/cpp.dts').status, 0);
  assert.equal(readFileSync(join(work, 'cpp.d'), 'utf8'), 'cpp.dtb: sub/cpp.dts sub/inc.h\n', 'with --cpp the #include files too');
});

test('-v prints the version; an unknown -W/-E check is fatal (status 1); -D without --cpp is refused', () => {
  assert.match(dmalab('-v').stdout, /^Version: DTC 1\.6\.1/);
  assert.match(dtc('-v').stdout, /^Version: DTC 1\.6\.1/);
  const unknown = dmalab('-W', 'no-such_check', BOARD);
  assert.equal(unknown.status, 1);
  assert.equal(dtc('-W', 'no-such_check', BOARD).status, 1);
  assert.equal(unknown.stderr, 'dmalab dtc: unknown check name "such_check" (-W no-such_check)\n');
  const define = dmalab('-D', 'X=1', BOARD);
  assert.equal(define.status, 2);
  assert.match(define.stderr, /-D defines a macro for the C preprocessor: add --cpp/);
});

test('binding checks run in dmalab dtc when -W/-E names them (off by default, as dtc has none)', () => {
  writeFileSync(join(work, 'binding.dts'), '/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tdma@7ff00000 {\n\t\tcompatible = "arm,pl330", "arm,primecell";\n\t\treg = <0x7ff00000 0x1000>;\n\t};\n};\n');
  const plain = dmalab('-O', 'dtb', '-o', 'binding.dtb', 'binding.dts');
  assert.equal(plain.status, 0);
  assert.doesNotMatch(plain.stderr, /pl330-/);
  const warned = dmalab('-W', 'bindings', '-O', 'dtb', '-o', 'binding.dtb', 'binding.dts');
  assert.equal(warned.status, 0);
  assert.match(warned.stderr, /^binding\.dts:5:\d+: warning: \/dma@7ff00000: .*\[pl330-required\]$/m);
  const raised = dmalab('-E', 'pl330-required', '-O', 'dtb', '-o', 'binding2.dtb', 'binding.dts');
  assert.equal(raised.status, 2);
  assert.match(raised.stderr, /error: \/dma@7ff00000: .*\[pl330-required\]/);
  assert.doesNotMatch(raised.stderr, /pl330-clocks/, 'only the check named');
  assert.equal(dmalab('-W', 'bindings', '-W', 'no-pl330-required', '-O', 'dtb', '-o', 'binding.dtb', 'binding.dts').stderr.includes('pl330-required'), false);
});
