// Syntax tree -> live tree, applying top-level merges, deletes and overlay fragments in source order (dtc's parser
// actions, including their parse-time lookups of `&label` targets).
import type { DeleteNodeAst, DtsDocument, NodeAst, TopItemAst } from './parser';
import type { Diagnostic, Loc } from './source';
import { DtNode, DtProperty, DtValue, Label, addLabel, deleteNode, mergeNodes, nodeByRef } from './tree';

export interface Memreserve {
  labels: Label[];
  address: bigint;
  size: bigint;
}

/** A whole compiled input: dtc's dt_info. */
export interface DtInfo {
  root: DtNode;
  memreserves: Memreserve[];
  bootCpuidPhys: number;
  plugin: boolean;
}

function labelsFrom(defs: readonly { name: string; loc: Loc }[]): Label[] {
  const labels: Label[] = [];
  for (let i = defs.length - 1; i >= 0; i--) addLabel(labels, defs[i].name, defs[i].loc);
  return labels;
}

/** `shared`: the syntax tree is kept for later compilations, so values that phandle fixups fill are copied. */
export function buildNode(ast: NodeAst | DeleteNodeAst, shared = false): DtNode {
  if (ast.kind === 'delete-node') {
    const gone = new DtNode(ast.name, ast.loc);
    gone.deleted = true;
    return gone;
  }
  const node = new DtNode(ast.name, ast.nameLoc);
  node.bodies.push(ast.bodyLoc);
  // Most nodes and properties have no label: they keep the empty list they were made with (no call, no array).
  if (ast.labels.length > 0) node.labels = labelsFrom(ast.labels);
  node.omitIfUnused = ast.omitIfNoRef;
  const props = ast.properties;
  for (let i = 0; i < props.length; i++) {
    const p = props[i];
    if (p.kind === 'delete-property') {
      const gone = new DtProperty(p.name, DtValue.empty(), p.loc);
      gone.deleted = true;
      node.properties.push(gone);
      continue;
    }
    // The value is shared with the syntax tree: phandle fixups fill its cells in place.
    const value = !p.value ? DtValue.empty() : shared && p.value.markers.some((m) => m.kind === 'phandle') ? new DtValue(p.value.bytes.slice(), p.value.markers) : p.value;
    const prop = new DtProperty(p.name, value, p.nameLoc);
    prop.span = { source: p.nameLoc.source, start: p.nameLoc.start, end: p.loc.end };
    if (p.labels.length > 0) prop.labels = labelsFrom(p.labels);
    node.properties.push(prop);
  }
  const children = ast.children;
  for (let i = 0; i < children.length; i++) node.addChild(buildNode(children[i], shared));
  return node;
}

/** Wraps an overlay's `&ref { … }` into `fragment@N { target…; __overlay__ { … }; }` under the root. */
function addFragment(root: DtNode, body: DtNode, ref: string, index: number, loc: Loc): void {
  let target: DtProperty;
  if (ref.startsWith('/')) {
    const bytes = new Uint8Array(ref.length + 1);
    for (let i = 0; i < ref.length; i++) bytes[i] = ref.charCodeAt(i);
    target = new DtProperty('target-path', new DtValue(bytes, [{ kind: 'type', offset: 0, type: 'string' }]), loc);
  } else {
    target = new DtProperty('target', new DtValue(new Uint8Array([0xff, 0xff, 0xff, 0xff]), [{ kind: 'phandle', offset: 0, ref, loc }]), loc);
  }
  body.name = '__overlay__';
  const fragment = new DtNode(`fragment@${index}`, loc);
  fragment.properties.push(target);
  fragment.addChild(body);
  root.addChild(fragment);
}

