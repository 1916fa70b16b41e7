// The host kernel's SMMU driver: what Linux's arm-smmu does, through the SMMU's registers only — probe from the ID
// registers, reset, stream-to-context routing (SMR/S2CR), IOMMU domains on context banks with LPAE page tables in
// memory, map/unmap with TLB invalidation and sync, and the context and global fault handlers that log and clear.
import { ADDRESS_SIZE_CODES, SMMU_PAGE_SIZE } from '../smmu/config';
import { smmuRegisterMaps, SmmuRegisterMaps } from '../smmu/registers';
import { ERRNO } from '../linux/errno';
import { hex } from '../linux/hex';
import { LPAE_MAIR, LpaePageTable } from './io-pgtable';
import type { FrameAllocator, PhysicalAccess } from './physical';
import type { MachineSmmu } from '../machine/machine';

/** S2CR types and the sCR0 value Linux's reset writes (GFRE|GFIE|GCFGFRE|GCFGFIE|USFCFG|VMIDPNE|PTM). */
const S2CR_TYPE = { TRANSLATE: 0, BYPASS: 1, FAULT: 2 } as const;
const SCR0_RUNNING = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 10) | (1 << 11) | (1 << 12);
const SCTLR_ENABLED = 0x67; // M | TRE | AFE | CFRE | CFIE
const FSR_FAULT = 0x1fe;
const TLB_SYNC_SPINS = 1000;

export interface SmmuFeatures {
  readonly stage1: boolean;
  readonly stage2: boolean;
  readonly streamMatchGroups: number;
  readonly contextBanks: number;
  readonly stage2OnlyBanks: number;
  readonly contextInterrupts: number;
  readonly pagesPerHalf: number;
  readonly inputBits: number;
  readonly outputBits: number;
}

export class SmmuDomain {
  constructor(
    readonly smmu: ArmSmmuDriver,
    readonly bank: number,
    readonly stage: 1 | 2,
    readonly pgtable: LpaePageTable,
    readonly asid: number,
    readonly vmid: number,
    /** The IOVA aperture: [0, 2^bits). */
    readonly inputBits: number,
  ) {}
  /** Streams attached (for detach and group membership). */
  readonly streams = new Set<number>();

  get pgsizeBitmap(): number {
    return this.pgtable.pgsizeBitmap;
  }
}

export class ArmSmmuDriver {
  readonly name: string;
  readonly features: SmmuFeatures;
  private readonly base: number;
  private readonly maps: SmmuRegisterMaps;
  private readonly bankUsed: boolean[];
  private readonly smrUsed: boolean[];
  /** Stream ID -> SMR/S2CR index. */
  private readonly streamEntry = new Map<number, number>();
  private irptndx = 0;

  constructor(readonly machineSmmu: MachineSmmu, private readonly mem: PhysicalAccess, private readonly frames: FrameAllocator, private readonly log: (line: string) => void) {
    const d = machineSmmu.description;
    this.name = d.name;
    this.base = d.base;
    this.maps = smmuRegisterMaps(machineSmmu.device.config);
    this.features = this.probe();
    this.bankUsed = new Array(this.features.contextBanks).fill(false);
    this.smrUsed = new Array(this.features.streamMatchGroups).fill(false);
    this.reset();
  }

  private offset(name: string, bank = -1): number {
    if (bank >= 0) return this.base + (this.features.pagesPerHalf + bank) * SMMU_PAGE_SIZE + this.maps.contextBank.named(name)!.offset;
    const g0 = this.maps.gr0.named(name);
    return this.base + (g0 ? g0.offset : SMMU_PAGE_SIZE + this.maps.gr1.named(name)!.offset);
  }

  private readReg(name: string, bank = -1): number {
    return this.mem.readl(this.offset(name, bank));
  }

  private writeReg(name: string, value: number, bank = -1): void {
    this.mem.writel(this.offset(name, bank), value >>> 0);
  }

