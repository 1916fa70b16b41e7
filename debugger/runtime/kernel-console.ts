// The console of a kernel session (the first PL011): what it transmits, shown in the Debug Console once, and what the
// user types on it. Output: a re-execution after a step back transmits again what the session has shown; those bytes
// are compared with what was shown, not shown twice, and the first that differs (a new future: other input typed)
// is shown from there on. Input: typed while the machine is stopped, the bytes wait here (a restore for a step back
// or a reverse search keeps them) and reach the UART when the machine next runs (system.type: at the next round's
// opening, logged with that instant, so re-executions replay them; emulator/machine/console-input.ts).
import type { SystemMachine } from '../../emulator/machine/system';
import { UserError } from './launch';

/** The REPL's convenience: `> TEXT` in the Debug Console types TEXT and Enter on the guest's console. */
export const CONSOLE_LINE = /^>\s?(.*)$/s;

export class KernelConsole {
  /** Every byte shown in this timeline, in order. */
  private readonly transcript: number[] = [];
  /** Bytes transmitted in this timeline (a re-execution restores the count of its checkpoint). */
  transmitted = 0;
  /** Transmitted since the last flush, not yet shown. */
  private fresh: number[] = [];
  private typed: Uint8Array[] = [];

  constructor(private readonly system: SystemMachine, private readonly show: (text: string) => void) {
    if (system.console) system.console.transmit = (byte) => this.transmit(byte);
  }

  private transmit(byte: number): void {
    const at = this.transmitted++;
    if (at < this.transcript.length) {
      if (this.transcript[at] === byte) return;
      // This timeline prints something else from here (input typed differently, memory written): shown anew.
      this.transcript.length = at;
    }
    this.transcript.push(byte);
    this.fresh.push(byte);
  }

  /** What was transmitted since the last flush, to the Debug Console. */
  flush(): void {
    if (this.fresh.length === 0) return;
    this.show(Buffer.from(this.fresh).toString('latin1'));
    this.fresh = [];
  }

  /** Bytes typed on the guest's console: they arrive when the machine runs (now, when it is running). */
  type(text: string, running: boolean): void {
    if (!this.system.console) throw new UserError('the platform has no console UART to type on');
    const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
    if (running) this.system.type(bytes);
    else this.typed.push(bytes);
  }

  /** The machine is about to run: what was typed meanwhile goes to the UART (logged with the run). */
  deliver(): void {
    for (const bytes of this.typed) this.system.type(bytes);
    this.typed = [];
  }
}

/** A line typed in the Debug Console (`> ls -l`): the text after `>` and one space, with `\n`, `\r`, `\t`, `\e`, `\xHH`
 * and `\\` escapes, then Enter (a carriage return, as a terminal sends it) unless it ends in `\c`. */
export function consoleLine(text: string): string {
  const unended = text.endsWith('\\c');
  const body = (unended ? text.slice(0, -2) : text).replace(/\\(x[0-9a-fA-F]{2}|[nrte\\])/g, (_, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'e': return '\x1b';
      case 'x': return String.fromCharCode(parseInt(e.slice(1), 16));
      default: return '\\';
    }
  });
  return unended ? body : `${body}\r`;
}
