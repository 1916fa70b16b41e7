// An ARM SMMUv1/v2 (MMU-400, MMU-401, MMU-500 by configuration): the register interface the Linux arm-smmu driver
// programs, stream matching, context banks translating through page tables in emulated memory (stage 1, stage 2,
// nested), a TLB kept until invalidated, and faults reported in FSR/FAR/FSYNR0 or sGFSR with their interrupts.
// It sits between bus masters and the bus as their ports' Translator: a faulting transaction never reaches memory.
import { Bus, BusMasterId, BusResponse, MmioDevice, Snapshottable, Translator } from '../bus/bus';
import type { RegisterMap } from '../bus/registers';
import { IrqLine, UNCONNECTED } from '../gic/irq';
import { ADDRESS_SIZE_CODES, SMMU_PAGE_SIZE, SmmuConfig, smmuRegisterSpan, validateSmmuConfig } from './config';
import { CB_WORD, FSR_BITS, FSR_FAULTS, FSYNR0_BITS, GFSR_BITS, GFSYNR0_BITS, SCR0_FIELDS, SCTLR_BITS, SmmuRegisterMaps, smmuRegisterMaps } from './registers';
import { Tlb, TlbEntry, TlbState } from './tlb';
import { hex } from './describe';
import { DescriptorReader, Fault, LongWalkParams, PERM_ALL, PERM_PR, TableAddressTranslator, WalkRegime, WalkResult, WalkTrace, requiredPermission, stage1StartLevel, walkLong, walkShort } from './walk';

const WORDS_PER_PAGE = SMMU_PAGE_SIZE / 4;
const TWO_32 = 0x1_0000_0000;

/** S2CR.TYPE and CBAR.TYPE values. */
const S2CR_TRANSLATE = 0, S2CR_BYPASS = 1;
const CBAR_STAGE2 = 0, CBAR_STAGE1_S2FAULT = 2, CBAR_NESTED = 3;

/** Stream match results besides an S2CR index. */
const UNMATCHED = -1, CONFLICT = -2;

/** A stream's route besides a context bank: untranslated. Global faults route to -1 - (their sGFSR bit). */
const BYPASS = -1;
/** In a route to a context bank: the S2CR says the stream's transactions are privileged, or unprivileged (else each
 * transaction's own attribute counts: S2CR.PRIVCFG "default"). */
const ROUTE_PRIVILEGED = 0x100, ROUTE_UNPRIVILEGED = 0x200;

/** A stalled transaction retried this many times in one access before it is given up (runaway bound). */
const MAX_RETRIES = 8;

const FAULT_FSR: Record<Fault, number> = {
  [Fault.None]: 0,
  [Fault.Translation]: FSR_BITS.TF,
  [Fault.AccessFlag]: FSR_BITS.AFF,
  [Fault.Permission]: FSR_BITS.PF,
  [Fault.AddressSize]: FSR_BITS.ASF,
  [Fault.External]: FSR_BITS.EF,
};

export interface SmmuState {
  readonly gr0: Uint32Array;
  readonly gr1: Uint32Array;
  readonly banks: readonly Uint32Array[];
  readonly tlb: TlbState;
  readonly stalled: readonly boolean[];
}

/** What `inspect` found for one address: the route, the walk descriptor by descriptor, and the outcome. */
export interface SmmuInspection {
  readonly streamId: number;
  readonly address: number;
  /** The SMR/S2CR group matching the stream (-1: none, -2: several), and the S2CR value when one matched. */
  readonly group: number;
  readonly s2cr?: number;
  /** Why the transaction is not translated (`SMMU disabled (sCR0.CLIENTPD)`, `S2CR bypass`), when it is not. */
  readonly bypass?: string;
  /** The context bank and its CBAR type name (`stage 1`, `stage 2`, `nested`, `stage 1, stage 2 fault`). */
  readonly bank?: number;
  readonly bankType?: string;
  readonly trace: WalkTrace;
  /** The physical address, or the fault (sGFSR or FSR bit name) with its level and bank (-1: global). */
  readonly physical?: number;
  readonly fault?: { readonly kind: string; readonly level: number; readonly bank: number };
  /** Where the walk leads when only the permissions refuse the access (a debugger may still read there). */
  readonly mapped?: number;
  /** What the TLB holds for this page, which a transaction would use instead of walking. */
  readonly tlb?: { readonly physical: number; readonly permitted: boolean };
}

const CBAR_TYPE_NAMES = ['stage 2', 'stage 1', 'stage 1, stage 2 fault', 'nested'];

/** A fault as the model records it, for observers (debugger, CLI) in addition to the registers. */
export interface SmmuFault {
  readonly streamId: number;
  readonly master: string;
  readonly address: number;
  readonly write: boolean;
  /** Context bank, or -1 for a global fault. */
  readonly bank: number;
  /** FSR or sGFSR bit names. */
  readonly kind: string;
}

/** A context bank translated `address` for `master`: by a walk (`walked`) or from its TLB; `physical` -1: it faulted. */
export type SmmuTranslationObserver = (bank: number, master: BusMasterId, address: number, write: boolean, walked: boolean, physical: number) => void;

function word(map: RegisterMap, name: string): number {
  return map.named(name)!.offset >>> 2;
}

