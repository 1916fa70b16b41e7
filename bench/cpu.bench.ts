// MIPS of the user-mode CPU on a compute-bound program, against qemu-arm (a JIT) in the same run, translated and
// interpreted. The clock's cost, before and after: the CPU alone (no quanta, as before the machine had one clock),
// in quanta on a timeline without devices, and in quanta on the guide's platform beside its four DMACs, best and
// median of interleaved runs after a warm-up. Then the target's figure: `dmalab run-elf` of the same program as a whole process
// (Node's start-up, the bundle, the platform, decoding and V8 compiling the translations included) against
// `qemu-arm`'s.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { defaultMachine, platformMachine, type UserMachine } from '../cli/run-elf';
import { LinuxProcess } from '../emulator/linux/process';
import { Workspace } from '../emulator/linux/workspace';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../test/support/toolchain';
import { bestAndMedianOf, runProcess, type ProcessRun } from './whole-process';

/** Whole-process runs of each command: enough for a median (a shared machine's load comes and goes). */
const ROUNDS = 9;
/** Rounds of the clock's before/after comparison (each runs the program three ways, about 0.15 s apiece). */
const CLOCK_ROUNDS = 5;
/** The user-mode CPU's quantum (LinuxProcess's default). */
const QUANTUM_INSTRUCTIONS = 10_000;
const CLI = join(ROOT, 'dist', 'cli.js');

function timing(run: ProcessRun): string {
  return `${run.wallSeconds.toFixed(2)} s (CPU ${run.cpuSeconds!.toFixed(2)} s)`;
}

console.log('In the process: CPU seconds (user + system), not wall time, as the machine may be shared. Whole processes: wall time, best of interleaved runs.');
for (const variant of VARIANTS.slice(0, 2)) {
  if (!toolchainAvailable(variant)) {
    console.log(`skipped: ${variant.compiler} or qemu-arm missing`);
    break;
  }
  const program = compile(join(ROOT, 'bench', 'programs', 'crc32.c'), variant);
  const q = spawnSync('qemu-arm', [program], { encoding: 'utf8', env: {} });
  const qemuSeconds = runProcess('qemu-arm', [program]).cpuSeconds!;

  const run = (machine: UserMachine, translation = true, quantum?: number): { seconds: number; instructions: number } => {
    let output = '';
    const proc = new LinuxProcess(readFileSync(program), {
      bus: machine.bus, frames: machine.frames, devices: machine.devices, timeline: machine.timeline, workspace: new Workspace(ROOT),
      argv: ['/crc32'], env: [], stdout: (d) => { output += Buffer.from(d).toString(); }, stderr: () => {}, quantum,
    });
    proc.cpu.translation = translation;
    const before = process.cpuUsage();
    const outcome = proc.run();
    const used = process.cpuUsage(before);
    if (output !== q.stdout || outcome?.kind !== 'exit') throw new Error(`outputs differ: ${output} vs ${q.stdout} (${JSON.stringify(outcome)})`);
    return { seconds: (used.user + used.system) / 1e6, instructions: proc.cpu.retired };
  };
  const guidePlatform = join(ROOT, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts');
  const ways = [() => run(defaultMachine(), true, Infinity), () => run(defaultMachine()), () => run(platformMachine(guidePlatform))];
  // The first run in the process (V8 compiling the engine and the translations included), then a warm-up of the others.
  const { seconds, instructions } = ways[1]();
  ways[0]();
  ways[2]();
  const times: number[][] = ways.map(() => []);
  for (let round = 0; round < CLOCK_ROUNDS; round++) ways.forEach((way, i) => times[i].push(way().seconds));
  const [alone, quanta, platform] = times.map((t) => [...t].sort((a, b) => a - b)).map((t) => ({ best: t[0], median: t[t.length >> 1] }));
  const mipsOf = (s: number): string => `${(instructions / s / 1e6).toFixed(0)}`;
  const figures = (way: { best: number; median: number }): string =>
    `${mipsOf(way.best)} MIPS best, ${mipsOf(way.median)} median (${(way.best / alone.best).toFixed(2)}x, ${(way.median / alone.median).toFixed(2)}x the time)`;
  console.log(`crc32 (${variant.name}), the clock's cost, ${CLOCK_ROUNDS} interleaved rounds: CPU alone (no quanta, before the clock) ` +
    `${mipsOf(alone.best)} MIPS best, ${mipsOf(alone.median)} median; in ${QUANTUM_INSTRUCTIONS.toLocaleString('en')}-instruction quanta without devices ` +
    `${figures(quanta)}; on the guide's platform's timeline (4 DMA-330, MMU-400, GIC) ${figures(platform)}`);
  const interpreted = run(defaultMachine(), false);
  const mips = instructions / seconds / 1e6;
  console.log(`crc32 (${variant.name}): ${(instructions / 1e6).toFixed(1)} M instructions in ${seconds.toFixed(2)} s = ${mips.toFixed(1)} MIPS; ` +
    `qemu-arm ${qemuSeconds.toFixed(2)} s (${(instructions / qemuSeconds / 1e6).toFixed(0)} MIPS); dmalab/qemu time ratio ${(seconds / qemuSeconds).toFixed(1)}x ` +
    `(interpreted: ${(interpreted.instructions / interpreted.seconds / 1e6).toFixed(1)} MIPS, ${(interpreted.seconds / qemuSeconds).toFixed(1)}x)`);

  // The first run writes the command's code cache, as any earlier use would.
  runProcess('node', [CLI, 'run-elf', program]);
  // Node's own start-up (`node -e 0`, in the same environment) is the floor of any dmalab command.
  const [qemu, dmalab, node] = bestAndMedianOf(ROUNDS, [
    () => runProcess('qemu-arm', [program]), () => runProcess('node', [CLI, 'run-elf', program]), () => runProcess('node', ['-e', '0']),
  ]);
  const load = loadavg()[0].toFixed(1);
  console.log(`crc32 (${variant.name}), whole processes, ${ROUNDS} interleaved runs, best: dmalab run-elf ${timing(dmalab.best)}, qemu-arm ${timing(qemu.best)}: ` +
    `${(dmalab.best.wallSeconds / qemu.best.wallSeconds).toFixed(1)}x qemu-arm's time (target <= 5x), ${(dmalab.best.cpuSeconds! / qemu.best.cpuSeconds!).toFixed(1)}x its CPU time; ` +
    `node -e 0 ${timing(node.best)}; median (load average ${load}): dmalab run-elf ${timing(dmalab.median)}, qemu-arm ${timing(qemu.median)}: ` +
    `${(dmalab.median.wallSeconds / qemu.median.wallSeconds).toFixed(1)}x`);
}
