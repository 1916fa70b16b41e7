// The host kernel's IOMMU page tables in the ARM LPAE long-descriptor format (4 KiB granule), written into emulated
// memory where the SMMU walks them: stage 1 (AArch32 long format, 32-bit input) or stage 2 (40-bit IPA from level
// 1 with concatenated tables), with 4K pages, 2M and 1G blocks, and descriptor bits as the Linux IOMMU API's prot
// flags ask for them.
import { ERRNO } from '../linux/errno';
import type { FrameAllocator, PhysicalAccess } from './physical';

/** The Linux IOMMU API protection flags (include/linux/iommu.h). */
export const IOMMU_PROT = { READ: 1, WRITE: 2, CACHE: 4, NOEXEC: 8, MMIO: 16, PRIV: 32 } as const;

/** Page sizes of the LPAE 4 KiB granule: 4K, 2M, 1G. */
export const LPAE_PGSIZE_BITMAP = 0x40201000;

/** MAIR attribute indexes the stage-1 tables use, and the MAIR value that defines them. */
const MAIR_INDEX = { NC: 0, CACHE: 1, DEVICE: 2 } as const;
/** Attr0 normal non-cacheable, Attr1 write-back RW-allocate, Attr2 device nGnRE, Attr3 inner NC outer WB. */
export const LPAE_MAIR = 0xf404ff44;

const PTE_VALID = 1, PTE_TABLE = 3, PTE_PAGE = 3, PTE_BLOCK = 1;
const PTE_AF = 1 << 10, PTE_NG = 1 << 11, PTE_SH_IS = 3 << 8, PTE_SH_OS = 2 << 8;
const PTE_AP_UNPRIV = 1 << 6, PTE_AP_RDONLY = 1 << 7;
const PTE_HAP_READ = 1 << 6, PTE_HAP_WRITE = 1 << 7;
const PTE_XN_HI = 1 << 22; // bit 54
const S2_MEMATTR = { DEVICE: 0x1 << 2, CACHE: 0xf << 2, NC: 0x5 << 2 } as const;

const TWO_32 = 0x1_0000_0000;

export interface PageTableFormat {
  readonly stage: 1 | 2;
  readonly inputBits: number;
  readonly outputBits: number;
}

function levelShift(level: number): number {
  return 12 + 9 * (3 - level);
}

export class LpaePageTable {
  /** Physical address of the first-level table (TTBR0 / VTTBR). */
  readonly root: number;
  readonly startLevel: number;
  readonly pgsizeBitmap = LPAE_PGSIZE_BITMAP;
  private readonly tables: number[] = [];

  constructor(readonly format: PageTableFormat, private readonly frames: FrameAllocator, private readonly mem: PhysicalAccess) {
    this.startLevel = 4 - Math.ceil((format.inputBits - 12) / 9);
    // Stage 2 starts a level lower by concatenating up to 16 first-level tables, as Linux does.
    const rootEntries = 2 ** (format.inputBits - levelShift(this.startLevel));
    if (format.stage === 2 && this.startLevel === 0 && rootEntries <= 16) this.startLevel = 1;
    const pages = Math.max(1, (2 ** (format.inputBits - levelShift(this.startLevel)) * 8) / 4096);
    this.root = frames.allocContiguous(pages);
    if (this.root < 0) throw new Error('io-pgtable: out of memory for the first-level table');
    for (let i = 0; i < pages; i++) this.tables.push(this.root + i * 4096);
  }

  /** Bits of the leaf descriptor for the prot flags (everything but the type and output address). */
  private leafAttributes(prot: number): [number, number] {
    let lo = PTE_AF | (prot & IOMMU_PROT.CACHE ? PTE_SH_IS : PTE_SH_OS);
    if (this.format.stage === 1) {
      lo |= PTE_NG;
      if (!(prot & IOMMU_PROT.WRITE) && prot & IOMMU_PROT.READ) lo |= PTE_AP_RDONLY;
      if (!(prot & IOMMU_PROT.PRIV)) lo |= PTE_AP_UNPRIV;
      lo |= (prot & IOMMU_PROT.MMIO ? MAIR_INDEX.DEVICE : prot & IOMMU_PROT.CACHE ? MAIR_INDEX.CACHE : MAIR_INDEX.NC) << 2;
    } else {
      if (prot & IOMMU_PROT.READ) lo |= PTE_HAP_READ;
      if (prot & IOMMU_PROT.WRITE) lo |= PTE_HAP_WRITE;
      lo |= prot & IOMMU_PROT.MMIO ? S2_MEMATTR.DEVICE : prot & IOMMU_PROT.CACHE ? S2_MEMATTR.CACHE : S2_MEMATTR.NC;
    }
    return [lo, prot & IOMMU_PROT.NOEXEC ? PTE_XN_HI : 0];
  }

