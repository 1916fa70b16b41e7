// The FDT reader's lookups, as the emulator uses them, on the examples compiled by Debian's dtc.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { findCompatible, findNode, interruptParent, interrupts, parseFdt, phandleArgs, propStrings, propU32, reg } from '../../../emulator/devicetree/fdt';

function dtcCompile(file: string, cpp: boolean): Uint8Array {
  let input = file;
  if (cpp) {
    const pre = spawnSync('cpp', ['-nostdinc', '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', file], { encoding: 'latin1' });
    assert.equal(pre.status, 0);
    input = '-';
    const r = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-'], { input: pre.stdout });
    assert.equal(r.status, 0);
    return r.stdout;
  }
  const r = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', input]);
  assert.equal(r.status, 0);
  return r.stdout;
}

test('fdt: a PL330 behind an SMMU, read from dtc output', () => {
  const fdt = parseFdt(dtcCompile('examples/dts/pl330-smmu.dts', true));
  const [dmac] = findCompatible(fdt, 'arm,pl330');
  assert.equal(dmac.path, '/dma-controller@7ff00000');
  assert.deepEqual(propStrings(dmac, 'compatible'), ['arm,pl330', 'arm,primecell']);
  assert.deepEqual(reg(dmac), [{ address: 0x7ff00000n, size: 0x1000n }]);
  assert.equal(propU32(dmac, '#dma-cells'), 1);
  assert.equal(interruptParent(fdt, dmac)?.path, '/interrupt-controller@2c001000');
  assert.deepEqual(interrupts(fdt, dmac), [[0, 88, 4], [0, 89, 4], [0, 90, 4]]);
  const iommus = phandleArgs(fdt, dmac, 'iommus', '#iommu-cells');
  assert.equal(iommus.length, 8);
  assert.ok(iommus.every((e, i) => e.target.path === '/iommu@7fb00000' && e.args[0] === i));
  assert.equal(findNode(fdt, '/iommu@7fb00000')?.name, 'iommu@7fb00000');
  assert.equal(findNode(fdt, '/nope'), undefined);
});

test('fdt: dmas consumers resolve to the controller', () => {
  const fdt = parseFdt(dtcCompile('examples/dts/pl330.dts', false));
  const [uart] = findCompatible(fdt, 'arm,pl011');
  assert.deepEqual(phandleArgs(fdt, uart, 'dmas', '#dma-cells').map((e) => [e.target.name, e.args]), [['dma-controller@7ff00000', [0]], ['dma-controller@7ff00000', [1]]]);
});
