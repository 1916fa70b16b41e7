// End to end: the committed examples/vfio-pl330 binary (a C userspace VFIO driver built with Debian's armhf cross
// compiler) runs unchanged on the emulated CPU against the VFIO model, the MMU-400 and the PL330 of the VFIO_PLATFORM guide's
// platform, and its DMA copy passes; with --unmapped, the SMMU stops the copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { platformMachine, runElf } from '../../cli/run-elf';
import { ROOT } from '../support/toolchain';

/** examples/vfio-pl330 with `args` on the guide's platform: its exit status and output. */
function vfioPl330(args: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const status = runElf({
    program: join(ROOT, 'examples', 'vfio-pl330', 'vfio-pl330'),
    args,
    machine: platformMachine(join(ROOT, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts')),
    env: [],
    maxInstructions: 5e7,
    stdin: () => new Uint8Array(0),
  }, {
    stdout: (data) => { stdout += typeof data === 'string' ? data : Buffer.from(data).toString(); },
    stderr: (text) => { stderr += text; },
  });
  return { status, stdout, stderr };
}

for (const [device, bus, driver] of [['2c0a0000.dma', 'platform', 'vfio-platform'], ['2c0a2000.dma', 'amba', 'vfio-amba']] as const) {
  test(`examples/vfio-pl330 ${device} binds the DMAC to ${driver}, maps buffers through the SMMU, gets the interrupt and sees the copy`, () => {
    const { status, stdout, stderr } = vfioPl330([device]);
    assert.equal(stderr, '');
    assert.match(stdout, new RegExp(`^device ${device.replace('.', '\\.')} \\(${bus} bus, ${driver}\\), group /dev/vfio/\\d+\n`));
    assert.match(stdout, /iommu page sizes 0x40201000\n/);
    assert.match(stdout, /interrupt on irq index \d+ \(count 1\), INT_EVENT_RIS 0x1\n/);
    assert.match(stdout, /FSRD 0x0 FSRC 0x0/);
    assert.match(stdout, /copy of 4096 bytes: PASS\n$/);
    assert.equal(status, 0);
  });
}

test('examples/vfio-pl330 --unmapped: the copy aimed at an unmapped IOVA faults in the SMMU, the channel aborts on its write (irq_abort), the destination is untouched', () => {
  const { status, stdout, stderr } = vfioPl330(['--unmapped', '0x50000000', '2c0a0000.dma']);
  assert.equal(stderr, '');
  assert.match(stdout, /isolation: destination not mapped, copy aimed at unmapped iova 0x50000000\n/);
  // irq index 1 is the node's "abort" interrupt; FTR0 bit 17 is data_write_err.
  assert.match(stdout, /interrupt on irq index 1 \(count 1\)/);
  assert.match(stdout, /FSRC 0x1 FTR0 0x20000\n/);
  assert.match(stdout, /isolation: channel 0 faulted on its write, destination buffer untouched: PASS\n$/);
  assert.equal(status, 0);
});

test('examples/vfio-pl330 --unmapped with an IOVA that is not a page address: one error, exit status 1', () => {
  const { status, stdout, stderr } = vfioPl330(['--unmapped', '0x50000010']);
  assert.equal(stdout, '');
  assert.equal(stderr, 'vfio-pl330: --unmapped: 0x50000010: Invalid argument\n');
  assert.equal(status, 1);
});
