// The VFIO type-1 IOMMU backend: DMA mappings of pinned user pages at IOVAs of the program's choice, programmed into
// the SMMU domains of the container's groups (page tables in memory, TLB invalidation on unmap), with the argument
// checks and errno values of drivers/vfio/vfio_iommu_type1.c.
import { PAGE_SIZE } from '../bus/memory';
import type { SmmuDomain, ArmSmmuDriver } from '../host/arm-smmu';
import { IOMMU_PROT } from '../host/io-pgtable';
import type { HostKernel } from '../host/kernel';
import type { UserContext } from '../linux/files';
import type { VfioGroup } from './group';
import { LINUX_FLAGS, VFIO_DMA_MAP_FLAGS, VFIO_DMA_UNMAP_FLAGS, VFIO_EXTENSION, VFIO_IOCTL, VFIO_IOMMU_INFO_FLAGS, VFIO_IOMMU_TYPE1_INFO_CAP, VFIO_STRUCTS, encodeStruct, offsetofend } from './uapi';
import { ERRNO } from '../linux/errno';
import { copyStructFromUser, copyStructToUser, readIoctlArg } from './user';

/** The software MSI window arm-smmu reserves in every domain (MSI_IOVA_BASE, MSI_IOVA_LENGTH). */
const MSI_IOVA_BASE = 0x8000000;
const MSI_IOVA_LENGTH = 0x100000;
/** vfio_iommu_type1's default dma_entry_limit (U16_MAX) and the dirty bitmap limit it reports. */
const DMA_ENTRY_LIMIT = 65535;
const DIRTY_BITMAP_SIZE_MAX = 0x10000000n;
const U64_MAX = 0xffffffffffffffffn;
const ULONG_MAX = 0xffffffffn; // armhf: unsigned long and size_t are 32 bits

export function type1Supports(extension: number): boolean {
  return [VFIO_EXTENSION.TYPE1_IOMMU, VFIO_EXTENSION.TYPE1v2_IOMMU, VFIO_EXTENSION.TYPE1_NESTING_IOMMU, VFIO_EXTENSION.UNMAP_ALL, VFIO_EXTENSION.UPDATE_VADDR].includes(extension as never);
}

interface DmaMapping {
  readonly iova: number;
  readonly size: number;
  readonly vaddr: number;
  readonly prot: number;
  /** Physical frames pinned for it, page by page. */
  readonly frames: readonly number[];
}

export class Type1Iommu {
  readonly v2: boolean;
  readonly nesting: boolean;
  private readonly domains = new Map<ArmSmmuDriver, SmmuDomain>();
  private readonly groups: VfioGroup[] = [];
  /** Sorted by IOVA, never overlapping. */
  private dmas: DmaMapping[] = [];

  constructor(readonly kernel: HostKernel, type: number) {
    this.v2 = type !== VFIO_EXTENSION.TYPE1_IOMMU;
    this.nesting = type === VFIO_EXTENSION.TYPE1_NESTING_IOMMU;
  }

  checkExtension(extension: number): number {
    return type1Supports(extension) ? 1 : 0;
  }

  /** Page sizes every domain supports (0x40201000 for LPAE tables). */
  get pgsizeBitmap(): number {
    let bitmap = 0x40201000;
    for (const d of this.domains.values()) bitmap &= d.pgsizeBitmap;
    return bitmap;
  }

  /** Valid IOVA ranges: the smallest aperture, minus the MSI window. */
  private iovaRanges(): [number, number][] {
    let end = 2 ** 32 - 1;
    for (const d of this.domains.values()) end = Math.min(end, 2 ** d.inputBits - 1);
    return [[0, MSI_IOVA_BASE - 1], [MSI_IOVA_BASE + MSI_IOVA_LENGTH, end]];
  }

