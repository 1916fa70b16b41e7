// The reference runs, on QEMU, of the artifacts examples/guest/ builds for the VFIO_PLATFORM guide's two test cases
// (Debian's 6.12 kernels, the out-of-tree modules, the two initramfs images; fetched and built once into
// .cache/guest/6.12/ by examples/guest/initramfs.sh, skipped when apt cannot fetch the packages):
// - Test Case 2's guest: Debian's armmp kernel and dmatest.ko on -M smdkc210 (Exynos4210: three PL330s, Cortex-A9,
//   so the non-LPAE flavour) pass dmatest on every channel, as the same initramfs must on dmalab.
// - Test Case 1's host: on -M vexpress-a15 (no IOMMU) the VFIO modules load beside Debian's vfio.ko, and binding the
//   guide's DMAC to vfio-platform fails for the kernel's own reason: no IOMMU group (vfio_group_find_or_alloc()
//   in drivers/vfio/group.c returns -EINVAL when iommu_group_get() finds none and noiommu mode is off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = process.cwd();
const CACHE = join(ROOT, '.cache', 'guest', '6.12');
/** A kernel that has not powered off by then is hung: the run is bounded and its console shown. */
const BOOT_TIMEOUT_MS = 300_000;

let prepared: { skip: string | false } | undefined;

