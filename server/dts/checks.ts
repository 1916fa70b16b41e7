// dtc's checks as one table (name, default level, prerequisites, per-node test), run the way dtc runs them: in table
// order, each over the whole tree, prerequisites first, stopping at the first check that raises an error. Some
// entries are fixups that change the tree (phandle and path references, unused /omit-if-no-ref/ nodes, redundant
// `name` properties), so running them is part of compiling. The table follows Debian's dtc 1.6.1 (the reference the
// tests compare with); addr_size_cells has no test of its own (in dtc it only caches cell counts for its dependants).
import type { DtInfo } from './build';
import type { Diagnostic, Loc } from './source';
import { DtNode, DtProperty, DtValue, deleteNode, nodeByRef, setU32, u32At, type Marker } from './tree';
import { CheckSwitches, checksByName, type CheckDeclaration, type CheckLevel } from '../checks';

export interface CheckContext {
  info: DtInfo;
  /** -@: labelled nodes are kept even when /omit-if-no-ref/ and unreferenced. */
  symbols: boolean;
  phandleFormat: PhandleFormat;
  /** Next candidate for an automatically assigned phandle (dtc counts up from 1 across the whole run). */
  nextPhandle: number;
  /** Every phandle given so far (explicit ones first), to its node. */
  phandles: Map<number, DtNode>;
  labelIndex: Map<string, DtNode> | undefined;
  fail(node: DtNode, prop: DtProperty | undefined, message: string): void;
}

export type PhandleFormat = 'epapr' | 'legacy' | 'both';

/** A check of dtc's table: its test runs on every node and composes the messages it reports through ctx.fail. */
interface CheckDef extends CheckDeclaration {
  readonly prereqs: readonly string[];
  node?: (ctx: CheckContext, node: DtNode) => void;
  /** The test does nothing on a node without a property of this name (never one the checks add): others are skipped. */
  only?: string;
  /** The test deletes nodes (the walks after it reach fewer). */
  deletesNodes?: boolean;
  /*
   * Nodes the test does nothing on, told apart without calling it (a call per node and check costs on V8's
   * baseline compiler): those whose parent does not bridge to this bus, those not of this name, and every node
   * when `idle` says so before the walk.
   */
  underBus?: DtNode['bus'];
  named?: string;
  idle?: (ctx: CheckContext) => boolean;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
/**
 * Allowed characters: a regular expression that a whole name of them matches (natively: a loop per character costs
 * on V8's baseline compiler), and a table by character code to find the first other one (names are latin1).
 */
interface NameChars {
  readonly all: RegExp;
  readonly table: Uint8Array;
}

function nameChars(chars: string): NameChars {
  const table = new Uint8Array(256);
  for (const c of chars) table[c.charCodeAt(0)] = 1;
  return { all: new RegExp(`^[${chars.replace(/[\\\]^-]/g, '\\$&')}]*$`), table };
}
const NODE_CHARS = nameChars(LOWER + UPPER + DIGITS + ',._+-@');
const PROP_CHARS = nameChars(LOWER + UPPER + DIGITS + ',._+*#?-');
const NODE_CHARS_STRICT = nameChars(LOWER + DIGITS + '-');
const PROP_CHARS_STRICT = nameChars(LOWER + DIGITS + '-#,');

function firstBad(name: string, allowed: NameChars): string | undefined {
  if (allowed.all.test(name)) return undefined;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 256 || allowed.table[c] !== 1) return String.fromCodePoint(name.codePointAt(i)!);
  }
  return undefined;
}

function isOneString(v: DtValue): boolean {
  const b = v.bytes;
  if (b.length === 0 || b[b.length - 1] !== 0) return false;
  return b.indexOf(0) === b.length - 1;
}

function isStringList(v: DtValue): boolean {
  return v.bytes.length > 0 && v.bytes[v.bytes.length - 1] === 0;
}

function cell(p: DtProperty, index = 0): number {
  return u32At(p.value.bytes, index * 4);
}

const validPhandle = (ph: number) => ph !== 0 && ph !== 0xffffffff;

function isString(propName: string): CheckDef['node'] {
  return (ctx, node) => {
    const p = node.property(propName);
    if (p && !isOneString(p.value)) ctx.fail(node, p, 'property is not a string');
  };
}

function isStringListCheck(match: (name: string) => boolean): CheckDef['node'] {
  return (ctx, node) => {
    const props = node.liveProperties();
    for (let i = 0; i < props.length; i++) if (match(props[i].name) && !isStringList(props[i].value)) ctx.fail(node, props[i], 'property is not a string list');
  };
}

function isCell(propName: string): CheckDef['node'] {
  return (ctx, node) => {
    const p = node.property(propName);
    if (p && p.value.bytes.length !== 4) ctx.fail(node, p, 'property is not a single cell');
  };
}

function addressCellsOf(node: DtNode): number {
  const p = node.property('#address-cells');
  return p ? cell(p) : 2;
}

function sizeCellsOf(node: DtNode): number {
  const p = node.property('#size-cells');
  return p ? cell(p) : 1;
}

function isInterruptProvider(node: DtNode): boolean {
  return node.property('interrupt-controller') !== undefined || node.property('interrupt-map') !== undefined;
}

/** The live node a phandle value names, among the phandles assigned so far. */
function byPhandle(ctx: CheckContext, ph: number): DtNode | undefined {
  const node = ctx.phandles.get(ph);
  return node && !node.deleted ? node : undefined;
}

/** `clocks = <&clk 1 2>`-style properties: each phandle is followed by the provider's `#…-cells` arguments. */
function phandleArgs(propName: string, cellsName: string, optional = false): CheckDef['node'] {
  return (ctx, node) => {
    const p = node.property(propName);
    if (p) checkPhandleArgs(ctx, node, p, cellsName, optional);
  };
}

function checkPhandleArgs(ctx: CheckContext, node: DtNode, p: DtProperty, cellsName: string, optional: boolean): void {
  const len = p.value.bytes.length;
  if (len % 4 !== 0) {
    ctx.fail(node, p, `property size (${len}) is invalid, expected multiple of 4`);
    return;
  }
  let cellsize = 0;
  for (let c = 0; c < len / 4; c += cellsize + 1) {
    const ph = cell(p, c);
    if (!validPhandle(ph)) {
      if (ctx.info.plugin) break;
      cellsize = 0;
      continue;
    }
    if (p.value.markers.length > 0 && !p.value.markers.some((m) => m.kind === 'phandle' && m.offset === c * 4)) ctx.fail(node, p, `cell ${c} is not a phandle reference`);
    const provider = byPhandle(ctx, ph);
    if (!provider) {
      ctx.fail(node, p, `Could not get phandle node for (cell ${c})`);
      break;
    }
    const cellsProp = provider.property(cellsName);
    if (cellsProp) cellsize = cell(cellsProp);
    else if (optional) cellsize = 0;
    else {
      ctx.fail(node, undefined, `Missing property '${cellsName}' in node ${provider.fullpath} or bad phandle (referred from ${p.name}[${c}])`);
      break;
    }
    if (len < (c + cellsize + 1) * 4) ctx.fail(node, p, `property size (${len}) too small for cell size ${cellsize}`);
  }
}

