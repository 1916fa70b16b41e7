// The assembler never throws: random text, random tokens and mutations of real programs all give diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../../server/pl330/assembler';
import { Random } from '../../support/random';

const WORDS = ['DMAMOV', 'DMALP', 'DMALPEND', 'DMALPFE', 'DMAGO', 'DMAEND', 'DMASEV', 'DMAWFP', 'DMALD', 'DMAST', 'SAR', 'CCR', 'DAR',
  'LC0', 'LC1', 'SB4', 'SS32', 'SAI', 'DAF', 'forever', 'ns', 'invalid', 'burst', '.equ', '.channel', '.manager', '.byte', '.events',
  'x', 'loop:', ',', '(', ')', '?', ':', '-', '~', '<<', '0x', '0xffffffffffffffffff', '99999999999999999999', "'", '/*', '*/', ';', '\n', '\n', ' '];

function check(src: string, seed: number): void {
  let r;
  try {
    r = assemble(src);
  } catch (e) {
    assert.fail(`assemble threw on seed ${seed}: ${(e as Error).stack}\n--- source ---\n${src}`);
  }
  assert.ok(!r.diagnostics.some((d) => d.code === 'internal'), `internal error on seed ${seed}: ${JSON.stringify(r.diagnostics)}\n${src}`);
  for (const d of r.diagnostics) assert.ok(d.line >= 0 && d.col >= 0 && d.endCol > d.col || d.endLine > d.line, `bad range ${JSON.stringify(d)}`);
}

test('random character soup', () => {
  const rng = new Random(1);
  for (let k = 0; k < 400; k++) {
    let s = '';
    const n = rng.int(200);
    for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(4) === 0 ? rng.int(0x3000) : 9 + rng.int(120));
    check(s, k);
  }
});

test('random token soup', () => {
  const rng = new Random(2);
  for (let k = 0; k < 1500; k++) {
    const n = rng.int(60);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(rng.pick(WORDS), rng.int(3) ? ' ' : '');
    check(parts.join(''), k);
  }
});

test('mutations of the example programs', () => {
  const dir = join(__dirname, '../../../examples/pl330');
  const sources = readdirSync(dir).filter((f) => f.endsWith('.pl330')).map((f) => readFileSync(join(dir, f), 'utf8'));
  assert.ok(sources.length > 0);
  const rng = new Random(3);
  for (let k = 0; k < 1500; k++) {
    const src = rng.pick(sources);
    const at = rng.int(src.length);
    const cut = rng.int(12);
    const insert = rng.int(2) ? rng.pick(WORDS) : '';
    check(src.slice(0, at) + insert + src.slice(at + cut), k);
  }
});
