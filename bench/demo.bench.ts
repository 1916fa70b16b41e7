// `dmalab demo`'s test cases from power-on to verdict: wall time and guest (machine) time of each, as the demo runs
// them, one run each: Test Case 1 on Debian's 6.12 kernel as the host (test-case-1-linux, about 20 s), Test
// Case 2 on Debian's 6.1 kernel as a guest (test-case-2-linux, about a minute); for reference, the same test case on
// the TypeScript kernel models in the same process (vfio-test-case-1 and vfio-isolation, vfio-passthrough).
import { Machine } from '../emulator/machine/machine';
import { LINUX_SCENARIOS, runDemo } from '../scenarios/demo';
import { missingFiles } from '../scenarios/linux-scenario';
import { loadPlatform } from '../scenarios/platform';
import { scenarioSession } from '../scenarios/registry';
import { runThrough } from '../scenarios/vfio-session';

/** Model runs per figure (best of): they take milliseconds. */
const MODEL_ROUNDS = 5;
const platform = loadPlatform();

/** Best wall time of a model scenario, and its machine time; fails the benchmark when the scenario does. */
function modelRun(name: string): { wallSeconds: number; guestSeconds: number } {
  let best = { wallSeconds: Infinity, guestSeconds: 0 };
  for (let round = 0; round < MODEL_ROUNDS; round++) {
    const machine = new Machine(platform);
    const start = performance.now();
    const status = runThrough(machine, scenarioSession(name, machine, () => {}, undefined));
    const wallSeconds = (performance.now() - start) / 1000;
    if (status !== 0) throw new Error(`${name} failed: run 'dmalab demo --scenario ${name}'`);
    if (wallSeconds < best.wallSeconds) best = { wallSeconds, guestSeconds: machine.now / 1e12 };
  }
  return best;
}

/** A duration in the unit that suits it. */
function duration(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(1)} s`;
  return seconds >= 1e-3 ? `${(seconds * 1e3).toFixed(1)} ms` : `${(seconds * 1e6).toFixed(1)} µs`;
}

const figures = (wall: number, guest: number): string => `${duration(wall)} wall, ${duration(guest)} guest time (${(wall / guest).toFixed(0)}x real time)`;

/** The model scenarios that run each real-kernel scenario's test case on the TypeScript kernel models. */
const MODEL_REFERENCES: Readonly<Record<string, readonly string[]>> = {
  'test-case-1-linux': ['vfio-test-case-1', 'vfio-isolation'],
  'test-case-2-linux': ['vfio-passthrough'],
};
const model = Object.fromEntries(Object.values(MODEL_REFERENCES).flat().map((name) => [name, modelRun(name)]));

for (const name of Object.keys(LINUX_SCENARIOS)) {
  const missing = missingFiles(LINUX_SCENARIOS[name].boot);
  if (missing.length > 0) {
    console.log(`${name}: skipped (${missing.join(', ')} missing: node scripts/setup.mjs demo)`);
    continue;
  }
  let status = 1;
  const cpu = process.cpuUsage();
  runDemo([name], {
    out: () => {},
    timed: (_, run) => {
      status = run.pass ? 0 : 1;
      const { user, system } = process.cpuUsage(cpu);
      const time = run.time ? `${figures(run.time.wallSeconds, run.time.guestSeconds)}, ${duration((user + system) / 1e6)} CPU time` : 'not started';
      console.log(`${name} (power-on to verdict): ${time}${run.pass ? '' : `; FAILED: ${run.failure}`}`);
    },
  });
  const references = (MODEL_REFERENCES[name] ?? []).map((reference) => `${reference} ${figures(model[reference].wallSeconds, model[reference].guestSeconds)}`);
  if (references.length > 0) console.log(`  the same test case on the kernel models: ${references.join('; ')} (best of ${MODEL_ROUNDS})`);
  if (status !== 0) process.exitCode = 1;
}
