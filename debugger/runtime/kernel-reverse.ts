// Reverse execution of a kernel session over the whole machine (CPUs, DMACs, timers, on the one clock): the session's
// history is a list of segments, each a run (continue, step over/out: the round schedule's own order, which stops
// inside do not change) or a debugger's step (one CPU instruction with the other CPUs halted, or one DMA instruction
// with the CPUs halted), each from a pinned checkpoint, runs with a checkpoint every CHECKPOINT_INTERVAL of machine
// time in which the CPUs ran CHECKPOINT_WORK instructions (emulator/machine/checkpoints.ts, within its memory budget). Any instant of a run is rebuilt by restoring the
// latest checkpoint before it and re-executing (console input replays with the machine). Going back:
// - a CPU: to the instant it retired its previous instruction (runUntil);
// - a DMA channel: to the tick before it executed its previous instruction (the devices stopped there by
//   Machine.freezeAt, the CPUs halted after the instruction they were in), found by re-executing with an observer;
// - reverse continue: to the latest breakpoint hit, data breakpoint hit or ticked DMA event filter's stop before now,
//   found by re-executing each stretch between two checkpoints (newest first) with observers recording them, then
//   landing on the last one by re-executing again, halting where the original run would have (a CPU's watched access
//   at its instruction, not performed; a DMA one after its burst); with none, to the history's start.
// Observers are attached only while re-executing.
import type { Checkpoint } from '../../emulator/machine/checkpoints';
import { Checkpoints } from '../../emulator/machine/checkpoints';
import { BREAKPOINT_HALT } from '../../emulator/cpu/cpu';
import type { StopReason as CpuStop } from '../../emulator/cpu/state';
import { WatchpointHit } from '../../emulator/cpu/watchpoints';
import type { SystemMachine, SystemOutcome } from '../../emulator/machine/system';
import type { Pl330Event } from '../../emulator/pl330/observer';
import type { DmaThread } from './dma-observation';
import type { StopInfo } from './contract';
import { UserError } from './launch';
import { hex32 as hex } from './views';

/** Machine time between the checkpoints of a run (ns). */
const CHECKPOINT_INTERVAL = 10_000_000;
/**
 * Instructions the CPUs retire between checkpoints at least (a busy CPU's in the interval at 1 GHz): what a step back
 * re-executes is bounded by work, not by machine time. An idle guest (in WFI, woken by its timer) passes the interval
 * in a few thousand instructions: a checkpoint each time filled the budget within seconds of an idle session (each
 * costs its map of every RAM page, ~1 MB for a booted Debian), with stretches that re-execute in microseconds.
 */
const CHECKPOINT_WORK = 10_000_000;

/**
 * An instant of a run, as a re-execution finds it again: CPU `cpu` has retired `retired` instructions and the devices
 * have reached `devicesAt` (ps; a stop after a breakpoint, a DMA event's halt, a pause); the end of a stretch of
 * machine time (ns); or the devices stopped before tick `cycle` of DMAC `dmac` (a DMA channel stepped back).
 */
export type Position =
  | { readonly kind: 'turn'; readonly cpu: number; readonly retired: number; readonly devicesAt: number }
  | { readonly kind: 'time'; readonly ns: number }
  | { readonly kind: 'freeze'; readonly dmac: number; readonly cycle: number };

/** A checkpoint of the history, and what the console had transmitted there. */
interface Mark {
  readonly checkpoint: Checkpoint;
  readonly transmitted: number;
  /** Where a run's periodic checkpoint was taken (the first mark of a segment is its start). */
  readonly position?: Position;
}

type Stepped = { readonly cpu: number } | { readonly dma: DmaThread };

/** The DMAC event whose filter stopped the machine: its DMAC and cycle (the same in any re-execution). */
export interface Trigger { readonly dmac: number; readonly cycle: number }

interface Segment {
  /** A debugger's step (undefined: a run). */
  readonly stepped?: Stepped;
  readonly marks: Mark[];
  /** The instruction each CPU passes a data breakpoint's hit of at the start (the one it stopped at, reported). */
  readonly passes: readonly number[];
  /** Where a run ended (set when it stops), the stop shown there and the DMAC event that caused it, if one did. */
  end?: Position;
  endTime?: number;
  stop?: StopInfo;
  trigger?: Trigger;
}

