// Each assembler check (and each program check after it) fires with its code, severity and 1-based position, and all
// errors are reported at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../../server/pl330/assembler';
import { PL330_CHECKS } from '../../../server/pl330/diagnostics';
import { programBounds, withProgramDiagnostics } from '../../../server/pl330/program-checks';

/** Assembles src and returns "line:col code" for every diagnostic (1-based). */
function diags(src: string, options = {}): string[] {
  const result = assemble(src, options);
  return withProgramDiagnostics(result, result.errorCount > 0 ? [] : programBounds(result)).map((d) => `${d.line + 1}:${d.col + 1} ${d.code}`);
}

const CASES: [string, string, string[]][] = [
  ['unknown mnemonic', 'DMAFOO\nDMAEND', ['1:1 unknown-mnemonic']],
  ['unknown operand', 'DMAMOV XAR, 1\nDMAEND', ['1:8 unknown-operand']],
  ['wrong operand count', 'DMAMOV SAR\nDMAEND', ['1:1 operand-count']],
  ['immediate out of range', 'DMAADDH SAR, 0x10000\nDMAEND', ['1:14 out-of-range']],
  ['loop count 0', 'DMALP 0\nDMANOP\nDMALPEND\nDMAEND', ['1:7 loop-count']],
  ['loop count 257', 'DMALP 257\nDMANOP\nDMALPEND\nDMAEND', ['1:7 loop-count']],
  ['DMALPEND without a loop', 'DMANOP\n  DMALPEND\nDMAEND', ['2:3 unmatched-loop-end']],
  ['three nested counted loops', 'DMALP 2\nDMALP 2\nDMALP 2\nDMANOP\nDMALPEND\nDMALPEND\nDMALPEND\nDMAEND', ['3:1 loops-too-deep']], // one error: its DMALPEND closes the refused loop
  ['counter named twice', 'DMALP LC0, 2\nDMALP LC0, 3\nDMANOP\nDMALPEND\nDMALPEND\nDMAEND', ['2:1 counter-in-use']],
  ['a refused loop left open adds nothing', 'DMALP 2\nDMALP 2\nDMALP 2\nDMANOP\nDMALPEND\nDMALPEND\nDMAEND', ['3:1 loops-too-deep', '1:1 unclosed-loop']],
  ['DMALPEND names the wrong counter', 'DMALP 2\nDMANOP\nDMALPEND LC1\nDMAEND', ['3:1 loop-counter-mismatch']],
  ['unclosed loop', 'DMALP 2\nDMANOP\nDMAEND', ['1:1 unclosed-loop']],
  ['manager-only instruction in a channel program', '.channel 0\nDMAGO C0, 0\nDMAEND', ['2:1 wrong-thread']],
  ['channel-only instruction in a manager program', '.manager 0\nDMALD\nDMAEND', ['2:1 wrong-thread']],
  ['burst wider than the bus', 'DMAMOV CCR, SS128 DS64\nDMAEND', ['1:13 burst-too-wide']],
  ['numeric CCR wider than a 32-bit bus', '.data_width 32\nDMAMOV CCR, 0x000d4037\nDMAEND', ['2:13 burst-too-wide']],
  ['reserved size in a numeric CCR', 'DMAMOV CCR, 0x0000000a\nDMAEND', ['1:13 reserved-size']],
  ['bad CCR word', 'DMAMOV CCR, SB4 SS33\nDMAEND', ['1:17 ccr-field']],
  ['CCR field twice', 'DMAMOV CCR, SB4 SB8\nDMAEND', ['1:17 ccr-duplicate']],
  ['event beyond the configured count', 'DMASEV 16\nDMAEND', ['1:8 event-range']],
  ['peripheral beyond the configured count', 'DMAFLUSHP P4\nDMAEND', ['1:11 peripheral-range']],
  ['channel beyond the configured count', '.channels 4\n.manager 0\nDMAGO C4, 0\nDMAEND', ['3:7 channel-range']],
  ['code after DMAEND', 'DMAEND\nDMANOP', ['2:1 code-after-end']],
  ['a label after DMAEND starts another program', 'DMAEND\nsecond:\nDMANOP\nDMAEND', []],
  ['program without DMAEND', '.channel 0x100\nDMANOP', ['2:1 missing-end']],
  ['forever loop needs no DMAEND', 'DMALPFE\nDMANOP\nDMALPEND', []],
  ['undefined symbol', 'DMAMOV SAR, nowhere\nDMAEND', ['1:13 undefined-symbol']],
  ['duplicate label', 'a:\nDMANOP\na:\nDMAEND', ['3:1 duplicate-symbol']],
  ['circular constants', '.equ A, B + 1\n.equ B, A\nDMAMOV SAR, A\nDMAEND', ['2:9 circular-symbol']],
  ['division by zero', 'DMAMOV SAR, 4 / (2 - 2)\nDMAEND', ['1:15 expression']],
  ['DMAADNH on r0p0', '.revision 0\nDMAADNH SAR, -4\nDMAEND', ['2:1 revision']],
  ['unterminated comment', 'DMANOP /* never closed\nDMAEND', ['1:8 syntax', '1:1 missing-end']],
  ['bad character', 'DMANOP @\nDMAEND', ['1:8 syntax', '1:1 operand-count']],
  ['overlapping programs', '.channel 0\nDMANOP\nDMANOP\nDMAEND\n.channel 2\nDMAEND', ['5:1 overlap']],
  ['bad config directive', '.data_width 48\nDMAEND', ['1:13 bad-directive']],
  ['an empty file', '; nothing but a comment\n', ['1:1 no-program']],
  ['an invalid number is reported once, not again by the expression', 'DMAMOV SAR, 0xzz\nDMAEND', ['1:13 syntax']],
  ['a copy over its own source', '.channel 0x100\nDMAMOV CCR, SB1 SS32 DB1 DS32\nDMAMOV SAR, 0x2000\nDMAMOV DAR, 0x2002\nDMALD\nDMAST\nDMAEND', ['6:1 bounds-overlap']],
  ['a read outside the declared buffers', '.buffer buf, 0x2000, 4\n.channel 0x100\nDMAMOV CCR, SB2 SS32 DB1 DS32\nDMAMOV SAR, buf\nDMAMOV DAR, buf\nDMALD\nDMAST\nDMAEND', ['6:1 bounds-outside-buffer', '7:1 bounds-overlap']],
  ['a store over the program', '.channel 0x100\nDMAMOV CCR, SB1 SS32 DB1 DS32\nDMAMOV DAR, 0x104\nDMASTZ\nDMAEND', ['4:1 bounds-writes-code']],
  ['DMASEV after stores in a peripheral program', '.channel 0x100\nDMAMOV CCR, SB1 SS32 DB1 DS32\nDMAMOV DAR, 0x2000\nDMAWFP P0, single\nDMASTZ\nDMASEV 0\nDMAEND', ['6:1 missing-wmb']],
  ['a buffer without a size', '.buffer buf, 0x2000\nDMAEND', ['1:1 bad-directive']],
  ['conditional forever end is unverified', 'DMALPFE\nDMAWFP 0, single\nDMALDS\nDMALPENDS', ['4:1 unverified-encoding']],
];

