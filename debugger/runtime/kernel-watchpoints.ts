// Data breakpoints of a kernel session: CPU loads and stores at a virtual address (`jiffies`, `0xc1234567`, a
// register's value: every CPU's accesses there, whatever the ASID), and accesses to physical RAM (`phys:0x…`) by any
// CPU through any mapping and by every DMAC (after its SMMU), or DMA accesses to an IOVA (`iova 0x…`: what a DMAC
// issues). A CPU access stops its CPU before it is performed (emulator/cpu/watchpoints.ts): the PC shown is the
// accessing instruction's, not yet executed, as the ARMv7 watchpoint debug exception reports it; the description
// says what it is about to change (old → new). A DMA access stops the whole machine after the beat that made it: its
// DMAC yields at once, every CPU halts after its current instruction, and the stop is on the DMA thread.
// Reverse continue re-executes the past with them checked (`scanned`): each hit whose condition holds (hit counts
// are not counted, as for code breakpoints) is a candidate, a CPU's at its accessing instruction, a DMA one at its
// burst's halt, the same instants as forward.
import type { Pl330 } from '../../emulator/pl330/pl330';
import type { SystemCpu } from '../../emulator/cpu/system';
import { WatchpointHit, WatchpointSet, type Watchpoint } from '../../emulator/cpu/watchpoints';
import type { Bus } from '../../emulator/bus/bus';
import { hexAddress } from '../../emulator/pl330/disasm';
import { type DataAccess, type DataBreakpoint, type JudgeReports, breakpointStops, checkConditions, parseDataId } from './breakpoints';
import type { BreakpointResult, DataBreakpointRequest, DataTarget, StopInfo } from './contract';
import type { DmaObservation } from './dma-observation';
import { type ExpressionContext, evaluateExpression } from './expression';

/** The longest range one data breakpoint watches. */
const MAX_LENGTH = 0x10000;
const ACCESS_TYPES: readonly DataAccess[] = ['read', 'write', 'readWrite'];
/** `phys:ADDRESS`, `physical ADDRESS`, `iova ADDRESS`: the space; then an expression, and `:LENGTH` optionally. */
const SPACE = /^\s*(phys(?:ical)?|iova)\s*(?::|\s)\s*(.*)$/i;
const LENGTH = /^(.*\S)\s*:\s*(0x[0-9a-f]+|\d+)\s*$/i;

/** What the session gives the watchpoints: its machine, its DMA threads, its expression contexts and reports. */
export interface WatchSession {
  readonly cpus: readonly SystemCpu[];
  readonly dmacs: readonly Pl330[];
  readonly bus: Bus;
  readonly dma: DmaObservation;
  cpuContext(index: number): ExpressionContext;
  dmaContext(thread: number): ExpressionContext;
  reports(): JudgeReports;
  cpuThreadId(index: number): number;
}

/** The DMAC and tick of a DMA access (the same in any re-execution). */
export interface DmaInstant { readonly dmac: number; readonly cycle: number }

/** A DMA access to a watched range, seen while the machine ran. */
interface DmaHit {
  readonly breakpoint: DataBreakpoint;
  /** Index of the DMA thread. */
  readonly thread: number;
  readonly text: string;
  readonly instant: DmaInstant;
}

/** What a data breakpoint's stop was made of (reverse continue shows it again, or finds it again at a segment's end). */
type Made = { readonly breakpoint: DataBreakpoint } & ({ readonly cpu: number; readonly hit: WatchpointHit } | { readonly dma: DmaHit });

/** While reverse continue re-executes: told of each DMA hit that stops (true: the machine halts there). */
export type DmaHitSeen = (stop: StopInfo, instant: DmaInstant) => boolean;

