// Output formats: the image, Intel HEX (parsed back record by record), the C array and the listing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../server/pl330/assembler';
import { toCArray, toImage, toIntelHex, toListing } from '../../../server/pl330/output';

const SOURCE = `.manager 0x0000fff8
    DMAGO C0, copy
    DMAEND
.channel 0x00010100
copy:
    DMAMOV SAR, 0x1000
    DMAEND
`;

test('the image spans all programs with zero gaps', () => {
  const r = assemble(SOURCE);
  assert.equal(r.errorCount, 0);
  const image = toImage(r.programs);
  assert.equal(image.base, 0xfff8);
  assert.equal(image.bytes.length, 0x10100 + 7 - 0xfff8);
  assert.equal(Buffer.from(image.bytes.subarray(0, 7)).toString('hex'), 'a00000010100' + '00');
  assert.equal(image.bytes[0x10100 - 0xfff8], 0xbc);
});

test('Intel HEX: valid checksums, extended addresses, records split at 64 KiB, data matches', () => {
  const r = assemble(SOURCE);
  const hex = toIntelHex(r.programs);
  const memory = new Map<number, number>();
  let upper = 0;
  let sawEof = false;
  for (const line of hex.trim().split('\n')) {
    assert.match(line, /^:[0-9A-F]+$/);
    const bytes = Buffer.from(line.slice(1), 'hex');
    assert.equal(bytes.reduce((a, b) => a + b, 0) & 0xff, 0, `checksum of ${line}`);
    const [count, hi, lo, type] = bytes;
    assert.equal(bytes.length, count + 5);
    const data = bytes.subarray(4, 4 + count);
    if (type === 4) upper = data.readUInt16BE(0);
    else if (type === 0) data.forEach((b, i) => memory.set(upper * 0x10000 + ((hi << 8) | lo) + i, b));
    else if (type === 1) sawEof = true;
    if (type === 0) assert.ok(((hi << 8) | lo) + count <= 0x10000, 'a record never crosses 64 KiB');
  }
  assert.ok(sawEof);
  for (const p of r.programs) p.bytes.forEach((b, i) => assert.equal(memory.get(p.base + i), b));
  assert.equal(memory.size, r.programs.reduce((a, p) => a + p.bytes.length, 0));
});

test('C array: one array per program with its base', () => {
  const c = toCArray(assemble(SOURCE).programs, 'my-prog');
  assert.match(c, /#define MY_PROG_0_BASE 0x0000fff8u/);
  assert.match(c, /static const uint8_t my_prog_1\[7\] = \{\n    0xbc, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,\n\};/);
});

test('listing: address and bytes beside every source line', () => {
  const r = assemble(SOURCE);
  const lines = toListing(r, SOURCE).split('\n');
  assert.equal(lines[1], '0000fff8  a0 00 00 01 01 00   ' + '    DMAGO C0, copy');
  assert.equal(lines[4], ' '.repeat(30) + 'copy:');
  assert.equal(lines[5], '00010100  bc 00 00 10 00 00   ' + '    DMAMOV SAR, 0x1000');
});
