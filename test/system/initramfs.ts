// A newc cpio archive (an uncompressed initramfs) of a directory tree that `populate` writes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function initramfsOf(populate: (dir: string) => void): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-initramfs-'));
  try {
    populate(dir);
    const list = execFileSync('find', ['.'], { cwd: dir });
    return new Uint8Array(execFileSync('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: dir, input: list, maxBuffer: 1 << 28 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