function isGpioProperty(name: string): boolean {
  if (name.endsWith(',nr-gpios')) return false;
  return name.endsWith('-gpios') || name === 'gpios' || name.endsWith('-gpio') || name === 'gpio';
}

// ---- fixups ---------------------------------------------------------------------------------------------------

function labelIndex(ctx: CheckContext): Map<string, DtNode> {
  if (ctx.labelIndex) return ctx.labelIndex;
  const index = new Map<string, DtNode>();
  const walk = (n: DtNode) => {
    const labels = n.labels;
    for (let i = 0; i < labels.length; i++) if (!labels[i].deleted && !index.has(labels[i].name)) index.set(labels[i].name, n);
    const children = n.liveChildren();
    for (let i = 0; i < children.length; i++) walk(children[i]);
  };
  walk(ctx.info.root);
  return (ctx.labelIndex = index);
}

/** Resolves a reference once the tree's shape is final (checks never add or remove labelled nodes before use). */
function resolve(ctx: CheckContext, ref: string): DtNode | undefined {
  if (ref.startsWith('/')) return nodeByRef(ctx.info.root, ref);
  return labelIndex(ctx).get(ref);
}

/** A node's phandle, assigning the next free one (and adding the `phandle` property at the end) if it has none. */
export function nodePhandle(ctx: CheckContext, node: DtNode): number {
  if (validPhandle(node.phandle)) return node.phandle;
  while (byPhandle(ctx, ctx.nextPhandle)) ctx.nextPhandle++;
  const ph = ctx.nextPhandle;
  node.phandle = ph;
  ctx.phandles.set(ph, node);
  const value = () => {
    const bytes = new Uint8Array(4);
    setU32(bytes, 0, ph);
    return new DtValue(bytes, [{ kind: 'type', offset: 0, type: 'u32' }]);
  };
  if (ctx.phandleFormat !== 'epapr' && !node.property('linux,phandle')) node.properties.push(new DtProperty('linux,phandle', value()));
  if (ctx.phandleFormat !== 'legacy' && !node.property('phandle')) node.properties.push(new DtProperty('phandle', value()));
  return ph;
}

function phandleProp(ctx: CheckContext, node: DtNode, name: string): number {
  const p = node.property(name);
  if (!p) return 0;
  if (p.value.bytes.length !== 4) {
    ctx.fail(node, p, `bad length (${p.value.bytes.length}) ${name} property`);
    return 0;
  }
  const ref = p.value.markers.find((m) => m.kind === 'phandle');
  if (ref) {
    if (nodeByRef(ctx.info.root, ref.ref) !== node) ctx.fail(node, undefined, `${name} is a reference to another node`);
    return 0;
  }
  const ph = cell(p);
  if (!validPhandle(ph)) {
    ctx.fail(node, p, `bad value (0x${ph.toString(16)}) in ${name} property`);
    return 0;
  }
  return ph;
}

function explicitPhandles(ctx: CheckContext, node: DtNode): void {
  let ph = phandleProp(ctx, node, 'phandle');
  const linux = phandleProp(ctx, node, 'linux,phandle');
  if (!ph && !linux) return;
  if (linux && ph && ph !== linux) ctx.fail(node, undefined, "mismatching 'phandle' and 'linux,phandle' properties");
  if (linux && !ph) ph = linux;
  const other = byPhandle(ctx, ph);
  if (other && other !== node) {
    ctx.fail(node, undefined, `duplicated phandle 0x${ph.toString(16)} (seen before at ${other.fullpath})`);
    return;
  }
  node.phandle = ph;
  if (!other) ctx.phandles.set(ph, node);
}

// The reference checks read every marker of every property: indexed loops, as `dtc` runs on V8's baseline compiler
// (where for-of steps an iterator object, and some() calls its callback per element).
function phandleReferences(ctx: CheckContext, node: DtNode): void {
  const props = node.liveProperties();
  for (let k = 0; k < props.length; k++) {
    const p = props[k];
    const markers = p.value.markers;
    for (let i = 0; i < markers.length; i++) {
      const m = markers[i];
      if (m.kind !== 'phandle') continue;
      const target = resolve(ctx, m.ref);
      if (!target) {
        if (!ctx.info.plugin) ctx.fail(node, p, `Reference to non-existent node or label "${m.ref}"`);
        else setU32(p.value.bytes, m.offset, 0xffffffff);
        continue;
      }
      setU32(p.value.bytes, m.offset, nodePhandle(ctx, target));
      target.referenced = true;
    }
  }
}

function hasPathMarker(markers: readonly Marker[]): boolean {
  for (let i = 0; i < markers.length; i++) if (markers[i].kind === 'path') return true;
  return false;
}

function pathReferences(ctx: CheckContext, node: DtNode): void {
  const props = node.liveProperties();
  for (let k = 0; k < props.length; k++) {
    const p = props[k];
    if (!hasPathMarker(p.value.markers)) continue;
    const markers = p.value.markers.map((m) => ({ ...m }));
    let bytes = p.value.bytes;
    for (let i = 0; i < markers.length; i++) {
      const m = markers[i];
      if (m.kind !== 'path') continue;
      const target = resolve(ctx, m.ref);
      if (!target) {
        ctx.fail(node, p, `Reference to non-existent node or label "${m.ref}"`);
        continue;
      }
      const path = target.fullpath;
      const next = new Uint8Array(bytes.length + path.length + 1);
      next.set(bytes.subarray(0, m.offset));
      for (let k = 0; k < path.length; k++) next[m.offset + k] = path.charCodeAt(k);
      next.set(bytes.subarray(m.offset), m.offset + path.length + 1);
      bytes = next;
      for (let j = i + 1; j < markers.length; j++) markers[j].offset += path.length + 1;
      target.referenced = true;
    }
    p.value = new DtValue(bytes, markers);
  }
}

function omitUnusedNodes(ctx: CheckContext, node: DtNode): void {
  if (ctx.symbols && node.labels.length > 0) return;
  if (node.omitIfUnused && !node.referenced) deleteNode(node);
}

function nameProperties(ctx: CheckContext, node: DtNode): void {
  const i = node.properties.findIndex((p) => p.name === 'name');
  if (i < 0) return;
  const p = node.properties[i];
  const base = node.basename;
  const b = p.value.bytes;
  let same = b.length === base.length + 1;
  for (let k = 0; same && k < base.length; k++) same = b[k] === base.charCodeAt(k);
  if (!same) ctx.fail(node, undefined, `"name" property is incorrect ("${String.fromCharCode(...b.subarray(0, Math.max(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0))))}" instead of base node name)`);
  else node.properties.splice(i, 1);
}