for (const [name, src, expected] of CASES) {
  test(`check: ${name}`, () => {
    assert.deepEqual(diags(src).sort(), [...expected].sort());
  });
}

test('messages: near-miss mnemonics and directives get a suggestion; large values are hex', () => {
  const message = (src: string): string => assemble(src).diagnostics[0].message;
  assert.equal(message('DMALDSP P1\nDMAEND'), "unknown instruction or directive 'DMALDSP'; did you mean 'DMALDPS'?");
  assert.equal(message('DMAMOVE SAR, 1\nDMAEND'), "unknown instruction or directive 'DMAMOVE'; did you mean 'DMAMOV'?");
  assert.equal(message('.chanel 0x1000\nDMAEND'), "unknown instruction or directive '.chanel'; did you mean '.channel'?");
  assert.equal(message('DMAFOO\nDMAEND'), "unknown instruction or directive 'DMAFOO'");
  assert.equal(message('DMAMOV SAR, 0x1ffffffff\nDMAEND'), 'immediate 0x1ffffffff is out of range -0x80000000..0xffffffff');
  assert.equal(message('DMASEV 0x123456789\nDMAEND'), 'event 0x123456789 is out of range 0..31');
});

test('every check code in the table is exercised above or is the internal one', () => {
  const exercised = new Set(CASES.flatMap(([, , e]) => e.map((x) => x.split(' ')[1])));
  const untested = [...PL330_CHECKS.keys()].filter((c) => !exercised.has(c));
  assert.deepEqual(untested.sort(), ['empty-program', 'forever-nested', 'internal', 'jump-target', 'jump-too-far', 'swap-wider-than-beat', 'target-mismatch'].sort());
});

