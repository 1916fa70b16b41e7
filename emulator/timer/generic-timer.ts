// The ARMv7 generic timer of one CPU: the system counter (CNTPCT, and CNTVCT = CNTPCT - CNTVOFF) at CNTFRQ, and the
// physical and virtual timers (CNTP_*/CNTV_*) whose outputs drive the CPU's PPIs. Time is the machine's, in
// nanoseconds: the clock calls `advanceTo` and asks `nextDeadline` so that an idle CPU can skip to the next event.
import type { IrqLine } from '../gic/irq';
import { UNCONNECTED } from '../gic/irq';

const NS_PER_SECOND = 1e9;
const CTL_ENABLE = 1, CTL_IMASK = 2, CTL_ISTATUS = 4;

/** The PPIs of the devicetree's `arm,armv7-timer` node, in its order: secure physical, physical, virtual, hyp. */
export interface TimerOutputs {
  readonly physical: IrqLine;
  readonly virtual: IrqLine;
}

export interface GenericTimerState {
  readonly now: number;
  readonly frequency: number;
  readonly control: readonly number[];
  readonly compare: readonly number[];
  readonly virtualOffset: number;
}

/** Index of the physical and virtual timers in the arrays. */
export const enum TimerIndex {
  Physical = 0,
  Virtual = 1,
}

export class GenericTimer {
  /** Machine time in ns that the counter shows. */
  private now = 0;
  private readonly control = [0, 0];
  private readonly compare = [0, 0];
  private readonly levels = [false, false];
  virtualOffset = 0;
  outputs: TimerOutputs = { physical: UNCONNECTED, virtual: UNCONNECTED };

  /** `frequency`: CNTFRQ in Hz (the devicetree's clock-frequency, or what firmware would program). */
  constructor(public frequency = 62_500_000) {}

  /** CNTPCT at the current time. */
  get count(): number {
    return Math.floor((this.now * this.frequency) / NS_PER_SECOND);
  }

  /** Moves the counter to `time` (ns; never backwards) and updates the interrupt outputs. */
  advanceTo(time: number): void {
    if (time > this.now) this.now = time;
    this.update();
  }

  get time(): number {
    return this.now;
  }

  /** The earliest time (ns) at which an enabled, unmasked timer fires; Infinity when none will. */
  nextDeadline(): number {
    let deadline = Infinity;
    for (let i = 0; i < 2; i++) {
      if ((this.control[i] & (CTL_ENABLE | CTL_IMASK)) !== CTL_ENABLE) continue;
      const target = this.compare[i] + (i === TimerIndex.Virtual ? this.virtualOffset : 0);
      let time = Math.ceil((target * NS_PER_SECOND) / this.frequency);
      while (Math.floor((time * this.frequency) / NS_PER_SECOND) < target) time++;
      // A timer that has fired holds its output already: nothing is due until it is reprogrammed (the CPUs would
      // otherwise run one instruction at a time while its interrupt is masked).
      if (time > this.now) deadline = Math.min(deadline, time);
    }
    return deadline;
  }

  private timerCount(index: number): number {
    return index === TimerIndex.Virtual ? this.count - this.virtualOffset : this.count;
  }

  private firing(index: number): boolean {
    return (this.control[index] & CTL_ENABLE) !== 0 && this.timerCount(index) >= this.compare[index];
  }

  private update(): void {
    for (let i = 0; i < 2; i++) {
      const level = this.firing(i) && (this.control[i] & CTL_IMASK) === 0;
      if (level === this.levels[i]) continue;
      this.levels[i] = level;
      (i === TimerIndex.Physical ? this.outputs.physical : this.outputs.virtual).setLevel(level);
    }
  }

  readControl(index: TimerIndex): number {
    return (this.control[index] & (CTL_ENABLE | CTL_IMASK)) | (this.firing(index) ? CTL_ISTATUS : 0);
  }

  writeControl(index: TimerIndex, value: number): void {
    this.control[index] = value & (CTL_ENABLE | CTL_IMASK);
    this.update();
  }

  readCompare(index: TimerIndex): number {
    return this.compare[index];
  }

  writeCompare(index: TimerIndex, value: number): void {
    this.compare[index] = value;
    this.update();
  }

  /** TVAL: CVAL - count as a signed 32-bit value. */
  readTimerValue(index: TimerIndex): number {
    return (this.compare[index] - this.timerCount(index)) | 0;
  }

  writeTimerValue(index: TimerIndex, value: number): void {
    this.writeCompare(index, this.timerCount(index) + (value | 0));
  }

  snapshot(): GenericTimerState {
    return { now: this.now, frequency: this.frequency, control: [...this.control], compare: [...this.compare], virtualOffset: this.virtualOffset };
  }

  restore(state: GenericTimerState): void {
    this.now = state.now;
    this.frequency = state.frequency;
    this.control.splice(0, 2, ...state.control);
    this.compare.splice(0, 2, ...state.compare);
    this.virtualOffset = state.virtualOffset;
    this.update();
  }
}