/** Where a label is defined: on a node, on a property, or inside a property's value (marker `index`). */
interface LabelOwner {
  node: DtNode;
  prop?: DtProperty;
  index?: number;
}

function ownerText(o: LabelOwner): string {
  if (!o.prop) return `node '${o.node.fullpath}'`;
  if (o.index === undefined) return `property '${o.prop.name}' in ${o.node.fullpath}`;
  return `value of property '${o.prop.name}' in ${o.node.fullpath} (#${o.index})`;
}

function duplicateLabels(ctx: CheckContext, node: DtNode): void {
  const owners = labelOwners(ctx);
  const check = (label: string, here: LabelOwner) => {
    const first = owners.get(label);
    if (first === undefined || (first.node === here.node && first.prop === here.prop && first.index === here.index)) return;
    const where = ownerText(here);
    const firstWhere = ownerText(first);
    if (firstWhere !== where) ctx.fail(node, undefined, `Duplicate label '${label}' on ${where} and ${firstWhere}`);
  };
  for (const l of node.labels) if (!l.deleted) check(l.name, { node });
  for (const p of node.liveProperties()) {
    for (const l of p.labels) if (!l.deleted) check(l.name, { node, prop: p });
    const markers = p.value.markers;
    for (let i = 0; i < markers.length; i++) {
      const m = markers[i];
      if (m.kind === 'label') check(m.ref, { node, prop: p, index: i });
    }
  }
}

/** Calls `visit` for each live label (node labels, property labels, labels in values at marker `index`), preorder. */
function forEachLabel(n: DtNode, visit: (name: string, node: DtNode, prop?: DtProperty, index?: number) => void): void {
  const nodeLabels = n.labels;
  for (let i = 0; i < nodeLabels.length; i++) if (!nodeLabels[i].deleted) visit(nodeLabels[i].name, n);
  const props = n.liveProperties();
  for (let k = 0; k < props.length; k++) {
    const p = props[k];
    const propLabels = p.labels;
    for (let i = 0; i < propLabels.length; i++) if (!propLabels[i].deleted) visit(propLabels[i].name, n, p);
    const markers = p.value.markers;
    for (let i = 0; i < markers.length; i++) {
      const m = markers[i];
      if (m.kind === 'label') visit(m.ref, n, p, i);
    }
  }
  const children = n.liveChildren();
  for (let i = 0; i < children.length; i++) forEachLabel(children[i], visit);
}

/**
 * Is some label name written more than once? Else no label can be a duplicate, and the check is idle: most trees,
 * which then need only this set of names, not the owners' maps.
 */
function labelNameRepeats(root: DtNode): boolean {
  const names = new Set<string>();
  let repeated = false;
  forEachLabel(root, (name) => {
    if (names.has(name)) repeated = true;
    else names.add(name);
  });
  return repeated;
}

const ownersCache = new WeakMap<CheckContext, Map<string, LabelOwner>>();

/** Where each label is first defined, looked up as dtc does: node labels first, then property labels, then labels in values. */
function labelOwners(ctx: CheckContext): Map<string, LabelOwner> {
  const cached = ownersCache.get(ctx);
  if (cached) return cached;
  const nodeOwners = new Map<string, LabelOwner>();
  const propOwners = new Map<string, LabelOwner>();
  const markOwners = new Map<string, LabelOwner>();
  forEachLabel(ctx.info.root, (name, node, prop, index) => {
    const owners = prop === undefined ? nodeOwners : index === undefined ? propOwners : markOwners;
    if (!owners.has(name)) owners.set(name, { node, prop, index });
  });
  const owners = new Map([...markOwners, ...propOwners, ...nodeOwners]);
  ownersCache.set(ctx, owners);
  return owners;
}

// ---- structural checks ----------------------------------------------------------------------------------------

/** Deleted children count too (dtc 1.6.1): `/delete-node/ x;` beside a live `x` in one body is a duplicate. */
/** Calls `repeated` for each item whose name an earlier one has (few items: compared pairwise, no set). */
function forEachRepeatedName<T extends { name: string }>(items: readonly T[], repeated: (item: T) => void): void {
  if (items.length <= 16) {
    for (let i = 1; i < items.length; i++) {
      for (let j = 0; j < i; j++) {
        if (items[j].name === items[i].name) {
          repeated(items[i]);
          break;
        }
      }
    }
    return;
  }
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.name)) repeated(item);
    seen.add(item.name);
  }
}

function duplicateNodeNames(ctx: CheckContext, node: DtNode): void {
  forEachRepeatedName(node.children, (c) => ctx.fail(c, undefined, 'Duplicate node name'));
}

function duplicatePropertyNames(ctx: CheckContext, node: DtNode): void {
  forEachRepeatedName(node.liveProperties(), (p) => ctx.fail(node, p, 'Duplicate property name'));
}

function regFormat(ctx: CheckContext, node: DtNode): void {
  const p = node.property('reg');
  if (!p) return;
  if (!node.parent) {
    ctx.fail(node, undefined, 'Root node has a "reg" property');
    return;
  }
  const len = p.value.bytes.length;
  if (len === 0) ctx.fail(node, p, 'property is empty');
  const ac = addressCellsOf(node.parent);
  const sc = sizeCellsOf(node.parent);
  const entry = (ac + sc) * 4;
  if (!entry || len % entry !== 0) ctx.fail(node, p, `property has invalid length (${len} bytes) (#address-cells == ${ac}, #size-cells == ${sc})`);
}

function rangesFormat(propName: string): CheckDef['node'] {
  return (ctx, node) => {
    const p = node.property(propName);
    if (!p) return;
    if (!node.parent) {
      ctx.fail(node, p, `Root node has a "${propName}" property`);
      return;
    }
    const pAc = addressCellsOf(node.parent);
    const cAc = addressCellsOf(node);
    const cSc = sizeCellsOf(node);
    const entry = (pAc + cAc + cSc) * 4;
    const len = p.value.bytes.length;
    if (len === 0) {
      if (pAc !== cAc) ctx.fail(node, p, `empty "${propName}" property but its #address-cells (${cAc}) differs from ${node.parent.fullpath} (${pAc})`);
      if (sizeCellsOf(node.parent) !== cSc) ctx.fail(node, p, `empty "${propName}" property but its #size-cells (${cSc}) differs from ${node.parent.fullpath} (${sizeCellsOf(node.parent)})`);
    } else if (len % entry !== 0) {
      ctx.fail(node, p, `"${propName}" property has invalid length (${len} bytes) (parent #address-cells == ${pAc}, child #address-cells == ${cAc}, #size-cells == ${cSc})`);
    }
  };
}

