// Binding checks beyond dtc's (which already check reg, ranges, interrupts, dmas and iommus against the cells
// properties), as a table of the checks' one shape (server/checks.ts: a stable code, a default level, a test per node):
// the arm,pl330 DMA controller, the ARM SMMUs (MMU-400/401, SMMUv1/v2, MMU-500) and their consumers. Facts from
// the kernel bindings (Documentation/devicetree/bindings/dma/arm,pl330.yaml, iommu/arm,smmu.yaml, dma-common.yaml).
import type { DtInfo } from './build';
import type { DtNode, DtProperty } from './tree';
import { addressCells, cellValue, cells, compatibles, interruptParent, phandleEntries, strings } from './cells';
import { CheckSwitches, type CheckDeclaration } from '../checks';
import { CHECKS } from './checks';

export interface BindingFinding {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly node: DtNode;
  readonly property?: DtProperty;
}

type Report = (property: DtProperty | undefined, message: string) => void;

/** A binding check: its test composes the messages it reports. */
interface BindingCheck extends CheckDeclaration {
  readonly level: 'error' | 'warning';
  /** Which nodes the check looks at. */
  readonly applies: (node: DtNode) => boolean;
  readonly check: (node: DtNode, report: Report) => void;
}

/** Property documentation per binding, for completion and hover. */
export interface BindingDoc {
  readonly name: string;
  readonly compatibles: readonly string[];
  readonly required: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  /** A snippet for the compatible property. */
  readonly compatibleValue: string;
}

export const SMMU_COMPATIBLES = ['arm,mmu-400', 'arm,mmu-401', 'arm,smmu-v1', 'arm,smmu-v2', 'arm,mmu-500'];

export const BINDINGS: readonly BindingDoc[] = [
  {
    name: 'arm,pl330',
    compatibles: ['arm,pl330'],
    compatibleValue: '"arm,pl330", "arm,primecell"',
    required: ['compatible', 'reg', 'interrupts', '#dma-cells'],
    properties: {
      'compatible': 'Exactly "arm,pl330", "arm,primecell".',
      'reg': 'One register region (the 4 KiB DMAC frame).',
      'interrupts': '1 to 32 interrupts: one combined, or one per event.',
      '#dma-cells': 'Must be <1>: the consumer gives the peripheral request number.',
      'clocks': 'The APB clock (clock-names = "apb_pclk").',
      'clock-names': 'Must contain "apb_pclk".',
      'dma-coherent': 'The DMAC\'s AXI accesses are cache coherent.',
      'iommus': 'Up to 9 IOMMU entries (one per channel for reads and writes).',
      'arm,pl330-broken-no-flushp': 'The peripherals do not implement DMAFLUSHP.',
      'arm,pl330-periph-burst': 'Use burst requests for peripherals.',
      'resets': 'One or two resets ("dma", "dma-ocp").',
      'reset-names': '"dma" and optionally "dma-ocp".',
      'power-domains': 'One power domain.',
      'dma-channels': 'Number of channels.',
      'dma-requests': 'Number of peripheral requests.',
    },
  },
  {
    name: 'arm,smmu',
    compatibles: SMMU_COMPATIBLES,
    compatibleValue: '"arm,mmu-400", "arm,smmu-v1"',
    required: ['compatible', 'reg', '#global-interrupts', '#iommu-cells', 'interrupts'],
    properties: {
      'compatible': '"arm,mmu-400", "arm,smmu-v1" (MMU-400), "arm,mmu-500", "arm,smmu-v2" (MMU-500), or a single SMMU compatible.',
      'reg': 'One register region.',
      '#global-interrupts': 'How many of the first interrupts are global fault interrupts (0..260).',
      'interrupts': 'The global interrupts first, then one context interrupt per context bank.',
      '#iommu-cells': '<1>: a stream ID; <2>: a stream ID and an SMR mask.',
      'dma-coherent': 'Table walks are cache coherent.',
      'stream-match-mask': 'SMR mask bits the SMMU may ignore.',
      'calxeda,smmu-secure-config-access': 'Use the secure alias of sCR0 (Calxeda).',
      'clocks': 'The bus and interface clocks.',
      'clock-names': '"bus", "iface".',
      'power-domains': 'One power domain.',
    },
  },
];

