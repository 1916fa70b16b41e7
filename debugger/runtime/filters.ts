// The DMA event breakpoints as data: the DAP exception filters the user ticks, and which emulator event each one
// stops on. The session advertises this table; the runtime matches events against it.
import type { Pl330Event } from '../../emulator/pl330/observer';
import type { Pl330 } from '../../emulator/pl330/pl330';
import { ChannelState } from '../../emulator/pl330/registers';

export type EventFilterId = 'dmago' | 'dmasev' | 'irq' | 'wait' | 'fault' | 'dmaend';

export interface EventFilter {
  readonly id: EventFilterId;
  readonly label: string;
  readonly description: string;
  readonly default: boolean;
  /** What a condition on the filter selects (a number compared with the event's), if it takes one. */
  readonly condition?: string;
  /** The number an event carries for the condition, or undefined when the event does not match the filter. */
  match(event: Pl330Event, dmac: Pl330): number | undefined;
}

export const EVENT_FILTERS: readonly EventFilter[] = [
  {
    id: 'dmago', label: 'Channel started (DMAGO)', description: 'Stop when the manager starts a channel with DMAGO.', default: false,
    condition: 'channel number', match: (e) => (e.kind === 'channelStart' ? e.channel : undefined),
  },
  {
    id: 'dmasev', label: 'DMASEV', description: 'Stop when a thread signals an event with DMASEV.', default: false,
    condition: 'event number', match: (e) => (e.kind === 'event' ? e.event : undefined),
  },
  {
    id: 'irq', label: 'Interrupt raised', description: 'Stop when an interrupt line (irq[E], or irq_abort as -1) goes high.', default: false,
    condition: 'interrupt number (-1 for irq_abort)', match: (e) => (e.kind === 'irq' && e.level ? (e.line === 'abort' ? -1 : e.line) : undefined),
  },
  {
    id: 'wait', label: 'DMAWFP/DMAWFE waiting', description: 'Stop when a thread starts waiting for a peripheral request or an event.', default: false,
    condition: 'event or peripheral number',
    match: (e, dmac) => {
      if (e.kind !== 'state' || (e.to !== ChannelState.WaitingForEvent && e.to !== ChannelState.WaitingForPeripheral)) return undefined;
      return (dmac.register(e.thread === 'manager' ? 'DSR' : `CSR${e.thread}`) >>> 4) & 31; // the wakeup number
    },
  },
  {
    id: 'fault', label: 'PL330 fault', description: 'Stop when a thread faults (the fault type is shown decoded).', default: true,
    match: (e) => (e.kind === 'fault' ? e.faultType : undefined),
  },
  {
    id: 'dmaend', label: 'DMAEND', description: 'Stop when a channel ends with DMAEND.', default: false,
    condition: 'channel number', match: (e) => (e.kind === 'channelEnd' && e.how === 'end' ? e.channel : undefined),
  },
];
