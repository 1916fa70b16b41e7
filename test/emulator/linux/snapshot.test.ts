// CPU state snapshots: restoring one and running again repeats the same instructions with the same results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { defaultMachine } from '../../../cli/run-elf';
import { LinuxProcess } from '../../../emulator/linux/process';
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
