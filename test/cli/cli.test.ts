// The dmalab asm and disasm commands, run as a user runs them (the built CLI in a child process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(__dirname, '../../bin/dmalab');
const dmalab = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const work = mkdtempSync(join(tmpdir(), 'dmalab-asm-'));

test('asm writes FILE.bin by default, disasm reads it back to source that assembles to the same bytes', () => {
  const src = join(work, 'copy.pl330');
  writeFileSync(src, '.channel 0x1000\nDMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI\nDMALP 8\nDMALD\nDMAST\nDMALPEND\nDMASEV 3\nDMAEND\n');
  const r = dmalab('asm', src);
  assert.equal(r.status, 0, r.stderr);
  const bin = readFileSync(join(work, 'copy.bin'));
  assert.equal(bin.toString('hex'), 'bc01f7c03d00' + '2007' + '04' + '08' + '3802' + '3418' + '00');
  const dis = dmalab('disasm', join(work, 'copy.bin'), '--base', '0x1000');
  assert.equal(dis.status, 0, dis.stderr);
  assert.match(dis.stdout, /DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI/);
  writeFileSync(join(work, 'again.pl330'), dis.stdout);
  assert.equal(dmalab('asm', join(work, 'again.pl330'), '-o', join(work, 'again.bin')).status, 0);
  assert.deepEqual(readFileSync(join(work, 'again.bin')), bin);
});

test('errors go to stderr as file:line:col with codes, exit status 1, nothing written', () => {
  const src = join(work, 'bad.pl330');
  writeFileSync(src, 'DMALP 300\nDMALD\nDMALPEND\n  DMASEV 40\n');
  const r = dmalab('asm', src, '-o', join(work, 'bad.bin'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`^${src.replace(/[.]/g, '\\.')}:1:7: error: loop count 300 is outside 1\\.\\.256 \\[loop-count\\]$`, 'm'));
  assert.match(r.stderr, /:4:10: error: event 40 is out of range 0\.\.31 \[out-of-range\]$/m);
  assert.match(r.stderr, /:4:3: warning: channel program at 0x0 has no DMAEND \[missing-end\]$/m);
  assert.throws(() => readFileSync(join(work, 'bad.bin')));
});

test('formats and configuration flags; usage errors exit 2', () => {
  const src = join(work, 'cfg.pl330');
  writeFileSync(src, 'DMAMOV CCR, SS64 DS64\nDMASEV 20\nDMAEND\n');
  assert.equal(dmalab('asm', src, '--format', 'hex', '--events', '32').status, 0);
  const narrow = dmalab('asm', src, '--format', 'hex', '--events', '32', '--data-width', '32');
  assert.equal(narrow.status, 1);
  assert.match(narrow.stderr, /\[burst-too-wide\]/);
  const listing = dmalab('asm', src, '--format', 'listing', '--events', '32');
  assert.match(listing.stdout, /^00000006  34 a0 {15}DMASEV 20$/m);
  const c = dmalab('asm', src, '--format', 'c', '--events', '32');
  assert.match(c.stdout, /static const uint8_t cfg\[9\]/);
  assert.equal(dmalab('asm', src, '--format', 'elf').status, 2);
  assert.equal(dmalab('asm').status, 2);
  assert.equal(dmalab('asm', src, '--events', 'lots').status, 2);
  const missing = dmalab('asm', join(work, 'nope.pl330'));
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, `dmalab asm: ${join(work, 'nope.pl330')}: no such file\n`);
  assert.equal(dmalab('asm', '--help').status, 0);
  assert.match(dmalab('disasm', '--help').stdout, /--base ADDR/);
});

test('asm -W/-E as dtc: a warning turned off or raised to an error; errors cannot be lowered; unknown names are fatal', () => {
  const src = join(work, 'levels.pl330');
  writeFileSync(src, '.channel 0x1000\nDMANOP\n');
  const plain = dmalab('asm', src, '-o', join(work, 'levels.bin'));
  assert.equal(plain.status, 0);
  assert.match(plain.stderr, /warning: channel program at 0x1000 has no DMAEND \[missing-end\]/);
  const quiet = dmalab('asm', src, '-W', 'no-missing-end', '-o', join(work, 'levels.bin'));
  assert.equal(quiet.status, 0);
  assert.equal(quiet.stderr, '');
  const raised = dmalab('asm', src, '-Emissing-end', '-o', join(work, 'levels.bin'));
  assert.equal(raised.status, 1);
  assert.match(raised.stderr, /error: channel program at 0x1000 has no DMAEND \[missing-end\]/);
  assert.equal(dmalab('asm', src, '-E', 'missing-end', '-W', 'missing-end', '-o', join(work, 'levels.bin')).status, 0, 'the last option wins');
  const unknown = dmalab('asm', src, '-W', 'no-such-check');
  assert.equal(unknown.status, 1);
  assert.equal(unknown.stderr, 'dmalab asm: unknown check name "such-check" (-W no-such-check)\n');
  const lowered = dmalab('asm', src, '-W', 'no-undefined-symbol');
  assert.equal(lowered.status, 1);
  assert.match(lowered.stderr, /undefined-symbol is an error, not a warning/);
});

