// Every bare-metal program (modes, exceptions, both MMU formats, the timer, the UART, VFP, PSCI, two CPUs sharing
// the banked GIC) run in 3 us slices with a snapshot after each, then restored from snapshots along the way and run
// to power-off: the console and the final state are the straight run's, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { SystemMachine } from '../../../emulator/machine/system';
import type { SystemMachineState } from '../../../emulator/machine/snapshot';
import { ROOT } from '../../support/toolchain';
import { machineDigest } from './machine-hash';
import { PROGRAMS, build, cpusFor, toolsMissing } from '../../support/bare-metal';

const skip = toolsMissing();
const programs = readdirSync(PROGRAMS).filter((f) => f.endsWith('.c') && f !== 'runtime.c').sort();
const LIMIT = 2e9;
const SLICE = 3_000;

for (const program of programs) {
  test(`${program}: restored from snapshots taken every 3 us, it ends as the straight run`, { skip }, () => {
    const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', join(ROOT, 'test', 'support', 'virt-a15.dts')]));
    let output = '';
    const system = new SystemMachine(platformFromDtb(dtb), { cpus: cpusFor(program), console: (byte) => { output += String.fromCharCode(byte); } });
    system.boot(system.loadElf(readFileSync(build(program))));
    const initial = system.snapshot();
    assert.equal(system.run(LIMIT).kind, 'off');
    const straight = { output, digest: machineDigest(system) };

    system.restore(initial);
    output = '';
    const snapshots: { state: SystemMachineState; printed: number }[] = [];
    for (;;) {
      snapshots.push({ state: system.snapshot(), printed: output.length });
      const outcome = system.run(SLICE);
      if (outcome.kind === 'off') break;
      assert.equal(outcome.kind, 'time-limit');
    }
    assert.equal(output, straight.output);
    assert.deepEqual(machineDigest(system), straight.digest, 'run in slices with snapshots');
    assert.ok(snapshots.length > 3, `${snapshots.length} snapshots`);
    for (const at of [1, Math.floor(snapshots.length / 2), snapshots.length - 1]) {
      system.restore(snapshots[at].state);
      output = straight.output.slice(0, snapshots[at].printed);
      assert.equal(system.run(LIMIT).kind, 'off');
      assert.equal(output, straight.output, `restored at snapshot ${at}`);
      assert.deepEqual(machineDigest(system), straight.digest, `restored at snapshot ${at}`);
    }
  });
}
