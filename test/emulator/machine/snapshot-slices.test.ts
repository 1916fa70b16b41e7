// A run cut into runs of one instruction's time takes the same rounds as the straight run: an exception taken as a
// run's budget runs out (it counts in the budget beyond the last instruction) leaves the CPU's quantum going on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { SystemMachine } from '../../../emulator/machine/system';
import { ROOT } from '../../support/toolchain';
import { machineDigest } from './machine-hash';
import { build, toolsMissing } from '../../support/bare-metal';

const skip = toolsMissing();
const LIMIT = 2e9;

test('exceptions.c run one instruction\'s time at a time ends as the straight run (the same rounds, console and state)', { skip }, () => {
  const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', join(ROOT, 'test', 'support', 'virt-a15.dts')]));
  let output = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { output += String.fromCharCode(byte); } });
  system.boot(system.loadElf(readFileSync(build('exceptions.c'))));
  const initial = system.snapshot();
  assert.equal(system.run(LIMIT).kind, 'off');
  const straight = { output, digest: machineDigest(system), time: system.time };

  system.restore(initial);
  output = '';
  const period = system.machine.cpuPeriod / 1000;
  let runs = 0;
  for (let outcome = system.run(period); outcome.kind !== 'off'; outcome = system.run(period)) {
    assert.equal(outcome.kind, 'time-limit');
    runs++;
  }
  assert.ok(runs > 1000, `${runs} runs`);
  assert.equal(output, straight.output);
  assert.equal(system.time, straight.time);
  assert.deepEqual(machineDigest(system), straight.digest);
});
