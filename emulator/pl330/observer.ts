// Typed events the DMA-330 model reports to observers (the debugger, tracing, the CLI's --trace). With no observer
// attached none of these objects is built.
import type { BusAccess } from '../bus/bus';

/** A thread: the manager, or channel 0..7. */
export type ThreadRef = 'manager' | number;

export type Pl330Event =
  | { readonly kind: 'instruction'; readonly cycle: number; readonly thread: ThreadRef; readonly pc: number; readonly bytes: Uint8Array; readonly debug: boolean }
  | { readonly kind: 'bus'; readonly cycle: number; readonly thread: ThreadRef; readonly access: BusAccess }
  | { readonly kind: 'event'; readonly cycle: number; readonly thread: ThreadRef; readonly event: number }
  | { readonly kind: 'irq'; readonly cycle: number; readonly line: number | 'abort'; readonly level: boolean }
  | { readonly kind: 'fault'; readonly cycle: number; readonly thread: ThreadRef; readonly faultType: number; readonly pc: number }
  | { readonly kind: 'state'; readonly cycle: number; readonly thread: ThreadRef; readonly from: number; readonly to: number }
  | { readonly kind: 'channelStart'; readonly cycle: number; readonly channel: number; readonly pc: number; readonly nonSecure: boolean }
  | { readonly kind: 'channelEnd'; readonly cycle: number; readonly channel: number; readonly how: 'end' | 'kill' }
  /** The peripheral request interface: a request raised (drtype, drlast), acknowledged by DMALDP/DMASTP, flushed by DMAFLUSHP. */
  | { readonly kind: 'peripheral'; readonly cycle: number; readonly peripheral: number; readonly action: 'request' | 'acknowledge' | 'flush'; readonly type?: 'single' | 'burst'; readonly last?: boolean; readonly thread?: ThreadRef };

export type Pl330Observer = (event: Pl330Event) => void;

export function threadName(thread: ThreadRef): string {
  return thread === 'manager' ? 'manager' : `channel ${thread}`;
}
