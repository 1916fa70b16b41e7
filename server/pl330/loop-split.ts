// Splitting a counted loop whose body is too long for DMALPEND's 8-bit backward jump into consecutive loops of the
// same count, each body at most 255 bytes, cut after stores. The rewrite is offered only when it provably moves the
// same data: the original loop written out (it cannot be encoded as a loop) and the split version are both
// followed by the bounds engine, and must copy every source byte to the same destination byte (the MFIFO keeps
// each channel's bytes in order, so the k-th byte read is the k-th byte written), write the same zeros, never write
// a byte twice nor read a byte they write. Straight-line bodies of loads, stores, DMASTZ and DMAADDH/DMAADNH only,
// incrementing addresses, no endian swap.
import { AssembleOptions, AssembleResult, LoopInfo, assemble } from './assembler';
import { CCR, ccrField } from '../../emulator/pl330/ccr';
import { Transfer, addressIncrements, computeBounds, mergeRanges, rangeBytes, intersectRanges, AddressRange } from './bounds';
import { channelEntries } from './program-checks';

const MAX_JUMP = 255;
const BODY_OPERATIONS = new Set(['LD', 'ST', 'STZ', 'ADDH', 'ADNH', 'NOP', 'RMB', 'WMB']);
const STORES = new Set(['ST', 'STZ']);

export interface LoopRewrite {
  /** Lines startLine..endLine (the DMALP to the DMALPEND) become newLines. */
  readonly startLine: number;
  readonly endLine: number;
  readonly newLines: readonly string[];
}

export function splitLongLoop(text: string, result: AssembleResult, loop: LoopInfo, options: AssembleOptions): LoopRewrite | undefined {
  const end = loop.endLine;
  if (loop.kind !== 'counted' || end === undefined || loop.iterations === undefined) return undefined;
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  // The body's statements, with their bytes: only straight-line transfers, no labels.
  const body = result.instructions.filter((i) => i.line > loop.startLine && i.line < end);
  if (body.length === 0 || body.some((i) => !i.spec || !BODY_OPERATIONS.has(i.spec.operation) || (i.spec.condition ?? 'always') !== 'always')) return undefined;
  for (const symbol of result.symbols.values()) if (symbol.kind === 'label' && symbol.line > loop.startLine && symbol.line < end) return undefined;
  const chunks = cutAfterStores(body.map((i) => ({ line: i.line, bytes: i.length, store: STORES.has(i.spec!.operation) })));
  if (!chunks || chunks.length < 2) return undefined;
  const indent = /^\s*/.exec(lines[loop.startLine])![0];
  const counter = `LC${loop.counter ?? 0}`;
  const newLines: string[] = [];
  let from = loop.startLine + 1;
  for (const last of chunks) {
    newLines.push(`${indent}DMALP ${counter}, ${loop.iterations}`, ...lines.slice(from, last + 1), `${indent}DMALPEND ${counter}`);
    from = last + 1;
  }
  const bodyText = lines.slice(loop.startLine + 1, end);
  const unrolled = Array.from({ length: loop.iterations }, () => bodyText).flat();
  const replaced = (replacement: readonly string[]): string =>
    [...lines.slice(0, loop.startLine), ...replacement, ...lines.slice(end + 1)].join('\n');
  const reference = dataMovement(replaced(unrolled), loop.startLine, options);
  const split = dataMovement(replaced(newLines), loop.startLine, options);
  if (!reference || !split || !sameMovement(reference, split)) return undefined;
  return { startLine: loop.startLine, endLine: end, newLines };
}

/** The last line of each chunk: as many statements as fit the jump, ending after a store. */
function cutAfterStores(statements: readonly { line: number; bytes: number; store: boolean }[]): number[] | undefined {
  const cuts: number[] = [];
  let size = 0;
  let lastStore = -1; // index of the last store in the current chunk
  let chunkStart = 0;
  for (let k = 0; k < statements.length; k++) {
    size += statements[k].bytes;
    if (size > MAX_JUMP) {
      if (lastStore < chunkStart) return undefined;
      cuts.push(statements[lastStore].line);
      chunkStart = lastStore + 1;
      size = statements.slice(chunkStart, k + 1).reduce((n, s) => n + s.bytes, 0);
      if (size > MAX_JUMP) return undefined;
    }
    if (statements[k].store) lastStore = k;
  }
  cuts.push(statements[statements.length - 1].line);
  return cuts;
}

