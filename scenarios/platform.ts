// Platforms: a devicetree file (source or blob) turned into a machine description, compiled the one way every
// devicetree is (server/dts/compile-file); the VFIO_PLATFORM guide's VE MMU-400 + four DMA-330 platform is the default for VFIO
// programs and scenarios.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { platformFromDtb } from '../emulator/machine/from-dtb';
import type { PlatformDescription } from '../emulator/machine/platform';
import { toDtb } from '../server/dts/compiler';
import { compileDtsText, fileHost } from '../server/dts/compile-file';
import { bytesToText, formatDiagnostic } from '../server/dts/source';
import { PlatformError } from './platform-error';

export { PlatformError };

export const DEFAULT_PLATFORM = 'examples/platforms/vexpress-mmu400-dma330.dts';

/** The installed package's root (where examples/ lives), found from this bundle's location. */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'examples', 'platforms'))) return dir;
    if (dirname(dir) === dir) throw new Error('cannot find the dmalab package root (examples/platforms)');
  }
}


/** How many of a platform's compile errors a message lists before it counts the rest. */
const MAX_LISTED_ERRORS = 50;

/** A platform file's bytes; a directory is named as such (reading one fails with no path to report). */
function readPlatformFile(file: string): Uint8Array {
  if (existsSync(file) && statSync(file).isDirectory()) throw new PlatformError(`${file}: is a directory, not a file`);
  return new Uint8Array(readFileSync(file));
}

/** Where the build puts the blobs of the package's platforms, each beside a copy of the source it compiled. */
export const PREBUILT_PLATFORMS = 'dist/platforms';

/**
 * The blob the build compiled (scripts/build.mjs) from `file`, one of the package's own platforms, while its source
 * is what the build compiled (those sources include no other file, and compile without a warning): a command starts
 * without compiling its default platform. Undefined for any other file.
 */
function prebuiltBlob(file: string, source: Uint8Array): Uint8Array | undefined {
  try {
    const root = packageRoot();
    if (resolve(file) !== join(root, dirname(DEFAULT_PLATFORM), basename(file))) return undefined;
    const prebuilt = join(root, PREBUILT_PLATFORMS, basename(file));
    if (!readFileSync(prebuilt).equals(source)) return undefined;
    return new Uint8Array(readFileSync(`${prebuilt.slice(0, -extname(prebuilt).length)}.dtb`));
  } catch {
    return undefined; // no package root, no prebuilt blob: compiled as any other file
  }
}

function compileDtsFile(file: string, warn: (line: string) => void): Uint8Array {
  const source = readPlatformFile(file);
  const prebuilt = prebuiltBlob(file, source);
  if (prebuilt !== undefined) return prebuilt;
  const { preprocessor, result } = compileDtsText(file, bytesToText(source), { host: fileHost });
  const diagnostics = [...preprocessor, ...(result?.diagnostics ?? [])];
  for (const d of diagnostics) if (d.severity === 'warning') warn(formatDiagnostic(d, file));
  if (!result?.info) {
    const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d, file));
    const more = errors.length > MAX_LISTED_ERRORS ? [`${file}: ${errors.length - MAX_LISTED_ERRORS} more errors not shown`] : [];
    throw new PlatformError([...errors.slice(0, MAX_LISTED_ERRORS), ...more].join('\n') || `${file}: cannot compile`);
  }
  return toDtb(result.info);
}

/** The blob of a .dtb, or of a compiled .dts (what a kernel booted on the platform is handed). */
export function loadPlatformDtb(file = join(packageRoot(), DEFAULT_PLATFORM), warn: (line: string) => void = () => {}): Uint8Array {
  return extname(file) === '.dtb' ? readPlatformFile(file) : compileDtsFile(file, warn);
}

/** Reads a .dtb, or compiles a .dts, and describes its platform (errors name the file and the node). */
export function loadPlatform(file = join(packageRoot(), DEFAULT_PLATFORM), warn: (line: string) => void = () => {}): PlatformDescription {
  return describePlatform(loadPlatformDtb(file, warn), file);
}

/** The platform of a blob read from `file` (errors name the file and the node). */
export function describePlatform(dtb: Uint8Array, file: string): PlatformDescription {
  try {
    return platformFromDtb(new Uint8Array(dtb));
  } catch (error) {
    throw new PlatformError(`${file}: ${(error as Error).message}`);
  }
}

/** Why `name` does not pick a DMA-330 of the platform (`--dmac`, `--device`), or undefined when it does. */
export function unknownDmac(platform: PlatformDescription, name: string): string | undefined {
  const names = platform.dmacs.map((d) => d.name);
  return names.includes(name) ? undefined : `no DMAC '${name}' on this platform (have: ${names.join(', ')})`;
}