export class Smmu implements MmioDevice, Translator, Snapshottable<SmmuState> {
  readonly size: number;
  readonly maps: SmmuRegisterMaps;
  readonly tlb: Tlb;
  /** The global fault interrupt and the context interrupts (by IRPTNDX / bank), wired by the machine. */
  globalIrq: IrqLine = UNCONNECTED;
  readonly contextIrqs: IrqLine[];
  /** Called on every recorded fault (none attached: no cost). */
  onFault: ((fault: SmmuFault) => void) | undefined;
  /** Called on every transaction a context bank translates (none attached: no cost): a TLB hit or a walk. */
  onTranslate: SmmuTranslationObserver | undefined;

  private gr0 = new Uint32Array(WORDS_PER_PAGE);
  private gr1 = new Uint32Array(WORDS_PER_PAGE);
  private banks: Uint32Array[];
  private stalled: boolean[];
  private resumeRequest: (0 | 1 | undefined)[];
  private streamCache = new Map<number, number>();
  private globalLevel = false;
  private contextLevels: boolean[];
  /** The fault of the last failed translation (ATS1 operations report it in PAR). */
  private lastFault = Fault.None;
  private readonly walk = new WalkResult();
  private readonly walk2 = new WalkResult();
  private readonly reader: DescriptorReader & { buffer: Uint8Array };
  // Word indexes of the registers the model reads on the translation path.
  private readonly r: Record<'SCR0' | 'GFSR' | 'GFSYNR0' | 'GFSYNR1' | 'GFAR' | 'GFAR_HI' | 'SMR' | 'S2CR' | 'CBFRSYNRA' | 'CBA2R', number>;

  constructor(readonly config: SmmuConfig, readonly bus: Bus, readonly name = config.model) {
    const errors = validateSmmuConfig(config);
    if (errors.length) throw new Error(`${name}: ${errors.join('; ')}`);
    this.size = smmuRegisterSpan(config);
    this.maps = smmuRegisterMaps(config);
    this.tlb = new Tlb(config.contextBanks);
    this.banks = Array.from({ length: config.contextBanks }, () => new Uint32Array(WORDS_PER_PAGE));
    this.stalled = new Array(config.contextBanks).fill(false);
    this.resumeRequest = new Array(config.contextBanks).fill(undefined);
    this.contextIrqs = new Array(config.contextInterrupts).fill(UNCONNECTED);
    this.contextLevels = new Array(config.contextInterrupts).fill(false);
    const g0 = this.maps.gr0, g1 = this.maps.gr1;
    this.r = {
      SCR0: word(g0, 'sCR0'), GFSR: word(g0, 'sGFSR'), GFSYNR0: word(g0, 'sGFSYNR0'),
      GFSYNR1: word(g0, 'sGFSYNR1'), GFAR: word(g0, 'sGFAR'), GFAR_HI: word(g0, 'sGFAR_HI'),
      SMR: word(g0, 'SMR0'), S2CR: word(g0, 'S2CR0'), CBFRSYNRA: word(g1, 'CBFRSYNRA0'),
      CBA2R: config.version === 2 ? word(g1, 'CBA2R0') : -1,
    };
    const buffer = new Uint8Array(8);
    this.reader = {
      buffer, lo: 0, hi: 0,
      read(address: number, size: 4 | 8): boolean {
        // Tables in RAM (the usual case) are read directly; anything else goes through the bus.
        if (bus.isRam(address, size)) {
          this.lo = bus.memory.read(address, 4);
          this.hi = size === 8 ? bus.memory.read(address + 4, 4) : 0;
          return true;
        }
        if (bus.physicalRead(address, buffer, 0, size) !== BusResponse.Okay) return false;
        this.lo = (buffer[0] | (buffer[1] << 8) | (buffer[2] << 16) | (buffer[3] << 24)) >>> 0;
        this.hi = size === 8 ? (buffer[4] | (buffer[5] << 8) | (buffer[6] << 16) | (buffer[7] << 24)) >>> 0 : 0;
        return true;
      },
    };
    this.reset();
  }

  /** Power-on reset: registers to their reset values, ID registers from the configuration, TLB empty. */
  reset(): void {
    const c = this.config;
    for (const [space, map] of [[this.gr0, this.maps.gr0], [this.gr1, this.maps.gr1]] as const) {
      space.fill(0);
      for (const inst of map.instances) space[inst.offset >>> 2] = inst.def.reset;
    }
    for (const bank of this.banks) bank.fill(0);
    const sizeCode = (bits: number) => ADDRESS_SIZE_CODES.indexOf(bits as never);
    const id0 =
      c.streamMatchGroups |
      ((c.streamIdBits & 0xf) << 9) |
      (1 << 14) | // CTTW: coherent table walks
      (c.contextInterrupts << 16) |
      (c.shortDescriptors ? 0 : 1 << 24) |
      (1 << 27) | // SMS: stream matching
      (c.nested ? 1 << 28 : 0) |
      (c.stage2 ? 1 << 29 : 0) |
      (c.stage1 ? 1 << 30 : 0);
    const id1 = c.contextBanks | (c.stage2OnlyBanks << 16) | ((Math.log2(c.pagesPerHalf) - 1) << 28);
    const id2 = sizeCode(c.inputBits) | (sizeCode(c.outputBits) << 4) | (c.version === 2 ? (sizeCode(c.outputBits) << 8) | (1 << 12) : 0);
    this.setGr0('sIDR0', id0 >>> 0);
    this.setGr0('sIDR1', id1 >>> 0);
    this.setGr0('sIDR2', id2 >>> 0);
    this.setGr0('sIDR7', (c.major << 4) | c.minor);
    this.tlb.invalidateAll();
    this.streamCache.clear();
    this.stalled.fill(false);
    this.resumeRequest.fill(undefined);
    this.updateInterrupts();
  }

