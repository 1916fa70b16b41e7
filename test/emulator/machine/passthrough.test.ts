// dmalab as the hypervisor (Test Case 2's machinery) without a kernel: the guest's devicetree as Debian's dtc reads
// it, the CPUs' stage 2, and the SMMU stage-2 context the hypervisor programs through the registers, checked by
// reading them back and by copies the guest's DMAC makes inside and outside the guest's RAM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BusResponse } from '../../../emulator/bus/bus';
import { PhysicalAccess } from '../../../emulator/host/physical';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { EMULATED_DEVICES_BASE, PassthroughError, PassthroughGuest } from '../../../emulator/machine/passthrough';
import { SystemMachine } from '../../../emulator/machine/system';
import { debugGo, writeDebugInstruction } from '../../../emulator/pl330/debug';
import { SMMU_PAGE_SIZE } from '../../../emulator/smmu/config';
import { smmuRegisterMaps } from '../../../emulator/smmu/registers';
import { assemble } from '../../../server/pl330/assembler';
import { assemble as assembleA32, assemblerMissing } from '../../support/toolchain';
import { contextBankFault, faultingGuestCopy, writtenHypervisorPages } from '../../support/passthrough-support';

const GUIDE = 'examples/platforms/vexpress-mmu400-dma330.dts';
const dtc = (source: string): Uint8Array => new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-'], { input: source }));
const GUIDE_DTB = dtc(readFileSync(GUIDE, 'utf8'));

function guestOn(dtb = GUIDE_DTB, devices = ['2c0a0000.dma'], ramSize?: number, cpus = 1): { system: SystemMachine; guest: PassthroughGuest } {
  const system = new SystemMachine(platformFromDtb(dtb), { cpus, guest: (machine) => new PassthroughGuest(machine, dtb, { devices, ramSize }) });
  return { system, guest: system.guest as PassthroughGuest };
}

