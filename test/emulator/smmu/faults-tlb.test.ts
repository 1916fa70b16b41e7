// Global and context faults with their interrupts, stall and resume, TLB staleness and each invalidation, ID
// registers, and the isolation guarantee at the bus: a faulting transaction never reaches memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusResponse } from '../../../emulator/bus/bus';
import { MMU500_CONFIG } from '../../../emulator/smmu/config';
import { rig } from './helpers';

const DMA = { name: 'dma0', streamId: 1 };

/** Bank 0: 32-bit LPAE stage 1, ASID 7, one level-3 table for [0x40000000, 0x40200000). */
function mapped() {
  const r = rig();
  const levels: boolean[][] = [[], []];
  r.smmu.globalIrq = { setLevel: (h) => levels[0].push(h) };
  r.smmu.contextIrqs[2] = { setLevel: (h) => levels[1].push(h) };
  r.route(0, DMA.streamId, 0);
  r.set('CBAR0', (1 << 16) | (2 << 24)); // stage 1, IRPTNDX 2
  r.set('CB0.TCR', 0x80000000);
  r.set('CB0.TTBR0', 0x100000);
  r.set('CB0.TTBR0_HI', 7 << 16);
  r.set('CB0.SCTLR', 0x67);
  r.desc64(0x100008, 0, 0x00101003);
  r.desc64(0x101000, 0, 0x00102003);
  r.desc64(0x102000, 0, 0x80000c43); // nG page: ASID-tagged
  r.desc64(0x102008, 0, 0x80001443); // global page
  return { ...r, levels };
}

test('ID registers describe the configuration as Linux reads them', () => {
  const { get } = rig();
  const id0 = get('sIDR0'), id1 = get('sIDR1'), id2 = get('sIDR2');
  assert.equal(id0 & 0xff, 4, 'NUMSMRG');
  assert.equal((id0 >>> 30) & 1, 1, 'S1TS');
  assert.equal((id0 >>> 29) & 1, 1, 'S2TS');
  assert.equal((id0 >>> 27) & 1, 1, 'SMS');
  assert.equal((id0 >>> 16) & 0xff, 4, 'NUMIRPT');
  assert.equal(id1 & 0xff, 4, 'NUMCB');
  assert.equal(2 ** (((id1 >>> 28) & 7) + 1), 8, 'NUMPAGE');
  assert.equal(id2 & 0xf, 2, 'IAS 40 bits');
  assert.equal((id2 >>> 4) & 0xf, 2, 'OAS 40 bits');
  assert.equal(get('sCR0') & 1, 1, 'CLIENTPD at reset');
  const v2 = rig(MMU500_CONFIG);
  assert.equal((v2.get('sIDR2') >>> 12) & 1, 1, 'MMU-500 PTFS_4K');
  assert.equal(v2.get('sIDR1') & 0xff, 16);
});

test('context fault: FSR/FAR/FSYNR0/CBFRSYNRA, interrupt on IRPTNDX while FSR holds a fault, MULTI', () => {
  const r = mapped();
  assert.equal(r.smmu.translate(DMA, 0x40100008, true, false), -BusResponse.SlaveError);
  assert.equal(r.get('CB0.FSR'), 0x2);
  assert.equal(r.get('CB0.FAR'), 0x40100008);
  assert.equal(r.get('CB0.FSYNR0'), 0x10 | 3);
  assert.deepEqual(r.levels[1], [true]);
  assert.equal(r.smmu.translate(DMA, 0x40100000, false, false), -BusResponse.SlaveError);
  assert.equal(r.get('CB0.FSR'), 0x80000002, 'second fault sets MULTI, keeps the first FAR');
  assert.equal(r.get('CB0.FAR'), 0x40100008);
  r.set('CB0.FSR', r.get('CB0.FSR'));
  assert.deepEqual(r.levels[1], [true, false], 'clearing FSR drops the line');
  r.set('CB0.SCTLR', 0x27); // CFIE clear: recorded, no interrupt
  r.smmu.translate(DMA, 0x40100008, true, false);
  assert.equal(r.get('CB0.FSR'), 0x2);
  assert.deepEqual(r.levels[1], [true, false]);
});

