// The VFIO_PLATFORM guide's Test Case 1 on Debian's 6.12 armmp-lpae kernel as the host, unmodified: its arm-smmu
// drives the MMU-400, the out-of-tree vfio-platform takes 2c0a0000.dma, and examples/vfio-pl330/vfio-pl330 (the
// guide's userspace driver) copies a page through a type-1 container, then aims a copy at an unmapped IOVA, which the
// SMMU stops. The initramfs is examples/guest/initramfs.sh's test-case-1-host.cpio.gz; the machine is the host
// variant of the guide's platform, whose 40-bit dma-ranges window keeps ARM's DMA mapping off the DMAC so that VFIO
// can claim its IOMMU group (examples/platforms/vexpress-mmu400-dma330-host.dts says why).
import type { BusAccess } from '../emulator/bus/bus';
import type { MachineSmmu } from '../emulator/machine/machine';
import type { SystemMachine, SystemOutcome } from '../emulator/machine/system';
import { outcomeProblem, withoutTimestamp, type ConsoleWatch, type KernelBoot, type LinuxScenario } from './linux-scenario';
import type { StepLog } from './vfio-session';

const DEVICE = '2c0a0000.dma';
const BOOT: KernelBoot = {
  kernel: '.cache/guest/6.12/armmp-lpae/Image',
  initrd: '.cache/guest/6.12/test-case-1-host.cpio.gz',
  platform: 'examples/platforms/vexpress-mmu400-dma330-host.dts',
  // No crypto self-tests, no jitter entropy collector (0.3 G instructions of SHA-3), 256 MiB of the 2 GiB (ARM frees
  // each highmem page one by one at boot): the test case needs none of them.
  append: 'console=ttyAMA0 cryptomgr.notests=1 initcall_blacklist=jent_mod_init mem=256M',
  cpus: 1,
  // The verdict comes after 0.46 s of guest time.
  maxSeconds: 5,
};

/** The kernel's lines that matter to the test case (after the timestamp). */
const KERNEL_LINES = [
  /^Linux version /, /^OF: fdt: Machine model: /, /^Memory: \d+K\/\d+K available/, /^arm-smmu \S+: (SMMUv\d with|\s*\d+ context banks|\s*Stage-\d: )/,
  /^vfio-platform \S+: Adding to iommu group/, /IOMMU mapping for device/, /^arm-smmu \S+: (Unhandled context fault|FSR|FSYNR0)/,
];
/** ARM's DMA mapping refused the device's window (arch/arm/mm/dma-mapping.c): its group keeps the default domain. */
const NO_ARM_MAPPING = new RegExp(`^Failed to create (\\d+)-byte IOMMU mapping for device ${DEVICE.replace('.', '\\.')}`);
const CONTEXT_FAULT = /Unhandled context fault: fsr=(0x[0-9a-f]+), iova=(0x[0-9a-f]+)/;
/** vfio-pl330's lines, and the exit status the /init prints after each run. */
const PROGRAM_START = /^device (\S+) \((\S+) bus, (\S+)\), group (\S+)$/;
const COPY = /^copy of (\d+) bytes: (PASS|FAIL)$/;
const AIMED = /^isolation: destination not mapped, copy aimed at unmapped iova (0x[0-9a-f]+)$/;
const ISOLATION = /^isolation: .*: (PASS|FAIL)$/;
const EXIT = /^vfio-pl330 (--unmapped )?exit status (\d+)$/;
/** vfio-pl330's other lines, shown as they come. */
const PROGRAM_LINES = [/^iommu page sizes /, /^device flags /, /^region \d+:/, /^microcode: /, /^interrupt on /, /^CSR0 /, /^vfio-pl330: /];

const hex = (n: number): string => `0x${n.toString(16)}`;

export const testCase1Linux: LinuxScenario = {
  title: "the VFIO_PLATFORM guide's Test Case 1 on Debian's 6.12 kernel as the host: vfio-platform gives the DMA-330 to vfio-pl330 through Linux's arm-smmu, which also isolates it",
  boot: BOOT,
  watch: (system, log) => new TestCase1Watch(system, log),
};

/** What the DMAC did during one run of vfio-pl330. */
interface Phase {
  /** Writes that reached memory through a translation, and those the SMMU stopped. */
  translated: number;
  translatedBytes: number;
  stopped: number;
  /** Writes that reached memory at the address the DMAC issued (untranslated). */
  untranslated: number;
  /** The SMMU's route of the stream at the DMAC's first access, as a log line. */
  route?: string;
  result?: 'PASS' | 'FAIL';
  exitStatus?: number;
}

