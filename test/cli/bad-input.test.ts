// Bad input from a user, to every command that reads it: one clear line naming the file (and line:col where there
// is one), the command's documented status, never a stack trace; a closed pipe ends the output quietly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const MEMCPY = join(ROOT, 'examples/pl330/memcpy.pl330');
const ELF = join(ROOT, 'examples/vfio-pl330/vfio-pl330');
const work = mkdtempSync(join(tmpdir(), 'dmalab-bad-input-'));
const dmalab = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: work, timeout: 60_000 });

/** Each command is refused before anything runs: one line `dmalab COMMAND: message` on stderr, nothing on stdout. */
function expectRefused(cases: readonly [string[], number, string][]): void {
  for (const [args, status, message] of cases) {
    const r = dmalab(...args);
    assert.equal(r.stderr, `dmalab ${args[0]}: ${message}\n`, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')}: nothing ran`);
    assert.equal(r.status, status, args.join(' '));
  }
}

/** A devicetree the compiler accepts, minus what a machine needs (or the text itself, for syntax errors). */
const PLATFORMS: Record<string, { text: string | Uint8Array; message: RegExp }> = {
  'syntax.dts': { text: '/dts-v1/;\n/ {\n\tmodel = "x"\n};\n', message: /^syntax\.dts:4:1: error: .*\[syntax\]$/ },
  'garbage.dts': { text: Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff), message: /^garbage\.dts:1:\d+: error: / },
  'garbage.dtb': { text: Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff), message: /^dmalab [a-z-]+: garbage\.dtb: / },
  'no-gic.dts': {
    text: '/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tmemory@80000000 {\n\t\tdevice_type = "memory";\n\t\treg = <0x80000000 0x10000000>;\n\t};\n};\n',
    message: /^dmalab [a-z-]+: no-gic\.dts: \/: no interrupt controller compatible with /,
  },
  'no-memory.dts': {
    text: '/dts-v1/;\n/ {\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tgic: interrupt-controller@2c001000 {\n\t\tcompatible = "arm,gic-400";\n\t\t#interrupt-cells = <3>;\n\t\tinterrupt-controller;\n\t\t#address-cells = <0>;\n\t\treg = <0x2c001000 0x1000>, <0x2c002000 0x2000>;\n\t};\n};\n',
    message: /^dmalab [a-z-]+: no-memory\.dts: \/: no memory node/,
  },
};
for (const [name, { text }] of Object.entries(PLATFORMS)) writeFileSync(join(work, name), text);

test('a bad --platform is one line naming the file, for run, run-elf, run --scenario and demo, with their statuses', () => {
  for (const [name, { message }] of Object.entries(PLATFORMS)) {
    const cases: [string[], number][] = [
      [['run', MEMCPY, '--platform', name], 6],
      [['run', '--scenario', 'vfio-test-case-1', '--platform', name], 6],
      [['run-elf', ELF, '--platform', name], 1],
      [['demo', '--platform', name], 1],
    ];
    for (const [args, status] of cases) {
      const r = dmalab(...args);
      assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|    at /, args.join(' '));
      const lines = r.stderr.trim().split('\n');
      assert.match(lines[0].replace(/^dmalab (run|run-elf|demo): (?=\S+:\d+:\d+:)/, ''), message, args.join(' '));
      assert.ok(lines.length <= 51, `${args.join(' ')}: at most 50 diagnostics and a count`);
    }
  }
});

test('a closed pipe ends the output quietly (run, run --trace, disasm, demo)', () => {
  writeFileSync(join(work, 'prog.bin'), Uint8Array.from({ length: 4000 }, (_, i) => [0x18, 0x00][i % 2]));
  for (const command of [`run ${MEMCPY}`, `run ${MEMCPY} --trace`, 'disasm prog.bin', 'demo --scenario vfio-test-case-1']) {
    const r = spawnSync('bash', ['-c', `node ${CLI} ${command} | head -c 1 >/dev/null; echo "status \${PIPESTATUS[0]}"`], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.stderr, '', command);
    assert.match(r.stdout, /^status (0|141)\n$/, command);
  }
});

