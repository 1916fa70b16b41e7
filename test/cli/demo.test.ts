import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'dmalab-demo-'));

function demo(args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'demo', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, last: r.stdout.trim().split('\n').pop() };
}

// The real-kernel scenarios are tested where they boot: test-case-1-linux in test/scenarios/test-case-1-host.test.ts,
// test-case-2-linux with the passthrough guest (test/scenarios/passthrough-guest.test.ts).
test('dmalab demo --scenario for each model scenario: every step, PASS and exit status 0', () => {
  const r = demo(['vfio-test-case-1', 'vfio-armhf', 'vfio-passthrough', 'vfio-isolation'].flatMap((name) => ['--scenario', name]));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.last, 'PASS');
  for (const step of ['driver_override', 'drivers_probe', 'VFIO_SET_IOMMU', 'VFIO_IOMMU_MAP_DMA', 'DMAGO', 'read(eventfd)', '4096 bytes copied correctly', 'Unhandled context fault', 'no byte of physical memory changed',
    'guest: dma-pl330 c000000.dma: Loaded driver for PL330', 'summary 10 tests, 0 failures', 'no byte of host physical memory changed',
    'vfio-pl330: copy of 4096 bytes: PASS']) {
    assert.ok(r.stdout.includes(step), step);
  }
});

test('dmalab demo on a platform whose DMAC is not behind the SMMU: FAIL and exit status 1', () => {
  const dts = readFileSync(join(root, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts'), 'utf8').replace('iommus = <&smmu 0>;', '');
  const file = join(dir, 'no-smmu.dts');
  writeFileSync(file, dts);
  const r = demo(['--platform', file, '--scenario', 'vfio-test-case-1']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /2c0a0000\.dma has no iommu_group/);
  assert.equal(r.last, 'FAIL: vfio-test-case-1');
});

test('dmalab demo with an inconsistent devicetree names the node', () => {
  const dts = readFileSync(join(root, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts'), 'utf8').replace('#global-interrupts = <1>;', '');
  const file = join(dir, 'bad.dts');
  writeFileSync(file, dts);
  const r = demo(['--platform', file]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^dmalab demo: the VFIO_PLATFORM guide's test cases\n  Test Case 1: test-case-1-linux on Debian's 6.12 kernel as the host.*\n  Test Case 2: test-case-2-linux on Debian's 6.1 kernel as a guest/, 'the plan first');
  assert.match(r.stderr, /bad\.dts: \/iommu@2b400000: missing '#global-interrupts'/);
  assert.equal(r.last, 'FAIL');
});

test('dmalab demo --scenario with an unknown name lists the real-kernel and model scenarios', () => {
  const r = demo(['--scenario', 'test-case-3']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--scenario: 'test-case-3' is not one of test-case-1-linux, test-case-2-linux, vfio-test-case-1, vfio-armhf, vfio-passthrough, vfio-isolation/);
});

test('a DMAC name the platform lacks is a usage error before anything boots, for demo --device and run --scenario --dmac', () => {
  const have = '(have: 2c0a0000.dma, 2c0a1000.dma, 2c0a2000.dma, 2c0a3000.dma)';
  // As boot --passthrough and run --platform --dmac do: the real kernels' scenarios too, before a kernel boots.
  const consoleFile = join(dir, 'console.txt');
  const d = demo(['--device', '2c0a9000.dma', '--scenario', 'test-case-2-linux', '--scenario', 'vfio-test-case-1', '--console-out', consoleFile]);
  assert.equal(d.status, 2);
  assert.equal(d.stdout, '', 'nothing ran');
  assert.equal(d.stderr.split('\n')[0], `dmalab demo: --device: no DMAC '2c0a9000.dma' on this platform ${have}`);
  assert.equal(existsSync(consoleFile), false, '--console-out: no kernel, no console');
  const r = spawnSync(process.execPath, [cli, 'run', '--scenario', 'vfio-isolation', '--dmac', '2c0a9000.dma'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n')[0], `dmalab run: --dmac: no DMAC '2c0a9000.dma' on this platform ${have}`);
});