class TestCase1Watch implements ConsoleWatch {
  private readonly smmu: MachineSmmu | undefined;
  private readonly streamId: number;
  private readonly phases: Phase[] = [];
  private noArmMapping = false;
  /** vfio-pl330 found the device's group. */
  private groupFound = false;
  private unmappedIova?: number;
  private readonly contextFaults: { fsr: number; iova: number }[] = [];
  /** The /init's last run ended: what the kernel prints after is dmesg's replay and the power-off. */
  private done = false;

  constructor(system: SystemMachine, private readonly log: StepLog) {
    const { machine } = system;
    const platform = machine.platform;
    const dmac = machine.dmac(DEVICE);
    this.smmu = dmac?.smmu;
    this.streamId = dmac?.description.iommu?.streamIds[0] ?? 0;
    const ram = platform.memory[0];
    log.step(`platform: ${platform.model}; ${system.cpus.length} Cortex-A15, ${ram.size / 2 ** 20} MiB RAM at ${hex(ram.base)}, ` +
      `${platform.smmus.map((s) => `MMU-400 ${s.name}`).join(', ')}, ${platform.dmacs.length} DMA-330 (${platform.dmacs.map((d) => d.name).join(', ')})`);
    log.note(`${BOOT.platform}: ${DEVICE} on a bus with a 40-bit dma-ranges window (stream ${this.streamId} of the MMU-400)`);
    log.step(`power-on: ${BOOT.kernel} with ${BOOT.initrd}, '${BOOT.append}'`);
    machine.bus.observe((access) => {
      if (access.write && access.master.name === DEVICE) this.dmacWrite(access);
    });
  }

  line(raw: string): void {
    if (this.done) return;
    const kernel = raw !== withoutTimestamp(raw);
    const text = withoutTimestamp(raw).replace(/\t/g, ' ');
    if (kernel) this.kernelLine(text);
    else this.programLine(text);
  }

  private kernelLine(text: string): void {
    if (!KERNEL_LINES.some((re) => re.test(text))) return;
    this.log.note(`host: ${text}`);
    const fault = CONTEXT_FAULT.exec(text);
    if (fault) this.contextFaults.push({ fsr: Number(fault[1]), iova: Number(fault[2]) });
    if (NO_ARM_MAPPING.test(text) && !this.noArmMapping) {
      this.noArmMapping = true;
      this.log.note("ARM's DMA mapping supports 32-bit windows only: the group stays in its default domain, for VFIO to claim");
    }
  }

  private programLine(text: string): void {
    const start = PROGRAM_START.exec(text);
    const copy = COPY.exec(text);
    const aimed = AIMED.exec(text);
    const isolation = ISOLATION.exec(text);
    const exit = EXIT.exec(text);
    if (text.startsWith('dmalab Test Case 1 host: ')) {
      this.log.step(`host /init on ${text.slice('dmalab Test Case 1 host: '.length)}: insmod vfio, vfio_iommu_type1 allow_unsafe_interrupts=1, ` +
        'vfio-platform-base, vfio-platform reset_required=0, vfio-amba');
    } else if (start) {
      this.groupFound = true;
      const isolating = this.phases.length > 0;
      this.phases.push({ translated: 0, translatedBytes: 0, stopped: 0, untranslated: 0 });
      this.log.step(isolating
        ? `vfio-pl330 --unmapped ${DEVICE}: the same driver, the destination not mapped, the copy aimed at an unmapped IOVA`
        : `vfio-pl330 ${DEVICE}: bind to ${start[3]} (driver_override, drivers_probe), container and group ${start[4]}, type-1, MAP_DMA, DMAGO through the debug registers`);
      this.programNote(text);
    } else if (copy || isolation) {
      const phase = this.phases.at(-1);
      if (phase) phase.result = (copy ?? isolation)!.at(-1) as 'PASS' | 'FAIL';
      this.programNote(text);
    } else if (aimed) {
      this.unmappedIova = Number(aimed[1]);
      this.programNote(text);
    } else if (exit) {
      const phase = this.phases.at(-1);
      if (phase) phase.exitStatus = Number(exit[2]);
      this.log.note(`init: ${text}`);
      this.done = exit[1] !== undefined;
    } else if (text.startsWith('insmod ')) this.log.note(`init: ${text}`);
    else if (PROGRAM_LINES.some((re) => re.test(text))) this.programNote(text);
  }

  /** Counts the DMAC's writes for the current run of vfio-pl330; its first access also shows the SMMU's route. */
  private dmacWrite(access: BusAccess): void {
    const phase = this.phases.at(-1);
    if (!phase) return;
    if (phase.route === undefined) phase.route = this.route(access.address);
    if (access.physical < 0) phase.stopped++;
    else if (access.physical === access.address) phase.untranslated++;
    else {
      phase.translated++;
      phase.translatedBytes += access.data.length;
    }
  }

