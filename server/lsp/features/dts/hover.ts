// Hover for devicetree sources: a property's evaluated value (macros expanded, cells decoded as address/size pairs,
// interrupt specifiers, phandles resolved to node paths) with its binding's documentation; a node's path and
// identity; where a reference points; a macro's definition.
import type { Hover } from 'vscode-languageserver-types';
import type { DtNode, DtProperty } from '../../../dts/tree';
import { nodeByRef } from '../../../dts/tree';
import { DtsAnalysis, Span, enclosing, entityAt } from './analysis';
import { BINDINGS, COMMON_PROPERTIES } from '../../../dts/bindings';
import { PHANDLE_ARGUMENT_PROPERTIES, addressCells, cellValue, cells, compatibles, hex, interruptParent, joinCells, phandleEntries, strings } from '../../../dts/cells';

const range = (s: Span) => ({ start: { line: s.line, character: s.col }, end: { line: s.endLine, character: s.endCol } });

export function dtsHover(a: DtsAnalysis, line: number, col: number, word: string | undefined): Hover | undefined {
  const entity = entityAt(a, line, col);
  const markdown = (value: string, span?: Span): Hover => ({ contents: { kind: 'markdown', value }, range: span ? range(span) : undefined });
  if (entity?.kind === 'ref' || entity?.kind === 'label') {
    const node = entity.kind === 'ref' ? (a.info ? nodeByRef(a.info.root, entity.ref) : undefined) : entity.node;
    const name = entity.kind === 'ref' ? `&${entity.ref}` : `${entity.name}:`;
    return markdown(node ? `\`${name}\` → \`${node.fullpath}\`\n\n${nodeSummary(node)}` : `\`${name}\`: not found in the tree`, entity.span);
  }
  if (entity?.kind === 'node') return entity.node ? markdown(`\`${entity.node.fullpath}\`\n\n${nodeSummary(entity.node)}`, entity.span) : undefined;
  const macro = word !== undefined ? a.macros.get(word) : undefined;
  if (macro) return markdown(`\`\`\`c\n#define ${macro.name}${macro.params ?? ''} ${macro.body}\n\`\`\`\n${macro.file}:${macro.line + 1}`);
  const { property } = enclosing(a, line, col);
  if (!property?.node) return undefined;
  const p = property.node.property(property.name);
  if (!p) return undefined;
  return markdown(propertyHover(property.node, p), entity?.kind === 'property' ? entity.span : undefined);
}

function nodeSummary(node: DtNode): string {
  const lines: string[] = [];
  const compatible = compatibles(node);
  if (compatible.length) lines.push(`compatible: ${compatible.map((c) => `\`${c}\``).join(', ')}`);
  const labels = node.labels.filter((l) => !l.deleted).map((l) => l.name);
  if (labels.length) lines.push(`labels: ${labels.join(', ')}`);
  if (node.phandle) lines.push(`phandle: ${hex(node.phandle)}`);
  const status = strings(node.property('status'))?.[0];
  if (status) lines.push(`status: ${status}`);
  const reg = node.property('reg');
  if (reg) lines.push(`reg: ${decodeReg(node, reg).join('; ')}`);
  return lines.join('  \n');
}

function propertyHover(node: DtNode, p: DtProperty): string {
  const parts = [`**${p.name}** of \`${node.fullpath}\``, '```dts\n' + `${p.name}${p.value.bytes.length ? ` = ${formatValue(p)}` : ''};` + '\n```'];
  const decoded = decodeProperty(node, p);
  if (decoded.length) parts.push(decoded.map((d) => `- ${d}`).join('\n'));
  const doc = BINDINGS.find((b) => compatibles(node).some((c) => b.compatibles.includes(c)))?.properties[p.name] ?? COMMON_PROPERTIES[p.name];
  if (doc) parts.push(doc);
  return parts.join('\n\n');
}

/** The evaluated value in DTS syntax: strings, cells (phandles as &label), bytes. */
export function formatValue(p: DtProperty): string {
  const b = p.value.bytes;
  const types = p.value.markers.filter((m) => m.kind === 'type') as { offset: number; type: string }[];
  const refs = new Map<number, string>();
  for (const m of p.value.markers) if (m.kind === 'phandle') refs.set(m.offset, m.ref);
  const segments = types.length ? types : [{ offset: 0, type: strings(p) && b.length > 1 ? 'string' : b.length % 4 === 0 ? 'u32' : 'u8' }];
  const out: string[] = [];
  segments.forEach((seg, k) => {
    const end = segments[k + 1]?.offset ?? b.length;
    if (seg.type === 'string') {
      let s = '';
      for (let i = seg.offset; i < end - 1; i++) s += b[i] === 0 ? '", "' : String.fromCharCode(b[i]);
      out.push(`"${s}"`);
    } else if (seg.type === 'u8') {
      out.push(`[${Array.from(b.subarray(seg.offset, end), (x) => x.toString(16).padStart(2, '0')).join(' ')}]`);
    } else {
      const width = seg.type === 'u16' ? 2 : seg.type === 'u64' ? 8 : 4;
      const items: string[] = [];
      for (let i = seg.offset; i + width <= end; i += width) {
        const ref = refs.get(i);
        let v = 0n;
        for (let k2 = 0; k2 < width; k2++) v = (v << 8n) | BigInt(b[i + k2]);
        items.push(ref !== undefined ? `&${ref.startsWith('/') ? `{${ref}}` : ref}` : hex(v));
      }
      out.push(`${width !== 4 ? `/bits/ ${width * 8} ` : ''}<${items.join(' ')}>`);
    }
  });
  return out.join(', ');
}

