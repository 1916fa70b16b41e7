// What a boot loader writes into the devicetree it hands a kernel: /chosen's bootargs and the initrd's physical
// range (linux,initrd-start/-end), and only the CPUs the machine has (as QEMU's -smp does). The blob is parsed,
// changed and written out again.
import { parseFdt, writeFdt, type FdtNode } from './fdt';

export interface ChosenSettings {
  readonly bootargs?: string;
  /** Physical start and end (exclusive) of the initrd. */
  readonly initrd?: { readonly start: number; readonly end: number };
  /** Keep the first N cpu nodes of /cpus (the kernel would wait for the others to come up). */
  readonly cpus?: number;
}

/** A cell array for an address: one cell below 4 GiB, two above. */
function addressValue(value: number): Uint8Array {
  const high = Math.floor(value / 2 ** 32);
  const bytes = new Uint8Array(high ? 8 : 4);
  const view = new DataView(bytes.buffer);
  if (high) {
    view.setUint32(0, high);
    view.setUint32(4, value % 2 ** 32);
  } else view.setUint32(0, value);
  return bytes;
}

function setProperty(node: FdtNode, name: string, value: Uint8Array): void {
  const existing = node.properties.find((p) => p.name === name);
  if (existing) existing.value = value;
  else node.properties.push({ name, value });
}

export function withChosen(dtb: Uint8Array, settings: ChosenSettings): Uint8Array {
  const fdt = parseFdt(dtb);
  let chosen = fdt.root.children.find((n) => n.name === 'chosen');
  if (chosen === undefined) {
    chosen = { name: 'chosen', path: '/chosen', parent: fdt.root, properties: [], children: [] };
    fdt.root.children.push(chosen);
  }
  if (settings.bootargs !== undefined) setProperty(chosen, 'bootargs', new TextEncoder().encode(`${settings.bootargs}\0`));
  if (settings.initrd) {
    setProperty(chosen, 'linux,initrd-start', addressValue(settings.initrd.start));
    setProperty(chosen, 'linux,initrd-end', addressValue(settings.initrd.end));
  }
  const cpusNode = fdt.root.children.find((n) => n.name === 'cpus');
  if (cpusNode && settings.cpus !== undefined) {
    let kept = 0;
    cpusNode.children = cpusNode.children.filter((n) => !n.name.startsWith('cpu@') || kept++ < settings.cpus!);
  }
  return writeFdt(fdt);
}