  /** Reads ID0-ID2 the way arm_smmu_device_cfg_probe does; an unusable SMMU is an error naming it. */
  private probe(): SmmuFeatures {
    const g0 = this.machineSmmu.description.base;
    const idOffset = (n: string) => g0 + this.maps.gr0.named(n)!.offset;
    const id0 = this.mem.readl(idOffset('sIDR0'));
    const id1 = this.mem.readl(idOffset('sIDR1'));
    const id2 = this.mem.readl(idOffset('sIDR2'));
    const stage1 = ((id0 >>> 30) & 1) === 1;
    const stage2 = ((id0 >>> 29) & 1) === 1;
    if (!stage1 && !stage2) throw new Error(`${this.name}: no translation support!`);
    const streamMatchGroups = id0 & 0xff;
    if (((id0 >>> 27) & 1) === 1 && streamMatchGroups === 0) throw new Error(`${this.name}: stream-matching supported, but no SMRs present!`);
    const contextBanks = id1 & 0xff;
    const stage2OnlyBanks = (id1 >>> 16) & 0xff;
    if (stage2OnlyBanks > contextBanks) throw new Error(`${this.name}: impossible number of S2 context banks!`);
    const pagesPerHalf = 2 ** (((id1 >>> 28) & 7) + 1);
    const span = 2 * pagesPerHalf * SMMU_PAGE_SIZE * (id1 >>> 31 ? 16 : 1);
    if (span !== this.machineSmmu.description.size) this.log(`arm-smmu ${this.name}: SMMU address space size (${hex(span)}) differs from mapped region size (${hex(this.machineSmmu.description.size)})!`);
    const features: SmmuFeatures = {
      stage1, stage2, streamMatchGroups, contextBanks, stage2OnlyBanks, pagesPerHalf,
      contextInterrupts: (id0 >>> 16) & 0xff,
      inputBits: ADDRESS_SIZE_CODES[id2 & 0xf] ?? 48,
      outputBits: ADDRESS_SIZE_CODES[(id2 >>> 4) & 0xf] ?? 48,
    };
    this.log(`arm-smmu ${this.name}: probing hardware configuration...`);
    this.log(`arm-smmu ${this.name}: \t${[stage1 && 'stage 1', stage2 && 'stage 2'].filter(Boolean).join(', ')} translation`);
    this.log(`arm-smmu ${this.name}: \tstream matching with ${streamMatchGroups} register groups`);
    this.log(`arm-smmu ${this.name}: \t${contextBanks} context banks (${stage2OnlyBanks} stage-2 only)`);
    this.log(`arm-smmu ${this.name}: \tStage-1: ${features.inputBits}-bit VA -> ${features.inputBits}-bit IPA`);
    return features;
  }

  /** arm_smmu_device_reset: clear faults, invalidate all SMRs (S2CRs fault), disable banks, flush TLBs, enable. */
  reset(): void {
    this.writeReg('sGFSR', this.readReg('sGFSR'));
    for (let n = 0; n < this.features.streamMatchGroups; n++) {
      this.writeReg(`SMR${n}`, 0);
      this.writeReg(`S2CR${n}`, S2CR_TYPE.FAULT << 16);
    }
    for (let bank = 0; bank < this.features.contextBanks; bank++) {
      this.writeReg('SCTLR', 0, bank);
      this.writeReg('FSR', FSR_FAULT | 0xc0000000, bank);
    }
    this.writeReg('TLBIALLH', 0);
    this.writeReg('TLBIALLNSNH', 0);
    this.globalSync();
    this.writeReg('sCR0', SCR0_RUNNING);
  }

  private globalSync(): void {
    this.writeReg('sTLBGSYNC', 0);
    for (let i = 0; i < TLB_SYNC_SPINS && this.readReg('sTLBGSTATUS') & 1; i++);
  }

  private contextSync(bank: number): void {
    this.writeReg('TLBSYNC', 0, bank);
    for (let i = 0; i < TLB_SYNC_SPINS && this.readReg('TLBSTATUS', bank) & 1; i++);
  }

