// The peripheral request interfaces of a DMA-330 and a scriptable test peripheral. A peripheral raises requests
// (single or burst, optionally marked last = drlast); DMAWFP takes a request, DMALDP/DMASTP acknowledge it, DMAFLUSHP
// discards the DMAC's record of it and asks the peripheral to signal its request again.
import type { Snapshottable } from '../bus/bus';

export type RequestType = 'single' | 'burst';

export interface PeripheralRequest {
  readonly type: RequestType;
  /** drlast: the last request of the transfer; it ends a DMALPFE loop. */
  readonly last: boolean;
}

/** The DMAC side of one request interface, handed to the peripheral when it is attached. */
export interface RequestLine {
  /** Raises a request (it replaces one not yet taken). */
  request(request: PeripheralRequest): void;
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
}

interface TestPeripheralState {
  readonly next: number;
  readonly outstanding: boolean;
  readonly acknowledged: readonly RequestType[];
  readonly flushes: number;
}

/**
 * Raises the requests of a script one at a time: the first when connected, each next one after the previous was
 * acknowledged; a flush re-raises the outstanding request.
 */
export class TestPeripheral implements PeripheralDevice, Snapshottable<TestPeripheralState> {
  private line: RequestLine | undefined;
  private next = 0;
  private outstanding = false;
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

  /** It raises requests only in answer to the DMAC (connect, acknowledge, flush), never by itself. */
  get active(): boolean {
    return false;
  }

  private raiseNext(): void {
    if (this.next >= this.script.length || !this.line) return;
    this.outstanding = true;
    this.line.request(this.script[this.next]);
  }

  snapshot(): TestPeripheralState {
    return { next: this.next, outstanding: this.outstanding, acknowledged: [...this.acknowledged], flushes: this.flushes };
  }

  restore(state: TestPeripheralState): void {
    this.next = state.next;
    this.outstanding = state.outstanding;
    this.acknowledged = [...state.acknowledged];
    this.flushes = state.flushes;
  }
}
