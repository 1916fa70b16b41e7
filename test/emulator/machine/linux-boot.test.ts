// The boot protocol of `dmalab boot` for a kernel image, as QEMU's -kernel: where the image, initrd and devicetree
// go on the VFIO_PLATFORM guide's platform, the registers the kernel starts with, and /chosen as the kernel will read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { getProperty, parseFdt, propStrings } from '../../../emulator/devicetree/fdt';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { bootKernel, imageTextOffset, KernelFormatError, kernelFormat } from '../../../emulator/machine/linux-boot';
import { describeRunaway, findRunaway } from '../../../emulator/machine/runaway';
import { SystemMachine } from '../../../emulator/machine/system';
import { BRANCH_SELF, JUMP_TO_NOWHERE, NOT_KERNELS, syntheticImage } from '../../support/synthetic-kernels';

const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', 'examples/platforms/vexpress-mmu400-dma330.dts']));

function bytesAt(system: SystemMachine, address: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  system.machine.bus.memory.readBlock(address, out, 0, length);
  return out;
}

test('an Image boots at RAM + 0x8000 with r0 = 0, r1 = ~0, r2 = the devicetree holding bootargs and the initrd', () => {
  const system = new SystemMachine(platformFromDtb(dtb));
  assert.equal(system.cpus.length, 4);
  const kernel = syntheticImage([BRANCH_SELF]);
  const initrd = new TextEncoder().encode('070701 an initramfs');
  const layout = bootKernel(system, { kernel, dtb, initrd, bootargs: 'console=ttyAMA0 cryptomgr.notests=1' });
  const cpu = system.cpus[0];
  assert.deepEqual([layout.format, cpu.pc, cpu.r[0], cpu.r[1] >>> 0, cpu.r[2] >>> 0], ['Image', 0x80008000, 0, 0xffffffff, layout.dtb]);
  assert.equal(cpu.mode, 0x13);
  assert.equal(cpu.cpsr & 0x1c0, 0x1c0);
  assert.deepEqual(system.cpus.slice(1).map((c) => c.powered), [false, false, false]);
  assert.deepEqual(bytesAt(system, layout.initrd!.start, initrd.length), initrd);
  const given = parseFdt(bytesAt(system, layout.dtb!, 0x10000));
  const chosen = given.root.children.find((n) => n.name === 'chosen')!;
  assert.deepEqual(propStrings(chosen, 'bootargs'), ['console=ttyAMA0 cryptomgr.notests=1']);
  assert.deepEqual(propStrings(chosen, 'stdout-path'), ['serial0:38400n8']);
  const cell = (name: string) => new DataView(getProperty(chosen, name)!.value.buffer, getProperty(chosen, name)!.value.byteOffset).getUint32(0);
  assert.deepEqual([cell('linux,initrd-start'), cell('linux,initrd-end')], [layout.initrd!.start, layout.initrd!.end]);
  assert.equal(system.run(1e6).kind, 'time-limit');
});

test("an Image whose head.S subtracts TEXT_OFFSET 0x208000 (Debian's multiplatform kernels) boots at RAM + 0x208000", () => {
  const system = new SystemMachine(platformFromDtb(dtb));
  const kernel = new Uint8Array(0x100);
  new DataView(kernel.buffer).setUint32(0x60, 0xe2488982, true); // sub r8, r8, #0x208000
  assert.equal(imageTextOffset(kernel), 0x208000);
  assert.equal(bootKernel(system, { kernel, dtb }).entry, 0x80208000);
});

test('a zImage (magic 0x016f2818 at 0x24) boots at RAM + 0x10000', () => {
  const system = new SystemMachine(platformFromDtb(dtb));
  const kernel = new Uint8Array(0x40);
  new DataView(kernel.buffer).setUint32(0x24, 0x016f2818, true);
  const layout = bootKernel(system, { kernel, dtb });
  assert.deepEqual([layout.format, system.cpus[0].pc], ['zImage', 0x80010000]);
});

test('a file that is no ARM kernel is refused before anything runs, the error saying what it is', () => {
  for (const [name, { bytes, found }] of Object.entries(NOT_KERNELS)) {
    assert.throws(() => kernelFormat(bytes), (e: Error) => e instanceof KernelFormatError && found.test(e.message), name);
    const system = new SystemMachine(platformFromDtb(dtb));
    assert.throws(() => bootKernel(system, { kernel: bytes, dtb }), KernelFormatError, name);
  }
  assert.equal(kernelFormat(syntheticImage([BRANCH_SELF])), 'Image');
});

test('a kernel sliding through zeroed RAM, or jumping where the platform has nothing, is a runaway naming the address; a spinning one is not', () => {
  const runaway = (code: number[]) => {
    const system = new SystemMachine(platformFromDtb(dtb));
    bootKernel(system, { kernel: syntheticImage(code), dtb });
    assert.equal(system.run(1e5).kind, 'time-limit');
    return findRunaway(system);
  };
  assert.equal(runaway([BRANCH_SELF]), undefined);
  const slide = runaway([])!;
  assert.deepEqual([slide.cpu, slide.kind], [0, 'zeroed memory']);
  assert.ok(slide.pc > 0x80008000 + 0x1000 + 0x1000 && slide.pc === slide.physical, `pc 0x${slide.pc.toString(16)} beyond the Image and a page of zeros`);
  assert.match(describeRunaway(slide), /^cpu0 is executing zeroed memory at pc=0x[0-9a-f]{8}: a page of 0x00000000 words \(andeq r0, r0, r0\) ran before it/);
  const nowhere = runaway([JUMP_TO_NOWHERE])!;
  assert.equal(nowhere.kind, 'no memory');
  assert.ok(nowhere.pc >= 0x10000000 && nowhere.pc < 0x10000000 + 0x1000000, `pc 0x${nowhere.pc.toString(16)}`);
  assert.match(describeRunaway(nowhere), /^cpu0 is executing at pc=0x1[0-9a-f]{7}, where the platform has no memory or device/);
});
