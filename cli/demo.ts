// `dmalab demo`: the VFIO_PLATFORM guide's Test Case 1 and the isolation check on the default platform, step by step.
import { ParsedArgs, UsageError } from './args';
import type { Command } from './command';
import { InputError } from './input';
import { DEFAULT_PLATFORM, PlatformError } from '../scenarios/platform';
import { SCENARIOS, runScenarios } from '../scenarios/registry';

export const demoCommand: Command = {
  name: 'demo',
  usage: `usage: dmalab demo [--platform DTS|DTB] [--device NAME] [--scenario NAME]

Boots the host-kernel model on the platform (default: ${DEFAULT_PLATFORM}, an MMU-400 in front of four
DMA-330s), binds a DMAC to vfio-platform through sysfs and runs the VFIO_PLATFORM guide's userspace driver: container, group,
SET_IOMMU, device fd, register mmap, MAP_DMA of source, destination and microcode, DMAGO, the interrupt through an
eventfd, the comparison. Then Test Case 2: a VMM passes the DMAC through to a guest (guest RAM mapped at IOVA =
guest physical address, the register page in the guest's map, interrupts by irqfd) whose own PL330 driver runs
dmatest; a guest copy outside its RAM is stopped by the SMMU. Then the isolation check: microcode that writes to an unmapped IOVA faults in the SMMU and
no byte of memory changes. Prints each step and PASS or FAIL; the exit status is 0 on PASS, 1 on FAIL.
  --platform FILE   devicetree source or blob that describes the machine
  --device NAME     the DMAC, as Linux names it (default: the first, e.g. 2c0a0000.dma)
  --scenario NAME   run one scenario: ${Object.keys(SCENARIOS).join(', ')}`,
  flags: { '--platform': { value: true }, '--device': { value: true }, '--scenario': { value: true } },
  run(args: ParsedArgs, io) {
    if (args.positional.length > 0) throw new UsageError('demo takes no positional arguments');
    const scenario = args.flags.get('--scenario')?.[0];
    if (scenario !== undefined && !SCENARIOS[scenario]) throw new UsageError(`--scenario: '${scenario}' is not one of ${Object.keys(SCENARIOS).join(', ')}`);
    try {
      return runScenarios(scenario ? [scenario] : Object.keys(SCENARIOS), {
        platform: args.flags.get('--platform')?.[0],
        device: args.flags.get('--device')?.[0],
        out: (line) => io.stdout(`${line}\n`),
        warn: (line) => io.stderr(`${line}\n`),
      });
    } catch (error) {
      if (!(error instanceof InputError || error instanceof PlatformError)) throw error;
      io.stderr(`dmalab demo: ${error.message}\n`);
      io.stdout('FAIL\n');
      return 1;
    }
  },
};
