// Every shipped example program assembles cleanly and passes the program checks, and its disassembly reassembles to the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assemble } from '../../server/pl330/assembler';
import { programBounds, programDiagnostics } from '../../server/pl330/program-checks';
import { disassemble, formatDisassembly } from '../../emulator/pl330/disasm';

const dir = join(__dirname, '../../examples/pl330');

for (const file of readdirSync(dir).filter((f) => f.endsWith('.pl330'))) {
  test(`example ${file}`, () => {
    const r = assemble(readFileSync(join(dir, file), 'utf8'));
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(programDiagnostics(r, programBounds(r)), [], 'the bounds and barrier checks find nothing');
    for (const p of r.programs) {
      const again = assemble(formatDisassembly(disassemble(p.bytes, { base: p.base, thread: p.kind })));
      assert.deepEqual(again.diagnostics.filter((d) => d.severity === 'error'), []);
      assert.deepEqual(again.programs[0].bytes, p.bytes);
    }
  });
}