  attachGroup(group: VfioGroup): number {
    const smmu = group.iommuGroup.smmu;
    let domain = this.domains.get(smmu);
    let fresh = false;
    if (!domain) {
      const d = smmu.allocDomain(this.nesting);
      if (typeof d === 'number') return d;
      domain = d;
      fresh = true;
      // A new domain gets every existing mapping (vfio_iommu_replay).
      for (const dma of this.dmas) {
        const r = this.mapInto(domain, dma);
        if (r < 0) {
          smmu.freeDomain(domain);
          return r;
        }
      }
    }
    for (const device of group.iommuGroup.devices) {
      const r = smmu.attach(domain, device.streamIds);
      if (r < 0) {
        for (const dv of group.iommuGroup.devices) smmu.detach(domain, dv.streamIds);
        if (fresh) smmu.freeDomain(domain);
        return r;
      }
    }
    this.domains.set(smmu, domain);
    this.groups.push(group);
    return 0;
  }

  detachGroup(group: VfioGroup): void {
    const i = this.groups.indexOf(group);
    if (i < 0) return;
    this.groups.splice(i, 1);
    const smmu = group.iommuGroup.smmu;
    const domain = this.domains.get(smmu);
    if (!domain) return;
    for (const device of group.iommuGroup.devices) smmu.detach(domain, device.streamIds);
    if (domain.streams.size === 0) {
      this.domains.delete(smmu);
      smmu.freeDomain(domain);
    }
    if (this.domains.size === 0) this.unpinAll();
  }

  release(): void {
    for (const g of [...this.groups]) this.detachGroup(g);
    this.unpinAll();
  }

  private unpinAll(): void {
    for (const dma of this.dmas) for (const f of dma.frames) this.kernel.unpin(f);
    this.dmas = [];
  }

  ioctl(proc: UserContext, request: number, arg: number): number {
    switch (request) {
      case VFIO_IOCTL.IOMMU_GET_INFO: return this.getInfo(proc, arg);
      case VFIO_IOCTL.IOMMU_MAP_DMA: return this.mapDma(proc, arg);
      case VFIO_IOCTL.IOMMU_UNMAP_DMA: return this.unmapDma(proc, arg);
    }
    return -ERRNO.ENOTTY;
  }

  private getInfo(proc: UserContext, arg: number): number {
    const s = VFIO_STRUCTS.iommu_type1_info;
    let minsz = offsetofend(s, 'iova_pgsizes');
    const capsz = offsetofend(s, 'cap_offset');
    const info = copyStructFromUser(proc, arg, s, minsz);
    if (typeof info === 'number') return info;
    if (info.argsz < BigInt(minsz)) return -ERRNO.EINVAL;
    let capOffset = 0;
    if (info.argsz >= BigInt(capsz)) minsz = capsz;
    // The capability chain, in the kernel's order: migration, DMA available, IOVA ranges; each 8-byte aligned.
    const ranges = this.iovaRanges();
    const caps: Uint8Array[] = [
      encodeStruct(VFIO_STRUCTS.cap_migration, { pgsize_bitmap: BigInt(this.pgsizeBitmap & -this.pgsizeBitmap), max_dirty_bitmap_size: DIRTY_BITMAP_SIZE_MAX }),
      encodeStruct(VFIO_STRUCTS.cap_dma_avail, { avail: DMA_ENTRY_LIMIT - this.dmas.length }),
      (() => {
        const head = VFIO_STRUCTS.cap_iova_range;
        const out = new Uint8Array(head.size + ranges.length * VFIO_STRUCTS.iova_range.size);
        encodeStruct(head, { nr_iovas: ranges.length }, out.subarray(0, head.size));
        ranges.forEach(([start, end], i) => encodeStruct(VFIO_STRUCTS.iova_range, { start: BigInt(start), end: BigInt(end) }, out.subarray(head.size + i * 16, head.size + i * 16 + 16)));
        return out;
      })(),
    ];
    const ids = [VFIO_IOMMU_TYPE1_INFO_CAP.MIGRATION, VFIO_IOMMU_TYPE1_INFO_CAP.DMA_AVAIL, VFIO_IOMMU_TYPE1_INFO_CAP.IOVA_RANGE];
    const infoSize = s.size;
    const padded = caps.map((c) => Math.ceil(c.length / 8) * 8);
    const capsSize = padded.reduce((a, b) => a + b, 0);
    let argsz = info.argsz;
    if (info.argsz < BigInt(infoSize + capsSize)) argsz = BigInt(infoSize + capsSize);
    else {
      const chain = new Uint8Array(capsSize);
      let at = 0;
      caps.forEach((c, i) => {
        chain.set(c, at);
        const next = i + 1 < caps.length ? infoSize + at + padded[i] : 0;
        encodeStruct(VFIO_STRUCTS.cap_header, { id: ids[i], version: 1, next }, chain.subarray(at, at + 8));
        at += padded[i];
      });
      if (!proc.writeMemory(arg + infoSize, chain)) return -ERRNO.EFAULT;
      capOffset = infoSize;
    }
    const flags = VFIO_IOMMU_INFO_FLAGS.PGSIZES | VFIO_IOMMU_INFO_FLAGS.CAPS;
    return copyStructToUser(proc, arg, s, { argsz, flags, iova_pgsizes: BigInt(this.pgsizeBitmap), cap_offset: capOffset }, minsz);
  }

