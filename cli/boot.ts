// `dmalab boot --kernel FILE [--dtb FILE | --platform DTS] [--initrd FILE] [--append ARGS] [--cpus N]
// [--max-seconds N] [--passthrough DEV,...] [--trace-out FILE [--trace-limit N] [--trace-devices dma|all]]`: boots a
// kernel (or a bare-metal ELF) on the system emulation of the platform, with the first PL011 as the console on
// stdin/stdout; with --passthrough, as a guest given those DMACs (dmalab as the hypervisor of the VFIO_PLATFORM guide's
// Test Case 2). Power-off and reset end it with status 0, as QEMU with -no-reboot; running past --max-seconds of guest
// time ends it with 124. The DMA timeline of the boot streams to the --trace-out file as it runs; SIGINT or SIGTERM
// then ends the file and dmalab (with 128 + the signal's number, as a shell reports it).
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { platformFromDtb } from '../emulator/machine/from-dtb';
import { bootKernel, KernelFormatError, kernelFormat } from '../emulator/machine/linux-boot';
import { describeRunaway, findRunaway } from '../emulator/machine/runaway';
import { SystemMachine } from '../emulator/machine/system';
import { PassthroughError, PassthroughGuest } from '../emulator/machine/passthrough';
import { SystemTraceStream, type TracedDevices } from '../emulator/machine/system-trace';
import { MODE_NAMES } from '../emulator/cpu/modes';
import { UsageError, type ParsedArgs } from './args';
import type { Command, CommandIO } from './command';
import { InputError } from './input';
import { loadPlatformDtb } from '../scenarios/platform';

export const TIME_LIMIT_STATUS = 124;
/** Guest time between console flushes, looks at stdin, trace writes and checks for a runaway CPU (ns). */
const SLICE_NS = 10_000_000;
/** Events a boot's trace holds at most unless --trace-limit says otherwise (about 200-250 MB of JSON at 200-230 bytes an event). */
const DEFAULT_TRACE_LIMIT = 1_000_000;
const TRACED_DEVICES: readonly TracedDevices[] = ['dma', 'all'];
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function number(args: ParsedArgs, flag: string, fallback: number): number {
  const text = args.flags.get(flag)?.[0];
  if (text === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0) throw new UsageError(`${flag}: '${text}' is not a positive number`);
  return Number(text);
}

