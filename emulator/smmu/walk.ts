// Translation table walks of the ARM VMSA as an SMMUv1/v2 performs them, reading descriptors from emulated
// memory: long descriptors (LPAE / AArch64, 4 KiB granule, levels 0-3, tables, blocks and pages) for stage 1 and
// stage 2, and the AArch32 short-descriptor format for stage 1 (sections, supersections, large and small pages).
// A walk yields the mapping (base, size, permissions) or the fault; permission checks are the caller's, because a
// TLB caches the walk and checks each access against it.

export const enum Fault {
  None = 0,
  Translation = 1,
  AccessFlag = 2,
  Permission = 3,
  AddressSize = 4,
  External = 5,
}

/** Permission bits: unprivileged and privileged read/write/execute. */
export const PERM_UR = 1, PERM_UW = 2, PERM_UX = 4, PERM_PR = 8, PERM_PW = 16, PERM_PX = 32;
export const PERM_ALL = 63;
const PERM_WRITE = PERM_UW | PERM_PW;
const PERM_UNPRIV = PERM_UR | PERM_UW | PERM_UX;
const PERM_EXEC = PERM_UX | PERM_PX;

/** The permission an access needs. */
export function requiredPermission(write: boolean, fetch: boolean, privileged: boolean): number {
  const bit = fetch ? PERM_UX : write ? PERM_UW : PERM_UR;
  return privileged ? bit << 3 : bit;
}

/** A walk's outcome; one object is reused per walker so walks allocate nothing. */
export class WalkResult {
  fault: Fault = Fault.None;
  /** Level of the final descriptor or of the fault. */
  level = 0;
  /** Output address of the mapping's base, and log2 of its size (12, 16, 20, 21, 24, 30). */
  output = 0;
  log2Size = 12;
  perms = 0;
  /** False for nG (ASID-tagged) mappings. */
  global = true;
}

/** Reads descriptors (little-endian) from physical memory; false means an external abort. */
export interface DescriptorReader {
  read(address: number, size: 4 | 8): boolean;
  /** The word(s) the last read returned. */
  lo: number;
  hi: number;
}

/** A descriptor's type as the walk decoded it. */
export const enum Descriptor {
  Invalid = 0,
  Table = 1,
  Block = 2,
  Page = 3,
  Section = 4,
  Supersection = 5,
  LargePage = 6,
  SmallPage = 7,
  /** Its address did not translate (nested) or the read aborted. */
  Unreadable = 8,
}

export const DESCRIPTOR_NAMES: Readonly<Record<Descriptor, string>> = {
  [Descriptor.Invalid]: 'invalid',
  [Descriptor.Table]: 'table',
  [Descriptor.Block]: 'block',
  [Descriptor.Page]: 'page',
  [Descriptor.Section]: 'section',
  [Descriptor.Supersection]: 'supersection',
  [Descriptor.LargePage]: 'large page',
  [Descriptor.SmallPage]: 'small page',
  [Descriptor.Unreadable]: 'unreadable',
};

/** One descriptor a walk read, recorded only when the caller passes a trace (inspection: `smmu walk`). */
export interface WalkStep {
  readonly stage: 1 | 2;
  readonly format: 'long' | 'short';
  readonly level: number;
  /** The descriptor's address as the walk computed it (an IPA for stage 1 of a nested walk). */
  readonly tableAddress: number;
  /** Where it was read (physical), -1 when the table address did not translate. */
  readonly address: number;
  readonly lo: number;
  readonly hi: number;
  readonly kind: Descriptor;
}

/** The translation regime of one stage, as the SMMU derived it from the bank's registers. */
export interface WalkRegime {
  readonly stage: 1 | 2;
  /** e.g. `LPAE`, `AArch64`, `short descriptor`, `off (SCTLR.M clear)`. */
  readonly format: string;
  /** Which register gives the first table and its value, e.g. `TTBR0 0x80100000`. */
  readonly table?: string;
  readonly inputBits?: number;
  readonly startLevel?: number;
  /** The size field the input range comes from, e.g. `T0SZ 0`. */
  readonly size?: string;
}

/** What an inspecting walk saw; the translation path passes none and records nothing. */
export interface WalkTrace {
  readonly regimes: WalkRegime[];
  readonly steps: WalkStep[];
}

function record(trace: WalkTrace, stage: 1 | 2, format: 'long' | 'short', level: number, tableAddress: number, address: number, lo: number, hi: number, kind: Descriptor): void {
  trace.steps.push({ stage, format, level, tableAddress, address, lo, hi, kind });
}

/** A long descriptor's type at a level: 0b11 is a table above level 3 and a page at it; blocks exist at levels 1-2. */
function longKind(lo: number, level: number): Descriptor {
  if ((lo & 1) === 0) return Descriptor.Invalid;
  if ((lo & 2) !== 0) return level < 3 ? Descriptor.Table : Descriptor.Page;
  return level === 1 || level === 2 ? Descriptor.Block : Descriptor.Invalid;
}

/** Translates a stage-1 table address (an IPA in nested translation) to a physical address, or -1 on a fault. */
export type TableAddressTranslator = (ipa: number) => number;

