// The machine from a devicetree: the example platforms compiled by Debian's dtc, and the errors that name the node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { Machine } from '../../../emulator/machine/machine';
import { debugGo, issueDebug } from '../../../emulator/pl330/debug';
import { copyMicrocode } from '../../../scenarios/vfio-test-case-1';

const dtc = (source: string): Uint8Array => new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-'], { input: source }));
const dtcFile = (file: string): Uint8Array => new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', file]));

test("the VFIO_PLATFORM guide's platform: memory, GIC, MMU-400 with its interrupts, four DMA-330s with buses, IRQs and stream IDs", () => {
  const p = platformFromDtb(dtcFile('examples/platforms/vexpress-mmu400-dma330.dts'));
  assert.deepEqual(p.memory, [{ base: 0x80000000, size: 0x80000000 }]);
  assert.equal(p.gic.distributor, 0x2c001000);
  assert.equal(p.gic.cpuInterface, 0x2c002000);
  assert.equal(p.smmus.length, 1);
  assert.equal(p.smmus[0].config.model, 'MMU-400');
  assert.deepEqual(p.smmus[0].globalInterrupts, [{ spi: 200, level: true }]);
  assert.equal(p.smmus[0].contextInterrupts.length, 4);
  assert.deepEqual(p.dmacs.map((d) => [d.name, d.bus, d.interrupts[0].spec.spi, d.iommu?.streamIds[0]]), [
    ['2c0a0000.dma', 'platform', 64, 0],
    ['2c0a1000.dma', 'amba', 96, 1],
    ['2c0a2000.dma', 'amba', 128, 2],
    ['2c0a3000.dma', 'amba', 168, 3],
  ]);
  assert.deepEqual(p.dmacs[0].interrupts.map((i) => i.output), [0, 'abort']);
  const m = new Machine(p);
  assert.equal(m.bus.describe(0x2b400000), '2b400000.iommu+0x0');
  assert.equal(m.dmacs[1].device.port.master.streamId, 1);
});

test('the Zynq-like platform runs microcode without an SMMU; its DMAC interrupts reach the GIC', () => {
  const p = platformFromDtb(dtcFile('examples/platforms/zynq7000-dma330.dts'));
  assert.equal(p.smmus.length, 0);
  assert.equal(p.dmacs[0].name, 'f8003000.dma-controller');
  assert.deepEqual(p.dmacs[0].interrupts.slice(0, 2).map((i) => [i.spec.spi, i.output]), [[13, 'abort'], [14, 0]]);
  const m = new Machine(p);
  const data = Uint8Array.from({ length: 256 }, (_, i) => i ^ 0x5a);
  m.bus.physicalWrite(0x100000, data, 0, 256);
  const code = copyMicrocode(0x100000, 0x200000, 256);
  m.bus.physicalWrite(0x1000, code, 0, code.length);
  const dmac = m.dmacs[0].device;
  dmac.write(0x020, 4, 1); // INTEN: event 0 is irq[0]
  issueDebug(dmac, debugGo(0, 0x1000));
  m.run();
  const out = new Uint8Array(256);
  m.bus.physicalRead(0x200000, out, 0, 256);
  assert.deepEqual(out, data);
  assert.equal(m.gic.state(32 + 14).pending, true, 'irq[0] on SPI 14');
});

const base = (body: string, extraRoot = '') => `/dts-v1/;
/ {
  #address-cells = <1>; #size-cells = <1>; interrupt-parent = <&gic>;
  ${extraRoot}
  gic: interrupt-controller@1000 { compatible = "arm,gic-400"; #interrupt-cells = <3>; interrupt-controller; reg = <0x1000 0x1000>, <0x2000 0x2000>; };
  ${body}
};`;
const memory = 'memory@80000000 { device_type = "memory"; reg = <0x80000000 0x10000000>; };';
const smmu = (extra = '') => `smmu: iommu@40000000 { compatible = "arm,mmu-400"; reg = <0x40000000 0x10000>; #global-interrupts = <1>;
  interrupts = <0 100 4>, <0 101 4>, <0 102 4>, <0 103 4>, <0 104 4>; #iommu-cells = <1>; ${extra} };`;
const dma = (extra: string, at = '50000000') => `dma${at}: dma@${at} { compatible = "arm,pl330"; reg = <0x${at} 0x1000>; interrupts = <0 10 4>; ${extra} };`;

test('legacy mmu-masters, ranges translation and a disabled node', () => {
  const p = platformFromDtb(dtc(base(`${memory}
    ${smmu('mmu-masters = <&dma50000000 7>;')}
    ${dma('#stream-id-cells = <1>;')}
    soc { compatible = "simple-bus"; #address-cells = <1>; #size-cells = <1>; ranges = <0 0x60000000 0x100000>;
      dma@1000 { compatible = "arm,pl330", "arm,primecell"; reg = <0x1000 0x1000>; interrupts = <0 11 4>; iommus = <&smmu 9>; };
      dma@2000 { compatible = "arm,pl330"; reg = <0x2000 0x1000>; interrupts = <0 12 4>; status = "disabled"; };
    };`)));
  assert.deepEqual(p.dmacs.map((d) => [d.name, d.base, d.iommu?.streamIds]), [['50000000.dma', 0x50000000, [7]], ['60001000.dma', 0x60001000, [9]]]);
});

