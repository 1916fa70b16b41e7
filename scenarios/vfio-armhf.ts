// Test Case 1 as the VFIO_PLATFORM guide runs it: a compiled userspace VFIO driver (examples/vfio-pl330, C built with Debian's
// arm-linux-gnueabihf toolchain) executed instruction by instruction on the emulated ARM CPU, as a process of the
// host-kernel model. Its system calls reach the same sysfs, /dev/vfio and SMMU as the TypeScript scenarios.
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { hostedOn, startUserProgram } from '../emulator/linux/user-program';
import type { Machine } from '../emulator/machine/machine';
import { ScenarioFailure, ScenarioOutput, ScenarioSteps, runSteps } from './vfio-session';

export interface ArmhfOptions {
  /** The ARM executable (host path). */
  readonly program: string;
  /** The DMAC, as the program's first argument (default: the program's own, 2c0a0000.dma). */
  readonly device?: string;
}

/** Bounds a runaway program; the driver needs about a million instructions (glibc start-up included). */
const MAX_INSTRUCTIONS = 200_000_000;

export function vfioArmhfSteps(machine: Machine, out: ScenarioOutput, options: ArmhfOptions): ScenarioSteps {
  return runSteps(out, function* (log) {
    let program: Uint8Array;
    try {
      program = readFileSync(options.program);
    } catch (error) {
      throw new ScenarioFailure(`cannot read ${options.program}: ${(error as Error).message}`);
    }
    const name = basename(options.program);
    const args = options.device ? [options.device] : [];
    log.step(`exec ${[`/${name}`, ...args].join(' ')}: ${program.length} bytes of ARM code on the emulated CPU, a process of the host kernel (${machine.platform.model})`);
    let text = '', printed = '';
    const output = (data: Uint8Array) => {
      const chunk = Buffer.from(data).toString('utf8');
      printed += chunk;
      text += chunk;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
        log.note(`${name}: ${text.slice(0, nl)}`);
        text = text.slice(nl + 1);
      }
    };
    const proc = startUserProgram({
      path: options.program,
      bytes: program,
      ...hostedOn(machine),
      workspace: dirname(options.program),
      args,
      // A fixed environment, not dmalab's: a scenario's transcript is the same on every machine and under every user.
      env: ['PATH=/bin:/usr/bin', 'HOME=/', 'LANG=C'],
      stdout: output,
      stderr: output,
      stdin: () => new Uint8Array(0),
    });
    const outcome = proc.run(MAX_INSTRUCTIONS);
    if (text) log.note(`${name}: ${text}`);
    if (outcome === undefined) throw new ScenarioFailure(`${name} still running after ${MAX_INSTRUCTIONS} instructions at pc=0x${proc.cpu.pc.toString(16)}`);
    if (outcome.kind !== 'exit') throw new ScenarioFailure(`${name}: ${outcome.reason}`);
    log.note(`${name} exited with status ${outcome.status}`);
    log.expect(outcome.status === 0 && /: PASS$/m.test(printed), `${name} did not report PASS (exit status ${outcome.status})`);
  });
}