function decodeReg(node: DtNode, p: DtProperty): string[] {
  const { address, size } = addressCells(node);
  const values = cells(p);
  const n = address + size;
  if (n === 0 || values.length % n !== 0) return [`${values.length} cells: not a multiple of #address-cells + #size-cells = ${address} + ${size}`];
  const out: string[] = [];
  for (let i = 0; i < values.length; i += n) {
    const base = joinCells(values, i, address);
    const length = joinCells(values, i + address, size);
    out.push(size ? `address ${hex(base)}, size ${hex(length)} (end ${hex(base + length - 1n)})` : `address ${hex(base)}`);
  }
  return out;
}

const GIC_FLAGS: Record<number, string> = { 1: 'edge rising', 2: 'edge falling', 3: 'edge both', 4: 'level high', 8: 'level low' };

function decodeInterrupts(values: readonly number[], parent: DtNode | undefined): string[] {
  const n = cellValue(parent, '#interrupt-cells');
  if (!parent || !n) return [`interrupt parent ${parent ? `${parent.fullpath} has no #interrupt-cells` : 'not found'}`];
  if (values.length % n !== 0) return [`${values.length} cells: not a multiple of #interrupt-cells = ${n} of ${parent.fullpath}`];
  const gic = compatibles(parent).some((c) => /gic/.test(c)) && n >= 3;
  const out: string[] = [];
  for (let i = 0; i < values.length; i += n) {
    const spec = values.slice(i, i + n);
    if (gic) {
      const [type, number, flags] = spec;
      const kind = type === 0 ? 'SPI' : type === 1 ? 'PPI' : `type ${type}`;
      const id = type === 0 ? number + 32 : type === 1 ? number + 16 : undefined;
      out.push(`${kind} ${number}${id !== undefined ? ` (GIC interrupt ID ${id})` : ''}, ${GIC_FLAGS[flags & 0xf] ?? `flags ${hex(flags)}`} → ${parent.fullpath}`);
    } else out.push(`<${spec.map(hex).join(' ')}> → ${parent.fullpath}`);
  }
  return out;
}

function decodeProperty(node: DtNode, p: DtProperty): string[] {
  switch (p.name) {
    case 'reg': return decodeReg(node, p);
    case 'ranges':
    case 'dma-ranges': {
      const child = cellValue(node, '#address-cells') ?? 2;
      const parent = addressCells(node).address;
      const size = cellValue(node, '#size-cells') ?? 1;
      const values = cells(p);
      const n = child + parent + size;
      if (values.length === 0) return ['identity mapping'];
      if (values.length % n !== 0) return [`${values.length} cells: not a multiple of ${child} + ${parent} + ${size}`];
      const out: string[] = [];
      for (let i = 0; i < values.length; i += n) out.push(`child ${hex(joinCells(values, i, child))} → parent ${hex(joinCells(values, i + child, parent))}, size ${hex(joinCells(values, i + child + parent, size))}`);
      return out;
    }
    case 'interrupts': return decodeInterrupts(cells(p), interruptParent(node));
    case 'interrupt-parent': {
      const parent = interruptParent(node);
      return parent ? [`→ ${parent.fullpath}`] : [];
    }
  }
  const cellsName = PHANDLE_ARGUMENT_PROPERTIES[p.name];
  if (!cellsName) return [];
  const entries = phandleEntries(node, p, cellsName);
  if (!entries) return [`cannot split by the providers' ${cellsName}`];
  const names = strings(node.property(p.name.replace(/s$/, '') + '-names'));
  return entries.map((e, k) => {
    const provider = e.provider!;
    const label = provider.labels.find((l) => !l.deleted)?.name;
    const args = p.name === 'interrupts-extended' ? decodeInterrupts(e.args, provider)[0] : e.args.length ? `<${e.args.map(hex).join(' ')}>` : 'no arguments';
    return `${names?.[k] ? `"${names[k]}": ` : ''}${label ? `&${label} ` : ''}\`${provider.fullpath}\` ${args}`;
  });
}
