// The machine a debug session runs: today the default of `dmalab run` (one DMAC whose master sees RAM over the
// 32-bit space); a machine built from a devicetree (DMACs behind an SMMU) provides the same shape.
import type { Bus } from '../../emulator/bus/bus';
import type { MemorySnapshot } from '../../emulator/bus/memory';
import type { Pl330Config } from '../../emulator/pl330/config';
import type { Pl330, Pl330Snapshot } from '../../emulator/pl330/pl330';
import { createStandaloneMachine } from '../../emulator/pl330/standalone';

export interface DebugMachine {
  readonly bus: Bus;
  /** The DMACs, named dma0, dma1, ... in thread names. */
  readonly dmacs: readonly Pl330[];
  /** One tick of the whole machine (every DMAC in lock-step). */
  tick(): void;
  snapshot(): MachineSnapshot;
  restore(snapshot: MachineSnapshot): void;
}

export interface MachineSnapshot {
  readonly memory: MemorySnapshot;
  readonly dmacs: readonly Pl330Snapshot[];
}

/** One DMAC over RAM; a manager entry boots the manager thread from that address at reset. */
export function createDefaultMachine(config: Partial<Pl330Config>, managerEntry?: number): DebugMachine {
  const boot = managerEntry === undefined ? {} : { bootFromPc: true, bootAddress: managerEntry };
  const { bus, dmac } = createStandaloneMachine({ ...config, ...boot }, { name: 'dma0' });
  const dmacs = [dmac];
  return {
    bus,
    dmacs,
    tick: () => {
      for (const d of dmacs) d.tick();
    },
    snapshot: () => ({ memory: bus.memory.snapshot(), dmacs: dmacs.map((d) => d.snapshot()) }),
    restore: (s) => {
      bus.memory.restore(s.memory);
      dmacs.forEach((d, i) => d.restore(s.dmacs[i]));
    },
  };
}