/** A stop found by re-executing a stretch: a CPU's breakpoint or data breakpoint hit (landed on by runUntil), or the
 * n-th filtered DMA event or DMA data breakpoint hit. */
type Candidate =
  | { readonly kind: 'turn'; readonly position: Position; readonly stop: StopInfo }
  | { readonly kind: 'event'; readonly ordinal: number; readonly stop: StopInfo; readonly trigger: Trigger };

/** What a re-execution watches for (the runtime's DMA observer asks `scan`). */
export interface EventScan {
  /** Filtered DMA events seen so far. */
  seen: number;
  /** Halt the machine at this one (landing); -1: record them all. */
  readonly haltAt: number;
  /** Events from this one on are the stop the stretch ends in: not candidates. */
  readonly endTrigger?: Trigger;
  ended: boolean;
  readonly found: Candidate[];
}

/** What the reverse execution needs of the session. */
export interface ReverseHost {
  readonly system: SystemMachine;
  /** Bytes the console transmitted in this timeline (a re-execution transmits them again: not shown twice). */
  transmitted: number;
  /** The CPU breakpoints' addresses, and the stop one makes at CPU `cpu`'s PC now (conditions only, no hit counts). */
  breakpointAddresses(): ReadonlySet<number>;
  breakpointStop(cpu: number): StopInfo | undefined;
  /** The stop reverse continue makes at an earlier stop, now restored: its filter still ticked, or a CPU at a
   * breakpoint set now; undefined: none. */
  reverseStop(stop: StopInfo): StopInfo | undefined;
  /** The DMA thread's PC now. */
  pcOf(t: DmaThread): number;
  /** The machine was restored: what the session keeps of it is read afresh (the DMA threads' states, so that what
   * changes from there is a transition; the bytes data breakpoints watch). */
  restored(): void;
  /** Runs a re-execution with the data breakpoints unchecked. */
  unwatched<T>(run: () => T): T;
  /** Runs a re-execution with them checked: a CPU's hit stops it, a DMA one is told to `seen` (true: the machine
   * halts there, as forward). */
  watched<T>(run: () => T, seen: (stop: StopInfo, trigger: Trigger) => boolean): T;
  /** In a watched re-execution, CPU `cpu` stopped before the watched access `hit`: the stop it makes (condition
   * only), or undefined; the access passes once. */
  watchStop(cpu: number, hit: WatchpointHit): StopInfo | undefined;
  /** The CPUs' passed data breakpoint hits now (WatchpointSet.pass), or passes them so. */
  passes(): readonly number[];
  pass(passes: readonly number[]): void;
}

/** Whether a run past checkpoint `last` takes the next one: the interval of machine time passed and the CPUs did the
 * work between checkpoints. */
export function checkpointDue(system: SystemMachine, last: Checkpoint): boolean {
  const work = system.cpus.reduce((sum, cpu, i) => sum + cpu.retired - last.retired[i], 0);
  return system.time >= last.time + CHECKPOINT_INTERVAL && work >= CHECKPOINT_WORK;
}

export class KernelReverse {
  private readonly checkpoints: Checkpoints;
  private segments: Segment[] = [];
  /** While re-executing: what the DMA observer reports to (undefined: a live run, or a replay watching nothing). */
  scan: EventScan | undefined;
  /** Set while re-executing: the DMA filters neither trace nor stop. */
  replaying = false;
  /** The machine time a slice of the current run is to end at (ns), and how the last one ended. */
  private sliceEnd = 0;
  private lastOutcome: SystemOutcome | undefined;