  private entryAddress(table: number, level: number, iova: number): number {
    const width = level === this.startLevel ? this.format.inputBits - levelShift(level) : 9;
    return table + (Math.floor(iova / 2 ** levelShift(level)) % 2 ** width) * 8;
  }

  /** Maps [iova, iova+size) to [pa, ...), choosing the largest page size each piece allows. 0 or -errno. */
  map(iova: number, pa: number, size: number, prot: number): number {
    if ((iova | pa | size) % 4096 !== 0 || iova + size > 2 ** this.format.inputBits || pa + size > 2 ** this.format.outputBits) return -ERRNO.EINVAL;
    let done = 0;
    while (done < size) {
      const pgsize = this.pageSizeFor(iova + done, pa + done, size - done);
      const r = this.mapOne(iova + done, pa + done, pgsize, prot);
      if (r < 0) {
        this.unmap(iova, done);
        return r;
      }
      done += pgsize;
    }
    return 0;
  }

  private pageSizeFor(iova: number, pa: number, remaining: number): number {
    for (const shift of [30, 21, 12]) {
      const s = 2 ** shift;
      if ((this.pgsizeBitmap / s) % 2 >= 1 && iova % s === 0 && pa % s === 0 && remaining >= s) return s;
    }
    return 4096;
  }

  private mapOne(iova: number, pa: number, pgsize: number, prot: number): number {
    const leafLevel = 3 - (Math.log2(pgsize) - 12) / 9;
    let table = this.root;
    for (let level = this.startLevel; ; level++) {
      const at = this.entryAddress(table, level, iova);
      const [lo, hi] = this.mem.readDescriptor(at);
      if (level === leafLevel) {
        if (lo & PTE_VALID) return -ERRNO.EEXIST;
        const [attrLo, attrHi] = this.leafAttributes(prot);
        this.mem.writeDescriptor(at, ((pa % TWO_32) | attrLo | (level === 3 ? PTE_PAGE : PTE_BLOCK)) >>> 0, Math.floor(pa / TWO_32) | attrHi);
        return 0;
      }
      if ((lo & PTE_VALID) === 0) {
        const next = this.frames.allocPage();
        if (next < 0) return -ERRNO.ENOMEM;
        this.tables.push(next);
        this.mem.writeDescriptor(at, ((next % TWO_32) | PTE_TABLE) >>> 0, Math.floor(next / TWO_32));
        table = next;
      } else if ((lo & 2) === 0) return -ERRNO.EEXIST; // a block already maps this range
      else table = (hi & 0xff) * TWO_32 + ((lo & 0xfffff000) >>> 0);
    }
  }

  /**
   * Removes the leaf entries in [iova, iova+size) and reports each removed leaf (for TLB invalidation); returns the
   * bytes unmapped. Like Linux it stops at the first hole.
   */
  unmap(iova: number, size: number, removed?: (iova: number, size: number) => void): number {
    let done = 0;
    while (done < size) {
      const leaf = this.findLeaf(iova + done);
      if (!leaf) break;
      const leafSize = 2 ** levelShift(leaf.level);
      if ((iova + done) % leafSize !== 0 || size - done < leafSize) break; // partial block: not split here
      this.mem.writeDescriptor(leaf.at, 0, 0);
      removed?.(iova + done, leafSize);
      done += leafSize;
    }
    return done;
  }

  private findLeaf(iova: number): { at: number; level: number } | undefined {
    let table = this.root;
    for (let level = this.startLevel; level <= 3; level++) {
      const at = this.entryAddress(table, level, iova);
      const [lo, hi] = this.mem.readDescriptor(at);
      if ((lo & PTE_VALID) === 0) return undefined;
      if (level === 3 || (lo & 2) === 0) return { at, level };
      table = (hi & 0xff) * TWO_32 + ((lo & 0xfffff000) >>> 0);
    }
    return undefined;
  }

  /** The physical address an IOVA maps to, or -1 (the kernel's iova_to_phys). */
  iovaToPhys(iova: number): number {
    const leaf = this.findLeaf(iova);
    if (!leaf) return -1;
    const [lo, hi] = this.mem.readDescriptor(leaf.at);
    const size = 2 ** levelShift(leaf.level);
    const base = (hi & 0xff) * TWO_32 + ((lo & 0xfffff000) >>> 0);
    return base - (base % size) + (iova % size);
  }

  /** Frees every table (the domain is gone). */
  free(): void {
    for (const t of this.tables.splice(0)) this.frames.freePage(t);
  }
}
