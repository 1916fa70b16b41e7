// The VFIO_PLATFORM guide's platform for the VFIO tests: examples/platforms/vexpress-mmu400-dma330.dts through dmalab's compiler.
import type { PlatformDescription } from '../../emulator/machine/platform';
import { loadPlatform } from '../../scenarios/platform';

let cached: PlatformDescription | undefined;

export function guidePlatform(): PlatformDescription {
  return (cached ??= loadPlatform());
}
