// The VFIO_PLATFORM guide's test cases on real Linux kernels (`dmalab demo`): a kernel booted with an initramfs on
// the system emulation of the platform (as a guest, dmalab its hypervisor, when DMACs are passed through), whose
// /init runs the test case and powers off. The scenario watches the console line by line for the steps it reports
// and gives the verdict from what the console and the machine showed. The kernels, modules and initramfs images are
// built once by examples/guest/ (`node scripts/setup.mjs demo`) and cached under .cache/guest/.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bootKernel } from '../emulator/machine/linux-boot';
import { PassthroughError, PassthroughGuest } from '../emulator/machine/passthrough';
import { SystemMachine, type SystemOutcome } from '../emulator/machine/system';
import { DEFAULT_PLATFORM, describePlatform, loadPlatformDtb, packageRoot } from './platform';
import { StepLog, type ScenarioOutput, type ScenarioResult } from './vfio-session';

/** What a real-kernel scenario boots; paths relative to the package (or absolute). */
export interface KernelBoot {
  /** An Image or zImage. */
  readonly kernel: string;
  readonly initrd: string;
  /** The machine's devicetree (.dts or .dtb); default: the VFIO_PLATFORM guide's platform. */
  readonly platform?: string;
  readonly append: string;
  readonly cpus: number;
  /** DMACs assigned to the kernel booted as a guest (Linux names); none: it boots on the machine itself. */
  readonly passthrough?: readonly string[];
  /** Guest time after which the run is a failure. */
  readonly maxSeconds: number;
}

/** One run's watcher: fed the console line by line as the kernel prints it, asked for the verdict at the end. */
export interface ConsoleWatch {
  line(text: string): void;
  verdict(outcome: SystemOutcome): ScenarioResult;
}

export interface LinuxScenario {
  readonly title: string;
  readonly boot: KernelBoot;
  /** Reports the steps before power-on (the platform, the hypervisor's guest view) and watches the boot. */
  watch(system: SystemMachine, log: StepLog): ConsoleWatch;
}

export interface LinuxRun extends ScenarioResult {
  /** From power-on to the verdict; none when the kernel could not be started. */
  readonly time?: { readonly wallSeconds: number; readonly guestSeconds: number };
}

export interface LinuxRunHooks {
  /** The machine before power-on (a test observes it). */
  readonly machine?: (system: SystemMachine) => void;
  /** Every console line, as the kernel printed it. */
  readonly console?: (line: string) => void;
}

/** The files of a boot that are missing, as the boot names them. */
export function missingFiles(boot: KernelBoot): string[] {
  return [boot.kernel, boot.initrd].filter((file) => !existsSync(resolve(packageRoot(), file)));
}

export interface LinuxRunOptions {
  readonly out: ScenarioOutput;
  /** Devicetree (.dts or .dtb) of the machine instead of the scenario's. */
  readonly platform?: string;
  /** The DMAC passed through instead of the scenario's. */
  readonly device?: string;
  readonly warn?: (line: string) => void;
}

/** Boots the scenario's kernel and runs it to power-off (or its time limit); the verdict and how long it took. */
export function runLinuxScenario(scenario: LinuxScenario, options: LinuxRunOptions, hooks: LinuxRunHooks = {}): LinuxRun {
  const started = performance.now();
  const { boot } = scenario;
  // A platform that cannot describe a machine is the user's input error (PlatformError), with or without the kernel.
  const root = packageRoot();
  const platformFile = options.platform ?? resolve(root, boot.platform ?? DEFAULT_PLATFORM);
  const dtb = loadPlatformDtb(platformFile, options.warn);
  const platform = describePlatform(dtb, platformFile);
  const missing = missingFiles(boot);
  if (missing.length > 0) {
    return { pass: false, failure: `${missing.join(', ')} missing: 'node scripts/setup.mjs demo' builds them` };
  }
  let pending = '';
  let watch: ConsoleWatch | undefined;
  const lineDone = (): void => {
    const text = pending.replace(/\r$/, '');
    pending = '';
    hooks.console?.(text);
    watch?.line(text);
  };
  const devices = options.device !== undefined && boot.passthrough ? [options.device] : boot.passthrough;
  let system: SystemMachine;
  try {
    system = new SystemMachine(platform, {
      cpus: boot.cpus,
      console: (byte) => {
        if (byte === 0x0a) lineDone();
        else pending += String.fromCharCode(byte);
      },
      guest: devices && ((machine) => new PassthroughGuest(machine, dtb, { devices, log: (line) => watch?.line(hypervisorLine(line)) })),
    });
  } catch (error) {
    if (!(error instanceof PassthroughError)) throw error;
    return { pass: false, failure: `no passthrough: ${error.message}` };
  }
  watch = scenario.watch(system, new StepLog(options.out));
  hooks.machine?.(system);
  bootKernel(system, {
    kernel: new Uint8Array(readFileSync(resolve(root, boot.kernel))),
    dtb: system.guest?.dtb ?? dtb,
    initrd: new Uint8Array(readFileSync(resolve(root, boot.initrd))),
    bootargs: boot.append,
  });
  const outcome = system.run(boot.maxSeconds * 1e9);
  if (pending) lineDone();
  const result = watch.verdict(outcome);
  return { ...result, time: { wallSeconds: (performance.now() - started) / 1000, guestSeconds: system.time / 1e9 } };
}

/** The hypervisor's messages reach a watcher as console lines with this prefix, in the order they happened. */
export const HYPERVISOR_PREFIX = 'dmalab hypervisor: ';
const hypervisorLine = (line: string): string => `${HYPERVISOR_PREFIX}${line}`;

/** A console line without the kernel's `[    1.234567] ` timestamp. */
export function withoutTimestamp(line: string): string {
  return line.replace(/^\[\s*\d+\.\d+\]\s?/, '');
}

/** How a run ended, when it did not power off. */
export function outcomeProblem(outcome: SystemOutcome, boot: KernelBoot): string | undefined {
  switch (outcome.kind) {
    case 'off': return undefined;
    case 'reset': return 'the kernel reset the machine';
    case 'time-limit': return `no power-off within ${boot.maxSeconds} s of guest time`;
    case 'stopped': return `cpu${outcome.cpu} stopped: ${JSON.stringify(outcome.stop)}`;
  }
}
