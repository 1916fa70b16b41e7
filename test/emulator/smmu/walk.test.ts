// Page-table walks against hand-computed descriptor vectors: LPAE stage 1 and stage 2 at every level, blocks and
// pages, permissions and access flag; short descriptors; nested translation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusResponse } from '../../../emulator/bus/bus';
import { nestedRig, rig } from './helpers';

const DMA = { name: 'dma0', streamId: 1 };

function stage1Rig() {
  const r = rig();
  r.route(0, DMA.streamId, 0);
  r.set('CBAR0', 1 << 16); // stage 1 with stage 2 bypass
  r.set('CB0.TCR', 0x80000000); // EAE, T0SZ 0: 32-bit input from level 1
  r.set('CB0.TTBR0', 0x00100000);
  r.set('CB0.TTBR0_HI', 0x00050000); // ASID 5
  r.set('CB0.SCTLR', 0x67); // M|TRE|AFE|CFRE|CFIE
  // L1[1] → L2 at 0x101000; L1[2] = 1 GiB block at 0xc0000000
  r.desc64(0x100008, 0, 0x00101003);
  r.desc64(0x100010, 0, 0xc0000441);
  // L2[1] → L3 at 0x102000; L2[2] = 2 MiB block at 0x12200000
  r.desc64(0x101008, 0, 0x00102003);
  r.desc64(0x101010, 0, 0x12200441);
  r.desc64(0x102008, 0, 0x80005443); // page, AF, AP[1] (unprivileged RW)
  r.desc64(0x102010, 0, 0x800064c3); // page, read-only (AP[2])
  r.desc64(0x102018, 0, 0x80007043); // page without AF
  r.desc64(0x102028, 0, 0x80008441); // 0b01 at level 3: reserved
  r.desc64(0x102030, 0x12, 0x34567443); // page above 4 GiB (40-bit output)
  return r;
}

test('LPAE stage 1: level 1 block, level 2 block, level 3 pages, 40-bit output', () => {
  const { smmu } = stage1Rig();
  assert.equal(smmu.translate(DMA, 0x40201234, false, false), 0x80005234);
  assert.equal(smmu.translate(DMA, 0x80123456, true, false), 0xc0123456);
  assert.equal(smmu.translate(DMA, 0x40401234, true, false), 0x12201234);
  assert.equal(smmu.translate(DMA, 0x40206abc, false, false), 0x1234567abc);
});

test('LPAE stage 1 faults: read-only, access flag, invalid at each level, reserved level-3 encoding', () => {
  const { smmu, get, set } = stage1Rig();
  const expectFault = (va: number, write: boolean, fsr: number, level: number) => {
    assert.equal(smmu.translate(DMA, va, write, false), -BusResponse.SlaveError, `0x${va.toString(16)}`);
    assert.equal(get('CB0.FSR'), fsr, `FSR for 0x${va.toString(16)}`);
    assert.equal(get('CB0.FAR'), va);
    assert.equal(get('CB0.FSYNR0'), level | (write ? 0x10 : 0));
    assert.equal(get('CBFRSYNRA0'), DMA.streamId);
    set('CB0.FSR', fsr);
    assert.equal(get('CB0.FSR'), 0);
  };
  assert.equal(smmu.translate(DMA, 0x40202010, false, false), 0x80006010, 'read-only page reads');
  expectFault(0x40202010, true, 0x8, 3); // PF
  expectFault(0x40203000, false, 0x4, 3); // AFF
  expectFault(0x40204000, false, 0x2, 3); // TF: invalid level 3
  expectFault(0x40205000, false, 0x2, 3); // TF: 0b01 at level 3
  expectFault(0x40600000, false, 0x2, 2); // TF: invalid level 2
  expectFault(0x00001000, true, 0x2, 1); // TF: invalid level 1
});