export async function boot(args: ParsedArgs, io: CommandIO): Promise<number> {
  const kernelFile = args.flags.get('--kernel')?.[0];
  if (kernelFile === undefined) throw new UsageError('--kernel FILE is required');
  if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const dtbFile = args.flags.get('--dtb')?.[0];
  const platformFile = args.flags.get('--platform')?.[0];
  if (dtbFile && platformFile) throw new UsageError('give --dtb or --platform, not both');
  const cpus = args.flags.has('--cpus') ? number(args, '--cpus', 1) : undefined;
  if (cpus !== undefined && !Number.isInteger(cpus)) throw new UsageError(`--cpus: '${cpus}' is not a whole number`);
  const maxSeconds = number(args, '--max-seconds', 60);
  const traceOut = args.flags.get('--trace-out')?.[0];
  if (traceOut === undefined && (args.flags.has('--trace-limit') || args.flags.has('--trace-devices'))) throw new UsageError('--trace-limit and --trace-devices go with --trace-out FILE');
  const traceLimit = number(args, '--trace-limit', DEFAULT_TRACE_LIMIT);
  if (!Number.isInteger(traceLimit)) throw new UsageError(`--trace-limit: '${traceLimit}' is not a whole number`);
  const tracedDevices = args.flags.get('--trace-devices')?.[0] ?? 'dma';
  if (!TRACED_DEVICES.includes(tracedDevices as TracedDevices)) throw new UsageError(`--trace-devices: '${tracedDevices}' is not ${TRACED_DEVICES.join(' or ')}`);
  const kernel = new Uint8Array(readFileSync(kernelFile));
  try {
    kernelFormat(kernel);
  } catch (error) {
    if (error instanceof KernelFormatError) throw new InputError(`${kernelFile}: ${error.message}`);
    throw error;
  }
  const initrdFile = args.flags.get('--initrd')?.[0];
  const initrd = initrdFile === undefined ? undefined : new Uint8Array(readFileSync(initrdFile));
  const source = dtbFile ?? platformFile;
  const dtb = dtbFile !== undefined ? new Uint8Array(readFileSync(dtbFile)) : loadPlatformDtb(source, (line) => io.stderr(`${line}\n`));
  let platform;
  try {
    platform = platformFromDtb(dtb);
  } catch (error) {
    throw new Error(`${source ?? 'the default platform'}: ${(error as Error).message}`);
  }
  const interfaces = platform.gic.config.cpus;
  if (cpus !== undefined && cpus > interfaces) throw new UsageError(`--cpus: ${cpus} CPUs, but the platform's GIC has ${interfaces} CPU interfaces`);
  const devices = args.flags.get('--passthrough')?.flatMap((v) => v.split(',')).filter((v) => v !== '');
  if (devices !== undefined && devices.length === 0) throw new UsageError('--passthrough: name the DMACs to assign (e.g. 2c0a0000.dma)');
  let pending: number[] = [];
  let system: SystemMachine;
  try {
    system = new SystemMachine(platform, {
      cpus, console: (byte) => pending.push(byte),
      guest: devices && ((machine) => new PassthroughGuest(machine, dtb, { devices, log: (line) => io.stderr(`dmalab boot: ${line}\n`) })),
    });
  } catch (error) {
    if (error instanceof PassthroughError) throw new UsageError(`--passthrough: ${error.message}`);
    throw error;
  }
  if (system.guest instanceof PassthroughGuest) for (const line of system.guest.describe()) io.stderr(`dmalab boot: ${line}\n`);
  const flush = (): void => {
    if (pending.length) io.stdout(Uint8Array.from(pending));
    pending = [];
  };
  bootKernel(system, { kernel, dtb: system.guest?.dtb ?? dtb, initrd, bootargs: args.flags.get('--append')?.[0] });
  const trace = traceOut === undefined ? undefined : traceTo(traceOut, system, traceLimit, tracedDevices as TracedDevices);
  const uart = system.console;
  const stdin = process.stdin;
  const interactive = uart !== undefined && stdin.isTTY === true;
  const onInput = (data: Buffer): void => uart?.receive(new Uint8Array(data));
  if (interactive) {
    stdin.setRawMode(true);
    stdin.on('data', onInput);
  }
  // With a trace, a signal ends the boot between slices so that the file is complete.
  let signal: NodeJS.Signals | undefined;
  const onSignal = (received: NodeJS.Signals): void => {
    signal = received;
  };
  if (trace) for (const name of STOP_SIGNALS) process.on(name, onSignal);
  try {
    const end = maxSeconds * 1e9;
    for (;;) {
      const outcome = system.run(Math.min(SLICE_NS, end - system.time));
      flush();
      trace?.flush();
      if (outcome.kind === 'off' || outcome.kind === 'reset') return 0;
      if (outcome.kind === 'stopped') {
        const cpu = system.cpus[outcome.cpu];
        io.stderr(`dmalab boot: cpu${outcome.cpu} stopped at pc=0x${cpu.pc.toString(16).padStart(8, '0')} in ${MODE_NAMES[cpu.mode] ?? 'an invalid mode'}: ${JSON.stringify(outcome.stop)}\n`);
        return 1;
      }
      const runaway = findRunaway(system);
      if (runaway !== undefined) {
        io.stderr(`dmalab boot: ${describeRunaway(runaway)}\n`);
        return 1;
      }
      if (system.time >= end) {
        io.stderr(`dmalab boot: stopped after ${maxSeconds} s of guest time (--max-seconds)\n`);
        return TIME_LIMIT_STATUS;
      }
      if (interactive || trace) await new Promise((resolve) => setImmediate(resolve));
      if (signal !== undefined) {
        io.stderr(`dmalab boot: ${signal} after ${(system.time / 1e9).toFixed(3)} s of guest time\n`);
        return 128 + constants.signals[signal];
      }
    }
  } finally {
    for (const name of STOP_SIGNALS) process.off(name, onSignal);
    if (trace) trace.end({ kernel: basename(kernelFile) }, io);
    if (interactive) {
      stdin.off('data', onInput);
      stdin.setRawMode(false);
      stdin.pause();
    }
  }
}

