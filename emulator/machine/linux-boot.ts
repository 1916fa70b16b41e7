// Booting a kernel the way QEMU's -kernel does for ARM: an ELF is loaded at its physical addresses and entered at
// its entry point (bare-metal programs); a zImage or Image goes into the first RAM bank (zImage at +0x10000, an
// Image at +TEXT_OFFSET, where ARM Linux wants its text: what its head.S says, 0x8000 mostly), the initrd and the
// devicetree (with /chosen bootargs and
// linux,initrd-start/-end written in) above it, and CPU 0 starts in SVC mode, MMU off, interrupts masked, with
// r0 = 0, r1 = ~0 (no machine number: a devicetree boot), r2 = the devicetree's address.
import { withChosen } from '../devicetree/chosen';
import { FDT_MAGIC } from '../devicetree/fdt';
import { ElfError, isElf, parseElf } from '../linux/elf';
import type { SystemMachine } from './system';

const ZIMAGE_MAGIC_OFFSET = 0x24;
const ZIMAGE_MAGIC = 0x016f2818;
const ZIMAGE_OFFSET = 0x10000;
/** Words of an Image searched for head.S's `sub r8, r8, #TEXT_OFFSET`. */
const HEAD_WORDS = 256;
/** U-Boot's legacy image header (big-endian, at 0): dmalab boots what it wraps, not the wrapper. */
const UIMAGE_MAGIC = 0x27051956;
const UIMAGE_HEADER = 64;
/** An arm64 Image's "ARM\x64" at 0x38. */
const ARM64_MAGIC_OFFSET = 0x38;
const ARM64_MAGIC = 0x644d5241;
/** Bytes of an unrecognised file its error quotes. */
const QUOTED_BYTES = 16;
/** gzip's first two bytes (RFC 1952): an initramfs image, or a compressed kernel not wrapped in a zImage. */
const GZIP_MAGIC = 0x1f8b;

/** A kernel file that is none of the formats dmalab boots; the message says what was found (callers name the file). */
export class KernelFormatError extends Error {}

/** head.S's TEXT_OFFSET (see imageTextOffset), or undefined when its first instructions have no `sub r8, r8, #imm`. */
function headTextOffset(kernel: Uint8Array): number | undefined {
  const view = new DataView(kernel.buffer, kernel.byteOffset, kernel.byteLength);
  for (let i = 0; i < Math.min(HEAD_WORDS, kernel.length >> 2); i++) {
    const word = view.getUint32(4 * i, true);
    if (((word & 0xfffff000) >>> 0) !== 0xe2488000) continue;
    const rotation = ((word >>> 8) & 0xf) * 2;
    const imm = word & 0xff;
    return (rotation === 0 ? imm : ((imm >>> rotation) | (imm << (32 - rotation))) >>> 0);
  }
  return undefined;
}

/**
 * An ARM Image's TEXT_OFFSET: head.S computes PHYS_OFFSET as `_text - TEXT_OFFSET` with `sub r8, r8, #imm` near
 * the start, so the load address must be RAM + that (multiplatform kernels with some SoCs use 0x208000).
 */
export function imageTextOffset(kernel: Uint8Array): number {
  const offset = headTextOffset(kernel);
  if (offset === undefined) throw new KernelFormatError(notAKernel(kernel));
  return offset;
}

/**
 * What a kernel file is, checked before anything runs (a file that is no kernel would run as garbage until the time
 * limit): an ARM ELF, a zImage (its magic at 0x24) or an Image (head.S's `sub r8, r8, #TEXT_OFFSET` among its first
 * instructions, which is also how its load address is found). Else a KernelFormatError saying what the file is.
 */
export function kernelFormat(kernel: Uint8Array): BootLayout['format'] {
  if (isElf(kernel)) {
    try {
      parseElf(kernel);
    } catch (error) {
      if (error instanceof ElfError) throw new KernelFormatError(`not an ARM kernel: ${error.message}`);
      throw error;
    }
    return 'elf';
  }
  if (isZImage(kernel)) return 'zImage';
  if (headTextOffset(kernel) !== undefined) return 'Image';
  throw new KernelFormatError(notAKernel(kernel));
}

function notAKernel(kernel: Uint8Array): string {
  if (kernel.length === 0) return 'not an ARM Linux kernel: the file is empty';
  const view = new DataView(kernel.buffer, kernel.byteOffset, kernel.byteLength);
  if (kernel.length >= UIMAGE_HEADER && view.getUint32(0, false) === UIMAGE_MAGIC) {
    return `a U-Boot uImage, which dmalab does not boot: give the zImage or Image it wraps (the file from byte ${UIMAGE_HEADER} on: dd bs=${UIMAGE_HEADER} skip=1)`;
  }
  if (kernel.length >= ARM64_MAGIC_OFFSET + 4 && view.getUint32(ARM64_MAGIC_OFFSET, true) === ARM64_MAGIC) {
    return 'an arm64 (AArch64) kernel Image: dmalab boots 32-bit ARM kernels';
  }
  // The boot's other files, given as the kernel by mistake.
  if (kernel.length >= 4 && view.getUint32(0, false) === FDT_MAGIC) return 'a devicetree blob: it goes to --dtb, the kernel (a zImage or Image) to --kernel';
  if (kernel.length >= 2 && view.getUint16(0, false) === GZIP_MAGIC) {
    return 'gzip data: an initramfs goes to --initrd, and a kernel must be the zImage or Image itself, not gzipped';
  }
  const head = kernel.subarray(0, QUOTED_BYTES);
  const text = head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f));
  const found = text
    ? `text: ${JSON.stringify(String.fromCharCode(...head))}`
    : `bytes ${[...head].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
  return `not an ARM Linux kernel (no zImage magic 0x016f2818 at 0x24, no Image head \`sub r8, r8, #TEXT_OFFSET\` in its first ${HEAD_WORDS * 4} bytes, no ELF header): it starts with ${found}`;
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
  const format = kernelFormat(boot.kernel);
  if (format === 'elf') {
    const entry = system.loadElf(boot.kernel);
    system.boot(entry);
    return { format: 'elf', entry };
  }
  const ram = system.ram;
  if (ram === undefined) throw new Error('the platform has no memory to load the kernel into');
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
