// Finding a kernel Image's EHABI unwind index by its structure, on images built here: random bytes (code and data
// that are not an index) with an index of entries as the linker lays them out (sorted prel31 offsets back to the
// functions, then EXIDX_CANTUNWIND, inline compact entries or prel31 offsets to an .ARM.extab after the index), at
// an image base only the symbols tell. (Debian's 6.1 Image is the end-to-end case: test/debugger/kernel-unwind.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CANT_UNWIND } from '../../../emulator/elf/arm-exidx';
import { findUnwindIndex } from '../../../emulator/linux/unwind-index';
import { Random } from '../../support/random';

const BASE = 0xc0208000;
const FUNCTIONS = 600;
const INDEX_AT = 0x40000;
const EXTAB_AT = 0x48000;

/** An image whose functions start every 0x40 bytes from 0x1000 (some without an entry, as assembly may be), the
 * index at INDEX_AT; returns it with the functions' virtual addresses. */
function image(seed: number): { bytes: Uint8Array; functions: number[]; entries: number } {
  const random = new Random(seed);
  const bytes = random.bytes(0x60000);
  const view = new DataView(bytes.buffer);
  const functions: number[] = [];
  let entries = 0;
  for (let i = 0; i < FUNCTIONS; i++) {
    const offset = 0x1000 + 0x40 * i;
    functions.push(BASE + offset);
    if (i % 7 === 3) continue;
    const at = INDEX_AT + 8 * entries++;
    view.setUint32(at, (offset - at) & 0x7fffffff, true);
    const kind = random.int(3);
    const data = kind === 0 ? CANT_UNWIND : kind === 1 ? 0x80a8b0b0 : ((EXTAB_AT + 4 * i - (at + 4)) & 0x7fffffff);
    view.setUint32(at + 4, data, true);
  }
  // What follows the index is not an entry (a zero word, as the section's padding).
  view.setUint32(INDEX_AT + 8 * entries, 0, true);
  return { bytes, functions, entries };
}

test('the unwind index of an image is found by its structure and placed by the symbols', () => {
  for (const seed of [1, 2, 3]) {
    const { bytes, functions, entries } = image(seed);
    const found = findUnwindIndex(bytes, functions);
    assert.deepEqual(found, { start: BASE + INDEX_AT, end: BASE + INDEX_AT + 8 * entries }, `seed ${seed}`);
  }
});

test('no index: too few entries, or symbols the entries do not land on', () => {
  const { bytes, functions } = image(4);
  // (A uniform shift of every symbol is only another base: another kernel's functions are laid out differently.)
  assert.equal(findUnwindIndex(bytes, functions.map((f, i) => f + 4 * i)), undefined, 'symbols of another kernel');
  const small = image(5).bytes;
  new Uint8Array(small.buffer).fill(0xff, INDEX_AT + 8 * 200, INDEX_AT + 8 * FUNCTIONS);
  assert.equal(findUnwindIndex(small, functions), undefined, '200 entries are not a kernel\'s index');
});