export interface LongWalkParams {
  readonly stage: 1 | 2;
  /** Address of the first-level table (physical, or an IPA when tableAddress is given). */
  readonly tableBase: number;
  /** Bits of input address the table tree resolves (the caller has checked the range). */
  readonly inputBits: number;
  readonly startLevel: number;
  readonly outputBits: number;
}

const TWO_32 = 0x1_0000_0000;

/** log2 of the region one descriptor at a level maps with the 4 KiB granule. */
export function levelShift(level: number): number {
  return 12 + 9 * (3 - level);
}

/** The start level of a stage-1 long-format walk for an input size (4 KiB granule). */
export function stage1StartLevel(inputBits: number): number {
  return 4 - Math.ceil((inputBits - 12) / 9);
}

function fail(out: WalkResult, fault: Fault, level: number): WalkResult {
  out.fault = fault;
  out.level = level;
  return out;
}

export function walkLong(p: LongWalkParams, address: number, reader: DescriptorReader, out: WalkResult, tableAddress?: TableAddressTranslator, trace?: WalkTrace): WalkResult {
  const outputLimit = 2 ** p.outputBits;
  let table = p.tableBase;
  let level = p.startLevel;
  let limits = PERM_ALL;
  out.global = true;
  for (;;) {
    const shift = levelShift(level);
    const width = level === p.startLevel ? p.inputBits - shift : 9;
    if (width < 1 || width > 13) return fail(out, Fault.Translation, level);
    const index = Math.floor(address / 2 ** shift) % 2 ** width;
    const walked = table + index * 8;
    let descriptorAddress = walked;
    if (tableAddress) {
      descriptorAddress = tableAddress(walked);
      if (descriptorAddress < 0) {
        if (trace) record(trace, p.stage, 'long', level, walked, -1, 0, 0, Descriptor.Unreadable);
        return fail(out, Fault.Translation, level);
      }
    }
    if (!reader.read(descriptorAddress, 8)) {
      if (trace) record(trace, p.stage, 'long', level, walked, descriptorAddress, 0, 0, Descriptor.Unreadable);
      return fail(out, Fault.External, level);
    }
    const lo = reader.lo;
    const hi = reader.hi;
    const kind = longKind(lo, level);
    if (trace) record(trace, p.stage, 'long', level, walked, descriptorAddress, lo, hi, kind);
    if (kind === Descriptor.Invalid) return fail(out, Fault.Translation, level);
    const next = (hi & 0xffff) * TWO_32 + ((lo & 0xfffff000) >>> 0);
    if (kind === Descriptor.Table) {
      if (next >= outputLimit) return fail(out, Fault.AddressSize, level);
      if (p.stage === 1) {
        if (hi & (1 << 30)) limits &= ~PERM_WRITE; // APTable[1]: read-only below
        if (hi & (1 << 29)) limits &= ~PERM_UNPRIV; // APTable[0]: no unprivileged access below
        if (hi & (1 << 28)) limits &= ~PERM_EXEC; // XNTable
        if (hi & (1 << 27)) limits &= ~PERM_PX; // PXNTable
      }
      table = next;
      level++;
      continue;
    }
    const base = Math.floor(next / 2 ** shift) * 2 ** shift;
    if (base >= outputLimit) return fail(out, Fault.AddressSize, level);
    if ((lo & (1 << 10)) === 0) return fail(out, Fault.AccessFlag, level);
    const xn = (hi & (1 << 22)) !== 0;
    let perms: number;
    if (p.stage === 1) {
      const readOnly = (lo & (1 << 7)) !== 0;
      const unprivileged = (lo & (1 << 6)) !== 0;
      perms = PERM_PR | (readOnly ? 0 : PERM_PW) | PERM_PX;
      if (unprivileged) perms |= PERM_UR | (readOnly ? 0 : PERM_UW) | PERM_UX;
      if (xn) perms &= ~PERM_EXEC;
      if (hi & (1 << 21)) perms &= ~PERM_PX; // PXN
      out.global = (lo & (1 << 11)) === 0;
    } else {
      const read = (lo & (1 << 6)) !== 0;
      const write = (lo & (1 << 7)) !== 0;
      perms = (read ? PERM_UR | PERM_PR | (xn ? 0 : PERM_EXEC) : 0) | (write ? PERM_WRITE : 0);
    }
    out.fault = Fault.None;
    out.level = level;
    out.output = base;
    out.log2Size = shift;
    out.perms = perms & limits;
    return out;
  }
}

export interface ShortWalkParams {
  readonly ttbr0: number;
  readonly ttbr1: number;
  /** TTBCR.N: TTBR0 covers addresses below 2^(32-N); TTBR1 the rest (N > 0). */
  readonly n: number;
  readonly epd0: boolean;
  readonly epd1: boolean;
  /** SCTLR.AFE: AP[0] is an access flag and AP[2:1] the simplified permission model. */
  readonly accessFlagEnable: boolean;
}

