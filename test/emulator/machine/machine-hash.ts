// Digests of a SystemMachine's state for replay tests, part by part (so that a mismatch names the part): RAM (every
// page holding data, by page number), each CPU, and the devices' and the schedule's saved state. Two machines with
// equal digests are in the same state bit for bit.
import { createHash } from 'node:crypto';
import type { SystemMachine } from '../../../emulator/machine/system';

/** JSON with typed arrays as plain lists (functions, such as the timer queue's callbacks, drop out). */
function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v));
}

function sha(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 16);
}

export function machineDigest(system: SystemMachine): Record<string, string> {
  const state = system.snapshot();
  const ram = createHash('sha256');
  for (const [n, page] of [...state.machine.memory.pages].sort((a, b) => a[0] - b[0])) {
    if (page.every((b) => b === 0)) continue;
    ram.update(`${n}:`);
    ram.update(page);
  }
  const parts: Record<string, string> = { ram: ram.digest('hex').slice(0, 16) };
  const { memory: _memory, ...devices } = state.machine;
  for (const [name, value] of Object.entries(devices)) parts[name] = sha(json(value));
  state.cpus.forEach((cpu, i) => { parts[`cpu${i}`] = `${cpu.retired}@${(cpu.core.pc >>> 0).toString(16)} ${sha(json(cpu))}`; });
  for (const name of ['timers', 'power', 'schedule', 'consoleInput', 'guest'] as const) parts[name] = sha(json(state[name]) ?? '');
  return parts;
}
