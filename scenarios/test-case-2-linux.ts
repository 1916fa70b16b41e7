// The VFIO_PLATFORM guide's Test Case 2 on Debian's 6.1 armmp-lpae kernel, dmalab as the hypervisor: the kernel boots
// as a guest given 2c0a0000.dma (passthrough.ts), its own dma-pl330 probes the DMAC, dmatest.ko runs 20 iterations on
// every channel, then dma_outside.ko asks dmaengine for a copy to the first address past the guest's RAM, which the
// SMMU's stage 2 stops. The initramfs is examples/guest/build-dmatest-6.1.sh's: its /test prints `== DMA channels:
// ...`, `== dmatest done` and `== dma_outside done` between the parts and powers off.
import { PhysicalAccess } from '../emulator/host/physical';
import type { PassthroughGuest } from '../emulator/machine/passthrough';
import type { SystemMachine, SystemOutcome } from '../emulator/machine/system';
import { SMMU_PAGE_SIZE } from '../emulator/smmu/config';
import { smmuRegisterMaps } from '../emulator/smmu/registers';
import { HYPERVISOR_PREFIX, outcomeProblem, withoutTimestamp, type ConsoleWatch, type KernelBoot, type LinuxScenario } from './linux-scenario';
import type { StepLog } from './vfio-session';

const ITERATIONS = 20;
const BOOT: KernelBoot = {
  kernel: '.cache/guest/boot/Image',
  initrd: '.cache/guest/boot/test-case-2-guest.cpio.gz',
  append: 'console=ttyAMA0 cryptomgr.notests=1',
  cpus: 1,
  passthrough: ['2c0a0000.dma'],
  // The verdict comes after 0.32 s of guest time; a kernel that spins runs at about 1/165 of real time.
  maxSeconds: 10,
};

/** The guest's boot lines that matter to the test case (after the timestamp). */
const BOOT_LINES = [/^Linux version /, /^OF: fdt: Machine model: /, /^Memory: \d+K\/\d+K available/, /^dma-pl330 /, /^dmalab guest: /];
const CHANNELS = /^== DMA channels: (.*)$/;
const SUMMARY = /^dmatest: (\S+?)-copy\d+: summary (\d+) tests, (\d+) failures/;
const CONTEXT_FAULT = /Unhandled context fault: fsr=(0x[0-9a-f]+), iova=(0x[0-9a-f]+)/;
const CHANNEL_FAULT = /^dma-pl330 \S+: Reset Channel-\d+/;
const OUTSIDE_COPY = /^dma_outside: /;

const hex = (n: number): string => `0x${n.toString(16)}`;

export const testCase2Linux: LinuxScenario = {
  title: "the VFIO_PLATFORM guide's Test Case 2 on Debian's 6.1 kernel as a guest given a DMA-330: its dma-pl330 runs dmatest on every channel, the SMMU's stage 2 isolates it",
  boot: BOOT,
  watch: (system, log) => new TestCase2Watch(system, log),
};

class TestCase2Watch implements ConsoleWatch {
  private readonly guest: PassthroughGuest;
  /** The passed-through DMAC (Linux's name on the host). */
  private readonly device: string;
  private channels: string[] = [];
  private readonly summaries = new Map<string, { tests: number; failures: number }>();
  private readonly contextFaults: { fsr: number; iova: number }[] = [];
  private channelFault = false;
  private outsideCopyReported = false;
  /** The passed-through DMAC's writes: inside the guest's RAM, stopped by the SMMU, or anywhere else in the host. */
  private writesInGuestRam = 0;
  private writesStopped = 0;
  private writesElsewhere = 0;

  constructor(system: SystemMachine, private readonly log: StepLog) {
    this.guest = system.guest as PassthroughGuest;
    this.device = this.guest.devices[0].name;
    const { machine } = system;
    const platform = machine.platform;
    const ram = platform.memory[0];
    log.step(`platform: ${platform.model}; ${system.cpus.length} Cortex-A15, ${mib(ram.size)} MiB RAM at ${hex(ram.base)}, ` +
      `${platform.smmus.map((s) => `MMU-400 ${s.name}`).join(', ')}, ${platform.dmacs.length} DMA-330 (${platform.dmacs.map((d) => d.name).join(', ')})`);
    log.step(`hypervisor: dmalab gives the guest ${this.device} (KVM left 32-bit ARM hosts in Linux 5.7)`);
    for (const line of this.guest.describe()) log.note(line);
    for (const line of stage2Registers(system, this.guest)) log.note(line);
    log.step(`power-on: ${BOOT.kernel} with ${BOOT.initrd}, '${BOOT.append}'`);
    const guestRam = this.guest.ram;
    machine.bus.observe((access) => {
      if (!access.write || access.master.name !== this.device) return;
      if (access.physical < 0) this.writesStopped++;
      else if (access.physical >= guestRam.physical && access.physical < guestRam.physical + guestRam.size) this.writesInGuestRam++;
      else this.writesElsewhere++;
    });
  }

