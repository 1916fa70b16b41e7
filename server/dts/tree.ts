// The live devicetree a DTS builds: nodes and properties with labels, deletion marks, and values carrying markers
// (references, labels, element types). Merge and delete follow dtc's semantics: deleted items stay in place, so
// re-adding a name later revives the original entry at its original position.
import type { Loc } from './source';

export type ElementType = 'u8' | 'u16' | 'u32' | 'u64' | 'string';

export type Marker =
  | { kind: 'phandle'; offset: number; ref: string; loc?: Loc }
  | { kind: 'path'; offset: number; ref: string; loc?: Loc }
  | { kind: 'label'; offset: number; ref: string; loc?: Loc }
  | { kind: 'type'; offset: number; type: ElementType };

export interface Label {
  name: string;
  deleted: boolean;
  loc?: Loc;
}

export class DtValue {
  constructor(
    public bytes: Uint8Array,
    public markers: Marker[] = [],
  ) {}

  static empty(): DtValue {
    return new DtValue(new Uint8Array(0));
  }
}

export class DtProperty {
  labels: Label[] = [];
  deleted = false;
  /** From the name to the `;` of the definition in force (what `dtc -T` annotates). */
  span: Loc | undefined;

  constructor(
    readonly name: string,
    public value: DtValue,
    public loc?: Loc,
  ) {}
}

export class DtNode {
  labels: Label[] = [];
  properties: DtProperty[] = [];
  children: DtNode[] = [];
  parent: DtNode | undefined;
  deleted = false;
  omitIfUnused = false;
  referenced = false;
  phandle = 0;
  fullpath = '';
  /** The bus this node bridges to, as the bus checks find it (children are checked against it). */
  bus: 'pci' | 'simple' | 'i2c' | 'spi' | 'graph-port' | 'graph-ports' | undefined;
  /** Every place the node was (re)defined, first one first. */
  locs: Loc[] = [];
  /** The `{ ... };` of each of those definitions. */
  bodies: Loc[] = [];

  constructor(public name: string, loc?: Loc) {
    if (loc) this.locs.push(loc);
  }

  get loc(): Loc | undefined {
    return this.locs[0];
  }

  /** The name basename and unitAddress were split from (the checks ask for them many times a node). */
  private splitName: string | undefined;
  private splitBase = '';
  private splitUnit: string | undefined;

  private split(): void {
    const name = this.name;
    const at = name.indexOf('@');
    this.splitBase = at < 0 ? name : name.slice(0, at);
    this.splitUnit = at < 0 ? undefined : name.slice(at + 1);
    this.splitName = name;
  }

  get basename(): string {
    if (this.splitName !== this.name) this.split();
    return this.splitBase;
  }

  get unitAddress(): string | undefined {
    if (this.splitName !== this.name) this.split();
    return this.splitUnit;
  }

  // property() and child() run for every check of every node: indexed loops, as `dtc` runs on V8's baseline
  // compiler, where for-of steps an iterator object (twice the time).

  /** A live (not deleted) property. */
  property(name: string): DtProperty | undefined {
    const props = this.properties;
    for (let i = 0; i < props.length; i++) if (!props[i].deleted && props[i].name === name) return props[i];
    return undefined;
  }

  /** A live (not deleted) child by full unit name. */
  child(name: string): DtNode | undefined {
    const children = this.children;
    for (let i = 0; i < children.length; i++) if (!children[i].deleted && children[i].name === name) return children[i];
    return undefined;
  }

  addChild(child: DtNode): void {
    child.parent = this;
    this.children.push(child);
  }

  liveProperties(): DtProperty[] {
    const props = this.properties;
    for (let i = 0; i < props.length; i++) if (props[i].deleted) return props.filter((p) => !p.deleted);
    return props;
  }

  liveChildren(): DtNode[] {
    const children = this.children;
    for (let i = 0; i < children.length; i++) if (children[i].deleted) return children.filter((c) => !c.deleted);
    return children;
  }
}

