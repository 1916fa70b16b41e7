// `dmalab demo`'s test cases from power-on to verdict: wall time and guest (machine) time of each, as the demo runs
// them. Test Case 2 on Debian's 6.1 kernel as a guest (test-case-2-linux), one run (a boot takes about a minute);
// for reference, the same test case on the TypeScript kernel models (vfio-passthrough) in the same process, and Test
// Case 1, which runs on the host-kernel model until a real host kernel runs it (vfio-test-case-1, vfio-isolation).
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

const model = Object.fromEntries(['vfio-test-case-1', 'vfio-isolation', 'vfio-passthrough'].map((name) => [name, modelRun(name)]));
console.log(`Test Case 1 on the host-kernel model: vfio-test-case-1 ${figures(model['vfio-test-case-1'].wallSeconds, model['vfio-test-case-1'].guestSeconds)}; ` +
  `vfio-isolation ${figures(model['vfio-isolation'].wallSeconds, model['vfio-isolation'].guestSeconds)} (best of ${MODEL_ROUNDS})`);

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
  const reference = model['vfio-passthrough'];
  console.log(`  the same test case on the kernel models (vfio-passthrough): ${figures(reference.wallSeconds, reference.guestSeconds)} (best of ${MODEL_ROUNDS})`);
  if (status !== 0) process.exitCode = 1;
}
