// The seed's platform as a description, for tests that do not go through a devicetree.
import { GIC400_CONFIG } from '../../emulator/gic/gic';
import type { PlatformDescription } from '../../emulator/machine/platform';
import { DEFAULT_CONFIG } from '../../emulator/pl330/config';
import { MMU400_CONFIG } from '../../emulator/smmu/config';

export function seedPlatform(): PlatformDescription {
  const dmacBases = [0x2c0a0000, 0x2c0a1000, 0x2c0a2000, 0x2c0a3000];
  const irqBases = [64, 96, 128, 168];
  return {
    model: 'test vexpress',
    memory: [{ base: 0x80000000, size: 0x80000000 }],
    gic: { path: '/interrupt-controller@2c001000', distributor: 0x2c001000, distributorSize: 0x1000, cpuInterface: 0x2c002000, cpuInterfaceSize: 0x2000, config: GIC400_CONFIG },
    smmus: [{
      path: '/iommu@2b400000', name: '2b400000.iommu', base: 0x2b400000, size: 0x10000, config: MMU400_CONFIG,
      globalInterrupts: [{ spi: 200, level: true }], contextInterrupts: [201, 202, 203, 204].map((spi) => ({ spi, level: true })),
    }],
    dmacs: dmacBases.map((base, i) => ({
      path: `/dma@${base.toString(16)}`, name: `${base.toString(16)}.dma`, base, size: 0x1000, bus: i === 0 ? 'platform' : 'amba',
      compatible: i === 0 ? ['arm,pl330'] : ['arm,pl330', 'arm,primecell'],
      interrupts: [{ spec: { spi: irqBases[i], level: true }, output: 0 }, { spec: { spi: irqBases[i] + 1, level: true }, output: 'abort' }],
      config: DEFAULT_CONFIG, iommu: { smmu: 0, streamIds: [i] },
    })),
  };
}
