// Debian's armhf kernels as the tests use them (fetched by examples/guest/fetch.sh into .cache/guest/): the
// decompressed Image inside a zImage, so a test does not pay for the decompressor.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './toolchain';

export const GUEST = join(ROOT, '.cache', 'guest', 'boot');
/** bookworm's 6.1 armmp-lpae zImage and the busybox initramfs tree fetch.sh builds. */
export const ZIMAGE = join(GUEST, 'vmlinuz');
export const INITRAMFS = join(GUEST, 'initramfs');
/** The 6.12 armmp-lpae zImage (examples/guest/build-modules.sh). */
export const ZIMAGE_612 = join(ROOT, '.cache', 'guest', '6.12', 'armmp-lpae', 'vmlinuz');
/** 6.12's fast path for tests: no crypto self-tests, no jitter entropy collector (0.3 G instructions of SHA-3 at
 * boot), 256 MiB of the platform's 2 GiB (ARM frees each highmem page one by one at boot). */
export const FAST_BOOT_612 = 'console=ttyAMA0 cryptomgr.notests=1 initcall_blacklist=jent_mod_init mem=256M';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** The kernel Image inside a zImage: the xz stream that decompresses (the decompressor's own code may contain the
 * magic too). */
export function imageOf(zImage: Buffer): Uint8Array {
  for (let at = zImage.indexOf(XZ_MAGIC); at >= 0; at = zImage.indexOf(XZ_MAGIC, at + 1)) {
    try {
      const image = execFileSync('xz', ['-dc', '--single-stream'], { input: zImage.subarray(at), maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'ignore'] });
      if (image.length > 1 << 20) return new Uint8Array(image);
    } catch {
      // Not the Image's stream: try the next magic.
    }
  }
  throw new Error('no xz-compressed Image in the zImage');
}

/** fetch.sh's busybox initramfs with more files (executable: its /init runs /test when there is one), as a newc cpio. */
export function initramfsWith(files: Readonly<Record<string, string | Uint8Array>>): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-initramfs-'));
  try {
    cpSync(INITRAMFS, dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(dir, name), content);
      chmodSync(join(dir, name), 0o755);
    }
    const list = execFileSync('find', ['.'], { cwd: dir });
    return new Uint8Array(execFileSync('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: dir, input: list, maxBuffer: 1 << 28 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
