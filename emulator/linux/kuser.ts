// The kuser helper page at 0xffff0000 (the kernel's vector page as user mode sees it, ARM state): older binaries
// and some runtimes call these fixed addresses instead of issuing barriers or reading TPIDRURO themselves.
// The code is ours, written from the documented contract of each helper (Documentation/arm/kernel_user_helpers).

export const KUSER_PAGE = 0xffff0000;

/** [offset in the page, A32 words] */
const HELPERS: readonly [number, readonly number[]][] = [
  // __kuser_memory_barrier: DMB SY; BX LR
  [0xfa0, [0xf57ff05f, 0xe12fff1e]],
  // __kuser_cmpxchg(oldval r0, newval r1, ptr r2): r0 = 0 and C set when *ptr was oldval and is now newval.
  //   1: LDREX r3, [r2]; SUBS r3, r3, r0; STREXEQ r3, r1, [r2]; TEQEQ r3, #1; BEQ 1b; RSBS r0, r3, #0; BX LR
  [0xfc0, [0xe1923f9f, 0xe0533000, 0x01823f91, 0x03330001, 0x0afffffa, 0xe2730000, 0xe12fff1e]],
  // __kuser_get_tls: MRC p15, 0, r0, c13, c0, 3; BX LR
  [0xfe0, [0xee1d0f70, 0xe12fff1e]],
  // __kuser_helper_version: the number of helpers above the version word's slot.
  [0xffc, [3]],
];

export function kuserPage(): Uint8Array {
  const page = new Uint8Array(4096);
  const view = new DataView(page.buffer);
  for (const [offset, words] of HELPERS) words.forEach((w, i) => view.setUint32(offset + 4 * i, w >>> 0, true));
  return page;
}
