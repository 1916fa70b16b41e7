// Kernel files made in the test: a minimal Image (head.S's `sub r8, r8, #TEXT_OFFSET`, then the given code), and files
// that are no ARM kernel, each with what dmalab's error says it found.

/** `sub r8, r8, #0x8000`: an Image's head.S subtracting TEXT_OFFSET 0x8000. */
const SUB_R8_TEXT_OFFSET = 0xe2488902;
export const BRANCH_SELF = 0xeafffffe;
/** `mov pc, #0x10000000`: where the VFIO_PLATFORM guide's platform has neither memory nor a device. */
export const JUMP_TO_NOWHERE = 0xe3a0f201;

/** An Image that runs `code` (then zeros: a kernel falling off its code slides into them), `size` bytes long. */
export function syntheticImage(code: readonly number[], size = 0x1000): Uint8Array {
  const image = new Uint8Array(size);
  const view = new DataView(image.buffer);
  [SUB_R8_TEXT_OFFSET, ...code].forEach((word, i) => view.setUint32(4 * i, word >>> 0, true));
  return image;
}

function elfHeader(elfClass: number, machine: number): Uint8Array {
  const header = new Uint8Array(64);
  header.set([0x7f, 0x45, 0x4c, 0x46, elfClass, 1, 1]);
  new DataView(header.buffer).setUint16(16, 2, true); // ET_EXEC
  new DataView(header.buffer).setUint16(18, machine, true);
  return header;
}

function withWord(size: number, offset: number, word: number, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(offset, word, littleEndian);
  return bytes;
}

/** Files that are not ARM kernels, by name: their bytes and the error's account of them. */
export const NOT_KERNELS: Readonly<Record<string, { bytes: Uint8Array; found: RegExp }>> = {
  'random.bin': {
    bytes: Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24),
    found: /not an ARM Linux kernel \(no zImage magic 0x016f2818 at 0x24, no Image head `sub r8, r8, #TEXT_OFFSET` in its first 1024 bytes, no ELF header\): it starts with bytes 00 9e 3c da /,
  },
  'notes.txt': { bytes: new TextEncoder().encode('console=ttyAMA0 root=/dev/vda\n'), found: /not an ARM Linux kernel \(.*\): it starts with text: "console=ttyAMA0 "$/ },
  'empty': { bytes: new Uint8Array(0), found: /not an ARM Linux kernel: the file is empty/ },
  'x86_64.elf': { bytes: elfHeader(2, 62), found: /not an ARM kernel: not a 32-bit ELF file \(ELFCLASS64\)/ },
  'i386.elf': { bytes: elfHeader(1, 3), found: /not an ARM kernel: ELF machine 3 is not ARM \(40\)/ },
  'uImage': { bytes: withWord(4096, 0, 0x27051956, false), found: /a U-Boot uImage, which dmalab does not boot: give the zImage or Image it wraps/ },
  'arm64-Image': { bytes: withWord(4096, 0x38, 0x644d5241, true), found: /an arm64 \(AArch64\) kernel Image: dmalab boots 32-bit ARM kernels/ },
  'board.dtb': { bytes: withWord(4096, 0, 0xd00dfeed, false), found: /a devicetree blob: it goes to --dtb, the kernel \(a zImage or Image\) to --kernel/ },
  'initramfs.cpio.gz': { bytes: Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3]), found: /gzip data: an initramfs goes to --initrd, and a kernel must be the zImage or Image itself, not gzipped/ },
};
