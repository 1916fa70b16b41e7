// The devicetree compiler pipeline: DTS (or DTB) in -> checked, fixed-up tree -> DTB or DTS out. Pure: files are
// read through a FileHost; all findings come back as diagnostics.
import { FdtError } from '../../emulator/devicetree/fdt';
import { DtInfo, buildDtInfo } from './build';
import { CheckContext, PhandleFormat, nodePhandle, runChecks } from './checks';
import type { CheckSwitches } from '../checks';
import { BlobOptions, fromDtb, toDtb } from './dtb';
import { DtsDocument, parseDts } from './parser';
import { DtsStyle, toDts } from './printer';
import { Diagnostic, DtsFatal, FileHost, Source } from './source';
import { DtNode, DtProperty, DtValue, fillFullpaths, nodeByRef } from './tree';

export interface TreeOptions {
  /** -@: add /__symbols__ and keep labelled /omit-if-no-ref/ nodes. */
  symbols?: boolean;
  /** -b: boot_cpuid_phys, instead of dtc's guess. */
  bootCpu?: number;
  /** -H */
  phandleFormat?: PhandleFormat;
  levels?: CheckSwitches;
  /** -f: produce output even when checks raise errors. */
  force?: boolean;
  /** -A: add each label to /aliases as the path of its node. */
  autoAlias?: boolean;
  /** -s: sort reservations, properties and child nodes by name. */
  sort?: boolean;
}

export interface CompileOptions extends TreeOptions {
  host: FileHost;
  includeDirs?: readonly string[];
}

export interface CompileResult {
  /** The tree, unless a syntax or fatal error stopped compilation (or checks failed without force). */
  info: DtInfo | undefined;
  document: DtsDocument | undefined;
  diagnostics: Diagnostic[];
  /** The input was read but checks raised errors (dtc's exit status 2). */
  checksFailed: boolean;
}

const stringValue = (s: string) => {
  const bytes = new Uint8Array(s.length + 1);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new DtValue(bytes, [{ kind: 'type', offset: 0, type: 'string' }]);
};

function childOrNew(parent: DtNode, name: string): DtNode {
  const existing = parent.child(name);
  if (existing) return existing;
  const node = new DtNode(name);
  parent.addChild(node);
  return node;
}

function appendToProperty(node: DtNode, name: string, value: DtValue): void {
  const p = node.property(name);
  if (!p) {
    node.properties.push(new DtProperty(name, value));
    return;
  }
  const bytes = new Uint8Array(p.value.bytes.length + value.bytes.length);
  bytes.set(p.value.bytes);
  bytes.set(value.bytes, p.value.bytes.length);
  const shift = p.value.bytes.length;
  p.value = new DtValue(bytes, [...p.value.markers, ...value.markers.map((m) => ({ ...m, offset: m.offset + shift }))]);
}

function anyLabel(node: DtNode): boolean {
  if (node.labels.length > 0) return true;
  for (const c of node.liveChildren()) if (anyLabel(c)) return true;
  return false;
}

/**
 * A node (/__symbols__ for -@, /aliases for -A) with one property per live label, the labelled node's path; for
 * /__symbols__ each labelled node gets a phandle too.
 */
function generateLabelTree(info: DtInfo, name: string, ctx: CheckContext | undefined, diagnostics: Diagnostic[]): void {
  if (!anyLabel(info.root)) return;
  const symbols = childOrNew(info.root, name);
  const walk = (node: DtNode) => {
    if (node.labels.length > 0) {
      for (const l of node.labels) {
        if (l.deleted) continue;
        if (symbols.property(l.name)) {
          diagnostics.push({ severity: 'warning', code: 'symbols', message: `label ${l.name} already exists in /${name}`, loc: l.loc });
          continue;
        }
        symbols.properties.push(new DtProperty(l.name, stringValue(node.fullpath)));
      }
      if (ctx) nodePhandle(ctx, node);
    }
    for (const c of node.liveChildren()) walk(c);
  };
  walk(info.root);
}

function forEachPhandleRef(node: DtNode, fn: (node: DtNode, prop: DtProperty, offset: number, ref: string) => void): void {
  for (const p of node.liveProperties()) for (const m of p.value.markers) if (m.kind === 'phandle') fn(node, p, m.offset, m.ref);
  for (const c of node.liveChildren()) forEachPhandleRef(c, fn);
}

