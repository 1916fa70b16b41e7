// The register views of the Variables pane, derived from the PL330 register table: each register with its value
// decoded in words and its fields as children; fault type registers decoded bit by bit; CCR in assembler keywords.
import type { RegisterDef } from '../../emulator/bus/registers';
import { fieldValue } from '../../emulator/bus/registers';
import { formatCcr } from '../../emulator/pl330/ccr';
import { decodeFaultType } from '../../emulator/pl330/faults';
import type { ThreadRef } from '../../emulator/pl330/observer';
import type { Pl330 } from '../../emulator/pl330/pl330';
import { PL330_REGISTER_MAP } from '../../emulator/pl330/registers';
import type { Smmu } from '../../emulator/smmu/smmu';

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

/** Where the SMMU in front of a DMAC sends an address it issues (a read or a write), in words. */
export type Translation = (address: number, write: boolean) => string;

/** The buffer registers and the access the DMAC makes at each (it reads at SAR, writes at DAR). */
const BUFFER_ACCESS: ReadonlyMap<string, boolean> = new Map([['SAR', false], ['DAR', true]]);

/** The registers of one thread: state in words, PC, addresses (each also as the SMMU translates it, when `translate`
 * is given), CCR, loop counters, faults, its MFIFO data. */
export function threadView(dmac: Pl330, thread: ThreadRef, translate?: Translation): VariableNode[] {
  const view = thread === 'manager' ? MANAGER_VIEW : CHANNEL_VIEW;
  const nodes = view.map(([table, short]) => {
    const name = thread === 'manager' ? table : table.replace('{n}', String(thread));
    const node = registerNode(dmac, name, short, thread === 'manager' ? 'manager' : 'channel');
    const write = BUFFER_ACCESS.get(short);
    if (translate === undefined || write === undefined || thread === 'manager') return node;
    return { ...node, value: `${node.value} ${translate(dmac.register(name), write)}` };
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
  nodes.push({ name: 'MFIFO', value: `${s.mfifoEntries} of ${dmac.config.mfifoLines} line(s) in use` });
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
  } else if (def.name === 'CCR{n}') {
    summary += ` (${formatCcr(value) ?? 'reserved encoding'})`;
    children = fieldNodes(def, value);
  } else if (def.fields?.length) return tableRegisterNode(def, shown, value, name);
  else if (!memoryReference && value < 0x10000) summary = String(value);
  return { name: shown, value: summary, evaluateName: name, memoryReference, children };
}

/** A register from any device's table: its value, set fields in words, every field as a child. */
function tableRegisterNode(def: RegisterDef, shown: string, value: number, evaluateName?: string): VariableNode {
  const words = def.fields?.length ? describeFields(def, value) : '';
  return { name: shown, value: `${hex32(value)}${words ? ` (${words})` : ''}`, evaluateName, children: fieldNodes(def, value) };
}

function fieldNodes(def: RegisterDef, value: number): (() => VariableNode[]) | undefined {
  if (!def.fields?.length) return undefined;
  return () => def.fields!.map((f) => {
    const v = fieldValue(value, f);
    const meaning = f.values?.[v];
    return { name: f.name, value: `${v}${meaning ? ` (${meaning})` : ''} — ${f.description}` };
  });
}

/** The SMMU: its global registers (configuration, faults, stream mapping) and each context bank's registers. */
export function smmuView(smmu: Smmu): VariableNode[] {
  const readable = (access: string): boolean => access !== 'wo';
  const global = [...smmu.maps.gr0.instances, ...smmu.maps.gr1.instances]
    .filter((r) => readable(r.def.access))
    .map((r) => tableRegisterNode(r.def, r.name, smmu.register(r.name)));
  const banks = Array.from({ length: smmu.config.contextBanks }, (_, bank): VariableNode => {
    const sctlr = smmu.register(`CB${bank}.SCTLR`);
    const fsr = smmu.register(`CB${bank}.FSR`);
    return {
      name: `CB${bank}`,
      value: `${sctlr & 1 ? 'translating' : 'disabled'}${fsr ? `, FSR ${hex32(fsr)}` : ''}`,
      children: () => smmu.maps.contextBank.instances
        .filter((r) => readable(r.def.access))
        .map((r) => tableRegisterNode(r.def, r.name, smmu.register(`CB${bank}.${r.name}`))),
    };
  });
  return [...global, ...banks];
}

/** Enumerated fields in words (`Executing`), the others as name=value when set. */
function describeFields(def: RegisterDef, value: number): string {
  return def.fields!.map((f) => {
    const v = fieldValue(value, f);
    if (f.values) return f.values[v] ?? `${f.name}=${v}`;
    return v ? `${f.name}=${v}` : '';
  }).filter(Boolean).join(', ');
}