  private setGr0(name: string, value: number): void {
    this.gr0[this.maps.gr0.named(name)!.offset >>> 2] = value;
  }

  /** A register's value by name: `sCR0`, `SMR2`, `CBAR1`, or `CB1.FSR` for context bank 1 (debugger, tests). */
  register(name: string): number {
    const dot = name.indexOf('.');
    if (dot > 0 && name.startsWith('CB')) {
      const bank = Number(name.slice(2, dot));
      const inst = this.maps.contextBank.named(name.slice(dot + 1));
      if (!inst || !(bank >= 0 && bank < this.banks.length)) throw new Error(`${this.name}: no register ${name}`);
      return this.banks[bank][inst.offset >>> 2];
    }
    const g0 = this.maps.gr0.named(name);
    if (g0) return this.gr0[g0.offset >>> 2];
    const g1 = this.maps.gr1.named(name);
    if (g1) return this.gr1[g1.offset >>> 2];
    throw new Error(`${this.name}: no register ${name}`);
  }

  /** The name of the register at `offset` in the SMMU's space, as `register` takes it (undefined: none there). */
  registerAt(offset: number): string | undefined {
    const where = this.locate(offset);
    const name = where?.map.at(offset % SMMU_PAGE_SIZE & ~3)?.name;
    return name === undefined || where!.bank < 0 ? name : `CB${where!.bank}.${name}`;
  }

  // ---- MMIO ----

  private locate(offset: number): { space: Uint32Array; map: RegisterMap; bank: number } | undefined {
    const page = Math.floor(offset / SMMU_PAGE_SIZE);
    const half = this.config.pagesPerHalf;
    if (page === 0) return { space: this.gr0, map: this.maps.gr0, bank: -1 };
    if (page === 1) return { space: this.gr1, map: this.maps.gr1, bank: -1 };
    const bank = page - half;
    if (bank >= 0 && bank < this.banks.length) return { space: this.banks[bank], map: this.maps.contextBank, bank };
    return undefined;
  }

  read(offset: number, size: 1 | 2 | 4): number {
    const where = this.locate(offset);
    if (!where) return 0;
    const within = offset % SMMU_PAGE_SIZE;
    const inst = where.map.at(within & ~3);
    if (!inst || inst.def.access === 'wo') return 0;
    const value = where.space[within >>> 2];
    return size === 4 ? value : (value >>> (8 * (within & 3))) & (size === 2 ? 0xffff : 0xff);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    const where = this.locate(offset);
    if (!where) return;
    const within = offset % SMMU_PAGE_SIZE;
    const inst = where.map.at(within & ~3);
    if (!inst) return;
    const index = within >>> 2;
    if (size !== 4) {
      const shift = 8 * (within & 3);
      const mask = (size === 2 ? 0xffff : 0xff) << shift;
      value = ((where.space[index] & ~mask) | ((value << shift) & mask)) >>> 0;
    }
    value >>>= 0;
    switch (inst.def.access) {
      case 'ro': return;
      case 'w1c': where.space[index] &= ~value; break;
      default: where.space[index] = value;
    }
    if (where.bank >= 0) this.contextBankWrite(where.bank, inst.def.name, value);
    else this.globalWrite(inst.def.name, value);
  }

  private globalWrite(name: string, value: number): void {
    switch (name) {
      case 'sCR0':
      case 'sGFSR':
        this.updateInterrupts();
        break;
      case 'sGFSRRESTORE':
        this.gr0[this.r.GFSR] = value;
        this.updateInterrupts();
        break;
      case 'SMR{n}':
      case 'S2CR{n}':
        this.streamCache.clear();
        break;
      case 'TLBIVMID':
        this.tlb.invalidateVmid(value & 0xff);
        break;
      case 'TLBIALLNSNH':
        this.tlb.invalidateAll();
        break;
      // TLBIALLH: the model has no hypervisor contexts, so it holds no hyp entries. sTLBGSYNC completes at once
      // (sTLBGSTATUS reads 0).
    }
  }