  line(raw: string): void {
    if (raw.startsWith(HYPERVISOR_PREFIX)) {
      const fault = CONTEXT_FAULT.exec(raw);
      if (fault) this.contextFaults.push({ fsr: Number(fault[1]), iova: Number(fault[2]) });
      this.log.note(raw.slice('dmalab '.length));
      return;
    }
    const text = withoutTimestamp(raw).replace(/\t/g, ' ');
    const channels = CHANNELS.exec(text);
    const summary = SUMMARY.exec(text);
    if (BOOT_LINES.some((re) => re.test(text)) && !CHANNEL_FAULT.test(text)) this.guestNote(text);
    else if (channels) {
      this.channels = channels[1].trim().split(/\s+/).filter(Boolean);
      this.guestNote(`DMA channels: ${this.channels.join(' ') || 'none'}`);
      this.log.step(`dmatest: insmod dmatest.ko iterations=${ITERATIONS}, run on every channel`);
    } else if (summary) {
      this.summaries.set(summary[1], { tests: Number(summary[2]), failures: Number(summary[3]) });
      this.guestNote(text.replace(/^dmatest: /, ''));
    } else if (text === '== dmatest done') {
      this.log.step(`isolation: insmod dma_outside.ko: a dmaengine copy to ${hex(this.outside)}, the first address past the guest's RAM`);
    } else if (CHANNEL_FAULT.test(text)) {
      this.channelFault = true;
      this.guestNote(text);
    } else if (OUTSIDE_COPY.test(text)) {
      this.outsideCopyReported = true;
      this.guestNote(text);
    }
  }

  verdict(outcome: SystemOutcome): { pass: boolean; failure?: string } {
    this.log.step('verdict');
    const problems: string[] = [];
    const ended = outcomeProblem(outcome, BOOT);
    if (ended) problems.push(ended);
    const failing = this.channels.filter((c) => {
      const s = this.summaries.get(c);
      return s === undefined || s.tests !== ITERATIONS || s.failures !== 0;
    });
    if (this.channels.length === 0) problems.push('the guest has no DMA channel');
    else if (failing.length > 0) problems.push(`dmatest: ${failing.map((c) => `${c} ${this.summaryText(c)}`).join(', ')}`);
    else this.log.note(`dmatest: ${this.channels.length} channels, each ${ITERATIONS} tests, 0 failures`);
    const fault = this.contextFaults.find((f) => f.iova === this.outside);
    if (!fault) problems.push(`no SMMU context fault at ${hex(this.outside)}`);
    else this.log.note(`the SMMU stopped the copy: context fault at iova ${hex(fault.iova)} (fsr ${hex(fault.fsr)}), reported by the hypervisor`);
    if (!this.channelFault) problems.push("the guest's dma-pl330 reported no channel fault");
    else this.log.note("the guest's dma-pl330 reported the channel's fault and reset it");
    if (!this.outsideCopyReported) problems.push('dma_outside.ko reported nothing');
    if (this.writesElsewhere > 0) problems.push(`${this.writesElsewhere} writes of ${this.device} reached host memory outside the guest's RAM`);
    else this.log.note(`${this.device}'s writes: ${this.writesInGuestRam} in the guest's RAM, ${this.writesStopped} stopped by the SMMU, 0 elsewhere: no host byte outside the guest's RAM changed`);
    return problems.length === 0 ? { pass: true } : { pass: false, failure: problems.join('; ') };
  }

  /** The guest physical address just past its RAM: where dma_outside.ko aims its copy. */
  private get outside(): number {
    return this.guest.ram.ipa + this.guest.ram.size;
  }

  private summaryText(channel: string): string {
    const s = this.summaries.get(channel);
    return s ? `${s.tests} tests, ${s.failures} failures` : 'no summary';
  }

  private guestNote(text: string): void {
    this.log.note(`guest: ${text}`);
  }
}

const mib = (bytes: number): number => bytes / 2 ** 20;

/** The assigned DMAC's SMMU context bank as its registers hold it: the stage-2 context the hypervisor programmed. */
function stage2Registers(system: SystemMachine, guest: PassthroughGuest): string[] {
  const host = new PhysicalAccess(system.machine.bus);
  return guest.devices.map(({ domain }) => {
    const smmu = domain.smmu;
    const maps = smmuRegisterMaps(smmu.machineSmmu.device.config);
    const base = smmu.machineSmmu.description.base;
    const cbar = host.readl(base + SMMU_PAGE_SIZE + maps.gr1.named(`CBAR${domain.bank}`)!.offset);
    const bank = (name: string): number => host.readl(base + (smmu.features.pagesPerHalf + domain.bank) * SMMU_PAGE_SIZE + maps.contextBank.named(name)!.offset);
    const type = (cbar >>> 16) & 3;
    return `${smmu.name} context bank ${domain.bank}: CBAR ${hex(cbar)} (${type === 0 ? 'stage 2' : `type ${type}`}, VMID ${cbar & 0xff}), ` +
      `VTCR ${hex(bank('TCR'))}, VTTBR ${hex(bank('TTBR0_HI') * 2 ** 32 + bank('TTBR0'))}, SCTLR ${hex(bank('SCTLR'))}`;
  });
}