test('source files: empty (a warning), a directory, binary data (refused at once, with the offset), a missing file', () => {
  writeFileSync(join(work, 'empty.pl330'), '');
  const empty = dmalab('asm', 'empty.pl330');
  assert.equal(empty.status, 0);
  assert.equal(empty.stderr, 'empty.pl330:1:1: warning: no program: the file has no instructions or data [no-program]\n');
  assert.equal(dmalab('asm', 'empty.pl330', '--werror').status, 1);
  const emptyRun = dmalab('run', 'empty.pl330');
  assert.equal(emptyRun.status, 5);
  assert.match(emptyRun.stderr, /^dmalab run: empty\.pl330: no channel program to start$/m);

  mkdirSync(join(work, 'dir.pl330'));
  for (const command of ['asm', 'run', 'disasm']) {
    const r = dmalab(command, 'dir.pl330');
    assert.equal(r.stderr, `dmalab ${command}: dir.pl330: is a directory, not a file\n`);
    assert.equal(r.status, command === 'run' ? 6 : 1);
  }
  const elf = readFileSync(ELF).subarray(0, 20000);
  writeFileSync(join(work, 'binary.pl330'), elf);
  const binary = dmalab('asm', 'binary.pl330');
  assert.equal(binary.status, 1);
  assert.equal(binary.stderr, `dmalab asm: binary.pl330: not a text file (a NUL byte at offset ${elf.indexOf(0)}); give assembler source\n`);
  assert.equal(existsSync(join(work, 'binary.bin')), false);
  writeFileSync(join(work, 'many.pl330'), 'DMAFOO\n'.repeat(900));
  const many = dmalab('asm', 'many.pl330');
  const lines = many.stderr.trim().split('\n');
  assert.equal(lines.length, 52, 'fifty diagnostics, a count of the rest, the summary');
  assert.match(lines[50], /^dmalab asm: many\.pl330: 85\d more diagnostics not shown$/);
  assert.match(lines[51], /^dmalab asm: many\.pl330: 9\d\d error\(s\), \d+ warning\(s\)$/);
  assert.equal(dmalab('run', 'nothing.pl330').stderr, 'dmalab run: nothing.pl330: no such file\n');
});

test('dtc: #include without --cpp says to add it; a missing ; is named, without a guess at macros', () => {
  writeFileSync(join(work, 'inc.dts'), '/dts-v1/;\n#include "x.h"\n/ { };\n');
  const inc = dmalab('dtc', 'inc.dts');
  assert.equal(inc.status, 1);
  assert.match(inc.stderr, /^inc\.dts:2:1: error: .*found '#include' \(a C preprocessor directive: compile with --cpp\) \[syntax\]$/m);
  writeFileSync(join(work, 'semi.dts'), '/dts-v1/;\n/ {\n\ta = <1>\n\tb = <2>;\n};\n');
  const semi = dmalab('dtc', 'semi.dts');
  assert.match(semi.stderr, /^semi\.dts:4:2: error: syntax error: expected ';' before 'b' \(missing at the end of line 3\?\) \[syntax\]$/m);
  assert.doesNotMatch(semi.stderr, /macro/);
  writeFileSync(join(work, 'macro.dts'), '/dts-v1/;\n/ {\n\ta = <FOO>;\n};\n');
  assert.match(dmalab('dtc', 'macro.dts').stderr, /'FOO' \(an undefined macro\?\)/);
});

test('a directory where any command wants a file, and a bad --dtb for boot: one line naming it, never a stack trace', () => {
  mkdirSync(join(work, 'somedir'), { recursive: true });
  writeFileSync(join(work, 'bad.dtb'), Uint8Array.from({ length: 64 }, (_, i) => i));
  const cases: [string[], number, string][] = [
    [['run', MEMCPY, '--platform', 'somedir'], 6, 'somedir: is a directory, not a file'],
    [['run', '--scenario', 'vfio-test-case-1', '--platform', 'somedir'], 6, 'somedir: is a directory, not a file'],
    [['run-elf', 'somedir'], 1, 'somedir: is a directory, not a file'],
    [['run-elf', ELF, '--platform', 'somedir'], 1, 'somedir: is a directory, not a file'],
    [['boot', '--kernel', 'somedir'], 1, 'somedir: is a directory, not a file'],
    [['boot', '--kernel', ELF, '--initrd', 'somedir'], 1, 'somedir: is a directory, not a file'],
    [['boot', '--kernel', ELF, '--dtb', 'somedir'], 1, 'somedir: is a directory, not a file'],
    [['boot', '--kernel', ELF, '--platform', 'somedir'], 1, 'somedir: is a directory, not a file'],
    [['boot', '--kernel', ELF, '--dtb', 'bad.dtb'], 1, 'bad.dtb: dtb: bad magic 0x00010203 (expected 0xd00dfeed) (at byte 0x0)'],
    [['boot', '--kernel', ELF, '--platform', 'no-memory.dts'], 1, 'no-memory.dts: /: no memory node (device_type = "memory")'],
  ];
  expectRefused(cases);
});