  private mapDma(proc: UserContext, arg: number): number {
    const a = readIoctlArg(proc, arg, VFIO_STRUCTS.dma_map, 'size');
    if (typeof a === 'number') return a;
    const map = a.values;
    const allowed = VFIO_DMA_MAP_FLAGS.READ | VFIO_DMA_MAP_FLAGS.WRITE | VFIO_DMA_MAP_FLAGS.VADDR;
    if ((map.flags & ~BigInt(allowed)) !== 0n) return -ERRNO.EINVAL;
    // unsigned long vaddr and size_t size are 32 bits on armhf: values that do not fit are EINVAL.
    if (map.vaddr > ULONG_MAX || map.size > ULONG_MAX) return -ERRNO.EINVAL;
    const flags = Number(map.flags);
    const prot = (flags & VFIO_DMA_MAP_FLAGS.READ ? IOMMU_PROT.READ : 0) | (flags & VFIO_DMA_MAP_FLAGS.WRITE ? IOMMU_PROT.WRITE : 0);
    const setVaddr = (flags & VFIO_DMA_MAP_FLAGS.VADDR) !== 0;
    if ((prot !== 0) === setVaddr) return -ERRNO.EINVAL;
    const pgsize = BigInt(this.pgsizeBitmap & -this.pgsizeBitmap);
    if (map.size === 0n || ((map.size | map.iova | map.vaddr) & (pgsize - 1n)) !== 0n) return -ERRNO.EINVAL;
    if (map.iova + map.size - 1n > U64_MAX || map.vaddr + map.size - 1n > ULONG_MAX) return -ERRNO.EINVAL;
    const iova = Number(map.iova), size = Number(map.size), vaddr = Number(map.vaddr);
    if (this.findOverlap(iova, size)) return setVaddr ? -ERRNO.EINVAL : -ERRNO.EEXIST;
    if (setVaddr) return -ERRNO.ENOENT;
    if (this.dmas.length >= DMA_ENTRY_LIMIT) return -ERRNO.ENOSPC;
    if (!this.iovaRanges().some(([start, end]) => iova >= start && iova + size - 1 <= end)) return -ERRNO.EINVAL;
    // Pin the user pages: every page mapped, and writable when the device may write.
    const frames: number[] = [];
    for (let off = 0; off < size; off += PAGE_SIZE) {
      const page = proc.pageOf(vaddr + off);
      if (!page || ((prot & IOMMU_PROT.WRITE) && !(page.prot & LINUX_FLAGS.PROT_WRITE))) return -ERRNO.EFAULT;
      frames.push(page.physical);
    }
    const dma: DmaMapping = { iova, size, vaddr, prot: prot | IOMMU_PROT.CACHE, frames };
    for (const domain of this.domains.values()) {
      const r = this.mapInto(domain, dma);
      if (r < 0) {
        for (const d of this.domains.values()) d.smmu.unmap(d, iova, size);
        return r;
      }
    }
    for (const f of frames) this.kernel.pin(f);
    const at = this.dmas.findIndex((d) => d.iova > iova);
    this.dmas.splice(at < 0 ? this.dmas.length : at, 0, dma);
    return 0;
  }

