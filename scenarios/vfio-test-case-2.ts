// The VFIO_PLATFORM guide's Test Case 2: device passthrough to a guest. The host binds the DMA-330 to vfio-platform; a VMM maps
// the guest's RAM for the device (IOVA = guest physical address), places the register page in the guest's physical
// map and routes the interrupts into the guest's GIC. The guest boots from the devicetree the VMM wrote, probes the
// DMAC with its own PL330 driver and runs its DMA test; the host takes no part in the transfers. Then the guest
// aims a copy at a guest physical address outside its RAM: the SMMU stops it, the guest driver sees the fault, and
// no byte of host memory changes.
import { PAGE_SIZE } from '../emulator/bus/memory';
import type { Machine } from '../emulator/machine/machine';
import { dmatest, DMATEST_DEFAULTS, type DmatestOptions } from './dmatest';
import { GuestPl330Driver } from './guest-pl330';
import { QEMU_VIRT_LAYOUT, VirtualMachineMonitor, type GuestLayout } from './vmm';
import {
  ScenarioFailure, ScenarioOutput, ScenarioResult, ScenarioSteps, bindToVfio, bootHost, changedPages, openVfioDevice, runSteps, runThrough, unmapDma,
} from './vfio-session';

export interface PassthroughOptions {
  readonly device?: string;
  readonly layout?: GuestLayout;
  readonly dmatest?: DmatestOptions;
  /** Guest physical address outside the guest's RAM that the isolation check aims a copy at. */
  readonly outsideGpa?: number;
}

/** Guest RAM below this offset is the guest kernel's image; allocations start above it. */
const GUEST_KERNEL_BYTES = 1 << 20;

export function vfioPassthrough(machine: Machine, out: ScenarioOutput, options: PassthroughOptions = {}): ScenarioResult {
  return runThrough(machine, vfioPassthroughSteps(machine, out, options));
}

/** Test Case 2 as steps: the machine runs while the guest polls its DMAC or waits for an interrupt. */
export function vfioPassthroughSteps(machine: Machine, out: ScenarioOutput, options: PassthroughOptions = {}): ScenarioSteps {
  const layout = options.layout ?? QEMU_VIRT_LAYOUT;
  const outsideGpa = options.outsideGpa ?? 0x80000000;
  return runSteps(out, function* (log) {
    const name = options.device ?? machine.dmacs[0]?.description.name;
    log.expect(name !== undefined, 'the platform has no DMA-330');
    const { kernel, proc } = bootHost(machine, log);
    const contextFaults: string[] = [];
    kernel.onLog = (line) => {
      if (line.includes('context fault')) contextFaults.push(line);
      log.note(`kernel: ${line}`);
    };
    const session = openVfioDevice(kernel, proc, name!, bindToVfio(kernel, proc, name!, log), log);
    const vmm = new VirtualMachineMonitor(session, layout, machine.dmac(name!)!.description, log);

    log.step(`guest: boot on ${layout.ramSize >> 20} MiB at 0x${layout.ramBase.toString(16)}; probe the devicetree's arm,pl330 node`);
    let free = layout.ramBase + GUEST_KERNEL_BYTES;
    const allocate = (bytes: number): number => {
      const at = free;
      free += Math.ceil(bytes / PAGE_SIZE) * PAGE_SIZE;
      if (free > layout.ramBase + layout.ramSize) throw new ScenarioFailure('guest: out of memory');
      return at;
    };
    const guestLog = (line: string) => log.note(`guest: ${line}`);
    const driver = new GuestPl330Driver(vmm, () => allocate(PAGE_SIZE), guestLog);
    log.expect(driver.base === layout.deviceBase, `the guest found its DMAC at 0x${driver.base.toString(16)}, not at 0x${layout.deviceBase.toString(16)}`);

    const test = options.dmatest ?? DMATEST_DEFAULTS;
    log.step(`guest: modprobe dmatest iterations=${test.iterations} test_buf_size=${test.bufferBytes} (memcpy on the passed-through DMAC)`);
    const summary = yield* dmatest(vmm, driver, allocate, guestLog, test);
    log.expect(summary.failures === 0, `dmatest: ${summary.failures} of ${summary.tests} tests failed: ${summary.errors[0] ?? ''}`);

    log.step(`guest: copy 4 KiB to guest physical 0x${outsideGpa.toString(16)}, outside its RAM (host physical memory there is not the guest's)`);
    const channel = driver.requestChannel();
    log.note(`guest: dma0chan${channel.channel}, completion event ${channel.event}`);
    yield* driver.submit(channel, outsideGpa, allocate(PAGE_SIZE), PAGE_SIZE);
    const before = machine.bus.memory.snapshot();
    const outcome = yield* driver.complete(channel);
    log.expect(!outcome.ok, 'the copy outside the guest RAM completed: the SMMU did not isolate the guest');
    log.note(`guest driver: ${outcome.ok ? 'completed' : outcome.error}`);
    log.expect(contextFaults.length > 0, 'the host SMMU driver reported no context fault');
    const changed = changedPages(before, machine.bus.memory.snapshot());
    log.expect(changed.length === 0, `host memory changed in ${changed.length} page(s), first at 0x${((changed[0] ?? 0) * PAGE_SIZE).toString(16)}`);
    log.note('no byte of host physical memory changed');

    log.step('VMM exits: VFIO_IOMMU_UNMAP_DMA the guest RAM, close the device, group and container');
    const unmapped = unmapDma(session, layout.ramBase, layout.ramSize);
    log.check('UNMAP_DMA', unmapped.ret);
    log.expect(unmapped.size === BigInt(layout.ramSize), `UNMAP_DMA unmapped ${unmapped.size} bytes, not ${layout.ramSize}`);
    proc.exit();
  });
}
