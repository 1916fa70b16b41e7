// The TLBs are not in a snapshot: restoring drops them, and so does taking one, on the running machine. A program
// leaning on a stale TLB entry (programs/snapshot/stale-tlb.c: a page remapped without TLB maintenance, then read
// many times) therefore replays from a snapshot exactly as it ran past it: the snapshot is a TLB flush in both, which
// ARMv7 allows at any time (a TLB may drop an entry whenever it likes).
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
const READS = 200000;

function machine(): { system: SystemMachine; output: () => string } {
  const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', join(ROOT, 'test', 'support', 'virt-a15.dts')]));
  let output = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { output += String.fromCharCode(byte); } });
  system.boot(system.loadElf(readFileSync(build('snapshot/stale-tlb.c'))));
  return { system, output: () => output };
}

const counts = (output: string) => [/stale reads=(0x\w+)/, /fresh reads=(0x\w+)/].map((r) => Number(r.exec(output)?.[1]));

test('a guest leaning on a stale TLB entry replays from a snapshot as it ran past it (the snapshot drops the TLB in both)', { skip }, () => {
  const straight = machine();
  assert.equal(straight.system.run(LIMIT).kind, 'off');
  assert.deepEqual(counts(straight.output()), [READS, 0], `without a snapshot every read hits the stale entry\n${straight.output()}`);

  const { system, output } = machine();
  while (!output().includes('remapped')) assert.equal(system.run(1_000).kind, 'time-limit');
  assert.equal(system.run(20_000).kind, 'time-limit'); // into the reads
  const snapshot = system.snapshot();
  const printed = output().length;
  assert.equal(system.run(LIMIT).kind, 'off');
  const [stale, fresh] = counts(output());
  assert.ok(stale > 0 && fresh > 0 && stale + fresh === READS, `stale ${stale}, fresh ${fresh}: the snapshot dropped the entry mid-loop`);
  const ran = { console: output().slice(printed), digest: machineDigest(system) };

  const from = output().length;
  system.restore(snapshot);
  assert.equal(system.run(LIMIT).kind, 'off');
  assert.equal(output().slice(from), ran.console);
  assert.deepEqual(machineDigest(system), ran.digest);
});