function unitAddressVsReg(ctx: CheckContext, node: DtNode): void {
  if (node.child('__overlay__')) return;
  let p = node.property('reg');
  if (!p) {
    p = node.property('ranges');
    if (p && p.value.bytes.length === 0) p = undefined;
  }
  const unit = node.unitAddress ?? '';
  if (p && !unit) ctx.fail(node, undefined, 'node has a reg or ranges property, but no unit name');
  else if (!p && unit) ctx.fail(node, undefined, 'node has a unit name, but no reg or ranges property');
}

function avoidDefaultAddrSize(ctx: CheckContext, node: DtNode): void {
  if (!node.parent) return;
  if (!node.property('reg') && !node.property('ranges')) return;
  if (!node.parent.property('#address-cells')) ctx.fail(node, undefined, 'Relying on default #address-cells value');
  if (!node.parent.property('#size-cells')) ctx.fail(node, undefined, 'Relying on default #size-cells value');
}

function interruptsProperty(ctx: CheckContext, node: DtNode): void {
  const irq = node.property('interrupts');
  if (!irq) return;
  const len = irq.value.bytes.length;
  if (len % 4 !== 0) ctx.fail(node, irq, `size (${len}) is invalid, expected multiple of 4`);
  let controller: DtNode | undefined;
  for (let parent: DtNode | undefined = node; parent; parent = parent.parent) {
    if (parent !== node && isInterruptProvider(parent)) {
      controller = parent;
      break;
    }
    const ip = parent.property('interrupt-parent');
    if (!ip) continue;
    const ph = ip.value.bytes.length >= 4 ? cell(ip) : 0;
    if (!validPhandle(ph)) {
      if (ctx.info.plugin) return;
      ctx.fail(parent, ip, 'Invalid phandle');
      return;
    }
    controller = byPhandle(ctx, ph);
    if (!controller) {
      ctx.fail(parent, ip, 'Bad phandle');
      return;
    }
    if (!isInterruptProvider(controller)) ctx.fail(controller, undefined, 'Missing interrupt-controller or interrupt-map property');
    break;
  }
  if (!controller) {
    ctx.fail(node, undefined, 'Missing interrupt-parent');
    return;
  }
  const cellsProp = controller.property('#interrupt-cells');
  if (!cellsProp || cellsProp.value.bytes.length < 4) return;
  const n = cell(cellsProp);
  if (n === 0 || len % (n * 4) !== 0) ctx.fail(node, cellsProp, `size is (${len}), expected multiple of ${n * 4}`);
}

function gpiosProperty(ctx: CheckContext, node: DtNode): void {
  if (node.property('gpio-hog')) return; // hogs have a plain `gpios` list
  const props = node.liveProperties();
  for (let i = 0; i < props.length; i++) if (isGpioProperty(props[i].name)) checkPhandleArgs(ctx, node, props[i], '#gpio-cells', false);
}

function isEnabled(node: DtNode): boolean {
  const p = node.property('status');
  if (!p) return true;
  const text = String.fromCharCode(...p.value.bytes.subarray(0, Math.max(0, p.value.bytes.indexOf(0))));
  return text === 'okay' || text === 'ok';
}

/** Two children with the same unit address (the later one is named in the message, as in dtc). */
function uniqueUnitAddress(onlyEnabled: boolean): CheckDef['node'] {
  return (ctx, node) => {
    if (!node.property('#address-cells') || !node.property('#size-cells')) return;
    // Earlier children by unit address (enabled ones only when asked): each child is compared with its own.
    const earlier = new Map<string, DtNode[]>();
    for (const child of node.liveChildren()) {
      const addr = child.unitAddress ?? '';
      if (!addr || (onlyEnabled && !isEnabled(child))) continue;
      const same = earlier.get(addr);
      if (!same) {
        earlier.set(addr, [child]);
        continue;
      }
      for (const b of same) ctx.fail(b, undefined, `duplicate unit-address (also used in node ${child.fullpath})`);
      same.push(child);
    }
  };
}

function avoidUnnecessaryAddrSize(ctx: CheckContext, node: DtNode): void {
  if (!node.parent || !node.property('#address-cells') || !node.property('#size-cells')) return;
  if (node.property('ranges') || node.children.length === 0) return;
  for (const c of node.liveChildren()) if (c.property('reg')) return;
  ctx.fail(node, undefined, 'unnecessary #address-cells/#size-cells without "ranges" or child "reg" property');
}

function chosenString(ctx: CheckContext, node: DtNode, p: DtProperty): void {
  if (!isOneString(p.value)) ctx.fail(node, p, 'property is not a string');
}

function aliasPaths(ctx: CheckContext, node: DtNode): void {
  if (node.name !== 'aliases') return;
  for (const p of node.liveProperties()) {
    if (p.name === 'phandle' || p.name === 'linux,phandle') continue;
    const b = p.value.bytes;
    const end = b.indexOf(0);
    const path = String.fromCharCode(...b.subarray(0, end < 0 ? b.length : end));
    if (b.length === 0 || !path.startsWith('/') || !nodeByRef(ctx.info.root, path)) {
      ctx.fail(node, p, `aliases property is not a valid node (${path})`);
      continue;
    }
    if (!/^[a-z0-9-]*$/.test(p.name)) ctx.fail(node, undefined, "aliases property name must include only lowercase and '-'");
  }
}

/** Is `compatible` one of the NUL-separated strings of the node's compatible (compared byte by byte)? */
function isCompatible(node: DtNode, compatible: string): boolean {
  const p = node.property('compatible');
  if (!p) return false;
  const b = p.value.bytes;
  for (let start = 0; start <= b.length; ) {
    let end = b.indexOf(0, start);
    if (end < 0) end = b.length;
    if (end - start === compatible.length) {
      let k = 0;
      while (k < compatible.length && b[start + k] === compatible.charCodeAt(k)) k++;
      if (k === compatible.length) return true;
    }
    start = end + 1;
  }
  return false;
}

function cellsOrDefault(node: DtNode, name: string, fallback: number): number {
  const p = node.property(name);
  return p && p.value.bytes.length >= 4 ? cell(p) : fallback;
}

function pciBridge(ctx: CheckContext, node: DtNode): void {
  const dt = node.property('device_type');
  if (!dt || !isOneString(dt.value) || String.fromCharCode(...dt.value.bytes.subarray(0, -1)) !== 'pci') return;
  node.bus = 'pci';
  if (node.basename !== 'pci' && node.basename !== 'pcie') ctx.fail(node, undefined, 'node name is not "pci" or "pcie"');
  if (!node.property('ranges')) ctx.fail(node, undefined, 'missing ranges for PCI bridge (or not a bridge)');
  if (cellsOrDefault(node, '#address-cells', 2) !== 3) ctx.fail(node, undefined, 'incorrect #address-cells for PCI bridge');
  if (cellsOrDefault(node, '#size-cells', 1) !== 2) ctx.fail(node, undefined, 'incorrect #size-cells for PCI bridge');
  const range = node.property('bus-range');
  if (!range) return;
  if (range.value.bytes.length !== 8) {
    ctx.fail(node, range, 'value must be 2 cells');
    return;
  }
  if (cell(range, 0) > cell(range, 1)) ctx.fail(node, range, '1st cell must be less than or equal to 2nd cell');
  if (cell(range, 1) > 0xff) ctx.fail(node, range, 'maximum bus number must be less than 256');
}

