// Bare-metal programs (modes, exceptions, both MMU formats, the generic timer, the UART, PSCI) print the same on
// dmalab's system CPU as on qemu-system-arm's virt board, and power off. Programs named smp-* run on two CPUs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { PROGRAMS, build, cpusFor, runDmalab, runQemu, toolsMissing } from '../../support/bare-metal';

const skip = toolsMissing();
const programs = readdirSync(PROGRAMS).filter((f) => f.endsWith('.c') && f !== 'runtime.c').sort();

for (const program of programs) {
  test(`${program} prints the same on dmalab as on qemu-system-arm`, { skip }, () => {
    const elf = build(program);
    const expected = runQemu(elf, cpusFor(program));
    const actual = runDmalab(elf, cpusFor(program));
    assert.equal(actual.output, expected);
    assert.deepEqual(actual.outcome, { kind: 'off' });
  });
}
