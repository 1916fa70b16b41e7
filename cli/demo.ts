// `dmalab demo`: the VFIO_PLATFORM guide's test cases, on real Linux kernels where dmalab runs them, step by step.
import { closeSync, openSync, writeSync } from 'node:fs';
import { ParsedArgs, UsageError } from './args';
import type { Command } from './command';
import { InputError } from './input';
import { DEFAULT_PLATFORM, PlatformError, loadPlatform, unknownDmac } from '../scenarios/platform';
import { DEMO_SCENARIO_NAMES, LINUX_SCENARIOS, runDemo } from '../scenarios/demo';

export const demoCommand: Command = {
  name: 'demo',
  usage: `usage: dmalab demo [--scenario NAME]... [--platform DTS|DTB] [--device NAME] [--console-out FILE]

Runs the VFIO_PLATFORM guide's test cases step by step and prints PASS or FAIL last; the exit status is 0 on PASS,
1 on FAIL.
  Test Case 1 (test-case-1-linux): Debian's 6.12 armmp-lpae kernel boots as the host on the platform's host variant
    (examples/platforms/vexpress-mmu400-dma330-host.dts), loads vfio, vfio_iommu_type1 and the out-of-tree
    vfio-platform; the guide's userspace driver (examples/vfio-pl330) binds 2c0a0000.dma to vfio-platform through
    sysfs and copies a page through a type-1 container (MAP_DMA, DMAGO, the interrupt on an eventfd, the comparison),
    Linux's arm-smmu translating; then its copy aimed at an unmapped IOVA is a context fault in dmesg, the channel
    aborts, no write reaches memory. About 20 s. The same steps on the TypeScript model of the host kernel:
    vfio-test-case-1, vfio-isolation (milliseconds).
  Test Case 2 (test-case-2-linux): Debian's 6.1 armmp-lpae kernel boots as a guest given one DMA-330 (dmalab as the
    hypervisor: the guest's RAM elsewhere in host RAM behind a stage 2, the DMAC at a guest address, an SMMU stage-2
    context for its stream); its own dma-pl330 probes the DMAC, dmatest runs 20 iterations on every channel, and
    dma_outside.ko's copy past the guest's RAM faults in the SMMU with no host byte changed. About a minute.
The kernels, modules and initramfs images are built once by 'node scripts/setup.mjs demo' (npm run demo runs it)
and cached in .cache/guest/.
  --scenario NAME   run this scenario; repeat the flag for several, run in order
                    on real kernels: ${Object.keys(LINUX_SCENARIOS).join(', ')}
                    on the models: ${DEMO_SCENARIO_NAMES.filter((name) => !LINUX_SCENARIOS[name]).join(', ')}
  --platform FILE   devicetree source or blob that describes the machine (default: ${DEFAULT_PLATFORM})
  --device NAME     the DMAC, as Linux names it (default: the first, e.g. 2c0a0000.dma)
  --console-out FILE  write the real kernels' whole console to FILE (the demo shows the lines that matter)`,
  flags: { '--platform': { value: true }, '--device': { value: true }, '--scenario': { value: true, repeat: true }, '--console-out': { value: true } },
  run(args: ParsedArgs, io) {
    if (args.positional.length > 0) throw new UsageError('demo takes no positional arguments');
    const scenarios = args.flags.get('--scenario');
    const unknown = scenarios?.find((name) => !DEMO_SCENARIO_NAMES.includes(name));
    if (unknown !== undefined) throw new UsageError(`--scenario: '${unknown}' is not one of ${DEMO_SCENARIO_NAMES.join(', ')}`);
    const device = args.flags.get('--device')?.[0];
    const wrongDevice = device === undefined ? undefined : unknownDmac(loadPlatform(args.flags.get('--platform')?.[0]), device);
    if (wrongDevice !== undefined) throw new UsageError(`--device: ${wrongDevice}`);
    const consoleOut = args.flags.get('--console-out')?.[0];
    const consoleFd = consoleOut === undefined ? undefined : openSync(consoleOut, 'w');
    try {
      return runDemo(scenarios, {
        platform: args.flags.get('--platform')?.[0],
        device,
        out: (line) => io.stdout(`${line}\n`),
        warn: (line) => io.stderr(`${line}\n`),
        linux: consoleFd === undefined ? undefined : { console: (line) => writeSync(consoleFd, `${line}\n`) },
      });
    } catch (error) {
      if (!(error instanceof InputError || error instanceof PlatformError)) throw error;
      io.stderr(`dmalab demo: ${error.message}\n`);
      io.stdout('FAIL\n');
      return 1;
    } finally {
      if (consoleFd !== undefined) closeSync(consoleFd);
    }
  },
};
