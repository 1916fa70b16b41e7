// Per-instruction differential test: the sequence of executed PCs must match `qemu-arm -singlestep -d cpu` (as a
// Cortex-R5F: ARMv7 with VFPv3-D16 and no NEON, like ours), for a short program including glibc's start-up.
// Registers and flags are not compared: stack and heap addresses differ between the two (and so do comparisons
// of pointers); a wrong result that matters shows up as a different path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMachine } from '../../../cli/run-elf';
import { LinuxProcess } from '../../../emulator/linux/process';
import { Workspace } from '../../../emulator/linux/workspace';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../../support/toolchain';

const STEPS = 100_000;
const KUSER_PAGE = 0xffff0000;

/** The PC of each instruction qemu executed (its kuser helpers run as one step: left out). */
function qemuTrace(program: string): Uint32Array {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-trace-'));
  try {
    const log = join(dir, 'trace.log');
    spawnSync('qemu-arm', ['-cpu', 'cortex-r5f', '-singlestep', '-d', 'cpu', '-D', log, program], { cwd: dir, env: {}, timeout: 120_000 });
    const text = readFileSync(log, 'latin1');
    const out = new Uint32Array(STEPS);
    let n = 0;
    const pattern = /R15=([0-9a-f]{8})/g;
    for (let m = pattern.exec(text); m !== null && n < STEPS; m = pattern.exec(text)) {
      const pc = parseInt(m[1], 16);
      if (pc < KUSER_PAGE) out[n++] = pc;
    }
    return out.subarray(0, n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const variant of VARIANTS) {
  const skip = toolchainAvailable(variant) ? false : `${variant.compiler} or qemu-arm is not installed`;
  test(`short.c (${variant.name}) executes the same instructions as qemu-arm, step by step`, { skip }, () => {
    // The real path: qemu-arm's /proc/self/exe resolves links (a checkout's .cache may be one), and glibc's start-up
    // copies that name, so both must be given the same string.
    const program = realpathSync(compile(join(ROOT, 'test', 'emulator', 'linux', 'trace-programs', 'short.c'), variant));
    const expected = qemuTrace(program);
    const machine = defaultMachine();
    // argv[0] is the host path, as qemu-arm's /proc/self/exe: glibc's start-up walks it.
    const proc = new LinuxProcess(readFileSync(program), {
      bus: machine.bus, frames: machine.frames, workspace: new Workspace(tmpdir()), argv: [program], env: [],
      stdout: () => {}, stderr: () => {},
    });
    const cpu = proc.cpu;
    assert.ok(expected.length > 10_000, `qemu-arm traced ${expected.length} instructions`);
    let step = 0;
    for (; step < expected.length; step++) {
      while (cpu.pc >= KUSER_PAGE) proc.run(1);
      if (cpu.pc !== expected[step]) {
        assert.fail(`step ${step}: dmalab at 0x${cpu.pc.toString(16)}, qemu-arm at 0x${expected[step].toString(16)}` +
          (step > 0 ? ` (after the instruction at 0x${expected[step - 1].toString(16)})` : ''));
      }
      if (proc.run(1) !== undefined) break;
    }
    assert.equal(step, expected.length - 1, 'both end after the same instruction');
  });
}
