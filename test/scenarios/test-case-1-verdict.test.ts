// The verdict of `dmalab demo --scenario test-case-1-linux` from the console lines it watches, without booting (the
// real boot is test-case-1-host.test.ts): the guide's platform without the 40-bit window, where Debian's 6.12 gives
// VFIO_GROUP_SET_CONTAINER EBUSY, and a console that claims PASS with no DMA seen on the machine. And the launch
// configuration example of the test case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SystemMachine, type SystemOutcome } from '../../emulator/machine/system';
import { loadPlatform, packageRoot } from '../../scenarios/platform';
import { testCase1Linux } from '../../scenarios/test-case-1-linux';
import { StepLog } from '../../scenarios/vfio-session';

function verdict(lines: readonly string[], outcome: SystemOutcome = { kind: 'off' }): { pass: boolean; failure?: string; output: string[] } {
  const system = new SystemMachine(loadPlatform(join(packageRoot(), testCase1Linux.boot.platform!)), { cpus: 1 });
  const output: string[] = [];
  const watch = testCase1Linux.watch(system, new StepLog((line) => output.push(line)));
  for (const line of lines) watch.line(line);
  return { ...watch.verdict(outcome), output };
}

const START = [
  'dmalab Test Case 1 host: Linux 6.12.118+deb12-armmp-lpae',
  'insmod vfio.ko rc=0',
  '[    0.447960] vfio-platform 2c0a0000.dma: Adding to iommu group 3',
];
const program = (exit: string) => ['device 2c0a0000.dma (platform bus, vfio-platform), group /dev/vfio/3', 'vfio-pl330: group: SET_CONTAINER: Device or resource busy', exit];

test("test-case-1-linux: FAIL on the guide's platform, where ARM's DMA mapping holds the group (SET_CONTAINER: EBUSY), naming each reason", () => {
  const r = verdict([...START, ...program('vfio-pl330 exit status 1'), ...program('vfio-pl330 --unmapped exit status 1')]);
  assert.equal(r.pass, false);
  assert.equal(r.failure, 'no "Failed to create ... IOMMU mapping for device 2c0a0000.dma": ARM\'s DMA mapping took the device (the platform lacks the 40-bit dma-ranges window?); ' +
    'the copy: no result, exit status 1; arm-smmu reported no context fault at the unmapped IOVA; ' +
    'the isolation check: no result (the channel must abort, the destination stay untouched), exit status 1; the isolation check\'s writes: 0 stopped by the SMMU, 0 reached memory');
  assert.ok(r.output.includes('     vfio-pl330: group: SET_CONTAINER: Device or resource busy'), r.output.join('\n'));
});

test('test-case-1-linux: a console that says PASS is not enough: the machine must have seen the DMAC write through the SMMU', () => {
  const r = verdict([
    ...START,
    '[    0.447970] Failed to create 1099511627775-byte IOMMU mapping for device 2c0a0000.dma',
    'device 2c0a0000.dma (platform bus, vfio-platform), group /dev/vfio/3', 'copy of 4096 bytes: PASS', 'vfio-pl330 exit status 0',
    'device 2c0a0000.dma (platform bus, vfio-platform), group /dev/vfio/3', 'isolation: destination not mapped, copy aimed at unmapped iova 0x50000000',
    '[    0.450090] arm-smmu 2b400000.iommu: Unhandled context fault: fsr=0x2, iova=0x50000000, fsynr=0x11, cbfrsynra=0x0, cb=3',
    'isolation: channel 0 faulted on its write, destination buffer untouched: PASS', 'vfio-pl330 --unmapped exit status 0',
  ], { kind: 'time-limit' });
  assert.equal(r.failure, `no power-off within ${testCase1Linux.boot.maxSeconds} s of guest time; the copy's writes: 0 translated by the SMMU, 0 untranslated, 0 stopped; ` +
    "the isolation check's writes: 0 stopped by the SMMU, 0 reached memory");
  assert.ok(r.output.includes("     ARM's DMA mapping supports 32-bit windows only: the group stays in its default domain, for VFIO to claim"), r.output.join('\n'));
  assert.ok(r.output.includes('     arm-smmu: context fault at iova 0x50000000 (fsr 0x2) in dmesg'), r.output.join('\n'));
});

test("examples/guest/launch.json's Test Case 1 boots what the demo's test-case-1-linux boots", () => {
  const text = readFileSync(join(packageRoot(), 'examples', 'guest', 'launch.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const { configurations } = JSON.parse(text) as { configurations: Record<string, unknown>[] };
  const configuration = configurations.find((c) => c.passthrough === undefined);
  const inWorkspace = (file: string) => `\${workspaceFolder}/${file}`;
  const { boot } = testCase1Linux;
  assert.deepEqual(configuration, {
    type: 'dmalab', request: 'launch', name: configuration?.name,
    kernel: inWorkspace(boot.kernel), initrd: inWorkspace(boot.initrd), platform: inWorkspace(boot.platform!), append: boot.append, cpus: boot.cpus,
  });
});
