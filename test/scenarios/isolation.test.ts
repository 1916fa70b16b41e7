// Test Case 1 on every DMAC of the VFIO_PLATFORM guide's platform, and isolation under random mappings and random programs: no
// access by a DMAC ever reaches a physical page outside its current mappings (or writes a page mapped read-only),
// including right after UNMAP_DMA (a stale TLB entry would let it through), and no other byte of memory changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusResponse } from '../../emulator/bus/bus';
import { Machine } from '../../emulator/machine/machine';
import { debugGo, debugKill, issueDebug } from '../../emulator/pl330/debug';
import { copyMicrocode, vfioTestCase1 } from '../../scenarios/vfio-test-case-1';
import { StepLog, allocate, bindToVfio, bootHost, mapDma, openVfioDevice, unmapDma } from '../../scenarios/vfio-session';
import { VFIO_DMA_MAP_FLAGS, VFIO_IOCTL } from '../../emulator/vfio/uapi';
import { guidePlatform } from '../support/platform';

for (const name of ['2c0a0000.dma', '2c0a1000.dma', '2c0a2000.dma', '2c0a3000.dma']) {
  test(`Test Case 1 passes on ${name}`, () => {
    const lines: string[] = [];
    const r = vfioTestCase1(new Machine(guidePlatform()), (l) => lines.push(l), { device: name, bytes: 8192 });
    assert.equal(r.pass, true, lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('8192 bytes copied correctly')));
  });
}

function random(seed: number) {
  let x = seed >>> 0;
  return (n: number) => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return x % n;
  };
}

test('isolation: random mappings, random copies, map/unmap between them', () => {
  const machine = new Machine(guidePlatform());
  const log = new StepLog(() => {});
  const { kernel, proc } = bootHost(machine, log);
  const name = '2c0a2000.dma';
  const s = openVfioDevice(kernel, proc, name, bindToVfio(kernel, proc, name, log), log);
  const dmac = machine.dmac(name)!.device;
  const rnd = random(0x5eed);
  const PAGES = 12;
  const pool = allocate(s, PAGES * 4096, log);
  for (let p = 0; p < PAGES; p++) proc.writeMemory(pool + p * 4096, new Uint8Array(4096).fill(p + 1));
  const code = allocate(s, 4096, log);
  const CODE_IOVA = 0x30000000;
  assert.equal(mapDma(s, code, CODE_IOVA, 4096, VFIO_DMA_MAP_FLAGS.READ), 0);
  /** IOVA page index (in a 64-page window at 0x40000000) → pool page and whether the device may write. */
  const mapped = new Map<number, { page: number; write: boolean }>();
  const iovaOf = (slot: number) => 0x40000000 + slot * 4096;
  const frame = (page: number) => proc.pageOf(pool + page * 4096)!.physical;
  const codeFrame = proc.pageOf(code)!.physical;
  let checked = 0, faults = 0;
  machine.bus.observe((a) => {
    if (a.master.name !== name || a.response !== BusResponse.Okay) return;
    const page = Math.floor(a.physical / 4096) * 4096;
    const allowed = [...mapped.values()].filter((m) => frame(m.page) === page && (m.write || !a.write));
    assert.ok(allowed.length > 0 || (!a.write && page === codeFrame), `${a.write ? 'write' : 'read'} of physical 0x${a.physical.toString(16)} (IOVA 0x${a.address.toString(16)}) outside the mappings`);
    checked++;
  });
  for (let round = 0; round < 40; round++) {
    // Change the mappings: unmap some, map others (the SMMU's TLB must not keep the old ones).
    for (const [slot] of [...mapped]) {
      if (rnd(3) === 0) {
        assert.equal(unmapDma(s, iovaOf(slot), 4096).size, 4096n);
        mapped.delete(slot);
      }
    }
    for (let k = 0; k < 3; k++) {
      const slot = rnd(64), page = rnd(PAGES), write = rnd(2) === 0;
      if (mapped.has(slot) || [...mapped.values()].some((m) => m.page === page)) continue;
      assert.equal(mapDma(s, pool + page * 4096, iovaOf(slot), 4096, VFIO_DMA_MAP_FLAGS.READ | (write ? VFIO_DMA_MAP_FLAGS.WRITE : 0)), 0);
      mapped.set(slot, { page, write });
    }
    const writable = new Set([...mapped.values()].filter((m) => m.write).map((m) => frame(m.page) / 4096));
    const bytes = 16 * (1 + rnd(64));
    // Mostly mapped slots, sometimes any slot: both outcomes, and copies that run off a mapping's end.
    const slots = [...mapped.keys()];
    const pick = () => (slots.length && rnd(4) > 0 ? slots[rnd(slots.length)] : rnd(64));
    const src = iovaOf(pick()) + 16 * rnd(256), dst = iovaOf(pick()) + 16 * rnd(256);
    proc.writeMemory(code, copyMicrocode(src, dst, bytes));
    const before = machine.bus.memory.snapshot();
    issueDebug(dmac, debugGo(0, CODE_IOVA));
    machine.run();
    if (dmac.read(0x034, 4) & 1) {
      faults++;
      issueDebug(dmac, debugKill(0));
      machine.run();
    }
    const after = machine.bus.memory.snapshot();
    for (const [p, bytesAfter] of after.pages) {
      const b = before.pages.get(p);
      if (b === bytesAfter || writable.has(p)) continue;
      assert.deepEqual(bytesAfter, b, `round ${round}: page 0x${(p * 4096).toString(16)} changed but is not mapped writable`);
    }
  }
  assert.ok(checked > 100, `only ${checked} accesses checked`);
  assert.ok(faults > 5 && faults < 40, `${faults} of 40 programs faulted: the mix should have both outcomes`);
});

