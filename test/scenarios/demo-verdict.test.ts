// The verdict of `dmalab demo --scenario test-case-2-linux` from the console lines it watches, without booting: the
// guest's lines fed as Debian's kernel prints them (and the hypervisor's fault report), on the machine the scenario
// builds. The real boot is test/scenarios/passthrough-guest.test.ts. And the launch configuration example of the test case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformFromDtb } from '../../emulator/machine/from-dtb';
import { PassthroughGuest } from '../../emulator/machine/passthrough';
import { SystemMachine, type SystemOutcome } from '../../emulator/machine/system';
import { HYPERVISOR_PREFIX } from '../../scenarios/linux-scenario';
import { loadPlatformDtb, packageRoot } from '../../scenarios/platform';
import { testCase2Linux } from '../../scenarios/test-case-2-linux';
import { StepLog } from '../../scenarios/vfio-session';

const CHANNELS = Array.from({ length: 8 }, (_, c) => `dma0chan${c}`);
const summary = (channel: string, failures: number) => `[    0.2${channel.at(-1)}0000] dmatest: ${channel}-copy0: summary 20 tests, ${failures} failures 700.00 iops 1500 KB/s (0)`;
const FAULT = [
  `${HYPERVISOR_PREFIX}arm-smmu 2b400000.iommu: Unhandled context fault: fsr=0x2, iova=0xa0000000, fsynr=0x12, cbfrsynra=0x0, cb=0`,
  '[    0.300000] dma-pl330 c000000.dma: Reset Channel-0\t CS-f FTC-20000',
  '[    0.300100] dma_outside: dma0chan0: copy of 64 bytes from 0x000000009f041000 to 0xa0000000: callback ran, channel status complete',
];

function verdict(lines: readonly string[], outcome: SystemOutcome = { kind: 'off' }): { pass: boolean; failure?: string; output: string[] } {
  const dtb = loadPlatformDtb();
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, guest: (machine) => new PassthroughGuest(machine, dtb, { devices: ['2c0a0000.dma'] }) });
  const output: string[] = [];
  const watch = testCase2Linux.watch(system, new StepLog((line) => output.push(line)));
  for (const line of lines) watch.line(line);
  return { ...watch.verdict(outcome), output };
}

const run = (failures: (channel: string) => number) => [
  `== DMA channels: ${CHANNELS.join(' ')} `,
  ...CHANNELS.map((c) => summary(c, failures(c))),
  '== dmatest done',
];

test('test-case-2-linux: PASS with 20 tests and 0 failures on every channel, the SMMU fault past the guest RAM and the channel fault', () => {
  const r = verdict([...run(() => 0), ...FAULT, '== dma_outside done']);
  assert.equal(r.failure, undefined);
  assert.equal(r.pass, true);
  assert.ok(r.output.includes('     guest: dma0chan3-copy0: summary 20 tests, 0 failures 700.00 iops 1500 KB/s (0)'), r.output.join('\n'));
  assert.ok(r.output.includes('     guest: dma-pl330 c000000.dma: Reset Channel-0  CS-f FTC-20000'), 'tabs shown as spaces');
});

test('test-case-2-linux: FAIL names each reason: a channel with failures, a channel without a summary, no SMMU fault, no channel fault', () => {
  const lines = run((c) => (c === 'dma0chan5' ? 2 : 0)).filter((l) => !l.includes('dma0chan6-copy0'));
  const r = verdict(lines);
  assert.equal(r.pass, false);
  assert.equal(r.failure, "dmatest: dma0chan5 20 tests, 2 failures, dma0chan6 no summary; no SMMU context fault at 0xa0000000; the guest's dma-pl330 reported no channel fault; dma_outside.ko reported nothing");
});

test('test-case-2-linux: FAIL when the fault is elsewhere than past the guest RAM, when the guest shows no channel, when the kernel does not power off', () => {
  const elsewhere = verdict([...run(() => 0), FAULT[0].replace('iova=0xa0000000', 'iova=0xb0000000'), ...FAULT.slice(1)]);
  assert.equal(elsewhere.failure, 'no SMMU context fault at 0xa0000000');
  assert.match(verdict(['== DMA channels: ', ...FAULT]).failure ?? '', /^the guest has no DMA channel$/);
  assert.equal(verdict([...run(() => 0), ...FAULT], { kind: 'time-limit' }).failure, `no power-off within ${testCase2Linux.boot.maxSeconds} s of guest time`);
});

test("examples/guest/launch.json's Test Case 2 boots what the demo's test-case-2-linux boots", () => {
  const text = readFileSync(join(packageRoot(), 'examples', 'guest', 'launch.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const { configurations } = JSON.parse(text) as { configurations: Record<string, unknown>[] };
  const configuration = configurations.find((c) => c.passthrough !== undefined);
  const inWorkspace = (file: string) => `\${workspaceFolder}/${file}`;
  const { boot } = testCase2Linux;
  assert.deepEqual(configuration, {
    type: 'dmalab', request: 'launch', name: configuration?.name,
    kernel: inWorkspace(boot.kernel), initrd: inWorkspace(boot.initrd), append: boot.append, cpus: boot.cpus, passthrough: boot.passthrough,
  });
});
