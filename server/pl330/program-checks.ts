// Checks over whole channel programs, after assembly: their static address bounds against themselves (a copy
// overwriting its source), the file's declared buffers and the microcode; and barriers before events in peripheral
// programs. Run on error-free results only: the bounds of a program that did not assemble mean nothing.
import { operandOf } from '../../emulator/pl330/decode';
import type { AssembleResult, AssembledInstruction, Program } from './assembler';
import {
  AddressRange, ProgramBounds, RUNS_PAST_CODE, computeBounds, formatRanges, intersectRanges, mergeRanges, subtractRanges,
} from './bounds';
import { Pl330CheckCode, pl330Check, SourceDiagnostic } from './diagnostics';
import { formatTemplate } from '../checks';

/** A channel program's entry point (a .channel section, a label after DMAEND, a DMAGO target) and its bounds. */
export interface EntryBounds {
  readonly entry: number;
  /** The label at the entry, if any. */
  readonly name?: string;
  readonly line: number;
  readonly bounds: ProgramBounds;
}

/** Where a DMAGO or a .channel section may start a channel: the entry points the bounds are computed from. */
export function channelEntries(result: AssembleResult): { entry: number; line: number; name?: string }[] {
  const entries = new Map<number, { entry: number; line: number; name?: string }>();
  const labelAt = new Map<number, { name: string; line: number }>();
  for (const symbol of result.symbols.values()) {
    if (symbol.kind === 'label' && symbol.value !== undefined && !labelAt.has(symbol.value)) labelAt.set(symbol.value, { name: symbol.name, line: symbol.line });
  }
  const add = (entry: number, line: number): void => {
    if (entries.has(entry)) return;
    const label = labelAt.get(entry);
    entries.set(entry, { entry, line: label?.line ?? line, name: label?.name });
  };
  const byProgram = instructionsByProgram(result);
  result.programs.forEach((p, index) => {
    const code = byProgram[index].filter((i) => i.length > 0);
    if (p.kind === 'channel' && code.length > 0) add(p.base, p.line);
    code.forEach((ins, k) => {
      if (p.kind === 'channel' && k > 0 && code[k - 1].spec?.operation === 'END' && labelAt.has(ins.address)) add(ins.address, ins.line);
      if (ins.spec?.operation === 'GO') {
        const bytes = p.bytes.subarray(ins.address - p.base, ins.address - p.base + ins.length);
        add(operandOf(bytes, 'imm32') >>> 0, ins.line);
      }
    });
  });
  return [...entries.values()].sort((a, b) => a.entry - b.entry);
}

function instructionsByProgram(result: AssembleResult): AssembledInstruction[][] {
  const out: AssembledInstruction[][] = result.programs.map(() => []);
  for (const ins of result.instructions) out[ins.program]?.push(ins);
  return out;
}

export function programBounds(result: AssembleResult): EntryBounds[] {
  const images = result.programs;
  const revision = result.config.revision;
  return channelEntries(result).map((e) => {
    const own = images.find((p) => e.entry >= p.base && e.entry < p.base + p.bytes.length);
    return { ...e, bounds: own ? boundsWithin(images, own, e.entry, revision) : computeBounds(images, e.entry, { revision }) };
  });
}

/**
 * Bounds of a program that stays within its own bytes, remembered by those bytes: an edit re-assembles the whole
 * file, but only the programs it changed are followed again.
 */
const remembered = new Map<string, ProgramBounds>();
const REMEMBERED_LIMIT = 10_000;

function boundsWithin(images: readonly Program[], own: Program, entry: number, revision: number): ProgramBounds {
  const key = `${revision}:${entry}:${own.base}:${Buffer.from(own.bytes.buffer, own.bytes.byteOffset, own.bytes.length).toString('latin1')}`;
  const known = remembered.get(key);
  if (known) return known;
  const bounds = computeBounds([own], entry, { revision });
  // A path that ran on into other code needs them all, and depends on them.
  if (bounds.limits.some((l) => l.reason === RUNS_PAST_CODE)) return computeBounds(images, entry, { revision });
  if (remembered.size >= REMEMBERED_LIMIT) remembered.clear();
  remembered.set(key, bounds);
  return bounds;
}