  private contextBankWrite(bank: number, name: string, value: number): void {
    const regs = this.banks[bank];
    const hi = (reg: string) => regs[(this.maps.contextBank.named(reg)!.offset >>> 2) + 1];
    const lo = (reg: string) => regs[this.maps.contextBank.named(reg)!.offset >>> 2];
    const aarch64 = this.usesAArch64(bank);
    // VA operand of TLBIVA-style operations: AArch32 VA[31:12] with ASID[7:0]; AArch64 VA>>12 with ASID[63:48].
    const vaOperand = (reg: string): [number, number] => {
      const base = reg.replace(/_HI$/, '');
      return aarch64 ? [((hi(base) & 0xfff) * TWO_32 + lo(base)) * 4096, hi(base) >>> 16] : [(lo(base) & 0xfffff000) >>> 0, lo(base) & 0xff];
    };
    switch (name) {
      case 'SCTLR':
      case 'FSR':
        this.updateInterrupts();
        break;
      case 'FSRRESTORE':
        regs[this.maps.contextBank.named('FSR')!.offset >>> 2] = value;
        this.updateInterrupts();
        break;
      case 'RESUME':
        if (this.stalled[bank]) this.resumeRequest[bank] = (value & 1) as 0 | 1;
        this.stalled[bank] = false;
        this.fsrClear(bank, FSR_BITS.SS);
        break;
      case 'TLBIVA': case 'TLBIVA_HI': case 'TLBIVAL': case 'TLBIVAL_HI': {
        const [va, asid] = vaOperand(name);
        this.tlb.invalidateAddress(bank, va, asid);
        break;
      }
      case 'TLBIVAA': case 'TLBIVAA_HI': case 'TLBIVAAL': case 'TLBIVAAL_HI':
        this.tlb.invalidateAddress(bank, vaOperand(name)[0], -1);
        break;
      case 'TLBIASID':
        this.tlb.invalidateAsid(bank, aarch64 ? value & 0xffff : value & 0xff);
        break;
      case 'TLBIALL':
        this.tlb.invalidateBank(bank);
        break;
      case 'TLBIIPAS2': case 'TLBIIPAS2_HI': case 'TLBIIPAS2L': case 'TLBIIPAS2L_HI': {
        const base = name.replace(/_HI$/, '');
        this.tlb.invalidateIpa(bank, ((hi(base) & 0xfff) * TWO_32 + lo(base)) * 4096);
        break;
      }
      case 'ATS1PR': case 'ATS1PR_HI': case 'ATS1PW': case 'ATS1PW_HI': {
        const base = name.replace(/_HI$/, '');
        this.addressTranslationOperation(bank, (aarch64 ? (hi(base) & 0xffff) * TWO_32 : 0) + lo(base), base === 'ATS1PW');
        break;
      }
      // TLBSYNC completes at once: TLBSTATUS reads 0.
    }
  }

  private cbSet(bank: number, word: number, value: number): void {
    this.banks[bank][word] = value >>> 0;
  }

  private fsrClear(bank: number, bits: number): void {
    this.cbSet(bank, CB_WORD.FSR, this.banks[bank][CB_WORD.FSR] & ~bits);
    this.updateInterrupts();
  }

  private usesAArch64(bank: number): boolean {
    return this.r.CBA2R >= 0 && (this.gr1[this.r.CBA2R + bank] & 1) !== 0;
  }

  // ---- Interrupts ----

  private updateInterrupts(): void {
    const scr0 = this.gr0[this.r.SCR0];
    const global = (scr0 & SCR0_FIELDS.GFIE) !== 0 && this.gr0[this.r.GFSR] !== 0;
    if (global !== this.globalLevel) {
      this.globalLevel = global;
      this.globalIrq.setLevel(global);
    }
    for (let irq = 0; irq < this.contextLevels.length; irq++) {
      let level = false;
      for (let bank = 0; bank < this.banks.length && !level; bank++) {
        if (this.interruptIndex(bank) !== irq) continue;
        level = (this.banks[bank][CB_WORD.SCTLR] & SCTLR_BITS.CFIE) !== 0 && (this.banks[bank][CB_WORD.FSR] & FSR_FAULTS) !== 0;
      }
      if (level !== this.contextLevels[irq]) {
        this.contextLevels[irq] = level;
        this.contextIrqs[irq].setLevel(level);
      }
    }
  }

  /** SMMUv1 routes a bank's fault to CBAR.IRPTNDX; SMMUv2 has one interrupt per bank. */
  private interruptIndex(bank: number): number {
    return this.config.version === 1 ? this.gr1[bank] >>> 24 : bank;
  }

  // ---- Translation ----

  /** S2CR index for a stream: the matching SMR, UNMATCHED or CONFLICT (cached until an SMR/S2CR write). */
  private matchStream(streamId: number): number {
    const cached = this.streamCache.get(streamId);
    if (cached !== undefined) return cached;
    let match = UNMATCHED;
    for (let n = 0; n < this.config.streamMatchGroups; n++) {
      const smr = this.gr0[this.r.SMR + n];
      if ((smr & 0x80000000) === 0) continue;
      const mask = (smr >>> 16) & 0x7fff;
      if (((streamId ^ smr) & 0x7fff & ~mask) !== 0) continue;
      if (match !== UNMATCHED) {
        match = CONFLICT;
        break;
      }
      match = n;
    }
    this.streamCache.set(streamId, match);
    return match;
  }

