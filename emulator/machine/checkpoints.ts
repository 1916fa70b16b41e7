// Checkpoints of a SystemMachine for reverse execution: a snapshot every `interval` of machine time within a memory
// budget, and the state at any earlier instant rebuilt by restoring the latest checkpoint before it and running
// forward to it (the schedule and the console's input replay, so the re-execution is the run that was). A snapshot's
// cost is the RAM pages written after it (copy-on-write) and its device and CPU state; past the budget, checkpoints
// are thinned where they lie closest together, keeping the first, the newest and the pinned ones.
import { PAGE_SIZE } from '../bus/memory';
import type { SystemMachineState } from './snapshot';
import type { RunUntilOutcome, SystemMachine, SystemOutcome } from './system';

export interface Checkpoint {
  /** Machine time (ns): the furthest CPU's. */
  readonly time: number;
  /** Each CPU's retired instructions. */
  readonly retired: readonly number[];
  readonly state: SystemMachineState;
  /** Kept whatever the budget (a debugger's snapshot before a step: what cannot be rebuilt by running forward). */
  readonly pinned?: boolean;
}

export interface CheckpointOptions {
  /** Machine time between checkpoints (ns; default 10 ms). */
  readonly interval?: number;
  /** RAM the checkpoints may hold beyond the running machine's (bytes; default 256 MiB). */
  readonly budget?: number;
}

const DEFAULT_INTERVAL = 10_000_000;
const DEFAULT_BUDGET = 256 << 20;
/** A checkpoint's CPU, device and page-table state, roughly: what it costs without a page of its own. */
const STATE_BYTES = 16 << 10;
/** A checkpoint's map of every RAM page it holds, per page (a Map entry, its hash bucket and spare capacity): a
 * booted Linux kernel's RAM is tens of thousands of pages, megabytes of map per checkpoint however few it owns. */
const PAGE_ENTRY_BYTES = 32;

export class Checkpoints {
  readonly interval: number;
  readonly budget: number;
  private readonly list: Checkpoint[] = [];
  /** Per checkpoint but the newest: bytes of pages the next newer one does not share (computed once). */
  private readonly own = new Map<Checkpoint, number>();

  constructor(readonly system: SystemMachine, options: CheckpointOptions = {}) {
    this.interval = options.interval ?? DEFAULT_INTERVAL;
    this.budget = options.budget ?? DEFAULT_BUDGET;
    if (!(this.interval > 0)) throw new Error(`checkpoint interval ${this.interval} ns: give a positive time`);
  }

  /** The checkpoints, oldest first. */
  get checkpoints(): readonly Checkpoint[] {
    return this.list;
  }

  /** Takes a checkpoint now (replacing one already taken at this instant, unless either is pinned). */
  take(pinned = false): Checkpoint {
    const system = this.system;
    const retired = system.cpus.map((cpu) => cpu.retired);
    const at = pinned ? -1 : this.list.findIndex((c) => !c.pinned && c.retired.every((r, i) => r === retired[i]) && c.time === system.time);
    const checkpoint: Checkpoint = { time: system.time, retired, state: system.snapshot(), pinned };
    if (at >= 0) {
      this.own.delete(this.list[at]);
      this.list[at] = checkpoint;
    } else {
      this.list.push(checkpoint);
      this.list.sort((a, b) => a.time - b.time || a.retired[0] - b.retired[0]);
    }
    this.forgetNeighbours(this.list.indexOf(checkpoint));
    this.thin();
    return checkpoint;
  }

  /** Runs like SystemMachine.run, taking a checkpoint at the start and every `interval` of machine time. */
  run(maxTime: number): SystemOutcome {
    const system = this.system;
    const end = system.time + maxTime;
    if (this.list.length === 0) this.take();
    for (;;) {
      const last = this.list[this.list.length - 1].time;
      const next = Math.min(end, Math.max(last, system.time) + this.interval);
      const outcome = system.runTo(next);
      if (outcome.kind !== 'time-limit') return outcome;
      if (system.time >= last + this.interval) this.take();
      if (system.time >= end) return outcome;
    }
  }

