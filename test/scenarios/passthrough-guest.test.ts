// Test Case 2 of the VFIO_PLATFORM guide on Debian's own kernel, dmalab as the hypervisor, run as `dmalab demo
// --scenario test-case-2-linux` runs it (its step lines and PASS checked here, on the same boot): the 6.1 armmp-lpae kernel
// boots as a guest given the platform-bus DMA-330 (2c0a0000.dma) at guest 0x0c000000; its dma-pl330 probes it as an
// AMBA device, dmatest.ko (built out of tree by examples/guest/build-dmatest-6.1.sh) runs 20 iterations on each of
// the 8 channels, and every DMA access goes through the SMMU's stage 2 into the guest's RAM, held in host RAM
// elsewhere. Isolation, from inside the guest: dma_outside.ko (examples/guest/dma-outside/) asks dmaengine for a copy
// to the first address past the guest's RAM; the stage 2 stops it, the guest's dma-pl330 reports the channel's fault,
// the hypervisor the SMMU's, and no host byte changes. Then a copy the test itself starts on the guest's DMAC faults
// likewise, its FSR, FAR and context interrupt read before the hypervisor handles them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassthroughGuest } from '../../emulator/machine/passthrough';
import type { SystemMachine } from '../../emulator/machine/system';
import { runDemo } from '../../scenarios/demo';
import { missingFiles } from '../../scenarios/linux-scenario';
import { packageRoot } from '../../scenarios/platform';
import { testCase2Linux } from '../../scenarios/test-case-2-linux';
import { faultingGuestCopy, writtenHypervisorPages } from '../support/passthrough-support';

const missing = missingFiles(testCase2Linux.boot);
const skip = missing.length > 0 && `${missing.join(', ')} missing (examples/guest/fetch.sh and build-dmatest-6.1.sh could not build them)`;

/** The demo's lines, in this order (each a line of its own). */
const DEMO_LINES = [
  /^== test-case-2-linux: the VFIO_PLATFORM guide's Test Case 2 on Debian's 6\.1 kernel as a guest given a DMA-330/,
  /^\[ 1\] platform: FastModels VE .*1 Cortex-A15, 2048 MiB RAM at 0x80000000, MMU-400 2b400000\.iommu, 4 DMA-330/,
  /^\[ 2\] hypervisor: dmalab gives the guest 2c0a0000\.dma/,
  /^ {5}guest RAM 0x80000000-0x9fffffff \(512 MiB\) is host 0xe0000000-0xffffffff$/,
  /^ {5}2c0a0000\.dma passed through at guest 0xc000000, SPIs 112-120 \(irq0-irq7, abort\); stream 0 on 2b400000\.iommu context bank 0/,
  /^ {5}2b400000\.iommu context bank 0: CBAR 0x[0-9a-f]+ \(stage 2, VMID \d+\), VTCR 0x[0-9a-f]+, VTTBR 0x[0-9a-f]+, SCTLR 0x[0-9a-f]+$/,
  /^\[ 3\] power-on: \.cache\/guest\/boot\/Image with \.cache\/guest\/boot\/test-case-2-guest\.cpio\.gz/,
  /^ {5}guest: Linux version 6\.1\./,
  /^ {5}guest: OF: fdt: Machine model: .*\(dmalab guest\)$/,
  /^ {5}guest: dma-pl330 c000000\.dma: Loaded driver for PL330 DMAC-241330$/,
  /^ {5}guest: DMA channels: dma0chan0 dma0chan1 dma0chan2 dma0chan3 dma0chan4 dma0chan5 dma0chan6 dma0chan7$/,
  /^\[ 4\] dmatest: insmod dmatest\.ko iterations=20, run on every channel$/,
  ...Array.from({ length: 8 }, () => /^ {5}guest: dma0chan\d-copy0: summary 20 tests, 0 failures/),
  /^\[ 5\] isolation: insmod dma_outside\.ko: a dmaengine copy to 0xa0000000, the first address past the guest's RAM$/,
  /^ {5}hypervisor: arm-smmu 2b400000\.iommu: Unhandled context fault: fsr=0x2, iova=0xa0000000, fsynr=0x[0-9a-f]+, cbfrsynra=0x0, cb=0$/,
  /^ {5}guest: dma-pl330 c000000\.dma: Reset Channel-0 +CS-f FTC-20000$/,
  /^ {5}guest: dma_outside: dma0chan0: copy of 64 bytes from 0x[0-9a-f]+ to 0xa0000000/,
  /^\[ 6\] verdict$/,
  /^ {5}dmatest: 8 channels, each 20 tests, 0 failures$/,
  /^ {5}the SMMU stopped the copy: context fault at iova 0xa0000000 \(fsr 0x2\), reported by the hypervisor$/,
  /^ {5}the guest's dma-pl330 reported the channel's fault and reset it$/,
  /^ {5}2c0a0000\.dma's writes: \d+ in the guest's RAM, 1 stopped by the SMMU, 0 elsewhere: no host byte outside the guest's RAM changed$/,
  /^time: power-on to verdict \d+\.\d s, \d+\.\d{3} s of guest time$/,
  /^== test-case-2-linux: passed$/,
  /^$/,
  /^PASS$/,
];