/** Properties any device node may have, for completion. */
export const COMMON_PROPERTIES: Readonly<Record<string, string>> = {
  'compatible': 'Which bindings the node follows, most specific first.',
  'reg': 'Register regions: (address, size) pairs in the parent\'s #address-cells/#size-cells.',
  'interrupts': 'Interrupt specifiers of #interrupt-cells cells each, for the interrupt parent.',
  'interrupt-parent': 'Phandle of the interrupt controller (inherited from the ancestors).',
  'interrupts-extended': 'Pairs of interrupt controller phandle and specifier.',
  'interrupt-names': 'Names of the interrupts, in order.',
  'status': '"okay" or "disabled".',
  '#address-cells': 'Cells of an address in the children\'s reg.',
  '#size-cells': 'Cells of a size in the children\'s reg.',
  'ranges': 'Child to parent address translation: (child address, parent address, size) triples.',
  'dma-ranges': 'DMA address translation, like ranges.',
  'dmas': 'DMA channels: the controller\'s phandle and #dma-cells arguments per channel.',
  'dma-names': 'One name per dmas entry (for example "tx", "rx").',
  'iommus': 'IOMMU phandle and #iommu-cells arguments (the stream ID) per master.',
  'clocks': 'Clock phandle and #clock-cells arguments per clock.',
  'clock-names': 'One name per clocks entry.',
  'resets': 'Reset phandle and #reset-cells arguments.',
  'power-domains': 'Power domain phandle and arguments.',
  'pinctrl-0': 'Pin configuration phandles for state 0.',
  'pinctrl-names': 'Names of the pin states.',
  'dma-coherent': 'The device\'s DMA is cache coherent.',
  'phandle': 'Explicit phandle (normally assigned by dtc).',
};

const isPl330 = (n: DtNode): boolean => compatibles(n).includes('arm,pl330');
const isSmmu = (n: DtNode): boolean => compatibles(n).some((c) => SMMU_COMPATIBLES.includes(c));
const count = (p: DtProperty | undefined): number => (p ? p.value.bytes.length / 4 : 0);

/** Entries of reg (or another address/size list) under the parent's cells, or undefined when misaligned. */
function regEntries(node: DtNode, p: DtProperty): number | undefined {
  const { address, size } = addressCells(node);
  const n = address + size;
  return n > 0 && p.value.bytes.length % (4 * n) === 0 ? p.value.bytes.length / (4 * n) : undefined;
}

function requireProperties(names: readonly string[]): (node: DtNode, report: Report) => void {
  return (node, report) => {
    for (const name of names) if (!node.property(name)) report(undefined, `missing required property '${name}'`);
  };
}

