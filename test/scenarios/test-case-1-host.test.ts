// The VFIO_PLATFORM guide's Test Case 1 on Debian's real 6.12 host kernel (unmodified), as `dmalab demo --scenario
// test-case-1-linux` runs it (one boot): the initramfs of examples/guest/initramfs.sh loads Debian's vfio and
// vfio_iommu_type1 (allow_unsafe_interrupts=1) and the out-of-tree vfio-platform (reset_required=0);
// examples/vfio-pl330/vfio-pl330 binds 2c0a0000.dma to vfio-platform, puts its group in a type-1 container, copies a
// page through Linux's arm-smmu stage-1 context on the emulated MMU-400 (PASS), then, with --unmapped, aims the copy
// at an unmapped IOVA: arm-smmu reports the context fault, the channel aborts, no write reaches memory.
// The machine is the host variant of the guide's platform (examples/platforms/vexpress-mmu400-dma330-host.dts): its
// 40-bit dma-ranges window makes ARM's DMA mapping (32-bit only) decline the DMAC, whose group then stays in its
// default domain for VFIO to claim; the guide's platform itself gets EBUSY from VFIO_GROUP_SET_CONTAINER, which
// test-case-1-verdict.test.ts covers without booting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingFiles, runLinuxScenario } from '../../scenarios/linux-scenario';
import { testCase1Linux } from '../../scenarios/test-case-1-linux';

const missing = missingFiles(testCase1Linux.boot);
const skip = missing.length === 0 ? false : `${missing.join(', ')} missing (examples/guest/initramfs.sh could not fetch Debian's 6.12 kernel)`;

test("Test Case 1 on Debian's 6.12 host kernel: vfio-pl330 copies a page through vfio-platform and arm-smmu (PASS); its copy to an unmapped IOVA is a context fault in dmesg, with no write reaching memory", { skip, timeout: 900_000 }, () => {
  const output: string[] = [];
  const console: string[] = [];
  const run = runLinuxScenario(testCase1Linux, { out: (line) => output.push(line) }, { console: (line) => console.push(line) });
  const text = console.join('\n');
  assert.equal(run.failure, undefined, `${output.join('\n')}\n${text}`);
  assert.equal(run.pass, true);
  for (const module of ['vfio', 'vfio_iommu_type1', 'vfio-platform-base', 'vfio-platform']) assert.match(text, new RegExp(`^insmod ${module}\\.ko rc=0$`, 'm'));
  // ARM's DMA mapping declined the 40-bit window (arch/arm/mm/dma-mapping.c): the group stays in its default domain.
  assert.match(text, /\] Failed to create 1099511627775-byte IOMMU mapping for device 2c0a0000\.dma$/m);
  const group = /vfio-platform 2c0a0000\.dma: Adding to iommu group (\d+)/.exec(text)?.[1];
  assert.ok(group !== undefined, text);
  assert.match(text, new RegExp(`^device 2c0a0000\\.dma \\(platform bus, vfio-platform\\), group /dev/vfio/${group}$`, 'm'));
  assert.match(text, /^copy of 4096 bytes: PASS$/m);
  assert.match(text, /^vfio-pl330 exit status 0$/m);
  // The isolation check: Linux's own arm-smmu fault handler, the PL330's data write error, the exit status.
  assert.match(text, /\] arm-smmu 2b400000\.iommu: Unhandled context fault: fsr=0x2, iova=0x50000000, fsynr=0x11, cbfrsynra=0x0, cb=\d+$/m);
  assert.match(text, /^CSR0 0xf FSRD 0x0 FSRC 0x1 FTR0 0x20000$/m);
  assert.match(text, /^isolation: channel 0 faulted on its write, destination buffer untouched: PASS$/m);
  assert.match(text, /^vfio-pl330 --unmapped exit status 0$/m);
  // What the scenario saw on the machine: arm-smmu's stage-1 context translated every write of the copy, and stopped
  // the isolation check's.
  assert.ok(output.some((l) => /the copy's DMA: 2b400000\.iommu: stream 0 -> context bank \d \(stage 1\): .* iova 0x10002000 -> 0x[89a-f][0-9a-f]{7}$/.test(l)), output.join('\n'));
  assert.ok(output.includes('     the copy: PASS, 256 writes (4096 bytes) of 2c0a0000.dma, every one translated by the SMMU\'s stage 1'), output.join('\n'));
  assert.ok(output.some((l) => /2c0a0000\.dma's writes: [1-9]\d* stopped by the SMMU, 0 reached memory/.test(l)), output.join('\n'));
  assert.ok(run.time && run.time.guestSeconds < testCase1Linux.boot.maxSeconds);
});
