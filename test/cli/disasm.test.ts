// The ARM disassembler against GNU objdump: every instruction of the programs' own C functions must read exactly as
// objdump prints it, and so must nearly all of .text (static glibc: A32, T32, VFP, the NEON of its string routines,
// FPA in setjmp; 100% when written). Random encodings never throw, and where dmalab decodes them objdump agrees.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disassembleA32, disassembleRange, disassembleT32 } from '../../emulator/cpu/disasm';
import { parseArgs } from '../../cli/args';
import { disasmCommand } from '../../cli/disasm';
import { compareWithObjdump, objdumpAvailable, objdumpListing, objdumpRaw, type Mismatch } from '../support/objdump';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../support/toolchain';

const MIN_RATE = 0.999;
const show = (list: readonly Mismatch[]): string => list.slice(0, 15).map((m) => `  ${m.address.toString(16)}: objdump '${m.objdump}' dmalab '${m.dmalab}'`).join('\n');

function check(program: string, source: string, label: string): void {
  const c = compareWithObjdump(program, source);
  const rate = c.matched / c.total;
  console.log(`${label}: ${c.matched}/${c.total} instructions as objdump (${(rate * 100).toFixed(2)}%), own ${c.ownMatched}/${c.own}`);
  assert.ok(c.own > 50, `expected the program's own functions in the line table (got ${c.own} instructions)`);
  assert.equal(c.ownMismatches.length, 0, `own functions differ from objdump:\n${show(c.ownMismatches)}`);
  assert.ok(rate >= MIN_RATE, `match rate ${(rate * 100).toFixed(2)}% < ${MIN_RATE * 100}%; first mismatches:\n${show(c.mismatches)}`);
}

const skip = !objdumpAvailable() && 'arm-linux-gnueabihf-objdump is not installed';

test('examples/vfio-pl330 (armhf Thumb-2, -g) disassembles as objdump does', { skip }, () => {
  check(join(ROOT, 'examples', 'vfio-pl330', 'vfio-pl330'), 'vfio-pl330.c', 'examples/vfio-pl330');
});

for (const variant of VARIANTS) {
  for (const file of ['integer.c', 'float.c']) {
    test(`${file} (${variant.name}) disassembles as objdump does`, { skip: skip || (!toolchainAvailable(variant) && `${variant.compiler} is not installed`) }, () => {
      check(compile(join(ROOT, 'test', 'emulator', 'cpu', 'programs', file), variant, ['-g']), file, `${file} ${variant.name}`);
    });
  }
}

test('dmalab disasm PROGRAM --function main lists main as objdump does (literal pools left out)', { skip }, () => {
  const program = join(ROOT, 'examples', 'vfio-pl330', 'vfio-pl330');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dmalab'), 'disasm', program, '--function', 'main'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const expected = objdumpListing(program).filter((l) => l.function === 'main' && !l.text.startsWith('.word'));
  assert.equal(lines[0], `${expected[0].address.toString(16).padStart(8, '0')} <main>:`);
  assert.deepEqual(lines.slice(1), expected.map((l) => `${l.address.toString(16).padStart(8)}:\t${l.text}`));
  const missing = spawnSync(process.execPath, [join(ROOT, 'bin', 'dmalab'), 'disasm', program, '--function', 'no_such_function'], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no function 'no_such_function' in the symbol table/);
});

/** Deterministic pseudo-random words (xorshift32). */
function randomWords(count: number, seed: number): Uint32Array {
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    words[i] = seed >>> 0;
  }
  return words;
}

test('random A32 words and Thumb halfword pairs never throw and always give text', () => {
  const words = randomWords(200_000, 0x2545f491);
  words.forEach((word, i) => {
    assert.notEqual(disassembleA32(word, 0x10000 + i * 4), '');
    const d = disassembleT32(word >>> 16, word & 0xffff, 0x10000 + i * 2, i % 7 === 0 ? 0x18 : 0);
    assert.notEqual(d.text, '');
    assert.ok(d.length === 2 || d.length === 4);
  });
});

// Random bytes reach encodings compilers never emit (SBZ fields set, UNPREDICTABLE forms, coprocessors, NEON): where
// dmalab names an instruction rather than `.inst ... ; undefined`, objdump must read the same instruction.
for (const thumb of [false, true]) {
  test(`random ${thumb ? 'Thumb' : 'A32'} code: what dmalab decodes reads as objdump reads it`, { skip }, () => {
    const words = randomWords(30_000, thumb ? 0x7f4a7c15 : 0x9e3779b9);
    const bytes = new Uint8Array(words.buffer);
    const directory = mkdtempSync(join(tmpdir(), 'dmalab-disasm-'));
    const file = join(directory, 'random.bin');
    writeFileSync(file, bytes);
    const reference = objdumpRaw(file, thumb);
    rmSync(directory, { recursive: true, force: true });
    const view = new DataView(bytes.buffer);
    const ours = disassembleRange((a) => (a + 2 <= bytes.length ? view.getUint16(a, true) : undefined), 0, bytes.length, thumb);
    const decoded = ours.filter((d) => !d.text.startsWith('.inst') && reference.has(d.address));
    const differing = decoded.filter((d) => reference.get(d.address) !== d.text).map((d) => ({ address: d.address, objdump: reference.get(d.address)!, dmalab: d.text }));
    const rate = 1 - differing.length / decoded.length;
    console.log(`random ${thumb ? 'Thumb' : 'A32'}: ${decoded.length}/${ours.length} decoded, ${(rate * 100).toFixed(2)}% as objdump`);
    assert.ok(rate >= 0.995, `${(rate * 100).toFixed(2)}% < 99.5%:\n${show(differing)}`);
  });
}

test('dmalab disasm on damaged copies of the example executable: a listing or a clear error, never a crash', () => {
  const elf = readFileSync(join(ROOT, 'examples', 'vfio-pl330', 'vfio-pl330'));
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-disasm-'));
  const sectionHeaders = elf.readUInt32LE(32);
  let seed = 0x330;
  const random = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed % n);
  try {
    for (let i = 0; i < 40; i++) {
      const file = join(dir, `damaged-${i}`);
      const truncated = i % 2 === 0;
      let bytes: Uint8Array;
      if (truncated) bytes = elf.subarray(0, 64 + random(sectionHeaders - 64)); // cut before the section headers
      else {
        bytes = Uint8Array.from(elf);
        for (let k = 0; k < 1 + random(8); k++) bytes[i % 4 === 1 ? random(64) : sectionHeaders + random(elf.length - sectionHeaders)] = random(256);
      }
      writeFileSync(file, bytes);
      let stderr = '';
      const status = disasmCommand.run(parseArgs([file], disasmCommand.flags), { stdout: () => {}, stderr: (t) => (stderr += t) });
      assert.ok(status === 0 || status === 1, `status ${String(status)}`);
      if (truncated) {
        assert.equal(status, 1);
        assert.match(stderr, new RegExp(`^dmalab disasm: ${file}: malformed ARM ELF: .+\\n$`));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
