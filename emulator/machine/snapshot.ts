// A SystemMachine's whole state: the platform (RAM copy-on-write, GIC, SMMUs, DMACs, UARTs, the timeline and its
// timer queue: machine.ts), each CPU (registers of every mode, CPSR/SPSRs, VFP, CP15, exclusive monitor, WFI/WFE,
// retired count: cpu/system.ts) and which ran last, its generic timer, PSCI's power state, the round under way
// (schedule.ts), how far the console's typed input was consumed (console-input.ts), and a guest's interrupt
// controller and UARTs.
//
// The TLBs and decoded code are caches and not saved: restoring drops them. Taking a snapshot drops the TLBs of
// the running machine too, so that the run after a snapshot and its replay after a restore both start with empty
// TLBs: a guest that leans on a stale TLB entry (a page table changed without TLB maintenance) still replays
// identically (test/emulator/machine/snapshot-tlb.test.ts); ARMv7 lets a TLB drop an entry at any time, so the flush is
// behaviour the architecture allows. Decoded code follows every write to its page (the RAM's code watching), so it
// holds nothing stale.
import type { SystemCpuSnapshot } from '../cpu/system';
import type { GicState } from '../gic/gic';
import type { GenericTimerState } from '../timer/generic-timer';
import type { Pl011State } from '../uart/pl011';
import type { MachineState } from './machine';
import type { RoundState } from './schedule';
import type { SystemMachine } from './system';

export type PowerState = 'on' | 'off' | 'reset';

export interface SystemMachineState {
  readonly machine: MachineState;
  readonly cpus: readonly SystemCpuSnapshot[];
  /** The CPU that ran last: one resuming after another loses its exclusive reservation. */
  readonly cpuRunning: number;
  readonly timers: readonly GenericTimerState[];
  readonly power: PowerState;
  readonly schedule: RoundState;
  /** Entries of the console's input log delivered. */
  readonly consoleInput: number;
  readonly guest?: { readonly gic: GicState; readonly uarts: readonly Pl011State[] };
}

/** What the SystemMachine keeps to itself. */
export type OwnState = Pick<SystemMachineState, 'power' | 'schedule'>;

export function saveSystemMachine(system: SystemMachine, own: OwnState): SystemMachineState {
  for (const cpu of system.cpus) cpu.mmu.invalidateAll();
  const guest = system.guest;
  return {
    ...own,
    machine: system.machine.snapshot(),
    cpus: system.cpus.map((cpu) => cpu.saveSystem()),
    cpuRunning: system.cluster.running,
    timers: system.timers.map((timer) => timer.snapshot()),
    consoleInput: system.consoleInput.snapshot(),
    guest: guest && { gic: guest.gic.snapshot(), uarts: guest.uarts.map((uart) => uart.snapshot()) },
  };
}

/** Devices first, CPUs last: restoring the interrupt controller drives the CPUs' inputs, which the CPUs' own saved
 * inputs then overwrite. */
export function restoreSystemMachine(system: SystemMachine, state: SystemMachineState): void {
  if (state.cpus.length !== system.cpus.length) throw new Error(`a snapshot of ${state.cpus.length} CPUs cannot restore a machine of ${system.cpus.length}`);
  system.machine.restore(state.machine);
  const guest = system.guest;
  if (guest && state.guest) {
    guest.gic.restore(state.guest.gic);
    guest.uarts.forEach((uart, i) => uart.restore(state.guest!.uarts[i]));
  }
  system.timers.forEach((timer, i) => timer.restore(state.timers[i]));
  system.consoleInput.restore(state.consoleInput);
  system.cpus.forEach((cpu, i) => cpu.restoreSystem(state.cpus[i]));
  system.cluster.running = state.cpuRunning;
}
