// Blocking waits skip ahead on the machine's timeline: a program that sleeps 10 s, polls 5 s and waits 3 s on a futex
// (test/emulator/cpu/programs/thread-syscalls.c, mode `waits`) sees those durations on CLOCK_MONOTONIC while the CPU
// runs only the program's own instructions, not 18 s of spinning. (The same program's short waits, futex and thread
// calls are compared with qemu-arm by test/emulator/cpu/differential.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformMachine } from '../../../cli/run-elf';
import { LinuxProcess } from '../../../emulator/linux/process';
import { Workspace } from '../../../emulator/linux/workspace';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../../support/toolchain';

const armhf = VARIANTS[0];
const skip = toolchainAvailable(armhf) ? false : `${armhf.compiler} or qemu-arm is not installed`;
const SECOND_PS = 1e12;

test('nanosleep, poll and a futex timeout pass 18 s of the timeline without running the CPU through them', { skip }, () => {
  const program = readFileSync(compile(join(ROOT, 'test', 'emulator', 'cpu', 'programs', 'thread-syscalls.c'), armhf));
  const machine = platformMachine(join(ROOT, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts'));
  let stdout = '';
  const proc = new LinuxProcess(program, {
    bus: machine.bus, frames: machine.frames, devices: machine.devices, timeline: machine.timeline, workspace: new Workspace(tmpdir()),
    argv: ['/thread-syscalls', 'waits'], env: [], stdout: (d) => { stdout += Buffer.from(d).toString(); }, stderr: (d) => { stdout += Buffer.from(d).toString(); },
  });
  assert.deepEqual(proc.run(), { kind: 'exit', status: 0 });
  assert.equal(stdout, 'nanosleep 10 s: 10000 ms\npoll 5 s: 5000 ms\nfutex wait 3 s: ETIMEDOUT after 3000 ms\n');
  const now = machine.timeline!.now;
  assert.ok(now >= 18 * SECOND_PS && now < 18.01 * SECOND_PS, `the machine's clock reads ${now / SECOND_PS} s`);
  // At 1 GHz, spinning through the waits would retire 18e9 instructions; the program's start, calls and prints take
  // a few hundred thousand.
  assert.ok(proc.cpu.retired < 1e6, `${proc.cpu.retired} instructions retired`);
});