export const BINDING_CHECKS: readonly BindingCheck[] = [
  { name: 'pl330-required', level: 'error', applies: isPl330, check: requireProperties(BINDINGS[0].required) },
  {
    name: 'pl330-compatible', level: 'warning', applies: isPl330, check: (node, report) => {
      const c = compatibles(node);
      if (c.length !== 2 || c[0] !== 'arm,pl330' || c[1] !== 'arm,primecell') report(node.property('compatible'), `compatible must be "arm,pl330", "arm,primecell" (is ${c.map((s) => `"${s}"`).join(', ')})`);
    },
  },
  {
    name: 'pl330-reg', level: 'error', applies: isPl330, check: (node, report) => {
      const reg = node.property('reg');
      const n = reg && regEntries(node, reg);
      if (reg && n !== 1) report(reg, `reg must have exactly 1 entry (has ${n ?? 'a length that is not a whole number of'} entries of ${addressCells(node).address}+${addressCells(node).size} cells)`);
    },
  },
  {
    name: 'pl330-interrupts', level: 'error', applies: isPl330, check: (node, report) => {
      const p = node.property('interrupts');
      const perIrq = cellValue(interruptParent(node), '#interrupt-cells');
      if (!p || !perIrq) return;
      const n = count(p) / perIrq;
      if (!Number.isInteger(n) || n < 1 || n > 32) report(p, `interrupts must have 1 to 32 entries of ${perIrq} cells (has ${count(p)} cells)`);
    },
  },
  {
    name: 'pl330-dma-cells', level: 'error', applies: isPl330, check: (node, report) => {
      const p = node.property('#dma-cells');
      if (p && cellValue(node, '#dma-cells') !== 1) report(p, `#dma-cells must be <1> (the peripheral request number), is ${cells(p).join(' ') || 'empty'}`);
    },
  },
  {
    name: 'pl330-clocks', level: 'warning', applies: isPl330, check: (node, report) => {
      const names = strings(node.property('clock-names'));
      if (node.property('clocks') && !names?.includes('apb_pclk')) report(node.property('clock-names') ?? node.property('clocks'), 'clock-names must contain "apb_pclk" (the primecell bus clock)');
    },
  },
  { name: 'smmu-required', level: 'error', applies: isSmmu, check: requireProperties(BINDINGS[1].required) },
  {
    name: 'smmu-global-interrupts', level: 'error', applies: isSmmu, check: (node, report) => {
      const global = cellValue(node, '#global-interrupts');
      const p = node.property('#global-interrupts');
      if (p && (global === undefined || global > 260)) report(p, '#global-interrupts must be one cell from 0 to 260');
      const irqs = node.property('interrupts');
      const perIrq = cellValue(interruptParent(node), '#interrupt-cells');
      if (global === undefined || !irqs || !perIrq) return;
      const n = count(irqs) / perIrq;
      if (Number.isInteger(n) && n <= global) report(irqs, `interrupts has ${n} entries but #global-interrupts is ${global}: no context interrupts follow the global ones`);
    },
  },
  {
    name: 'smmu-iommu-cells', level: 'error', applies: isSmmu, check: (node, report) => {
      const p = node.property('#iommu-cells');
      const v = cellValue(node, '#iommu-cells');
      if (p && v !== 1 && v !== 2) report(p, '#iommu-cells must be <1> (stream ID) or <2> (stream ID and SMR mask)');
    },
  },
  {
    name: 'smmu-reg', level: 'error', applies: isSmmu, check: (node, report) => {
      const reg = node.property('reg');
      const n = reg && regEntries(node, reg);
      if (reg && n !== 1) report(reg, `reg must have exactly 1 entry (has ${n ?? 'a misaligned number of'} entries)`);
    },
  },
  {
    name: 'dma-names', level: 'warning', applies: (n) => !!n.property('dmas') || !!n.property('dma-names'), check: (node, report) => {
      const dmas = node.property('dmas');
      const names = strings(node.property('dma-names'));
      if (!dmas) return report(node.property('dma-names'), 'dma-names without dmas');
      const entries = phandleEntries(node, dmas, '#dma-cells');
      if (!entries) return;
      if (!names) report(dmas, `dmas has ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} but no dma-names`);
      else if (names.length !== entries.length) report(node.property('dma-names'), `dma-names has ${names.length} name(s) for ${entries.length} dmas entr${entries.length === 1 ? 'y' : 'ies'}`);
      for (const e of entries) {
        if (isPl330(e.provider!) && e.args[0] !== undefined && !e.provider!.deleted) {
          const requests = cellValue(e.provider, 'dma-requests');
          if (requests !== undefined && e.args[0] >= requests) report(dmas, `request ${e.args[0]} is beyond the ${requests} dma-requests of ${e.provider!.fullpath}`);
        }
      }
    },
  },
  {
    name: 'iommus-provider', level: 'warning', applies: (n) => !!n.property('iommus'), check: (node, report) => {
      const p = node.property('iommus')!;
      for (const e of phandleEntries(node, p, '#iommu-cells') ?? []) {
        const provider = e.provider!;
        if (provider.property('status') && strings(provider.property('status'))?.[0] === 'disabled') report(p, `the IOMMU ${provider.fullpath} is disabled`);
        if (isSmmu(provider) && cellValue(provider, '#iommu-cells') === 1 && e.args[0] > 0xffff) report(p, `stream ID ${e.args[0]} does not fit 16 bits`);
      }
    },
  },
];


const BINDING_CHECK_NAMES = new Set(BINDING_CHECKS.map((c) => c.name));

/** The switches of `dmalab dtc`: dtc's checks at dtc's levels, and the binding checks, off as dtc has none. */
export function dtcCheckSwitches(): CheckSwitches {
  return new CheckSwitches([...CHECKS, ...BINDING_CHECKS], (c) => (BINDING_CHECK_NAMES.has(c.name) ? 'off' : c.level));
}

/** Runs every binding check over the live tree. */
export function runBindingChecks(info: DtInfo): BindingFinding[] {
  const findings: BindingFinding[] = [];
  // Checks share their `applies` tests: each distinct one runs once per node.
  const tests = [...new Set(BINDING_CHECKS.map((c) => c.applies))];
  const testOf = BINDING_CHECKS.map((c) => tests.indexOf(c.applies));
  const results: boolean[] = [];
  const walk = (node: DtNode): void => {
    for (let t = 0; t < tests.length; t++) results[t] = tests[t](node);
    for (let i = 0; i < BINDING_CHECKS.length; i++) {
      const check = BINDING_CHECKS[i];
      if (!results[testOf[i]]) continue;
      check.check(node, (property, message) => findings.push({ code: check.name, severity: check.level, message: `${node.fullpath || '/'}: ${message}`, node, property }));
    }
    for (const child of node.liveChildren()) walk(child);
  };
  walk(info.root);
  return findings;
}
