// The built-in scenarios by name (`dmalab demo`, `dmalab run --scenario NAME`, a debug session's `scenario`): a
// machine from a platform, a scenario that prints each step, and a final PASS or FAIL line with the matching exit
// status. The debugger drives the same steps (`scenarioSession`) with the machine under its control.
import { join } from 'node:path';
import { Machine } from '../emulator/machine/machine';
import type { PlatformDescription } from '../emulator/machine/platform';
import { ScenarioOutput, ScenarioResult, ScenarioSteps, runThrough } from './vfio-session';
import { vfioIsolationSteps, vfioTestCase1Steps } from './vfio-test-case-1';
import { vfioPassthroughSteps } from './vfio-test-case-2';
import { vfioArmhfSteps } from './vfio-armhf';
import { loadPlatform, packageRoot } from './platform';

/** The userspace VFIO driver in C that the armhf scenario runs (built binary committed beside its source). */
const ARMHF_PROGRAM = 'examples/vfio-pl330/vfio-pl330';

export interface ScenarioOptions {
  /** Devicetree (.dts or .dtb); default: the VFIO_PLATFORM guide's platform. */
  readonly platform?: string;
  /** The DMAC to use (Linux device name, e.g. 2c0a1000.dma); default: the first one. */
  readonly device?: string;
  readonly out: ScenarioOutput;
  /** Devicetree compiler warnings. */
  readonly warn?: (line: string) => void;
}

interface Scenario {
  readonly title: string;
  /** The ARM executable (package-relative) a scenario runs, which a debug session runs as a program instead. */
  readonly executable?: string;
  steps(machine: Machine, out: ScenarioOutput, device: string | undefined): ScenarioSteps;
}

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  'vfio-test-case-1': {
    title: "the VFIO_PLATFORM guide's Test Case 1: a VFIO_PLATFORM userspace driver copies a buffer with the DMA-330",
    steps: (m, out, device) => vfioTestCase1Steps(m, out, { device }),
  },
  'vfio-armhf': {
    title: `the VFIO_PLATFORM guide's Test Case 1 as a compiled C driver (${ARMHF_PROGRAM}, armhf) on the emulated ARM CPU`,
    executable: ARMHF_PROGRAM,
    steps: (m, out, device) => vfioArmhfSteps(m, out, { program: join(packageRoot(), ARMHF_PROGRAM), device }),
  },
  'vfio-passthrough': {
    title: "the VFIO_PLATFORM guide's Test Case 2: the DMA-330 passed through to a guest whose own PL330 driver runs dmatest, isolated by the SMMU",
    steps: (m, out, device) => vfioPassthroughSteps(m, out, { device }),
  },
  'vfio-isolation': {
    title: 'isolation: microcode aimed at an unmapped IOVA faults in the SMMU and memory stays untouched',
    steps: (m, out, device) => vfioIsolationSteps(m, out, { device }),
  },
};

/** One scenario between its header and its outcome line; true when it passed. */
function* framed(name: string, machine: Machine, out: ScenarioOutput, device: string | undefined): ScenarioSteps<boolean> {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`unknown scenario '${name}' (have: ${Object.keys(SCENARIOS).join(', ')})`);
  out(scenarioHeader(name, scenario.title));
  const result = yield* scenario.steps(machine, out, device);
  endScenario(name, result, out);
  return result.pass;
}

/** The line a scenario's output starts with. */
export function scenarioHeader(name: string, title: string): string {
  return `== ${name}: ${title}`;
}

/** A scenario's outcome line, and a blank line after it. */
export function endScenario(name: string, result: ScenarioResult, out: ScenarioOutput): void {
  out(`== ${name}: ${result.pass ? 'passed' : `FAILED (${result.failure})`}`);
  out('');
}

/** The last line, and the exit status. */
export function verdict(failed: readonly string[], out: ScenarioOutput): number {
  out(failed.length === 0 ? 'PASS' : `FAIL: ${failed.join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}

/** Runs scenarios in order on fresh machines; 0 when all pass, 1 otherwise. Prints PASS or FAIL last. */
export function runScenarios(names: readonly string[], options: ScenarioOptions): number {
  const { out } = options;
  const platform = loadPlatform(options.platform, options.warn);
  const failed = names.filter((name) => !runModelScenario(name, platform, options));
  return verdict(failed, out);
}

/** One scenario on a fresh machine of the platform, between its header and outcome lines; true when it passed. */
export function runModelScenario(name: string, platform: PlatformDescription, options: ScenarioOptions): boolean {
  const machine = new Machine(platform);
  return runThrough(machine, framed(name, machine, options.out, options.device));
}

/** `dmalab run --scenario NAME`: one scenario. */
export function runScenario(name: string, options: ScenarioOptions): number {
  return runScenarios([name], options);
}

/** One scenario on a given machine, whose waits someone else runs (the debugger); the exit status at the end. */
export function* scenarioSession(name: string, machine: Machine, out: ScenarioOutput, device: string | undefined): ScenarioSteps<number> {
  const passed = yield* framed(name, machine, out, device);
  return verdict(passed ? [] : [name], out);
}