test('LPAE stage 1 with T0SZ 2 starts at level 2; TTBR1 covers the top; EPD1 faults', () => {
  const r = rig();
  r.route(0, DMA.streamId, 0);
  r.set('CBAR0', 1 << 16);
  r.set('CB0.TCR', 0x80000000 | (2 << 16) | 2); // T0SZ 2 (1 GiB at level 2), T1SZ 2 (top 1 GiB)
  r.set('CB0.TTBR0', 0x200000);
  r.set('CB0.TTBR1', 0x300000);
  r.set('CB0.SCTLR', 0x61);
  r.desc64(0x200000 + 3 * 8, 0, 0x00a00441); // L2[3] block: 0x600000 → 0xa00000
  r.desc64(0x300000 + 0x1ff * 8, 0, 0x00c00441); // TTBR1 L2[511]: 0xffe00000 → 0xc00000
  assert.equal(r.smmu.translate(DMA, 0x00612345, false, false), 0x00a12345);
  assert.equal(r.smmu.translate(DMA, 0xffe00010, false, false), 0x00c00010);
  assert.equal(r.smmu.translate(DMA, 0x80000000, false, false), -BusResponse.SlaveError, 'between the two regions');
  assert.equal(r.get('CB0.FSR'), 0x2);
  r.set('CB0.FSR', 0xffffffff);
  r.set('CB0.TCR', 0x80000000 | (1 << 23) | (2 << 16) | 2);
  r.set('CB0.TLBIALL', 0);
  assert.equal(r.smmu.translate(DMA, 0xffe00010, false, false), -BusResponse.SlaveError, 'EPD1');
});

test('LPAE stage 2: 40-bit IPA from level 1 with two concatenated tables, S2AP permissions, XN', () => {
  const r = rig();
  r.route(0, DMA.streamId, 2);
  r.set('CBAR2', 0x03); // stage 2 only, VMID 3
  r.set('CB2.TCR', 0x80000000 | (1 << 6) | 24); // SL0 1, T0SZ 24 (signed 4 bits: -8 → 40 bits)
  r.set('CB2.TTBR0', 0x200000);
  r.set('CB2.SCTLR', 0x61);
  r.desc64(0x201008, 0, 0x00203003); // L1[513], in the second concatenated page
  r.desc64(0x203000, 0, 0x00204003);
  r.desc64(0x204008, 0, 0x90000443); // read-only (S2AP[0])
  r.desc64(0x204010, 0x00400000, 0x910004c3); // read/write, XN
  r.desc64(0x200000, 0, 0xc00004c1); // L1[0]: 1 GiB block, read/write
  assert.equal(r.smmu.translate(DMA, 0x8040001234, false, false), 0x90000234);
  assert.equal(r.smmu.translate(DMA, 0x8040001234, true, false), -BusResponse.SlaveError);
  assert.equal(r.get('CB2.FSR'), 0x8);
  r.set('CB2.FSR', 0x8);
  assert.equal(r.smmu.translate(DMA, 0x8040002000, true, false), 0x91000000);
  assert.equal(r.smmu.translate(DMA, 0x8040002000, false, true), -BusResponse.SlaveError, 'fetch from XN');
  r.set('CB2.FSR', 0x8);
  assert.equal(r.smmu.translate(DMA, 0x3fffffff, true, false), 0xffffffff);
});

