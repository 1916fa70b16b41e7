// The static address bounds in words: per program, per loop and per instruction, for `dmalab asm --bounds`, hover
// and inlay hints.
import type { AssembleResult, LoopInfo } from './assembler';
import { AccessRanges, AddressRange, accessesBetween, describeAccesses, formatRanges, mergeRanges, rangeBytes } from './bounds';
import type { EntryBounds } from './program-checks';

/** The ranges a loop's body touches over all its iterations, from every entry that reaches it. */
export function loopAccesses(entries: readonly EntryBounds[], loop: LoopInfo): AccessRanges | undefined {
  if (loop.endAddress === undefined) return undefined;
  const reads: AddressRange[] = [];
  const writes: AddressRange[] = [];
  for (const e of entries) {
    const a = accessesBetween(e.bounds, loop.bodyStart, loop.endAddress);
    reads.push(...a.reads);
    writes.push(...a.writes);
  }
  return reads.length + writes.length ? { reads: mergeRanges(reads), writes: mergeRanges(writes) } : undefined;
}

/** The ranges one instruction touches, from every entry that reaches it. */
export function instructionAccesses(entries: readonly EntryBounds[], address: number): AccessRanges | undefined {
  const reads: AddressRange[] = [];
  const writes: AddressRange[] = [];
  let reached = false;
  for (const e of entries) {
    const a = e.bounds.byInstruction.get(address);
    if (!a) continue;
    reached = true;
    reads.push(...a.reads);
    writes.push(...a.writes);
  }
  return reached ? { reads: mergeRanges(reads), writes: mergeRanges(writes) } : undefined;
}

/** "reads …, writes …" and, when some access could not be bounded, why (with 1-based lines). */
export function describeEntry(result: AssembleResult, e: EntryBounds): string {
  const text = describeAccesses(e.bounds);
  return e.bounds.complete ? text : `${text} (at least; ${describeLimits(result, e).join('; ')})`;
}

export function describeLimits(result: AssembleResult, e: EntryBounds): string[] {
  return e.bounds.limits.map((l) => `line ${lineOfAddress(result, l.address) + 1}: ${l.reason}`);
}

/** describeAccesses, shortened for an inlay hint: more than two ranges become their count, bytes and span. */
export function briefAccesses(a: AccessRanges): string {
  const brief = (ranges: readonly AddressRange[]): string => ranges.length <= 2
    ? formatRanges(ranges)
    : `${ranges.length} ranges of ${rangeBytes(ranges)} bytes within ${hex(ranges[0].start)}–${hex(ranges[ranges.length - 1].end - 1)}`;
  const parts: string[] = [];
  if (a.reads.length) parts.push(`reads ${brief(a.reads)}`);
  if (a.writes.length) parts.push(`writes ${brief(a.writes)}`);
  return parts.join(', ');
}

function lineOfAddress(result: AssembleResult, address: number): number {
  return result.instructions.find((i) => i.address === address && i.length > 0)?.line ?? -1;
}

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

/** `dmalab asm --bounds`: every channel program entry, its loops, and what cannot be known. */
export function formatBoundsReport(result: AssembleResult, entries: readonly EntryBounds[]): string {
  const out: string[] = [];
  for (const e of entries) {
    const name = e.name ? ` ${e.name}` : '';
    out.push(`channel program${name} at ${hex(e.entry)} (line ${e.line + 1}): ${e.bounds.complete ? '' : 'at least: '}${describeAccesses(e.bounds)}`);
    for (const loop of result.loops) {
      const a = loopAccesses([e], loop);
      if (!a) continue;
      const times = loop.kind === 'forever' ? 'DMALPFE' : `DMALP ${loop.iterations}`;
      out.push(`  loop at line ${loop.startLine + 1} (${times}): ${describeAccesses(a)}`);
    }
    for (const limit of describeLimits(result, e)) out.push(`  not exact: ${limit}`);
  }
  if (entries.length === 0) out.push('no channel programs');
  return out.join('\n') + '\n';
}
