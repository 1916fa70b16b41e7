// `inspect` (the debugger's `smmu walk`): on random LPAE page tables its trace names exactly the descriptors the
// tables hold at the indexes the address selects, its outcome equals what a transaction gets from an empty TLB, and
// looking changes nothing (no TLB fill, no fault status, no interrupt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusResponse } from '../../../emulator/bus/bus';
import { Descriptor } from '../../../emulator/smmu/walk';
import { nestedRig, rig } from './helpers';

const DMA = { name: 'dma0', streamId: 3 };

function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x;
  };
}

interface Mapping {
  readonly level: number;
  readonly output: number;
}

/**
 * Random tables for a 32-bit input from level 1: per 1 GiB, a table or nothing; per 2 MiB, a block, a table or
 * nothing; per 4 KiB, a page or nothing. `model` is the test's own record: table addresses and leaves.
 */
function randomTables(seed: number, stage: 1 | 2) {
  const r = rig();
  const random = prng(seed);
  let nextTable = 0x1000_0000;
  const table = () => (nextTable += 0x1000);
  const root = table();
  const tables = new Map<string, number>(); // 'level:index path' → table address
  const leaves = new Map<number, Mapping>(); // input page (4 KiB) or block base → mapping
  const leafBits = stage === 1 ? 0x441 : 0x4c1; // AF + (stage 1: unprivileged rw; stage 2: S2AP rw)
  for (let l1 = 0; l1 < 4; l1++) {
    if (random() % 4 === 0) continue;
    const l2table = table();
    tables.set(`2:${l1}`, l2table);
    r.desc64(root + l1 * 8, 0, l2table | 3);
    for (let n = 0; n < 6; n++) {
      const l2 = random() % 512;
      const choice = random() % 3;
      const base = l1 * 2 ** 30 + l2 * 2 ** 21;
      if (choice === 0) {
        const output = 0x4000_0000 + (random() % 256) * 2 ** 21;
        r.desc64(l2table + l2 * 8, 0, output | leafBits);
        leaves.set(base, { level: 2, output });
      } else if (choice === 1) {
        const l3table = table();
        tables.set(`3:${base}`, l3table);
        r.desc64(l2table + l2 * 8, 0, l3table | 3);
        for (let k = 0; k < 8; k++) {
          const l3 = random() % 512;
          const output = 0x8000_0000 + (random() % 0x10000) * 0x1000;
          r.desc64(l3table + l3 * 8, 0, output | leafBits | 2);
          leaves.set(base + l3 * 0x1000, { level: 3, output });
        }
      }
    }
  }
  r.route(0, DMA.streamId, 0);
  if (stage === 1) {
    r.set('CBAR0', 1 << 16);
    r.set('CB0.TCR', 0x80000000); // EAE, T0SZ 0
  } else {
    r.set('CBAR0', 0);
    r.set('CB0.TCR', 0x80000000 | (1 << 6)); // SL0 1 (level 1), T0SZ 0
  }
  r.set('CB0.TTBR0', root);
  r.set('CB0.SCTLR', 0x61); // M, CFRE, CFIE
  /** The descriptors a walk of `address` must read, from the test's record (not from the SMMU). */
  const expectedSteps = (address: number): { level: number; address: number }[] => {
    const l1 = Math.floor(address / 2 ** 30), l2 = Math.floor(address / 2 ** 21) % 512, l3 = Math.floor(address / 0x1000) % 512;
    const steps = [{ level: 1, address: root + l1 * 8 }];
    const l2table = tables.get(`2:${l1}`);
    if (l2table === undefined) return steps;
    steps.push({ level: 2, address: l2table + l2 * 8 });
    const l3table = tables.get(`3:${address - (address % 2 ** 21)}`);
    if (l3table !== undefined) steps.push({ level: 3, address: l3table + l3 * 8 });
    return steps;
  };
  const expectedResult = (address: number): number | undefined => {
    const block = leaves.get(address - (address % 2 ** 21));
    if (block?.level === 2) return block.output + (address % 2 ** 21);
    const page = leaves.get(address - (address % 0x1000));
    return page ? page.output + (address % 0x1000) : undefined;
  };
  return { ...r, leaves, expectedSteps, expectedResult };
}

for (const stage of [1, 2] as const) {
  test(`inspect: stage ${stage} on random tables reads the expected descriptors and agrees with a TLB-less translation`, () => {
    for (const seed of [1, 2, 3]) {
      const r = randomTables(seed * 7919 + stage, stage);
      const random = prng(seed);
      const mapped = [...r.leaves.keys()];
      const probes = [
        ...Array.from({ length: 40 }, () => mapped[random() % mapped.length] + (random() % 0x1000)),
        ...Array.from({ length: 40 }, () => random()),
      ];
      let faults = 0;
      for (const address of probes) {
        const what = `seed ${seed}, 0x${address.toString(16)}`;
        const inspection = r.smmu.inspect(DMA.streamId, address);
        const steps = inspection.trace.steps;
        const expected = r.expectedSteps(address);
        assert.deepEqual(steps.map((s) => ({ level: s.level, address: s.address })), expected, what);
        for (const s of steps) {
          assert.equal(s.stage, stage);
          assert.equal(s.lo, r.bus.memory.read(s.address, 4), what);
          assert.equal(s.hi, r.bus.memory.read(s.address + 4, 4), what);
        }
        const last = steps[steps.length - 1];
        const result = r.expectedResult(address);
        assert.equal(inspection.physical, result, what);
        if (result === undefined) {
          assert.equal(last.kind, Descriptor.Invalid, what);
          assert.deepEqual(inspection.fault, { kind: 'TF', level: last.level, bank: 0 }, what);
        } else assert.equal(last.kind, last.level === 3 ? Descriptor.Page : Descriptor.Block, what);
        assert.equal(inspection.trace.regimes[0].startLevel, 1);
        // Looking changed nothing: the TLB is empty and no fault is recorded.
        assert.equal(r.smmu.tlb.lookup(0, address, 0), undefined, what);
        assert.equal(r.get('CB0.FSR'), 0, what);
        // The transaction from an empty TLB.
        const physical = r.smmu.translate(DMA, address, false, false);
        if (result === undefined) {
          faults++;
          assert.equal(physical, -BusResponse.SlaveError, what);
          assert.equal(r.get('CB0.FSR'), 0x2, what);
          assert.equal(r.get('CB0.FSYNR0') & 3, inspection.fault!.level, what);
          r.set('CB0.FSR', 0x2);
        } else assert.equal(physical, result, what);
        r.set('CB0.TLBIALL', 0);
      }
      assert.ok(faults > 0 && faults < probes.length, 'probes both mapped and unmapped addresses');
    }
  });
}

