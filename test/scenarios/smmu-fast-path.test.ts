// Behind the MMU-400, counted DMALD/DMAST loops still run as block copies, translated once per page (the SMMU's
// probe), when nobody observes; with an observer every beat is translated and interpreted. Both must end in the
// same DMAC registers and cycle count, the same SMMU state (fault registers and TLB), the same memory and the same
// kernel log — also when a page in the middle does not translate or is read-only, and when a budget cuts the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPlatform } from '../../scenarios/platform';
import { registerValues } from '../../cli/run';
import { Machine } from '../../emulator/machine/machine';
import { debugGo, issueDebug } from '../../emulator/pl330/debug';
import { VFIO_DMA_MAP_FLAGS } from '../../emulator/vfio/uapi';
import { assemble } from '../../server/pl330/assembler';
import { StepLog, allocate, bindToVfio, bootHost, mapDma, openVfioDevice } from '../../scenarios/vfio-session';
import { patternBytes } from '../support/pl330-machine';

const BYTES = 64 * 1024;
const PAGE = 4096;
const SRC_IOVA = 0x10000000;
const DST_IOVA = 0x20000000;
const CODE_IOVA = 0x30000000;

const PROGRAMS: Record<string, string> = {
  '128-byte bursts, nested loops': `
    DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
    DMAMOV SAR, ${SRC_IOVA}
    DMAMOV DAR, ${DST_IOVA}
    DMALP LC0, 8
      DMALP LC1, 64
        DMALD
        DMAST
      DMALPEND LC1
    DMALPEND LC0
    DMASEV 0
    DMAEND`,
  '16-byte bursts, two loads then two stores': `
    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI
    DMAMOV SAR, ${SRC_IOVA}
    DMAMOV DAR, ${DST_IOVA}
    DMALP LC0, 8
      DMALP LC1, 256
        DMALD
        DMALD
        DMAST
        DMAST
      DMALPEND LC1
    DMALPEND LC0
    DMAEND`,
  'a destination that straddles pages (interpreted there)': `
    DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
    DMAMOV SAR, ${SRC_IOVA}
    DMAMOV DAR, ${DST_IOVA + 0x40}
    DMALP LC0, 4
      DMALP LC1, 100
        DMALD
        DMAST
      DMALPEND LC1
    DMALPEND LC0
    DMAEND`,
};

type Layout = 'mapped' | 'source hole' | 'read-only destination page';

function run(source: string, layout: Layout, observed: boolean, budget = 1e8) {
  const machine = new Machine(loadPlatform());
  const log = new StepLog(() => {});
  const { kernel, proc } = bootHost(machine, log);
  const s = openVfioDevice(kernel, proc, '2c0a0000.dma', bindToVfio(kernel, proc, '2c0a0000.dma', log), log);
  const src = allocate(s, BYTES, log), dst = allocate(s, BYTES + PAGE, log), code = allocate(s, PAGE, log);
  const read = VFIO_DMA_MAP_FLAGS.READ, readWrite = VFIO_DMA_MAP_FLAGS.READ | VFIO_DMA_MAP_FLAGS.WRITE;
  if (layout === 'source hole') {
    // The page at SRC_IOVA + 32 KiB is left unmapped.
    assert.equal(mapDma(s, src, SRC_IOVA, BYTES / 2, read), 0);
    assert.equal(mapDma(s, src + BYTES / 2 + PAGE, SRC_IOVA + BYTES / 2 + PAGE, BYTES / 2 - PAGE, read), 0);
  } else assert.equal(mapDma(s, src, SRC_IOVA, BYTES, read), 0);
  if (layout === 'read-only destination page') {
    assert.equal(mapDma(s, dst, DST_IOVA, 5 * PAGE, readWrite), 0);
    assert.equal(mapDma(s, dst + 5 * PAGE, DST_IOVA + 5 * PAGE, PAGE, read), 0);
    assert.equal(mapDma(s, dst + 6 * PAGE, DST_IOVA + 6 * PAGE, BYTES - 5 * PAGE, readWrite), 0);
  } else assert.equal(mapDma(s, dst, DST_IOVA, BYTES + PAGE, readWrite), 0);
  assert.equal(mapDma(s, code, CODE_IOVA, PAGE, read), 0);
  proc.writeMemory(src, patternBytes(BYTES, 7));
  const assembled = assemble(source, { base: CODE_IOVA });
  assert.equal(assembled.errorCount, 0);
  proc.writeMemory(code, assembled.programs[0].bytes);
  const dmac = machine.dmacs[0].device;
  if (observed) dmac.observe(() => undefined);
  const smmu = machine.smmus[0].device;
  const translate = smmu.translate.bind(smmu);
  let translations = 0;
  smmu.translate = (...args) => {
    translations++;
    return translate(...args);
  };
  issueDebug(dmac, debugGo(0, CODE_IOVA));
  const outcome = machine.run({ maxCycles: budget });
  return { translations, state: {
    outcome,
    cycle: dmac.cycle,
    registers: registerValues(dmac),
    smmu: machine.smmus[0].device.snapshot(),
    destination: Buffer.from(proc.readMemory(dst, BYTES + PAGE)!).toString('base64'),
    dmesg: kernel.dmesg.join('\n'),
  } };
}

for (const [name, source] of Object.entries(PROGRAMS)) {
  for (const layout of ['mapped', 'source hole', 'read-only destination page'] as const) {
    test(`through the MMU-400, the fast path equals the interpreter: ${name}, ${layout}`, () => {
      const interpreted = run(source, layout, true);
      const fast = run(source, layout, false);
      assert.deepEqual(fast.state, interpreted.state);
      // Beat by beat, every access is translated; the fast path translates once per page and run of iterations.
      assert.ok(fast.translations * 4 < interpreted.translations, `${fast.translations} translations vs ${interpreted.translations}`);
      if (layout === 'mapped') assert.equal(interpreted.state.registers.FSRC, 0, 'the copy completes');
      else {
        assert.equal(interpreted.state.registers.FSRC & 1, 1, 'the channel faults at the page');
        assert.match(interpreted.state.dmesg, /context fault/i);
      }
      for (const budget of [40, 333, Math.floor(interpreted.state.cycle / 2), interpreted.state.cycle - 3]) {
        assert.deepEqual(run(source, layout, false, budget).state, run(source, layout, true, budget).state, `budget ${budget}`);
      }
    });
  }
}
