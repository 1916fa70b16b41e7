// Test Case 2 of the VFIO_PLATFORM guide on Debian's own kernel, dmalab as the hypervisor: the 6.1 armmp-lpae kernel
// boots as a guest given the platform-bus DMA-330 (2c0a0000.dma) at guest 0x0c000000; its dma-pl330 probes it as an
// AMBA device, dmatest.ko (built out of tree by examples/guest/build-dmatest-6.1.sh) runs 20 iterations on each of
// the 8 channels, and every DMA access goes through the SMMU's stage 2 into the guest's RAM, held in host RAM
// elsewhere. Isolation, from inside the guest: dma_outside.ko (examples/guest/dma-outside/) asks dmaengine for a copy
// to the first address past the guest's RAM; the stage 2 stops it, the guest's dma-pl330 reports the channel's fault,
// the hypervisor the SMMU's, and no host byte changes. Then a copy the test itself starts on the guest's DMAC faults
// likewise, its FSR, FAR and context interrupt read before the hypervisor handles them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformFromDtb } from '../../emulator/machine/from-dtb';
import { bootKernel } from '../../emulator/machine/linux-boot';
import { PassthroughGuest } from '../../emulator/machine/passthrough';
import { SystemMachine } from '../../emulator/machine/system';
import { loadPlatformDtb } from '../../scenarios/platform';
import { GUEST, INITRAMFS, ZIMAGE, imageOf, initramfsWith } from '../support/debian-kernel';
import { faultingGuestCopy, writtenHypervisorPages } from '../machine/passthrough-support';

