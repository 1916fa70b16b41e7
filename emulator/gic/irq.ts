// An interrupt wire between a device output and an interrupt controller input: level-sensitive, the device drives it.

export interface IrqLine {
  setLevel(high: boolean): void;
}

/** A line that goes nowhere (an output the platform leaves unconnected). */
export const UNCONNECTED: IrqLine = { setLevel() {} };
