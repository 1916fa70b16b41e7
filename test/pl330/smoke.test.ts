import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../server/pl330/assembler';

test('the QEMU worked memcpy program assembles to the bytes QEMU ran', () => {
  const r = assemble(`.channel 0x1000
    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI
    DMAMOV SAR, 0x2000
    DMAMOV DAR, 0x3000
    DMALP 4
    DMALD
    DMAST
    DMALPEND
    DMAWMB
    DMASEV 0
    DMAEND`);
  assert.equal(r.errorCount, 0, JSON.stringify(r.diagnostics));
  assert.deepEqual(
    Buffer.from(r.programs[0].bytes).toString('hex'),
    'bc0135400d00bc0000200000bc0200300000200304083802133400' + '00',
  );
});

test('a program whose first line is a label, after a program that ended, is not reported as missing DMAEND', () => {
  const r = assemble('.channel 0x100\nfirst:\n    DMAEND\n.equ N, 1\n.channel 0x200\nsecond:\n    DMAEND\n');
  assert.deepEqual(r.diagnostics, []);
});
