// An ARM PrimeCell PL011 UART as a console: what the guest writes to UARTDR goes out at once (the transmit FIFO is
// always empty, so TXRIS rises with each character as on QEMU), received bytes wait in a 32-entry FIFO. The host's
// side of the line holds what does not fit (a pasted or long typed line) and sends it as the guest drains the FIFO, as
// a terminal with flow control (and QEMU's character backends) do: no byte typed is lost. Baud rate, line control and
// modem lines are stored and have no effect.
import type { MmioDevice } from '../bus/bus';
import { RegisterMap, type RegisterDef } from '../bus/registers';
import type { IrqLine } from '../gic/irq';
import { UNCONNECTED } from '../gic/irq';

export const PL011_SIZE = 0x1000;
const FIFO_DEPTH = 32;
const FR_RXFE = 1 << 4, FR_TXFE = 1 << 7, FR_RXFF = 1 << 6;
const INT_RX = 1 << 4, INT_TX = 1 << 5, INT_RT = 1 << 6;
const CR_RESET = 0x300;
const LCR_FEN = 1 << 4;

export const PL011_REGISTERS: readonly RegisterDef[] = [
  { name: 'UARTDR', offset: 0x000, access: 'rw', reset: 0, description: 'Data: write transmits, read takes a received byte' },
  { name: 'UARTRSR', offset: 0x004, access: 'rw', reset: 0, description: 'Receive status / error clear' },
  { name: 'UARTFR', offset: 0x018, access: 'ro', reset: FR_RXFE | FR_TXFE, description: 'Flags: RXFE[4], TXFF[5], RXFF[6], TXFE[7]' },
  { name: 'UARTILPR', offset: 0x020, access: 'rw', reset: 0, description: 'IrDA low-power counter' },
  { name: 'UARTIBRD', offset: 0x024, access: 'rw', reset: 0, description: 'Integer baud rate divisor' },
  { name: 'UARTFBRD', offset: 0x028, access: 'rw', reset: 0, description: 'Fractional baud rate divisor' },
  { name: 'UARTLCR_H', offset: 0x02c, access: 'rw', reset: 0, description: 'Line control: FEN[4] FIFOs enabled' },
  { name: 'UARTCR', offset: 0x030, access: 'rw', reset: CR_RESET, description: 'Control: UARTEN[0], TXE[8], RXE[9]' },
  { name: 'UARTIFLS', offset: 0x034, access: 'rw', reset: 0x12, description: 'Interrupt FIFO level select' },
  { name: 'UARTIMSC', offset: 0x038, access: 'rw', reset: 0, description: 'Interrupt mask set/clear: RX[4], TX[5], RT[6]' },
  { name: 'UARTRIS', offset: 0x03c, access: 'ro', reset: 0, description: 'Raw interrupt status' },
  { name: 'UARTMIS', offset: 0x040, access: 'ro', reset: 0, description: 'Masked interrupt status' },
  { name: 'UARTICR', offset: 0x044, access: 'wo', reset: 0, description: 'Interrupt clear' },
  { name: 'UARTDMACR', offset: 0x048, access: 'rw', reset: 0, description: 'DMA control' },
];

const PL011_MAP = new RegisterMap(PL011_REGISTERS, 0x1000);

/** UARTPeriphID0-3 (PL011 r1p5) and UARTPCellID0-3 at 0xFE0-0xFFC. */
const ID_BYTES = [0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

export interface Pl011State {
  readonly registers: readonly number[];
  readonly rx: readonly number[];
  /** Received bytes still on the line, waiting for room in the FIFO. */
  readonly line: readonly number[];
  readonly raw: number;
}

export class Pl011 implements MmioDevice {
  irq: IrqLine = UNCONNECTED;
  /** Where transmitted bytes go. */
  transmit: (byte: number) => void = () => {};
  private readonly stored = new Map<number, number>();
  private rx: number[] = [];
  /** The line's bytes not yet in the FIFO: `line` from `lineStart` on. */
  private line: number[] = [];
  private lineStart = 0;
  private raw = 0;
  private level = false;

  constructor(readonly name = 'pl011') {
    this.reset();
  }

  registerAt(offset: number): string | undefined {
    return PL011_MAP.at(offset & ~3)?.name;
  }

  reset(): void {
    this.stored.clear();
    for (const def of PL011_REGISTERS) if (def.access === 'rw') this.stored.set(def.offset, def.reset);
    this.rx = [];
    this.line = [];
    this.lineStart = 0;
    this.raw = 0;
    this.update();
  }

  /** Bytes arriving on the receive line (a terminal's input): into the FIFO as far as it has room, the rest as the
   * guest reads. */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.line.push(b);
    this.fill();
    this.update();
  }

  /** Moves the line's next bytes into the FIFO while it has room (one entry with the FIFOs off). */
  private fill(): void {
    const depth = (this.stored.get(0x2c)! & LCR_FEN) !== 0 ? FIFO_DEPTH : 1;
    let arrived = false;
    while (this.rx.length < depth && this.lineStart < this.line.length) {
      this.rx.push(this.line[this.lineStart++]);
      arrived = true;
    }
    if (this.lineStart === this.line.length) {
      this.line = [];
      this.lineStart = 0;
    }
    // A byte arrived in the FIFO: the receive interrupts rise (again, after the guest cleared them).
    if (arrived) this.raw |= INT_RX | INT_RT;
  }

  read(offset: number, _size: 1 | 2 | 4): number {
    if (offset >= 0xfe0 && offset < 0x1000) return ID_BYTES[(offset - 0xfe0) >> 2];
    switch (offset) {
      case 0x000: {
        const byte = this.rx.shift() ?? 0;
        this.fill();
        if (this.rx.length === 0) this.raw &= ~(INT_RX | INT_RT);
        this.update();
        return byte;
      }
      case 0x018: return FR_TXFE | (this.rx.length === 0 ? FR_RXFE : 0) | (this.rx.length >= FIFO_DEPTH ? FR_RXFF : 0);
      case 0x03c: return this.raw;
      case 0x040: return this.raw & this.stored.get(0x38)!;
    }
    return this.stored.get(offset) ?? 0;
  }

  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    switch (offset) {
      case 0x000:
        this.transmit(value & 0xff);
        this.raw |= INT_TX;
        break;
      case 0x044: this.raw &= ~value; break;
      default:
        if (this.stored.has(offset)) this.stored.set(offset, value & 0xffff);
        // The FIFOs turned on: room for the line's bytes.
        if (offset === 0x2c) this.fill();
    }
    this.update();
  }

  private update(): void {
    const level = (this.raw & (this.stored.get(0x38) ?? 0)) !== 0;
    if (level === this.level) return;
    this.level = level;
    this.irq.setLevel(level);
  }

  snapshot(): Pl011State {
    return { registers: PL011_REGISTERS.map((d) => this.stored.get(d.offset) ?? 0), rx: [...this.rx], line: this.line.slice(this.lineStart), raw: this.raw };
  }

  restore(state: Pl011State): void {
    PL011_REGISTERS.forEach((d, i) => { if (this.stored.has(d.offset)) this.stored.set(d.offset, state.registers[i]); });
    this.rx = [...state.rx];
    this.line = [...state.line];
    this.lineStart = 0;
    this.raw = state.raw;
    this.update();
  }
}