/** dtc's guess of the boot CPU: the `reg` of the first child of /cpus when it is one cell, else 0. */
export function guessBootCpu(root: DtNode): number {
  const cpus = root.child('cpus');
  const first = cpus?.children[0];
  const reg = first?.property('reg');
  if (!reg || reg.value.bytes.length !== 4) return 0;
  const b = reg.value.bytes;
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

/** Names of the node labels an item brings (its own and those of every node in its body). */
function nodeLabelNames(item: TopItemAst, into: Set<string>): void {
  const walk = (ast: NodeAst) => {
    for (const l of ast.labels) into.add(l.name);
    for (const c of ast.children) if (c.kind === 'node') walk(c);
  };
  if (item.kind === 'ref-node') for (const l of item.labels) into.add(l.name);
  if (item.kind === 'root' || item.kind === 'ref-node') walk(item.node);
}

/**
 * `&label` lookups while items are applied, as nodeByRef answers them (the first live node in walk order with a live
 * label of that name) without a walk per lookup: an index of first owners, built again only when an item since
 * brought that label name, or when the indexed node lost its label or was deleted.
 */
class LabelLookup {
  private index: Map<string, DtNode> | undefined;
  private readonly added = new Set<string>();

  constructor(private readonly root: DtNode) {}

  applied(item: TopItemAst): void {
    if (this.index) nodeLabelNames(item, this.added);
  }

  find(ref: string): DtNode | undefined {
    if (ref.startsWith('/')) return nodeByRef(this.root, ref);
    if (!this.index || this.added.has(ref)) this.rebuild();
    const found = this.index!.get(ref);
    if (found === undefined || this.owns(found, ref)) return found;
    this.rebuild();
    return this.index!.get(ref);
  }

  private owns(node: DtNode, label: string): boolean {
    if (!node.labels.some((l) => !l.deleted && l.name === label)) return false;
    for (let n: DtNode | undefined = node; n !== this.root; n = n.parent) if (!n || n.deleted) return false;
    return true;
  }

  private rebuild(): void {
    const index = new Map<string, DtNode>();
    const walk = (node: DtNode) => {
      const labels = node.labels;
      for (let i = 0; i < labels.length; i++) if (!labels[i].deleted && !index.has(labels[i].name)) index.set(labels[i].name, node);
      const children = node.children;
      for (let i = 0; i < children.length; i++) if (!children[i].deleted) walk(children[i]);
    };
    walk(this.root);
    this.index = index;
    this.added.clear();
  }
}

export function buildDtInfo(doc: DtsDocument, diagnostics: Diagnostic[]): DtInfo {
  let root: DtNode | undefined;
  let labels: LabelLookup | undefined;
  const byRef = (ref: string): DtNode | undefined => (root ? (labels ??= new LabelLookup(root)).find(ref) : undefined);
  let fragments = 0;
  const shared = (item: TopItemAst) => doc.shared?.has(item) ?? false;
  const notFound = (ref: string, loc: Loc) => diagnostics.push({ severity: 'error', code: 'reference', message: `Label or path ${ref} not found`, loc });
  for (const item of doc.items) {
    switch (item.kind) {
      case 'root': {
        const node = buildNode(item.node, shared(item));
        if (root) mergeNodes(root, node);
        else root = node;
        break;
      }
      case 'ref-node': {
        if (doc.plugin && item.labels.length === 0) {
          root ??= new DtNode('', item.ref.loc);
          addFragment(root, buildNode(item.node, shared(item)), item.ref.ref, fragments++, item.ref.loc);
          break;
        }
        const target = byRef(item.ref.ref);
        if (!target) {
          notFound(item.ref.ref, item.ref.loc);
          break;
        }
        for (let i = item.labels.length - 1; i >= 0; i--) addLabel(target.labels, item.labels[i].name, item.labels[i].loc);
        mergeNodes(target, buildNode(item.node, shared(item)));
        break;
      }
      case 'delete-ref':
      case 'omit-ref': {
        const target = byRef(item.ref.ref);
        if (!target) notFound(item.ref.ref, item.ref.loc);
        else if (item.kind === 'delete-ref') deleteNode(target);
        else target.omitIfUnused = true;
        break;
      }
    }
    labels?.applied(item);
  }
  root ??= new DtNode('');
  const memreserves = doc.memreserves.map((m) => ({ labels: labelsFrom(m.labels), address: m.address, size: m.size }));
  return { root, memreserves, bootCpuidPhys: guessBootCpu(root), plugin: doc.plugin };
}
