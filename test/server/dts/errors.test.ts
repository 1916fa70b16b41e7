// Error cases through the preprocessor: dmalab's message must point at the same file and line as cpp + dtc's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dmalabDtc } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'dmalab-dts-err-'));
mkdirSync(join(dir, 'include'), { recursive: true });
writeFileSync(join(dir, 'include', 'cells.h'), '#define IRQ(n) 0 (n) 4\n#define BAD_ADDR 0x100000000\n');
writeFileSync(join(dir, 'board.dtsi'), '/ {\n\tsoc {\n\t\tbroken = <1>\n\t};\n};\n');

const HEAD = '/dts-v1/;\n#include <cells.h>\n';
const CASES: Record<string, { text: string; pattern: RegExp }> = {
  'syntax error': { text: HEAD + '/ {\n\ta = <1>;\n\tb = <2>\n};\n', pattern: /syntax/ },
  'syntax error in an included file': { text: HEAD + '#include "board.dtsi"\n', pattern: /syntax/ },
  'duplicate label': { text: HEAD + '/ {\n\tl: a { };\n\tl: b { };\n};\n', pattern: /Duplicate label 'l'/ },
  'unresolved reference': { text: HEAD + '/ {\n\ta = <1>;\n\tb = <&nowhere>;\n};\n', pattern: /non-existent node or label "nowhere"/ },
  'unresolved merge target': { text: HEAD + '/ { };\n\n&missing { x; };\n', pattern: /missing not found/ },
  'cell out of range': { text: HEAD + '/ {\n\ta = <1>;\n\tb = <BAD_ADDR>;\n};\n', pattern: /out of range/ },
  'bad /bits/': { text: HEAD + '/ {\n\n\tb = /bits/ 7 <1>;\n};\n', pattern: /8, 16, 32 or 64/ },
  'macro in a bad place': { text: HEAD + '/ {\n\tb = <IRQ(3) UNDEFINED_MACRO>;\n};\n', pattern: /UNDEFINED_MACRO/ },
  'duplicate node': { text: HEAD + '/ {\n\tn { };\n\tn { };\n};\n', pattern: /Duplicate node name/ },
  'division by zero': { text: HEAD + '/ {\n\tb = <(1 / 0)>;\n};\n', pattern: /Division by zero/ },
};

/**
 * File and line range of dtc's first error: `file:line.col-line.col` or `file:line.col-col` (checks name the whole
 * node, where dmalab names the property inside it).
 */
function dtcErrorSpan(stderr: string): { file: string; from: number; to: number } | undefined {
  for (const line of stderr.split('\n')) {
    if (!/ERROR|Error/.test(line)) continue;
    const m = /([^\s:]+):(\d+)\.\d+(?:-(\d+)\.\d+)?/.exec(line);
    if (m) return { file: m[1].replace(/.*\//, ''), from: Number(m[2]), to: Number(m[3] ?? m[2]) };
  }
  return undefined;
}

for (const [name, { text, pattern }] of Object.entries(CASES)) {
  test(`error: ${name}`, async () => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.dts`);
    writeFileSync(file, text);
    const cpp = spawnSync('cpp', ['-nostdinc', '-I', dir, '-I', join(dir, 'include'), '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-o', file + '.pre', file]);
    assert.equal(cpp.status, 0);
    const dtc = spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', '/dev/null', file + '.pre'], { encoding: 'utf8' });
    assert.notEqual(dtc.status, 0, 'dtc accepts the case');
    const expected = dtcErrorSpan(dtc.stderr);
    assert.ok(expected, dtc.stderr);
    const mine = await dmalabDtc(['--cpp', '-i', join(dir, 'include'), '-O', 'dtb', '-o', '/dev/null', file]);
    assert.notEqual(mine.status, 0);
    const first = mine.stderr.split('\n').find((l) => /: error: /.test(l)) ?? '';
    assert.match(first, pattern);
    assert.match(first, /^[^:]+:\d+:\d+: error: .* \[[a-z_]+\]$/);
    const where = /^(?:.*\/)?([^/:]+):(\d+):/.exec(first);
    const explain = `${first}\n--- dtc said:\n${dtc.stderr}`;
    assert.equal(where?.[1], expected.file, explain);
    const line = Number(where![2]);
    assert.ok(line >= expected.from && line <= expected.to, explain);
  });
}
