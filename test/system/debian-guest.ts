// Debian's 6.1 armmp-lpae kernel and fetch.sh's busybox initramfs for the system tests: the Image out of the packaged
// zImage (the tests do not pay for the decompressor) and the initramfs with a /test script (its /init runs it).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ROOT } from '../cpu/toolchain';

export const GUEST = join(ROOT, '.cache', 'guest', 'boot');
const ZIMAGE = join(GUEST, 'vmlinuz');
const INITRAMFS = join(GUEST, 'initramfs');
export const debianMissing = existsSync(ZIMAGE) && existsSync(INITRAMFS) ? false : `${ZIMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;

/** fetch.sh's busybox initramfs with `script` as /test and `files` copied to its root. */
export function initramfsWithTest(script: readonly string[], files: readonly string[] = []): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-initramfs-'));
  try {
    cpSync(INITRAMFS, dir, { recursive: true });
    for (const file of files) copyFileSync(file, join(dir, basename(file)));
    writeFileSync(join(dir, 'test'), ['#!/bin/sh', ...script, ''].join('\n'));
    chmodSync(join(dir, 'test'), 0o755);
    const list = execFileSync('find', ['.'], { cwd: dir });
    return new Uint8Array(execFileSync('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: dir, input: list, maxBuffer: 1 << 28 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** The kernel Image inside the zImage: the xz stream that decompresses (the decompressor's own code may contain the
 * magic too). */
export function debianImage(): Uint8Array {
  const zImage = readFileSync(ZIMAGE);
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
