// The extension's static parts against the tables they must agree with: the manifest's files exist, the PL330
// grammar names every mnemonic, directive and CCR keyword of the instruction table, and the snippets assemble.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CCR_FIELDS, ccrKeyword } from '../../emulator/pl330/ccr';
import { DMALPFE_DOC, SPECS_BY_MNEMONIC } from '../../emulator/pl330/isa';
import { PL330_DIRECTIVES, assemble } from '../../server/pl330/assembler';
import { DIRECTIVE_DOCS } from '../../server/pl330/directives';

const ROOT = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const json = (path: string): any => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

/** A TextMate (Oniguruma) pattern with a case-insensitivity prefix, as a JavaScript regular expression. */
function tmRegExp(pattern: string): RegExp {
  const insensitive = pattern.includes('(?i)');
  return new RegExp(pattern.replace('(?i)', ''), insensitive ? 'i' : '');
}

test('every file the manifest names exists and every command is implemented', () => {
  const c = manifest.contributes;
  for (const entry of [...c.languages.map((l: any) => l.configuration), ...c.grammars.map((g: any) => g.path), ...c.snippets.map((s: any) => s.path)]) {
    assert.ok(existsSync(join(ROOT, entry)), entry);
    json(entry);
  }
  // Commands are registered by the extension's modules (extension.ts, timeline.ts, ...).
  const extension = readdirSync(join(ROOT, 'extension')).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(ROOT, 'extension', f), 'utf8')).join('\n');
  for (const command of c.commands) assert.ok(extension.includes(`registerCommand('${command.command}'`), command.command);
  assert.deepEqual(c.languages.map((l: any) => l.id), ['pl330', 'devicetree']);
  assert.deepEqual(c.languages[1].extensions, ['.dts', '.dtsi', '.dtso', '.overlay']);
});

test('the PL330 grammar knows exactly the instruction table mnemonics, the directives and the CCR keywords', () => {
  const grammar = json('syntaxes/pl330.tmLanguage.json');
  const mnemonic = tmRegExp(`^(?:${grammar.repository.mnemonic.match})$`);
  const all = [...SPECS_BY_MNEMONIC.keys(), DMALPFE_DOC.mnemonic];
  for (const m of all) {
    assert.ok(mnemonic.test(m), m);
    assert.ok(mnemonic.test(m.toLowerCase()), m);
  }
  const listed = /DMA\(\?:([A-Z|]+)\)/.exec(grammar.repository.mnemonic.match)![1].split('|').map((m) => `DMA${m}`);
  assert.deepEqual(listed.sort(), all.sort());
  assert.deepEqual(Object.keys(DIRECTIVE_DOCS).sort(), [...PL330_DIRECTIVES].sort());
  const directives = grammar.repository.directive.patterns.at(-1).match as string;
  for (const d of PL330_DIRECTIVES) if (!/^\.(equ|set)$/.test(d)) assert.ok(tmRegExp(directives).test(d), d);
  const ccr = tmRegExp(`^(?:${grammar.repository.operands.patterns[1].match})$`);
  for (const field of CCR_FIELDS) {
    for (let value = 0; value < 1 << field.bits; value++) {
      const word = ccrKeyword(field, value);
      if (word !== undefined) assert.ok(ccr.test(word), word);
    }
  }
});

test('the PL330 snippets assemble without errors once their placeholders take their defaults', () => {
  const snippets = json('snippets/pl330.code-snippets');
  const expand = (body: string[]): string => body.join('\n').replace(/\$\{\d+:([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g, (_, d: string) => d.replace(/\$\{\d+:([^}]*)\}/g, '$1')).replace(/\$\d+/g, '');
  const memcpy = assemble(expand(snippets['memcpy program'].body));
  assert.equal(memcpy.errorCount, 0, JSON.stringify(memcpy.diagnostics));
  assert.equal(memcpy.diagnostics.length, 0);
  const wrap = (body: string): string => `.equ OUTER, 4\n.equ INNER, 8\n.equ SRC, 0x100\n.equ FIFO, 0x200\n.channel 0\n${body}\nDMAEND\n`;
  for (const name of ['nested loop', 'peripheral transfer']) {
    const r = assemble(wrap(expand(snippets[name].body)));
    assert.equal(r.errorCount, 0, `${name}: ${JSON.stringify(r.diagnostics)}`);
  }
});
