// The peripheral request interfaces of a DMA-330 and a scriptable test peripheral. A peripheral raises requests
// (single or burst, optionally marked last = drlast); DMAWFP takes a request, DMALDP/DMASTP acknowledge it, DMAFLUSHP
// discards the DMAC's record of it and asks the peripheral to signal its request again.
import type { Snapshottable } from '../bus/bus';

export type RequestType = 'single' | 'burst';

export interface PeripheralRequest {
  readonly type: RequestType;
  /** drlast: the last request of the transfer; it ends a DMALPFE loop. */
  readonly last: boolean;
  /** The DMAC cycle before which the peripheral does not raise it (default: as soon as the previous is done). */
  readonly at?: number;
}

/** The DMAC side of one request interface, handed to the peripheral when it is attached. */
export interface RequestLine {
  /** Raises a request (it replaces one not yet taken). */
  request(request: PeripheralRequest): void;
  /** The DMAC's clock, in cycles. */
  cycle(): number;
}

/** A device on a request interface. */
export interface PeripheralDevice {
  connect(line: RequestLine): void;
  /** DMALDP/DMASTP completed for the request of this type. */
  acknowledge(type: RequestType): void;
  /** DMAFLUSHP: the DMAC forgot the pending request; signal the current one again. */
  flush(): void;
  /** True while the peripheral may still raise a request by itself (decides whether a DMAWFP waiter is stuck). */
  readonly active: boolean;
  /** The cycle at which it will raise a request by itself, if it will; the DMAC calls `advance` then. */
  nextRequestAt?(): number | undefined;
  advance?(): void;
}

/** The request script syntax of `dmalab run --periph` and launch.json's `peripheralRequests`, for messages. */
const PERIPHERAL_SCRIPT_SYNTAX =
  'comma-separated requests single, burst, last (a single drlast) or burst-last, each optionally *COUNT and @CYCLE (not before that DMAC cycle): burst*4,last@100';

const SCRIPT_KINDS: Readonly<Record<string, PeripheralRequest>> = {
  single: { type: 'single', last: false },
  burst: { type: 'burst', last: false },
  last: { type: 'single', last: true },
  'single-last': { type: 'single', last: true },
  'burst-last': { type: 'burst', last: true },
};

/** Parses a request script (`burst*4,last@100`); throws an Error naming the item at fault. */
export function parsePeripheralScript(text: string): PeripheralRequest[] {
  const out: PeripheralRequest[] = [];
  for (const item of text.split(',')) {
    const m = /^\s*([a-z-]+)\s*(?:\*\s*(\d+))?\s*(?:@\s*(\d+))?\s*$/.exec(item);
    const kind = m ? SCRIPT_KINDS[m[1]] : undefined;
    if (!m || !kind) throw new Error(`'${item}' is not a request: ${PERIPHERAL_SCRIPT_SYNTAX}`);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count < 1 || count > 1_000_000) throw new Error(`'${item}': the count must be 1..1000000`);
    const at = m[3] === undefined ? undefined : Number(m[3]);
    if (at !== undefined && !Number.isSafeInteger(at)) throw new Error(`'${item}': the cycle is too large`);
    for (let i = 0; i < count; i++) out.push(i === 0 && at !== undefined ? { ...kind, at } : kind);
  }
  return out;
}

interface TestPeripheralState {
  readonly next: number;
  readonly outstanding: boolean;
  readonly sent: number;
  readonly acknowledged: readonly RequestType[];
  readonly flushes: number;
}

/**
 * Raises the requests of a script one at a time: the first when connected, each next one after the previous was
 * acknowledged (not before its `at` cycle); a flush re-raises the outstanding request.
 */
export class TestPeripheral implements PeripheralDevice, Snapshottable<TestPeripheralState> {
  private line: RequestLine | undefined;
  private next = 0;
  private outstanding = false;
  /** Requests raised (a flush's re-raise not counted): the script's length minus this were never raised. */
  sent = 0;
  /** The acknowledgements received, in order (what a test checks). */
  acknowledged: RequestType[] = [];
  flushes = 0;

  constructor(readonly script: readonly PeripheralRequest[]) {}

  connect(line: RequestLine): void {
    this.line = line;
    this.raiseNext();
  }

  acknowledge(type: RequestType): void {
    this.acknowledged.push(type);
    if (!this.outstanding) return;
    this.outstanding = false;
    this.next++;
    this.raiseNext();
  }

  flush(): void {
    this.flushes++;
    if (this.outstanding) this.line?.request(this.script[this.next]);
  }

  /** By itself it raises only a timed request whose cycle has not come yet; otherwise it answers the DMAC. */
  get active(): boolean {
    return this.nextRequestAt() !== undefined;
  }

  nextRequestAt(): number | undefined {
    if (this.outstanding || this.next >= this.script.length || !this.line) return undefined;
    return this.script[this.next].at;
  }

  advance(): void {
    this.raiseNext();
  }

  private raiseNext(): void {
    if (this.outstanding || this.next >= this.script.length || !this.line) return;
    const request = this.script[this.next];
    if (request.at !== undefined && this.line.cycle() < request.at) return; // the DMAC calls advance() then
    this.outstanding = true;
    this.sent++;
    this.line.request(request);
  }

  snapshot(): TestPeripheralState {
    return { next: this.next, outstanding: this.outstanding, sent: this.sent, acknowledged: [...this.acknowledged], flushes: this.flushes };
  }

  restore(state: TestPeripheralState): void {
    this.next = state.next;
    this.outstanding = state.outstanding;
    this.sent = state.sent;
    this.acknowledged = [...state.acknowledged];
    this.flushes = state.flushes;
  }
}