function simpleBusReg(ctx: CheckContext, node: DtNode): void {
  if (!node.parent || node.parent.bus !== 'simple') return;
  let cells: { p: DtProperty; from: number } | undefined;
  const reg = node.property('reg');
  if (reg) cells = { p: reg, from: 0 };
  else {
    const ranges = node.property('ranges');
    if (ranges && ranges.value.bytes.length) cells = { p: ranges, from: cellsOrDefault(node, '#address-cells', 2) };
  }
  if (!cells) {
    if (node.parent.parent && node.bus !== 'simple') ctx.fail(node, undefined, 'missing or empty reg/ranges property');
    return;
  }
  let value = 0n;
  const n = cellsOrDefault(node.parent, '#address-cells', 2);
  for (let i = 0; i < n; i++) {
    const at = (cells.from + i) * 4;
    value = ((value << 32n) | BigInt(at + 4 <= cells.p.value.bytes.length ? u32At(cells.p.value.bytes, at) : 0)) & 0xffffffffffffffffn;
  }
  const expected = value.toString(16);
  if ((node.unitAddress ?? '') !== expected) ctx.fail(node, undefined, `simple-bus unit address format error, expected "${expected}"`);
}

function unitAddressFormat(ctx: CheckContext, node: DtNode): void {
  if (node.parent?.bus) return;
  let unit = node.unitAddress ?? '';
  if (!unit) return;
  if (unit.startsWith('0x')) {
    ctx.fail(node, undefined, 'unit name should not have leading "0x"');
    unit = unit.slice(2);
  }
  if (unit[0] === '0' && /[0-9a-fA-F]/.test(unit[1] ?? '')) ctx.fail(node, undefined, 'unit name should not have leading 0s');
}

/** OF graph: a node with `endpoint` children is a port; its parent (`ports`, or a device with `reg`) holds ports. */
function graphNodes(_ctx: CheckContext, node: DtNode): void {
  const children = node.liveChildren();
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (child.basename !== 'endpoint' && !child.property('remote-endpoint')) continue;
    node.bus = 'graph-port';
    if (node.parent && !node.parent.bus && (node.parent.name === 'ports' || node.property('reg'))) node.parent.bus = 'graph-ports';
    break;
  }
}

function graphChildAddress(ctx: CheckContext, node: DtNode): void {
  if (node.bus !== 'graph-ports' && node.bus !== 'graph-port') return;
  let count = 0;
  for (const child of node.liveChildren()) {
    const reg = child.property('reg');
    if (reg && reg.value.bytes.length >= 4 && cell(reg) !== 0) return;
    count++;
  }
  if (count === 1 && node.property('#address-cells')) ctx.fail(node, undefined, `graph node has single child node '${node.children[0].name}', #address-cells/#size-cells are not necessary`);
}

function graphReg(ctx: CheckContext, node: DtNode): void {
  const reg = node.property('reg');
  if (!reg) return;
  if (reg.value.bytes.length !== 4) {
    ctx.fail(node, undefined, "graph node malformed 'reg' property");
    return;
  }
  const expected = cell(reg).toString(16);
  if ((node.unitAddress ?? '') !== expected) ctx.fail(node, undefined, `graph node unit address error, expected "${expected}"`);
  const parent = node.parent!;
  const ac = parent.property('#address-cells') ? cell(parent.property('#address-cells')!) : -1;
  const sc = parent.property('#size-cells') ? cell(parent.property('#size-cells')!) : -1;
  if (ac !== 1) ctx.fail(node, node.property('#address-cells'), `graph node '#address-cells' is ${ac}, must be 1`);
  if (sc !== 0) ctx.fail(node, node.property('#size-cells'), `graph node '#size-cells' is ${sc}, must be 0`);
}

function remoteEndpoint(ctx: CheckContext, endpoint: DtNode): DtNode | undefined {
  const p = endpoint.property('remote-endpoint');
  if (!p || p.value.bytes.length < 4) return undefined;
  const ph = cell(p);
  if (!validPhandle(ph)) return undefined;
  const node = byPhandle(ctx, ph);
  if (!node) ctx.fail(endpoint, p, 'graph phandle is not valid');
  return node;
}

function graphEndpoint(ctx: CheckContext, node: DtNode): void {
  if (node.parent?.bus !== 'graph-port') return;
  if (node.basename !== 'endpoint') ctx.fail(node, undefined, "graph endpoint node name should be 'endpoint'");
  graphReg(ctx, node);
  const remote = remoteEndpoint(ctx, node);
  if (remote && remoteEndpoint(ctx, remote) !== node) ctx.fail(node, undefined, `graph connection to node '${remote.fullpath}' is not bidirectional`);
}

const I2C_OWN_SLAVE_ADDRESS = 1 << 30;
const I2C_TEN_BIT_ADDRESS = 2 ** 31;

function i2cBusBridge(ctx: CheckContext, node: DtNode): void {
  const base = node.basename;
  if (base !== 'i2c-bus' && base !== 'i2c-arb' && base !== 'i2c') return;
  // dtc compares the children's names over the parent's base-name length.
  const children = node.liveChildren();
  for (let i = 0; i < children.length; i++) if (base.length === 7 && children[i].name.startsWith('i2c-bus')) return;
  node.bus = 'i2c';
  if (node.children.length === 0) return;
  if (cellsOrDefault(node, '#address-cells', 2) !== 1) ctx.fail(node, undefined, 'incorrect #address-cells for I2C bus');
  if (cellsOrDefault(node, '#size-cells', 1) !== 0) ctx.fail(node, undefined, 'incorrect #size-cells for I2C bus');
}

function i2cBusReg(ctx: CheckContext, node: DtNode): void {
  if (node.parent?.bus !== 'i2c') return;
  const reg = node.property('reg');
  if (!reg || reg.value.bytes.length === 0) {
    ctx.fail(node, undefined, 'missing or empty reg property');
    return;
  }
  const expected = ((cell(reg) & ~I2C_OWN_SLAVE_ADDRESS) >>> 0).toString(16);
  if ((node.unitAddress ?? '') !== expected) ctx.fail(node, undefined, `I2C bus unit address format error, expected "${expected}"`);
  for (let i = 0; i + 4 <= reg.value.bytes.length; i += 4) {
    const r = (u32At(reg.value.bytes, i) & ~I2C_OWN_SLAVE_ADDRESS) >>> 0;
    if (r >= I2C_TEN_BIT_ADDRESS && r - I2C_TEN_BIT_ADDRESS > 0x3ff) ctx.fail(node, reg, `I2C address must be less than 10-bits, got "0x${r.toString(16)}"`);
    else if (r < I2C_TEN_BIT_ADDRESS && r > 0x7f) ctx.fail(node, reg, `I2C address must be less than 7-bits, got "0x${r.toString(16)}". Set I2C_TEN_BIT_ADDRESS for 10 bit addresses or fix the property`);
  }
}