/** Overlays: /__fixups__ lists references to labels outside the overlay, /__local_fixups__ the offsets of local ones. */
function generateFixups(info: DtInfo): void {
  const root = info.root;
  let unresolved = false;
  let resolved = false;
  forEachPhandleRef(root, (_n, _p, _o, ref) => {
    if (nodeByRef(root, ref)) resolved = true;
    else unresolved = true;
  });
  if (unresolved) {
    const fixups = childOrNew(root, '__fixups__');
    forEachPhandleRef(root, (node, prop, offset, ref) => {
      if (!nodeByRef(root, ref)) appendToProperty(fixups, ref, stringValue(`${node.fullpath}:${prop.name}:${offset}`));
    });
  }
  if (resolved) {
    const local = childOrNew(root, '__local_fixups__');
    forEachPhandleRef(root, (node, prop, offset, ref) => {
      if (!nodeByRef(root, ref)) return;
      const chain: DtNode[] = [];
      for (let n: DtNode | undefined = node; n?.parent; n = n.parent) chain.unshift(n);
      let at = local;
      for (const n of chain) at = childOrNew(at, n.name);
      const cell = new Uint8Array([offset >>> 24, offset >>> 16, offset >>> 8, offset]);
      appendToProperty(at, prop.name, new DtValue(cell, [{ kind: 'type', offset: 0, type: 'u32' }]));
    });
  }
}

/** Full paths, checks and fixups, then the generated nodes: what dtc does between reading and writing. */
export function processTree(info: DtInfo, options: TreeOptions, diagnostics: Diagnostic[]): boolean {
  fillFullpaths(info.root);
  if (options.bootCpu !== undefined) info.bootCpuidPhys = options.bootCpu;
  const { errors, context } = runChecks(info, diagnostics, { levels: options.levels, symbols: options.symbols, phandleFormat: options.phandleFormat });
  if (errors && !options.force) return false;
  if (options.autoAlias) generateLabelTree(info, 'aliases', undefined, diagnostics);
  if (options.symbols) generateLabelTree(info, '__symbols__', context, diagnostics);
  if (info.plugin) generateFixups(info);
  if (options.sort) sortTree(info);
  return true;
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** -s: reservations by address then size, properties and children by name (byte order, as strcmp), everywhere. */
function sortTree(info: DtInfo): void {
  info.memreserves.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.size < b.size ? -1 : a.size > b.size ? 1 : 0));
  const sortNode = (node: DtNode): void => {
    node.properties.sort((a, b) => byteOrder(a.name, b.name));
    node.children.sort((a, b) => byteOrder(a.name, b.name));
    for (const c of node.children) sortNode(c);
  };
  sortNode(info.root);
}

function hasErrors(diagnostics: readonly Diagnostic[], from = 0): boolean {
  for (let i = from; i < diagnostics.length; i++) if (diagnostics[i].severity === 'error') return true;
  return false;
}

/** Compiles DTS text (already preprocessed, if it needed cpp). */
export function compileDts(source: Source, options: CompileOptions): CompileResult {
  const diagnostics: Diagnostic[] = [];
  let document: DtsDocument | undefined;
  try {
    document = parseDts(source, { host: options.host, includeDirs: options.includeDirs });
  } catch (e) {
    if (e instanceof DtsFatal) {
      diagnostics.push(e.diagnostic);
      return { info: undefined, document: undefined, diagnostics, checksFailed: false };
    }
    throw e;
  }
  diagnostics.push(...document.diagnostics);
  if (hasErrors(diagnostics)) return { info: undefined, document, diagnostics, checksFailed: false };
  const info = buildDtInfo(document, diagnostics);
  if (hasErrors(diagnostics)) return { info: undefined, document, diagnostics, checksFailed: false };
  const ok = processTree(info, options, diagnostics);
  return { info: ok ? info : undefined, document, diagnostics, checksFailed: !ok };
}

/** Reads a DTB; a malformed blob gives one error diagnostic. */
export function loadDtb(bytes: Uint8Array, options: TreeOptions): CompileResult {
  const diagnostics: Diagnostic[] = [];
  let info: DtInfo;
  try {
    info = fromDtb(bytes);
  } catch (e) {
    if (e instanceof FdtError) {
      diagnostics.push({ severity: 'error', code: 'dtb', message: e.message });
      return { info: undefined, document: undefined, diagnostics, checksFailed: false };
    }
    throw e;
  }
  const ok = processTree(info, options, diagnostics);
  return { info: ok ? info : undefined, document: undefined, diagnostics, checksFailed: !ok };
}

export { toDtb, toDts };
export type { BlobOptions, DtsStyle };
