// A platform description from a devicetree blob, so that a user's own DTS decides the machine: memory from the
// memory nodes, the GIC, every SMMU node (arm,mmu-400/401/500, arm,smmu-v1/v2) with its interrupts, every
// `arm,pl330` node with its interrupts and its SMMU masters and stream IDs (`iommus`, or the legacy `mmu-masters`
// of the SMMU node with `#stream-id-cells` on the master). Addresses go through the parents' `ranges`. A node this
// builder claims but cannot model, or that contradicts itself, is an error naming the node.
import {
  Fdt, FdtError, FdtNode, getProperty, interruptParent, interrupts, nodeByPhandle, parseFdt, phandleArgs, propCells, propStrings, propU32,
} from '../devicetree/fdt';
import { GIC400_CONFIG } from '../gic/gic';
import { DEFAULT_CONFIG } from '../pl330/config';
import { SMMU_COMPATIBLES, smmuRegisterSpan } from '../smmu/config';
import type {
  CpuDescription, DmacDescription, GicDescription, MemoryRange, Pl330Output, PlatformDescription, PsciDescription, SmmuDescription, SpiSpec,
  TimerDescription, UartDescription,
} from './platform';

export class PlatformError extends Error {
  constructor(readonly node: string, message: string) {
    super(`${node}: ${message}`);
  }
}

const GIC_COMPATIBLES = ['arm,gic-400', 'arm,cortex-a15-gic', 'arm,cortex-a9-gic', 'arm,cortex-a7-gic', 'arm,pl390'];
/** SMMU architectures dmalab does not model; a node with one is an error rather than silently ignored. */
const UNSUPPORTED_SMMUS = ['arm,smmu-v3', 'arm,mmu-401-qcom', 'qcom,smmu-v2'];

function* walk(node: FdtNode): Generator<FdtNode> {
  yield node;
  for (const child of node.children) yield* walk(child);
}

function enabled(node: FdtNode): boolean {
  const status = propStrings(node, 'status')?.[0];
  return status === undefined || status === 'okay' || status === 'ok';
}

function cellsValue(cells: readonly number[], from: number, count: number): number {
  let v = 0;
  for (let i = 0; i < count; i++) v = v * 0x1_0000_0000 + cells[from + i];
  return v;
}

function cellCount(node: FdtNode | undefined, name: '#address-cells' | '#size-cells'): number {
  return (node && propU32(node, name)) ?? (name === '#address-cells' ? 2 : 1);
}

/** A child address translated through every parent's `ranges` to a CPU physical address. */
function translate(node: FdtNode, address: number): number {
  for (let bus = node.parent; bus?.parent; bus = bus.parent) {
    const ranges = getProperty(bus, 'ranges');
    if (!ranges) throw new PlatformError(node.path, `parent ${bus.path} has no 'ranges': its children are not memory-mapped`);
    if (ranges.value.length === 0) continue;
    const cells = propCells(bus, 'ranges')!;
    const ca = cellCount(bus, '#address-cells'), pa = cellCount(bus.parent, '#address-cells'), cs = cellCount(bus, '#size-cells');
    const entry = ca + pa + cs;
    let hit = false;
    for (let i = 0; i + entry <= cells.length; i += entry) {
      const child = cellsValue(cells, i, ca), parent = cellsValue(cells, i + ca, pa), size = cellsValue(cells, i + ca + pa, cs);
      if (address >= child && address < child + size) {
        address = address - child + parent;
        hit = true;
        break;
      }
    }
    if (!hit) throw new PlatformError(node.path, `address 0x${address.toString(16)} is outside every 'ranges' entry of ${bus.path}`);
  }
  return address;
}

/** `reg` entries as CPU physical ranges. */
export function regions(node: FdtNode): MemoryRange[] {
  const cells = propCells(node, 'reg');
  if (!cells || cells.length === 0) throw new PlatformError(node.path, "no 'reg' property");
  const ac = cellCount(node.parent, '#address-cells'), sc = cellCount(node.parent, '#size-cells');
  if (cells.length % (ac + sc) !== 0) throw new PlatformError(node.path, `'reg' has ${cells.length} cells, not a multiple of ${ac} address + ${sc} size cells`);
  const out: MemoryRange[] = [];
  for (let i = 0; i < cells.length; i += ac + sc) {
    const base = cellsValue(cells, i, ac), size = cellsValue(cells, i + ac, sc);
    if (size === 0) throw new PlatformError(node.path, `'reg' entry ${i / (ac + sc)} has size 0`);
    out.push({ base: translate(node, base), size });
  }
  return out;
}

