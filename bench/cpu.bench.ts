// MIPS of the user-mode CPU on a compute-bound program, against qemu-arm (a JIT) in the same run, translated and
// interpreted; and on the guide's platform, where the CPU runs in quanta on the machine's timeline beside its four
// DMACs (the clock's cost). Then the target's figure: `dmalab run-elf` of the same program as a whole process (Node's
// start-up, the bundle, the platform, decoding and V8 compiling the translations included) against `qemu-arm`'s.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMachine, platformMachine, type UserMachine } from '../cli/run-elf';
import { LinuxProcess } from '../emulator/linux/process';
import { Workspace } from '../emulator/linux/workspace';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../test/support/toolchain';
import { bestOf, runProcess, type ProcessRun } from './whole-process';

const ROUNDS = 5;
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

  const run = (machine: UserMachine, translation = true): { seconds: number; instructions: number } => {
    let output = '';
    const proc = new LinuxProcess(readFileSync(program), {
      bus: machine.bus, frames: machine.frames, devices: machine.devices, timeline: machine.timeline, workspace: new Workspace(ROOT),
      argv: ['/crc32'], env: [], stdout: (d) => { output += Buffer.from(d).toString(); }, stderr: () => {},
    });
    proc.cpu.translation = translation;
    const before = process.cpuUsage();
    const outcome = proc.run();
    const used = process.cpuUsage(before);
    if (output !== q.stdout || outcome?.kind !== 'exit') throw new Error(`outputs differ: ${output} vs ${q.stdout} (${JSON.stringify(outcome)})`);
    return { seconds: (used.user + used.system) / 1e6, instructions: proc.cpu.retired };
  };
  const { seconds, instructions } = run(defaultMachine());
  const platform = run(platformMachine(join(ROOT, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts')));
  console.log(`crc32 (${variant.name}) on the guide's platform's timeline: ${(platform.instructions / platform.seconds / 1e6).toFixed(1)} MIPS ` +
    `(${(platform.seconds / seconds).toFixed(2)}x the time without devices)`);
  const interpreted = run(defaultMachine(), false);
  const mips = instructions / seconds / 1e6;
  console.log(`crc32 (${variant.name}): ${(instructions / 1e6).toFixed(1)} M instructions in ${seconds.toFixed(2)} s = ${mips.toFixed(1)} MIPS; ` +
    `qemu-arm ${qemuSeconds.toFixed(2)} s (${(instructions / qemuSeconds / 1e6).toFixed(0)} MIPS); dmalab/qemu time ratio ${(seconds / qemuSeconds).toFixed(1)}x ` +
    `(interpreted: ${(interpreted.instructions / interpreted.seconds / 1e6).toFixed(1)} MIPS, ${(interpreted.seconds / qemuSeconds).toFixed(1)}x)`);

  // The first run writes the command's code cache, as any earlier use would.
  runProcess('node', [CLI, 'run-elf', program]);
  // Node's own start-up (`node -e 0`, in the same environment) is the floor of any dmalab command.
  const [qemuRun, dmalabRun, nodeRun] = bestOf(ROUNDS, [
    () => runProcess('qemu-arm', [program]), () => runProcess('node', [CLI, 'run-elf', program]), () => runProcess('node', ['-e', '0']),
  ]);
  console.log(`crc32 (${variant.name}), whole processes, best of ${ROUNDS}: dmalab run-elf ${timing(dmalabRun)}, qemu-arm ${timing(qemuRun)}: ` +
    `${(dmalabRun.wallSeconds / qemuRun.wallSeconds).toFixed(1)}x qemu-arm's time (target <= 5x), ${(dmalabRun.cpuSeconds! / qemuRun.cpuSeconds!).toFixed(1)}x its CPU time; ` +
    `node -e 0 ${timing(nodeRun)}`);
}