function spiBusBridge(ctx: CheckContext, node: DtNode): void {
  if (node.basename === 'spi') node.bus = 'spi';
  else {
    // SPI buses without a proper name: children with spi-* properties.
    if (cellsOrDefault(node, '#address-cells', 2) !== 1 || cellsOrDefault(node, '#size-cells', 1) !== 0) return;
    if (node.liveChildren().some((c) => c.liveProperties().some((p) => p.name.startsWith('spi-')))) node.bus = 'spi';
    if (node.bus === 'spi' && node.property('reg')) ctx.fail(node, undefined, "node name for SPI buses should be 'spi'");
  }
  if (node.bus !== 'spi' || node.children.length === 0) return;
  const ac = node.property('spi-slave') ? 0 : 1;
  if (cellsOrDefault(node, '#address-cells', 2) !== ac) ctx.fail(node, undefined, 'incorrect #address-cells for SPI bus');
  if (cellsOrDefault(node, '#size-cells', 1) !== 0) ctx.fail(node, undefined, 'incorrect #size-cells for SPI bus');
}

function spiBusReg(ctx: CheckContext, node: DtNode): void {
  if (node.parent?.bus !== 'spi' || node.parent.property('spi-slave')) return;
  const reg = node.property('reg');
  if (!reg || reg.value.bytes.length === 0) {
    ctx.fail(node, undefined, 'missing or empty reg property');
    return;
  }
  const expected = cell(reg).toString(16);
  if ((node.unitAddress ?? '') !== expected) ctx.fail(node, undefined, `SPI bus unit address format error, expected "${expected}"`);
}

function pciDeviceBusNum(ctx: CheckContext, node: DtNode): void {
  if (node.parent?.bus !== 'pci') return;
  const reg = node.property('reg');
  if (!reg || reg.value.bytes.length < 4) return;
  const bus = (cell(reg) & 0x00ff0000) >>> 16;
  const range = node.parent.property('bus-range');
  const min = range && range.value.bytes.length >= 8 ? cell(range, 0) : 0;
  const max = range && range.value.bytes.length >= 8 ? cell(range, 1) : 0;
  if (bus < min || bus > max) ctx.fail(node, range, `PCI bus number ${bus} out of range, expected (${min} - ${max})`);
}

function pciDeviceReg(ctx: CheckContext, node: DtNode): void {
  if (node.parent?.bus !== 'pci') return;
  const reg = node.property('reg');
  if (!reg || reg.value.bytes.length < 12) return;
  if (cell(reg, 1) || cell(reg, 2)) ctx.fail(node, reg, 'PCI reg config space address cells 2 and 3 must be 0');
  const r = cell(reg);
  const dev = (r & 0xf800) >>> 11;
  const func = (r & 0x700) >>> 8;
  if (r & 0xff000000) ctx.fail(node, reg, 'PCI reg address is not configuration space');
  if (r & 0xff) ctx.fail(node, reg, 'PCI reg config space address register number must be 0');
  const unit = node.unitAddress ?? '';
  if (func === 0 && unit === dev.toString(16)) return;
  const expected = `${dev.toString(16)},${func.toString(16)}`;
  if (unit !== expected) ctx.fail(node, undefined, `PCI unit address format error, expected "${expected}"`);
}

const PHANDLE_ARGS: readonly [string, string, string, boolean?][] = [
  ['clocks', 'clocks', '#clock-cells'],
  ['cooling_device', 'cooling-device', '#cooling-cells'],
  ['dmas', 'dmas', '#dma-cells'],
  ['hwlocks', 'hwlocks', '#hwlock-cells'],
  ['interrupts_extended', 'interrupts-extended', '#interrupt-cells'],
  ['io_channels', 'io-channels', '#io-channel-cells'],
  ['iommus', 'iommus', '#iommu-cells'],
  ['mboxes', 'mboxes', '#mbox-cells'],
  ['msi_parent', 'msi-parent', '#msi-cells', true],
  ['mux_controls', 'mux-controls', '#mux-control-cells'],
  ['phys', 'phys', '#phy-cells'],
  ['power_domains', 'power-domains', '#power-domain-cells'],
  ['pwms', 'pwms', '#pwm-cells'],
  ['resets', 'resets', '#reset-cells'],
  ['sound_dai', 'sound-dai', '#sound-dai-cells'],
  ['thermal_sensors', 'thermal-sensors', '#thermal-sensor-cells'],
];

const W: CheckLevel = 'warning';

