// The register views of the Variables pane, derived from the PL330 register table: each register with its value
// decoded in words and its fields as children; fault type registers decoded bit by bit; CCR in assembler keywords.
import type { RegisterDef } from '../../emulator/bus/registers';
import { fieldValue } from '../../emulator/bus/registers';
import { formatCcr } from '../../emulator/pl330/ccr';
import { decodeFaultType } from '../../emulator/pl330/faults';
import type { ThreadRef } from '../../emulator/pl330/observer';
import type { Pl330 } from '../../emulator/pl330/pl330';
import { PL330_REGISTER_MAP } from '../../emulator/pl330/registers';

export interface VariableNode {
  readonly name: string;
  readonly value: string;
  /** Expression that gives this value in the debug console. */
  readonly evaluateName?: string;
  /** Where the value points, for the memory view (addresses). */
  readonly memoryReference?: string;
  readonly children?: () => VariableNode[];
}

export const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** Registers holding addresses: the Variables pane offers to open the memory view at them. */
const ADDRESS_REGISTERS = new Set(['SAR{n}', 'DAR{n}', 'CPC{n}', 'DPC']);
/** Per-channel registers shown in a channel thread's view, by table name, with the name used there. */
const CHANNEL_VIEW: readonly [string, string][] = [
  ['CSR{n}', 'CSR'], ['CPC{n}', 'PC'], ['SAR{n}', 'SAR'], ['DAR{n}', 'DAR'], ['CCR{n}', 'CCR'], ['LC0_{n}', 'LC0'], ['LC1_{n}', 'LC1'], ['FTR{n}', 'FTR'],
];
const MANAGER_VIEW: readonly [string, string][] = [['DSR', 'DSR'], ['DPC', 'PC'], ['FTRD', 'FTR']];

/** The registers of one thread: state in words, PC, addresses, CCR, loop counters, faults, its MFIFO data. */
export function threadView(dmac: Pl330, thread: ThreadRef): VariableNode[] {
  const view = thread === 'manager' ? MANAGER_VIEW : CHANNEL_VIEW;
  const nodes = view.map(([table, short]) => {
    const name = thread === 'manager' ? table : table.replace('{n}', String(thread));
    return registerNode(dmac, name, short, thread === 'manager' ? 'manager' : 'channel');
  });
  if (thread !== 'manager') {
    const held = dmac.snapshot().fifos[thread].length;
    nodes.push({ name: 'MFIFO', value: `${held} byte(s) held` });
  }
  return nodes;
}

/** The DMAC-wide registers: manager status, interrupts, faults, configuration. */
export function dmacView(dmac: Pl330): VariableNode[] {
  const nodes = PL330_REGISTER_MAP.instances
    .filter((r) => r.def.count === undefined && r.def.access !== 'wo')
    .map((r) => registerNode(dmac, r.name, r.name, 'manager'));
  const s = dmac.snapshot();
  nodes.push({ name: 'MFIFO', value: `${s.mfifoUsed} byte(s) in use` });
  return nodes;
}

function registerNode(dmac: Pl330, name: string, shown: string, faultThread: 'manager' | 'channel'): VariableNode {
  const instance = PL330_REGISTER_MAP.named(name)!;
  const def = instance.def;
  const value = dmac.register(name);
  const isFault = def.name === 'FTRD' || def.name === 'FTR{n}';
  const memoryReference = ADDRESS_REGISTERS.has(def.name) ? hex32(value) : undefined;
  let summary = hex32(value);
  let children: (() => VariableNode[]) | undefined;
  if (isFault) {
    const bits = decodeFaultType(value, faultThread);
    if (bits.length) summary += ` (${bits.map((b) => b.name).join(', ')})`;
    if (bits.length) children = () => bits.map((b) => ({ name: b.name, value: b.description }));
  } else if (def.fields?.length) {
    const words = def.name === 'CCR{n}' ? formatCcr(value) : describeFields(def, value);
    if (words) summary += ` (${words})`;
    children = () => def.fields!.map((f) => {
      const v = fieldValue(value, f);
      const meaning = f.values?.[v];
      return { name: f.name, value: `${v}${meaning ? ` (${meaning})` : ''} — ${f.description}` };
    });
  } else if (!memoryReference && value < 0x10000) summary = String(value);
  return { name: shown, value: summary, evaluateName: name, memoryReference, children };
}

/** Enumerated fields in words (`Executing`), the others as name=value when set. */
function describeFields(def: RegisterDef, value: number): string {
  return def.fields!.map((f) => {
    const v = fieldValue(value, f);
    if (f.values) return f.values[v] ?? `${f.name}=${v}`;
    return v ? `${f.name}=${v}` : '';
  }).filter(Boolean).join(', ');
}
