// The default one-DMAC machine of `dmalab run` and the tests: a DMA-330 (QEMU's Zynq configuration unless told
// otherwise) whose AXI master sees RAM over the whole 32-bit space. The DMAC's APB registers are driven directly by
// the caller (playing the CPU), not through the AXI bus.
import { Bus } from '../bus/bus';
import { DEFAULT_CONFIG, Pl330Config } from './config';
import { Pl330, Pl330Options } from './pl330';

export interface StandaloneMachine {
  readonly bus: Bus;
  readonly dmac: Pl330;
}

/** Stream ID the DMAC's transactions carry (an SMMU in front of it would see this). */
export const STANDALONE_DMAC_STREAM = 0;

export function createStandaloneMachine(config: Partial<Pl330Config> = {}, options: Pl330Options = {}): StandaloneMachine {
  const bus = new Bus();
  bus.addRam(0, 2 ** 32);
  const dmac = new Pl330({ ...DEFAULT_CONFIG, ...config }, bus.port({ name: options.name ?? 'pl330', streamId: STANDALONE_DMAC_STREAM, privilegedFetches: true }), options);
  return { bus, dmac };
}