/** The table, in dtc 1.6.1's order. */
export const CHECKS: readonly CheckDef[] = [
  { name: 'duplicate_node_names', level: 'error', prereqs: [], node: duplicateNodeNames },
  { name: 'duplicate_property_names', level: 'error', prereqs: [], node: duplicatePropertyNames },
  {
    name: 'node_name_chars', level: 'error', prereqs: [], node: (ctx, n) => {
      const bad = firstBad(n.name, NODE_CHARS);
      if (bad !== undefined) ctx.fail(n, undefined, `Bad character '${bad}' in node name`);
    },
  },
  {
    name: 'node_name_format', level: 'error', prereqs: ['node_name_chars'], node: (ctx, n) => {
      if ((n.unitAddress ?? '').includes('@')) ctx.fail(n, undefined, "multiple '@' characters in node name");
    },
  },
  {
    name: 'property_name_chars', level: 'error', prereqs: [], node: (ctx, n) => {
      const props = n.liveProperties();
      for (let i = 0; i < props.length; i++) {
        const bad = firstBad(props[i].name, PROP_CHARS);
        if (bad !== undefined) ctx.fail(n, props[i], `Bad character '${bad}' in property name`);
      }
    },
  },
  { name: 'name_is_string', level: 'error', prereqs: [], node: isString('name'), only: 'name' },
  { name: 'name_properties', level: 'error', prereqs: ['name_is_string'], node: nameProperties, only: 'name' },
  {
    name: 'node_name_vs_property_name', level: W, prereqs: ['node_name_chars'], node: (ctx, n) => {
      if (n.parent?.property(n.name)) ctx.fail(n, undefined, `node name and property name conflict`);
    },
  },
  { name: 'duplicate_label', level: 'error', prereqs: [], node: duplicateLabels, idle: (ctx) => !labelNameRepeats(ctx.info.root) },
  { name: 'explicit_phandles', level: 'error', prereqs: [], node: explicitPhandles },
  { name: 'phandle_references', level: 'error', prereqs: ['duplicate_node_names', 'explicit_phandles'], node: phandleReferences },
  { name: 'path_references', level: 'error', prereqs: ['duplicate_node_names'], node: pathReferences },
  { name: 'omit_unused_nodes', level: 'error', prereqs: ['phandle_references', 'path_references'], node: omitUnusedNodes, deletesNodes: true },
  { name: 'address_cells_is_cell', level: W, prereqs: [], node: isCell('#address-cells'), only: '#address-cells' },
  { name: 'size_cells_is_cell', level: W, prereqs: [], node: isCell('#size-cells'), only: '#size-cells' },
  { name: 'device_type_is_string', level: W, prereqs: [], node: isString('device_type'), only: 'device_type' },
  { name: 'model_is_string', level: W, prereqs: [], node: isString('model'), only: 'model' },
  { name: 'status_is_string', level: W, prereqs: [], node: isString('status'), only: 'status' },
  { name: 'label_is_string', level: W, prereqs: [], node: isString('label'), only: 'label' },
  { name: 'compatible_is_string_list', level: W, prereqs: [], node: isStringListCheck((n) => n === 'compatible'), only: 'compatible' },
  { name: 'names_is_string_list', level: W, prereqs: [], node: isStringListCheck((n) => n.endsWith('-names')) },
  {
    name: 'property_name_chars_strict', level: 'off', prereqs: [], node: (ctx, n) => {
      for (const p of n.liveProperties()) {
        const bad = firstBad(p.name, PROP_CHARS_STRICT);
        if (bad !== undefined) ctx.fail(n, p, `Character '${bad}' not recommended in property name`);
      }
    },
  },
  {
    name: 'node_name_chars_strict', level: 'off', prereqs: [], node: (ctx, n) => {
      const bad = firstBad(n.basename, NODE_CHARS_STRICT);
      if (bad !== undefined) ctx.fail(n, undefined, `Character '${bad}' not recommended in node name`);
    },
  },
  { name: 'addr_size_cells', level: W, prereqs: ['address_cells_is_cell', 'size_cells_is_cell'] },
  { name: 'reg_format', level: W, prereqs: ['addr_size_cells'], node: regFormat, only: 'reg' },
  { name: 'ranges_format', level: W, prereqs: ['addr_size_cells'], node: rangesFormat('ranges'), only: 'ranges' },
  { name: 'dma_ranges_format', level: W, prereqs: ['addr_size_cells'], node: rangesFormat('dma-ranges'), only: 'dma-ranges' },
  { name: 'unit_address_vs_reg', level: W, prereqs: [], node: unitAddressVsReg },
  { name: 'unit_address_format', level: W, prereqs: ['node_name_format', 'pci_bridge', 'simple_bus_bridge'], node: unitAddressFormat },
  { name: 'pci_bridge', level: W, prereqs: ['device_type_is_string', 'addr_size_cells'], node: pciBridge, only: 'device_type' },
  { name: 'pci_device_reg', level: W, prereqs: ['reg_format', 'pci_bridge'], node: pciDeviceReg, underBus: 'pci' },
  { name: 'pci_device_bus_num', level: W, prereqs: ['reg_format', 'pci_bridge'], node: pciDeviceBusNum, underBus: 'pci' },
  {
    name: 'simple_bus_bridge', level: W, prereqs: ['addr_size_cells', 'compatible_is_string_list'], only: 'compatible', node: (_ctx, n) => {
      if (isCompatible(n, 'simple-bus')) n.bus = 'simple';
    },
  },
  { name: 'simple_bus_reg', level: W, prereqs: ['reg_format', 'simple_bus_bridge'], node: simpleBusReg },
  { name: 'i2c_bus_bridge', level: W, prereqs: ['addr_size_cells'], node: i2cBusBridge },
  { name: 'i2c_bus_reg', level: W, prereqs: ['reg_format', 'i2c_bus_bridge'], node: i2cBusReg, underBus: 'i2c' },
  { name: 'spi_bus_bridge', level: W, prereqs: ['addr_size_cells'], node: spiBusBridge },
  { name: 'spi_bus_reg', level: W, prereqs: ['reg_format', 'spi_bus_bridge'], node: spiBusReg, underBus: 'spi' },
  { name: 'avoid_default_addr_size', level: W, prereqs: ['addr_size_cells'], node: avoidDefaultAddrSize },
  { name: 'avoid_unnecessary_addr_size', level: W, prereqs: ['avoid_default_addr_size'], node: avoidUnnecessaryAddrSize },
  { name: 'unique_unit_address', level: W, prereqs: ['avoid_default_addr_size'], node: uniqueUnitAddress(false) },
  { name: 'unique_unit_address_if_enabled', level: 'off', prereqs: ['avoid_default_addr_size'], node: uniqueUnitAddress(true) },
  {
    name: 'obsolete_chosen_interrupt_controller', level: W, prereqs: [], node: (ctx, n) => {
      if (n.parent) return;
      const p = n.child('chosen')?.property('interrupt-controller');
      if (p) ctx.fail(n, p, '/chosen has obsolete "interrupt-controller" property');
    },
  },
  {
    name: 'chosen_node_is_root', level: W, prereqs: [], named: 'chosen', node: (ctx, n) => {
      if (n.name === 'chosen' && n.parent !== ctx.info.root) ctx.fail(n, undefined, 'chosen node must be at root node');
    },
  },
  {
    name: 'chosen_node_bootargs', level: W, prereqs: [], named: 'chosen', node: (ctx, n) => {
      const p = n.name === 'chosen' ? n.property('bootargs') : undefined;
      if (p) chosenString(ctx, n, p);
    },
  },
  {
    name: 'chosen_node_stdout_path', level: W, prereqs: [], named: 'chosen', node: (ctx, n) => {
      if (n.name !== 'chosen') return;
      let p = n.property('stdout-path');
      if (!p) {
        p = n.property('linux,stdout-path');
        if (!p) return;
        ctx.fail(n, p, "Use 'stdout-path' instead");
      }
      chosenString(ctx, n, p);
    },
  },
  ...PHANDLE_ARGS.flatMap(([check, prop, cells, optional]): CheckDef[] => [
    { name: `${check}_property`, level: W, prereqs: [`${check}_is_cell`, 'phandle_references'], node: phandleArgs(prop, cells, optional), only: prop },
    { name: `${check}_is_cell`, level: W, prereqs: [], node: isCell(cells), only: cells },
  ]),
  {
    name: 'deprecated_gpio_property', level: 'off', prereqs: [], node: (ctx, n) => {
      for (const p of n.liveProperties()) if (isGpioProperty(p.name) && p.name.indexOf('gpio') === p.name.length - 4) ctx.fail(n, p, "'[*-]gpio' is deprecated, use '[*-]gpios' instead");
    },
  },
  { name: 'gpios_property', level: W, prereqs: ['phandle_references'], node: gpiosProperty },
  { name: 'interrupts_property', level: W, prereqs: ['phandle_references'], node: interruptsProperty, only: 'interrupts' },
  {
    name: 'interrupt_provider', level: W, prereqs: ['interrupts_extended_is_cell'], node: (ctx, n) => {
      if (!isInterruptProvider(n)) return;
      if (!n.property('#interrupt-cells')) ctx.fail(n, undefined, 'Missing #interrupt-cells in interrupt provider');
      // dtc 1.6.1 also asks for #address-cells (1.7 dropped this; the kernel turns the check off).
      if (!n.property('#address-cells')) ctx.fail(n, undefined, 'Missing #address-cells in interrupt provider');
    },
  },
  { name: 'alias_paths', level: W, prereqs: [], node: aliasPaths },
  { name: 'graph_nodes', level: W, prereqs: [], node: graphNodes },
  { name: 'graph_child_address', level: W, prereqs: ['graph_nodes'], node: graphChildAddress },
  {
    name: 'graph_port', level: W, prereqs: ['graph_nodes'], node: (ctx, n) => {
      if (n.bus !== 'graph-port') return;
      if (n.basename !== 'port') ctx.fail(n, undefined, "graph port node name should be 'port'");
      graphReg(ctx, n);
    },
  },
  { name: 'graph_endpoint', level: W, prereqs: ['graph_nodes'], node: graphEndpoint, underBus: 'graph-port' },
  { name: 'always_fail', level: 'off', prereqs: [], node: (ctx, n) => ctx.fail(n, undefined, 'always_fail check') },
];

