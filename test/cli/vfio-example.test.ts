// End to end: the committed examples/vfio-pl330 binary (a C userspace VFIO driver built with Debian's armhf cross
// compiler) runs unchanged on the emulated CPU against the VFIO model, the MMU-400 and the PL330 of the VFIO_PLATFORM guide's
// platform, and its DMA copy passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { platformMachine, runElf } from '../../cli/run-elf';
import { ROOT } from '../support/toolchain';

for (const [device, bus, driver] of [['2c0a0000.dma', 'platform', 'vfio-platform'], ['2c0a2000.dma', 'amba', 'vfio-amba']] as const) {
  test(`examples/vfio-pl330 ${device} binds the DMAC to ${driver}, maps buffers through the SMMU, gets the interrupt and sees the copy`, () => {
    let stdout = '';
    let stderr = '';
    const status = runElf({
      program: join(ROOT, 'examples', 'vfio-pl330', 'vfio-pl330'),
      args: [device],
      machine: platformMachine(join(ROOT, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts')),
      env: [],
      maxInstructions: 5e7,
      stdin: () => new Uint8Array(0),
    }, {
      stdout: (data) => { stdout += typeof data === 'string' ? data : Buffer.from(data).toString(); },
      stderr: (text) => { stderr += text; },
    });
    assert.equal(stderr, '');
    assert.match(stdout, new RegExp(`^device ${device.replace('.', '\\.')} \\(${bus} bus, ${driver}\\), group /dev/vfio/\\d+\n`));
    assert.match(stdout, /iommu page sizes 0x40201000\n/);
    assert.match(stdout, /interrupt on irq index \d+ \(count 1\), INT_EVENT_RIS 0x1\n/);
    assert.match(stdout, /FSRD 0x0 FSRC 0x0/);
    assert.match(stdout, /copy of 4096 bytes: PASS\n$/);
    assert.equal(status, 0);
  });
}
