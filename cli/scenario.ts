// The built-in scenarios (`dmalab demo`, and `dmalab run --scenario NAME`): a machine from a platform, a scenario
// that prints each step, and a final PASS or FAIL line with the matching exit status.
import { Machine } from '../emulator/machine/machine';
import type { ScenarioOutput, ScenarioResult } from '../scenarios/vfio-session';
import { vfioIsolation, vfioTestCase1 } from '../scenarios/vfio-test-case-1';
import { vfioPassthrough } from '../scenarios/vfio-test-case-2';
import { loadPlatform } from './platform';

export interface ScenarioOptions {
  /** Devicetree (.dts or .dtb); default: the seed's platform. */
  readonly platform?: string;
  /** The DMAC to use (Linux device name, e.g. 2c0a1000.dma); default: the first one. */
  readonly device?: string;
  readonly out: ScenarioOutput;
  /** Devicetree compiler warnings. */
  readonly warn?: (line: string) => void;
}

interface Scenario {
  readonly title: string;
  run(machine: Machine, out: ScenarioOutput, device: string | undefined): ScenarioResult;
}

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  'vfio-test-case-1': {
    title: "the seed's Test Case 1: a VFIO_PLATFORM userspace driver copies a buffer with the DMA-330",
    run: (m, out, device) => vfioTestCase1(m, out, { device }),
  },
  'vfio-passthrough': {
    title: "the seed's Test Case 2: the DMA-330 passed through to a guest whose own PL330 driver runs dmatest, isolated by the SMMU",
    run: (m, out, device) => vfioPassthrough(m, out, { device }),
  },
  'vfio-isolation': {
    title: 'isolation: microcode aimed at an unmapped IOVA faults in the SMMU and memory stays untouched',
    run: (m, out, device) => vfioIsolation(m, out, { device }),
  },
};

/** Runs scenarios in order on fresh machines; 0 when all pass, 1 otherwise. Prints PASS or FAIL last. */
export function runScenarios(names: readonly string[], options: ScenarioOptions): number {
  const { out } = options;
  const platform = loadPlatform(options.platform, options.warn);
  const failed: string[] = [];
  for (const name of names) {
    const scenario = SCENARIOS[name];
    if (!scenario) throw new Error(`unknown scenario '${name}' (have: ${Object.keys(SCENARIOS).join(', ')})`);
    out(`== ${name}: ${scenario.title}`);
    const result = scenario.run(new Machine(platform), out, options.device);
    out(`== ${name}: ${result.pass ? 'passed' : `FAILED (${result.failure})`}`);
    out('');
    if (!result.pass) failed.push(name);
  }
  out(failed.length === 0 ? 'PASS' : `FAIL: ${failed.join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}

/** `dmalab run --scenario NAME`: one scenario. */
export function runScenario(name: string, options: ScenarioOptions): number {
  return runScenarios([name], options);
}
