// Every DMA-330 instruction and variant against golden bytes. Each row names where its bytes were cross-checked
// (keys as in ../shared/reference/pl330-isa.md §0):
//   QEMU  = qemu/qemu hw/dma/pl330.c opcode table and the qtest run in qemu-and-toolchains.md
//   LNX   = torvalds/linux drivers/dma/pl330.c _emit_* helpers
//   ALT   = Altera HWLIB alt_dma_program.c (FreeRTOS demo tree), DMA-330 TRM syntax comments
//   DIS   = TuxSH/cdma330disas cdma330disas.py
//   GBATEK= nocash CoreLink DMA opcode summary
//   RK/JOY= Linux microcode dumps in the Rockchip and Google pl330 patches; N3DS = libn3ds lgycap program
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../server/pl330/assembler';
import { INSTRUCTIONS, SPECS_BY_MNEMONIC } from '../../../emulator/pl330/isa';

interface Golden {
  readonly source: string;
  readonly hex: string;
  readonly sources: string;
  readonly thread?: 'manager' | 'channel';
}

const GOLDEN: readonly Golden[] = [
  { source: 'DMAADDH SAR, 0x1234', hex: '543412', sources: 'QEMU, LNX-old _emit_ADDH, ALT, DIS' },
  { source: 'DMAADDH DAR, 2432', hex: '568009', sources: 'QEMU, ALT, DIS' },
  { source: 'DMAADNH SAR, -16', hex: '5cf0ff', sources: 'QEMU (imm | 0xffff0000), GBATEK, DIS' },
  { source: 'DMAADNH DAR, -65536', hex: '5e0000', sources: 'QEMU, GBATEK' },
  { source: 'DMAEND', hex: '00', sources: 'QEMU, LNX, ALT, GBATEK' },
  { source: 'DMAFLUSHP P3', hex: '3518', sources: 'QEMU, LNX, ALT' },
  { source: 'DMAGO C0, 0x1000', hex: 'a00000100000', sources: 'QEMU qtest (DBGINST0 0x00A00000), LNX, ALT', thread: 'manager' },
  { source: 'DMAGO C2, 0x20000000, ns', hex: 'a20200000020', sources: 'QEMU qtest (DBGINST0 0x02A20000), LNX, DIS', thread: 'manager' },
  { source: 'DMAKILL', hex: '01', sources: 'QEMU, LNX, GBATEK' },
  { source: 'DMALD', hex: '04', sources: 'QEMU, LNX, ALT' },
  { source: 'DMALDS', hex: '05', sources: 'QEMU, LNX, ALT' },
  { source: 'DMALDB', hex: '07', sources: 'QEMU, LNX, ALT' },
  { source: 'DMALDPS P1', hex: '2508', sources: 'QEMU, LNX _emit_LDP, ALT' },
  { source: 'DMALDPB 3', hex: '2718', sources: 'QEMU, LNX, ALT' },
  { source: 'DMALP 16\nDMANOP\nDMALPEND', hex: '200f' + '18' + '3801', sources: 'QEMU, LNX (cnt - 1), ALT' },
  { source: 'DMALP LC1, 256\nDMANOP\nDMALPEND', hex: '22ff' + '18' + '3c01', sources: 'QEMU, LNX, ALT' },
  { source: 'DMALP 4\nDMALD\nDMAST\nDMALPEND', hex: '2003040838' + '02', sources: 'QEMU qtest worked program, LNX _loop' },
  { source: 'DMALP 2\nDMALP 3\nDMALD\nDMALPEND\nDMALPEND', hex: '200122020' + '43c013805', sources: 'LNX (outer DMALPEND jumps to the inner DMALP), ALT' },
  { source: 'DMALP LC1, 2\nDMALDS\nDMALPENDS', hex: '220105' + '3d01', sources: 'QEMU mask {0x28,0xE8}, GBATEK, ALT' },
  { source: 'DMALP 2\nDMALDB\nDMALPENDB', hex: '200107' + '3b01', sources: 'QEMU, GBATEK, ALT' },
  { source: 'DMALP LC1, 2\nDMANOP\nDMALPENDB LC1', hex: '220118' + '3f01', sources: 'QEMU, GBATEK' },
  { source: 'DMALP 12\nDMAFLUSHP 0\nDMAWFP 0, single\nDMASTPS 0\nDMALPEND', hex: '200b' + '3500' + '3000' + '2900' + '3806', sources: 'JOY dump (DMALP_0 11 ... DMALPENDA_0 bjmpto_6)' },
  { source: 'DMALPFE\nDMAWFP P0, burst\nDMALDB\nDMASTB\nDMALPEND', hex: '3200070b' + '2c04', sources: 'GBATEK (2Ch), Renode, RK patch (_emit_LPEND forever, loop 1)' },
  { source: 'DMALPFE\nDMALD\nDMAST\nDMALPEND LC0', hex: '0408' + '2802', sources: 'ALT, dma330as, N3DS lgycap (28 0E)' },
  { source: 'DMAMOV SAR, 0x2000', hex: 'bc0000200000', sources: 'QEMU qtest worked program, LNX _emit_MOV' },
  { source: 'DMAMOV DAR, 0x3000', hex: 'bc0200300000', sources: 'QEMU qtest worked program, LNX' },
  { source: 'DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI', hex: 'bc0135400d00', sources: 'QEMU qtest worked program (CCR 0x000d4035), XIL, TRM example' },
  { source: 'DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI', hex: 'bc01f7c03d00', sources: 'LNX memcpy CCR 0x003dc0f7' },
  { source: 'DMAMOV CCR, SB8 SS32 SAI SP2 DB8 DS32 DAF DP2', hex: 'bc0175029d00', sources: 'RK dump CCR 0x009d0275' },
  { source: 'DMAMOV CCR, SB16 SS64 SAF SP2 DB16 DS64 DAI DP2', hex: 'bc01f6c2bd00', sources: 'N3DS lgycap CCR 0x00bdc2f6' },
  { source: 'DMAMOV CCR, SS8', hex: 'bc0101400000', sources: 'ALT defaults SB1 SS8 SAI DB1 DS8 DAI = 0x00004001' },
  { source: 'DMAMOV CCR, 0x000d4035', hex: 'bc0135400d00', sources: 'numeric CCR' },
  { source: 'DMANOP', hex: '18', sources: 'QEMU, LNX, ALT' },
  { source: 'DMARMB', hex: '12', sources: 'QEMU, LNX, ALT' },
  { source: 'DMAWMB', hex: '13', sources: 'QEMU qtest worked program, LNX' },
  { source: 'DMASEV 0', hex: '3400', sources: 'QEMU qtest worked program, LNX' },
  { source: 'DMASEV E15', hex: '3478', sources: 'QEMU, LNX (ev << 3)' },
  { source: 'DMAST', hex: '08', sources: 'QEMU, LNX, ALT' },
  { source: 'DMASTS', hex: '09', sources: 'QEMU, LNX, ALT' },
  { source: 'DMASTB', hex: '0b', sources: 'QEMU, LNX, ALT' },
  { source: 'DMASTPS P2', hex: '2910', sources: 'QEMU (dmastp before dmalpend), LNX, ALT' },
  { source: 'DMASTPB P0', hex: '2b00', sources: 'QEMU, LNX, ALT' },
  { source: 'DMASTZ', hex: '0c', sources: 'QEMU, GBATEK, U-Boot dma330' },
  { source: 'DMAWFE 5', hex: '3628', sources: 'QEMU, ALT, GBATEK' },
  { source: 'DMAWFE E5, invalid', hex: '362a', sources: 'QEMU (args & 5 reserved), ALT, DIS' },
  { source: 'DMAWFP 3, single', hex: '3018', sources: 'QEMU, LNX _emit_WFP, ALT' },
  { source: 'DMAWFP P3, burst', hex: '3218', sources: 'QEMU, LNX, ALT' },
  { source: 'DMAWFP P1, periph', hex: '3108', sources: 'QEMU, LNX, ALT' },
];

