// A dynamic executable's loader (PT_INTERP) comes from the sysroot, else from the workspace (a root file system);
// missing from both, the error says where it looked and how to give one, in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, VARIANTS, compile, toolchainAvailable } from '../support/toolchain';

const skip = toolchainAvailable(VARIANTS[0]) && toolchainAvailable(VARIANTS[2]) ? false : 'the ARM cross compilers or qemu-arm are not installed';
const work = mkdtempSync(join(tmpdir(), 'dmalab-loader-'));
const dmalab = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/dmalab'), ...args], { encoding: 'utf8', cwd: work, timeout: 60_000 });
const STRINGS = join(ROOT, 'test', 'emulator', 'cpu', 'programs', 'strings.c');

test('a loader in neither the sysroot nor the workspace: both paths tried and the Debian cross libc to give, per float ABI', { skip }, () => {
  mkdirSync(join(work, 'empty'));
  mkdirSync(join(work, 'root'));
  const cases = [
    { variant: VARIANTS[0], loader: '/lib/ld-linux-armhf.so.3', name: 'ld-linux-armhf.so.3', libc: "libc6-armhf-cross: --sysroot /usr/arm-linux-gnueabihf" },
    { variant: VARIANTS[2], loader: '/lib/ld-linux.so.3', name: 'ld-linux.so.3', libc: "libc6-armel-cross: --sysroot /usr/arm-linux-gnueabi" },
  ];
  for (const { variant, loader, name, libc } of cases) {
    const program = compile(STRINGS, { ...variant, name: `${variant.name}-dynamic`, flags: ['-O2'] });
    const r = dmalab('run-elf', program, '--sysroot', 'empty', '--workspace', 'root');
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `dmalab: ${program}: dynamic executable: its loader ${loader} is in neither the sysroot (empty/lib/${name}) nor the workspace (${join(work, 'root')}${loader}); give the sysroot of an ARM libc (Debian's ${libc}) or link with -static\n`);
  }
});

test('a root file system given as the workspace supplies the loader and libc when the sysroot lacks them', { skip }, () => {
  const rootfs = join(work, 'rootfs');
  mkdirSync(join(rootfs, 'lib'), { recursive: true });
  for (const name of ['ld-linux-armhf.so.3', 'libc.so.6', 'libm.so.6', 'libatomic.so.1']) copyFileSync(join('/usr/arm-linux-gnueabihf/lib', name), join(rootfs, 'lib', name));
  mkdirSync(join(work, 'no-libs'), { recursive: true });
  const program = compile(STRINGS, { ...VARIANTS[0], name: 'armhf-dynamic', flags: ['-O2'] });
  const fromRootfs = dmalab('run-elf', program, '--sysroot', 'no-libs', '--workspace', rootfs);
  const fromSysroot = dmalab('run-elf', program, '--workspace', rootfs);
  assert.equal(fromRootfs.stderr, '');
  assert.equal(fromRootfs.stdout, fromSysroot.stdout);
  assert.ok(fromRootfs.stdout.length > 0);
  assert.equal(fromRootfs.status, fromSysroot.status);
});