test('short descriptors: section, supersection, small and large pages, full and simplified AP models', () => {
  const r = rig();
  r.route(0, DMA.streamId, 1);
  r.set('CBAR1', 1 << 16);
  r.set('CB1.TCR', 0); // EAE 0, N 0
  r.set('CB1.TTBR0', 0x300000);
  r.set('CB1.SCTLR', 0x61); // AFE clear: full AP[2:0]
  r.desc32(0x300004, 0x80100c02); // section, AP 011
  r.desc32(0x30004c, 0x12340c82); // supersection: PA[31:24] 0x12, PA[35:32] 3, PA[39:36] 4
  r.desc32(0x300008, 0x00301001); // coarse table at 0x301000
  r.desc32(0x301014, 0x80042032); // small page, AP 011
  r.desc32(0x301044, 0x80050031); // large page, AP 011
  r.desc32(0x301018, 0x80043232); // small page, AP 111 (read-only)
  r.desc32(0x30101c, 0x80044022); // small page, AP 010 (AP[0] clear)
  const t = (va: number, write = false) => r.smmu.translate(DMA, va, write, false);
  assert.equal(t(0x00123456, true), 0x80123456);
  assert.equal(t(0x01345678), 0x4312345678);
  assert.equal(t(0x00205678, true), 0x80042678);
  assert.equal(t(0x00211234), 0x80051234);
  assert.equal(t(0x00206000), 0x80043000);
  assert.equal(t(0x00206000, true), -BusResponse.SlaveError);
  assert.equal(r.get('CB1.FSR'), 0x8);
  r.set('CB1.FSR', 0xff);
  assert.equal(t(0x00207000), 0x80044000, 'AP 010: unprivileged read-only');
  assert.equal(t(0x00400000), -BusResponse.SlaveError);
  assert.equal(r.get('CB1.FSR'), 0x2);
  assert.equal(r.get('CB1.FSYNR0') & 3, 1);
  r.set('CB1.FSR', 0xff);
  r.set('CB1.SCTLR', 0x65); // AFE: AP[0] is the access flag
  r.set('CB1.TLBIALL', 0);
  assert.equal(t(0x00207000), -BusResponse.SlaveError);
  assert.equal(r.get('CB1.FSR'), 0x4, 'access flag fault with AFE');
});

test('nested: stage-1 table walks and output both go through stage 2', () => {
  const r = nestedRig(DMA.streamId);
  assert.equal(r.smmu.translate(DMA, 0x1abc, true, false), 0x40005abc);
  r.desc64(0x40102000 + 16, 0, 0x40000443); // IPA beyond stage 2's block: stage-2 translation fault
  assert.equal(r.smmu.translate(DMA, 0x2000, false, false), -BusResponse.SlaveError);
  assert.equal(r.get('CB0.FSR'), 0x2, 'reported by the stage-2 bank');
  assert.equal(r.get('CB1.FSR'), 0);
});

test('MMU-500 AArch64 format (CBA2R.VA64): 48-bit input from level 0, TLBIVA with the 64-bit operand', async () => {
  const { MMU500_CONFIG } = await import('../../../emulator/smmu/config');
  const r = rig(MMU500_CONFIG);
  const levels: boolean[] = [];
  r.smmu.contextIrqs[5] = { setLevel: (h) => levels.push(h) };
  r.route(0, DMA.streamId, 5);
  r.set('CBAR5', 1 << 16);
  r.set('CBA2R5', 1);
  r.set('CB5.TCR', 16); // T0SZ 16: 48-bit input, 4 KiB granule
  r.set('CB5.TTBR0', 0x100000);
  r.set('CB5.TTBR0_HI', 0x0042_0000); // ASID 0x42
  r.set('CB5.SCTLR', 0x61);
  r.desc64(0x100000 + 0x100 * 8, 0, 0x00101003);
  r.desc64(0x101008, 0, 0x00102003);
  r.desc64(0x102008, 0, 0x00103003);
  r.desc64(0x103008, 0x0000_8000, 0x77701c43); // page at 0x8000_7770_1000 (48-bit output), nG
  assert.equal(r.smmu.translate(DMA, 0x800040201234, false, false), 0x800077701234);
  r.desc64(0x103008, 0, 0);
  assert.equal(r.smmu.translate(DMA, 0x800040201234, false, false), 0x800077701234, 'cached');
  const page = 0x800040201234 / 4096;
  r.set('CB5.TLBIVA', page % 2 ** 32);
  r.set('CB5.TLBIVA_HI', Math.floor(page / 2 ** 32) | (0x41 << 16)); // another ASID
  assert.equal(r.smmu.translate(DMA, 0x800040201234, false, false), 0x800077701234);
  r.set('CB5.TLBIVA_HI', Math.floor(page / 2 ** 32) | (0x42 << 16));
  assert.equal(r.smmu.translate(DMA, 0x800040201234, false, false), -BusResponse.SlaveError);
  assert.equal(r.get('CB5.FAR_HI'), 0x8000);
  assert.deepEqual(levels, [true], 'SMMUv2: context bank 5 raises context interrupt 5');
});
