// Test fixtures: a bus with RAM over the whole 40-bit space, an MMU-400 on it, and register writes by name.
import { Bus } from '../../../emulator/bus/bus';
import { MMU400_CONFIG, SMMU_PAGE_SIZE, SmmuConfig } from '../../../emulator/smmu/config';
import { Smmu } from '../../../emulator/smmu/smmu';

export function rig(config: SmmuConfig = MMU400_CONFIG) {
  const bus = new Bus();
  bus.addRam(0, 2 ** 40);
  const smmu = new Smmu(config, bus);
  const offsetOf = (name: string): number => {
    const dot = name.indexOf('.');
    if (dot > 0) return (config.pagesPerHalf + Number(name.slice(2, dot))) * SMMU_PAGE_SIZE + smmu.maps.contextBank.named(name.slice(dot + 1))!.offset;
    const g0 = smmu.maps.gr0.named(name);
    return g0 ? g0.offset : SMMU_PAGE_SIZE + smmu.maps.gr1.named(name)!.offset;
  };
  const set = (name: string, value: number) => smmu.write(offsetOf(name), 4, value >>> 0);
  const get = (name: string) => smmu.read(offsetOf(name), 4);
  /** A 64-bit descriptor at a physical address. */
  const desc64 = (address: number, hi: number, lo: number) => {
    bus.memory.write(address, 4, lo >>> 0);
    bus.memory.write(address + 4, 4, hi >>> 0);
  };
  const desc32 = (address: number, value: number) => bus.memory.write(address, 4, value >>> 0);
  /** Stream `streamId` → context bank `bank` through SMR/S2CR group `group`; SMMU enabled, unmatched streams fault. */
  const route = (group: number, streamId: number, bank: number) => {
    set(`SMR${group}`, 0x80000000 | streamId);
    set(`S2CR${group}`, bank);
    set('sCR0', 0x436); // GFRE|GFIE|GCFGFRE|GCFGFIE|USFCFG, CLIENTPD clear
  };
  return { bus, smmu, set, get, desc64, desc32, route };
}

/**
 * Nested translation for a stream: bank 0 is stage 2 (IPA [0, 1 GiB) → PA [1 GiB, 2 GiB), one level-1 block); bank 1
 * is nested stage 1 whose tables live at IPA 0x100000 (PA 0x40100000), mapping VA 0x1000 to IPA 0x5000.
 */
export function nestedRig(streamId: number) {
  const r = rig();
  r.route(0, streamId, 1);
  r.set('CBAR0', 0x07);
  r.set('CB0.TCR', 0x80000000 | (1 << 6) | 24);
  r.set('CB0.TTBR0', 0x7000_0000);
  r.set('CB0.SCTLR', 0x61);
  r.desc64(0x7000_0000, 0, 0x400004c1);
  r.set('CBAR1', (3 << 16) | (0 << 8));
  r.set('CB1.TCR', 0x80000000);
  r.set('CB1.TTBR0', 0x100000);
  r.set('CB1.SCTLR', 0x61);
  r.desc64(0x40100000, 0, 0x00101003);
  r.desc64(0x40101000, 0, 0x00102003);
  r.desc64(0x40102000 + 8, 0, 0x00005443);
  return r;
}
