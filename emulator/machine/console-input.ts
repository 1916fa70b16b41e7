// Console input as part of a run: bytes typed reach the UART when the next round of the machine opens, and are
// logged with that instant. The log outlives restores: a run replayed from an earlier snapshot types the same bytes
// at the same instants (a snapshot holds only how far the log was consumed). Typing after a restore, before the
// log's end, starts a new future: the log's rest is dropped.
import type { Pl011 } from '../uart/pl011';

export interface TypedInput {
  /** The instant (ps) of the round whose opening delivered the bytes. */
  readonly at: number;
  readonly bytes: Uint8Array;
}

export class ConsoleInput {
  private readonly entries: TypedInput[] = [];
  /** Entries delivered so far on this timeline. */
  private delivered = 0;
  /** Typed and not yet delivered. */
  private pending: Uint8Array[] = [];

  constructor(private readonly uart: Pl011 | undefined) {}

  /** The log: what was typed and when, to save with the run. */
  get log(): readonly TypedInput[] {
    return this.entries;
  }

  /** Replays a saved log from the start (on a machine restored to before its first entry, or booted afresh). */
  load(log: readonly TypedInput[]): void {
    this.entries.splice(0, this.entries.length, ...log);
    this.delivered = 0;
    this.pending = [];
  }

  type(bytes: Uint8Array): void {
    if (this.uart === undefined) throw new Error('the machine has no console UART to type on');
    this.pending.push(bytes.slice());
  }

  /** When the log next types (ps; Infinity: nothing left to replay): a wait for an interrupt stops there, so that
   * the bytes arrive at the instant they did. */
  get nextAt(): number {
    return this.delivered < this.entries.length ? this.entries[this.delivered].at : Infinity;
  }

  /** A round opens at `now` (ps): the log's entries due by then, or, when something was just typed, that instead
   * (typed at an instant the log had typed at too, after a restore, it replaces what the log typed there). */
  deliverDue(now: number): void {
    const uart = this.uart;
    if (uart === undefined) return;
    if (this.pending.length === 0) {
      while (this.delivered < this.entries.length && this.entries[this.delivered].at <= now) uart.receive(this.entries[this.delivered++].bytes);
      return;
    }
    this.entries.length = this.delivered;
    for (const bytes of this.pending) {
      this.entries.push({ at: now, bytes });
      this.delivered++;
      uart.receive(bytes);
    }
    this.pending = [];
  }

  snapshot(): number {
    return this.delivered;
  }

  restore(delivered: number): void {
    this.delivered = Math.min(delivered, this.entries.length);
    this.pending = [];
  }
}