test('an output file in a missing directory, or a directory, is named before anything runs; a read names it too', () => {
  const missing = join('no', 'such', 'x.bin');
  const cases: [string[], number, string][] = [
    [['asm', MEMCPY, '-o', missing], 1, `${missing}: the directory no/such does not exist`],
    [['dtc', join(ROOT, 'examples/dts/pl330.dts'), '-q', '-o', missing], 1, `${missing}: the directory no/such does not exist`],
    [['run', MEMCPY, '--dump', `0x3000:64=${missing}`], 6, `${missing}: the directory no/such does not exist`],
    [['run', MEMCPY, '--trace-out', missing], 6, `${missing}: the directory no/such does not exist`],
    [['run', MEMCPY, '--trace-out', 'somedir'], 6, 'somedir: is a directory, not a file'],
    [['run-elf', ELF, '--trace-out', missing], 1, `${missing}: the directory no/such does not exist`],
    [['asm', join('no', 'such', 'prog.pl330')], 1, 'no/such/prog.pl330: the directory no/such does not exist'],
  ];
  mkdirSync(join(work, 'somedir'), { recursive: true });
  expectRefused(cases);
});

test('dtc --cpp: an #include not found says where it looked (a kernel tree needs its include/ for <dt-bindings/...>)', () => {
  writeFileSync(join(work, 'bindings.dts'), '/dts-v1/;\n#include <dt-bindings/interrupt-controller/arm-gic.h>\n/ { };\n');
  const none = dmalab('dtc', '--cpp', 'bindings.dts');
  assert.equal(none.status, 1);
  assert.equal(none.stderr.split('\n')[0], 'bindings.dts:2:2: error: dt-bindings/interrupt-controller/arm-gic.h: No such file or directory (no include directories given) [cpp]');
  mkdirSync(join(work, 'inc'), { recursive: true });
  const some = dmalab('dtc', '--cpp', '-i', 'inc', '-i', 'somedir', 'bindings.dts');
  assert.equal(some.stderr.split('\n')[0], 'bindings.dts:2:2: error: dt-bindings/interrupt-controller/arm-gic.h: No such file or directory (searched inc, somedir) [cpp]');
});

test('run-elf --workspace / --sysroot: a missing directory or a file is named before the program runs', () => {
  writeFileSync(join(work, 'plain.txt'), 'x\n');
  const cases: [string[], number, string][] = [
    [['run-elf', ELF, '--workspace', 'no-such-dir'], 1, 'no-such-dir: no such directory'],
    [['run-elf', ELF, '--workspace', 'plain.txt'], 1, 'plain.txt: not a directory'],
    [['run', ELF, '--sysroot', 'plain.txt'], 6, 'plain.txt: not a directory'],
  ];
  expectRefused(cases);
});

test('run-elf given PL330 source or microcode points at run', () => {
  const r = dmalab('run-elf', MEMCPY);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `dmalab run-elf: ${MEMCPY}: not an ARM Linux executable (no ELF header); PL330 microcode or source runs with dmalab run\n`);
});

test('run: PL330 source under another name (prog.txt) is named as text, not run as bytes that fault at once', () => {
  writeFileSync(join(work, 'prog.txt'), readFileSync(MEMCPY));
  const r = dmalab('run', 'prog.txt');
  assert.equal(r.status, 6);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'dmalab run: prog.txt: text, not microcode: PL330 source is assembled when its name ends in .pl330, .asm or .s\n');
});

test('dtc: an -I its input contradicts is named; a bad blob names the file once', () => {
  const dts = join(ROOT, 'examples/dts/pl330.dts');
  assert.equal(dmalab('dtc', '-O', 'dtb', '-o', 'good.dtb', dts).status, 0);
  const asSource = dmalab('dtc', '-I', 'dts', 'good.dtb');
  assert.equal(asSource.status, 1);
  assert.equal(asSource.stderr, 'dmalab dtc: good.dtb: -I dts, but it is a blob (magic 0xd00dfeed): -I dtb\n');
  const asBlob = dmalab('dtc', '-I', 'dtb', dts);
  assert.equal(asBlob.status, 1);
  assert.equal(asBlob.stderr, `dmalab dtc: ${dts}: -I dtb, but it is not a blob (no magic 0xd00dfeed): a source, -I dts\n`);
  writeFileSync(join(work, 'text.dtb'), '/dts-v1/;\n/ { };\n');
  const misnamed = dmalab('dtc', 'text.dtb');
  assert.equal(misnamed.status, 1);
  assert.equal(misnamed.stderr.split('\n')[0], 'text.dtb: error: bad magic 0x2f647473 (expected 0xd00dfeed) (at byte 0x0) [dtb]');
});