/** AArch32 short-descriptor AP[2:0] (full model) → permissions, unprivileged and privileged. */
const SHORT_AP_PERMS = [
  0, // 000 no access
  PERM_PR | PERM_PW, // 001 privileged only
  PERM_PR | PERM_PW | PERM_UR, // 010 user read-only
  PERM_PR | PERM_PW | PERM_UR | PERM_UW, // 011 full access
  0, // 100 reserved
  PERM_PR, // 101 privileged read-only
  PERM_PR | PERM_UR, // 110 read-only
  PERM_PR | PERM_UR, // 111 read-only
];

function shortPermissions(p: ShortWalkParams, ap2: number, ap10: number, xn: boolean, pxn: boolean, out: WalkResult, level: number): boolean {
  let perms: number;
  if (p.accessFlagEnable) {
    if ((ap10 & 1) === 0) {
      fail(out, Fault.AccessFlag, level);
      return false;
    }
    perms = PERM_PR | (ap2 ? 0 : PERM_PW);
    if (ap10 & 2) perms |= PERM_UR | (ap2 ? 0 : PERM_UW);
  } else perms = SHORT_AP_PERMS[(ap2 << 2) | ap10];
  if (perms & PERM_UR) perms |= PERM_UX;
  if (perms & PERM_PR) perms |= PERM_PX;
  if (xn) perms &= ~PERM_EXEC;
  if (pxn) perms &= ~PERM_PX;
  out.perms = perms;
  return true;
}

function shortLevel1Kind(value: number): Descriptor {
  const type = value & 3;
  if (type === 0) return Descriptor.Invalid;
  if (type === 1) return Descriptor.Table;
  return value & (1 << 18) ? Descriptor.Supersection : Descriptor.Section;
}

function shortLevel2Kind(value: number): Descriptor {
  const type = value & 3;
  return type === 0 ? Descriptor.Invalid : type === 1 ? Descriptor.LargePage : Descriptor.SmallPage;
}

/** Reads a short descriptor at a walk address (an IPA when nested); the trace gets it with `kind` of its value. */
function readShort(reader: DescriptorReader, tableAddress: TableAddressTranslator | undefined, trace: WalkTrace | undefined, level: number, walked: number, kind: (value: number) => Descriptor): boolean {
  const physical = tableAddress ? tableAddress(walked) : walked;
  const ok = physical >= 0 && reader.read(physical, 4);
  if (trace) record(trace, 1, 'short', level, walked, physical, ok ? reader.lo : 0, 0, ok ? kind(reader.lo) : Descriptor.Unreadable);
  return ok;
}

export function walkShort(p: ShortWalkParams, address: number, reader: DescriptorReader, out: WalkResult, tableAddress?: TableAddressTranslator, trace?: WalkTrace): WalkResult {
  const useTtbr1 = p.n > 0 && address >= 2 ** (32 - p.n);
  if (useTtbr1 ? p.epd1 : p.epd0) return fail(out, Fault.Translation, 1);
  const base = useTtbr1 ? (p.ttbr1 & 0xffffc000) >>> 0 : (p.ttbr0 & ~((1 << (14 - p.n)) - 1)) >>> 0;
  if (!readShort(reader, tableAddress, trace, 1, base + (address >>> 20) * 4, shortLevel1Kind)) return fail(out, Fault.External, 1);
  const l1 = reader.lo;
  const type = l1 & 3;
  if (type === 0) return fail(out, Fault.Translation, 1);
  out.global = true;
  if (type === 1) {
    const table = (l1 & 0xfffffc00) >>> 0;
    if (!readShort(reader, tableAddress, trace, 2, table + ((address >>> 12) & 0xff) * 4, shortLevel2Kind)) return fail(out, Fault.External, 2);
    const l2 = reader.lo;
    if ((l2 & 3) === 0) return fail(out, Fault.Translation, 2);
    const large = (l2 & 3) === 1;
    const xn = large ? (l2 & (1 << 15)) !== 0 : (l2 & 1) !== 0;
    if (!shortPermissions(p, (l2 >>> 9) & 1, (l2 >>> 4) & 3, xn, (l1 & 4) !== 0, out, 2)) return out;
    out.global = (l2 & (1 << 11)) === 0;
    out.log2Size = large ? 16 : 12;
    out.output = large ? (l2 & 0xffff0000) >>> 0 : (l2 & 0xfffff000) >>> 0;
    out.level = 2;
    out.fault = Fault.None;
    return out;
  }
  // Section (1 MiB) or supersection (16 MiB); 0b11 is a section with PXN.
  const supersection = (l1 & (1 << 18)) !== 0;
  if (!shortPermissions(p, (l1 >>> 15) & 1, (l1 >>> 10) & 3, (l1 & (1 << 4)) !== 0, type === 3, out, 1)) return out;
  out.global = (l1 & (1 << 17)) === 0;
  if (supersection) {
    out.log2Size = 24;
    out.output = ((l1 & 0xff000000) >>> 0) + ((l1 >>> 20) & 0xf) * TWO_32 + ((l1 >>> 5) & 0xf) * 2 ** 36;
  } else {
    out.log2Size = 20;
    out.output = (l1 & 0xfff00000) >>> 0;
  }
  out.level = 1;
  out.fault = Fault.None;
  return out;
}