const DMATEST = join(GUEST, 'modules', 'dmatest.ko');
const DMA_OUTSIDE = join(GUEST, 'modules', 'dma_outside.ko');
const skip = [ZIMAGE, INITRAMFS].every(existsSync)
  ? [DMATEST, DMA_OUTSIDE].every(existsSync) ? false : `${DMATEST} or ${DMA_OUTSIDE} is missing (examples/guest/build-dmatest-6.1.sh could not build them)`
  : `${ZIMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;

const SCRIPT = [
  '#!/bin/sh',
  'echo "== DMA channels: $(ls /sys/class/dma/ | tr "\\n" " ")"',
  'insmod /dmatest.ko iterations=20 threads_per_chan=1 test_buf_size=4096 timeout=3000',
  'echo 1 > /sys/module/dmatest/parameters/run',
  'cat /sys/module/dmatest/parameters/wait',
  'echo "== dmatest done"',
  'rmmod dmatest',
  'insmod /dma_outside.ko target=0xa0000000',
  'poweroff -f',
  '',
].join('\n');

test("Test Case 2: Debian's kernel as a guest given 2c0a0000.dma: its dma-pl330 probes the DMAC, dmatest passes on all 8 channels through the SMMU's stage 2; a copy outside the guest's RAM, from dma_outside.ko or started by the test, faults in the stage 2", { skip, timeout: 1_800_000 }, () => {
  const dtb = loadPlatformDtb(undefined, () => {});
  let console = '';
  const system = new SystemMachine(platformFromDtb(dtb), {
    cpus: 1, console: (byte) => { console += String.fromCharCode(byte); },
    guest: (machine) => new PassthroughGuest(machine, dtb, { devices: ['2c0a0000.dma'] }),
  });
  const guest = system.guest as PassthroughGuest;
  const ram = guest.ram;
  // Every access of the passed-through DMAC: its address (an IPA) and where the SMMU sent it.
  let inRam = 0, elsewhere = 0, wrong = 0;
  system.machine.bus.observe((access) => {
    if (access.master.name !== '2c0a0000.dma') return;
    if (access.address >= ram.ipa && access.address < ram.ipa + ram.size) {
      inRam++;
      if (access.physical !== access.address - ram.ipa + ram.physical) wrong++;
    } else elsewhere++;
  });
  const kernel = imageOf(readFileSync(ZIMAGE));
  bootKernel(system, { kernel, dtb: guest.dtb, initrd: initramfsWith({ test: SCRIPT, 'dmatest.ko': readFileSync(DMATEST), 'dma_outside.ko': readFileSync(DMA_OUTSIDE) }), bootargs: 'console=ttyAMA0 cryptomgr.notests=1' });
  const outcome = system.run(20_000_000_000);
  assert.equal(outcome.kind, 'off', `${JSON.stringify(outcome)}\n${console}`);

  // The guest's view: its devicetree's DMAC at the guest address, its RAM, dma-pl330 on it with 8 channels.
  assert.match(console, /OF: fdt: Machine model: .*\(dmalab guest\)/);
  assert.match(console, /Memory: \d+K\/524288K available/, 'the guest has its 512 MiB');
  assert.match(console, /dma-pl330 c000000\.dma: Loaded driver for PL330 DMAC-241330/, console);
  assert.match(console, /dma-pl330 c000000\.dma: \tDBUFF-256x8bytes Num_Chans-8 Num_Peri-4 Num_Events-16/);
  assert.doesNotMatch(console, /arm-smmu|2c0a1000|2b400000/, 'no host device but the assigned one');
  const channels = /== DMA channels: (.*)/.exec(console)?.[1].trim().split(/\s+/) ?? [];
  assert.deepEqual(channels.sort(), Array.from({ length: 8 }, (_, c) => `dma0chan${c}`));
  // The kernel ran from host RAM at the guest RAM's place: its text (1 MiB in) is there, not at the guest addresses.
  const memory = system.machine.bus.memory;
  const text = new Uint8Array(256), identity = new Uint8Array(256);
  memory.readBlock(ram.physical + 0x8000 + 0x100000, text, 0, 256);
  memory.readBlock(ram.ipa + 0x8000 + 0x100000, identity, 0, 256);
  assert.deepEqual(text, kernel.subarray(0x100000, 0x100100));
  assert.deepEqual(identity, new Uint8Array(256));

  // dmatest: every channel's summary, no failure.
  assert.match(console, /== dmatest done/, console);
  for (let c = 0; c < 8; c++) {
    assert.match(console, new RegExp(`dma0chan${c}-copy0: summary 20 tests, 0 failures`), `dma0chan${c}\n${console}`);
  }
  // Its DMA: through the stage 2 into the guest's RAM, nothing anywhere else but dma_outside's one attempt.
  assert.ok(inRam > 8 * 20 * 2, `${inRam} accesses in the guest's RAM`);
  assert.equal(wrong, 0, 'every access translated IPA -> host physical as mapped');
  assert.equal(elsewhere, 1, 'one access outside the guest RAM: the faulting write');

  // dma_outside: the channel's data write error (FTR bit 17) in the guest, the SMMU's translation fault at the
  // hypervisor, nothing written at the host address a bypassing SMMU would have written.
  assert.match(console, /dma-pl330 c000000\.dma: Reset Channel-0\t CS-f FTC-20000/, console);
  assert.match(console, /dma_outside: dma0chan0: copy of 64 bytes from 0x[0-9a-f]+ to 0xa0000000/);
  assert.equal(guest.faults.length, 1, guest.faults.join('\n'));
  assert.match(guest.faults[0], /^arm-smmu 2b400000\.iommu: Unhandled context fault: fsr=0x2, iova=0xa0000000, fsynr=0x[0-9a-f]+, cbfrsynra=0x0, cb=0$/);
  assert.deepEqual(writtenHypervisorPages(system, guest), [0x80000000, 0x80002000], 'host RAM outside the guest\'s holds the SMMU\'s tables and nothing else');

  // Isolation: a copy the guest's DMAC is told to make just past the guest's RAM faults in the stage 2.
  const fault = faultingGuestCopy(system, guest, ram.ipa + ram.size);
  assert.equal(fault.copied, false, 'no host byte changed');
  assert.ok(fault.fsr & 2, `FSR 0x${fault.fsr.toString(16)}: translation fault`);
  assert.equal(fault.far, ram.ipa + ram.size);
  assert.equal(fault.contextInterrupt, true);
  assert.equal(fault.channelFault, true, "the DMAC's channel took the bus error");
});
