// Booting a kernel the way QEMU's -kernel does for ARM: an ELF is loaded at its physical addresses and entered at
// its entry point (bare-metal programs); a zImage or Image goes into the first RAM bank (zImage at +0x10000, an
// Image at +TEXT_OFFSET, where ARM Linux wants its text: 0x8000, or what its head.S says), the initrd and the
// devicetree (with /chosen bootargs and
// linux,initrd-start/-end written in) above it, and CPU 0 starts in SVC mode, MMU off, interrupts masked, with
// r0 = 0, r1 = ~0 (no machine number: a devicetree boot), r2 = the devicetree's address.
import { withChosen } from '../devicetree/chosen';
import { isElf } from '../linux/elf';
import type { SystemMachine } from './system';

const ZIMAGE_MAGIC_OFFSET = 0x24;
const ZIMAGE_MAGIC = 0x016f2818;
const ZIMAGE_OFFSET = 0x10000;
const IMAGE_OFFSET = 0x8000;
/** Words of an Image searched for head.S's `sub r8, r8, #TEXT_OFFSET`. */
const HEAD_WORDS = 256;

/**
 * An ARM Image's TEXT_OFFSET: head.S computes PHYS_OFFSET as `_text - TEXT_OFFSET` with `sub r8, r8, #imm` near
 * the start, so the load address must be RAM + that (multiplatform kernels with some SoCs use 0x208000).
 */
export function imageTextOffset(kernel: Uint8Array): number {
  const view = new DataView(kernel.buffer, kernel.byteOffset, kernel.byteLength);
  for (let i = 0; i < Math.min(HEAD_WORDS, kernel.length >> 2); i++) {
    const word = view.getUint32(4 * i, true);
    if (((word & 0xfffff000) >>> 0) !== 0xe2488000) continue;
    const rotation = ((word >>> 8) & 0xf) * 2;
    const imm = word & 0xff;
    return (rotation === 0 ? imm : ((imm >>> rotation) | (imm << (32 - rotation))) >>> 0);
  }
  return IMAGE_OFFSET;
}
/** The initrd goes this far into RAM at least: clear of a zImage decompressing a kernel of up to ~100 MiB. */
const INITRD_OFFSET = 0x8000000;
const PAGE = 0x1000;

export interface KernelBoot {
  readonly kernel: Uint8Array;
  /** The devicetree handed to the kernel (the machine is built from it too). */
  readonly dtb: Uint8Array;
  readonly initrd?: Uint8Array;
  readonly bootargs?: string;
}

export interface BootLayout {
  readonly format: 'elf' | 'zImage' | 'Image';
  readonly entry: number;
  readonly dtb?: number;
  readonly initrd?: { readonly start: number; readonly end: number };
}

export function isZImage(kernel: Uint8Array): boolean {
  return kernel.length > ZIMAGE_MAGIC_OFFSET + 4 && new DataView(kernel.buffer, kernel.byteOffset).getUint32(ZIMAGE_MAGIC_OFFSET, true) === ZIMAGE_MAGIC;
}

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

export function bootKernel(system: SystemMachine, boot: KernelBoot): BootLayout {
  if (isElf(boot.kernel)) {
    const entry = system.loadElf(boot.kernel);
    system.boot(entry);
    return { format: 'elf', entry };
  }
  const ram = system.ram;
  if (ram === undefined) throw new Error('the platform has no memory to load the kernel into');
  const format = isZImage(boot.kernel) ? 'zImage' : 'Image';
  const entry = ram.base + (format === 'zImage' ? ZIMAGE_OFFSET : imageTextOffset(boot.kernel));
  let next = alignUp(Math.max(entry + boot.kernel.length, ram.base + INITRD_OFFSET), PAGE);
  let initrd: BootLayout['initrd'];
  if (boot.initrd) {
    initrd = { start: next, end: next + boot.initrd.length };
    next = alignUp(initrd.end, PAGE);
  }
  const dtb = withChosen(boot.dtb, { bootargs: boot.bootargs, initrd, cpus: system.cpus.length });
  if (next + dtb.length > ram.base + ram.size) {
    throw new Error(`the kernel, initrd and devicetree need ${next + dtb.length - ram.base} bytes; the first RAM bank has ${ram.size}`);
  }
  system.load(entry, boot.kernel);
  if (boot.initrd && initrd) system.load(initrd.start, boot.initrd);
  system.load(next, dtb);
  system.boot(entry, [0, 0xffffffff, next]);
  return { format, entry, dtb: next, initrd };
}
