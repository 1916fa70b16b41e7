// ARM ELF mapping symbols ($a, $t, $d: ELF for the ARM Architecture, section 5.5.5): where A32 code, T32 code and
// literal data start in an executable, which is how a disassembler knows which instruction set (if any) a byte is.
import { cString, elfSections } from './dwarf-line';

export type CodeKind = 'arm' | 'thumb' | 'data';

export interface MappingRegion {
  readonly start: number;
  readonly kind: CodeKind;
}

const KINDS: Record<string, CodeKind> = { a: 'arm', t: 'thumb', d: 'data' };

export class MappingSymbols {
  /** Region starts in ascending address order (a later symbol at the same address wins, as for objdump). */
  readonly regions: readonly MappingRegion[];

  constructor(elf: Uint8Array) {
    const sections = elfSections(elf);
    const symtab = sections.get('.symtab');
    const strtab = sections.get('.strtab');
    const found: MappingRegion[] = [];
    if (symtab && strtab) {
      const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
      for (let at = symtab.offset; at + 16 <= symtab.offset + symtab.size; at += 16) {
        const nameAt = strtab.offset + view.getUint32(at, true);
        if (elf[nameAt] !== 0x24 /* $ */) continue;
        const name = cString(elf, nameAt);
        const kind = KINDS[name[1]];
        if (kind === undefined || (name.length > 2 && name[2] !== '.')) continue;
        found.push({ start: view.getUint32(at + 4, true), kind });
      }
    }
    found.sort((a, b) => a.start - b.start);
    this.regions = found.filter((r, i) => i + 1 >= found.length || found[i + 1].start !== r.start);
  }

  /** Index of the region holding `address`, or -1 before the first. */
  private indexAt(address: number): number {
    let lo = 0;
    let hi = this.regions.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.regions[mid].start <= address) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  /** The region holding `address` and where the next one starts (Infinity after the last). */
  regionAt(address: number): { start: number; end: number; kind: CodeKind } | undefined {
    const i = this.indexAt(address);
    if (i < 0) return undefined;
    const next = this.regions[i + 1];
    return { start: this.regions[i].start, end: next ? next.start : Infinity, kind: this.regions[i].kind };
  }
}