test("Test Case 2 (dmalab demo --scenario test-case-2-linux): Debian's kernel as a guest given 2c0a0000.dma: its dma-pl330 probes the DMAC, dmatest passes on all 8 channels through the SMMU's stage 2; a copy outside the guest's RAM, from dma_outside.ko or started by the test, faults in the stage 2", { skip, timeout: 1_800_000 }, () => {
  const lines: string[] = [];
  let console = '';
  let system: SystemMachine | undefined;
  // Every access of the passed-through DMAC: its address (an IPA) and where the SMMU sent it.
  let inRam = 0, elsewhere = 0, wrong = 0;
  const status = runDemo(['test-case-2-linux'], {
    out: (line) => lines.push(line),
    linux: {
      console: (line) => { console += `${line}\n`; },
      machine: (booting) => {
        system = booting;
        const { ram } = booting.guest as PassthroughGuest;
        booting.machine.bus.observe((access) => {
          if (access.master.name !== '2c0a0000.dma') return;
          if (access.address >= ram.ipa && access.address < ram.ipa + ram.size) {
            inRam++;
            if (access.physical !== access.address - ram.ipa + ram.physical) wrong++;
          } else elsewhere++;
        });
      },
    },
  });
  const output = lines.join('\n');
  assert.equal(status, 0, `${output}\n${console}`);
  // The demo's steps, in order, each line as a user sees it (guest lines the demo does not show are skipped over).
  let at = 0;
  for (const expected of DEMO_LINES) {
    while (at < lines.length && !expected.test(lines[at])) at++;
    assert.ok(at < lines.length, `no line ${expected} (in order) in:\n${output}`);
    at++;
  }
  assert.equal(lines.filter((l) => /^\[\s*\d+\] /.test(l)).length, 6, 'six steps');

  const guest = system!.guest as PassthroughGuest;
  const ram = guest.ram;
  // The guest's view: its RAM, dma-pl330 on the DMAC with 8 channels, no host device but the assigned one.
  assert.match(console, /Memory: \d+K\/524288K available/, 'the guest has its 512 MiB');
  assert.match(console, /dma-pl330 c000000\.dma: \tDBUFF-256x8bytes Num_Chans-8 Num_Peri-4 Num_Events-16/);
  assert.doesNotMatch(console, /arm-smmu|2c0a1000|2b400000/, 'no host device but the assigned one');
  // The kernel ran from host RAM at the guest RAM's place: its text (1 MiB in) is there, not at the guest addresses.
  const kernel = readFileSync(join(packageRoot(), testCase2Linux.boot.kernel));
  const memory = system!.machine.bus.memory;
  const text = new Uint8Array(256), identity = new Uint8Array(256);
  memory.readBlock(ram.physical + 0x8000 + 0x100000, text, 0, 256);
  memory.readBlock(ram.ipa + 0x8000 + 0x100000, identity, 0, 256);
  assert.deepEqual(text, new Uint8Array(kernel.subarray(0x100000, 0x100100)));
  assert.deepEqual(identity, new Uint8Array(256));

  // dmatest's DMA: through the stage 2 into the guest's RAM, nothing anywhere else but dma_outside's one attempt.
  assert.ok(inRam > 8 * 20 * 2, `${inRam} accesses in the guest's RAM`);
  assert.equal(wrong, 0, 'every access translated IPA -> host physical as mapped');
  assert.equal(elsewhere, 1, 'one access outside the guest RAM: the faulting write');
  // dma_outside: the fault the hypervisor handled, nothing written at the host address a bypassing SMMU would have
  // written: host RAM outside the guest's holds the SMMU's tables and nothing else.
  assert.equal(guest.faults.length, 1, guest.faults.join('\n'));
  assert.deepEqual(writtenHypervisorPages(system!, guest), [0x80000000, 0x80002000], 'host RAM outside the guest\'s holds the SMMU\'s tables and nothing else');

  // Isolation: a copy the guest's DMAC is told to make just past the guest's RAM faults in the stage 2.
  const fault = faultingGuestCopy(system!, guest, ram.ipa + ram.size);
  assert.equal(fault.copied, false, 'no host byte changed');
  assert.ok(fault.fsr & 2, `FSR 0x${fault.fsr.toString(16)}: translation fault`);
  assert.equal(fault.far, ram.ipa + ram.size);
  assert.equal(fault.contextInterrupt, true);
  assert.equal(fault.channelFault, true, "the DMAC's channel took the bus error");
});
