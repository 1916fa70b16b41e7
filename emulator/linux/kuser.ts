// The kuser helper page at 0xffff0000 (the kernel's vector page as user mode sees it, ARM state): older binaries
// and runtimes call these fixed addresses instead of issuing barriers, exclusives or reading TPIDRURO themselves
// (armel's libgcc checks the version word at start-up and aborts without __kuser_cmpxchg64). The code is ours,
// written from the documented contract of each helper (the kernel's Documentation/arm/kernel_user_helpers.rst):
// each returns with BX LR, so Thumb callers come back in Thumb state. The emulator runs one instruction stream at a
// time, so the barriers cost nothing; they are there because the contract promises them.

export const KUSER_PAGE = 0xffff0000;

/** __kuser_helper_version: 5 = every helper below is present (cmpxchg64 arrived with version 5). */
export const KUSER_HELPER_VERSION = 5;

/** [offset in the page, A32 words] */
const HELPERS: readonly [number, readonly number[]][] = [
  // Where a signal handler installed without SA_RESTORER returns (signals.ts): MOV r7, #119 (sigreturn); SVC 0, and
  // MOV r7, #173 (rt_sigreturn); SVC 0. Linux keeps these in a page of its own; nothing else uses these offsets.
  [0x500, [0xe3a07077, 0xef000000, 0xe3a070ad, 0xef000000]],
  // __kuser_cmpxchg64(const s64 *oldval r0, const s64 *newval r1, volatile s64 *ptr r2): r0 = 0 and C set when
  // *ptr was *oldval and is now *newval, else r0 != 0 and C clear. Clobbers r3 and the flags only.
  //   PUSH {r4-r7}; LDRD r4, r5, [r0]; LDRD r6, r7, [r1]; DMB SY
  //   1: LDREXD r0, r1, [r2]; SUBS r3, r0, r4; SUBSEQ r3, r1, r5; BNE 2f
  //      STREXD r3, r6, r7, [r2]; TEQ r3, #0; BNE 1b
  //   2: DMB SY; RSBS r0, r3, #0; POP {r4-r7}; BX LR
  [0xf60, [
    0xe92d00f0, 0xe1c040d0, 0xe1c160d0, 0xf57ff05f,
    0xe1b20f9f, 0xe0503004, 0x00513005, 0x1a000002,
    0xe1a23f96, 0xe3330000, 0x1afffff8,
    0xf57ff05f, 0xe2730000, 0xe8bd00f0, 0xe12fff1e,
  ]],
  // __kuser_memory_barrier: DMB SY; BX LR
  [0xfa0, [0xf57ff05f, 0xe12fff1e]],
  // __kuser_cmpxchg(oldval r0, newval r1, volatile int *ptr r2): r0 = 0 and C set when *ptr was oldval and is now
  // newval, else r0 != 0 and C clear. Clobbers r3 and the flags.
  //   DMB SY; 1: LDREX r3, [r2]; SUBS r3, r3, r0; STREXEQ r3, r1, [r2]; TEQEQ r3, #1; BEQ 1b; RSBS r0, r3, #0; BX LR
  [0xfc0, [0xf57ff05f, 0xe1923f9f, 0xe0533000, 0x01823f91, 0x03330001, 0x0afffffa, 0xe2730000, 0xe12fff1e]],
  // __kuser_get_tls: MRC p15, 0, r0, c13, c0, 3; BX LR
  [0xfe0, [0xee1d0f70, 0xe12fff1e]],
  [0xffc, [KUSER_HELPER_VERSION]],
];

export function kuserPage(): Uint8Array {
  const page = new Uint8Array(4096);
  const view = new DataView(page.buffer);
  for (const [offset, words] of HELPERS) words.forEach((w, i) => view.setUint32(offset + 4 * i, w >>> 0, true));
  return page;
}
