// Devicetree completion: labels after '&', macros inside cell lists, compatible strings, and at the start of a
// statement the property names of the node's bindings (required ones first) and common ones.
import { CompletionItemKind, type CompletionItem } from 'vscode-languageserver-types';
import type { DtNode } from '../../../dts/tree';
import { DtsAnalysis, enclosing } from './analysis';
import { BINDINGS, COMMON_PROPERTIES } from '../../../dts/bindings';
import { compatibles } from '../../../dts/cells';

export function dtsCompletion(a: DtsAnalysis, line: number, col: number): CompletionItem[] {
  const prefix = (a.text.split('\n')[line] ?? '').slice(0, col);
  if (/&[A-Za-z0-9_]*$/.test(prefix)) return labelItems(a);
  if (/compatible\s*=\s*("[^"]*"\s*,\s*)*"[^"]*$/.test(prefix)) {
    return BINDINGS.flatMap((b) => [...b.compatibles, ...(b.name === 'arm,pl330' ? ['arm,primecell'] : [])]).map((c) => ({ label: c, kind: CompletionItemKind.Value }));
  }
  const open = (prefix.match(/</g) ?? []).length - (prefix.match(/>/g) ?? []).length;
  if (open > 0 || /^\s*#\s*(if|ifdef|ifndef|elif|undef)\b/.test(prefix)) {
    return [...a.macros.values()].map((m) => ({ label: m.name, kind: CompletionItemKind.Constant, detail: `${m.params ?? ''} ${m.body}`.trim().slice(0, 80) }));
  }
  if (!/^\s*[A-Za-z0-9,._+?#-]*$/.test(prefix)) return [];
  const { node } = enclosing(a, line, col);
  return propertyItems(node?.node);
}

function labelItems(a: DtsAnalysis): CompletionItem[] {
  const items: CompletionItem[] = [];
  const walk = (node: DtNode): void => {
    for (const l of node.labels) if (!l.deleted) items.push({ label: l.name, kind: CompletionItemKind.Reference, detail: node.fullpath, documentation: compatibles(node).join(', ') || undefined });
    for (const c of node.liveChildren()) walk(c);
  };
  if (a.info) walk(a.info.root);
  return items;
}

function propertyItems(node: DtNode | undefined): CompletionItem[] {
  const items = new Map<string, CompletionItem>();
  const binding = node && BINDINGS.find((b) => compatibles(node).some((c) => b.compatibles.includes(c)));
  if (binding) {
    for (const [name, doc] of Object.entries(binding.properties)) {
      const required = binding.required.includes(name);
      const missing = required && !node.property(name);
      items.set(name, { label: name, kind: CompletionItemKind.Property, detail: `${binding.name}${required ? ' (required)' : ''}`, documentation: doc, sortText: `${missing ? 0 : 1}${name}` });
    }
  }
  for (const [name, doc] of Object.entries(COMMON_PROPERTIES)) {
    if (!items.has(name)) items.set(name, { label: name, kind: CompletionItemKind.Property, documentation: doc, sortText: `2${name}` });
  }
  for (const b of BINDINGS) {
    const nodeName = b.name === 'arm,pl330' ? 'dma-controller@' : 'iommu@';
    items.set(nodeName, { label: nodeName, kind: CompletionItemKind.Module, detail: `${b.name} node`, sortText: `3${nodeName}` });
  }
  return [...items.values()];
}