/** A node's `clock-frequency` in Hz (one or two cells), undefined when absent; zero is an error. */
function clockFrequency(node: FdtNode): number | undefined {
  const cells = propCells(node, 'clock-frequency');
  if (cells === undefined) return undefined;
  if (cells.length !== 1 && cells.length !== 2) throw new PlatformError(node.path, `'clock-frequency' has ${cells.length} cells; it takes 1 or 2`);
  const hz = cellsValue(cells, 0, cells.length);
  if (hz === 0) throw new PlatformError(node.path, "'clock-frequency' is 0");
  return hz;
}

/** Linux's platform device name: `<translated unit address>.<node name>`. */
function deviceName(node: FdtNode, base: number): string {
  return `${base.toString(16)}.${node.name.split('@')[0]}`;
}

/** GIC specifiers <type number flags> → SPIs; PPIs and other controllers are errors for these devices. */
function spis(fdt: Fdt, node: FdtNode, gic: FdtNode): SpiSpec[] {
  const parent = interruptParent(fdt, node);
  if (getProperty(node, 'interrupts') && parent !== gic) throw new PlatformError(node.path, `interrupts go to ${parent?.path ?? 'no controller'}, not the GIC ${gic.path}`);
  return interrupts(fdt, node).map((spec, i) => {
    if (spec.length !== 3) throw new PlatformError(node.path, `interrupt ${i} has ${spec.length} cells; the GIC takes 3`);
    if (spec[0] !== 0) throw new PlatformError(node.path, `interrupt ${i} is not a shared peripheral interrupt (type ${spec[0]})`);
    const trigger = spec[2] & 0xf;
    if (![1, 2, 4, 8].includes(trigger)) throw new PlatformError(node.path, `interrupt ${i} has trigger flags 0x${spec[2].toString(16)}`);
    const spi = spec[1];
    if (spi + 32 >= GIC400_CONFIG.interrupts) throw new PlatformError(node.path, `interrupt ${i}: SPI ${spi} is beyond the GIC's ${GIC400_CONFIG.interrupts - 32} SPIs`);
    return { spi, level: trigger >= 4 };
  });
}

function buildGic(fdt: Fdt): [GicDescription, FdtNode] {
  const nodes = [...walk(fdt.root)].filter((n) => enabled(n) && propStrings(n, 'compatible')?.some((c) => GIC_COMPATIBLES.includes(c)));
  if (nodes.length === 0) throw new PlatformError('/', `no interrupt controller compatible with ${GIC_COMPATIBLES.join(', ')}`);
  if (nodes.length > 1) throw new PlatformError(nodes[1].path, `a second GIC (the first is ${nodes[0].path}); dmalab models one`);
  const node = nodes[0];
  if (propU32(node, '#interrupt-cells') !== 3) throw new PlatformError(node.path, '#interrupt-cells must be 3');
  const r = regions(node);
  if (r.length < 2) throw new PlatformError(node.path, "'reg' needs the distributor and the CPU interface");
  if (r[0].size < 0x1000) throw new PlatformError(node.path, `the distributor needs 0x1000 bytes (reg gives 0x${r[0].size.toString(16)})`);
  if (r[1].size < 0x100) throw new PlatformError(node.path, `the CPU interface needs 0x100 bytes (reg gives 0x${r[1].size.toString(16)})`);
  return [{ path: node.path, distributor: r[0].base, distributorSize: 0x1000, cpuInterface: r[1].base, cpuInterfaceSize: Math.min(r[1].size, 0x2000), config: GIC400_CONFIG }, node];
}

function buildSmmus(fdt: Fdt, gic: FdtNode): [SmmuDescription[], FdtNode[]] {
  const out: SmmuDescription[] = [];
  const nodes: FdtNode[] = [];
  for (const node of walk(fdt.root)) {
    const compatible = propStrings(node, 'compatible');
    if (!compatible || !enabled(node)) continue;
    const unsupported = compatible.find((c) => UNSUPPORTED_SMMUS.includes(c));
    const match = SMMU_COMPATIBLES.find(([c]) => compatible.includes(c));
    if (!match) {
      if (unsupported) throw new PlatformError(node.path, `unsupported IOMMU '${unsupported}' (dmalab models ${SMMU_COMPATIBLES.map(([c]) => c).join(', ')})`);
      continue;
    }
    const config = match[1];
    const [r] = regions(node);
    const span = smmuRegisterSpan(config);
    if (r.size < span) throw new PlatformError(node.path, `'reg' size 0x${r.size.toString(16)} is smaller than the ${config.model}'s 0x${span.toString(16)} bytes of registers`);
    const globals = propU32(node, '#global-interrupts');
    if (globals === undefined) throw new PlatformError(node.path, "missing '#global-interrupts'");
    const irqs = spis(fdt, node, gic);
    if (irqs.length < globals) throw new PlatformError(node.path, `${irqs.length} interrupts but #global-interrupts is ${globals}`);
    const context = irqs.slice(globals);
    // SMMUv2 needs an interrupt per context bank; SMMUv1 shares what it has among the banks (IRPTNDX).
    if (config.version === 2 && context.length < config.contextBanks) {
      throw new PlatformError(node.path, `found only ${context.length} context interrupt(s) but ${config.contextBanks} required`);
    }
    if (context.length === 0) throw new PlatformError(node.path, 'no context interrupts after the global ones');
    out.push({ path: node.path, name: deviceName(node, r.base), base: r.base, size: r.size, config, globalInterrupts: irqs.slice(0, globals), contextInterrupts: context });
    nodes.push(node);
  }
  return [out, nodes];
}

