// The fields of a translation table descriptor in words, for inspection (`smmu walk`): LPAE stage 1 and stage 2
// tables, blocks and pages, and the AArch32 short-descriptor formats, from the VMSA descriptor layouts.
import { DESCRIPTOR_NAMES, Descriptor, WalkStep } from './walk';

const TWO_32 = 0x1_0000_0000;

/** An address or word in hex, at least 8 digits; 40- and 48-bit addresses keep their high bits. */
export function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** AP[2:1] of a long stage-1 leaf: AP[2] read-only, AP[1] unprivileged access too. */
const LONG_AP = ['privileged rw', 'rw', 'privileged ro', 'ro'];
/** S2AP[1:0] of a stage-2 leaf: bit 0 read, bit 1 write. */
const S2AP = ['none', 'ro', 'wo', 'rw'];
/** AP[2:0] of a short descriptor (full access-permission model): privileged / unprivileged. */
const SHORT_AP = ['none', 'privileged rw', 'privileged rw, user ro', 'rw', 'reserved', 'privileged ro', 'ro', 'ro'];

/** The descriptor's raw value: 64 bits for long descriptors, 32 for short ones. */
export function descriptorValue(step: WalkStep): string {
  return step.format === 'long' ? `0x${step.hi.toString(16).padStart(8, '0')}${step.lo.toString(16).padStart(8, '0')}` : hex(step.lo);
}

/** Type and attributes, e.g. `page: OA 0x80005000, AF=1, AP=rw, nG`. */
export function describeDescriptor(step: WalkStep): string {
  const name = DESCRIPTOR_NAMES[step.kind];
  const { lo, hi } = step;
  switch (step.kind) {
    case Descriptor.Invalid:
    case Descriptor.Unreadable:
      return name;
    case Descriptor.Table:
      if (step.format === 'short') return `${name}: level-2 table at ${hex((lo & 0xfffffc00) >>> 0)}, domain ${(lo >>> 5) & 15}${lo & 4 ? ', PXN' : ''}`;
      return `${name}: next-level table at ${hex(longOutput(lo, hi))}${longTableAttributes(step)}`;
    case Descriptor.Block:
    case Descriptor.Page:
      return `${name}: ${longLeafAttributes(step)}`;
    case Descriptor.Section:
    case Descriptor.Supersection: {
      const output = step.kind === Descriptor.Section ? (lo & 0xfff00000) >>> 0 : ((lo & 0xff000000) >>> 0) + ((lo >>> 20) & 0xf) * TWO_32 + ((lo >>> 5) & 0xf) * 2 ** 36;
      const ap = (((lo >>> 15) & 1) << 2) | ((lo >>> 10) & 3);
      const domain = step.kind === Descriptor.Section ? `, domain ${(lo >>> 5) & 15}` : '';
      return `${name}: OA ${hex(output)}, AP[2:0]=${ap} (${SHORT_AP[ap]})${lo & 16 ? ', XN' : ''}${(lo & 3) === 3 ? ', PXN' : ''}${lo & (1 << 17) ? ', nG' : ''}${domain}`;
    }
    case Descriptor.LargePage:
    case Descriptor.SmallPage: {
      const large = step.kind === Descriptor.LargePage;
      const ap = (((lo >>> 9) & 1) << 2) | ((lo >>> 4) & 3);
      const xn = large ? (lo & (1 << 15)) !== 0 : (lo & 1) !== 0;
      return `${name}: OA ${hex(large ? (lo & 0xffff0000) >>> 0 : (lo & 0xfffff000) >>> 0)}, AP[2:0]=${ap} (${SHORT_AP[ap]})${xn ? ', XN' : ''}${lo & (1 << 11) ? ', nG' : ''}`;
    }
  }
}

function longOutput(lo: number, hi: number): number {
  return (hi & 0xffff) * TWO_32 + ((lo & 0xfffff000) >>> 0);
}

function longTableAttributes(step: WalkStep): string {
  if (step.stage === 2) return '';
  const hi = step.hi;
  const flags = [
    (hi >>> 29) & 3 ? `APTable=${(hi >>> 29) & 3}` : '',
    hi & (1 << 28) ? 'XNTable' : '',
    hi & (1 << 27) ? 'PXNTable' : '',
    hi & (1 << 31) ? 'NSTable' : '',
  ].filter((f) => f);
  return flags.length ? `, ${flags.join(', ')}` : '';
}

function longLeafAttributes(step: WalkStep): string {
  const { lo, hi } = step;
  const size = step.kind === Descriptor.Page ? 12 : 12 + 9 * (3 - step.level);
  const output = Math.floor(longOutput(lo, hi) / 2 ** size) * 2 ** size;
  const parts = [`OA ${hex(output)}`, `AF=${(lo >>> 10) & 1}`];
  if (step.stage === 1) {
    parts.push(`AP=${LONG_AP[(lo >>> 6) & 3]}`, `AttrIndx=${(lo >>> 2) & 7}`);
    if (hi & (1 << 22)) parts.push('XN');
    if (hi & (1 << 21)) parts.push('PXN');
    if (lo & (1 << 11)) parts.push('nG');
  } else {
    parts.push(`S2AP=${S2AP[(lo >>> 6) & 3]}`, `MemAttr=0x${((lo >>> 2) & 15).toString(16)}`);
    if (hi & (1 << 22)) parts.push('XN');
  }
  parts.push(`SH=${(lo >>> 8) & 3}`);
  return parts.join(', ');
}