test('unsupported or inconsistent nodes: the error names the node', () => {
  const cases: [string, RegExp][] = [
    [base(smmu()), / \/: no memory node/],
    [base(`${memory} iommu@30000000 { compatible = "arm,smmu-v3"; reg = <0x30000000 0x20000>; };`), /\/iommu@30000000: unsupported IOMMU 'arm,smmu-v3'/],
    [base(`${memory} ${dma('interrupts = <1 9 4>;')}`.replace('interrupts = <0 10 4>; ', '')), /\/dma@50000000: interrupt 0 is not a shared peripheral interrupt/],
    [base(`${memory} ${smmu()} ${dma('iommus = <&gic 1>;')}`), /\/dma@50000000: iommus points at \/interrupt-controller@1000/],
    [base(`${memory} ${smmu()} ${dma('iommus = <&smmu 0x8000>;')}`), /\/dma@50000000: stream ID 0x8000 does not fit/],
    [base(`${memory} ${smmu().replace('#global-interrupts = <1>;', '')}`), /\/iommu@40000000: missing '#global-interrupts'/],
    [base(`${memory} ${smmu().replace('"arm,mmu-400"', '"arm,mmu-500"').replace('0x10000>', '0x20000>')}`), /\/iommu@40000000: found only 4 context interrupt\(s\) but 16 required/],
    [base(`${memory} ${smmu().replace(', <0 101 4>, <0 102 4>, <0 103 4>, <0 104 4>', '')}`), /\/iommu@40000000: no context interrupts/],
    [base(`${memory} ${smmu().replace('0x10000>', '0x8000>')}`), /\/iommu@40000000: 'reg' size 0x8000 is smaller/],
    [base(`${memory} ${dma('interrupt-names = "irq0", "abort";')}`), /\/dma@50000000: 2 interrupt-names for 1 interrupts/],
    [base(`${memory} ${dma('interrupt-names = "tx";')}`), /\/dma@50000000: interrupt name 'tx'/],
    [base(`${memory} ${dma('interrupts = <0 300 4>;').replace('interrupts = <0 10 4>; ', '')}`), /\/dma@50000000: interrupt 0: SPI 300 is beyond/],
  ];
  for (const [source, message] of cases) assert.throws(() => platformFromDtb(dtc(source)), message, source);
  assert.throws(() => platformFromDtb(new Uint8Array([0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 8])), / dtb: /);
  const overlapping = platformFromDtb(dtc(base(`${memory} ${dma('')} ${dma('', '50000800')}`)));
  assert.throws(() => new Machine(overlapping), /\/dma@50000800: .*overlaps/);
});

test('an MMU-500 platform (SMMUv2, one interrupt per context bank) runs Test Case 1 and reports faults by bank', async () => {
  const { vfioIsolation, vfioTestCase1 } = await import('../../../scenarios/vfio-test-case-1');
  const irqs = Array.from({ length: 17 }, (_, i) => `<0 ${100 + i} 4>`).join(', ');
  const source = base(`${memory}
    smmu: iommu@40000000 { compatible = "arm,mmu-500"; reg = <0x40000000 0x20000>; #global-interrupts = <1>; interrupts = ${irqs}; #iommu-cells = <1>; };
    dma@50000000 { compatible = "arm,pl330"; reg = <0x50000000 0x1000>; interrupts = <0 10 4>, <0 11 4>; interrupt-names = "irq0", "abort"; iommus = <&smmu 0x21>; };`);
  const platform = platformFromDtb(dtc(source));
  assert.equal(platform.smmus[0].config.version, 2);
  const lines: string[] = [];
  assert.equal(vfioTestCase1(new Machine(platform), (l) => lines.push(l)).pass, true, lines.join('\n'));
  const iso: string[] = [];
  assert.equal(vfioIsolation(new Machine(platform), (l) => iso.push(l)).pass, true, iso.join('\n'));
  assert.ok(iso.some((l) => l.includes('cbfrsynra=0x21, cb=0')), iso.join('\n'));
});

test('SMMU interrupts on one shared line: wired-OR at the GIC, shared handlers in the kernel', async () => {
  const { vfioIsolation } = await import('../../../scenarios/vfio-test-case-1');
  const { readFileSync } = await import('node:fs');
  const dts = readFileSync('examples/platforms/vexpress-mmu400-dma330.dts', 'utf8').replace(/<0 20[1-4] 4>/g, '<0 200 4>');
  const platform = platformFromDtb(dtc(dts));
  assert.deepEqual(platform.smmus[0].contextInterrupts.map((i) => i.spi), [200, 200, 200, 200]);
  const lines: string[] = [];
  assert.equal(vfioIsolation(new Machine(platform), (l) => lines.push(l)).pass, true, lines.join('\n'));
  assert.ok(lines.some((l) => l.includes('Unhandled context fault')));
});
