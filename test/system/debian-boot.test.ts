// Debian's own armmp-lpae kernel (bookworm's 6.1, unmodified; its Image taken out of the packaged zImage so the test
// does not pay for the decompressor) boots on the VFIO_PLATFORM guide's platform, and Linux's drivers probe the
// emulated hardware: arm-smmu finds the MMU-400 with both stages, dma-pl330 loads for the three DMA-330s marked
// arm,primecell (each in its own IOMMU group; the first DMA-330, a platform device, stays free for vfio-platform), and
// the kernel runs /init from the initramfs. The kernel and initramfs come from examples/guest/fetch.sh (run by the
// test set-up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformFromDtb } from '../../emulator/machine/from-dtb';
import { bootKernel } from '../../emulator/machine/linux-boot';
import { SystemMachine } from '../../emulator/machine/system';
import { loadPlatformDtb } from '../../scenarios/platform';
import { ROOT } from '../cpu/toolchain';

const GUEST = join(ROOT, '.cache', 'guest', 'boot');
const ZIMAGE = join(GUEST, 'vmlinuz');
const INITRD = join(GUEST, 'initramfs.cpio.gz');
const skip = existsSync(ZIMAGE) && existsSync(INITRD) ? false : `${ZIMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** The kernel Image inside a zImage: the xz stream that decompresses (the decompressor's own code may contain the
 * magic too). */
function imageOf(zImage: Buffer): Uint8Array {
  for (let at = zImage.indexOf(XZ_MAGIC); at >= 0; at = zImage.indexOf(XZ_MAGIC, at + 1)) {
    try {
      const image = execFileSync('xz', ['-dc', '--single-stream'], { input: zImage.subarray(at), maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'ignore'] });
      if (image.length > 1 << 20) return new Uint8Array(image);
    } catch {
      // Not the Image's stream: try the next magic.
    }
  }
  throw new Error('no xz-compressed Image in the zImage');
}

test("Debian's armmp-lpae kernel boots on the guide's platform: arm-smmu probes the MMU-400, dma-pl330 the three AMBA DMA-330s, /init runs", { skip, timeout: 900_000 }, () => {
  const dtb = loadPlatformDtb(undefined, () => {});
  let console = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { console += String.fromCharCode(byte); } });
  bootKernel(system, { kernel: imageOf(readFileSync(ZIMAGE)), dtb, initrd: new Uint8Array(readFileSync(INITRD)), bootargs: 'console=ttyAMA0 cryptomgr.notests=1' });
  // Until /init starts (about 0.16 s of guest time), in slices of 10 ms of guest time.
  for (let slices = 0; slices < 100 && !console.includes('Run /init as init process'); slices++) {
    const outcome = system.run(10_000_000);
    assert.equal(outcome.kind, 'time-limit', `${JSON.stringify(outcome)}\n${console}`);
  }
  assert.match(console, /Run \/init as init process/, console);
  assert.match(console, /CPU: ARMv7 Processor \[414fc0f0\]/);
  for (const line of ['SMMUv1 with:', 'stage 1 translation', 'stage 2 translation', 'nested translation', 'stream matching with 4 register groups', '4 context banks (0 stage-2 only)']) {
    assert.ok(console.includes(`arm-smmu 2b400000.iommu: ${line}`) || console.includes(`arm-smmu 2b400000.iommu: \t${line}`), `arm-smmu: ${line}\n${console}`);
  }
  const groups = new Set<string>();
  for (const dmac of ['2c0a1000.dma', '2c0a2000.dma', '2c0a3000.dma']) {
    const group = new RegExp(`dma-pl330 ${dmac.replace('.', '\\.')}: Adding to iommu group (\\d+)`).exec(console);
    assert.ok(group, `${dmac} in an IOMMU group\n${console}`);
    groups.add(group[1]);
    assert.match(console, new RegExp(`dma-pl330 ${dmac.replace('.', '\\.')}: Loaded driver for PL330 DMAC-241330`));
  }
  assert.equal(groups.size, 3, 'one group per DMAC');
  assert.doesNotMatch(console, /dma-pl330 2c0a0000\.dma/, 'the platform-bus DMA-330 is not an AMBA device');
});