export class KernelWatchpoints {
  private readonly set: WatchpointSet;
  /** Every data breakpoint, by watchpoint id. */
  private breakpoints = new Map<number, DataBreakpoint>();
  /** What the user called each watched range (`jiffies`), by data id. */
  private readonly labels = new Map<string, string>();
  private dmaWatched: readonly DataBreakpoint[] = [];
  /** The bytes of each physical range as the DMA observer last knew them (a DMA write's old value). */
  private readonly shadows = new Map<number, Uint8Array>();
  private dmaHits: DmaHit[] = [];
  private unobserve: (() => void)[] = [];
  private suspended = false;
  /** The CPU hit the last stop reported (another CPU's, or one under a DMA stop, is met again when resumed). */
  private reported: WatchpointHit | undefined;
  /** A CPU hit reverse continue landed on (the CPU at its accessing instruction): resuming performs the access. */
  private arrival: { readonly cpu: number; readonly hit: WatchpointHit } | undefined;
  /** The stops made, by stop. */
  private readonly made = new WeakMap<StopInfo, Made>();
  /** Set while reverse continue re-executes. */
  private scanning: DmaHitSeen | undefined;

  constructor(private readonly session: WatchSession) {
    this.set = new WatchpointSet(session.cpus);
  }

  /** What a data breakpoint on `name` watches: an expression (a symbol, an address, a register) evaluated in
   * `context`, with `phys:`/`iova` before it and `:LENGTH` after it optionally (else `bytes`, else 4). */
  info(name: string, bytes: number | undefined, context: ExpressionContext): DataTarget {
    const spaced = SPACE.exec(name);
    const space = spaced === null ? 'virtual' : spaced[1].toLowerCase() === 'iova' ? 'iova' : 'physical';
    let expression = spaced === null ? name.trim() : spaced[2].trim();
    let length = bytes ?? 4;
    const sized = LENGTH.exec(expression);
    if (sized) {
      expression = sized[1];
      length = Number(sized[2]);
    }
    if (expression === '') return { dataId: null, description: 'name an address, a kernel symbol or a register (phys:ADDRESS for physical RAM, iova ADDRESS for what a DMAC issues)' };
    let start: number;
    try {
      start = evaluateExpression(expression, context);
    } catch (error) {
      return { dataId: null, description: `'${name}': ${(error as Error).message}` };
    }
    const top = space === 'physical' ? 2 ** 40 : 2 ** 32;
    if (!Number.isInteger(length) || length < 1 || length > MAX_LENGTH) return { dataId: null, description: `'${name}': a data breakpoint watches 1 to ${MAX_LENGTH} bytes (got ${length})` };
    if (!Number.isInteger(start) || start < 0 || start + length > top) return { dataId: null, description: `'${name}': ${start} is not an address` };
    if (space === 'physical' && !this.session.bus.isRam(start, length)) {
      return { dataId: null, description: `'${name}': physical ${hexAddress(start)}+${length} is not RAM (device registers are not watched)` };
    }
    const dataId = `${space}:0x${start.toString(16)}:${length}`;
    const label = /^(0x[0-9a-f]+|\d+)$/i.test(expression) ? undefined : expression;
    if (label !== undefined) this.labels.set(dataId, label);
    const where = `${label === undefined ? '' : `${label}: `}${space === 'virtual' ? '' : `${space === 'iova' ? 'IOVA' : 'physical'} `}${hexAddress(start)}, ${length} byte${length === 1 ? '' : 's'}`;
    const who = space === 'virtual' ? "every CPU's loads and stores at this virtual address"
      : space === 'physical' ? 'CPU loads and stores through any mapping, and DMA' : 'DMA accesses a DMAC issues at this address (before its SMMU)';
    return { dataId, description: `${where} (${who})`, accessTypes: ACCESS_TYPES };
  }

  /** Replaces every data breakpoint; `context` checks their conditions. */
  replace(requests: readonly DataBreakpointRequest[], nextId: () => number, context: ExpressionContext): BreakpointResult[] {
    const breakpoints: DataBreakpoint[] = [];
    const results = requests.map((r): BreakpointResult => {
      const id = nextId();
      try {
        const { space, start, length } = parseDataId(r.dataId);
        const problem = checkConditions(r.condition, r.hitCondition, context);
        if (typeof problem === 'string') return { id, verified: false, message: problem };
        breakpoints.push({ id, space, start, length, access: r.access ?? 'write', condition: r.condition, hitCondition: problem, hits: 0 });
        return { id, verified: true, address: start };
      } catch (error) {
        return { id, verified: false, message: (error as Error).message };
      }
    });
    this.breakpoints = new Map(breakpoints.map((b) => [b.id, b]));
    const watched: Watchpoint[] = breakpoints.filter((b) => b.space !== 'iova').map((b) => ({
      id: b.id, space: b.space === 'virtual' ? 'virtual' : 'physical', start: b.start, length: b.length,
      read: b.access !== 'write', write: b.access !== 'read',
    }));
    this.set.replace(watched);
    this.dmaWatched = breakpoints.filter((b) => b.space !== 'virtual');
    this.install();
    this.refresh();
    return results;
  }

