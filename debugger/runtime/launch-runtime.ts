// A launch request's program kind, decided once: a kernel (`kernel`), a scenario (its ARM executable when it has one, else its host
// program driving the machine), an ARM executable (ELF magic), or PL330 microcode. The session then talks to the
// runtime without knowing which.
import { join, resolve } from 'node:path';
import { loadPlatform, packageRoot, unknownDmac } from '../../scenarios/platform';
import { SCENARIOS, scenarioSession } from '../../scenarios/registry';
import type { Runtime } from './contract';
import { ElfRuntime, isElf, parseElfArguments } from './elf-runtime';
import { KernelRuntime, parseKernelArguments } from './kernel-runtime';
import { LaunchProblems, UserError, checkAttributeNames, parseLaunchArguments, parseScenarioArguments } from './launch';
import { FileAccess, MicrocodeRuntime } from './microcode-runtime';

export interface Launched {
  readonly runtime: Runtime;
  /** Devicetree and assembler warnings, for the debug console. */
  readonly warnings: readonly string[];
  readonly warningCategory: 'console' | 'stderr';
}

/** A C source file given as the program (a slip for the executable built from it), which would be assembled as PL330. */
const C_SOURCE = /\.(c|h|cc|cpp)$/;

/** `out`: the console lines of a scenario's steps. */
export function launchRuntime(raw: Record<string, unknown>, cwd: string, files: FileAccess, out: (line: string) => void): Launched {
  if (raw.kernel !== undefined) {
    // Every mistake of a kernel launch (attributes and files) is reported at once: its boot is the long wait.
    const problems = new LaunchProblems();
    checkAttributeNames(raw, ['kernel'], problems);
    const warnings: string[] = [];
    const runtime = KernelRuntime.launch(parseKernelArguments(raw, cwd, problems), files, (line) => warnings.push(line), problems);
    return { runtime, warnings, warningCategory: 'console' };
  }
  if (raw.scenario !== undefined) {
    const executable = typeof raw.scenario === 'string' ? SCENARIOS[raw.scenario]?.executable : undefined;
    checkAttributeNames(raw, executable ? ['scenario', 'elf'] : ['scenario']);
    if (typeof raw.device === 'string') checkScenarioDevice(raw.device, typeof raw.platform === 'string' && raw.platform !== '' ? resolve(cwd, raw.platform) : undefined);
    if (executable && raw.program === undefined) {
      // Its C source is what the user steps: the scenario's executable becomes the session's program.
      const { scenario: _, device, ...rest } = raw;
      if (device !== undefined && typeof device !== 'string') throw new UserError(`'device' must be a device name such as 2c0a0000.dma (got ${JSON.stringify(device)})`);
      return launchElf({ ...rest, program: join(packageRoot(), executable), args: device === undefined ? [] : [device] }, cwd, files);
    }
    const launch = parseScenarioArguments(raw, cwd, Object.keys(SCENARIOS));
    const { runtime, warnings } = MicrocodeRuntime.launchScenario(launch, loadPlatform, (machine) => scenarioSession(launch.scenario, machine, out, launch.device));
    return { runtime, warnings, warningCategory: 'stderr' };
  }
  if (raw.program === undefined) throw new UserError("a launch configuration needs 'program' (a .pl330 file or an ARM executable), 'scenario' or 'kernel'");
  if (typeof raw.program === 'string' && raw.program !== '' && startsWithElfMagic(files, resolve(cwd, raw.program))) {
    checkAttributeNames(raw, ['elf']);
    return launchElf(raw, cwd, files);
  }
  checkAttributeNames(raw, ['pl330']);
  if (typeof raw.program === 'string' && C_SOURCE.test(raw.program)) {
    throw new UserError(`'program': ${resolve(cwd, raw.program)}: C source, not a program: give the ARM executable built from it (arm-linux-gnueabihf-gcc -g)`);
  }
  const { runtime, warnings } = MicrocodeRuntime.launch(parseLaunchArguments(raw, cwd), files, loadPlatform);
  return { runtime, warnings, warningCategory: 'console' };
}

function launchElf(raw: Record<string, unknown>, cwd: string, files: FileAccess): Launched {
  const options = parseElfArguments(raw, cwd);
  const warnings: string[] = [];
  const runtime = ElfRuntime.launch(options, files.readBytes(options.program), loadPlatform, (line) => warnings.push(line));
  return { runtime, warnings, warningCategory: 'console' };
}

/** A scenario's `device` must be a DMAC of the platform (the scenario would otherwise drive another, or none). */
function checkScenarioDevice(device: string, platformFile: string | undefined): void {
  let wrong: string | undefined;
  try {
    wrong = unknownDmac(loadPlatform(platformFile), device);
  } catch (error) {
    throw new UserError(`'platform': ${(error as Error).message}`);
  }
  if (wrong !== undefined) throw new UserError(`'device': ${wrong}`);
}

/** Whether `path` is an ELF file (an ARM executable to run on the CPU); unreadable files are left to the launch. */
function startsWithElfMagic(files: FileAccess, path: string): boolean {
  try {
    return isElf(files.readBytes(path));
  } catch {
    return false;
  }
}
