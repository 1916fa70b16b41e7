// The machine a debug session runs: the default of `dmalab run` (one DMAC whose master sees RAM over the 32-bit
// space), or a machine built from a devicetree (DMACs behind an SMMU, a GIC, RAM where the platform has it).
import type { Bus } from '../../emulator/bus/bus';
import { DEFAULT_DMAC_FREQUENCY, periodOf } from '../../emulator/machine/clock';
import { Machine, MachineState } from '../../emulator/machine/machine';
import { MachineTraceRecorder } from '../../emulator/machine/trace';
import type { PlatformDescription } from '../../emulator/machine/platform';
import type { Pl330Config } from '../../emulator/pl330/config';
import type { Pl330 } from '../../emulator/pl330/pl330';
import { createStandaloneMachine } from '../../emulator/pl330/standalone';
import type { Smmu } from '../../emulator/smmu/smmu';

export interface DebugMachine {
  readonly bus: Bus;
  /** The DMACs, named dma0, dma1, ... in thread names. */
  readonly dmacs: readonly Pl330[];
  /** The SMMU in front of each DMAC, if any (by DMAC index). */
  readonly smmuOf: readonly (Smmu | undefined)[];
  readonly smmus: readonly Smmu[];
  /** Picoseconds per clock cycle of each DMAC. */
  readonly periods: readonly number[];
  /** One tick of the whole machine (every DMAC in lock-step). */
  tick(): void;
  snapshot(): MachineSnapshot;
  restore(snapshot: MachineSnapshot): void;
}

/** Opaque saved state of a machine. */
export type MachineSnapshot = unknown;

/** One DMAC over RAM; a manager entry boots the manager thread from that address at reset. */
export function createDefaultMachine(config: Partial<Pl330Config>, managerEntry?: number): DebugMachine {
  const boot = managerEntry === undefined ? {} : { bootFromPc: true, bootAddress: managerEntry };
  const { bus, dmac } = createStandaloneMachine({ ...config, ...boot }, { name: 'dma0' });
  const dmacs = [dmac];
  return {
    bus,
    dmacs,
    smmuOf: [undefined],
    smmus: [],
    periods: [periodOf(DEFAULT_DMAC_FREQUENCY)],
    tick: () => dmac.tick(),
    snapshot: () => ({ memory: bus.memory.snapshot(), dmac: dmac.snapshot() }),
    restore: (s) => {
      const state = s as { memory: ReturnType<Bus['memory']['snapshot']>; dmac: ReturnType<Pl330['snapshot']> };
      bus.memory.restore(state.memory);
      dmac.restore(state.dmac);
    },
  };
}

/** The machine a platform devicetree describes: every DMAC with its SMMU, the GIC, RAM. */
export function createPlatformMachine(platform: PlatformDescription): DebugMachine {
  return debugMachineOf(new Machine(platform));
}

/** A machine someone else also drives (a scenario's host kernel), as the debugger runs it. */
export function debugMachineOf(machine: Machine): DebugMachine {
  const dmacs = machine.dmacs.map((d) => d.device);
  return {
    bus: machine.bus,
    dmacs,
    smmuOf: machine.dmacs.map((d) => d.smmu?.device),
    smmus: machine.smmus.map((s) => s.device),
    periods: machine.dmacs.map((d) => d.period),
    tick: () => {
      for (const d of dmacs) d.tick();
    },
    snapshot: () => machine.snapshot(),
    restore: (s) => machine.restore(s as MachineState),
  };
}

/** A recorder of the machine's DMA timeline as the debugger ticks it: every DMAC's cycle at its own clock. */
export function tickTraceRecorder(machine: DebugMachine): MachineTraceRecorder {
  return new MachineTraceRecorder(
    machine.dmacs.map((device, i) => ({ device, name: device.name, period: machine.periods[i], timeOf: (cycle) => cycle * machine.periods[i] })),
    machine.smmus.map((device) => ({ device, name: device.name })),
  );
}