test('disasm refuses assembler source (a common slip for the .bin asm wrote) and raw-microcode options on an ELF', () => {
  const src = join(work, 'source.pl330');
  writeFileSync(src, '.channel 0x1000\nDMAEND\n');
  const source = dmalab('disasm', src);
  assert.equal(source.status, 1);
  assert.equal(source.stdout, '');
  assert.equal(source.stderr, `dmalab disasm: ${src}: PL330 assembler source, not microcode: 'dmalab asm ${src} --format listing' shows a source's bytes\n`);
  const text = join(work, 'source.txt');
  writeFileSync(text, '.channel 0x1000\nDMAEND\n');
  assert.equal(dmalab('disasm', text).stderr, `dmalab disasm: ${text}: text, not microcode: 'dmalab asm ${text} --format listing' shows a source's bytes\n`);
  const empty = join(work, 'empty.bin');
  writeFileSync(empty, '');
  assert.equal(dmalab('disasm', empty).status, 0, 'no bytes is no text: an empty listing');
  const elf = join(__dirname, '../../examples/vfio-pl330/vfio-pl330');
  for (const option of ['--base', '--thread']) {
    const r = dmalab('disasm', elf, option, option === '--base' ? '0x1000' : 'channel');
    assert.equal(r.status, 2, option);
    assert.match(r.stderr, /^dmalab disasm: --base and --thread are for raw PL330 microcode; an ELF says where its code is\n/, option);
  }
});

test('asm names the usual slips: a missing comma, a suffix written apart or left off', () => {
  const src = join(work, 'slips.pl330');
  writeFileSync(src, '.channel 0x1000\n DMAMOV CCR SB4 SS32\n DMALP LC0 4\n  DMALD B\n  DMASTP P2\n DMALPEND\n DMAEND\n');
  const r = dmalab('asm', src, '-o', join(work, 'slips.bin'));
  assert.equal(r.status, 1);
  assert.equal(r.stderr, [
    `${src}:2:2: error: DMAMOV takes <SAR|CCR|DAR>, <imm32 | CCR fields>; got 1 operand(s) (a ',' missing after 'CCR'?) [operand-count]`,
    `${src}:3:8: error: expected ',' after LC0 (DMALP LC0, COUNT) [syntax]`,
    `${src}:4:3: error: DMALD takes no operands; got 1 operand(s) (did you mean 'DMALDB'?) [operand-count]`,
    `${src}:5:3: error: unknown instruction or directive 'DMASTP'; did you mean 'DMASTPS' or 'DMASTPB'? [unknown-mnemonic]`,
    `dmalab asm: ${src}: 4 error(s), 0 warning(s)`,
    '',
  ].join('\n'), 'one error per slip, no cascade (the DMALPEND still closes the DMALP)');
});

test("asm reads '-' from stdin (named <stdin> in diagnostics); --bounds refuses output options before assembling", () => {
  const stdin = (input: string, ...args: string[]) => spawnSync(process.execPath, [CLI, 'asm', '-', ...args], { encoding: 'utf8', input });
  const listing = stdin('.channel 0x10\nDMAEND\n', '--format', 'listing');
  assert.equal(listing.status, 0, listing.stderr);
  assert.match(listing.stdout, /^00000010  00 {18}DMAEND$/m);
  const bad = stdin('DMAEND\nDMAFOO\n', '--format', 'hex');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^<stdin>:2:1: error: unknown instruction or directive 'DMAFOO' \[unknown-mnemonic\]$/m);
  const bin = spawnSync(process.execPath, [CLI, 'asm', '-', '-o', '-'], { input: 'DMASEV 3\nDMAEND\n' });
  assert.equal(bin.status, 0);
  assert.deepEqual([...bin.stdout], [0x34, 0x18, 0x00]);
  const noOut = stdin('DMAEND\n');
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /^dmalab asm: the binary of a program read from stdin needs -o OUT \('-o -' for stdout\)$/m);
  assert.match(stdin('DMAEND\n', '--format', 'c').stdout, /static const uint8_t program\[1\]/);

  const src = join(work, 'bounds.pl330');
  writeFileSync(src, '.channel 0x1000\nDMAFOO\n');
  for (const [flag, value, name] of [['--format', 'c', '--format'], ['-o', 'x.bin', '-o']]) {
    const r = dmalab('asm', src, '--bounds', flag, value);
    assert.equal(r.status, 2, flag);
    assert.match(r.stderr, new RegExp(`^dmalab asm: --bounds prints the ranges instead of an output: drop ${name}\\n`), 'the usage error comes first, before the assembler');
  }
  assert.match(dmalab('asm', src, '--window', '0x0:16').stderr, /^dmalab asm: --window goes with --bounds\n/);
});