test('inspect: nested walks trace stage 2 for every stage-1 table; the regimes name TTBR0 and VTTBR', () => {
  const r = nestedRig(DMA.streamId);
  const w = r.smmu.inspect(DMA.streamId, 0x1abc, true);
  assert.equal(w.physical, 0x40005abc);
  assert.equal(w.physical, r.smmu.translate(DMA, 0x1abc, true, false));
  assert.deepEqual(w.trace.steps.map((s) => `${s.stage}:${s.level}`), ['2:1', '1:1', '2:1', '1:2', '2:1', '1:3', '2:1']);
  assert.deepEqual(w.trace.steps.filter((s) => s.stage === 1).map((s) => [s.tableAddress, s.address]), [[0x100000, 0x40100000], [0x101000, 0x40101000], [0x102008, 0x40102008]]);
  assert.deepEqual(w.trace.regimes.map((g) => g.table), ['TTBR0 0x00100000', 'VTTBR 0x70000000']);
  assert.equal(w.bankType, 'nested');
});

test('inspect: short descriptors on random sections and small pages agree with a TLB-less translation', () => {
  const r = rig();
  r.route(0, DMA.streamId, 1);
  r.set('CBAR1', 1 << 16);
  r.set('CB1.TCR', 0); // EAE 0, N 0: TTBR0 covers everything
  r.set('CB1.TTBR0', 0x300000);
  r.set('CB1.SCTLR', 0x61);
  const random = prng(42);
  const tables = new Map<number, number>(); // 1 MiB index → level-2 table
  const leaves = new Map<number, number>(); // section or page base → output
  let nextTable = 0x400000;
  for (let n = 0; n < 64; n++) {
    const mb = random() % 4096;
    if (tables.has(mb) || leaves.has(mb * 2 ** 20)) continue;
    if (random() % 2) {
      const output = (random() % 2048) * 2 ** 20;
      r.desc32(0x300000 + mb * 4, output | 0xc02); // section, AP 011
      leaves.set(mb * 2 ** 20, output);
    } else {
      const table = (nextTable += 0x400);
      tables.set(mb, table);
      r.desc32(0x300000 + mb * 4, table | 1);
      for (let k = 0; k < 16; k++) {
        const page = random() % 256;
        const output = (random() % 0x80000) * 0x1000;
        r.desc32(table + page * 4, output | 0x032); // small page, AP 011
        leaves.set(mb * 2 ** 20 + page * 0x1000, output);
      }
    }
  }
  const mapped = [...leaves.keys()];
  const probes = [...Array.from({ length: 60 }, () => mapped[random() % mapped.length] + (random() % 0x1000)), ...Array.from({ length: 60 }, () => random())];
  for (const address of probes) {
    const what = `0x${address.toString(16)}`;
    const mb = Math.floor(address / 2 ** 20);
    const table = tables.get(mb);
    const expectedSteps = [0x300000 + mb * 4, ...(table === undefined ? [] : [table + (Math.floor(address / 0x1000) % 256) * 4])];
    const w = r.smmu.inspect(DMA.streamId, address);
    assert.deepEqual(w.trace.steps.map((s) => s.address), expectedSteps, what);
    w.trace.steps.forEach((s) => assert.equal(s.lo, r.bus.memory.read(s.address, 4), what));
    const section = leaves.get(mb * 2 ** 20);
    const page = leaves.get(address - (address % 0x1000));
    const expected = table === undefined ? (section === undefined ? undefined : section + (address % 2 ** 20)) : page === undefined ? undefined : page + (address % 0x1000);
    assert.equal(w.physical, expected, what);
    const kinds = w.trace.steps.map((s) => s.kind);
    assert.deepEqual(kinds, table === undefined ? [section === undefined ? Descriptor.Invalid : Descriptor.Section] : [Descriptor.Table, page === undefined ? Descriptor.Invalid : Descriptor.SmallPage], what);
    assert.equal(r.get('CB1.FSR'), 0, what);
    const physical = r.smmu.translate(DMA, address, false, false);
    assert.equal(physical, expected ?? -BusResponse.SlaveError, what);
    if (expected === undefined) {
      assert.equal(r.get('CB1.FSYNR0') & 3, w.fault!.level, what);
      r.set('CB1.FSR', 0xff);
    }
    r.set('CB1.TLBIALL', 0);
  }
});
