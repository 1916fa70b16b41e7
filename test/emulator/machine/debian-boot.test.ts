// Debian's own armmp-lpae kernel (bookworm's 6.1, unmodified; its Image taken out of the packaged zImage so the test
// does not pay for the decompressor) boots on the VFIO_PLATFORM guide's platform, and Linux's drivers probe the
// emulated hardware: arm-smmu finds the MMU-400 with both stages, dma-pl330 loads for the three DMA-330s marked
// arm,primecell (each in its own IOMMU group; the first DMA-330, a platform device, stays free for vfio-platform), and
// the kernel runs /init from the initramfs. The kernel and initramfs come from examples/guest/fetch.sh (run by the
// test set-up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { bootKernel } from '../../../emulator/machine/linux-boot';
import { SystemMachine, type SystemOutcome } from '../../../emulator/machine/system';
import { loadPlatformDtb } from '../../../scenarios/platform';
import { INITRAMFS, ZIMAGE, imageOf, initramfsWith } from '../../support/debian-kernel';

const skip = existsSync(ZIMAGE) && existsSync(INITRAMFS) ? false : `${ZIMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;

/** fetch.sh's busybox initramfs with a /test script (its /init runs it): the processors, the DMA channels, the IOMMU
 * groups and the platform-bus DMAC's driver, then power-off. */
function initramfsWithTest(): Uint8Array {
  return initramfsWith({
    test: [
      '#!/bin/sh',
      'echo "== processors: $(grep -c ^processor /proc/cpuinfo)"',
      'echo "== DMA channels: $(ls /sys/class/dma/ | tr "\\n" " ")"',
      'for g in /sys/kernel/iommu_groups/*; do echo "== IOMMU group ${g##*/}: $(ls $g/devices)"; done',
      'echo "== 2c0a0000.dma driver: $(readlink /sys/bus/platform/devices/2c0a0000.dma/driver || echo none)"',
      'poweroff -f',
      '',
    ].join('\n'),
  });
}

/** Boots the Image with the test's initramfs on `cpus` CPUs: the outcome and the console. */
function bootDebian(cpus: number): { outcome: SystemOutcome; console: string } {
  const dtb = loadPlatformDtb(undefined, () => {});
  let console = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus, console: (byte) => { console += String.fromCharCode(byte); } });
  bootKernel(system, { kernel: imageOf(readFileSync(ZIMAGE)), dtb, initrd: initramfsWithTest(), bootargs: 'console=ttyAMA0 cryptomgr.notests=1' });
  // To the script's power-off (about half a second of guest time), at most 2 s.
  return { outcome: system.run(2_000_000_000), console };
}

/** The 24 channels of the three AMBA DMA-330s, as the script listed them. */
function assertDmaChannels(console: string): void {
  const channels = /== DMA channels: (.*)/.exec(console)?.[1].trim().split(/\s+/) ?? [];
  assert.deepEqual(channels.sort(), [0, 1, 2].flatMap((d) => Array.from({ length: 8 }, (_, c) => `dma${d}chan${c}`)).sort(), console);
}

test("Debian's armmp-lpae kernel boots on the guide's platform: arm-smmu probes the MMU-400, dma-pl330 the three AMBA DMA-330s, a busybox script lists them and powers off", { skip, timeout: 900_000 }, () => {
  const { outcome, console } = bootDebian(1);
  assert.equal(outcome.kind, 'off', `${JSON.stringify(outcome)}\n${console}`);
  assert.match(console, /Run \/init as init process/, console);
  assert.match(console, /CPU: ARMv7 Processor \[414fc0f0\]/);
  assert.match(console, /== processors: 1\r?\n/);
  for (const line of ['SMMUv1 with:', 'stage 1 translation', 'stage 2 translation', 'nested translation', 'stream matching with 4 register groups', '4 context banks (0 stage-2 only)']) {
    assert.ok(console.includes(`arm-smmu 2b400000.iommu: ${line}`) || console.includes(`arm-smmu 2b400000.iommu: \t${line}`), `arm-smmu: ${line}\n${console}`);
  }
  const groups = new Map<string, string>();
  for (const dmac of ['2c0a1000.dma', '2c0a2000.dma', '2c0a3000.dma']) {
    const group = new RegExp(`dma-pl330 ${dmac.replace('.', '\\.')}: Adding to iommu group (\\d+)`).exec(console);
    assert.ok(group, `${dmac} in an IOMMU group\n${console}`);
    groups.set(group[1], dmac);
    assert.match(console, new RegExp(`dma-pl330 ${dmac.replace('.', '\\.')}: Loaded driver for PL330 DMAC-241330`));
  }
  assert.equal(groups.size, 3, 'one group per DMAC');
  // What the script in the initramfs saw (run by busybox's sh, a forked process): 3 x 8 channels, one group each.
  assertDmaChannels(console);
  for (const [group, dmac] of groups) assert.match(console, new RegExp(`== IOMMU group ${group}: ${dmac.replace('.', '\\.')}`));
  assert.match(console, /== 2c0a0000\.dma driver: none/, 'the platform-bus DMA-330 stays free for vfio-platform');
});

test("With 2 CPUs: the secondary starts through PSCI CPU_ON, both run the kernel (IPIs through the banked GIC, a timer each), and the script sees 2 processors and the DMA channels", { skip, timeout: 900_000 }, () => {
  const { outcome, console } = bootDebian(2);
  assert.equal(outcome.kind, 'off', `${JSON.stringify(outcome)}\n${console}`);
  assert.match(console, /smp: Brought up 1 node, 2 CPUs/, console);
  assert.match(console, /SMP: Total of 2 processors activated/);
  assert.match(console, /== processors: 2\r?\n/);
  assertDmaChannels(console);
  assert.doesNotMatch(console, /CPU1: failed to come online|rcu_sched self-detected stall|BUG:|Oops/);
});
