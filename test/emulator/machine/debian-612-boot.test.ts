// Debian's 6.12 armmp-lpae kernel (the host kernel of the VFIO_PLATFORM guide's Test Case 1, unmodified; its Image
// taken out of the packaged zImage) boots on the guide's platform to fetch.sh's busybox /init, whose forked
// commands list the DMA channels and IOMMU groups and power off. 6.12 runs the kernel with
// Linux's TTBR0 PAN (LPAE TTBCR with T0SZ = 7, T1SZ = 0, TTBR0 walks disabled): from its first user process on,
// every kernel TLB miss walks TTBR1's tables. The kernel and busybox come from examples/guest/initramfs.sh and
// fetch.sh (run by the test set-up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { bootKernel } from '../../../emulator/machine/linux-boot';
import { SystemMachine } from '../../../emulator/machine/system';
import { loadPlatformDtb } from '../../../scenarios/platform';
import { FAST_BOOT_612, INITRAMFS, ZIMAGE_612, imageOf, initramfsWith } from '../../support/debian-kernel';

const skip = existsSync(ZIMAGE_612) && existsSync(INITRAMFS) ? false : `${ZIMAGE_612} is missing (examples/guest/initramfs.sh and fetch.sh could not fetch Debian's kernels)`;

/** fetch.sh's busybox initramfs with a /test script: the kernel and CPU, the DMA channels and IOMMU groups, power-off. */
function initramfsWithTest(): Uint8Array {
  return initramfsWith({
    test: [
      '#!/bin/sh',
      'echo "== $(uname -r) on $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2)"',
      'echo "== DMA channels: $(ls /sys/class/dma/ | tr "\\n" " ")"',
      'for g in /sys/kernel/iommu_groups/*; do echo "== IOMMU group ${g##*/}: $(ls $g/devices)"; done',
      'poweroff -f',
      '',
    ].join('\n'),
  });
}

test("Debian's 6.12 armmp-lpae kernel boots on the guide's platform to a busybox /init that lists the DMA channels and IOMMU groups and powers off", { skip, timeout: 900_000 }, () => {
  const dtb = loadPlatformDtb(undefined, () => {});
  let console = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { console += String.fromCharCode(byte); } });
  bootKernel(system, { kernel: imageOf(readFileSync(ZIMAGE_612)), dtb, initrd: initramfsWithTest(), bootargs: FAST_BOOT_612 });
  // To the power-off (about 0.4 s of guest time), at most 2 s.
  const outcome = system.run(2_000_000_000);
  assert.equal(outcome.kind, 'off', `${JSON.stringify(outcome)}\n${console}`);
  assert.match(console, /Linux version 6\.12\./);
  assert.match(console, /Run \/init as init process/);
  assert.match(console, /== 6\.12\.\S+-armmp-lpae on\s+ARMv7 Processor rev 0 \(v7l\)/, console);
  assert.match(console, /arm-smmu 2b400000\.iommu: \tstage 2 translation/);
  const channels = /== DMA channels: (.*)/.exec(console)?.[1].trim().split(/\s+/) ?? [];
  assert.deepEqual(channels.sort(), [0, 1, 2].flatMap((d) => Array.from({ length: 8 }, (_, c) => `dma${d}chan${c}`)).sort());
  for (const dmac of ['2c0a1000.dma', '2c0a2000.dma', '2c0a3000.dma']) {
    const group = new RegExp(`dma-pl330 ${dmac.replace('.', '\\.')}: Adding to iommu group (\\d+)`).exec(console);
    assert.ok(group, `${dmac} in an IOMMU group\n${console}`);
    assert.match(console, new RegExp(`== IOMMU group ${group[1]}: ${dmac.replace('.', '\\.')}`));
  }
});
