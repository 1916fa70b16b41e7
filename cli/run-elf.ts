// `dmalab run-elf PROGRAM.elf [-- ARGS...]`: runs an ARM Linux executable in user mode on the emulator. `runElf`
// is also what `dmalab run` dispatches to when its file is an ELF (magic \x7fELF).
import { fstatSync, readSync, writeFileSync } from 'node:fs';
import { Bus } from '../emulator/bus/bus';
import { Machine } from '../emulator/machine/machine';
import { rangeFrames, type FrameSource } from '../emulator/linux/address-space';
import { ElfError, isElf } from '../emulator/linux/elf';
import { environmentNameProblem, parseAssignment, programEnvironment, type EnvironmentEdit, type EnvironmentEdits } from '../emulator/linux/environment';
import type { DeviceFiles } from '../emulator/linux/files';
import type { Timeline } from '../emulator/machine/clock';
import type { LinuxProcess } from '../emulator/linux/process';
import { hostedOn, startUserProgram } from '../emulator/linux/user-program';
import { traceDeviceAccesses } from '../emulator/linux/trace';
import { machineTraceRecorder } from '../emulator/machine/trace';
import { UsageError, intOption, type ParsedArgs } from './args';
import type { Command, CommandIO } from './command';
import { InputError, checkInputDirectory, checkOutputFile, readInputBytes } from './input';
import { loadPlatform } from '../scenarios/platform';

/** The machine a process runs on: its bus, the RAM its pages come from, and the device files its models serve. */
export interface UserMachine {
  readonly bus: Bus;
  readonly frames: FrameSource;
  readonly devices?: DeviceFiles;
  /** The machine's timeline, which the process's CPU advances (default: no clocked devices). */
  readonly timeline?: Timeline;
  /** The platform machine, when the process runs on one (its DMACs and SMMUs can then be traced). */
  readonly machine?: Machine;
}

/** RAM of the VFIO_PLATFORM guide's platform (an RTSM VE with 2 GiB at 0x80000000), used until a platform model is given. */
export function defaultMachine(): UserMachine {
  const bus = new Bus();
  bus.addRam(0x80000000, 0x80000000);
  return { bus, frames: rangeFrames(bus.memory, 0x80000000, 0x80000000) };
}

/** The machine a devicetree describes (default: the VFIO_PLATFORM guide's platform), with the host-kernel model serving
 * /dev/vfio and sysfs to the process. */
export function platformMachine(platformFile?: string, warn: (line: string) => void = () => {}): UserMachine {
  const machine = new Machine(loadPlatform(platformFile, warn));
  return { ...hostedOn(machine), machine };
}

export interface RunElfOptions {
  readonly program: string;
  readonly args: readonly string[];
  readonly machine?: UserMachine;
  /** Host directory shown to the program as `/` (default: the current directory). */
  readonly workspace?: string;
  /** NAME=VALUE strings (default: this process's environment, as qemu-arm passes its own). */
  readonly env?: readonly string[];
  /** An unimplemented system call stops the program (default: it returns -ENOSYS, with a warning once per call). */
  readonly strictSyscalls?: boolean;
  /** Instruction budget (runaway programs are stopped). */
  readonly maxInstructions?: number;
  readonly sysroot?: string;
  /** The program's stdin (default: this process's standard input). */
  readonly stdin?: (length: number) => Uint8Array;
  /** Where to write the run's DMA timeline (Chrome trace-event JSON). */
  readonly traceOut?: string;
  /** Instructions a block runs interpreted before it is translated (Infinity: never; the translator's tests). */
  readonly translateAfter?: number;
}

export const CRASH_STATUS_BASE = 128;

/** Blocking read of this process's standard input; end of file (or no input) reads as empty. */
function readHostStdin(length: number): Uint8Array {
  const buffer = Buffer.alloc(length);
  for (;;) {
    try {
      return buffer.subarray(0, readSync(0, buffer, 0, length, null));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return buffer.subarray(0, 0);
    }
  }
}

/**
 * Whether this process's stdout is a terminal, as process.stdout.isTTY says, without building that stream (about
 * 1 ms, and the output goes through writeSync anyway): a file or a pipe is no character device, and node:tty (which
 * loads node:net) is loaded only for one.
 */
function stdoutIsTerminal(): boolean {
  try {
    return fstatSync(1).isCharacterDevice() && (require('node:tty') as typeof import('node:tty')).isatty(1);
  } catch {
    return false; // no stdout at all
  }
}