  /** The stream's route through the SMMU for an address, and its context bank's registers as arm-smmu wrote them. */
  private route(address: number): string {
    if (!this.smmu) return `${DEVICE} is behind no SMMU`;
    const smmu = this.smmu.device;
    const found = smmu.inspect(this.streamId, address, true);
    const where = found.physical !== undefined ? `-> ${hex(found.physical)}` : `fault (${found.fault?.kind}, level ${found.fault?.level})`;
    if (found.bank === undefined) return `${smmu.name}: stream ${this.streamId} ${found.bypass ?? where}`;
    const cb = (name: string): number => smmu.register(`CB${found.bank}.${name}`);
    // TTBR0[63:32]: ASID in bits [55:48], the table's address bits [39:32] below.
    const table = (cb('TTBR0_HI') & 0xff) * 2 ** 32 + cb('TTBR0');
    return `${smmu.name}: stream ${this.streamId} -> context bank ${found.bank} (${found.bankType}): CBAR ${hex(smmu.register(`CBAR${found.bank}`))}, ` +
      `SCTLR ${hex(cb('SCTLR'))}, TCR ${hex(cb('TCR'))}, TTBR0 ${hex(table)} (ASID ${(cb('TTBR0_HI') >>> 16) & 0xff}); iova ${hex(address)} ${where}`;
  }

  verdict(outcome: SystemOutcome): { pass: boolean; failure?: string } {
    this.log.step('verdict');
    const problems: string[] = [];
    const ended = outcomeProblem(outcome, BOOT);
    if (ended) problems.push(ended);
    if (!this.noArmMapping) problems.push(`no "Failed to create ... IOMMU mapping for device ${DEVICE}": ARM's DMA mapping took the device (the platform lacks the 40-bit dma-ranges window?)`);
    if (!this.groupFound) problems.push(`vfio-pl330 did not get ${DEVICE}'s group`);
    const [copy, isolation] = this.phases;
    if (copy) this.copyVerdict(copy, problems);
    if (!isolation) problems.push('the isolation check did not run');
    else this.isolationVerdict(isolation, problems);
    return problems.length === 0 ? { pass: true } : { pass: false, failure: problems.join('; ') };
  }

  private copyVerdict(copy: Phase, problems: string[]): void {
    this.log.note(`the copy's DMA: ${copy.route ?? 'no access'}`);
    if (copy.result !== 'PASS' || copy.exitStatus !== 0) problems.push(`the copy: ${copy.result ?? 'no result'}, exit status ${copy.exitStatus ?? 'none'}`);
    else if (copy.translated === 0 || copy.untranslated > 0 || copy.stopped > 0) {
      problems.push(`the copy's writes: ${copy.translated} translated by the SMMU, ${copy.untranslated} untranslated, ${copy.stopped} stopped`);
    } else this.log.note(`the copy: PASS, ${copy.translated} writes (${copy.translatedBytes} bytes) of ${DEVICE}, every one translated by the SMMU's stage 1`);
  }

  private isolationVerdict(isolation: Phase, problems: string[]): void {
    const iova = this.unmappedIova;
    this.log.note(`the isolation check's DMA: ${isolation.route ?? 'no access'}`);
    const fault = this.contextFaults.find((f) => f.iova === iova);
    if (iova === undefined || !fault) problems.push(`arm-smmu reported no context fault at ${iova === undefined ? 'the unmapped IOVA' : hex(iova)}`);
    else this.log.note(`arm-smmu: context fault at iova ${hex(fault.iova)} (fsr ${hex(fault.fsr)}) in dmesg`);
    if (isolation.result !== 'PASS' || isolation.exitStatus !== 0) {
      problems.push(`the isolation check: ${isolation.result ?? 'no result'} (the channel must abort, the destination stay untouched), exit status ${isolation.exitStatus ?? 'none'}`);
    } else this.log.note('vfio-pl330: the channel aborted on its write, the destination buffer untouched');
    if (isolation.stopped === 0 || isolation.translated + isolation.untranslated > 0) {
      problems.push(`the isolation check's writes: ${isolation.stopped} stopped by the SMMU, ${isolation.translated + isolation.untranslated} reached memory`);
    } else this.log.note(`${DEVICE}'s writes: ${isolation.stopped} stopped by the SMMU, 0 reached memory: no byte outside the mappings changed`);
  }

  private programNote(text: string): void {
    this.log.note(`vfio-pl330: ${text.replace(/^vfio-pl330: /, '')}`);
  }
}
