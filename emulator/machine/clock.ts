// The machine's one timeline. Time is counted in picoseconds from power-on; every clocked part (a CPU, each DMAC)
// has a period and is brought to the same instant before anything observes it. CPUs run ahead of the timeline in
// quanta and pull the devices along (at the end of a quantum, and before touching a device's registers); a CPU
// with nothing to run waits, and the timeline skips ahead to the next event instead of spinning.

export const PICOSECONDS_PER_SECOND = 1e12;
export const PICOSECONDS_PER_NANOSECOND = 1e3;
/** A CPU's clock when the devicetree's cpu nodes give no `clock-frequency`: 1 GHz, one instruction per cycle. */
export const DEFAULT_CPU_FREQUENCY = 1_000_000_000;
/** A DMA-330's clock (its AXI ACLK) when its node gives no `clock-frequency`: 250 MHz, a quarter of the CPU's. */
export const DEFAULT_DMAC_FREQUENCY = 250_000_000;

/** Picoseconds per cycle of a clock of `hz`. */
export function periodOf(hz: number): number {
  return PICOSECONDS_PER_SECOND / hz;
}

/** How a wait ended: what was waited for happened, the deadline came, the caller's limit came first, or nothing
 * can happen any more. */
export type WaitResult = 'ready' | 'deadline' | 'limit' | 'idle';

/** What a CPU's scheduler needs of the machine it runs on. */
export interface Timeline {
  /** The present of every device, in picoseconds. */
  readonly now: number;
  /** Picoseconds per CPU instruction. */
  readonly cpuPeriod: number;
  /** Brings every device to `time` (a CPU finished a quantum there, or is about to touch a device). */
  advanceTo(time: number): void;
  /**
   * Lets the devices run, from now on, until `ready()` holds (checked whenever a device may have woken a CPU) or
   * the timeline reaches `deadline` (Infinity: none), or `limit` (the caller's budget; it does not end the wait in
   * the waiter's eyes). 'idle' when no device can make progress and there is no deadline: nothing will ever make
   * `ready()` true — whatever the limit.
   */
  waitUntil(ready: () => boolean, deadline: number, limit?: number): WaitResult;
}

/** The timeline of a machine with no clocked devices: only the CPU moves time. */
export class BareTimeline implements Timeline {
  now = 0;

  constructor(readonly cpuPeriod = periodOf(DEFAULT_CPU_FREQUENCY)) {}

  advanceTo(time: number): void {
    if (time > this.now) this.now = time;
  }

  waitUntil(ready: () => boolean, deadline: number, limit = Infinity): WaitResult {
    if (ready()) return 'ready';
    if (deadline === Infinity) return 'idle';
    this.advanceTo(Math.min(deadline, limit));
    return deadline <= limit ? 'deadline' : 'limit';
  }
}

interface Timer {
  readonly at: number;
  /** Insertion order: timers due at the same instant fire in the order they were set. */
  readonly sequence: number;
  readonly fire: () => void;
}

/** Callbacks due at instants of the timeline (peripheral requests, timers), fired in time order. */
export class TimerQueue {
  private timers: Timer[] = [];
  private sequence = 0;

  /** When the next timer is due (Infinity: none). */
  get next(): number {
    return this.timers.length === 0 ? Infinity : this.timers[0].at;
  }

  get size(): number {
    return this.timers.length;
  }

  /** Sets a timer; the returned function cancels it. */
  schedule(at: number, fire: () => void): () => void {
    const timer: Timer = { at, sequence: this.sequence++, fire };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].at > at) i--;
    this.timers.splice(i, 0, timer);
    return () => {
      const index = this.timers.indexOf(timer);
      if (index >= 0) this.timers.splice(index, 1);
    };
  }

  /** Fires every timer due at or before `time`, in order. */
  fireDue(time: number): void {
    while (this.timers.length > 0 && this.timers[0].at <= time) this.timers.shift()!.fire();
  }

  snapshot(): readonly Timer[] {
    return this.timers.slice();
  }

  restore(timers: readonly Timer[]): void {
    this.timers = timers.slice();
  }
}
