// Reading a compiled devicetree the way a consumer does: cells, #address-cells/#size-cells of the parent, the
// interrupt parent, and phandle-plus-arguments lists (dmas, iommus, clocks...) split by the provider's #xxx-cells.
import type { DtNode, DtProperty } from './tree';
import { u32At } from './tree';

/** The live node with a phandle, searched from `node` down. */
export function nodeByPhandle(node: DtNode, phandle: number): DtNode | undefined {
  if (phandle === 0 || phandle === 0xffffffff) return undefined;
  if (node.phandle === phandle) return node.deleted ? undefined : node;
  for (const c of node.liveChildren()) {
    const found = nodeByPhandle(c, phandle);
    if (found) return found;
  }
  return undefined;
}

export function cells(p: DtProperty): number[] {
  const b = p.value.bytes;
  const out: number[] = [];
  for (let at = 0; at + 4 <= b.length; at += 4) out.push(u32At(b, at));
  return out;
}

/** A one-cell property (#address-cells, #dma-cells...) as a number, or undefined when absent or not one cell. */
export function cellValue(node: DtNode | undefined, name: string): number | undefined {
  const p = node?.property(name);
  return p && p.value.bytes.length === 4 ? u32At(p.value.bytes, 0) : undefined;
}

/** The root of the tree a node is in. */
export function rootOf(node: DtNode): DtNode {
  let n = node;
  while (n.parent) n = n.parent;
  return n;
}

/** #address-cells and #size-cells that apply to a node's reg (its parent's; 2 and 1 when absent). */
export function addressCells(node: DtNode): { address: number; size: number } {
  return { address: cellValue(node.parent, '#address-cells') ?? 2, size: cellValue(node.parent, '#size-cells') ?? 1 };
}

/** The node's interrupt parent: its own or its nearest ancestor's interrupt-parent, else the parent. */
export function interruptParent(node: DtNode): DtNode | undefined {
  for (let n: DtNode | undefined = node; n; n = n.parent) {
    const phandle = cellValue(n, 'interrupt-parent');
    if (phandle !== undefined) return nodeByPhandle(rootOf(node), phandle);
  }
  return node.parent;
}

/** Properties made of phandle + arguments, and the provider property giving the argument count. */
export const PHANDLE_ARGUMENT_PROPERTIES: Readonly<Record<string, string>> = {
  'dmas': '#dma-cells',
  'iommus': '#iommu-cells',
  'clocks': '#clock-cells',
  'resets': '#reset-cells',
  'power-domains': '#power-domain-cells',
  'phys': '#phy-cells',
  'pwms': '#pwm-cells',
  'mboxes': '#mbox-cells',
  'interrupts-extended': '#interrupt-cells',
  'hwlocks': '#hwlock-cells',
  'thermal-sensors': '#thermal-sensor-cells',
  'sound-dai': '#sound-dai-cells',
};

export interface PhandleEntry {
  readonly provider?: DtNode;
  readonly phandle: number;
  readonly args: readonly number[];
}

/** Splits a phandle+args list; undefined when a provider is missing or lacks the cells property (can't split). */
export function phandleEntries(node: DtNode, p: DtProperty, cellsName: string): PhandleEntry[] | undefined {
  const values = cells(p);
  const root = rootOf(node);
  const out: PhandleEntry[] = [];
  for (let i = 0; i < values.length;) {
    const provider = nodeByPhandle(root, values[i]);
    const count = cellValue(provider, cellsName);
    if (!provider || count === undefined || i + 1 + count > values.length) return undefined;
    out.push({ provider, phandle: values[i], args: values.slice(i + 1, i + 1 + count) });
    i += 1 + count;
  }
  return out;
}

export function hex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

/** Cells read as address/size numbers of `n` cells each (two cells make a 64-bit value). */
export function joinCells(values: readonly number[], from: number, count: number): bigint {
  let v = 0n;
  for (let k = 0; k < count; k++) v = (v << 32n) | BigInt(values[from + k] ?? 0);
  return v;
}

/** Strings of a string-list property (compatible, *-names), or undefined if it is not one. */
export function strings(p: DtProperty | undefined): string[] | undefined {
  if (!p) return undefined;
  const b = p.value.bytes;
  if (b.length === 0 || b[b.length - 1] !== 0) return undefined;
  return Buffer.from(b.buffer, b.byteOffset, b.length - 1).toString('latin1').split('\0');
}

export function compatibles(node: DtNode | undefined): string[] {
  return strings(node?.property('compatible')) ?? [];
}