const BY_NAME = checksByName(CHECKS);

export interface RunChecksOptions {
  /** Switches over this table (and possibly others); default: the table's levels. */
  levels?: CheckSwitches;
  symbols?: boolean;
  phandleFormat?: PhandleFormat;
}

type Status = 'unchecked' | 'passed' | 'failed' | 'prereq';

function describe(node: DtNode, prop: DtProperty | undefined): string {
  return prop ? `${node.fullpath}:${prop.name}` : node.fullpath;
}

/** Every node (deleted ones too) under each name of its properties (deleted ones too), in walk order. */
function nodesByPropertyName(root: DtNode): Map<string, DtNode[]> {
  const index = new Map<string, DtNode[]>();
  const walk = (node: DtNode) => {
    const props = node.properties;
    for (let i = 0; i < props.length; i++) {
      let nodes = index.get(props[i].name);
      if (!nodes) index.set(props[i].name, (nodes = []));
      if (nodes[nodes.length - 1] !== node) nodes.push(node);
    }
    const children = node.children;
    for (let i = 0; i < children.length; i++) walk(children[i]);
  };
  walk(root);
  return index;
}

/** The nodes a walk from the root (which skips deleted children) reaches, parents before their children. */
function preorder(root: DtNode): DtNode[] {
  const nodes: DtNode[] = [];
  const walk = (node: DtNode) => {
    nodes.push(node);
    const children = node.children;
    for (let i = 0; i < children.length; i++) if (!children[i].deleted) walk(children[i]);
  };
  walk(root);
  return nodes;
}

/** Does a walk from the root (which skips deleted children) reach the node? */
function reached(node: DtNode, root: DtNode): boolean {
  for (let n = node; n !== root; n = n.parent!) if (n.deleted) return false;
  return true;
}

/** Runs the enabled checks (and their prerequisites) over the tree. Returns true when a check raised an error. */
export function runChecks(info: DtInfo, diagnostics: Diagnostic[], options: RunChecksOptions = {}): { errors: boolean; context: CheckContext } {
  const levels = options.levels ?? new CheckSwitches(CHECKS);
  const status = new Map<string, Status>();
  let current: CheckDef | undefined;
  const ctx: CheckContext = {
    info,
    symbols: options.symbols ?? false,
    phandleFormat: options.phandleFormat ?? 'epapr',
    nextPhandle: 1,
    phandles: new Map(),
    labelIndex: undefined,
    fail(node, prop, message) {
      const c = current!;
      status.set(c.name, 'failed');
      report(c, node, prop, message);
    },
  };
  const report = (c: CheckDef, node: DtNode | undefined, prop: DtProperty | undefined, message: string) => {
    const isError = levels.isError(c.name);
    if (!isError && !levels.isWarning(c.name)) return;
    const loc: Loc | undefined = prop?.loc ?? node?.loc;
    const where = node ? `${describe(node, prop)}: ` : '';
    diagnostics.push({ severity: isError ? 'error' : 'warning', code: c.name, message: where + message, loc });
  };
  /**
   * The nodes a walk from the root reaches, in its order: made once, and again after a check deleted nodes. A node
   * deleted during a check's walk is skipped, as its subtree is (deleting a node deletes its subtree).
   */
  let walkOrder: DtNode[] | undefined;
  const visitAll = (c: CheckDef) => {
    if (c.idle?.(ctx)) return;
    walkOrder ??= preorder(info.root);
    const nodes = walkOrder;
    const bus = c.underBus;
    const named = c.named;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (node.deleted || (bus !== undefined && node.parent?.bus !== bus) || (named !== undefined && node.name !== named)) continue;
      c.node!(ctx, node);
    }
    if (c.deletesNodes) walkOrder = undefined;
  };
  let withProperty: Map<string, DtNode[]> | undefined;
  /** A check gated on a property visits, in the same order, only the nodes the walk would reach that have one. */
  const visitWith = (c: CheckDef, name: string) => {
    withProperty ??= nodesByPropertyName(info.root);
    const nodes = withProperty.get(name) ?? [];
    for (let i = 0; i < nodes.length; i++) if (reached(nodes[i], info.root)) c.node!(ctx, nodes[i]);
  };
  const run = (c: CheckDef): boolean => {
    let error = false;
    if (status.get(c.name) === undefined) {
      status.set(c.name, 'unchecked');
      for (const name of c.prereqs) {
        const p = BY_NAME.get(name)!;
        error = error || run(p);
        if (status.get(name) !== 'passed') {
          status.set(c.name, 'prereq');
          report(c, undefined, undefined, `Failed prerequisite '${name}'`);
        }
      }
      if (status.get(c.name) === 'unchecked') {
        if (c.node) {
          const outer = current;
          current = c;
          if (c.only !== undefined) visitWith(c, c.only);
          else visitAll(c);
          current = outer;
        }
        if (status.get(c.name) === 'unchecked') status.set(c.name, 'passed');
      }
    }
    return error || (status.get(c.name) !== 'passed' && levels.isError(c.name));
  };
  let errors = false;
  for (const c of CHECKS) {
    if (errors) break;
    if (levels.isWarning(c.name) || levels.isError(c.name)) errors = run(c);
  }
  return { errors, context: ctx };
}
