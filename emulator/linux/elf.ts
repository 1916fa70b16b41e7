// ELF32 little-endian ARM executables: header checks with clear messages, and loading PT_LOAD segments into a
// process address space. Static executables (ET_EXEC, static PIE) run directly; a PT_INTERP names the dynamic
// loader, which the caller loads the same way at a bias.
import { PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, type UserAddressSpace } from './address-space';

export const PT_LOAD = 1;
const PT_INTERP = 3;
const PT_PHDR = 6;
const EM_ARM = 40;
const ET_EXEC = 2;
const ET_DYN = 3;

export class ElfError extends Error {}

export interface ProgramHeader {
  readonly type: number;
  readonly offset: number;
  readonly vaddr: number;
  /** Where the segment goes in physical memory (bare-metal programs and kernels are loaded there). */
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly flags: number;
}

export interface ElfImage {
  readonly type: number;
  readonly entry: number;
  readonly phoff: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly headers: readonly ProgramHeader[];
  readonly interpreter: string | undefined;
  /** e_flags: EF_ARM_ABI_FLOAT_HARD (0x400) tells armhf from armel. */
  readonly flags: number;
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export function parseElf(bytes: Uint8Array): ElfImage {
  if (!isElf(bytes)) throw new ElfError('not an ELF file (no \\x7fELF magic)');
  if (bytes[4] !== 1) throw new ElfError('not a 32-bit ELF file (ELFCLASS64): dmalab runs ARMv7 (AArch32) programs');
  if (bytes[5] !== 1) throw new ElfError('not a little-endian ELF file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== EM_ARM) throw new ElfError(`ELF machine ${machine} is not ARM (40)`);
  if (type !== ET_EXEC && type !== ET_DYN) throw new ElfError(`ELF type ${type} is not an executable`);
  const entry = view.getUint32(24, true);
  const phoff = view.getUint32(28, true);
  const flags = view.getUint32(36, true);
  const phentsize = view.getUint16(42, true);
  const phnum = view.getUint16(44, true);
  if (phoff + phnum * phentsize > bytes.length || phentsize < 32) throw new ElfError('program headers lie outside the file');
  const headers: ProgramHeader[] = [];
  let interpreter: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const h: ProgramHeader = {
      type: view.getUint32(at, true),
      offset: view.getUint32(at + 4, true),
      vaddr: view.getUint32(at + 8, true),
      paddr: view.getUint32(at + 12, true),
      filesz: view.getUint32(at + 16, true),
      memsz: view.getUint32(at + 20, true),
      flags: view.getUint32(at + 24, true),
    };
    if ((h.type === PT_LOAD || h.type === PT_INTERP) && h.offset + h.filesz > bytes.length) throw new ElfError(`segment ${i} lies outside the file`);
    if (h.type === PT_INTERP) interpreter = Buffer.from(bytes.subarray(h.offset, h.offset + h.filesz)).toString('latin1').replace(/\0.*$/s, '');
    headers.push(h);
  }
  if (!headers.some((h) => h.type === PT_LOAD)) throw new ElfError('no loadable segment');
  return { type, entry, phoff, phentsize, phnum, headers, interpreter, flags };
}

export interface LoadedImage {
  readonly entry: number;
  /** Where the program headers are in memory (AT_PHDR). */
  readonly phdr: number;
  readonly bias: number;
  /** First page above the highest segment: the initial program break. */
  readonly end: number;
}

/** Maps and fills the PT_LOAD segments at `bias` (0 for ET_EXEC). */
export function loadElf(image: ElfImage, bytes: Uint8Array, memory: UserAddressSpace, bias: number): LoadedImage {
  let end = 0;
  let phdr = -1;
  for (const h of image.headers) {
    if (h.type === PT_PHDR) phdr = h.vaddr + bias;
    if (h.type !== PT_LOAD || h.memsz === 0) continue;
    const start = h.vaddr + bias;
    const prot = (h.flags & 4 ? PROT_READ : 0) | (h.flags & 2 ? PROT_WRITE : 0) | (h.flags & 1 ? PROT_EXEC : 0);
    const pageStart = Math.floor(start / PAGE_SIZE) * PAGE_SIZE;
    const pageEnd = Math.ceil((start + h.memsz) / PAGE_SIZE) * PAGE_SIZE;
    // Segments may share a boundary page: keep what is already there and widen its protection.
    for (let page = pageStart; page < pageEnd; page += PAGE_SIZE) {
      if (memory.isMapped(page, PAGE_SIZE)) memory.protect(page, PAGE_SIZE, prot | memory.protection(page));
      else memory.mapAnonymous(page, PAGE_SIZE, prot);
    }
    memory.load(start, bytes.subarray(h.offset, h.offset + h.filesz));
    if (phdr < 0 && image.phoff >= h.offset && image.phoff < h.offset + h.filesz) phdr = start + (image.phoff - h.offset);
    end = Math.max(end, pageEnd);
  }
  return { entry: (image.entry + bias) >>> 0, phdr, bias, end };
}
