// The recorded past of a deterministic machine: checkpoints (cycle, saved state), a bounded number of them. Going
// back to any cycle restores the last checkpoint at or before it and re-executes forward.

export interface Checkpoint<S> {
  readonly cycle: number;
  readonly state: S;
}

export class History<S> {
  private checkpoints: Checkpoint<S>[] = [];

  /** `capacity` checkpoints are kept; the oldest go first. */
  constructor(private readonly capacity: number) {}

  /** Records the state at `cycle` unless a checkpoint at or after it exists (`take` runs only when recording). */
  record(cycle: number, take: () => S): void {
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (last && last.cycle >= cycle) return;
    this.checkpoints.push({ cycle, state: take() });
    if (this.checkpoints.length > this.capacity) this.checkpoints.shift();
  }

  /** Newest first: each checkpoint before `now` and the end of the window it starts (the next checkpoint, or now). */
  *windowsBefore(now: number): Generator<{ readonly from: Checkpoint<S>; readonly end: number }> {
    for (let k = this.checkpoints.length - 1; k >= 0; k--) {
      const from = this.checkpoints[k];
      const end = Math.min(now, this.checkpoints[k + 1]?.cycle ?? now);
      if (from.cycle < end) yield { from, end };
    }
  }

  get oldest(): Checkpoint<S> {
    return this.checkpoints[0];
  }

  /** Forgets checkpoints after `cycle` (the oldest stays): re-execution will produce that future again. */
  forgetAfter(cycle: number): void {
    while (this.checkpoints.length > 1 && this.checkpoints[this.checkpoints.length - 1].cycle > cycle) this.checkpoints.pop();
  }

  clear(): void {
    this.checkpoints = [];
  }
}
