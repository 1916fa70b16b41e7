// Live tree <-> DTB: flattening exactly as dtc lays a version-17 blob out, and loading a blob (via the shared FDT
// reader) into a tree the checks and the DTS printer work on.
import { FdtBuilder, FdtNode, parseFdt } from '../../emulator/devicetree/fdt';
import type { DtInfo } from './build';
import { DtNode, DtProperty, DtValue } from './tree';

export interface BlobOptions {
  /** -R: extra empty memory reservation slots. */
  reserve?: number;
  /** -S: minimum blob size. */
  minSize?: number;
  /** -p: padding bytes after the strings block. */
  pad?: number;
  /** -a: align the total size to this power of two. */
  align?: number;
  /** -V: the blob version, 17 (default) or 16 (the same layout without size_dt_struct). */
  version?: 16 | 17;
}

/** Header fields that differ between versions 16 and 17 (offsets in bytes). */
const HEADER_VERSION = 20;
const HEADER_LAST_COMP_VERSION = 24;
const HEADER_SIZE_DT_STRUCT = 36;

function flatten(builder: FdtBuilder, node: DtNode): void {
  builder.beginNode(node.name);
  const props = node.properties;
  for (let i = 0; i < props.length; i++) if (!props[i].deleted) builder.property(props[i].name, props[i].value.bytes);
  const children = node.children;
  for (let i = 0; i < children.length; i++) if (!children[i].deleted) flatten(builder, children[i]);
  builder.endNode();
}

/** Writes the tree as dtc writes it; `warnings` receives dtc's size warning for -S. */
export function toDtb(info: DtInfo, options: BlobOptions = {}, warnings: string[] = []): Uint8Array {
  const builder = new FdtBuilder();
  flatten(builder, info.root);
  const reservations = [...info.memreserves.map((m) => ({ address: m.address, size: m.size }))];
  for (let i = 0; i < (options.reserve ?? 0); i++) reservations.push({ address: 0n, size: 0n });
  // Size without padding decides -S/-a padding, as in dtc.
  const unpadded = builder.finishSize(reservations.length);
  let padding = 0;
  if (options.minSize !== undefined && options.minSize > 0) {
    padding = options.minSize - unpadded;
    if (padding < 0) {
      padding = 0;
      warnings.push(`blob size ${unpadded} >= minimum size ${options.minSize}`);
    }
  }
  if (options.pad !== undefined && options.pad > 0) padding = options.pad;
  if (options.align !== undefined && options.align > 0) padding = Math.ceil((unpadded + padding) / options.align) * options.align - unpadded;
  const blob = builder.finish({ reservations, bootCpuidPhys: info.bootCpuidPhys, padding });
  if (options.version === 16) {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    view.setUint32(HEADER_VERSION, 16);
    view.setUint32(HEADER_LAST_COMP_VERSION, 16);
    view.setUint32(HEADER_SIZE_DT_STRUCT, 0);
  }
  return blob;
}

function loadNode(f: FdtNode): DtNode {
  const node = new DtNode(f.name);
  for (const p of f.properties) node.properties.push(new DtProperty(p.name, new DtValue(p.value.slice())));
  for (const c of f.children) node.addChild(loadNode(c));
  return node;
}

/** Loads a DTB; throws FdtError on malformed input. */
export function fromDtb(bytes: Uint8Array): DtInfo {
  const fdt = parseFdt(bytes);
  return {
    root: loadNode(fdt.root),
    memreserves: fdt.reservations.map((r) => ({ labels: [], address: r.address, size: r.size })),
    bootCpuidPhys: fdt.header.bootCpuidPhys,
    plugin: false,
  };
}