  /** Each CPU's MMU checks the watched pages (none: the MMUs' fast paths as without a debugger); the DMACs are
   * observed while a range is watched for DMA. */
  private install(): void {
    const cpuWatch = !this.suspended && this.set.list.length > 0;
    this.session.cpus.forEach((cpu, i) => { cpu.mmu.watch = cpuWatch ? this.set.watchOf(i) : undefined; });
    for (const off of this.unobserve) off();
    this.unobserve = [];
    if (this.suspended || this.dmaWatched.length === 0) return;
    this.session.dmacs.forEach((dmac, d) => {
      this.unobserve.push(dmac.observe((event) => {
        if (event.kind !== 'bus' || event.access.fetch) return;
        const instant = { dmac: d, cycle: event.cycle };
        this.dmaAccess(dmac, this.session.dma.threadIndex(d, event.thread), instant, event.access.address, event.access.physical, event.access.data, event.access.write);
      }));
    });
  }

  /** A DMAC's access (after it was performed): a hit halts the machine. */
  private dmaAccess(dmac: Pl330, thread: number, instant: DmaInstant, issued: number, physical: number, data: Uint8Array, write: boolean): void {
    let scanned: StopInfo | undefined;
    for (const breakpoint of this.dmaWatched) {
      if (write ? breakpoint.access === 'read' : breakpoint.access === 'write') continue;
      const address = breakpoint.space === 'iova' ? issued : physical;
      if (address < 0 || address + data.length <= breakpoint.start || address >= breakpoint.start + breakpoint.length) continue;
      const from = Math.max(address, breakpoint.start);
      const to = Math.min(address + data.length, breakpoint.start + breakpoint.length);
      const now = data.slice(from - address, to - address);
      const shadow = this.shadows.get(breakpoint.id);
      const before = shadow?.slice(from - breakpoint.start, to - breakpoint.start);
      if (write) shadow?.set(now, from - breakpoint.start);
      const name = this.session.dma.threads[thread]?.name ?? 'a DMAC';
      const through = issued !== physical ? ` (issued as ${hexAddress(issued)}${physical < 0 ? ', not translated' : ''})` : '';
      const value = write && before !== undefined ? `${formatBytes(before)} → ${formatBytes(now)}` : formatBytes(now);
      const text = `${name} ${write ? 'writes' : 'reads'} ${data.length} byte${data.length === 1 ? '' : 's'} at ${breakpoint.space === 'iova' ? 'IOVA' : 'physical'} ${hexAddress(address)}${through}; ` +
        `${this.label(breakpoint)}${from === breakpoint.start && to === breakpoint.start + breakpoint.length ? '' : `, ${to - from} byte${to - from === 1 ? '' : 's'} at ${hexAddress(from)}`}: ${value}`;
      const hit = { breakpoint, thread, text, instant };
      if (this.scanning === undefined) this.dmaHits.push(hit);
      else if (scanned === undefined && breakpointStops(breakpoint, this.session.dmaContext(thread), this.replayReports())) scanned = this.dmaHitStop(hit);
      if (this.scanning === undefined) this.halt(dmac);
    }
    if (scanned !== undefined && this.scanning!(scanned, instant)) this.halt(dmac);
  }

  /** The DMAC stops after this beat, every CPU after its instruction: the machine at the access's instant. */
  private halt(dmac: Pl330): void {
    dmac.yieldRequested = true;
    for (const cpu of this.session.cpus) cpu.requestHalt();
  }

  private dmaHitStop(hit: DmaHit): StopInfo {
    const stop: StopInfo = { reason: 'data breakpoint', threadId: this.session.dma.threads[hit.thread].id, description: hit.text, text: hit.text, breakpointIds: [hit.breakpoint.id] };
    this.made.set(stop, { breakpoint: hit.breakpoint, dma: hit });
    return stop;
  }