test('global faults: unidentified stream with USFCFG, stream match conflict, bypass when USFCFG is clear', () => {
  const r = mapped();
  const other = { name: 'dma3', streamId: 9 };
  assert.equal(r.smmu.translate(other, 0x1000, true, false), -BusResponse.SlaveError);
  assert.equal(r.get('sGFSR'), 0x2, 'USF');
  assert.equal(r.get('sGFSYNR1'), 9);
  assert.equal(r.get('sGFSYNR0'), 0x2, 'WNR');
  assert.deepEqual(r.levels[0], [true]);
  r.set('sGFSR', 0x2);
  assert.deepEqual(r.levels[0], [true, false]);
  r.set('SMR1', 0x80000000 | (0xf << 16)); // matches streams 0-15, so stream 1 matches twice
  assert.equal(r.smmu.translate(DMA, 0x40000000, false, false), -BusResponse.SlaveError);
  assert.equal(r.get('sGFSR'), 0x4, 'SMCF');
  r.set('sGFSR', 0x4);
  r.set('SMR1', 0);
  r.set('sCR0', 0x036); // USFCFG clear
  assert.equal(r.smmu.translate(other, 0x1234, false, false), 0x1234, 'unmatched streams bypass');
  r.set('S2CR0', 2 << 16); // fault type
  assert.equal(r.smmu.translate(DMA, 0x40000000, false, false), -BusResponse.SlaveError);
  r.set('S2CR0', 1 << 16); // bypass type
  assert.equal(r.smmu.translate(DMA, 0x40000000, false, false), 0x40000000);
  r.set('sCR0', 1); // CLIENTPD
  assert.equal(r.smmu.translate(other, 0x5000, true, false), 0x5000);
});

test('the TLB keeps stale translations until TLBIVA/TLBIASID/TLBIALL/TLBIALLNSNH/TLBIVMID', () => {
  const r = mapped();
  const t = (va: number) => r.smmu.translate(DMA, va, false, false);
  assert.equal(t(0x40000010), 0x80000010);
  assert.equal(t(0x40001010), 0x80001010);
  r.desc64(0x102000, 0, 0x90000c43);
  r.desc64(0x102008, 0, 0x90001443);
  assert.equal(t(0x40000010), 0x80000010, 'stale after the table changed');
  r.set('CB0.TLBIVA', 0x40000000 | 6); // another ASID: the nG entry stays
  assert.equal(t(0x40000010), 0x80000010);
  r.set('CB0.TLBIVA', 0x40000000 | 7);
  r.set('CB0.TLBSYNC', 0);
  assert.equal(r.get('CB0.TLBSTATUS'), 0);
  assert.equal(t(0x40000010), 0x90000010, 'refetched after TLBIVA');
  r.set('CB0.TLBIASID', 7); // global entries survive TLBIASID
  assert.equal(t(0x40001010), 0x80001010);
  r.set('CB0.TLBIALL', 0);
  assert.equal(t(0x40001010), 0x90001010);
  r.desc64(0x102008, 0, 0); // unmapped now; cached until invalidated
  assert.equal(t(0x40001010), 0x90001010);
  r.set('TLBIALLNSNH', 0);
  assert.equal(t(0x40001010), -BusResponse.SlaveError);
  r.set('CB0.FSR', 0xff);
  r.desc64(0x102008, 0, 0x90001443);
  assert.equal(t(0x40001010), 0x90001010);
  r.desc64(0x102008, 0, 0);
  r.set('TLBIVMID', 1);
  assert.equal(t(0x40001010), 0x90001010, 'another VMID');
  r.set('TLBIVMID', 0);
  assert.equal(t(0x40001010), -BusResponse.SlaveError);
});

