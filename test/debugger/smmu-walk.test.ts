// `smmu walk IOVA` in the debug console of a platform session whose SMMU the launch configured (registers and page
// tables written by `memory` entries): the walk level by level, the result, a fault with its level, and no change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlatform } from '../../scenarios/platform';
import { SMMU_PAGE_SIZE } from '../../emulator/smmu/config';
import { smmuRegisterMaps } from '../../emulator/smmu/registers';
import { client, launch, programFile, root } from './support';

const platformPath = join(root, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts');
const program = programFile('walk-memcpy.pl330', `
.channel 0x80001000
    DMAMOV SAR, 0x40201234
    DMAEND
`);

/** A 32-bit little-endian word as a `memory` entry (a file of 4 bytes). */
function word(name: string, address: number, value: number) {
  const file = programFile(name, '');
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0);
  writeFileSync(file, bytes);
  return { address: `0x${address.toString(16)}`, file };
}

test('smmu walk shows the stream match, the regime and every descriptor; a fault names its level; nothing changes', async () => {
  const platform = loadPlatform(platformPath);
  const dmac = platform.dmacs[1];
  const smmuDescription = platform.smmus[dmac.iommu!.smmu];
  const streamId = dmac.iommu!.streamIds[0];
  const maps = smmuRegisterMaps(smmuDescription.config);
  const gr0 = (name: string) => smmuDescription.base + maps.gr0.named(name)!.offset;
  const gr1 = (name: string) => smmuDescription.base + SMMU_PAGE_SIZE + maps.gr1.named(name)!.offset;
  const cb0 = (name: string) => smmuDescription.base + smmuDescription.config.pagesPerHalf * SMMU_PAGE_SIZE + maps.contextBank.named(name)!.offset;
  // Stage 1, LPAE, 32-bit input from level 1: L1[1] → L2 table, L2[1] → L3 table, L3[1] = page at 0x80005000.
  const ttbr = 0x80100000;
  const descriptors: [number, number][] = [
    [ttbr + 1 * 8, 0x80101003],
    [0x80101000 + 1 * 8, 0x80102003],
    [0x80102000 + 1 * 8, 0x80005443],
  ];
  const memory = [
    word('smr0', gr0('SMR0'), 0x80000000 | streamId),
    word('s2cr0', gr0('S2CR0'), 0),
    word('cbar0', gr1('CBAR0'), 1 << 16),
    word('tcr', cb0('TCR'), 0x80000000),
    word('ttbr0', cb0('TTBR0'), ttbr),
    word('sctlr', cb0('SCTLR'), 0x61),
    ...descriptors.map(([address, value], i) => word(`desc${i}`, address, value)),
    word('scr0', gr0('sCR0'), 0x436),
  ];
  const dc = await client();
  try {
    const stop = await launch(dc, { program, platform: platformPath, dmac: 1, stopOnEntry: true, memory });
    const walk = async (iova: string) => (await dc.evaluateRequest({ expression: `smmu walk ${iova}`, frameId: stop.threadId, context: 'repl' })).body.result.split('\n');
    const lines = await walk('0x40201234');
    assert.match(lines[0], new RegExp(`^IOVA 0x40201234 -> PA 0x80005234 \\(.*stream ${streamId}`));
    assert.equal(lines[1].trim(), `stream ${streamId}: SMR0 matches, S2CR0 = 0x00000000 -> context bank 0 (stage 1)`);
    assert.equal(lines[2].trim(), 'stage 1: LPAE, TTBR0 0x80100000, T0SZ 0, 32-bit input, start level 1');
    const kinds = ['table: next-level table at 0x80101000', 'table: next-level table at 0x80102000', 'page: OA 0x80005000, AF=1, AP=rw'];
    descriptors.forEach(([address, value], i) => {
      const line = lines[3 + i].trim();
      const expected = `stage 1 level ${i + 1}: descriptor at 0x${address.toString(16)} = 0x00000000${value.toString(16)}: ${kinds[i]}`;
      assert.ok(line.startsWith(expected), `${line}\n  does not start with\n${expected}`);
    });
    assert.equal(lines[6].trim(), 'result: PA 0x80005234');
    // An IOVA whose level-2 descriptor is invalid: the walk stops there.
    const fault = await walk('0x40600000');
    assert.match(fault[0], /^IOVA 0x40600000: TF fault at level 2 in context bank 0/);
    assert.match(fault[4].trim(), /^stage 1 level 2: descriptor at 0x80101018 = 0x0000000000000000: invalid$/);
    assert.equal(fault[fault.length - 1].trim(), 'result: TF fault at level 2 (context bank 0)');
    // Looking recorded no fault.
    const fsr = await dc.evaluateRequest({ expression: `*(u32 *)0x${cb0('FSR').toString(16)}`, frameId: stop.threadId, context: 'repl' });
    assert.equal(Number(fsr.body.result), 0);
  } finally {
    await dc.stop();
  }
});
