// The SMMU's TLB: walk results cached per context bank and 4 KiB input page, tagged with ASID (non-global stage 1
// mappings) and VMID, kept until a TLB maintenance operation removes them — as hardware may — so a driver that
// forgets an invalidation sees stale translations here too.

export interface TlbEntry {
  /** Input address and size of the cached mapping (the smaller of the stages' mappings). */
  readonly base: number;
  readonly log2Size: number;
  readonly output: number;
  readonly perms: number;
  readonly asid: number;
  readonly global: boolean;
  readonly vmid: number;
  /** The context bank whose stage 2 produced it (-1: no stage 2) and the intermediate address of base. */
  readonly stage2Bank: number;
  readonly ipa: number;
}

/** Entries per context bank before the bank's TLB is emptied (bounds memory; hardware TLBs are small too). */
const BANK_CAPACITY = 4096;

export type TlbState = readonly Map<number, TlbEntry>[];

export class Tlb {
  private banks: Map<number, TlbEntry>[];

  constructor(contextBanks: number) {
    this.banks = Array.from({ length: contextBanks }, () => new Map());
  }

  lookup(bank: number, address: number, asid: number): TlbEntry | undefined {
    const entry = this.banks[bank].get(Math.floor(address / 4096));
    return entry !== undefined && (entry.global || entry.asid === asid) ? entry : undefined;
  }

  insert(bank: number, address: number, entry: TlbEntry): void {
    const map = this.banks[bank];
    if (map.size >= BANK_CAPACITY) map.clear();
    map.set(Math.floor(address / 4096), entry);
  }

  /** Removes the entries of one bank that satisfy the predicate. */
  private drop(bank: number, stale: (e: TlbEntry) => boolean): void {
    const map = this.banks[bank];
    for (const [page, e] of map) if (stale(e)) map.delete(page);
  }

  /** TLBIVA / TLBIVAL (asid >= 0: that ASID and global entries) and TLBIVAA / TLBIVAAL (asid < 0). */
  invalidateAddress(bank: number, address: number, asid: number): void {
    this.drop(bank, (e) => address >= e.base && address < e.base + 2 ** e.log2Size && (asid < 0 || e.global || e.asid === asid));
  }

  /** TLBIASID: the non-global entries of an ASID. */
  invalidateAsid(bank: number, asid: number): void {
    this.drop(bank, (e) => !e.global && e.asid === asid);
  }

  /** TLBIALL of a context bank. */
  invalidateBank(bank: number): void {
    this.banks[bank].clear();
  }

  /** TLBIIPAS2 / TLBIIPAS2L written to a stage-2 bank: every entry its stage 2 produced for that IPA. */
  invalidateIpa(stage2Bank: number, ipa: number): void {
    for (let bank = 0; bank < this.banks.length; bank++) {
      this.drop(bank, (e) => e.stage2Bank === stage2Bank && ipa >= e.ipa && ipa < e.ipa + 2 ** e.log2Size);
    }
  }

  invalidateVmid(vmid: number): void {
    for (let bank = 0; bank < this.banks.length; bank++) this.drop(bank, (e) => e.vmid === vmid);
  }

  invalidateAll(): void {
    for (const map of this.banks) map.clear();
  }

  /** Cached entries (for the debugger and tests). */
  entries(bank: number): readonly TlbEntry[] {
    return [...this.banks[bank].values()];
  }

  snapshot(): TlbState {
    return this.banks.map((m) => new Map(m));
  }

  restore(state: TlbState): void {
    this.banks = state.map((m) => new Map(m));
  }
}