test('stage-2 TLBIIPAS2 invalidates by IPA; a faulting walk is not cached', () => {
  const r = rig();
  r.route(0, DMA.streamId, 0);
  r.set('CBAR0', 0x01);
  r.set('CB0.TCR', 0x80000000 | 2); // 30-bit IPA from level 2
  r.set('CB0.TTBR0', 0x200000);
  r.set('CB0.SCTLR', 0x61);
  r.desc64(0x200000, 0, 0x00201003);
  assert.equal(r.smmu.translate(DMA, 0x3000, false, false), -BusResponse.SlaveError);
  r.set('CB0.FSR', 0xff);
  r.desc64(0x201018, 0, 0x000a04c3);
  assert.equal(r.smmu.translate(DMA, 0x3000, true, false), 0xa0000);
  r.desc64(0x201018, 0, 0x000b04c3);
  assert.equal(r.smmu.translate(DMA, 0x3000, true, false), 0xa0000);
  r.set('CB0.TLBIIPAS2', 0x2);
  assert.equal(r.smmu.translate(DMA, 0x3000, true, false), 0xa0000, 'another IPA page');
  r.set('CB0.TLBIIPAS2', 0x3);
  assert.equal(r.smmu.translate(DMA, 0x3000, true, false), 0xb0000);
  assert.equal(r.smmu.translate(DMA, 0x40000000, true, false), -BusResponse.SlaveError, 'outside the 30-bit IPA space');
});

test('stall mode: the fault handler fixes the table and RESUMEs with retry; without RESUME it terminates', () => {
  const r = mapped();
  r.set('CB0.SCTLR', 0xe7); // CFCFG: stall
  r.smmu.contextIrqs[2] = {
    setLevel: (high) => {
      if (!high) return;
      assert.equal(r.get('CB0.FSR'), 0x40000002, 'SS with TF');
      r.desc64(0x102010, 0, 0x80002443);
      r.set('CB0.FSR', 0x2);
      r.set('CB0.RESUME', 0); // retry
    },
  };
  assert.equal(r.smmu.translate(DMA, 0x40002004, true, false), 0x80002004);
  assert.equal(r.get('CB0.FSR'), 0);
  r.smmu.contextIrqs[2] = { setLevel: () => {} };
  assert.equal(r.smmu.translate(DMA, 0x40003000, true, false), -BusResponse.SlaveError);
  assert.equal(r.get('CB0.FSR'), 0x40000002, 'still stalled until RESUME');
  r.set('CB0.RESUME', 1);
  assert.equal(r.get('CB0.FSR'), 0x2);
});

test('ATS1PR reports the translation in PAR without recording a fault', () => {
  const r = mapped();
  r.set('CB0.ATS1PR', 0x40001234);
  assert.equal(r.get('CB0.PAR'), 0x80001000);
  r.set('CB0.ATS1PR', 0x40005000);
  assert.equal(r.get('CB0.PAR') & 1, 1);
  assert.equal(r.get('CB0.FSR'), 0);
});

test('a DMA port behind the SMMU: mapped accesses land, faulting writes and reads never touch memory', () => {
  const r = mapped();
  const port = r.bus.port(DMA);
  port.translator = r.smmu;
  const data = new Uint8Array(0x1800).map((_, i) => i & 0xff);
  r.bus.memory.fill(0x80000000, 0x3000, 0xee);
  const before = r.bus.memory.snapshot();
  // 0x40001800..0x40003000 crosses into the unmapped page 0x40002000: the first part lands, the rest faults.
  assert.equal(port.write(0x40001800, data, 0, 0x1800), BusResponse.SlaveError);
  assert.equal(r.bus.memory.read8(0x80001800), 0);
  assert.equal(r.bus.memory.read8(0x80001fff), 0xff);
  const after = r.bus.memory.snapshot();
  for (let page = 0; page < 3; page++) {
    const a = before.pages.get(0x80000 + page)!, b = after.pages.get(0x80000 + page)!;
    if (page !== 1) assert.deepEqual(b, a, `page ${page} untouched`);
  }
  assert.equal(r.bus.memory.read8(0x80002000), 0xee);
  const back = new Uint8Array(16).fill(0x55);
  assert.equal(port.read(0x40002000, back, 0, 16), BusResponse.SlaveError);
  assert.deepEqual([...back], new Array(16).fill(0x55), 'a faulting read returns no data');
});