/** Source byte → destination byte segments, zeroed ranges and every written range, of one program's run. */
interface Movement {
  readonly copies: { src: number; dst: number; length: number }[];
  readonly zeros: AddressRange[];
  readonly reads: AddressRange[];
  readonly writes: AddressRange[];
  readonly writtenBytes: number;
}

function dataMovement(text: string, loopLine: number, options: AssembleOptions): Movement | undefined {
  const result = assemble(text, options);
  if (result.errorCount > 0) return undefined;
  const program = result.instructions.find((i) => i.line >= loopLine && i.length > 0)?.program;
  if (program === undefined) return undefined;
  const base = result.programs[program].base;
  const entry = channelEntries(result).filter((e) => e.entry <= (result.instructions.find((i) => i.line >= loopLine)?.address ?? base) && e.entry >= base).pop();
  if (!entry) return undefined;
  const transfers: Transfer[] = [];
  const bounds = computeBounds(result.programs, entry.entry, { revision: result.config.revision, onTransfer: (t) => transfers.push(t) });
  if (!bounds.complete || bounds.limits.length > 0) return undefined;
  const reads: AddressRange[] = [];
  const writes: AddressRange[] = [];
  const zeros: AddressRange[] = [];
  for (const t of transfers) {
    if (!addressIncrements(t.ccr, t.write) || ccrField(t.ccr, CCR.ES) !== 0 || t.start + t.length > 2 ** 32) return undefined;
    if (t.zero) zeros.push({ start: t.start, end: t.start + t.length });
    else (t.write ? writes : reads).push({ start: t.start, end: t.start + t.length });
  }
  // Pair the k-th byte read with the k-th byte written.
  const copies: { src: number; dst: number; length: number }[] = [];
  let r = 0, w = 0, rOffset = 0, wOffset = 0;
  while (r < reads.length && w < writes.length) {
    const length = Math.min(reads[r].end - reads[r].start - rOffset, writes[w].end - writes[w].start - wOffset);
    copies.push({ src: reads[r].start + rOffset, dst: writes[w].start + wOffset, length });
    rOffset += length;
    wOffset += length;
    if (reads[r].start + rOffset === reads[r].end) { r++; rOffset = 0; }
    if (writes[w].start + wOffset === writes[w].end) { w++; wOffset = 0; }
  }
  if (r < reads.length || w < writes.length) return undefined; // data left in the MFIFO or a store without data
  const allWrites = [...writes, ...zeros];
  return { copies: normalize(copies), zeros: mergeRanges(zeros), reads: mergeRanges(reads), writes: mergeRanges(allWrites), writtenBytes: allWrites.reduce((n, x) => n + x.end - x.start, 0) };
}

/** Copy segments sorted by destination, contiguous ones joined. */
function normalize(copies: { src: number; dst: number; length: number }[]): { src: number; dst: number; length: number }[] {
  const out: { src: number; dst: number; length: number }[] = [];
  for (const c of [...copies].sort((a, b) => a.dst - b.dst)) {
    const last = out[out.length - 1];
    if (last && last.dst + last.length === c.dst && last.src + last.length === c.src) last.length += c.length;
    else out.push({ ...c });
  }
  return out;
}

function sameMovement(a: Movement, b: Movement): boolean {
  const safe = (m: Movement): boolean => m.writtenBytes === rangeBytes(m.writes) && intersectRanges(m.reads, m.writes).length === 0;
  return safe(a) && safe(b) && JSON.stringify(a.copies) === JSON.stringify(b.copies) && JSON.stringify(a.zeros) === JSON.stringify(b.zeros);
}
