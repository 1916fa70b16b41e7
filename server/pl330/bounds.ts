// Static address bounds of a PL330 channel program: the exact set of bytes it reads and writes, found by executing
// its microcode over abstract channel state (SAR, DAR, CCR, loop counters, request flag) without touching memory.
// The only branches a channel has are the peripheral-driven ones (the request type a DMAWFP periph receives, and
// whether a DMALPFE loop gets its last request), so every outcome is explored; states met before are not explored
// again. Transfers follow the emulator's rule (pl330-isa.md §2): an incrementing burst covers
// beats × size − (address mod size) bytes from the address and advances it by as much, a fixed one covers
// size − (address mod size) bytes and does not advance; DMALDS/DMASTS move one beat, DMASTZ always a burst.
// Assumes the program does not fault (MFIFO, bus or security errors end a real run early, touching less).
import {
  Cond, DECODE_BYTE0_OPERAND, DECODE_COND, DECODE_FOREVER, DECODE_LENGTH, DECODE_MIN_REVISION, DECODE_OP, DECODE_RESERVED1,
  DECODE_THREADS, Op, THREAD_CHANNEL, backJump, loopCountMinusOne, movRegister,
} from '../../emulator/pl330/decode';
import { CCR, ccrField } from '../../emulator/pl330/ccr';

/** Whether a transfer's address register (DAR for writes, SAR for reads) increments, per CCR's DAI/SAI. */
export const addressIncrements = (ccr: number, write: boolean): boolean => ccrField(ccr, write ? CCR.DAI : CCR.SAI) === 1;

/** Bytes [start, end) of the 32-bit address space; end ≤ 2^32. */
export interface AddressRange {
  readonly start: number;
  readonly end: number;
}

/** Where (the instruction's address) and why the bounds are not exact. */
export interface BoundsLimit {
  readonly address: number;
  readonly reason: string;
}

export interface AccessRanges {
  readonly reads: readonly AddressRange[];
  readonly writes: readonly AddressRange[];
}

export interface ProgramBounds extends AccessRanges {
  readonly entry: number;
  /** False when some access could not be bounded: the ranges are then what is certainly touched, not all of it. */
  readonly complete: boolean;
  readonly limits: readonly BoundsLimit[];
  /** Each transferring instruction's ranges, by its address. */
  readonly byInstruction: ReadonlyMap<number, AccessRanges>;
}

export interface CodeImage {
  readonly base: number;
  readonly bytes: Uint8Array;
}

export interface BoundsOptions {
  /** DMA-330 revision (DMAADNH needs 1 or later). */
  readonly revision?: number;
  /** Instructions executed over all paths before giving up. */
  readonly budget?: number;
  /** Each transfer in the order the exploration meets it (one path after another when the program forks). */
  readonly onTransfer?: (transfer: Transfer) => void;
}

export interface Transfer {
  readonly write: boolean;
  /** DMASTZ: zeros, no MFIFO data. */
  readonly zero: boolean;
  readonly start: number;
  readonly length: number;
  readonly ccr: number;
}

/** The limit of a path that leaves the code it was given. */
export const RUNS_PAST_CODE = 'runs past the end of the assembled code';

const UNKNOWN = -1;
const TWO_32 = 2 ** 32;
const DEFAULT_BUDGET = 1_000_000;

interface State {
  pc: number;
  sar: number;
  dar: number;
  ccr: number;
  lc0: number;
  lc1: number;
  /** Request type flag: 0 none, Cond.Single, Cond.Burst. */
  flag: number;
  /** Address of the DMALP that last loaded LC0 and LC1. */
  loadedAt0: number;
  loadedAt1: number;
  /** SAR and DAR when this path last took the jump of the never-ending loop end at markPc. */
  markPc: number;
  markSar: number;
  markDar: number;
}

/** The states explored from (forks and never-ending jumps): a hash of the fields that decide what happens next. */
class StateSet {
  private readonly buckets = new Map<number, number[]>();

  /** False when an equal state was added before. */
  add(s: State): boolean {
    const fields = [s.pc, s.sar, s.dar, s.ccr, s.lc0, s.lc1, s.flag];
    let hash = 0;
    for (const f of fields) hash = Math.imul(hash ^ f, 0x9e3779b1) + 0x7f4a7c15 | 0;
    const bucket = this.buckets.get(hash);
    if (!bucket) {
      this.buckets.set(hash, fields);
      return true;
    }
    outer: for (let at = 0; at < bucket.length; at += fields.length) {
      for (let k = 0; k < fields.length; k++) if (bucket[at + k] !== fields[k]) continue outer;
      return false;
    }
    bucket.push(...fields);
    return true;
  }
}