/** The boot's DMA timeline, streamed to `file`. */
function traceTo(file: string, system: SystemMachine, limit: number, devices: TracedDevices): { flush(): void; end(otherData: Record<string, string>, io: CommandIO): void } {
  const fd = openSync(file, 'w');
  const stream = new SystemTraceStream(system, (text) => writeSync(fd, text), { limit, devices });
  return {
    flush: () => stream.flush(),
    end: (otherData, io) => {
      stream.end({ ...otherData, limit });
      closeSync(fd);
      const { recorded, dropped } = stream.recorder.builder;
      if (dropped > 0) io.stderr(`dmalab boot: ${file}: the trace holds its first ${recorded} events (--trace-limit); ${dropped} more were left out\n`);
    },
  };
}

export const bootCommand: Command = {
  name: 'boot',
  usage: `usage: dmalab boot --kernel FILE [--dtb FILE | --platform DTS] [--initrd FILE] [--append ARGS] [--cpus N]
                   [--max-seconds N] [--passthrough DEV,...]
                   [--trace-out FILE [--trace-limit N] [--trace-devices dma|all]]

Boots FILE on Cortex-A15 CPUs of the machine the devicetree describes (default: the VFIO_PLATFORM guide's platform), as
qemu-system-arm's -kernel does: a zImage or Image with the devicetree (its /chosen bootargs and initrd range
written in) and r0 = 0, r1 = ~0, r2 = its address; an ELF at its physical addresses and entry point. The first
PL011 is the console (stdout; stdin when it is a terminal). PSCI SYSTEM_OFF or SYSTEM_RESET ends dmalab with
status 0; running past --max-seconds of guest time ends it with 124.

With --passthrough, dmalab plays the hypervisor of the VFIO_PLATFORM guide's Test Case 2: the kernel boots as a guest
with 512 MiB of RAM (half the platform's, when that is less) at the platform's RAM base, held in host RAM elsewhere
(the top of the platform's RAM) and reached through a stage 2; it sees its own GIC, UARTs, timer and PSCI, and of the host's devices only the assigned DMACs, at
0x0c000000, 0x0c001000... (QEMU virt's platform bus) with SPIs from 112 (irq0..irq7, abort), as AMBA devices for its
dma-pl330. Each DMAC's stream gets a stage-2 context on its SMMU mapping exactly the guest's RAM (VFIO type-1 MAP_DMA);
the SMMU faults the guest's DMA causes are reported on stderr ("Unhandled context fault: fsr=..., iova=...").

  --kernel FILE        zImage, Image or ELF
  --dtb FILE           the devicetree blob handed to the kernel (the machine is built from it)
  --platform FILE      a devicetree source (or blob) instead of --dtb
  --initrd FILE        an initramfs, placed in RAM and named in /chosen
  --append ARGS        the kernel command line (/chosen bootargs)
  --cpus N             CPUs to start with (default: the devicetree's cpus); secondaries start through PSCI CPU_ON
  --max-seconds N      guest time limit (default 60)
  --passthrough DEV,...  boot as a guest with these DMACs assigned (Linux names: 2c0a0000.dma)
  --trace-out FILE     write the boot's DMA timeline as a Chrome trace-event JSON file (Perfetto, chrome://tracing),
                       streamed as the boot runs: each DMAC's manager and channels, each SMMU context bank's walks,
                       and on a lane per CPU (cpu0, cpu1...) the kernel's accesses to the DMACs' and SMMUs' registers
                       (address, register, value, the instruction's PC); SIGINT or SIGTERM ends the file and the boot
  --trace-limit N      record at most N events (default ${DEFAULT_TRACE_LIMIT}); the boot goes on, the rest is counted
  --trace-devices SET  whose register accesses the CPU lanes show: dma (the DMACs and SMMUs, default) or all`,
  flags: {
    '--kernel': { value: true }, '--dtb': { value: true }, '--platform': { value: true }, '--initrd': { value: true },
    '--append': { value: true }, '--cpus': { value: true }, '--max-seconds': { value: true },
    '--passthrough': { value: true },
    '--trace-out': { value: true }, '--trace-limit': { value: true }, '--trace-devices': { value: true },
  },
  run: boot,
};