  constructor(private readonly host: ReverseHost) {
    this.checkpoints = new Checkpoints(host.system, { interval: CHECKPOINT_INTERVAL });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Recording

  /** A run starts here (a continue, a step over or out). */
  beginRun(): void {
    this.begin(undefined);
  }

  /** A debugger's step of a CPU or a DMA channel starts here. */
  beginStep(stepped: Stepped): void {
    this.begin(stepped);
  }

  private begin(stepped: Stepped | undefined): void {
    const mark = { checkpoint: this.checkpoints.take(true), transmitted: this.host.transmitted };
    this.segments.push({ stepped, marks: [mark], passes: this.host.passes() });
    this.prune();
  }

  /** Marks whose checkpoint the budget thinned out go (a segment's start is pinned). */
  private prune(): void {
    const held = new Set(this.checkpoints.checkpoints);
    for (const segment of this.segments) {
      const kept = segment.marks.filter((mark, j) => j === 0 || held.has(mark.checkpoint));
      if (kept.length !== segment.marks.length) segment.marks.splice(0, segment.marks.length, ...kept);
    }
  }

  /** One slice of the current run, to `ns` more of machine time, with a checkpoint whenever an interval passed. */
  runSlice(ns: number): SystemOutcome {
    const system = this.host.system;
    const segment = this.current();
    const last = segment.marks[segment.marks.length - 1].checkpoint;
    this.sliceEnd = system.time + ns;
    const outcome = system.runTo(this.sliceEnd);
    this.lastOutcome = outcome;
    if (outcome.kind === 'time-limit' && checkpointDue(system, last)) {
      segment.marks.push({ checkpoint: this.checkpoints.take(), transmitted: this.host.transmitted, position: { kind: 'time', ns: this.sliceEnd } });
      this.prune();
    }
    return outcome;
  }

  /** The session stopped: the current segment ends here, in this stop (for a run, caused by `trigger` if given). */
  stopped(stop: StopInfo, trigger?: Trigger): void {
    const segment = this.segments[this.segments.length - 1];
    if (segment === undefined || segment.stop !== undefined) return;
    segment.stop = stop;
    segment.trigger = trigger;
    segment.endTime = this.host.system.time;
    if (segment.stepped !== undefined) return;
    const outcome = this.lastOutcome;
    segment.end = outcome?.kind === 'stopped' ? this.turnHere(outcome.cpu) : { kind: 'time', ns: this.sliceEnd };
  }

  /** Memory written by the debugger: the past would undo it, so it is forgotten. */
  forget(): void {
    for (const segment of this.segments) for (const mark of segment.marks) this.checkpoints.drop(mark.checkpoint);
    this.segments = [];
  }

  private current(): Segment {
    return this.segments[this.segments.length - 1];
  }

  private turnHere(cpu: number): Position {
    const system = this.host.system;
    return { kind: 'turn', cpu, retired: system.cpus[cpu].retired, devicesAt: system.machine.now };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Going back

  /** Back one instruction of CPU `cpu`: the whole machine as it was when the CPU had retired one fewer. */
  stepBackCpu(cpu: number, threadId: number): StopInfo {
    const system = this.host.system;
    for (;;) {
      const segment = this.lastSegment();
      const base = segment.marks[0];
      if (segment.stepped !== undefined) {
        if ('cpu' in segment.stepped && segment.stepped.cpu !== cpu) throw new UserError(`the last step was cpu${segment.stepped.cpu}'s: step it back first`);
        this.pop();
        if ('cpu' in segment.stepped) return this.landed(threadId);
        continue;
      }
      const target = system.cpus[cpu].retired - 1;
      // The run retired none of this CPU's instructions: its previous one is before the run.
      if (target <= base.checkpoint.retired[cpu]) {
        this.pop();
        if (target === base.checkpoint.retired[cpu]) return this.landed(threadId);
        continue;
      }
      const j = this.latestMark(segment, (m) => m.checkpoint.retired[cpu] < target);
      this.restoreMark(segment.marks[j]);
      const outcome = this.replay(() => system.runUntil(cpu, target));
      if (outcome.kind !== 'reached') throw new UserError(`the re-execution of cpu${cpu}'s run ended early (${outcome.kind}) before its instruction ${target}`);
      this.truncate(segment, j, this.turnHere(cpu));
      return this.landed(threadId);
    }
  }

  /**
   * Back one instruction of DMA channel `t`: the machine at the tick before the channel executed the instruction
   * before the one it is at (or, stalled in an instruction, the one before that); the CPUs halted after the
   * instruction each was in then.
   */
  stepBackDma(t: DmaThread): StopInfo {
    if (t.ref === 'manager') throw new UserError(`${t.name} runs only the DMAGO/DMAKILL the driver writes: step back a channel`);
    const last = this.lastSegment();
    if (last.stepped !== undefined && ('cpu' in last.stepped || last.stepped.dma.id !== t.id)) {
      throw new UserError(`the last step was ${'cpu' in last.stepped ? `cpu${last.stepped.cpu}` : last.stepped.dma.name}'s: step it back first`);
    }
    return this.searchBack((segment, i) => {
      if (segment.stepped !== undefined) return 'dma' in segment.stepped && segment.stepped.dma.id === t.id ? this.cut(i, t.id) : undefined;
      const pc = this.host.pcOf(t);
      for (let j = segment.marks.length - 1; j >= 0; j--) {
        this.restoreMark(segment.marks[j]);
        const starts = this.instructionStarts(t, segment);
        // Instructions in a row at one address are a stalled one retried: its first attempt is the instruction's.
        let k = starts.length - 1;
        if (k >= 0 && starts[k].pc === pc) k = this.groupStart(starts, k) - 1;
        if (k < 0) continue;
        const position: Position = { kind: 'freeze', dmac: t.dmac, cycle: starts[this.groupStart(starts, k)].cycle };
        this.restoreMark(segment.marks[j]);
        const outcome = this.goTo(position, segment);
        if (outcome !== undefined) throw new UserError(`the re-execution stopped before ${t.name}'s instruction at ${hex(starts[k].pc)}: ${JSON.stringify(outcome)}`);
        this.truncate(segment, j, position);
        return this.landed(t.id);
      }
      return undefined;
    }, () => {
      throw new UserError(`no earlier instruction of ${t.name} in the recorded history`);
    });
  }

  /** Back to the latest breakpoint hit or ticked DMA filter's stop before now; with none, to the history's start. */
  reverseContinue(threadId: number): StopInfo {
    return this.searchBack((segment, i) => {
      // A segment's end is the stop shown there (the present's is not earlier than now).
      const stop = i < this.segments.length - 1 && segment.stop !== undefined ? this.host.reverseStop(segment.stop) : undefined;
      if (stop !== undefined) {
        this.cut(i + 1, threadId);
        return stop;
      }
      if (segment.stepped !== undefined) return undefined;
      for (let j = segment.marks.length - 1; j >= 0; j--) {
        const found = this.stopsBetween(segment, j);
        if (found.length > 0) return this.land(segment, j, found[found.length - 1]);
      }
      return undefined;
    }, () => ({ ...this.cut(0, threadId), description: 'the start of the recorded history' }));
  }

  /**
   * Looks through the segments, newest first, for where to land (`look` lands and says the stop, or says undefined
   * with the machine anywhere); `none` when no segment has it. The present is restored when the search fails.
   */
  private searchBack(look: (segment: Segment, i: number) => StopInfo | undefined, none: () => StopInfo): StopInfo {
    this.lastSegment();
    const present = { state: this.host.system.snapshot(), transmitted: this.host.transmitted };
    try {
      for (let i = this.segments.length - 1; i >= 0; i--) {
        if (i < this.segments.length - 1) this.restoreMark(this.segments[i + 1].marks[0]);
        const stop = look(this.segments[i], i);
        if (stop !== undefined) return stop;
      }
      return none();
    } catch (error) {
      this.host.system.restore(present.state);
      this.host.transmitted = present.transmitted;
      this.host.restored();
      throw error;
    }
  }

  /** Back to where segment i started: it and those after it leave the history. */
  private cut(i: number, threadId: number): StopInfo {
    this.restoreMark(this.segments[i].marks[0]);
    for (const segment of this.segments.splice(i)) for (const mark of segment.marks) this.checkpoints.drop(mark.checkpoint);
    return this.landed(threadId);
  }

  /** The stops a re-execution from mark j to the next (or the segment's end) meets, in order. */
  private stopsBetween(segment: Segment, j: number): Candidate[] {
    const system = this.host.system;
    const next = segment.marks[j + 1]?.position ?? segment.end!;
    const scan: EventScan = { seen: 0, haltAt: -1, endTrigger: next === segment.end ? segment.trigger : undefined, ended: false, found: [] };
    this.restoreMark(segment.marks[j]);
    const addresses = this.host.breakpointAddresses();
    for (const cpu of system.cpus) {
      cpu.breakpoints = addresses.size > 0 ? new Set(addresses) : undefined;
      // At a run's start a CPU at a breakpoint is that stop, the previous segment's (not this stretch's).
      cpu.passBreakpointAt = j === 0 ? cpu.pc : -1;
    }
    this.scan = scan;
    try {
      this.watchedTo(next, segment, (cpu, stop) => {
        if (!scan.ended) scan.found.push({ kind: 'turn', position: this.turnHere(cpu), stop });
      });
    } finally {
      this.scan = undefined;
      for (const cpu of system.cpus) cpu.breakpoints = undefined;
    }
    return scan.found;
  }

  /**
   * Re-executes the restored machine to `position` with the breakpoints the CPUs hold and the data breakpoints
   * checked: a CPU's stop at one (`met` told of the stop it makes, if it does) is passed and the run goes on; returns
   * how the run ended otherwise.
   */
  private watchedTo(position: Position, segment: Segment, met: (cpu: number, stop: StopInfo) => void): SystemOutcome | undefined {
    const system = this.host.system;
    this.host.pass(segment.passes);
    for (;;) {
      const outcome = this.replay(() => this.runTo(position, segment), true);
      if (outcome?.kind !== 'stopped') return outcome;
      const cpu = system.cpus[outcome.cpu];
      const hit = watchpointHit(outcome.stop);
      if (outcome.stop !== BREAKPOINT_HALT && hit === undefined) return outcome;
      const stop = hit === undefined ? this.host.breakpointStop(outcome.cpu) : this.host.watchStop(outcome.cpu, hit);
      if (stop !== undefined) met(outcome.cpu, stop);
      cpu.stop = null;
      if (hit === undefined) cpu.passBreakpointAt = cpu.pc;
    }
  }

  /** Re-executes from mark j to the candidate; the history ends there. */
  private land(segment: Segment, j: number, candidate: Candidate): StopInfo {
    this.restoreMark(segment.marks[j]);
    if (candidate.kind === 'turn') {
      const outcome = this.goTo(candidate.position, segment);
      if (outcome !== undefined) throw new UserError(`the re-execution did not meet the breakpoint hit it had found (${outcome.kind}): ${candidate.stop.description ?? candidate.stop.reason}`);
      this.truncate(segment, j, candidate.position, candidate.stop);
    } else {
      const scan: EventScan = { seen: 0, haltAt: candidate.ordinal, ended: false, found: [] };
      this.scan = scan;
      let outcome: SystemOutcome | undefined;
      try {
        outcome = this.watchedTo(segment.marks[j + 1]?.position ?? segment.end!, segment, () => undefined);
      } finally {
        this.scan = undefined;
      }
      if (outcome?.kind !== 'stopped') throw new UserError(`the re-execution did not meet the stop it had found (${outcome?.kind ?? 'reached'}): ${candidate.stop.text ?? candidate.stop.description}`);
      this.host.system.cpus[outcome.cpu].stop = null;
      this.truncate(segment, j, this.turnHere(outcome.cpu), candidate.stop, candidate.trigger);
    }
    this.host.restored();
    return candidate.stop;
  }

  /** Called by the runtime's DMA observer while a re-execution scans: a filtered event (its stop). True: halt here. */
  eventSeen(stop: StopInfo, trigger: Trigger): boolean {
    const scan = this.scan!;
    const end = scan.endTrigger;
    if (end !== undefined && end.dmac === trigger.dmac && end.cycle === trigger.cycle) scan.ended = true;
    const ordinal = scan.seen++;
    if (!scan.ended && scan.haltAt < 0) scan.found.push({ kind: 'event', ordinal, stop, trigger });
    return ordinal === scan.haltAt;
  }

  /** The instructions channel t started between mark j (restored) and the segment's end: address and DMAC tick. */
  private instructionStarts(t: DmaThread, segment: Segment): { pc: number; cycle: number }[] {
    const starts: { pc: number; cycle: number }[] = [];
    const dmac = this.host.system.machine.dmacs[t.dmac].device;
    const unobserve = dmac.observe((event: Pl330Event) => {
      if (event.kind === 'instruction' && !event.debug && event.thread === t.ref) starts.push({ pc: event.pc, cycle: event.cycle });
    });
    try {
      this.goTo(segment.end!, segment);
    } finally {
      unobserve();
    }
    return starts;
  }

  private groupStart(starts: readonly { pc: number }[], k: number): number {
    while (k > 0 && starts[k - 1].pc === starts[k].pc) k--;
    return k;
  }

  /** Runs the restored machine forward to `position` (within `segment`, whose extent bounds a freeze's search). */
  private goTo(position: Position, segment: Segment): SystemOutcome | undefined {
    return this.replay(() => this.runTo(position, segment));
  }

  private runTo(position: Position, segment: Segment): SystemOutcome | undefined {
    const system = this.host.system;
    switch (position.kind) {
      case 'turn': {
        const outcome = system.runUntil(position.cpu, position.retired, Infinity, position.devicesAt);
        return outcome.kind === 'reached' ? undefined : outcome;
      }
      case 'time':
        return system.runTo(position.ns);
      case 'freeze': {
        const machine = system.machine;
        machine.freezeAt(position.dmac, position.cycle, () => {
          for (const cpu of system.cpus) cpu.requestHalt();
        });
        try {
          const outcome = system.runTo((segment.endTime ?? system.time) + CHECKPOINT_INTERVAL);
          if (!machine.isFrozen) {
            // A stop on the way (a breakpoint a scan looks for, a landing's halt) is the caller's.
            if (outcome.kind === 'stopped') return outcome;
            throw new UserError(`the re-execution did not reach dma${position.dmac}'s tick ${position.cycle} (${outcome.kind})`);
          }
          if (outcome.kind === 'stopped' && outcome.stop.kind === 'halt') system.cpus[outcome.cpu].stop = null;
          for (const cpu of system.cpus) cpu.haltRequested = false;
          return undefined;
        } finally {
          machine.thaw();
        }
      }
    }
  }

  /** A re-execution; `watching`: with the data breakpoints checked. */
  private replay<T>(run: () => T, watching = false): T {
    this.replaying = true;
    try {
      return watching ? this.host.watched(run, (stop, trigger) => this.eventSeen(stop, trigger)) : this.host.unwatched(run);
    } finally {
      this.replaying = false;
    }
  }

  /** The latest mark of the segment that `before` accepts (the segment's start otherwise). */
  private latestMark(segment: Segment, before: (mark: Mark) => boolean): number {
    for (let j = segment.marks.length - 1; j > 0; j--) if (before(segment.marks[j])) return j;
    return 0;
  }

  private restoreMark(mark: Mark): void {
    // A halt asked of a CPU that did not get to it is no part of the machine's state.
    for (const cpu of this.host.system.cpus) cpu.haltRequested = false;
    this.host.system.restore(mark.checkpoint.state);
    this.host.transmitted = mark.transmitted;
    this.host.restored();
  }

  /** The history's last segment (an error when there is none). */
  private lastSegment(): Segment {
    const segment = this.segments[this.segments.length - 1];
    if (segment === undefined) throw new UserError('no instruction to go back over: the recorded history starts here (the launch, or memory written by the debugger)');
    return segment;
  }

  /** Back to where the last segment started; it leaves the history. */
  private pop(): void {
    this.cut(this.segments.length - 1, 0);
  }

  /** The machine now stands inside the segment, after mark j: what followed will not happen (or not this way). */
  private truncate(segment: Segment, j: number, end: Position, stop?: StopInfo, trigger?: Trigger): void {
    for (const later of this.segments.splice(this.segments.indexOf(segment) + 1)) for (const mark of later.marks) this.checkpoints.drop(mark.checkpoint);
    for (const mark of segment.marks.splice(j + 1)) this.checkpoints.drop(mark.checkpoint);
    segment.end = end;
    segment.endTime = this.host.system.time;
    segment.stop = stop ?? { reason: 'step', threadId: 0 };
    segment.trigger = trigger;
  }

  private landed(threadId: number): StopInfo {
    this.host.restored();
    return { reason: 'step', threadId };
  }
}

function watchpointHit(stop: CpuStop): WatchpointHit | undefined {
  return stop !== BREAKPOINT_HALT && stop.kind === 'fault' && stop.cause instanceof WatchpointHit ? stop.cause : undefined;
}