test('all four DMACs in one container share one SMMU domain and copy at the same time', () => {
  const machine = new Machine(guidePlatform());
  const log = new StepLog(() => {});
  const { kernel, proc } = bootHost(machine, log);
  const names = machine.dmacs.map((d) => d.description.name);
  const groups = names.map((n) => bindToVfio(kernel, proc, n, log));
  const first = openVfioDevice(kernel, proc, names[0], groups[0], log);
  const user = first.user;
  for (const g of groups.slice(1)) {
    const fd = proc.open(`/dev/vfio/${g}`);
    assert.equal(user.ioctlIntPointer(fd, VFIO_IOCTL.GROUP_SET_CONTAINER, first.container), 0, 'joins the container after SET_IOMMU');
  }
  const banks = new Set(machine.dmacs.map((d) => {
    const smmu = d.smmu!.device;
    const group = [0, 1, 2, 3].find((n) => (smmu.register(`SMR${n}`) & 0x7fff) === d.description.iommu!.streamIds[0])!;
    return smmu.register(`S2CR${group}`);
  }));
  assert.deepEqual([...banks], [0], 'every stream translates through context bank 0');
  const src = allocate(first, 4096, log), dst = allocate(first, 4 * 4096, log), code = allocate(first, 4096, log);
  const data = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff);
  proc.writeMemory(src, data);
  assert.equal(mapDma(first, src, 0x10000000, 4096, VFIO_DMA_MAP_FLAGS.READ), 0);
  assert.equal(mapDma(first, dst, 0x20000000, 4 * 4096, VFIO_DMA_MAP_FLAGS.READ | VFIO_DMA_MAP_FLAGS.WRITE), 0);
  assert.equal(mapDma(first, code, 0x30000000, 4096, VFIO_DMA_MAP_FLAGS.READ), 0);
  names.forEach((_, i) => proc.writeMemory(code + i * 64, copyMicrocode(0x10000000, 0x20000000 + i * 4096, 4096)));
  machine.dmacs.forEach((d, i) => issueDebug(d.device, debugGo(0, 0x30000000 + i * 64)));
  assert.equal(machine.run(), 'idle');
  for (let i = 0; i < 4; i++) assert.deepEqual(proc.readMemory(dst + i * 4096, 4096), data, `copy by ${names[i]}`);
});
