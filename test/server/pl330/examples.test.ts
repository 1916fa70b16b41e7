// Every shipped example program assembles cleanly and passes the program checks, and its disassembly reassembles to the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { assemble } from '../../../server/pl330/assembler';
import { programBounds, programDiagnostics } from '../../../server/pl330/program-checks';
import { disassemble, formatDisassembly } from '../../../emulator/pl330/disasm';

const dir = join(__dirname, '../../../examples/pl330');

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

// Each example names the command that runs it in a `; dmalab run ...` comment: that command must finish cleanly
// (status 0: every thread stopped, no fault, nothing left waiting).
const root = join(__dirname, '../../..');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.pl330'))) {
  test(`example ${file} runs as its comment says`, () => {
    const command = /^; dmalab (run .*)$/m.exec(readFileSync(join(dir, file), 'utf8'));
    assert.ok(command, `${file} shows no '; dmalab run' command`);
    const r = spawnSync(process.execPath, [join(root, 'dist/cli.js'), ...command[1].split(/\s+/), '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.faults, []);
    assert.deepEqual(out.outcome.threads, [], 'every thread stopped');
    for (const p of out.peripherals) assert.equal(p.unsent, 0, `peripheral ${p.peripheral} raised its whole script`);
  });
}