  /** Where a stream's transactions go: a context bank (| ROUTE_PRIVILEGED), BYPASS, or -1 - (the global fault's bit). */
  private route(streamId: number): number {
    if (this.gr0[this.r.SCR0] & SCR0_FIELDS.CLIENTPD) return BYPASS;
    const group = this.matchStream(streamId);
    if (group === UNMATCHED) return (this.gr0[this.r.SCR0] & SCR0_FIELDS.USFCFG) === 0 ? BYPASS : -1 - GFSR_BITS.USF;
    if (group === CONFLICT) return -1 - GFSR_BITS.SMCF;
    const s2cr = this.gr0[this.r.S2CR + group];
    const type = (s2cr >>> 16) & 3;
    if (type === S2CR_BYPASS) return BYPASS;
    // S2CR fault type: the stream is known but barred; reported like an unidentified stream.
    if (type !== S2CR_TRANSLATE) return -1 - GFSR_BITS.USF;
    const bank = s2cr & 0xff;
    if (bank >= this.banks.length) return -1 - GFSR_BITS.UCBF;
    const privcfg = (s2cr >>> 24) & 3;
    return privcfg === 3 ? bank | ROUTE_PRIVILEGED : privcfg === 2 ? bank | ROUTE_UNPRIVILEGED : bank;
  }

  translate(master: BusMasterId, address: number, write: boolean, fetch: boolean): number {
    const route = this.route(master.streamId);
    if (route === BYPASS) return address;
    if (route < 0) return this.globalFault(-1 - route, master, address, write, fetch);
    const bank = route & 0xff;
    const privileged = (route & ROUTE_PRIVILEGED) !== 0 || (fetch && master.privilegedFetches === true && (route & ROUTE_UNPRIVILEGED) === 0);
    for (let attempt = 0; ; attempt++) {
      const physical = this.translateInBank(bank, master, address, write, fetch, privileged, true);
      if (physical >= 0 || this.resumeRequest[bank] !== 0 || attempt >= MAX_RETRIES) {
        this.resumeRequest[bank] = undefined;
        return physical;
      }
      this.resumeRequest[bank] = undefined; // RESUME with retry during the fault interrupt: walk again
    }
  }

  probe(master: BusMasterId, address: number, write: boolean): number {
    const route = this.route(master.streamId);
    if (route === BYPASS) return address;
    if (route < 0) return -1;
    const bank = route & 0xff;
    const type = (this.gr1[bank] >>> 16) & 3;
    const asid = this.asid(bank, type);
    let entry = this.tlb.lookup(bank, address, asid);
    if (entry === undefined) {
      const r = this.walkBank(bank, type, this.banks[bank][CB_WORD.SCTLR], address);
      if (r.fault !== Fault.None) return -1;
      entry = r.entry!;
      this.tlb.insert(bank, address, entry);
    }
    if ((entry.perms & requiredPermission(write, false, (route & ROUTE_PRIVILEGED) !== 0)) === 0) return -1;
    return entry.output + (address - entry.base);
  }

  /**
   * What a transaction of a stream at an address would meet, walk included, changing nothing: no TLB fill, no fault
   * recorded, no interrupt. The walk is the translation path's own, with a trace attached.
   */
  inspect(streamId: number, address: number, write = false, fetch = false): SmmuInspection {
    const trace: WalkTrace = { regimes: [], steps: [] };
    const group = this.matchStream(streamId);
    const s2cr = group >= 0 ? this.gr0[this.r.S2CR + group] : undefined;
    const base = { streamId, address, group, s2cr, trace };
    const route = this.route(streamId);
    if (route === BYPASS) {
      const why = this.gr0[this.r.SCR0] & SCR0_FIELDS.CLIENTPD ? 'SMMU disabled (sCR0.CLIENTPD)' : group === UNMATCHED ? 'unmatched stream, sCR0.USFCFG clear' : 'S2CR bypass';
      return { ...base, bypass: why, physical: address };
    }
    if (route < 0) return { ...base, fault: { kind: bitName(GFSR_BITS, -1 - route), level: 0, bank: -1 } };
    const bank = route & 0xff;
    const type = (this.gr1[bank] >>> 16) & 3;
    const inBank = { ...base, bank, bankType: CBAR_TYPE_NAMES[type] };
    const required = requiredPermission(write, fetch, (route & ROUTE_PRIVILEGED) !== 0);
    const cached = this.tlb.lookup(bank, address, this.asid(bank, type));
    const tlb = cached && { physical: cached.output + (address - cached.base), permitted: (cached.perms & required) !== 0 };
    const r = this.walkBank(bank, type, this.banks[bank][CB_WORD.SCTLR], address, trace);
    if (r.fault !== Fault.None) return { ...inBank, tlb, fault: { kind: bitName(FSR_BITS, FAULT_FSR[r.fault]), level: r.level, bank: r.bank } };
    const entry = r.entry!;
    if ((entry.perms & required) === 0) return { ...inBank, tlb, fault: { kind: bitName(FSR_BITS, FSR_BITS.PF), level: 3, bank }, mapped: entry.output + (address - entry.base) };
    return { ...inBank, tlb, physical: entry.output + (address - entry.base) };
  }

  private globalFault(bit: number, master: BusMasterId, address: number, write: boolean, fetch: boolean): number {
    const gfsr = this.gr0[this.r.GFSR];
    if (gfsr & ~GFSR_BITS.MULTI) this.gr0[this.r.GFSR] = (gfsr | GFSR_BITS.MULTI) >>> 0;
    else {
      this.gr0[this.r.GFSR] = bit;
      this.gr0[this.r.GFAR] = address % TWO_32;
      this.gr0[this.r.GFAR_HI] = Math.floor(address / TWO_32);
      this.gr0[this.r.GFSYNR0] = (write ? GFSYNR0_BITS.WNR : 0) | (fetch ? GFSYNR0_BITS.IND : 0);
      this.gr0[this.r.GFSYNR1] = master.streamId;
    }
    this.updateInterrupts();
    if (this.onFault) this.onFault({ streamId: master.streamId, master: master.name, address, write, bank: -1, kind: bitName(GFSR_BITS, bit) });
    return -BusResponse.SlaveError;
  }

