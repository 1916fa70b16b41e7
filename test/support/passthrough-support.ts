// What the passthrough tests do to a guest's assigned DMAC from outside the guest (as a test harness, not a driver):
// a one-word copy started on a channel through the guest's view of its registers, then the SMMU context bank and
// the host's GIC read through their registers.
import { BusResponse } from '../../emulator/bus/bus';
import { FSR_FAULTS } from '../../emulator/smmu/registers';
import { SMMU_PAGE_SIZE } from '../../emulator/smmu/config';
import { smmuRegisterMaps } from '../../emulator/smmu/registers';
import { PL330_REGISTER_MAP } from '../../emulator/pl330/registers';
import { debugGo, writeDebugInstruction } from '../../emulator/pl330/debug';
import { PhysicalAccess } from '../../emulator/host/physical';
import type { PassthroughGuest } from '../../emulator/machine/passthrough';
import type { SystemMachine } from '../../emulator/machine/system';
import { assemble } from '../../server/pl330/assembler';

export interface GuestCopyFault {
  /** Whether the word reached the host memory a bypassed SMMU would have written. */
  readonly copied: boolean;
  readonly fsr: number;
  readonly far: number;
  /** The context bank's interrupt is pending in the host's GIC. */
  readonly contextInterrupt: boolean;
  /** The DMAC's FSRC: its channel 0 faulted. */
  readonly channelFault: boolean;
}

const PATTERN = 0x5a;

/** Channel 0 of the guest's first assigned DMAC copies a word from the end of the guest's RAM to `target` (an IPA). */
export function faultingGuestCopy(system: SystemMachine, guest: PassthroughGuest, target: number): GuestCopyFault {
  const machine = system.machine;
  const host = new PhysicalAccess(machine.bus);
  const device = guest.devices[0];
  const guestRegister = (name: string) => guest.stage2(device.guestBase + PL330_REGISTER_MAP.named(name)!.offset);
  const microcode = guest.ram.ipa + guest.ram.size - 0x2000, source = microcode + 0x1000;
  const program = assemble(['DMAMOV CCR, SB1 SS32 SAI DB1 DS32 DAI', `DMAMOV SAR, 0x${source.toString(16)}`, `DMAMOV DAR, 0x${target.toString(16)}`, 'DMALD', 'DMAST', 'DMAEND'].join('\n'), { base: microcode });
  if (program.errorCount > 0) throw new Error(program.diagnostics.map((d) => d.message).join('; '));
  system.load(microcode, program.programs[0].bytes);
  system.load(source, Uint8Array.of(1, 2, 3, 4));
  // The host memory the copy would reach if the SMMU let the IPA through untranslated.
  machine.bus.memory.fill(target, 4, PATTERN);
  writeDebugInstruction((offset, value) => host.writel(guest.stage2(device.guestBase + offset), value), debugGo(0, microcode));
  machine.run({ maxCycles: 100_000 });
  const bytes = new Uint8Array(4);
  const copied = machine.bus.physicalRead(target, bytes, 0, 4) === BusResponse.Okay && bytes.some((b) => b !== PATTERN);

  return { copied, ...contextBankFault(system, guest), channelFault: (host.readl(guestRegister('FSRC')) & 1) !== 0 };
}

/** The first assigned DMAC's context bank, through the SMMU's registers: FSR's fault bits, FAR, and whether its
 * context interrupt is pending at the host's GIC. */
export function contextBankFault(system: SystemMachine, guest: PassthroughGuest): Pick<GuestCopyFault, 'fsr' | 'far' | 'contextInterrupt'> {
  const host = new PhysicalAccess(system.machine.bus);
  const { domain } = guest.devices[0];
  const smmu = domain.smmu;
  const maps = smmuRegisterMaps(smmu.machineSmmu.device.config);
  const base = smmu.machineSmmu.description.base;
  const bank = (name: string) => host.readl(base + (smmu.features.pagesPerHalf + domain.bank) * SMMU_PAGE_SIZE + maps.contextBank.named(name)!.offset);
  const cbar = host.readl(base + SMMU_PAGE_SIZE + maps.gr1.named(`CBAR${domain.bank}`)!.offset);
  const spi = smmu.machineSmmu.description.contextInterrupts[cbar >>> 24].spi;
  return { fsr: bank('FSR') & FSR_FAULTS, far: bank('FAR_HI') * 2 ** 32 + bank('FAR'), contextInterrupt: system.machine.gic.state(32 + spi).pending };
}

/** The pages of the hypervisor's memory (host RAM outside the guest's) holding anything but zeros. */
export function writtenHypervisorPages(system: SystemMachine, guest: PassthroughGuest): number[] {
  const pages = new Set<number>();
  const { base, size } = guest.hypervisorMemory;
  let at = base;
  system.machine.bus.memory.spans(base, size, false, (bytes, offset, length) => {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + offset, length >>> 2);
    for (let i = 0; i < words.length; i++) {
      if (words[i] !== 0) pages.add(Math.floor((at + 4 * i) / 4096) * 4096);
    }
    at += length;
  });
  return [...pages].sort((a, b) => a - b);
}