test('a backward jump beyond 255 bytes says by how much', () => {
  const body = 'DMAMOV SAR, 0\n'.repeat(43); // 258 bytes
  const r = assemble(`DMALP 2\n${body}DMALPEND\nDMAEND`);
  const d = r.diagnostics.find((x) => x.code === 'jump-too-far');
  assert.ok(d);
  assert.equal(d.message, 'backward jump of 258 bytes exceeds the 255-byte limit by 3');
  assert.equal(d.line, 44);
});

test('explicit loop targets: earlier than the body warns, after the DMALPEND errors', () => {
  assert.deepEqual(diags('top:\nDMALP 2\nDMANOP\nDMALPEND LC0, top\nDMAEND'), ['4:15 target-mismatch']);
  assert.deepEqual(diags('DMANOP\nDMALPEND LC0, later\nlater:\nDMAEND'), ['2:1 jump-target']);
});

test('two forever loops may not nest; swap wider than a beat warns; an empty section warns', () => {
  assert.deepEqual(diags('DMALPFE\nDMALPFE\nDMANOP\nDMALPEND\nDMALPEND'), ['2:1 forever-nested']);
  assert.deepEqual(diags('DMAMOV CCR, SS16 DS32 ES32\nDMAEND'), ['1:13 swap-wider-than-beat']);
  assert.deepEqual(diags('.channel 0x100\n.channel 0x200\nDMAEND'), ['1:1 empty-program']);
});

test('command-line configuration overrides the file', () => {
  assert.deepEqual(diags('.events 4\nDMASEV 8\nDMAEND', { config: { events: 32 } }), []);
  assert.deepEqual(diags('DMASEV 8\nDMAEND', { config: { events: 4 } }), ['1:8 event-range']);
});

test('all errors of a file are reported, not just the first', () => {
  const r = assemble('DMAFOO\nDMALP 0\nDMALD\nDMALPEND\nDMASEV 99\nDMAMOV SAR, x\nDMAEND');
  assert.deepEqual(r.diagnostics.map((d) => d.code), ['unknown-mnemonic', 'loop-count', 'out-of-range', 'undefined-symbol']);
  assert.equal(r.errorCount, 4);
});

test('labels, constants, expressions and several programs in one file', () => {
  const r = assemble(`
    .equ BUF, 0x8000
    SIZE = 4 * 16
    .manager 0x0
        DMAGO C1, copy, ns
        DMAGO C2, zero
        DMAEND
    .channel 0x100
    copy:
        DMAMOV SAR, BUF
        DMAMOV DAR, (BUF + SIZE) | 1 << 4
        DMAMOV CCR, SIZE > 32 ? 0x4001 : 0
        DMAEND
    zero: DMASTZ
        DMAEND`);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.programs.length, 2);
  assert.equal(Buffer.from(r.programs[0].bytes).toString('hex'), 'a20100010000' + 'a00213010000' + '00');
  assert.equal(r.programs[1].base, 0x100);
  const dar = r.programs[1].bytes.subarray(8, 12);
  assert.equal(Buffer.from(dar).readUInt32LE(0), 0x8050);
  assert.equal(r.symbols.get('zero')?.value, 0x113);
  assert.deepEqual(r.symbols.get('copy')?.references, [{ line: 4, col: 18 }]);
  const listed = r.instructions.map((i) => `${i.line}:${i.col} ${i.address.toString(16)} ${i.mnemonic}/${i.spec?.operation ?? '-'} ${i.length}`);
  assert.deepEqual(listed, ['4:8 0 DMAGO/GO 6', '5:8 6 DMAGO/GO 6', '6:8 c DMAEND/END 1', '9:8 100 DMAMOV/MOV 6', '10:8 106 DMAMOV/MOV 6',
    '11:8 10c DMAMOV/MOV 6', '12:8 112 DMAEND/END 1', '13:10 113 DMASTZ/STZ 1', '14:8 114 DMAEND/END 1']);
});