/** Runs examples/guest/initramfs.sh once per process; the reason to skip when Debian's packages cannot be fetched. */
function prepareArtifacts(): string | false {
  if (prepared) return prepared.skip;
  if (spawnSync('qemu-system-arm', ['--version']).status !== 0) return (prepared = { skip: 'qemu-system-arm is not installed' }).skip;
  const r = spawnSync(join(ROOT, 'examples', 'guest', 'initramfs.sh'), { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const said = r.stderr.trim().split('\n').pop() ?? '';
  if (r.status === 2) return (prepared = { skip: `Debian's guest packages are unavailable: ${said}` }).skip;
  assert.equal(r.status, 0, `examples/guest/initramfs.sh failed:\n${r.stderr}`);
  return (prepared = { skip: false }).skip;
}

/** Boots a kernel on qemu-system-arm until its /init powers off; the console output. */
function boot(machine: string[], kernel: string, dtb: string, initrd: string, append: string): string {
  const r = spawnSync('qemu-system-arm', [...machine, '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot',
    '-kernel', kernel, '-dtb', dtb, '-initrd', initrd, '-append', append], {
    encoding: 'utf8', timeout: BOOT_TIMEOUT_MS, maxBuffer: 64 << 20, env: { ...process.env, QEMU_AUDIO_DRV: 'none' },
  });
  const log = r.stdout.replace(/\r\n/g, '\n');
  assert.equal(r.error, undefined, `qemu-system-arm did not finish: ${r.error?.message}\n${tail(log)}`);
  assert.match(log, /reboot: Power down/, `the kernel did not reach poweroff:\n${tail(log)}`);
  return log;
}

/** The end of a console log: what a failing assertion shows instead of the whole boot. */
function tail(log: string): string {
  return log.split('\n').slice(-60).join('\n');
}

/** Asserts that the console log has a line matching `pattern`; on failure shows the log's end. */
function assertLogged(log: string, pattern: RegExp, what: string): void {
  assert.ok(pattern.test(log), `${what} (no match for ${pattern}):\n${tail(log)}`);
}

test('Test Case 2 guest: Debian 6.12 armmp with dmatest.ko on QEMU smdkc210 passes 20 iterations on every PL330 channel', { timeout: 2 * BOOT_TIMEOUT_MS }, (t) => {
  const skip = prepareArtifacts();
  if (skip) return t.skip(skip);
  const flavour = join(CACHE, 'armmp');
  const log = boot(['-M', 'smdkc210'], join(flavour, 'vmlinuz'), join(flavour, 'dtbs', 'exynos4210-smdkv310.dtb'),
    join(CACHE, 'test-case-2-guest.cpio.gz'), 'console=ttySAC0 cryptomgr.notests=1');
  assertLogged(log, /dmalab Test Case 2 guest: Linux 6\.12\.\d+\+deb\d+-armmp\n/, 'the guest /init did not start on the armmp kernel');
  assertLogged(log, /insmod dmatest\.ko rc=0\n/, 'dmatest.ko did not load');
  const channels = [...new Set([...log.matchAll(/dmatest: Added 1 threads using (dma\d+chan\d+)/g)].map((m) => m[1]))];
  // Every DMAC of the board is exercised (the UART's driver holds a few channels of the first one).
  assert.deepEqual([...new Set(channels.map((c) => c.replace(/chan\d+$/, '')))].sort(), ['dma0', 'dma1', 'dma2']);
  assert.ok(channels.length >= 16, `only ${channels.length} channels tested: ${channels.join(' ')}`);
  assertLogged(log, new RegExp(`dmatest: ${channels.length} channel\\(s\\) tested\n`), 'the /init\'s count differs');
  for (const channel of channels) {
    assertLogged(log, new RegExp(`dmatest: ${channel}-copy0: summary 20 tests, 0 failures `), `no passing summary for ${channel}`);
  }
  assert.doesNotMatch(log, /dmatest: \S+-copy\d+: (result #|summary \d+ tests, [1-9])/, 'a dmatest failure');
});

test('Test Case 2 guest: the armmp-lpae dmatest.ko (the one dmalab\'s guest loads) loads on QEMU vexpress-a15, which has no DMAC', { timeout: 2 * BOOT_TIMEOUT_MS }, (t) => {
  const skip = prepareArtifacts();
  if (skip) return t.skip(skip);
  const flavour = join(CACHE, 'armmp-lpae');
  const log = boot(['-M', 'vexpress-a15', '-m', '512'], join(flavour, 'vmlinuz'), join(flavour, 'dtbs', 'vexpress-v2p-ca15-tc1.dtb'),
    join(CACHE, 'test-case-2-guest.cpio.gz'), 'console=ttyAMA0 cryptomgr.notests=1');
  assertLogged(log, /dmalab Test Case 2 guest: Linux 6\.12\.\d+\+deb\d+-armmp-lpae\n/, 'the guest /init did not start on the armmp-lpae kernel');
  assertLogged(log, /insmod dmatest\.ko rc=0\n/, 'dmatest.ko did not load');
  assertLogged(log, /dmatest: 0 channel\(s\) tested\n/, 'a channel where QEMU has none');
});

test('Test Case 1 host: the VFIO modules load on QEMU vexpress-a15 and, without an IOMMU there, the bind fails for want of an IOMMU group', { timeout: 2 * BOOT_TIMEOUT_MS }, (t) => {
  const skip = prepareArtifacts();
  if (skip) return t.skip(skip);
  const flavour = join(CACHE, 'armmp-lpae');
  // Debian's vexpress devicetree plus the guide's first DMA-330 (a platform device: no arm,primecell), as on dmalab's
  // platform; QEMU has no device there, and vfio-platform gives up before touching its registers.
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-guest-'));
  try {
    const dtb = join(dir, 'vexpress-v2p-ca15-tc1-dma330.dtb');
    copyFileSync(join(flavour, 'dtbs', 'vexpress-v2p-ca15-tc1.dtb'), dtb);
    for (const args of [['-c', dtb, '/dma@2c0a0000'], ['-t', 's', dtb, '/dma@2c0a0000', 'compatible', 'arm,pl330'],
      ['-t', 'x', dtb, '/dma@2c0a0000', 'reg', '0', '2c0a0000', '0', '1000']]) {
      const r = spawnSync('fdtput', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `fdtput ${args.join(' ')}: ${r.stderr}`);
    }
    const log = boot(['-M', 'vexpress-a15', '-m', '512'], join(flavour, 'vmlinuz'), dtb,
      join(CACHE, 'test-case-1-host.cpio.gz'), 'console=ttyAMA0 cryptomgr.notests=1');
    assertLogged(log, /dmalab Test Case 1 host: Linux 6\.12\.\d+\+deb\d+-armmp-lpae\n/, 'the host /init did not start on the armmp-lpae kernel');
    for (const module of ['vfio', 'vfio_iommu_type1', 'vfio-platform-base', 'vfio-platform', 'vfio-amba']) {
      assertLogged(log, new RegExp(`insmod ${module}\\.ko rc=0\n`), `${module}.ko did not load`);
    }
    assert.doesNotMatch(log, /unknown parameter/, 'a module parameter the kernel does not know');
    assertLogged(log, /vfio-platform 2c0a0000\.dma: probe with driver vfio-platform failed with error -22\n/, 'not the kernel\'s -EINVAL');
    assertLogged(log, /vfio-pl330: iommu group: \/sys\/bus\/platform\/devices\/2c0a0000\.dma\/iommu_group: No such file or directory\n/, 'vfio-pl330 did not stop at the missing IOMMU group');
    assertLogged(log, /vfio-pl330 exit status 1\n/, 'vfio-pl330 did not fail');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