  /**
   * The latest checkpoint at which CPU `cpu` had retired fewer than `retired` instructions (or the first, when it
   * had retired exactly that many there). Strictly fewer, so that running on from it stops when the instruction
   * retires, not at some later checkpoint while the CPU waited: the state reached is the same from any checkpoint.
   */
  latestBefore(cpu: number, retired: number): Checkpoint | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i].retired[cpu] < retired) return this.list[i];
    return this.list[0]?.retired[cpu] === retired ? this.list[0] : undefined;
  }

  /** Brings the machine to the instant CPU `cpu` retired its instruction number `retired`: the latest checkpoint
   * before, then forward. */
  goTo(cpu: number, retired: number): RunUntilOutcome {
    const checkpoint = this.latestBefore(cpu, retired);
    if (checkpoint === undefined) throw new Error(`no checkpoint before CPU ${cpu}'s instruction ${retired} (the first is at ${this.list[0]?.retired[cpu] ?? 'none'})`);
    this.system.restore(checkpoint.state);
    return this.system.runUntil(cpu, retired);
  }

  /** The state `count` instructions of CPU `cpu` earlier. */
  stepBack(cpu = 0, count = 1): RunUntilOutcome {
    const target = this.system.cpus[cpu].retired - count;
    if (target < 0) throw new Error(`CPU ${cpu} has retired ${this.system.cpus[cpu].retired} instructions: cannot step back ${count}`);
    return this.goTo(cpu, target);
  }

  /** Types on the console: checkpoints past the current instant belong to a future that will not happen. */
  type(bytes: Uint8Array): void {
    const now = this.system.cpus.map((cpu) => cpu.retired);
    for (let i = this.list.length - 1; i >= 0 && this.list[i].retired.some((r, k) => r > now[k]); i--) this.remove(i);
    this.system.type(bytes);
  }

  /** Bytes the checkpoints hold beyond the running machine: pages no newer checkpoint (or the machine) shares. */
  get bytes(): number {
    let bytes = 0;
    for (let i = 0; i < this.list.length; i++) bytes += this.ownBytes(i);
    return bytes;
  }

  private ownBytes(i: number): number {
    const checkpoint = this.list[i];
    // The newest shares every page the machine has not written since.
    const pages = checkpoint.state.machine.memory.pages;
    const state = STATE_BYTES + pages.size * PAGE_ENTRY_BYTES;
    if (i === this.list.length - 1) return this.system.machine.bus.memory.ownedPages * PAGE_SIZE + state;
    let bytes = this.own.get(checkpoint);
    if (bytes === undefined) {
      const newer = this.list[i + 1].state.machine.memory.pages;
      let own = 0;
      for (const [n, page] of pages) if (newer.get(n) !== page) own++;
      bytes = own * PAGE_SIZE + state;
      this.own.set(checkpoint, bytes);
    }
    return bytes;
  }

  /** The checkpoint at `i` came or went: what the ones around it own changed. */
  private forgetNeighbours(i: number): void {
    for (const j of [i - 1, i]) if (this.list[j] !== undefined) this.own.delete(this.list[j]);
  }

  /** Whether the checkpoint is still held (thinning drops some). */
  holds(checkpoint: Checkpoint): boolean {
    return this.list.includes(checkpoint);
  }

  /** Forgets a checkpoint (one of a future that will not happen). */
  drop(checkpoint: Checkpoint): void {
    const i = this.list.indexOf(checkpoint);
    if (i >= 0) this.remove(i);
  }

  private remove(i: number): void {
    this.own.delete(this.list[i]);
    this.list.splice(i, 1);
    this.forgetNeighbours(i);
  }

  /** Past the budget: drops the unpinned checkpoint whose neighbours lie closest together, until within it. */
  private thin(): void {
    while (this.list.length > 2 && this.bytes > this.budget) {
      let drop = -1;
      for (let i = 1; i < this.list.length - 1; i++) {
        if (this.list[i].pinned) continue;
        if (drop < 0 || this.list[i + 1].time - this.list[i - 1].time < this.list[drop + 1].time - this.list[drop - 1].time) drop = i;
      }
      if (drop < 0) return;
      this.remove(drop);
    }
  }
}
