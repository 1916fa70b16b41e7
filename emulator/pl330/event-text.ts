// The observer's events as one line of text each (`dmalab run --trace`, the debugger's trace): cycle, thread, what
// happened, with instructions disassembled and fault types decoded.
import { decodeInstruction, formatInstruction, hexAddress } from './disasm';
import { describeFaultType } from './faults';
import { type Pl330Event, type ThreadRef, threadName } from './observer';
import { CHANNEL_STATE_NAMES, MANAGER_STATE_NAMES } from './registers';

/** A thread state's TRM name (`Executing`), or `state N` for a value the TRM does not name. */
export function stateName(thread: ThreadRef, state: number): string {
  return (thread === 'manager' ? MANAGER_STATE_NAMES : CHANNEL_STATE_NAMES)[state] ?? `state ${state}`;
}

/** One trace line per event. */
export function formatEvent(e: Pl330Event): string {
  const at = `[${String(e.cycle).padStart(6)}]`;
  switch (e.kind) {
    case 'instruction': {
      const d = decodeInstruction(e.bytes, 0, e.pc);
      const text = d.spec && !d.invalid ? formatInstruction(d) : `.byte ${Array.from(e.bytes, (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')} (${d.invalid})`;
      return `${at} ${threadName(e.thread)} ${e.debug ? '(debug interface)' : hexAddress(e.pc)}: ${text}`;
    }
    case 'bus': {
      const a = e.access;
      const kind = a.fetch ? 'fetch' : a.write ? 'write' : 'read';
      const data = Buffer.from(a.data).toString('hex');
      return `${at}   ${kind} ${hexAddress(a.address)} ${a.data.length} bytes${a.response ? ` -> bus error ${a.response}` : ''}: ${data.length > 64 ? data.slice(0, 64) + '...' : data}`;
    }
    case 'event': return `${at}   ${threadName(e.thread)} signals event ${e.event}`;
    case 'irq': return `${at}   irq${e.line === 'abort' ? '_abort' : `[${e.line}]`} ${e.level ? 'raised' : 'lowered'}`;
    case 'fault': return `${at}   ${threadName(e.thread)} faults at ${hexAddress(e.pc)}: ${describeFaultType(e.faultType, e.thread === 'manager' ? 'manager' : 'channel')}`;
    case 'state': return `${at}   ${threadName(e.thread)}: ${stateName(e.thread, e.from)} -> ${stateName(e.thread, e.to)}`;
    case 'channelStart': return `${at}   channel ${e.channel} starts at ${hexAddress(e.pc)}${e.nonSecure ? ' (non-secure)' : ''}`;
    case 'channelEnd': return `${at}   channel ${e.channel} ${e.how === 'end' ? 'ends' : 'is killed'}`;
    case 'peripheral': {
      if (e.action === 'request') return `${at}   peripheral ${e.peripheral} requests ${e.type}${e.last ? ' (last)' : ''}`;
      const by = e.thread === undefined ? '' : `${threadName(e.thread)} `;
      return e.action === 'flush' ? `${at}   ${by}flushes peripheral ${e.peripheral}` : `${at}   ${by}acknowledges the ${e.type} request of peripheral ${e.peripheral}`;
    }
  }
}
