// When a kernel session's run takes its next checkpoint: after 10 ms of machine time in which the CPUs retired 10 M
// instructions. A busy CPU does both together; an idle one (WFI, nothing to wake it) passes any machine time with
// almost none and takes no checkpoint (each costs its map of every RAM page), however long it sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Checkpoints } from '../../emulator/machine/checkpoints';
import { platformFromDtb } from '../../emulator/machine/from-dtb';
import { bootKernel } from '../../emulator/machine/linux-boot';
import { SystemMachine } from '../../emulator/machine/system';
import { checkpointDue } from '../../debugger/runtime/kernel-reverse';
import { BRANCH_SELF, syntheticImage } from '../support/synthetic-kernels';
import { root } from './support';

const WFI = 0xe320f003;
const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', `${root}/examples/platforms/vexpress-mmu400-dma330.dts`]));

function booted(code: number[]): { system: SystemMachine; first: ReturnType<Checkpoints['take']> } {
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1 });
  bootKernel(system, { kernel: syntheticImage(code), dtb });
  return { system, first: new Checkpoints(system).take(true) };
}

test('a busy CPU: a checkpoint is due once 10 ms of machine time have passed, not before', () => {
  const { system, first } = booted([BRANCH_SELF]);
  system.run(9_000_000);
  assert.equal(checkpointDue(system, first), false, '9 ms');
  system.run(1_000_000);
  assert.ok(system.cpus[0].retired >= 10_000_000, `${system.cpus[0].retired} instructions`);
  assert.equal(checkpointDue(system, first), true, '10 ms');
});

test('an idle CPU: no checkpoint is due after a second of machine time in WFI', () => {
  const { system, first } = booted([WFI, 0xeafffffd]); // wfi; b .-4
  system.run(1_000_000_000);
  assert.ok(system.time >= 1e9, `${system.time} ns`);
  assert.equal(checkpointDue(system, first), false);
});
