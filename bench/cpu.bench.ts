// MIPS of the user-mode CPU on a compute-bound program, against qemu-arm (a JIT) in the same run, translated and
// interpreted; and on the guide's platform, where the CPU runs in quanta on the machine's timeline beside its four
// DMACs (the clock's cost).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMachine, platformMachine, type UserMachine } from '../cli/run-elf';
import { LinuxProcess } from '../emulator/linux/process';
import { Workspace } from '../emulator/linux/workspace';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../test/support/toolchain';

/** CPU time (user + system) of this process's waited-for children: the machine is shared, wall time is noisy. */
function childCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
  // After the command name: state is field 3; cutime and cstime are fields 16 and 17 (in clock ticks, 100 Hz).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

console.log('CPU seconds (user + system), not wall time: the machine may be shared.');
for (const variant of VARIANTS.slice(0, 2)) {
  if (!toolchainAvailable(variant)) {
    console.log(`skipped: ${variant.compiler} or qemu-arm missing`);
    break;
  }
  const program = compile(join(ROOT, 'bench', 'programs', 'crc32.c'), variant);
  const childBefore = childCpuSeconds();
  const q = spawnSync('qemu-arm', [program], { encoding: 'utf8', env: {} });
  const qemuSeconds = childCpuSeconds() - childBefore;

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
}