  /** Maps a DMA range into a domain in physically contiguous runs (so aligned runs can use blocks). */
  private mapInto(domain: SmmuDomain, dma: DmaMapping): number {
    for (let i = 0; i < dma.frames.length; ) {
      let run = 1;
      while (i + run < dma.frames.length && dma.frames[i + run] === dma.frames[i] + run * PAGE_SIZE) run++;
      const r = domain.smmu.map(domain, dma.iova + i * PAGE_SIZE, dma.frames[i], run * PAGE_SIZE, dma.prot);
      if (r < 0) {
        domain.smmu.unmap(domain, dma.iova, i * PAGE_SIZE);
        return r;
      }
      i += run;
    }
    return 0;
  }

  private findOverlap(iova: number, size: number): DmaMapping | undefined {
    return this.dmas.find((d) => d.iova < iova + size && iova < d.iova + d.size);
  }

  private unmapDma(proc: UserContext, arg: number): number {
    const a = readIoctlArg(proc, arg, VFIO_STRUCTS.dma_unmap, 'size');
    if (typeof a === 'number') return a;
    const unmap = a.values;
    const allowed = VFIO_DMA_UNMAP_FLAGS.GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAGS.ALL | VFIO_DMA_UNMAP_FLAGS.VADDR;
    if ((unmap.flags & ~BigInt(allowed)) !== 0n) return -ERRNO.EINVAL;
    const flags = Number(unmap.flags);
    if (flags & VFIO_DMA_UNMAP_FLAGS.GET_DIRTY_BITMAP) return -ERRNO.EINVAL; // dirty tracking is not started
    const all = (flags & VFIO_DMA_UNMAP_FLAGS.ALL) !== 0;
    const pgsize = BigInt(this.pgsizeBitmap & -this.pgsizeBitmap);
    if (unmap.size > ULONG_MAX) return -ERRNO.EINVAL;
    let first = Number(unmap.iova), last: number;
    if (all) {
      if (unmap.iova !== 0n || unmap.size !== 0n) return -ERRNO.EINVAL;
      first = 0;
      last = Number.MAX_SAFE_INTEGER;
    } else {
      if (unmap.size === 0n || (unmap.size & (pgsize - 1n)) !== 0n || unmap.iova + unmap.size - 1n > U64_MAX) return -ERRNO.EINVAL;
      last = first + Number(unmap.size) - 1;
    }
    if ((unmap.iova & (pgsize - 1n)) !== 0n) return -ERRNO.EINVAL;
    if (flags & VFIO_DMA_UNMAP_FLAGS.VADDR) return -ERRNO.EINVAL;
    if (this.v2 && !all) {
      // TYPE1v2 refuses to bisect a mapping at either end.
      const head = this.dmas.find((d) => d.iova <= first && first < d.iova + d.size);
      if (head && head.iova !== first) return -ERRNO.EINVAL;
      const tail = this.dmas.find((d) => d.iova <= last && last < d.iova + d.size);
      if (tail && tail.iova + tail.size - 1 !== last) return -ERRNO.EINVAL;
    }
    // Whole mappings whose first IOVA lies in the range go.
    let unmapped = 0;
    this.dmas = this.dmas.filter((d) => {
      if (d.iova < first || d.iova > last) return true;
      for (const domain of this.domains.values()) domain.smmu.unmap(domain, d.iova, d.size);
      for (const f of d.frames) this.kernel.unpin(f);
      unmapped += d.size;
      return false;
    });
    return copyStructToUser(proc, arg, VFIO_STRUCTS.dma_unmap, { ...unmap, size: BigInt(unmapped) }, a.minsz);
  }
}
