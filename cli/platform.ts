// Platforms for the CLI: a devicetree file (source or blob) turned into a machine description; the seed's
// VE MMU-400 + four DMA-330 platform is the default for VFIO programs and scenarios.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { platformFromDtb } from '../emulator/machine/from-dtb';
import type { PlatformDescription } from '../emulator/machine/platform';
import { compileDts, toDtb } from '../server/dts/compiler';
import { preprocess } from '../server/dts/preprocessor';
import { Source, bytesToText, formatDiagnostic } from '../server/dts/source';
import { fileHost } from './dtc';

export const DEFAULT_PLATFORM = 'examples/platforms/vexpress-mmu400-dma330.dts';

/** The installed package's root (where examples/ lives), found from this bundle's location. */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'examples', 'platforms'))) return dir;
    if (dirname(dir) === dir) throw new Error('cannot find the dmalab package root (examples/platforms)');
  }
}

/** Compiles a DTS with dmalab's devicetree compiler (through its C preprocessor when the source uses #include). */
export function compileDtsFile(file: string, warn: (line: string) => void): Uint8Array {
  const text = bytesToText(readFileSync(file));
  let source = new Source(file, text, dirname(file));
  if (/^\s*#\s*(include|define|if)/m.test(text)) {
    const pre = preprocess(file, text, { host: fileHost, includeDirs: [], defines: [] });
    const errors = pre.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) throw new Error(errors.map((d) => formatDiagnostic(d, file)).join('\n'));
    source = new Source(file, pre.text, dirname(file), pre.map);
  }
  const result = compileDts(source, { host: fileHost });
  for (const d of result.diagnostics) if (d.severity === 'warning') warn(formatDiagnostic(d, file));
  if (!result.info) throw new Error(result.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, file)).join('\n') || `${file}: cannot compile`);
  return toDtb(result.info);
}

/** Reads a .dtb, or compiles a .dts, and describes its platform (errors name the file and the node). */
export function loadPlatform(file = join(packageRoot(), DEFAULT_PLATFORM), warn: (line: string) => void = () => {}): PlatformDescription {
  const dtb = extname(file) === '.dtb' ? readFileSync(file) : compileDtsFile(file, warn);
  try {
    return platformFromDtb(new Uint8Array(dtb));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}
