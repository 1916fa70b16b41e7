// `dmalab demo`: the VFIO_PLATFORM guide's test cases, each on real Linux kernels where dmalab runs them
// (linux-scenario.ts), else on the TypeScript kernel models (registry.ts) and saying so, in order; PASS or FAIL last.
import type { PlatformDescription } from '../emulator/machine/platform';
import { type LinuxRun, type LinuxRunHooks, type LinuxScenario, runLinuxScenario } from './linux-scenario';
import { loadPlatform } from './platform';
import { SCENARIOS, type ScenarioOptions, endScenario, runModelScenario, scenarioHeader, verdict } from './registry';
import { testCase1Linux } from './test-case-1-linux';
import { testCase2Linux } from './test-case-2-linux';

/** The test cases on real kernels, by name. */
export const LINUX_SCENARIOS: Readonly<Record<string, LinuxScenario>> = {
  'test-case-1-linux': testCase1Linux,
  'test-case-2-linux': testCase2Linux,
};

/** Everything `dmalab demo --scenario` runs: the real-kernel scenarios, then the models. */
export const DEMO_SCENARIO_NAMES: readonly string[] = [...Object.keys(LINUX_SCENARIOS), ...Object.keys(SCENARIOS)];

/** What `dmalab demo` runs for each test case, and on what (the model scenarios run with --scenario). */
export const DEMO_PLAN: readonly { readonly testCase: string; readonly scenarios: readonly string[]; readonly runsOn: string }[] = [
  { testCase: 'Test Case 1', scenarios: ['test-case-1-linux'], runsOn: "Debian's 6.12 kernel as the host, vfio-platform built out of tree (about 7 s)" },
  { testCase: 'Test Case 2', scenarios: ['test-case-2-linux'], runsOn: "Debian's 6.1 kernel as a guest, dmalab its hypervisor (about 5 s)" },
];

export interface DemoOptions extends ScenarioOptions {
  /** What a test looks at in the real-kernel runs. */
  readonly linux?: LinuxRunHooks;
  /** Each real-kernel run's figures (the benchmark's). */
  readonly timed?: (name: string, run: LinuxRun) => void;
}

/** Runs the named scenarios (default: the plan, announced first); 0 when all pass, 1 otherwise. */
export function runDemo(names: readonly string[] | undefined, options: DemoOptions): number {
  const { out } = options;
  if (names === undefined) {
    out("dmalab demo: the VFIO_PLATFORM guide's test cases");
    for (const part of DEMO_PLAN) out(`  ${part.testCase}: ${part.scenarios.join(', ')} on ${part.runsOn}`);
    out('');
  }
  let platform: PlatformDescription | undefined;
  const failed = (names ?? DEMO_PLAN.flatMap((p) => p.scenarios)).filter((name) => {
    const linux = LINUX_SCENARIOS[name];
    if (linux === undefined) return !runModelScenario(name, (platform ??= loadPlatform(options.platform, options.warn)), options);
    out(scenarioHeader(name, linux.title));
    const run = runLinuxScenario(linux, options, options.linux);
    if (run.time) out(`time: power-on to verdict ${run.time.wallSeconds.toFixed(1)} s, ${run.time.guestSeconds.toFixed(3)} s of guest time`);
    options.timed?.(name, run);
    endScenario(name, run, out);
    return !run.pass;
  });
  return verdict(failed, out);
}
