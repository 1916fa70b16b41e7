// The order in which a SystemMachine's CPUs run: rounds of quanta on the one timeline. A round opens at an instant
// with a quantum (bounded by the next timer deadline); each powered CPU in turn runs up to the quantum from that
// instant; when the last has run, the devices and timers catch up with the longest. A run may stop inside a round
// (a CPU reaching an instruction count, a breakpoint): the round stays open and the next run resumes it where it
// stopped, so the steps taken never depend on where runs stop, and a run replayed from a snapshot retraces them.

/** Stop when CPU `cpu` has retired `retired` instructions and the devices have reached `devicesAt` (ps). */
export interface RetiredTarget {
  readonly cpu: number;
  readonly retired: number;
  readonly devicesAt: number;
}

export interface RoundState {
  readonly open: boolean;
  readonly start: number;
  readonly quantum: number;
  readonly turn: number;
  readonly busy: boolean;
  readonly ran: readonly number[];
  readonly retired: readonly number[];
}

export class RoundSchedule {
  /** A round is under way: CPUs from `turn` on have yet to run (or finish) their quantum. */
  open = false;
  /** The timeline's instant (ps) when the round opened. */
  start = 0;
  /** Instructions each CPU may run in the round. */
  quantum = 0;
  /** The CPU whose turn it is. */
  turn = 0;
  /** Some CPU ran and did not end up waiting for an interrupt. */
  busy = false;
  /** Per CPU: instructions (and exceptions) run in the round so far, and the retired count when it opened. */
  readonly ran: Float64Array;
  readonly retired: Float64Array;

  constructor(cpus: number) {
    this.ran = new Float64Array(cpus);
    this.retired = new Float64Array(cpus);
  }

  openRound(start: number, quantum: number, cpus: readonly { readonly retired: number }[]): void {
    this.open = true;
    this.start = start;
    this.quantum = quantum;
    this.turn = 0;
    this.busy = false;
    this.ran.fill(0);
    cpus.forEach((cpu, i) => { this.retired[i] = cpu.retired; });
  }

  /** The round is over: what it was leaves no trace (a run cut into more rounds while every CPU waits for an
   * interrupt is the same run). */
  close(): void {
    this.open = false;
    this.start = this.quantum = this.turn = 0;
    this.busy = false;
    this.ran.fill(0);
    this.retired.fill(0);
  }

  snapshot(): RoundState {
    return { open: this.open, start: this.start, quantum: this.quantum, turn: this.turn, busy: this.busy, ran: [...this.ran], retired: [...this.retired] };
  }

  restore(state: RoundState): void {
    this.open = state.open;
    this.start = state.start;
    this.quantum = state.quantum;
    this.turn = state.turn;
    this.busy = state.busy;
    this.ran.set(state.ran);
    this.retired.set(state.retired);
  }
}