/** Ranges gathered in execution order; consecutive bursts are coalesced as they come. */
class RangeCollector {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  add(start: number, length: number): void {
    if (length <= 0) return;
    const end = start + length;
    if (end > TWO_32) {
      this.add(start, TWO_32 - start);
      this.add(0, end - TWO_32);
      return;
    }
    const n = this.starts.length;
    if (n > 0 && start <= this.ends[n - 1] && end >= this.starts[n - 1]) {
      this.starts[n - 1] = Math.min(this.starts[n - 1], start);
      this.ends[n - 1] = Math.max(this.ends[n - 1], end);
      return;
    }
    this.starts.push(start);
    this.ends.push(end);
  }

  ranges(): AddressRange[] {
    return mergeRanges(this.starts.map((start, i) => ({ start, end: this.ends[i] })));
  }
}

/** Sorted, disjoint, non-adjacent intervals covering the same bytes. */
export function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const out: { start: number; end: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** The parts of `ranges` not covered by `cover` (both merged). */
export function subtractRanges(ranges: readonly AddressRange[], cover: readonly AddressRange[]): AddressRange[] {
  const out: AddressRange[] = [];
  for (const r of ranges) {
    let start = r.start;
    for (const c of cover) {
      if (c.end <= start || c.start >= r.end) continue;
      if (c.start > start) out.push({ start, end: c.start });
      start = Math.max(start, c.end);
    }
    if (start < r.end) out.push({ start, end: r.end });
  }
  return out;
}

export function intersectRanges(a: readonly AddressRange[], b: readonly AddressRange[]): AddressRange[] {
  const out: AddressRange[] = [];
  for (const x of a) {
    for (const y of b) {
      const start = Math.max(x.start, y.start);
      const end = Math.min(x.end, y.end);
      if (start < end) out.push({ start, end });
    }
  }
  return mergeRanges(out);
}

export function rangeBytes(ranges: readonly AddressRange[]): number {
  return ranges.reduce((n, r) => n + r.end - r.start, 0);
}

/** "0x2000–0x2fff (4096 bytes)" per range, comma-separated; "nothing" for none. */
export function formatRanges(ranges: readonly AddressRange[]): string {
  if (ranges.length === 0) return 'nothing';
  return ranges.map((r) => `${hex(r.start)}–${hex(r.end - 1)} (${plural(r.end - r.start, 'byte')})`).join(', ');
}

/** "reads 0x2000–0x2fff (4096 bytes), writes 0x3000–0x3fff (4096 bytes)". */
export function describeAccesses(a: AccessRanges): string {
  const parts: string[] = [];
  if (a.reads.length) parts.push(`reads ${formatRanges(a.reads)}`);
  if (a.writes.length) parts.push(`writes ${formatRanges(a.writes)}`);
  return parts.length ? parts.join(', ') : 'moves no data';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

/** Bytes one transfer covers and how far it advances its address register (pl330-isa.md §2 DMALD/DMAST). */
function transferSpan(address: number, sizeCode: number, beats: number, increment: boolean): number {
  const size = 2 ** sizeCode;
  const misalign = address % size;
  return increment ? beats * size - misalign : size - misalign;
}

/** Reads and writes of the channel program that starts at `entry`, found without running it. */
export function computeBounds(images: readonly CodeImage[], entry: number, options: BoundsOptions = {}): ProgramBounds {
  const revision = options.revision ?? 2;
  let budget = options.budget ?? DEFAULT_BUDGET;
  const reads = new RangeCollector();
  const writes = new RangeCollector();
  const perInstruction = new Map<number, { reads: RangeCollector; writes: RangeCollector }>();
  // One reason per instruction: the first path that meets it explains it.
  const limits = new Map<number, BoundsLimit>();
  let complete = true;
  const limit = (address: number, reason: string, bounded = false): void => {
    if (!bounded) complete = false;
    if (!limits.has(address)) limits.set(address, { address, reason });
  };
  // Code runs on in one image: look there first.
  let current: CodeImage | undefined;
  const byteAt = (address: number): number => {
    if (current) {
      const offset = address - current.base;
      if (offset >= 0 && offset < current.bytes.length) return current.bytes[offset];
    }
    for (const image of images) {
      const offset = address - image.base;
      if (offset >= 0 && offset < image.bytes.length) {
        current = image;
        return image.bytes[offset];
      }
    }
    return UNKNOWN;
  };
  const record = (pc: number, write: boolean, start: number, length: number): void => {
    let entry = perInstruction.get(pc);
    if (!entry) perInstruction.set(pc, (entry = { reads: new RangeCollector(), writes: new RangeCollector() }));
    (write ? entry.writes : entry.reads).add(start, length);
    (write ? writes : reads).add(start, length);
  };
  const seen = new StateSet();
  const firstVisit = (s: State): boolean => seen.add(s);
  const stack: State[] = [{
    pc: entry >>> 0, sar: UNKNOWN, dar: UNKNOWN, ccr: UNKNOWN, lc0: UNKNOWN, lc1: UNKNOWN, flag: 0,
    loadedAt0: UNKNOWN, loadedAt1: UNKNOWN, markPc: UNKNOWN, markSar: UNKNOWN, markDar: UNKNOWN,
  }];
  const insn = new Uint8Array(6);
  paths: while (stack.length > 0) {
    const s = stack.pop()!;
    for (;;) {
      if (--budget < 0) {
        limit(s.pc, 'gave up: too many paths or iterations to follow (a loop that never ends?)');
        break paths;
      }
      const byte0 = byteAt(s.pc);
      const length = byte0 < 0 ? 1 : DECODE_LENGTH[byte0];
      let fetched = byte0 >= 0;
      for (let k = 0; k < length && fetched; k++) {
        const b = byteAt((s.pc + k) >>> 0);
        insn[k] = b;
        fetched = b >= 0;
      }
      if (!fetched) {
        limit(s.pc, RUNS_PAST_CODE, true);
        continue paths;
      }
      const op = DECODE_OP[byte0];
      if (op === Op.Undefined || op === Op.InvalidOperand || DECODE_MIN_REVISION[byte0] > revision ||
          (DECODE_THREADS[byte0] & THREAD_CHANNEL) === 0 || (length > 1 && (insn[1] & DECODE_RESERVED1[byte0]) !== 0)) {
        limit(s.pc, 'faults here (not a valid channel instruction)', true);
        continue paths;
      }
      const next = (s.pc + length) >>> 0;
      const cond = DECODE_COND[byte0];
      const holds = cond === Cond.Always || cond === s.flag;
      switch (op) {
        case Op.LD:
        case Op.LDP:
        case Op.ST:
        case Op.STP:
        case Op.STZ: {
          if (!holds) break;
          const write = op === Op.ST || op === Op.STP || op === Op.STZ;
          const register = write ? 'DAR' : 'SAR';
          const address = write ? s.dar : s.sar;
          if (address === UNKNOWN || s.ccr === UNKNOWN) {
            limit(s.pc, address === UNKNOWN ? `${register} is never set before this transfer` : 'CCR is never set before this transfer');
            // Without the burst shape, where the address register goes next is unknown too.
            if (write) s.dar = UNKNOWN;
            else s.sar = UNKNOWN;
            break;
          }
          const ccr = s.ccr;
          const sizeCode = ccrField(ccr, write ? CCR.DS : CCR.SS);
          const single = cond === Cond.Single && op !== Op.STZ;
          const beats = single ? 1 : ccrField(ccr, write ? CCR.DB : CCR.SB) + 1;
          const increment = addressIncrements(ccr, write);
          const span = transferSpan(address, sizeCode, beats, increment);
          record(s.pc, write, address, span);
          options.onTransfer?.({ write, zero: op === Op.STZ, start: address, length: span, ccr });
          if (increment) {
            if (write) s.dar = (address + span) >>> 0;
            else s.sar = (address + span) >>> 0;
          }
          break;
        }
        case Op.MOV: {
          const value = (insn[2] | (insn[3] << 8) | (insn[4] << 16) | (insn[5] << 24)) >>> 0;
          const register = movRegister(insn[1]);
          if (register === 0) s.sar = value;
          else if (register === 1) s.ccr = value;
          else if (register === 2) s.dar = value;
          else {
            limit(s.pc, 'faults here (DMAMOV to no register)', true);
            continue paths;
          }
          break;
        }
        case Op.ADDH:
        case Op.ADNH: {
          const imm = insn[1] | (insn[2] << 8);
          const add = op === Op.ADDH ? imm : (imm | 0xffff0000) >>> 0;
          if (DECODE_BYTE0_OPERAND[byte0]) s.dar = s.dar === UNKNOWN ? UNKNOWN : (s.dar + add) >>> 0;
          else s.sar = s.sar === UNKNOWN ? UNKNOWN : (s.sar + add) >>> 0;
          break;
        }
        case Op.LP:
          if (DECODE_BYTE0_OPERAND[byte0]) {
            s.lc1 = loopCountMinusOne(insn[1]);
            s.loadedAt1 = s.pc;
          } else {
            s.lc0 = loopCountMinusOne(insn[1]);
            s.loadedAt0 = s.pc;
          }
          break;
        case Op.LPEND: {
          if (!holds) break;
          const target = (s.pc - backJump(insn[1])) >>> 0;
          if (DECODE_FOREVER[byte0]) {
            // Exits on the peripheral's last request, else jumps back: both.
            const moves = movesSinceMark(s);
            if (moves) limit(s.pc, `the DMALPFE loop moves ${moves} per iteration: how far it goes depends on when the peripheral sends its last request`);
            else {
              const again: State = { ...s, pc: target, markPc: s.pc, markSar: s.sar, markDar: s.dar };
              if (firstVisit(again)) stack.push(again);
            }
            s.pc = next;
            if (!firstVisit(s)) continue paths;
            continue;
          }
          const one = DECODE_BYTE0_OPERAND[byte0] === 1;
          const count = one ? s.lc1 : s.lc0;
          if (count === UNKNOWN) {
            limit(s.pc, `${one ? 'LC1' : 'LC0'} is never set before this loop end`);
            continue paths;
          }
          const loadedAt = one ? s.loadedAt1 : s.loadedAt0;
          if (loadedAt !== UNKNOWN && target <= loadedAt && loadedAt < s.pc) {
            // The jump runs the DMALP again: the counter is reloaded every time and the loop never ends.
            const end = s.pc;
            const moves = movesSinceMark(s);
            if (moves) {
              limit(end, `this loop end jumps back to its own DMALP, so the loop never ends, and it moves ${moves} each time`);
              continue paths;
            }
            s.markPc = end;
            s.markSar = s.sar;
            s.markDar = s.dar;
            s.pc = target;
            if (firstVisit(s)) continue;
            limit(end, 'this loop end jumps back to its own DMALP, so the loop never ends (over the same addresses)', true);
            continue paths;
          }
          if (count === 0) break;
          if (one) s.lc1--;
          else s.lc0--;
          // No state check: without a reload a counter only decreases, so a path cannot come back here the same.
          s.pc = target;
          continue;
        }
        case Op.WFP: {
          const kind = DECODE_BYTE0_OPERAND[byte0]; // 0 single, 1 periph, 2 burst
          if (kind === 1) {
            const other: State = { ...s, pc: next, flag: Cond.Single };
            if (firstVisit(other)) stack.push(other);
            s.flag = Cond.Burst;
            s.pc = next;
            if (!firstVisit(s)) continue paths;
            continue;
          }
          s.flag = kind === 2 ? Cond.Burst : Cond.Single;
          break;
        }
        case Op.END:
        case Op.KILL:
          continue paths;
        default:
          break; // NOP, RMB, WMB, SEV, WFE, FLUSHP: no data moves
      }
      s.pc = next;
    }
  }
  const byInstruction = new Map<number, AccessRanges>();
  for (const [pc, c] of [...perInstruction].sort((x, y) => x[0] - y[0])) byInstruction.set(pc, { reads: c.reads.ranges(), writes: c.writes.ranges() });
  return { entry: entry >>> 0, reads: reads.ranges(), writes: writes.ranges(), complete, limits: [...limits.values()], byInstruction };
}

/** "SAR by +0x10 and DAR by +0x10" when the addresses changed since the path last jumped back from this loop end. */
function movesSinceMark(s: State): string | undefined {
  if (s.markPc !== s.pc || (s.sar === s.markSar && s.dar === s.markDar)) return undefined;
  const delta = (now: number, before: number, name: string): string | undefined =>
    now !== before ? `${name} by ${signedHex((now - before) | 0)}` : undefined;
  return [delta(s.sar, s.markSar, 'SAR'), delta(s.dar, s.markDar, 'DAR')].filter(Boolean).join(' and ');
}

function signedHex(v: number): string {
  return v < 0 ? `-0x${(-v).toString(16)}` : `+0x${v.toString(16)}`;
}

/** The ranges of the instructions whose addresses lie in [from, to]. */
export function accessesBetween(bounds: ProgramBounds, from: number, to: number): AccessRanges {
  const reads: AddressRange[] = [];
  const writes: AddressRange[] = [];
  for (const [pc, a] of bounds.byInstruction) {
    if (pc < from || pc > to) continue;
    reads.push(...a.reads);
    writes.push(...a.writes);
  }
  return { reads: mergeRanges(reads), writes: mergeRanges(writes) };
}
