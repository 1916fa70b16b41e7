// CPU and signal state snapshots: restoring one and running again repeats the same instructions with the same results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { defaultMachine } from '../../../cli/run-elf';
import { LinuxProcess } from '../../../emulator/linux/process';
import { SIGNALS, restoreSignals, snapshotSignals } from '../../../emulator/linux/signals';
import { Workspace } from '../../../emulator/linux/workspace';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../../support/toolchain';

const skip = toolchainAvailable(VARIANTS[0]) ? false : 'the armhf cross compiler or qemu-arm is not installed';

test('restoring a CPU and memory snapshot replays the program identically', { skip }, () => {
  const program = compile(join(ROOT, 'test', 'emulator', 'cpu', 'programs', 'integer.c'), VARIANTS[0]);
  const machine = defaultMachine();
  const proc = new LinuxProcess(readFileSync(program), {
    bus: machine.bus, frames: machine.frames, workspace: new Workspace(tmpdir()), argv: ['/integer'], env: [],
    stdout: () => {}, stderr: () => {},
  });
  proc.run(200_000);
  const cpuState = proc.cpu.snapshot();
  const memory = machine.bus.memory.snapshot();
  proc.run(300_000);
  const first = proc.cpu.snapshot();
  proc.cpu.restore(cpuState);
  machine.bus.memory.restore(memory);
  proc.run(300_000);
  const second = proc.cpu.snapshot();
  assert.notDeepEqual(first.r, cpuState.r, 'the program made progress');
  assert.deepEqual(second, first);
});

test('a snapshot holds the signal state: a replay from it takes the same timer signals at the same instructions', { skip }, () => {
  const program = compile(join(ROOT, 'test', 'emulator', 'linux', 'signal-programs', 'ticks.c'), VARIANTS[0]);
  const machine = defaultMachine();
  const proc = new LinuxProcess(readFileSync(program), {
    bus: machine.bus, frames: machine.frames, workspace: new Workspace(tmpdir()), argv: ['/ticks'], env: [],
    stdout: () => {}, stderr: () => {},
  });
  const ticks = () => proc.signals.actions[SIGNALS.SIGALRM].handler;
  proc.run(300_000);
  assert.notEqual(ticks(), 0, 'the handler is installed');
  const cpuState = proc.cpu.snapshot();
  const memory = machine.bus.memory.snapshot();
  const signals = snapshotSignals(proc);
  proc.run(400_000);
  const first = { cpu: proc.cpu.snapshot(), signals: snapshotSignals(proc) };
  // What the run between changed: the handler is gone and SIGALRM pending and blocked, the timer disarmed.
  proc.signals.setAction(SIGNALS.SIGALRM, { handler: 0, flags: 0, restorer: 0, mask: 0n });
  proc.signals.realTimer.deadline = Infinity;
  proc.current.signals.blocked = 0n;
  proc.cpu.restore(cpuState);
  machine.bus.memory.restore(memory);
  restoreSignals(proc, signals);
  proc.run(400_000);
  assert.deepEqual(proc.cpu.snapshot(), first.cpu);
  assert.deepEqual(snapshotSignals(proc), first.signals);
  assert.equal(proc.outcome, undefined, 'the replay took the timer signals with the handler, as the first run did');
});
