// The ARM disassembler against GNU objdump: every instruction of the programs' own C functions must read exactly as
// objdump prints it, and the match rate over all of .text (static glibc: A32, T32, VFP, some NEON and FPA that
// dmalab does not decode) must stay high. Random encodings never throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { disassembleA32, disassembleT32 } from '../../emulator/cpu/disasm';
import { compareWithObjdump, objdumpAvailable, type Mismatch } from './objdump';
import { ROOT, VARIANTS, compile, toolchainAvailable } from './toolchain';

const MIN_RATE = 0.995;
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
      check(compile(join(ROOT, 'test', 'cpu', 'programs', file), variant, ['-g']), file, `${file} ${variant.name}`);
    });
  }
}

test('random A32 words and Thumb halfword pairs never throw and always give text', () => {
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  for (let i = 0; i < 200_000; i++) {
    const word = random();
    assert.notEqual(disassembleA32(word, 0x10000 + i * 4), '');
    const d = disassembleT32(word >>> 16, word & 0xffff, 0x10000 + i * 2, i % 7 === 0 ? 0x18 : 0);
    assert.notEqual(d.text, '');
    assert.ok(d.length === 2 || d.length === 4);
  }
});