  /**
   * Translates through a context bank: TLB first, then the walk; a fault is recorded (when `record`) and returned as
   * a negative BusResponse. Stall mode (SCTLR.CFCFG) holds the transaction while the fault interrupt is delivered:
   * software that writes RESUME with retry from its handler gets it walked again; otherwise it is terminated.
   */
  private translateInBank(bank: number, master: BusMasterId, address: number, write: boolean, fetch: boolean, privileged: boolean, record: boolean): number {
    const sctlr = this.banks[bank][CB_WORD.SCTLR];
    const cbar = this.gr1[bank];
    const type = (cbar >>> 16) & 3;
    const asid = this.asid(bank, type);
    const cached = this.tlb.lookup(bank, address, asid);
    let entry: TlbEntry | undefined = cached;
    let faultBank = bank;
    let fault = Fault.None;
    let level = 0;
    if (entry === undefined) {
      const r = this.walkBank(bank, type, sctlr, address);
      if (r.fault !== Fault.None) {
        fault = r.fault;
        level = r.level;
        faultBank = r.bank;
      } else {
        entry = r.entry;
        if (record) this.tlb.insert(bank, address, r.entry!);
      }
    }
    if (entry !== undefined) {
      if ((entry.perms & requiredPermission(write, fetch, privileged)) !== 0) {
        const physical = entry.output + (address - entry.base);
        if (record && this.onTranslate) this.onTranslate(bank, master, address, write, cached === undefined, physical);
        return physical;
      }
      fault = Fault.Permission;
      level = 3;
    }
    this.lastFault = fault;
    if (!record) return -BusResponse.SlaveError;
    if (this.onTranslate) this.onTranslate(bank, master, address, write, cached === undefined, -1);
    return this.contextFault(faultBank, master, address, write, fetch, fault, level);
  }

  private asid(bank: number, type: number): number {
    if (type === CBAR_STAGE2) return 0;
    const tcr = this.banks[bank][CB_WORD.TCR];
    if (!this.usesAArch64(bank) && (tcr & 0x80000000) === 0) return this.banks[bank][CB_WORD.CONTEXTIDR] & 0xff;
    return this.banks[bank][CB_WORD.TTBR0_HI] >>> 16;
  }

  private contextFault(bank: number, master: BusMasterId, address: number, write: boolean, fetch: boolean, fault: Fault, level: number): number {
    const fsr = this.banks[bank][CB_WORD.FSR];
    const stall = (this.banks[bank][CB_WORD.SCTLR] & SCTLR_BITS.CFCFG) !== 0;
    if (fsr & FSR_FAULTS) this.cbSet(bank, CB_WORD.FSR, fsr | FSR_BITS.MULTI);
    else {
      this.cbSet(bank, CB_WORD.FSR, FAULT_FSR[fault] | (stall ? FSR_BITS.SS : 0));
      this.cbSet(bank, CB_WORD.FAR, address % TWO_32);
      this.cbSet(bank, CB_WORD.FAR_HI, Math.floor(address / TWO_32));
      this.cbSet(bank, CB_WORD.FSYNR0, (level & 3) | (write ? FSYNR0_BITS.WNR : 0) | (fetch ? FSYNR0_BITS.IND : 0));
      this.gr1[this.r.CBFRSYNRA + bank] = master.streamId;
      if (stall) {
        this.stalled[bank] = true;
        this.resumeRequest[bank] = undefined;
      }
    }
    if (this.onFault) this.onFault({ streamId: master.streamId, master: master.name, address, write, bank, kind: bitName(FSR_BITS, FAULT_FSR[fault]) });
    this.updateInterrupts(); // may run the fault handler, which may RESUME
    return -BusResponse.SlaveError;
  }

  private readonly walkOutcome = { fault: Fault.None, level: 0, bank: 0, entry: undefined as TlbEntry | undefined };

