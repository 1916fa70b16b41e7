// Where a kernel Image keeps its EHABI unwind index (CONFIG_ARM_UNWIND: the linker's .ARM.unwind_idx, between
// __start_unwind_idx and __stop_unwind_idx). Distribution kernels are built without CONFIG_KALLSYMS_ALL, so kallsyms
// names no data symbol: the index is found by its structure, as the longest run of 8-byte entries whose first words
// are prel31 offsets to nondecreasing code addresses in the image and whose second words are EXIDX_CANTUNWIND, an inline
// compact-model entry or a prel31 offset to an .ARM.extab entry. Its virtual address is the base at which most
// entries point at the start of a kallsyms function.
import { CANT_UNWIND, prel31 } from '../elf/arm-exidx';

export interface UnwindIndexRange {
  /** Virtual addresses of the first entry and just past the last. */
  readonly start: number;
  readonly end: number;
}

/** Fewer entries than this is not a kernel's index (Debian's 6.1 Image has 34,248). */
const MIN_ENTRIES = 256;
/** Entries whose function addresses are matched against the symbols to find the Image's base. */
const SAMPLE = 64;
/** The first entries of the sample, whose consecutive pairs propose the base in turn. */
const PROPOSERS = 8;

const signed31 = (word: number): number => (word << 1) >> 1;

/** The longest run of index entries in the image, in file offsets. */
function longestRun(bytes: Uint8Array): { offset: number; entries: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let best: { offset: number; entries: number } | undefined;
  for (const phase of [0, 4]) {
    let start = -1;
    let previous = -1;
    const close = (end: number): void => {
      const entries = (end - start) / 8;
      if (start >= 0 && entries >= MIN_ENTRIES && entries > (best?.entries ?? 0)) best = { offset: start, entries };
      start = -1;
      previous = -1;
    };
    for (let at = phase; at + 8 <= bytes.length; at += 8) {
      const fn = view.getUint32(at, true);
      const data = view.getUint32(at + 4, true);
      // Every offset points into the image: the kernel's text before the index, its init text after it.
      const target = at + signed31(fn);
      const entry = fn !== 0 && fn >>> 31 === 0 && target >= 0 && target < bytes.length &&
        (data === CANT_UNWIND || data >>> 24 === 0x80 || (data >>> 31 === 0 && data !== 0 && at + 4 + signed31(data) < bytes.length && at + 4 + signed31(data) >= 0));
      if (!entry) {
        close(at);
        continue;
      }
      if (start >= 0 && target < previous) close(at);
      if (start < 0) start = at;
      previous = target;
    }
    close(bytes.length - ((bytes.length - phase) % 8));
  }
  return best;
}

/**
 * The unwind index of a kernel Image (its bytes as loaded), in virtual addresses; `functions` are the kernel's
 * function addresses (kallsyms), which place the Image. Undefined when the Image has no index (a kernel without
 * CONFIG_ARM_UNWIND) or its entries do not land on the functions.
 */
export function findUnwindIndex(bytes: Uint8Array, functions: readonly number[]): UnwindIndexRange | undefined {
  const run = longestRun(bytes);
  if (!run) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const targets: number[] = [];
  for (let i = 0; i < Math.min(SAMPLE, run.entries); i++) {
    const at = run.offset + 8 * i;
    targets.push(prel31(view.getUint32(at, true), at));
  }
  // The base is image offset 0's virtual address. Two consecutive entries both on functions propose it: a pair of
  // symbols as far apart as their functions; the base kept is the one that puts the most sampled entries on a function.
  const known = new Set(functions);
  let best: { base: number; hits: number } | undefined;
  for (let k = 0; k + 1 < Math.min(PROPOSERS, targets.length) && (!best || best.hits * 2 <= targets.length); k++) {
    const apart = targets[k + 1] - targets[k];
    for (const f of functions) {
      if (!known.has((f + apart) >>> 0)) continue;
      const base = (f - targets[k]) >>> 0;
      let hits = 0;
      for (const t of targets) if (known.has((t + base) >>> 0)) hits++;
      if (!best || hits > best.hits) best = { base, hits };
    }
  }
  if (!best || best.hits * 2 <= targets.length) return undefined;
  return { start: (run.offset + best.base) >>> 0, end: (run.offset + 8 * run.entries + best.base) >>> 0 };
}
