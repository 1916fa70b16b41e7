// Differential tests: C programs (integer, strings, floating point, system calls, atomics...) compiled for armhf
// Thumb-2, armhf ARM state and armel must print the same and exit with the same status on dmalab as on
// `qemu-arm -cpu cortex-a15` (the CPU dmalab models).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, VARIANTS, compile, runDmalab, runQemu, toolchainAvailable } from '../../support/toolchain';

const PROGRAMS = join(ROOT, 'test', 'emulator', 'cpu', 'programs');
const ARGS = ['first', 'with space', ''];
const QEMU_CPU = ['-cpu', 'cortex-a15'];

for (const variant of VARIANTS) {
  const skip = toolchainAvailable(variant) ? false : `${variant.compiler} or qemu-arm is not installed`;
  for (const file of readdirSync(PROGRAMS).filter((f) => f.endsWith('.c')).sort()) {
    test(`${file} (${variant.name}) runs as on qemu-arm`, { skip }, () => {
      const program = compile(join(PROGRAMS, file), variant);
      const expected = runQemu(program, ARGS, QEMU_CPU);
      const actual = runDmalab(program, ARGS);
      assert.equal(actual.stdout, expected.stdout);
      // A program killed by a signal: qemu-arm adds its own message to stderr.
      if (expected.status < 128) assert.equal(actual.stderr, expected.stderr);
      assert.equal(actual.status, expected.status);
    });
  }
}