/** Runs the program to completion; its stdout/stderr go to io; returns its exit status (128 + signal on a crash). */
export function runElf(options: RunElfOptions, io: CommandIO): number {
  const bytes = readInputBytes(options.program);
  if (!isElf(bytes)) throw new InputError(`${options.program}: not an ARM Linux executable (no ELF header); PL330 microcode or source runs with dmalab run`);
  if (options.traceOut !== undefined) checkOutputFile(options.traceOut);
  const machine = options.machine ?? defaultMachine();
  let proc: LinuxProcess;
  try {
    proc = startUserProgram({
      path: options.program,
      bytes,
      args: options.args,
      bus: machine.bus,
      frames: machine.frames,
      workspace: options.workspace ?? process.cwd(),
      devices: machine.devices,
      timeline: machine.timeline,
      env: options.env ?? programEnvironment(process.env, {}),
      stdout: (data) => io.stdout(data),
      stderr: (data) => io.stderr(Buffer.from(data).toString('utf8')),
      strictSyscalls: options.strictSyscalls,
      warn: (message) => io.stderr(`dmalab: warning: ${message}\n`),
      stdin: options.stdin ?? readHostStdin,
      terminal: stdoutIsTerminal(),
      sysroot: options.sysroot,
    });
  } catch (error) {
    if (error instanceof ElfError) {
      io.stderr(`dmalab: ${options.program}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (options.translateAfter !== undefined) proc.cpu.translateAfter = options.translateAfter;
  const platform = machine.machine;
  const recorder = options.traceOut === undefined || !platform ? undefined : machineTraceRecorder(platform);
  if (recorder) {
    recorder.attach();
    traceDeviceAccesses(proc, platform!, recorder);
  }
  const outcome = proc.run(options.maxInstructions ?? Infinity);
  if (recorder) writeFileSync(options.traceOut!, JSON.stringify(recorder.document(platform!.now, { program: options.program, picoseconds: platform!.now })) + '\n');
  if (outcome === undefined) {
    io.stderr(`dmalab: ${options.program}: stopped after ${options.maxInstructions} instructions (runaway program?) at pc=0x${proc.cpu.pc.toString(16)}\n${proc.registerDump()}\n`);
    return CRASH_STATUS_BASE + 9;
  }
  switch (outcome.kind) {
    case 'exit':
      return outcome.status;
    case 'signal':
      io.stderr(`dmalab: ${options.program}: ${outcome.reason}\n`);
      return CRASH_STATUS_BASE + outcome.signal;
    default:
      io.stderr(`dmalab: ${options.program}: ${outcome.reason}\n${outcome.registers}\n`);
      return CRASH_STATUS_BASE + outcome.signal;
  }
}

export const runElfCommand: Command = {
  name: 'run-elf',
  usage: `usage: dmalab run-elf PROGRAM.elf [--platform DTS|DTB] [--workspace DIR] [--max-instructions N] [--sysroot DIR]
                     [--env NAME=VALUE]... [--unset-env NAME]... [--clear-env] [--strict-syscalls] [--trace-out FILE]
                     [-- ARGS...]

Runs PROGRAM (an ARMv7 Linux executable, static or dynamic; the libraries of dynamic ones come from Debian's cross
sysroot /usr/arm-linux-gnueabihf or /usr/arm-linux-gnueabi, or from --sysroot, else from DIR) on the emulated CPU. Its stdout and
stderr pass through and its exit status is dmalab's. It sees DIR (default: the current directory) as its file
system root (symbolic links resolve inside it) and gets dmalab's environment. A crash (undefined instruction, bad
memory access) stops it with a report of the PC, the instruction and the registers; the status is then 128 +
signal. A system call dmalab does not implement returns -ENOSYS, as Linux does, and is named once on stderr.
A file dmalab cannot use (the program, the platform devicetree) is reported on one line naming it, with status 1.
  --platform FILE          the machine (devicetree source or blob; default: the VFIO_PLATFORM guide's platform): its RAM holds the
                           process, its DMACs are the VFIO devices under /dev/vfio and /sys/bus/*/devices
  --workspace DIR          host directory the program sees as /
  --max-instructions N     stop a runaway program after N instructions (status 137, as a SIGKILL)
  --sysroot DIR            where the ARM libraries of dynamic executables are (DIR/lib)
  --env NAME=VALUE         set a variable of the program's environment (repeatable)
  --unset-env NAME         remove a variable from it (repeatable; --env and --unset-env apply in command-line order)
  --clear-env              start from an empty environment (then --env adds to it)
  --strict-syscalls        stop the program (crash report) at a system call dmalab does not implement
  --trace-out FILE         write the run's DMA timeline as a Chrome trace-event JSON file (Perfetto, chrome://tracing):
                           the CPU's accesses to device registers, each DMAC's manager and channels (instructions,
                           bursts, waits, events, faults, interrupts), each SMMU context bank's walks and TLB hits`,
  programArguments: () => true,
  flags: {
    '--platform': { value: true }, '--workspace': { value: true }, '--max-instructions': { value: true }, '--sysroot': { value: true },
    '--env': { value: true, repeat: true }, '--unset-env': { value: true, repeat: true }, '--clear-env': {}, '--strict-syscalls': {},
    '--trace-out': { value: true },
  },
  run(args: ParsedArgs, io) {
    if (args.positional.length === 0) throw new UsageError('a PROGRAM is needed');
    if (args.positional.length > 1) throw new UsageError(`one PROGRAM; its own arguments go after '--': ${args.positional[0]} -- ${args.positional.slice(1).join(' ')}`);
    const max = intOption(args, '--max-instructions', 1, Number.MAX_SAFE_INTEGER);
    for (const flag of ['--workspace', '--sysroot']) for (const dir of args.flags.get(flag) ?? []) checkInputDirectory(dir);
    return runElf({
      program: args.positional[0],
      machine: platformMachine(args.flags.get('--platform')?.[0], (line) => io.stderr(`${line}\n`)),
      args: args.rest,
      workspace: args.flags.get('--workspace')?.[0],
      maxInstructions: max,
      sysroot: args.flags.get('--sysroot')?.[0],
      env: programEnvironment(process.env, environmentEdits(args)),
      strictSyscalls: args.flags.has('--strict-syscalls'),
      traceOut: args.flags.get('--trace-out')?.[0],
    }, io);
  },
};

/** --clear-env, then --env and --unset-env in command-line order. */
function environmentEdits(args: ParsedArgs): EnvironmentEdits {
  const edits: EnvironmentEdit[] = [];
  for (const [flag, value] of args.sequence) {
    if (flag === '--env') {
      const edit = parseAssignment(value);
      if (typeof edit === 'string') throw new UsageError(`--env: ${edit}`);
      edits.push(edit);
    } else if (flag === '--unset-env') {
      const problem = environmentNameProblem(value);
      if (problem !== undefined) throw new UsageError(`--unset-env: '${value}': ${problem}`);
      edits.push([value, null]);
    }
  }
  return { clear: args.flags.has('--clear-env'), edits };
}