export function addLabel(labels: Label[], name: string, loc?: Loc): void {
  for (const l of labels) {
    if (l.name === name) {
      l.deleted = false;
      return;
    }
  }
  labels.unshift({ name, deleted: false, loc });
}

function deleteLabels(labels: Label[]): void {
  for (const l of labels) l.deleted = true;
}

export function deleteProperty(prop: DtProperty): void {
  prop.deleted = true;
  deleteLabels(prop.labels);
}

export function deleteNode(node: DtNode): void {
  node.deleted = true;
  for (const c of node.liveChildren()) deleteNode(c);
  for (const p of node.liveProperties()) deleteProperty(p);
  deleteLabels(node.labels);
}

/** Merges `incoming` into `target` (dtc merge_nodes): properties replace in place, children merge by name. */
export function mergeNodes(target: DtNode, incoming: DtNode): DtNode {
  target.deleted = false;
  target.locs.push(...incoming.locs);
  target.bodies.push(...incoming.bodies);
  for (let i = incoming.labels.length - 1; i >= 0; i--) addLabel(target.labels, incoming.labels[i].name, incoming.labels[i].loc);
  for (const prop of incoming.properties) {
    if (prop.deleted) {
      const old = target.properties.find((p) => p.name === prop.name);
      if (old) deleteProperty(old);
      continue;
    }
    const old = target.properties.find((p) => p.name === prop.name);
    if (old) {
      for (let i = prop.labels.length - 1; i >= 0; i--) addLabel(old.labels, prop.labels[i].name, prop.labels[i].loc);
      old.value = prop.value;
      old.loc = prop.loc;
      old.span = prop.span;
      old.deleted = false;
    } else {
      target.properties.push(prop);
    }
  }
  for (const child of incoming.children) {
    if (child.deleted) {
      const old = target.children.find((c) => c.name === child.name);
      if (old) deleteNode(old);
      continue;
    }
    const old = target.children.find((c) => c.name === child.name);
    if (old) mergeNodes(old, child);
    else target.addChild(child);
  }
  return target;
}

export function nodeByPath(root: DtNode, path: string): DtNode | undefined {
  let node = root;
  if (root.deleted) return undefined;
  for (const part of path.split('/')) {
    if (part === '') continue;
    const next = node.child(part);
    if (!next) return undefined;
    node = next;
  }
  return node;
}

export function nodeByLabel(node: DtNode, label: string): DtNode | undefined {
  for (const l of node.labels) if (!l.deleted && l.name === label) return node;
  for (const c of node.children) {
    if (c.deleted) continue;
    const found = nodeByLabel(c, label);
    if (found) return found;
  }
  return undefined;
}

/** `&label` or `&{/path}` (the ref without `&`, braces removed). */
export function nodeByRef(root: DtNode, ref: string): DtNode | undefined {
  if (ref === '/') return root;
  if (ref.startsWith('/')) return nodeByPath(root, ref);
  return nodeByLabel(root, ref);
}

export function nodeByPhandle(node: DtNode, phandle: number): DtNode | undefined {
  if (node.phandle === phandle) return node.deleted ? undefined : node;
  for (const c of node.children) {
    if (c.deleted) continue;
    const found = nodeByPhandle(c, phandle);
    if (found) return found;
  }
  return undefined;
}

/** dtc's fill_fullpaths: '/' for the root, '/a/b@1' below; deleted nodes are skipped. */
export function fillFullpaths(node: DtNode, parentPath = ''): void {
  node.fullpath = parentPath.endsWith('/') ? parentPath + node.name : `${parentPath}/${node.name}`;
  const children = node.liveChildren();
  for (let i = 0; i < children.length; i++) fillFullpaths(children[i], node.fullpath);
}

export function u32At(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

export function setU32(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v >>> 24;
  bytes[at + 1] = v >>> 16;
  bytes[at + 2] = v >>> 8;
  bytes[at + 3] = v;
}