/** Which DMA-330 output each interrupt is: by interrupt-names ("irqN", "dmaN", "abort"), else in order. */
export function pl330Outputs(node: FdtNode, count: number, events: number): Pl330Output[] {
  const names = propStrings(node, 'interrupt-names');
  if (!names) return Array.from({ length: count }, (_, i) => i);
  if (names.length !== count) throw new PlatformError(node.path, `${names.length} interrupt-names for ${count} interrupts`);
  return names.map((name) => {
    if (name === 'abort' || name === 'irq_abort') return 'abort';
    const m = /^(?:irq|dma)(\d+)$/.exec(name);
    if (!m) throw new PlatformError(node.path, `interrupt name '${name}' is not "abort", "irqN" or "dmaN"`);
    const n = Number(m[1]);
    if (n >= events) throw new PlatformError(node.path, `interrupt '${name}': the DMA-330 has ${events} event interrupts`);
    return n;
  });
}

export function platformFromFdt(fdt: Fdt): PlatformDescription {
  const memory: MemoryRange[] = [];
  for (const node of walk(fdt.root)) {
    if (node.parent === fdt.root && enabled(node) && propStrings(node, 'device_type')?.[0] === 'memory') memory.push(...regions(node));
  }
  if (memory.length === 0) throw new PlatformError('/', 'no memory node (device_type = "memory")');
  const [gic, gicNode] = buildGic(fdt);
  const [smmus, smmuNodes] = buildSmmus(fdt, gicNode);
  const legacyMasters = new Map<FdtNode, { smmu: number; streamIds: number[] }>();
  smmuNodes.forEach((smmuNode, index) => {
    const cells = propCells(smmuNode, 'mmu-masters');
    if (!cells) return;
    for (let i = 0; i < cells.length; ) {
      const master = nodeByPhandle(fdt, cells[i]);
      if (!master) throw new PlatformError(smmuNode.path, `mmu-masters cell ${i} (0x${cells[i].toString(16)}) is not a phandle`);
      const n = propU32(master, '#stream-id-cells');
      if (n === undefined) throw new PlatformError(master.path, `listed in ${smmuNode.path} mmu-masters but has no '#stream-id-cells'`);
      if (i + 1 + n > cells.length) throw new PlatformError(smmuNode.path, `mmu-masters entry for ${master.path} needs ${n} stream IDs`);
      legacyMasters.set(master, { smmu: index, streamIds: cells.slice(i + 1, i + 1 + n) });
      i += 1 + n;
    }
  });
  const dmacs: DmacDescription[] = [];
  for (const node of walk(fdt.root)) {
    const compatible = propStrings(node, 'compatible');
    if (!compatible?.includes('arm,pl330') || !enabled(node)) continue;
    const [r] = regions(node);
    if (r.size < 0x1000) throw new PlatformError(node.path, `'reg' size 0x${r.size.toString(16)}: the DMA-330 has 4 KiB of registers`);
    const irqs = spis(fdt, node, gicNode);
    if (irqs.length === 0) throw new PlatformError(node.path, 'no interrupts');
    const outs = pl330Outputs(node, irqs.length, DEFAULT_CONFIG.events);
    let iommu: DmacDescription['iommu'];
    if (getProperty(node, 'iommus')) {
      const refs = phandleArgs(fdt, node, 'iommus', '#iommu-cells');
      const smmu = smmuNodes.indexOf(refs[0].target);
      if (smmu < 0) throw new PlatformError(node.path, `iommus points at ${refs[0].target.path}, which is not an SMMU dmalab models`);
      if (refs.some((ref) => ref.target !== refs[0].target)) throw new PlatformError(node.path, 'iommus names more than one SMMU');
      if (refs.some((ref) => ref.args.length !== 1)) throw new PlatformError(refs[0].target.path, '#iommu-cells must be 1 (a stream ID)');
      iommu = { smmu, streamIds: refs.map((ref) => ref.args[0]) };
    } else iommu = legacyMasters.get(node);
    if (iommu) {
      const limit = 2 ** smmus[iommu.smmu].config.streamIdBits;
      const bad = iommu.streamIds.find((id) => id >= limit);
      if (bad !== undefined) throw new PlatformError(node.path, `stream ID 0x${bad.toString(16)} does not fit the ${smmus[iommu.smmu].config.model}'s ${Math.log2(limit)}-bit stream IDs`);
    }
    dmacs.push({
      path: node.path, name: deviceName(node, r.base), base: r.base, size: 0x1000,
      bus: compatible.includes('arm,primecell') ? 'amba' : 'platform', compatible,
      interrupts: irqs.map((spec, i) => ({ spec, output: outs[i] })), config: DEFAULT_CONFIG, iommu,
      frequency: clockFrequency(node),
    });
  }
  const model = propStrings(fdt.root, 'model')?.[0] ?? propStrings(fdt.root, 'compatible')?.[0] ?? 'devicetree platform';
  const cpu = [...walk(fdt.root)].find((n) => n.parent?.path === '/cpus' && propStrings(n, 'device_type')?.[0] === 'cpu' && enabled(n));
  return { model, memory, gic, smmus, dmacs, cpuFrequency: cpu && clockFrequency(cpu), ...systemParts(fdt, gicNode) };
}