  /**
   * Claims a stream match entry for each stream of a master, routed to the identity (bypass) default domain until
   * a domain is attached. -ENOSPC when the SMRs run out.
   */
  addMaster(streamIds: readonly number[]): number {
    for (const id of streamIds) {
      if (this.streamEntry.has(id)) continue;
      const n = this.smrUsed.indexOf(false);
      if (n < 0) return -ERRNO.ENOSPC;
      this.smrUsed[n] = true;
      this.streamEntry.set(id, n);
      this.writeReg(`S2CR${n}`, S2CR_TYPE.BYPASS << 16);
      this.writeReg(`SMR${n}`, (0x80000000 | (id & 0x7fff)) >>> 0);
    }
    return 0;
  }

  /**
   * A new domain on a free context bank: stage 1 when the SMMU has it (as Linux prefers), else stage 2; a nesting
   * domain (VFIO_TYPE1_NESTING_IOMMU) is the host's stage 2, leaving stage 1 to a guest.
   */
  allocDomain(nesting = false): SmmuDomain | number {
    const f = this.features;
    if (nesting && !f.stage2) return -ERRNO.EINVAL;
    const stage: 1 | 2 = f.stage1 && !nesting ? 1 : 2;
    const first = stage === 1 ? f.stage2OnlyBanks : 0;
    const bank = this.bankUsed.indexOf(false, first);
    if (bank < 0) return -ERRNO.ENOSPC;
    const inputBits = stage === 1 ? 32 : Math.min(f.inputBits, 40);
    const pgtable = new LpaePageTable({ stage, inputBits, outputBits: Math.min(f.outputBits, 40) }, this.frames, this.mem);
    this.bankUsed[bank] = true;
    const domain = new SmmuDomain(this, bank, stage, pgtable, bank, bank + 1, inputBits);
    // Round-robin over the context interrupts the devicetree gives (SMMUv2 ignores IRPTNDX: one per bank).
    this.irptndx = (this.irptndx + 1) % Math.max(1, this.machineSmmu.description.contextInterrupts.length);
    this.writeContextBank(domain, this.irptndx);
    return domain;
  }

  /** arm_smmu_write_context_bank: CBAR, TTBR, TCR, MAIR, then SCTLR. */
  private writeContextBank(d: SmmuDomain, irptndx: number): void {
    const b = d.bank;
    if (d.stage === 1) this.writeReg(`CBAR${b}`, (1 << 16) | (irptndx << 24));
    else this.writeReg(`CBAR${b}`, (irptndx << 24) | d.vmid);
    const root = d.pgtable.root;
    this.writeReg('TTBR0', root % 0x1_0000_0000, b);
    this.writeReg('TTBR0_HI', Math.floor(root / 0x1_0000_0000) | (d.stage === 1 ? d.asid << 16 : 0), b);
    if (d.stage === 1) {
      this.writeReg('TTBR1', 0, b);
      this.writeReg('TTBR1_HI', d.asid << 16, b);
      // T0SZ 32 (64 - 32-bit IAS: bits [2:0] read 0), inner/outer WBWA, inner shareable, EPD1, EAE.
      this.writeReg('TCR', (32 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (1 << 31)) >>> 0, b);
      this.writeReg('MAIR0', LPAE_MAIR, b);
      this.writeReg('MAIR1', 0, b);
    } else {
      const sl0 = d.pgtable.startLevel === 1 ? 1 : 0;
      this.writeReg('TCR', ((64 - d.inputBits) | (sl0 << 6) | (1 << 8) | (1 << 10) | (3 << 12) | (2 << 16) | (1 << 31)) >>> 0, b);
    }
    this.writeReg('SCTLR', SCTLR_ENABLED, b);
  }

  /** Routes a master's streams to the domain's context bank (S2CR translate). */
  attach(domain: SmmuDomain, streamIds: readonly number[]): number {
    for (const id of streamIds) {
      const n = this.streamEntry.get(id);
      if (n === undefined) return -ERRNO.ENODEV;
      this.writeReg(`S2CR${n}`, (S2CR_TYPE.TRANSLATE << 16) | domain.bank);
      domain.streams.add(id);
    }
    return 0;
  }