test("the guest's devicetree (dtc): its RAM, the hypervisor's GIC/UART/timer/PSCI, no host device but the DMAC, copied as an AMBA device at 0x0c000000 with irq0-irq7 and abort on SPIs 112-120", () => {
  const { guest } = guestOn();
  const dts = execFileSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', '-'], { input: guest.dtb }).toString();
  assert.match(dts, /memory@80000000 \{\s*device_type = "memory";\s*reg = <0x00 0x80000000 0x00 0x20000000>;/);
  assert.equal(dts.match(/device_type = "memory"/g)?.length, 1);
  for (const kept of ['interrupt-controller@2c001000', 'serial@1c090000', 'psci {', 'timer {', 'cpu@0', 'clock-24000000']) assert.ok(dts.includes(kept), kept);
  for (const gone of ['iommu@2b400000', 'dma@2c0a', 'iommus']) assert.ok(!dts.includes(gone), gone);
  const node = /dma@c000000 \{([^}]*)\}/.exec(dts)?.[1] ?? assert.fail(dts);
  assert.match(node, /compatible = "arm,pl330\\0arm,primecell";/);
  assert.match(node, /reg = <0x00 0xc000000 0x00 0x1000>;/);
  const spis = Array.from({ length: 9 }, (_, i) => `0x00 0x${(112 + i).toString(16)} 0x04`).join(' ');
  assert.ok(node.includes(`interrupts = <${spis}>;`), node);
  assert.match(node, /interrupt-names = "irq0\\0irq1\\0irq2\\0irq3\\0irq4\\0irq5\\0irq6\\0irq7\\0abort";/);
  const clock = /clock-24000000 \{[^}]*phandle = <(0x[0-9a-f]+)>/.exec(dts)?.[1] ?? assert.fail(dts);
  assert.ok(node.includes(`clocks = <${clock}>;`), 'the host\'s apb_pclk clock');
  assert.match(node, /clock-names = "apb_pclk";/);
  assert.match(node, /#dma-cells = <0x01>;/, 'the host node\'s own properties are kept');
  // As the guest's kernel will read it: one AMBA DMA-330, nine outputs in order.
  const seen = platformFromDtb(guest.dtb);
  assert.deepEqual(seen.dmacs.map((d) => [d.name, d.bus, d.iommu]), [['c000000.dma', 'amba', undefined]]);
  assert.deepEqual(seen.dmacs[0].interrupts.map((i) => i.output), [0, 1, 2, 3, 4, 5, 6, 7, 'abort']);
  assert.equal(seen.smmus.length, 0);
});

test("the CPUs' stage 2: guest RAM is host RAM at the top of the platform's, the DMAC's registers at its guest address, the host's other devices out of reach", () => {
  const { system, guest } = guestOn();
  const mmu = system.cpus[0].mmu;
  assert.deepEqual(guest.slots.map((s) => [s.name, s.ipa, s.size, s.physical]), [
    ['ram', 0x80000000, 0x20000000, 0xe0000000],
    ['2c0a0000.dma', 0x0c000000, 0x1000, 0x2c0a0000],
  ]);
  assert.equal(mmu.translate(0x80001234, 'read'), 0xe0001234);
  assert.equal(mmu.translate(0x9fffffff, 'write'), 0xffffffff);
  assert.equal(mmu.translate(0xa0000000, 'read'), EMULATED_DEVICES_BASE + 0xa0000000, 'past the guest RAM: nothing');
  mmu.write32(0x80000100, 0x12345678);
  assert.equal(system.machine.bus.memory.read(0xe0000100, 4), 0x12345678);
  assert.equal(system.machine.bus.memory.read(0x80000100, 4), 0, 'not at the identity address');
  // PL330 peripheral ID 0 (0x30) at the guest address; the host addresses of the DMACs and the SMMU read nothing.
  assert.equal(mmu.read32(0x0c000fe0), 0x30);
  for (const hostDevice of [0x2c0a0fe0, 0x2c0a1fe0, 0x2b400000 + 0x20]) assert.equal(mmu.read32(hostDevice), 0, `0x${hostDevice.toString(16)}`);
  // The guest's GIC is the hypervisor's: enabling its distributor leaves the host's alone.
  mmu.write32(0x2c001000, 1);
  assert.equal(guest.gic.read(0, 4), 1);
  assert.equal(system.machine.gic.read(0, 4), 0);
  assert.equal(system.ram?.base, 0x80000000);
});

test("a secondary CPU in the guest: PSCI CPU_ON starts it at the guest's physical entry through the stage 2, and the guest GIC's banked registers answer it", { skip: assemblerMissing() }, () => {
  const { system, guest } = guestOn(GUIDE_DTB, ['2c0a0000.dma'], undefined, 2);
  // CPU 0 starts CPU 1 (SMC, the guide's PSCI conduit) at `secondary` with a context in r0, and records the status.
  // CPU 1 enables its GIC CPU interface, reads GICD_ITARGETSR0 (SGI targets: its own CPU bit in each byte) and
  // records the context, that word and its MPIDR, all at guest physical addresses (its MMU is off).
  const code = assembleA32(`
    ldr r0, =0x84000003
    mov r1, #1
    adr r2, secondary
    ldr r3, =0xc0ffee
    smc #0
    ldr r4, =0x80000800
    str r0, [r4]
1:  b 1b
secondary:
    ldr r4, =0x2c002000
    mov r5, #1
    str r5, [r4]
    ldr r6, =0x2c001800
    ldr r7, [r6]
    mrc p15, 0, r9, c0, c0, 5
    ldr r8, =0x80000800
    str r0, [r8, #4]
    str r7, [r8, #8]
    str r9, [r8, #12]
2:  b 2b
    .ltorg`);
  system.load(0x80000000, code);
  system.boot(0x80000000);
  assert.equal(system.cpus[1].powered, false, 'CPU 1 waits for CPU_ON');
  assert.equal(system.run(1e6).kind, 'time-limit');
  const host = system.machine.bus.memory;
  const recorded = [0, 4, 8, 12].map((offset) => host.read(0xe0000800 + offset, 4) >>> 0);
  assert.deepEqual(recorded, [0, 0xc0ffee, 0x02020202, 0x80000001], 'CPU_ON SUCCESS; CPU 1\'s context, banked SGI targets, MPIDR, in host RAM behind the guest\'s');
  assert.equal(host.read(0x80000800, 4), 0, 'nothing at the identity address');
  const cpu1 = system.cpus[1];
  assert.ok(cpu1.pc >= 0x80000000 && cpu1.pc < 0x80000000 + code.length, `CPU 1 runs the guest's code (pc 0x${cpu1.pc.toString(16)})`);
  assert.equal(cpu1.mmu.translate(0x80000000, 'read'), 0xe0000000, 'CPU 1 translates through the guest\'s stage 2');
  // CPU 1's write reached its own bank of the guest's GIC CPU interface; CPU 0's and the host GIC's stay disabled.
  assert.deepEqual([guest.gic.cpuRead(0, 0), guest.gic.cpuRead(1, 0)], [0, 1]);
  assert.equal(system.machine.gic.cpuRead(1, 0), 0);
});

test('the SMMU through its registers: stream 0 alone matched, to a stage-2 context bank whose tables (in the hypervisor\'s memory) map exactly the guest\'s RAM', () => {
  const { system, guest } = guestOn();
  const host = new PhysicalAccess(system.machine.bus);
  const smmu = system.machine.smmus[0];
  const maps = smmuRegisterMaps(smmu.device.config);
  const gr0 = (name: string) => host.readl(smmu.description.base + maps.gr0.named(name)!.offset);
  const gr1 = (name: string) => host.readl(smmu.description.base + SMMU_PAGE_SIZE + maps.gr1.named(name)!.offset);
  const cb = (bank: number, name: string) => host.readl(smmu.description.base + (8 + bank) * SMMU_PAGE_SIZE + maps.contextBank.named(name)!.offset);
  const scr0 = gr0('sCR0');
  assert.equal(scr0 & 1, 0, 'CLIENTPD clear: translating');
  assert.equal((scr0 >>> 10) & 1, 1, 'USFCFG: unmatched streams fault');
  const valid = [0, 1, 2, 3].filter((n) => gr0(`SMR${n}`) >>> 31);
  assert.deepEqual(valid, [0]);
  assert.equal(gr0('SMR0') & 0x7fff, 0, 'stream 0 (2c0a0000.dma)');
  const s2cr = gr0('S2CR0');
  assert.deepEqual([(s2cr >>> 16) & 3, s2cr & 0xff], [0, guest.devices[0].domain.bank], 'translate, to the bank');
  const bank = guest.devices[0].domain.bank;
  const cbar = gr1(`CBAR${bank}`);
  assert.equal((cbar >>> 16) & 3, 0, 'stage 2 only');
  assert.equal(cbar & 0xff, bank + 1, 'VMID');
  assert.equal(cb(bank, 'SCTLR') & 1, 1, 'enabled');
  assert.equal(cb(bank, 'TCR') & 0x3f, 64 - 40, 'T0SZ: a 40-bit IPA');
  const ttbr = cb(bank, 'TTBR0_HI') * 2 ** 32 + cb(bank, 'TTBR0');
  assert.ok(ttbr >= guest.hypervisorMemory.base && ttbr < guest.hypervisorMemory.base + guest.hypervisorMemory.size, `VTTBR 0x${ttbr.toString(16)} in the hypervisor's memory`);

  // A copy the guest's DMAC makes inside its RAM lands in host RAM through the stage 2.
  const ram = guest.ram;
  const microcode = ram.ipa + 0x10000, source = ram.ipa + 0x20000, destination = ram.ipa + 0x1ffff000;
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => i * 7 + 1);
  system.load(source, bytes);
  const program = assemble(['DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI', `DMAMOV SAR, 0x${source.toString(16)}`, `DMAMOV DAR, 0x${destination.toString(16)}`,
    'DMALP 4', 'DMALD', 'DMAST', 'DMALPEND', 'DMASEV 0', 'DMAEND'].join('\n'), { base: microcode });
  system.load(microcode, program.programs[0].bytes);
  const device = guest.devices[0];
  const channel = device.host.device;
  host.writel(guest.stage2(device.guestBase + 0x20), 1); // INTEN: event 0 interrupts
  writeDebugInstruction((offset, value) => host.writel(guest.stage2(device.guestBase + offset), value), debugGo(0, microcode));
  system.machine.run({ maxCycles: 100_000 });
  const landed = new Uint8Array(64);
  assert.equal(system.machine.bus.physicalRead(ram.physical + 0x1ffff000, landed, 0, 64), BusResponse.Okay);
  assert.deepEqual(landed, bytes);
  assert.equal(cb(bank, 'FSR') & 0x1fe, 0, 'no fault');
  assert.ok(channel.irq[0].level, 'the event output is high');
  assert.ok(guest.gic.state(32 + device.guestSpis[0]).pending, "irq0 pending at the guest's SPI 112");
});