function compatibleNodes(fdt: Fdt, compatible: string): FdtNode[] {
  return [...walk(fdt.root)].filter((n) => enabled(n) && propStrings(n, 'compatible')?.includes(compatible));
}

/** The CPUs, generic timer, PL011 UARTs and PSCI firmware a kernel needs, where the devicetree has them. */
function systemParts(fdt: Fdt, gicNode: FdtNode): Pick<PlatformDescription, 'cpus' | 'timer' | 'uarts' | 'psci'> {
  const cpusNode = fdt.root.children.find((n) => n.name === 'cpus');
  const cpus: CpuDescription[] = (cpusNode?.children ?? [])
    .filter((n) => enabled(n) && propStrings(n, 'device_type')?.[0] === 'cpu')
    .map((n) => ({ path: n.path, compatible: propStrings(n, 'compatible') ?? [], mpidr: propCells(n, 'reg')?.at(-1) ?? 0 }));
  let timer: TimerDescription | undefined;
  const [timerNode] = compatibleNodes(fdt, 'arm,armv7-timer');
  if (timerNode) {
    const specs = interrupts(fdt, timerNode);
    const ppi = (i: number): number => {
      const spec = specs[i];
      if (!spec || spec.length !== 3 || spec[0] !== 1 || spec[1] > 15) throw new PlatformError(timerNode.path, `interrupt ${i} is not a PPI specifier <1 n flags>`);
      return 16 + spec[1];
    };
    if (specs.length < 3) throw new PlatformError(timerNode.path, `${specs.length} interrupts; the timer needs secure physical, physical and virtual PPIs`);
    timer = { path: timerNode.path, physicalPpi: ppi(1), virtualPpi: ppi(2), frequency: propU32(timerNode, 'clock-frequency') };
  }
  const uarts: UartDescription[] = compatibleNodes(fdt, 'arm,pl011').map((node) => {
    const [r] = regions(node);
    const [interrupt] = getProperty(node, 'interrupts') ? spis(fdt, node, gicNode) : [];
    return { path: node.path, name: deviceName(node, r.base), base: r.base, size: Math.min(r.size, 0x1000), interrupt };
  });
  let psci: PsciDescription | undefined;
  const psciNode = [...walk(fdt.root)].find((n) => enabled(n) && propStrings(n, 'compatible')?.some((c) => /^arm,psci-(0\.2|1\.0)$/.test(c)));
  if (psciNode) {
    const method = propStrings(psciNode, 'method')?.[0];
    if (method !== 'smc' && method !== 'hvc') throw new PlatformError(psciNode.path, `method '${method ?? ''}': PSCI is called with "smc" or "hvc"`);
    psci = { path: psciNode.path, method };
  }
  return { cpus, timer, uarts, psci };
}

/** Parses a DTB and describes its platform; malformed blobs and unusable nodes throw PlatformError. */
export function platformFromDtb(dtb: Uint8Array): PlatformDescription {
  try {
    return platformFromFdt(parseFdt(dtb));
  } catch (error) {
    if (error instanceof FdtError) throw new PlatformError('dtb', error.message);
    throw error;
  }
}