for (const g of GOLDEN) {
  test(`encodes ${g.source.replace(/\n/g, '; ')}`, () => {
    const program = `.${g.thread ?? 'channel'} 0\n${g.source}\nDMAEND\n`;
    const r = assemble(program);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(errors, [], `no errors expected (sources: ${g.sources})`);
    const hex = Buffer.from(r.programs[0].bytes).toString('hex');
    assert.equal(hex, g.hex + '00', `bytes of '${g.source}' (sources: ${g.sources})`);
  });
}

test('the golden table covers every mnemonic of the instruction table', () => {
  const covered = new Set(GOLDEN.flatMap((g) => g.source.split('\n').map((l) => l.trim().split(/\s/)[0].toUpperCase())));
  for (const mnemonic of SPECS_BY_MNEMONIC.keys()) assert.ok(covered.has(mnemonic), `${mnemonic} has a golden encoding`);
  assert.ok(covered.has('DMALPFE'));
  assert.equal(INSTRUCTIONS.filter((s) => s.forever && s.condition === 'always').length, 1);
});

test('case-insensitive mnemonics, registers and keywords', () => {
  const r = assemble('dmamov ccr, sb4 ss32 sai db4 ds32 dai\ndmalp lc1, 2\ndmald\ndmalpend\ndmaend');
  assert.equal(r.errorCount, 0);
  assert.equal(Buffer.from(r.programs[0].bytes).toString('hex'), 'bc0135400d00' + '2201' + '04' + '3c01' + '00');
});