  private replayReports(): JudgeReports {
    return { ...this.session.reports(), replaying: true };
  }

  private label(breakpoint: DataBreakpoint): string {
    const dataId = `${breakpoint.space}:0x${breakpoint.start.toString(16)}:${breakpoint.length}`;
    const name = this.labels.get(dataId);
    return `${name === undefined ? '' : `${name} at `}${hexAddress(breakpoint.start)}+${breakpoint.length}`;
  }

  /** The stop for CPU `index`'s watched access, or undefined when its condition or hit count says run on (the access
   * then passes once: the caller clears the CPU's stop and runs on). */
  cpuStop(index: number, hit: WatchpointHit): StopInfo | undefined {
    const breakpoint = this.breakpoints.get(hit.watchpoint.id);
    if (breakpoint === undefined || !breakpointStops(breakpoint, this.session.cpuContext(index), this.session.reports())) {
      this.passed(index, hit);
      return undefined;
    }
    this.reported = hit;
    return this.cpuHitStop(index, hit, breakpoint);
  }

  private cpuHitStop(index: number, hit: WatchpointHit, breakpoint: DataBreakpoint): StopInfo {
    const width = 2 * hit.size;
    const hex = (v: number): string => `0x${v.toString(16).padStart(width, '0')}`;
    const value = hit.write ? `${hex(hit.old)} → ${hex(hit.value)}` : hex(hit.value);
    const text = `cpu${index} ${hit.write ? 'writes' : 'reads'} ${hit.size} byte${hit.size === 1 ? '' : 's'} at ${hexAddress(hit.address)}` +
      `${breakpoint.space === 'virtual' ? '' : ` (physical ${hexAddress(hit.physical)})`}: ${value} (watching ${this.label(breakpoint)}; ` +
      `the instruction at the PC has not completed)`;
    const stop: StopInfo = { reason: 'data breakpoint', threadId: this.session.cpuThreadId(index), description: text, text, breakpointIds: [breakpoint.id] };
    this.made.set(stop, { breakpoint, cpu: index, hit });
    return stop;
  }

  /** In a re-execution for reverse continue, CPU `index` stopped before a watched access: the stop it makes there
   * (its condition holding; hit counts are not counted), or undefined; either way the access passes once. */
  scannedCpuStop(index: number, hit: WatchpointHit): StopInfo | undefined {
    const breakpoint = this.breakpoints.get(hit.watchpoint.id);
    this.passed(index, hit);
    if (breakpoint === undefined || !breakpointStops(breakpoint, this.session.cpuContext(index), this.replayReports())) return undefined;
    return this.cpuHitStop(index, hit, breakpoint);
  }

  /** Runs a re-execution for reverse continue with the data breakpoints checked: a CPU's watched access stops it, a
   * DMA hit goes to `seen`. */
  scanned<T>(run: () => T, seen: DmaHitSeen): T {
    this.scanning = seen;
    try {
      return run();
    } finally {
      this.scanning = undefined;
      this.dmaHits = [];
      for (const dmac of this.session.dmacs) dmac.yieldRequested = false;
    }
  }

  /** Each CPU's passed instruction now (a run's start: what its re-execution passes again). */
  passes(): number[] {
    return this.session.cpus.map((_, i) => this.set.passedAt(i));
  }

  /** Each CPU passes the hits of the instruction it has retired `passes[i]` before (a run's start again). */
  pass(passes: readonly number[]): void {
    passes.forEach((retired, i) => this.set.pass(i, retired));
  }

  /** The machine was restored: nothing is passed (a CPU's instruction count there may meet an old pass again). */
  forgetPasses(): void {
    this.pass(this.session.cpus.map(() => -1));
    this.reported = undefined;
    this.arrival = undefined;
  }

  /** The DMAC tick of a DMA data breakpoint's stop (reverse continue's search starts before it). */
  instantOf(stop: StopInfo): DmaInstant | undefined {
    const made = this.made.get(stop);
    return made !== undefined && 'dma' in made ? made.dma.instant : undefined;
  }