/** The assembler's diagnostics and the program checks', in source order. */
export function withProgramDiagnostics(result: AssembleResult, entries: readonly EntryBounds[]): SourceDiagnostic[] {
  return [...result.diagnostics, ...programDiagnostics(result, entries)].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Bounds diagnostics and barrier checks for an error-free assembly. */
export function programDiagnostics(result: AssembleResult, entries: readonly EntryBounds[]): SourceDiagnostic[] {
  if (result.errorCount > 0) return [];
  const out: SourceDiagnostic[] = [];
  const reported = new Set<string>();
  const byAddress = new Map<number, AssembledInstruction>();
  for (const ins of result.instructions) if (ins.length > 0) byAddress.set(ins.address, ins);
  const report = (code: Pl330CheckCode, pc: number, args: Record<string, string | number>): void => {
    const ins = byAddress.get(pc);
    const key = `${code}@${pc}`;
    if (!ins || reported.has(key)) return;
    reported.add(key);
    out.push({ severity: pl330Check(code).level, code, message: formatTemplate(pl330Check(code).message, args), line: ins.line, col: ins.col, endLine: ins.line, endCol: ins.endCol });
  };
  const buffers = mergeRanges(result.buffers.map((b) => ({ start: b.address, end: b.address + b.size })));
  const bufferNames = result.buffers.map((b) => b.name).join(', ');
  const code = result.programs.filter((p) => p.bytes.length > 0).sort((x, y) => x.base - y.base);
  for (const { bounds } of entries) {
    for (const [pc, access] of bounds.byInstruction) {
      const overlap = intersectRanges(access.writes, bounds.reads);
      if (overlap.length) report('bounds-overlap', pc, { ranges: formatRanges(overlap) });
      if (buffers.length) {
        for (const [what, ranges] of [['reads', access.reads], ['writes', access.writes]] as const) {
          const outside = subtractRanges(ranges, buffers);
          if (outside.length) report('bounds-outside-buffer', pc, { access: what, ranges: formatRanges(outside), buffers: bufferNames });
        }
      }
      for (const w of access.writes) {
        for (let k = firstEndingAfter(code, w.start); k < code.length && code[k].base < w.end; k++) {
          const program = code[k];
          const over = intersectRanges([w], [{ start: program.base, end: program.base + program.bytes.length }]);
          if (over.length) report('bounds-writes-code', pc, { ranges: formatRanges(over), kind: program.kind, base: `0x${program.base.toString(16)}` });
        }
      }
    }
  }
  for (const ins of missingBarriers(result)) report('missing-wmb', ins.address, {});
  return out;
}

/** The first of the programs (sorted by base, not overlapping) that ends after `address`. */
function firstEndingAfter(programs: readonly Program[], address: number): number {
  let lo = 0, hi = programs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (programs[mid].base + programs[mid].bytes.length <= address) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const PERIPHERAL_OPERATIONS = new Set(['WFP', 'LDP', 'STP', 'FLUSHP']);
const STORE_OPERATIONS = new Set(['ST', 'STP', 'STZ']);

/** DMASEVs of peripheral programs reached, in source order, after a store with no DMAWMB since. */
export function missingBarriers(result: AssembleResult): AssembledInstruction[] {
  const out: AssembledInstruction[] = [];
  const byProgram = instructionsByProgram(result);
  result.programs.forEach((p, index) => {
    if (p.kind !== 'channel') return;
    const code = byProgram[index].filter((i) => i.spec);
    if (!code.some((i) => PERIPHERAL_OPERATIONS.has(i.spec!.operation))) return;
    let pendingStores = false;
    for (const ins of code) {
      const operation = ins.spec!.operation;
      if (STORE_OPERATIONS.has(operation)) pendingStores = true;
      else if (operation === 'WMB' || operation === 'END') pendingStores = false;
      else if (operation === 'SEV' && pendingStores) out.push(ins);
    }
  });
  return out;
}

/** A region a master may reach (an SMMU mapping, a buffer): the accesses it allows. */
export interface AccessWindow extends AddressRange {
  readonly read: boolean;
  readonly write: boolean;
}

/** The bytes a program would read or write outside the windows that allow that access. */
export function accessesOutside(bounds: ProgramBounds, windows: readonly AccessWindow[]): { reads: AddressRange[]; writes: AddressRange[] } {
  const readable = mergeRanges(windows.filter((w) => w.read));
  const writable = mergeRanges(windows.filter((w) => w.write));
  return { reads: subtractRanges(bounds.reads, readable), writes: subtractRanges(bounds.writes, writable) };
}