test('isolation: a copy just past the guest RAM, or below it, faults in the stage 2 (FSR, FAR, context interrupt, abort to the guest) and changes no host byte; the hypervisor logs and clears the fault', () => {
  // FSYNR0: WNR (a write) and the level of the missing descriptor (the guest's RAM shares a level-1 entry with the
  // first address past it, not with the one below it).
  for (const [target, fsynr] of [[0xa0000000, 0x12], [0x7ffffffc, 0x11]]) {
    const lines: string[] = [];
    const dtb = GUIDE_DTB;
    const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, guest: (machine) => new PassthroughGuest(machine, dtb, { devices: ['2c0a0000.dma'], log: (line) => lines.push(line) }) });
    const guest = system.guest as PassthroughGuest;
    const fault = faultingGuestCopy(system, guest, target);
    assert.equal(fault.copied, false, `0x${target.toString(16)}: host memory unchanged`);
    assert.equal(fault.fsr, 2, 'FSR.TF: translation fault');
    assert.equal(fault.far, target);
    assert.equal(fault.contextInterrupt, true, "the context bank's interrupt is pending at the host's GIC");
    assert.equal(fault.channelFault, true);
    assert.ok(guest.gic.state(32 + guest.devices[0].guestSpis[8]).pending, "abort pending at the guest's SPI 120");
    // The hypervisor takes the context interrupt when the timeline moves on.
    assert.deepEqual(lines, []);
    system.machine.advanceTo(system.machine.now + 1000);
    assert.deepEqual(lines, [`arm-smmu 2b400000.iommu: Unhandled context fault: fsr=0x2, iova=0x${target.toString(16)}, fsynr=0x${fsynr.toString(16)}, cbfrsynra=0x0, cb=0`]);
    assert.deepEqual(guest.faults, lines);
    assert.deepEqual(contextBankFault(system, guest), { fsr: 0, far: target, contextInterrupt: false }, 'FSR cleared, the interrupt with it');
    // Host RAM outside the guest's holds the SMMU's tables (the first of the two concatenated level-1 pages, one
    // level-2 page) and nothing else, but for the pattern this test put where a bypassing SMMU would have written.
    const pattern = Math.floor(target / 4096) * 4096;
    assert.deepEqual(writtenHypervisorPages(system, guest).filter((page) => page !== pattern), [0x80000000, 0x80002000]);
  }
});