  /** Reverse continue met an earlier stop of a data breakpoint: the stop there if a breakpoint on the same range and
   * access is set now (its id may be new) and its condition holds. */
  stopAgain(stop: StopInfo): StopInfo | undefined {
    const made = this.made.get(stop);
    if (made === undefined) return undefined;
    const was = made.breakpoint;
    const breakpoint = [...this.breakpoints.values()].find((b) => b.space === was.space && b.start === was.start && b.length === was.length && b.access === was.access);
    if (breakpoint === undefined) return undefined;
    if ('cpu' in made) {
      return breakpointStops(breakpoint, this.session.cpuContext(made.cpu), this.replayReports()) ? this.cpuHitStop(made.cpu, made.hit, breakpoint) : undefined;
    }
    const hit = { ...made.dma, breakpoint };
    return breakpointStops(breakpoint, this.session.dmaContext(hit.thread), this.replayReports()) ? this.dmaHitStop(hit) : undefined;
  }

  /** Reverse continue landed on this stop: a CPU's watched access, now at its instruction, is performed on resuming. */
  arrived(stop: StopInfo): void {
    const made = this.made.get(stop);
    this.arrival = made !== undefined && 'cpu' in made ? { cpu: made.cpu, hit: made.hit } : undefined;
  }

  /** The stop for the DMA accesses seen since the last look, if one stops (condition, hit count); clears them. */
  dmaStop(): StopInfo | undefined {
    const hits = this.dmaHits;
    this.dmaHits = [];
    for (const dmac of this.session.dmacs) dmac.yieldRequested = false;
    const hit = hits.find((h) => breakpointStops(h.breakpoint, this.session.dmaContext(h.thread), this.session.reports()));
    return hit === undefined ? undefined : this.dmaHitStop(hit);
  }

  /** Before the machine runs again: the CPU stopped at the watched access reported performs it (passed once), one
   * whose hit was not reported meets it again, nothing of the last stop's DMA accesses is left, the DMA observer's
   * copies are RAM's again. */
  prepareResume(): void {
    this.dmaHits = [];
    for (const dmac of this.session.dmacs) dmac.yieldRequested = false;
    this.refresh();
    this.session.cpus.forEach((cpu, i) => {
      const stop = cpu.stop;
      if (stop?.kind !== 'fault' || !(stop.cause instanceof WatchpointHit)) return;
      cpu.stop = null;
      if (stop.cause === this.reported) this.passed(i, stop.cause);
    });
    if (this.arrival !== undefined) this.passed(this.arrival.cpu, this.arrival.hit);
    this.reported = undefined;
    this.arrival = undefined;
  }

  /** CPU `index` performs the access (its instruction passes the watchpoints once): the copies follow its store. */
  private passed(index: number, hit: WatchpointHit): void {
    this.set.pass(index, hit.retired);
    if (!hit.write) return;
    for (const breakpoint of this.dmaWatched) {
      const shadow = this.shadows.get(breakpoint.id);
      if (shadow === undefined) continue;
      for (let i = 0; i < hit.size; i++) {
        const at = hit.physical + i - breakpoint.start;
        if (at >= 0 && at < shadow.length) shadow[at] = (hit.value >>> (8 * i)) & 0xff;
      }
    }
  }

  /** RAM changed outside the CPUs and DMACs (a restore, the debugger's write): the copies are read again. */
  refresh(): void {
    this.shadows.clear();
    const bus = this.session.bus;
    for (const b of this.dmaWatched) {
      if (b.space !== 'physical' || !bus.isRam(b.start, b.length)) continue;
      const bytes = new Uint8Array(b.length);
      bus.memory.readBlock(b.start, bytes, 0, b.length);
      this.shadows.set(b.id, bytes);
    }
  }

  /** Runs `run` with no watchpoint checked (the re-execution of a run for a step back saw them when it ran). */
  suspendedWhile<T>(run: () => T): T {
    this.suspended = true;
    this.install();
    try {
      return run();
    } finally {
      this.suspended = false;
      this.install();
      this.refresh();
    }
  }
}

/** Up to 4 bytes as a little-endian number (as the CPU would load them), more as bytes in address order. */
function formatBytes(bytes: Uint8Array): string {
  if (bytes.length <= 4) return `0x${bytes.reduceRight((v, b) => v * 256 + b, 0).toString(16).padStart(2 * bytes.length, '0')}`;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
