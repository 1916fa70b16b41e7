// Whole-machine snapshots of Debian's 6.1 kernel booting (test/emulator/machine/debian-boot.test.ts): restored, the machine
// runs on to the same instant in the same state bit for bit (RAM, CPU registers, devices) with the same console
// output, a line typed on the console included (replayed from the run's input log); and the checkpoints' step back
// rebuilds the state one instruction earlier, from which one instruction forward is the state left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Checkpoints } from '../../../emulator/machine/checkpoints';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { bootKernel } from '../../../emulator/machine/linux-boot';
import { SystemMachine } from '../../../emulator/machine/system';
import { loadPlatformDtb } from '../../../scenarios/platform';
import { INITRAMFS, ZIMAGE, imageOf, initramfsWith } from '../../support/debian-kernel';
import { machineDigest } from './machine-hash';

const skip = existsSync(ZIMAGE) && existsSync(INITRAMFS) ? false : `${ZIMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;
const MS = 1_000_000;

test("Debian's kernel: restored from a snapshot at 400 ms (the kernel's initcalls), it runs to 600 ms (the shell) as it did (console, a line typed on it, RAM and registers bit for bit); step back one instruction and forward again", { skip, timeout: 300_000 }, () => {
  const dtb = loadPlatformDtb(undefined, () => {});
  let output = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { output += String.fromCharCode(byte); } });
  // The init script reads a line from the console and answers; the shell after it waits for more.
  const initrd = initramfsWith({ test: '#!/bin/sh\necho "== ready"\nread line\necho "== typed: $line"\nexec sh\n' });
  bootKernel(system, { kernel: imageOf(readFileSync(ZIMAGE)), dtb, initrd, bootargs: 'console=ttyAMA0 cryptomgr.notests=1' });
  const checkpoints = new Checkpoints(system, { interval: 20 * MS });

  assert.equal(checkpoints.run(400 * MS).kind, 'time-limit');
  const snapshot = system.snapshot();
  const before = output.length;
  // On to the script's prompt in slices, type a line, run to 300 ms.
  while (!output.includes('== ready') && system.time < 580 * MS) assert.equal(checkpoints.run(5 * MS).kind, 'time-limit', output);
  assert.match(output, /== ready/, output);
  checkpoints.type(new TextEncoder().encode('hello snapshot\n'));
  assert.equal(checkpoints.run(600 * MS - system.time).kind, 'time-limit');
  assert.match(output, /== typed: hello snapshot/, output);
  const first = { console: output.slice(before), digest: machineDigest(system), time: system.time, retired: system.cpus[0].retired };

  // Step back one instruction (from the latest checkpoint before it, re-executed); run on from there: the same end.
  assert.ok(checkpoints.checkpoints.length >= 10, `${checkpoints.checkpoints.length} checkpoints`);
  assert.equal(checkpoints.stepBack(0).kind, 'reached');
  assert.equal(system.cpus[0].retired, first.retired - 1);
  const previous = machineDigest(system);
  assert.notDeepEqual(previous, first.digest);
  output = output.slice(0, before) + first.console;
  assert.equal(system.runTo(first.time).kind, 'time-limit');
  assert.deepEqual(machineDigest(system), first.digest, 'run on from the step back');
  assert.equal(output.slice(before), first.console);

  // Restored at 400 ms: to the instruction before the end, the state the step back rebuilt; then on to the end in
  // one go: the same console (the typed line replayed at its instant), the same state.
  system.restore(snapshot);
  output = output.slice(0, before);
  assert.equal(system.runUntil(0, first.retired - 1).kind, 'reached');
  assert.deepEqual(machineDigest(system), previous, 'the instruction before the end, replayed from 400 ms');
  assert.equal(system.runTo(first.time).kind, 'time-limit');
  assert.equal(system.time, first.time);
  assert.equal(output.slice(before), first.console);
  assert.equal(system.cpus[0].retired, first.retired);
  assert.deepEqual(machineDigest(system), first.digest, 'RAM, registers and devices after the replay');
});
