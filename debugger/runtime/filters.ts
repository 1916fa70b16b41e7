// The DMA event breakpoints as data: the DAP exception filters the user ticks, and how each is seen. Most are seen in
// a thread's state change at a tick boundary, which needs no observer; DMASEV and interrupts need the emulator's
// event stream, and SMMU faults the SMMU's fault callback, attached only while such a filter is ticked.
import type { Pl330Event, ThreadRef } from '../../emulator/pl330/observer';
import type { Pl330 } from '../../emulator/pl330/pl330';
import { describeFaultType } from '../../emulator/pl330/faults';
import { ChannelState, statusRegisterName, wakeupNumber } from '../../emulator/pl330/registers';

export type EventFilterId = 'dmago' | 'dmasev' | 'irq' | 'wait' | 'fault' | 'smmu-fault' | 'dmaend';

export interface EventFilter {
  readonly id: EventFilterId;
  readonly label: string;
  readonly description: string;
  readonly default: boolean;
  /** What a condition on the filter selects (a number compared with the event's), if it takes one. */
  readonly condition?: string;
  /** Seen when a thread's state changes between two tick boundaries: the event's number, or undefined. */
  transition?(from: number, to: number, dmac: Pl330, thread: ThreadRef): number | undefined;
  /** Seen in a DMAC event (needs an observer): the event's number, or undefined. */
  match?(event: Pl330Event): number | undefined;
  /** The stop's text for the event's number. */
  describe(n: number, thread: ThreadRef, dmac: Pl330): string;
}

const FAULTING = (state: number): boolean => state === ChannelState.Faulting || state === ChannelState.FaultingCompleting;
const WAITING = (state: number): boolean => state === ChannelState.WaitingForEvent || state === ChannelState.WaitingForPeripheral;

export const EVENT_FILTERS: readonly EventFilter[] = [
  {
    id: 'dmago', label: 'Channel started (DMAGO)', description: 'Stop when the manager starts a channel with DMAGO.', default: false,
    condition: 'channel number',
    transition: (from, to, _, thread) => (thread !== 'manager' && from === ChannelState.Stopped && to !== ChannelState.Stopped ? thread : undefined),
    describe: (n) => `DMAGO started channel ${n}`,
  },
  {
    id: 'dmasev', label: 'DMASEV', description: 'Stop when a thread signals an event with DMASEV.', default: false,
    condition: 'event number', match: (e) => (e.kind === 'event' ? e.event : undefined), describe: (n) => `DMASEV ${n}`,
  },
  {
    id: 'irq', label: 'Interrupt raised', description: 'Stop when an interrupt line (irq[E], or irq_abort as -1) goes high.', default: false,
    condition: 'interrupt number (-1 for irq_abort)',
    match: (e) => (e.kind === 'irq' && e.level ? (e.line === 'abort' ? -1 : e.line) : undefined),
    describe: (n) => (n < 0 ? 'irq_abort raised' : `irq[${n}] raised`),
  },
  {
    id: 'wait', label: 'DMAWFP/DMAWFE waiting', description: 'Stop when a thread starts waiting for a peripheral request or an event.', default: false,
    condition: 'event or peripheral number',
    transition: (from, to, dmac, thread) => (!WAITING(from) && WAITING(to) ? wakeupNumber(thread, dmac.register(statusRegisterName(thread))) : undefined),
    describe: (n, thread, dmac) => `waiting for ${dmac.threadState(thread) === ChannelState.WaitingForPeripheral ? 'peripheral' : 'event'} ${n}`,
  },
  {
    id: 'fault', label: 'PL330 fault', description: 'Stop when a thread faults (the fault type is shown decoded).', default: true,
    transition: (from, to, dmac, thread) => (!FAULTING(from) && FAULTING(to) ? dmac.register(thread === 'manager' ? 'FTRD' : `FTR${thread}`) : undefined),
    describe: (n, thread) => `fault: ${describeFaultType(n, thread === 'manager' ? 'manager' : 'channel')}`,
  },
  {
    id: 'smmu-fault', label: 'SMMU translation fault', description: 'Stop when the SMMU in front of a DMAC faults one of its transactions (platform machines).',
    default: true, condition: 'stream ID', describe: (n) => `SMMU fault (stream ${n})`,
  },
  {
    id: 'dmaend', label: 'DMAEND', description: 'Stop when a channel ends with DMAEND.', default: false,
    condition: 'channel number',
    transition: (from, to, _, thread) => (thread !== 'manager' && from === ChannelState.Completing && to === ChannelState.Stopped ? thread : undefined),
    describe: (n) => `channel ${n} ended (DMAEND)`,
  },
];