  /** Back to the identity default domain. */
  detach(domain: SmmuDomain, streamIds: readonly number[]): void {
    for (const id of streamIds) {
      const n = this.streamEntry.get(id);
      if (n !== undefined) this.writeReg(`S2CR${n}`, S2CR_TYPE.BYPASS << 16);
      domain.streams.delete(id);
    }
  }

  /** Frees the domain's context bank and tables once no stream uses it. */
  freeDomain(domain: SmmuDomain): void {
    this.writeReg('SCTLR', 0, domain.bank);
    this.invalidateContext(domain);
    domain.pgtable.free();
    this.bankUsed[domain.bank] = false;
  }

  map(domain: SmmuDomain, iova: number, pa: number, size: number, prot: number): number {
    return domain.pgtable.map(iova, pa, size, prot);
  }

  /** Unmaps, invalidating each removed leaf by VA (stage 1) or IPA (stage 2), then syncs. Returns bytes unmapped. */
  unmap(domain: SmmuDomain, iova: number, size: number): number {
    const b = domain.bank;
    const unmapped = domain.pgtable.unmap(iova, size, (leaf) => {
      if (domain.stage === 1) this.writeReg('TLBIVAL', ((leaf & 0xfffff000) | domain.asid) >>> 0, b);
      else {
        this.writeReg('TLBIIPAS2L', (leaf / 4096) % 0x1_0000_0000, b);
        this.writeReg('TLBIIPAS2L_HI', 0, b);
      }
    });
    this.contextSync(b);
    return unmapped;
  }

  private invalidateContext(domain: SmmuDomain): void {
    if (domain.stage === 1) this.writeReg('TLBIASID', domain.asid, domain.bank);
    else this.writeReg('TLBIVMID', domain.vmid);
    this.contextSync(domain.bank);
  }

  /** arm_smmu_context_fault: log a fault of any bank routed to this interrupt, clear it. */
  contextFault(irq: number): boolean {
    let handled = false;
    for (let b = 0; b < this.features.contextBanks; b++) {
      // SMMUv1 routes a bank to CBAR.IRPTNDX; SMMUv2 has one interrupt per bank.
      const routed = this.machineSmmu.description.config.version === 1 ? this.readReg(`CBAR${b}`) >>> 24 : b;
      if (routed !== irq) continue;
      const fsr = this.readReg('FSR', b);
      if ((fsr & FSR_FAULT) === 0) continue;
      const fsynr = this.readReg('FSYNR0', b);
      const iova = this.readReg('FAR_HI', b) * 0x1_0000_0000 + this.readReg('FAR', b);
      const cbfrsynra = this.readReg(`CBFRSYNRA${b}`);
      this.log(`arm-smmu ${this.name}: Unhandled context fault: fsr=${hex(fsr)}, iova=${hex(iova, 8)}, fsynr=${hex(fsynr)}, cbfrsynra=${hex(cbfrsynra)}, cb=${b}`);
      this.writeReg('FSR', fsr, b);
      handled = true;
    }
    return handled;
  }

  /** arm_smmu_global_fault. */
  globalFault(): boolean {
    const gfsr = this.readReg('sGFSR');
    if (!gfsr) return false;
    const [s0, s1, s2] = ['sGFSYNR0', 'sGFSYNR1', 'sGFSYNR2'].map((r) => this.readReg(r));
    if (gfsr & 2) this.log(`arm-smmu ${this.name}: Blocked unknown Stream ID ${hex(s1)}; boot with "arm-smmu.disable_bypass=0" to allow, but this may have security implications`);
    else {
      this.log(`arm-smmu ${this.name}: Unexpected global fault, this could be serious`);
      this.log(`arm-smmu ${this.name}: \tGFSR ${hex(gfsr, 8)}, GFSYNR0 ${hex(s0, 8)}, GFSYNR1 ${hex(s1, 8)}, GFSYNR2 ${hex(s2, 8)}`);
    }
    this.writeReg('sGFSR', gfsr);
    return true;
  }
}

