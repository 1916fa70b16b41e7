// The VFIO_PLATFORM guide's Test Case 2 on the embedded emulator: the DMA-330 passed through to a guest (VMM over VFIO, the guest's
// own PL330 driver and dmatest), and the SMMU isolating the guest. The guest's devicetree is checked against
// Debian's dtc, and the verdicts against what the emulated hardware did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Machine } from '../../emulator/machine/machine';
import { parseFdt, findCompatible, interrupts } from '../../emulator/devicetree/fdt';
import { StepLog, bindToVfio, bootHost, openVfioDevice } from '../../scenarios/vfio-session';
import { QEMU_VIRT_LAYOUT, VirtualMachineMonitor } from '../../scenarios/vmm';
import { vfioPassthrough } from '../../scenarios/vfio-test-case-2';
import { guidePlatform } from '../support/platform';

function run(options: Parameters<typeof vfioPassthrough>[2] = {}): { pass: boolean; failure?: string; lines: string[]; machine: Machine } {
  const lines: string[] = [];
  const machine = new Machine(guidePlatform());
  return { ...vfioPassthrough(machine, (l) => lines.push(l), options), lines, machine };
}

test('Test Case 2: the guest probes the passed-through DMA-330 and dmatest copies with 0 failures', () => {
  const r = run();
  assert.equal(r.pass, true, r.lines.join('\n'));
  const text = r.lines.join('\n');
  assert.match(text, new RegExp(`dma-pl330 ${QEMU_VIRT_LAYOUT.deviceBase.toString(16)}\\.dma: Loaded driver for PL330 DMAC-[0-9a-f]*1330`));
  assert.match(text, /dmatest: dma0chan0-copy0: summary 10 tests, 0 failures, \d+ bytes copied/);
  // The guest's copies ran on the host's DMAC, through the SMMU: its channel 0 executed microcode at guest
  // physical (= IOVA) addresses, and its event interrupt was taken by the host's vfio-platform handler.
  const dmac = r.machine.dmacs[0];
  assert.ok(dmac.device.register('CPC0') >= QEMU_VIRT_LAYOUT.ramBase && dmac.device.register('CPC0') < QEMU_VIRT_LAYOUT.ramBase + QEMU_VIRT_LAYOUT.ramSize);
  assert.match(text, /Unhandled context fault: fsr=0x[0-9a-f]+, iova=0x80000000/);
  assert.match(text, /fault on channel 0 at 0x[0-9a-f]+: data_write_err/);
});

test('Test Case 2 passes on an AMBA DMA-330 that the host bound to dma-pl330 first', () => {
  const r = run({ device: '2c0a1000.dma' });
  assert.equal(r.pass, true, r.lines.join('\n'));
  assert.match(r.lines.join('\n'), /drivers\/unbind|driver\/unbind/);
});

test('the isolation check can fail: a copy aimed inside the guest RAM completes and the scenario says so', () => {
  const r = run({ outsideGpa: QEMU_VIRT_LAYOUT.ramBase + (4 << 20) });
  assert.equal(r.pass, false);
  assert.match(r.failure!, /completed: the SMMU did not isolate the guest/);
});

test('a dmatest whose buffers do not fit in the guest RAM fails: the guest runs out of memory', () => {
  const r = run({ dmatest: { iterations: 1, bufferBytes: QEMU_VIRT_LAYOUT.ramSize, alignment: 4, seed: 1 } });
  assert.equal(r.pass, false);
  assert.match(r.failure!, /out of memory/);
});

test("the VMM's guest devicetree: dmalab's DTB equals Debian dtc's, and names the device's guest address and SPIs", { skip: spawnSync('dtc', ['--version']).status !== 0 && 'dtc is not installed' }, () => {
  const machine = new Machine(guidePlatform());
  const lines: string[] = [];
  const log = new StepLog((l) => lines.push(l));
  const { kernel, proc } = bootHost(machine, log);
  const name = machine.dmacs[0].description.name;
  const session = openVfioDevice(kernel, proc, name, bindToVfio(kernel, proc, name, log), log);
  const vmm = new VirtualMachineMonitor(session, QEMU_VIRT_LAYOUT, machine.dmacs[0].description, log);
  const dtc = spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-o', '-'], { input: vmm.guestDts() });
  assert.equal(dtc.status, 0, dtc.stderr.toString());
  assert.deepEqual(Buffer.from(vmm.dtb), dtc.stdout);
  const fdt = parseFdt(vmm.dtb);
  const node = findCompatible(fdt, 'arm,pl330')[0];
  assert.equal(node.path, '/platform-bus@c000000/dma@0');
  const spis = interrupts(fdt, node).map((s) => s[1]);
  assert.deepEqual(spis, machine.dmacs[0].description.interrupts.map((_, i) => QEMU_VIRT_LAYOUT.deviceSpiBase + i));
});
