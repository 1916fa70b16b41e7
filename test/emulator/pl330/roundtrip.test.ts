// Disassembler: every first byte with random operand bytes, and random byte streams, disassemble to text that
// assembles back to the same bytes; no input makes it throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../server/pl330/assembler';
import { decodeInstruction, disassemble, formatDisassembly } from '../../../emulator/pl330/disasm';
import { OPCODES } from '../../../emulator/pl330/isa';
import { Random } from '../../support/random';

function roundTrip(bytes: Uint8Array, base: number, thread?: 'manager' | 'channel'): void {
  const text = formatDisassembly(disassemble(bytes, { base, thread }));
  const r = assemble(text, { config: { peripherals: 32, events: 32, dataWidth: 128, revision: 3 } });
  // No error at all, the loop checks included: whatever the disassembler prints reassembles.
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), [], text);
  const out = new Uint8Array(bytes.length);
  for (const p of r.programs) out.set(p.bytes, p.base - base);
  assert.equal(Buffer.from(out).toString('hex'), Buffer.from(bytes).toString('hex'), text);
}

test('every first byte, with random operand bytes, round-trips (both thread kinds)', () => {
  const rng = new Random(330);
  for (let byte0 = 0; byte0 < 256; byte0++) {
    for (let k = 0; k < 24; k++) {
      const bytes = rng.bytes(6);
      bytes[0] = byte0;
      // Keep operand fields in the valid ranges often, so valid encodings are well covered.
      if (k % 2 === 0) bytes[1] &= 0xfb;
      const length = OPCODES[byte0].spec?.length ?? OPCODES[byte0].invalid?.length ?? 1;
      const instr = bytes.subarray(0, length);
      roundTrip(instr, 0x1000 + rng.int(0x1000) * 16, k % 3 === 0 ? 'manager' : 'channel');
    }
  }
});

test('random byte streams round-trip and decode without throwing', () => {
  const rng = new Random(0x5eed);
  for (let k = 0; k < 300; k++) {
    const bytes = rng.bytes(1 + rng.int(120));
    roundTrip(bytes, rng.int(2) ? 0 : (rng.next() & ~0xfff) >>> 0);
  }
});

test('loop instructions the assembler would refuse are written as .byte: a DMALPEND naming another counter, an unclosed DMALP, a reused counter', () => {
  // DMALP LC0, 4 closed by a DMALPEND of LC1 (a user's report): the end cannot be written as an instruction.
  roundTrip(Buffer.from('20033c0100', 'hex'), 0);
  const text = formatDisassembly(disassemble(Buffer.from('20033c0100', 'hex'), { base: 0 }));
  assert.match(text, /\.byte 0x3c, 0x01 .*DMALPEND LC1/);
  assert.match(text, /\.byte 0x20, 0x03 .*DMALP LC0, 4/, 'the DMALP it leaves unclosed too');
  roundTrip(Buffer.from('2003200338020000', 'hex'), 0x100); // DMALP LC0 twice, one DMALPEND
  roundTrip(Buffer.from('2003', 'hex'), 0); // never closed
  roundTrip(Buffer.from('20032203240338023c0600', 'hex'), 0); // three counted loops deep
});

test('random byte streams made of loop instructions round-trip', () => {
  const rng = new Random(0x100b);
  const pieces = [[0x20], [0x22], [0x38], [0x3c], [0x28], [0x2c], [0x18], [0x04], [0x08]];
  for (let k = 0; k < 400; k++) {
    const out: number[] = [];
    for (let n = 1 + rng.int(12); n > 0; n--) {
      const op = pieces[rng.int(pieces.length)][0];
      out.push(op);
      if (op >= 0x20) out.push(rng.int(2) ? rng.int(out.length + 1) : rng.int(256));
    }
    roundTrip(Uint8Array.from(out), rng.int(2) ? 0 : 0x2000);
  }
});

test('decoding classifies undefined opcodes, invalid operands and truncation', () => {
  const d = (hex: string) => decodeInstruction(Buffer.from(hex, 'hex'), 0, 0x100);
  assert.equal(d('ff').invalidKind, 'undef');
  assert.equal(d('06').invalidKind, 'operand');
  assert.equal(d('3401').invalidKind, 'operand', 'reserved bits of DMASEV byte 1');
  assert.equal(d('bc0300000000').invalidKind, 'operand', 'DMAMOV rd = 3');
  assert.equal(d('bc01').invalidKind, 'truncated');
  assert.equal(d('2b00').spec?.mnemonic, 'DMASTPB', 'DMASTP wins over the DMALPEND pattern');
  assert.equal(d('2c05').spec?.forever, true);
  assert.equal(d('2805').spec?.forever, true, '0x28 forever end decodes too');
});

test('loop targets get labels in the disassembly', () => {
  const r = assemble('.channel 0x2000\nDMALP 4\nDMALD\nDMAST\nDMALPEND\nDMAEND');
  const text = formatDisassembly(disassemble(r.programs[0].bytes, { base: 0x2000 }));
  assert.match(text, /^L_00002002:$/m);
  assert.match(text, /DMALPEND LC0, L_00002002/);
  assert.match(text, /^\.channel 0x00002000$/m);
});