  /** Walks the bank's tables (stage 1, stage 2 or both). */
  private walkBank(bank: number, type: number, sctlr: number, address: number, trace?: WalkTrace): typeof this.walkOutcome {
    const out = this.walkOutcome;
    out.fault = Fault.None;
    out.bank = bank;
    out.entry = undefined;
    const vmid = this.gr1[bank] & 0xff;
    const asid = this.asid(bank, type);
    if (type === CBAR_STAGE2) {
      const r = this.stage2(bank, address, this.walk2, trace);
      if (r.fault !== Fault.None) return this.walkFault(r, bank);
      out.entry = { base: alignDown(address, r.log2Size), log2Size: r.log2Size, output: r.output, perms: r.perms, asid: 0, global: true, vmid, stage2Bank: bank, ipa: alignDown(address, r.log2Size) };
      return out;
    }
    const nested = type === CBAR_NESTED;
    const s2bank = nested ? (this.gr1[bank] >>> 8) & 0xff : -1;
    if (nested && s2bank >= this.banks.length) return this.walkFault({ fault: Fault.Translation, level: 0 }, bank);
    const tableAddress: TableAddressTranslator | undefined = nested
      ? (ipa) => {
          const r = this.stage2(s2bank, ipa, this.walk2, trace);
          return r.fault === Fault.None && (r.perms & PERM_PR) !== 0 ? r.output + (ipa - alignDown(ipa, r.log2Size)) : -1;
        }
      : undefined;
    let s1: WalkResult;
    if (sctlr & SCTLR_BITS.M) {
      s1 = this.stage1(bank, sctlr, address, tableAddress, trace);
      if (s1.fault !== Fault.None) return this.walkFault(s1, bank);
    } else {
      if (trace) trace.regimes.push({ stage: 1, format: 'off (SCTLR.M clear)' });
      s1 = this.walk;
      s1.output = alignDown(address, 12);
      s1.log2Size = 12;
      s1.perms = PERM_ALL;
      s1.global = true;
    }
    if (type === CBAR_STAGE1_S2FAULT) return this.walkFault({ fault: Fault.Translation, level: 0 }, bank);
    const offsetInS1 = address - alignDown(address, s1.log2Size);
    const ipa = s1.output + offsetInS1;
    if (!nested) {
      out.entry = { base: alignDown(address, s1.log2Size), log2Size: s1.log2Size, output: s1.output, perms: s1.perms, asid, global: s1.global, vmid, stage2Bank: -1, ipa: 0 };
      return out;
    }
    const s1perms = s1.perms, s1global = s1.global, s1size = s1.log2Size;
    const s2 = this.stage2(s2bank, ipa, this.walk2, trace);
    if (s2.fault !== Fault.None) return this.walkFault(s2, s2bank);
    const size = Math.min(s1size, s2.log2Size);
    out.entry = {
      base: alignDown(address, size), log2Size: size, output: alignDown(s2.output + (ipa - alignDown(ipa, s2.log2Size)), size),
      perms: s1perms & s2.perms, asid, global: s1global, vmid: this.gr1[s2bank] & 0xff, stage2Bank: s2bank, ipa: alignDown(ipa, size),
    };
    return out;
  }

  private walkFault(r: { fault: Fault; level: number }, bank: number): typeof this.walkOutcome {
    const out = this.walkOutcome;
    out.fault = r.fault;
    out.level = r.level;
    out.bank = bank;
    return out;
  }

  /** Stage 1 of a bank: long format (TTBCR.EAE or AArch64) or short descriptors. */
  private stage1(bank: number, sctlr: number, address: number, tableAddress: TableAddressTranslator | undefined, trace?: WalkTrace): WalkResult {
    const tcr = this.banks[bank][CB_WORD.TCR];
    const out = this.walk;
    const aarch64 = this.usesAArch64(bank);
    if (!aarch64 && (tcr & 0x80000000) === 0) {
      const params = { ttbr0: this.banks[bank][CB_WORD.TTBR0], ttbr1: this.banks[bank][CB_WORD.TTBR1], n: tcr & 7, epd0: (tcr & (1 << 4)) !== 0, epd1: (tcr & (1 << 5)) !== 0, accessFlagEnable: (sctlr & SCTLR_BITS.AFE) !== 0 };
      if (trace) {
        const ttbr1 = params.n > 0 && address >= 2 ** (32 - params.n);
        trace.regimes.push({ stage: 1, format: 'short descriptor', table: `${ttbr1 ? 'TTBR1' : 'TTBR0'} ${hex(ttbr1 ? params.ttbr1 : params.ttbr0)}`, inputBits: 32, startLevel: 1, size: `TTBCR.N ${params.n}` });
      }
      if (!this.config.shortDescriptors || address >= TWO_32) return failWalk(out, Fault.Translation, 1);
      return walkShort(params, address, this.reader, out, tableAddress, trace);
    }
    const outputBits = Math.min(this.config.outputBits, aarch64 ? 48 : 40);
    if (aarch64) {
      const inputBits = 64 - (tcr & 0x3f);
      const params: LongWalkParams = { stage: 1, tableBase: this.ttbr(bank, false), inputBits, startLevel: stage1StartLevel(inputBits), outputBits };
      if (trace) trace.regimes.push(longRegime(params, 'AArch64', 'TTBR0', `T0SZ ${tcr & 0x3f}`));
      if ((tcr & (1 << 7)) !== 0 || address >= 2 ** inputBits) return failWalk(out, Fault.Translation, 0);
      return walkLong(params, address, this.reader, out, tableAddress, trace);
    }
    // AArch32 long format: TTBR0 covers [0, 2^(32-T0SZ)), TTBR1 the top 2^(32-T1SZ) bytes (all the rest if T1SZ is 0).
    const t0sz = tcr & 7, t1sz = (tcr >>> 16) & 7;
    const ttbr0Bits = 32 - t0sz;
    const useTtbr1 = address >= 2 ** ttbr0Bits;
    const inputBits = useTtbr1 ? 32 - t1sz : ttbr0Bits;
    const params: LongWalkParams = { stage: 1, tableBase: this.ttbr(bank, useTtbr1), inputBits, startLevel: stage1StartLevel(inputBits), outputBits };
    if (trace) trace.regimes.push(longRegime(params, 'LPAE', useTtbr1 ? 'TTBR1' : 'TTBR0', useTtbr1 ? `T1SZ ${t1sz}` : `T0SZ ${t0sz}`));
    if (useTtbr1 && !(address < TWO_32 && (t1sz === 0 || address >= TWO_32 - 2 ** (32 - t1sz)))) return failWalk(out, Fault.Translation, 1);
    if (tcr & (useTtbr1 ? 1 << 23 : 1 << 7)) return failWalk(out, Fault.Translation, 1); // EPD1 / EPD0
    return walkLong(params, address, this.reader, out, tableAddress, trace);
  }