test('passthrough errors name the device and the reason', () => {
  assert.throws(() => guestOn(GUIDE_DTB, ['2c0b0000.dma']), (e: Error) => e instanceof PassthroughError && /2c0b0000\.dma: no such DMA-330 on the platform \(it has 2c0a0000\.dma, 2c0a1000\.dma/.test(e.message));
  assert.throws(() => guestOn(GUIDE_DTB, ['2c0a0000.dma', '2c0a0000.dma']), /2c0a0000\.dma is assigned twice/);
  assert.throws(() => guestOn(GUIDE_DTB, ['2c0a0000.dma'], 3 << 20), /multiple of 2 MiB/);
  assert.throws(() => guestOn(GUIDE_DTB, ['2c0a0000.dma'], 1536 * 2 ** 20), /guest RAM of 1536 MiB: the platform's 2048 MiB must keep half for the hypervisor/);
  const noSmmu = dtc(readFileSync(GUIDE, 'utf8').replace('iommus = <&smmu 0>;', ''));
  assert.throws(() => guestOn(noSmmu), /2c0a0000\.dma is behind no SMMU/);
});

test('on a platform with less RAM the guest gets half of it', () => {
  const small = dtc(readFileSync(GUIDE, 'utf8').replace('reg = <0 0x80000000 0 0x80000000>;', 'reg = <0 0x80000000 0 0x10000000>;'));
  const { guest } = guestOn(small);
  assert.deepEqual([guest.ram.ipa, guest.ram.size, guest.ram.physical], [0x80000000, 0x8000000, 0x88000000]);
  assert.deepEqual(guest.hypervisorMemory, { base: 0x80000000, size: 0x8000000 });
});

test('two DMACs passed through: consecutive guest slots and SPIs, one stage-2 domain for both streams', () => {
  const { guest } = guestOn(GUIDE_DTB, ['2c0a0000.dma', '2c0a2000.dma']);
  assert.deepEqual(guest.devices.map((d) => [d.name, d.guestBase, d.guestSpis[0], d.guestSpis[8]]), [
    ['2c0a0000.dma', 0x0c000000, 112, 120],
    ['2c0a2000.dma', 0x0c001000, 121, 129],
  ]);
  assert.equal(guest.devices[0].domain, guest.devices[1].domain);
});
