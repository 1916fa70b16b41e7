// The seed's platform for the VFIO tests: examples/platforms/vexpress-mmu400-dma330.dts through dmalab's compiler.
import type { PlatformDescription } from '../../emulator/machine/platform';
import { loadPlatform } from '../../scenarios/platform';

let seed: PlatformDescription | undefined;

export function seedPlatform(): PlatformDescription {
  return (seed ??= loadPlatform());
}