  /** Stage 2 of a bank (VTCR in TCR): input size from T0SZ, start level from SL0, concatenated first tables. */
  private stage2(bank: number, ipa: number, out: WalkResult, trace?: WalkTrace): WalkResult {
    const tcr = this.banks[bank][CB_WORD.TCR];
    const sctlr = this.banks[bank][CB_WORD.SCTLR];
    // A nested walk runs stage 2 for every stage-1 table too: its regime is recorded once.
    const describe = trace !== undefined && !trace.regimes.some((r) => r.stage === 2);
    if ((sctlr & SCTLR_BITS.M) === 0) {
      if (describe) trace.regimes.push({ stage: 2, format: 'off (SCTLR.M clear)' });
      out.fault = Fault.None;
      out.output = alignDown(ipa, 12);
      out.log2Size = 12;
      out.perms = PERM_ALL;
      out.global = true;
      return out;
    }
    const aarch64 = this.usesAArch64(bank);
    // AArch32 VTCR.T0SZ is a signed 4-bit value; AArch64 a 6-bit one.
    const t0sz = aarch64 ? tcr & 0x3f : ((tcr & 0xf) << 28) >> 28;
    const inputBits = aarch64 ? 64 - t0sz : 32 - t0sz;
    const sl0 = (tcr >>> 6) & 3;
    const startLevel = sl0 === 0 ? 2 : sl0 === 1 ? 1 : sl0 === 2 && aarch64 ? 0 : -1;
    const params: LongWalkParams = { stage: 2, tableBase: this.ttbr(bank, false), inputBits, startLevel, outputBits: this.config.outputBits };
    if (describe) trace.regimes.push(longRegime(params, aarch64 ? 'AArch64' : 'LPAE', 'VTTBR', `T0SZ ${t0sz}, SL0 ${sl0}`));
    if (startLevel < 0 || inputBits > this.config.inputBits || ipa >= 2 ** inputBits) return failWalk(out, Fault.Translation, Math.max(startLevel, 0));
    return walkLong(params, ipa, this.reader, out, undefined, trace);
  }

  private ttbr(bank: number, ttbr1: boolean): number {
    const word = ttbr1 ? CB_WORD.TTBR1 : CB_WORD.TTBR0;
    const regs = this.banks[bank];
    return (regs[word + 1] & 0xffff) * TWO_32 + ((regs[word] & 0xfffffff0) >>> 0);
  }

  /** ATS1PR/ATS1PW: translate without recording a fault; PAR gets the address or F[0] with the fault status. */
  private addressTranslationOperation(bank: number, address: number, write: boolean): void {
    const probe = { name: 'ATS1', streamId: -1 };
    const physical = this.translateInBank(bank, probe, address, write, false, true, false);
    if (physical >= 0) {
      this.cbSet(bank, CB_WORD.PAR, (alignDown(physical, 12) % TWO_32) >>> 0);
      this.cbSet(bank, CB_WORD.PAR_HI, Math.floor(physical / TWO_32));
    } else {
      this.cbSet(bank, CB_WORD.PAR, 1 | (FAULT_FSR[this.lastFault] << 1));
      this.cbSet(bank, CB_WORD.PAR_HI, 0);
    }
  }

  // ---- Snapshots ----

  snapshot(): SmmuState {
    return { gr0: this.gr0.slice(), gr1: this.gr1.slice(), banks: this.banks.map((b) => b.slice()), tlb: this.tlb.snapshot(), stalled: [...this.stalled] };
  }

  restore(state: SmmuState): void {
    this.gr0.set(state.gr0);
    this.gr1.set(state.gr1);
    state.banks.forEach((b, i) => this.banks[i].set(b));
    this.tlb.restore(state.tlb);
    this.stalled = [...state.stalled];
    this.resumeRequest.fill(undefined);
    this.streamCache.clear();
    this.updateInterrupts();
  }
}

function alignDown(address: number, log2Size: number): number {
  const size = 2 ** log2Size;
  return address - (address % size);
}

function longRegime(p: LongWalkParams, format: string, register: string, size: string): WalkRegime {
  return { stage: p.stage, format, table: `${register} ${hex(p.tableBase)}`, inputBits: p.inputBits, startLevel: p.startLevel, size };
}

function bitName(bits: Readonly<Record<string, number>>, bit: number): string {
  return Object.entries(bits).find(([, b]) => b === bit)![0];
}

function failWalk(out: WalkResult, fault: Fault, level: number): WalkResult {
  out.fault = fault;
  out.level = level;
  return out;
}
