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

export function walkLong(p: LongWalkParams, address: number, reader: DescriptorReader, out: WalkResult, tableAddress?: TableAddressTranslator): WalkResult {
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
    let descriptorAddress = table + index * 8;
    if (tableAddress) {
      descriptorAddress = tableAddress(descriptorAddress);
      if (descriptorAddress < 0) return fail(out, Fault.Translation, level);
    }
    if (!reader.read(descriptorAddress, 8)) return fail(out, Fault.External, level);
    const lo = reader.lo;
    const hi = reader.hi;
    if ((lo & 1) === 0) return fail(out, Fault.Translation, level);
    const isTable = (lo & 2) !== 0;
    const next = (hi & 0xffff) * TWO_32 + ((lo & 0xfffff000) >>> 0);
    if (level < 3 && isTable) {
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
    // A leaf: level 3 needs the page encoding (0b11); blocks exist at levels 1 and 2 only.
    if (level === 3 ? !isTable : level === 0) return fail(out, Fault.Translation, level);
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

export function walkShort(p: ShortWalkParams, address: number, reader: DescriptorReader, out: WalkResult, tableAddress?: TableAddressTranslator): WalkResult {
  const useTtbr1 = p.n > 0 && address >= 2 ** (32 - p.n);
  if (useTtbr1 ? p.epd1 : p.epd0) return fail(out, Fault.Translation, 1);
  const base = useTtbr1 ? (p.ttbr1 & 0xffffc000) >>> 0 : (p.ttbr0 & ~((1 << (14 - p.n)) - 1)) >>> 0;
  const read = (descriptorAddress: number): boolean => {
    const physical = tableAddress ? tableAddress(descriptorAddress) : descriptorAddress;
    return physical >= 0 && reader.read(physical, 4);
  };
  if (!read(base + (address >>> 20) * 4)) return fail(out, Fault.External, 1);
  const l1 = reader.lo;
  const type = l1 & 3;
  if (type === 0) return fail(out, Fault.Translation, 1);
  out.global = true;
  if (type === 1) {
    const table = (l1 & 0xfffffc00) >>> 0;
    if (!read(table + ((address >>> 12) & 0xff) * 4)) return fail(out, Fault.External, 2);
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
