// The VFIO_PLATFORM guide's Test Case 1 on Debian's real 6.12 host kernel (unmodified), as far as that kernel goes:
// the initramfs of examples/guest/initramfs.sh loads Debian's vfio and vfio_iommu_type1 (allow_unsafe_interrupts=1)
// and the out-of-tree vfio-platform (reset_required=0), and examples/vfio-pl330/vfio-pl330 binds 2c0a0000.dma to
// vfio-platform through driver_override and drivers_probe, opens the container and the device's IOMMU group (viable).
// VFIO_GROUP_SET_CONTAINER then fails with EBUSY on 32-bit ARM: ARM_DMA_USE_IOMMU (selected by ARM_SMMU) makes
// arch_setup_dma_ops() attach ARM's own DMA mapping domain to every device behind the SMMU when it is probed
// (arch/arm/mm/dma-mapping.c, arm_setup_iommu_dma_ops), so the group's domain is not its default domain when VFIO
// claims it (drivers/vfio/container.c iommu_group_claim_dma_owner -> drivers/iommu/iommu.c
// __iommu_take_dma_ownership: -EBUSY). The kernel logs nothing for it. ARM_SMMU selects ARM_DMA_USE_IOMMU on ARM
// (drivers/iommu/Kconfig), so a host kernel rebuilt with ARM_SMMU takes the same path; PASS is accepted should a
// kernel get past it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformFromDtb } from '../../emulator/machine/from-dtb';
import { bootKernel } from '../../emulator/machine/linux-boot';
import { SystemMachine } from '../../emulator/machine/system';
import { loadPlatformDtb } from '../../scenarios/platform';
import { ROOT } from '../support/toolchain';
import { FAST_BOOT_612, ZIMAGE_612, imageOf } from '../support/debian-kernel';

const INITRAMFS = join(ROOT, '.cache', 'guest', '6.12', 'test-case-1-host.cpio.gz');
const skip = existsSync(ZIMAGE_612) && existsSync(INITRAMFS) ? false : `${INITRAMFS} is missing (examples/guest/initramfs.sh could not fetch Debian's 6.12 kernel)`;

test("Test Case 1 on Debian's 6.12 host kernel: vfio-platform binds the platform DMA-330 behind the MMU-400 and its IOMMU group opens viable; the container claim is ARM's EBUSY", { skip, timeout: 900_000 }, () => {
  const dtb = loadPlatformDtb(undefined, () => {});
  let console = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { console += String.fromCharCode(byte); } });
  bootKernel(system, { kernel: imageOf(readFileSync(ZIMAGE_612)), dtb, initrd: new Uint8Array(readFileSync(INITRAMFS)), bootargs: FAST_BOOT_612 });
  // To the power-off (about 0.55 s of guest time), at most 3 s.
  const outcome = system.run(3_000_000_000);
  assert.equal(outcome.kind, 'off', `${JSON.stringify(outcome)}\n${console}`);
  for (const module of ['vfio', 'vfio_iommu_type1', 'vfio-platform-base', 'vfio-platform']) assert.match(console, new RegExp(`insmod ${module}\\.ko rc=0`), console);
  assert.match(console, /arm-smmu 2b400000\.iommu: \tcoherent table walk/);
  assert.match(console, /vfio-platform 2c0a0000\.dma: Adding to iommu group (\d+)/);
  assert.doesNotMatch(console, /probe with driver vfio-platform failed/);
  const group = /vfio-platform 2c0a0000\.dma: Adding to iommu group (\d+)/.exec(console)![1];
  assert.match(console, new RegExp(`device 2c0a0000\\.dma \\(platform bus, vfio-platform\\), group /dev/vfio/${group}`));
  // Past GET_STATUS (viable): the container claim is where Debian's 32-bit kernel stops.
  assert.match(console, /vfio-pl330: group: SET_CONTAINER: Device or resource busy|copy of \d+ bytes: PASS/, console);
});
