// Static address bounds on the VFIO_PLATFORM guide's platform (the DMA-330s behind the MMU-400): a program whose
// predicted ranges stay in the VFIO mappings runs clean; one whose predicted ranges leave them (past a mapping's end,
// or a write into a read-only mapping) is flagged before it runs, both against the mappings made and against the
// SMMU's own page tables (inspected without side effects), and the SMMU stops the emulated DMAC where predicted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusResponse } from '../../../emulator/bus/bus';
import { Machine } from '../../../emulator/machine/machine';
import { debugGo, debugKill, issueDebug } from '../../../emulator/pl330/debug';
import { FAULT } from '../../../emulator/pl330/faults';
import { VFIO_DMA_MAP_FLAGS } from '../../../emulator/vfio/uapi';
import { StepLog, allocate, bindToVfio, bootHost, mapDma, openVfioDevice } from '../../../scenarios/vfio-session';
import { assemble } from '../../../server/pl330/assembler';
import { AddressRange, computeBounds, mergeRanges } from '../../../server/pl330/bounds';
import type { Smmu } from '../../../emulator/smmu/smmu';
import { AccessWindow, accessesOutside } from '../../../server/pl330/program-checks';
import { guidePlatform } from '../../support/platform';

const CODE_IOVA = 0x30000000;
const SRC_IOVA = 0x40000000;
const DST_IOVA = 0x40010000;
const PAGE = 4096;

/** The mappings the test makes, as windows the bounds are checked against. */
const WINDOWS: AccessWindow[] = [
  { start: CODE_IOVA, end: CODE_IOVA + PAGE, read: true, write: false },
  { start: SRC_IOVA, end: SRC_IOVA + PAGE, read: true, write: false },
  { start: DST_IOVA, end: DST_IOVA + 2 * PAGE, read: true, write: true },
];

function copyProgram(source: number, destination: number, bursts: number): string {
  return `.channel ${CODE_IOVA}
    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI
    DMAMOV SAR, ${source}
    DMAMOV DAR, ${destination}
    DMALP ${bursts}
        DMALD
        DMAST
    DMALPEND
    DMAWMB
    DMAEND`;
}

/** The parts of `ranges` the SMMU's page tables refuse to the stream (for a write or a read), page by page. */
function refusedBySmmu(smmu: Smmu, streamId: number, ranges: readonly AddressRange[], write: boolean): AddressRange[] {
  const out: AddressRange[] = [];
  for (const r of ranges) {
    for (let page = Math.floor(r.start / PAGE) * PAGE; page < r.end; page += PAGE) {
      const start = Math.max(page, r.start);
      if (smmu.inspect(streamId, start, write).fault) out.push({ start, end: Math.min(page + PAGE, r.end) });
    }
  }
  return mergeRanges(out);
}

/**
 * Boots the guide's host, maps code, source and destination through VFIO, loads the program, asks the SMMU (without
 * side effects) which predicted bytes it would refuse, then runs the program.
 */
function runOnPlatform(source: string): { faultType: number; refused: AddressRange[]; smmuRefuses: { reads: AddressRange[]; writes: AddressRange[] } } {
  const machine = new Machine(guidePlatform());
  const log = new StepLog(() => {});
  const { kernel, proc } = bootHost(machine, log);
  const name = '2c0a0000.dma';
  const s = openVfioDevice(kernel, proc, name, bindToVfio(kernel, proc, name, log), log);
  const code = allocate(s, PAGE, log), src = allocate(s, PAGE, log), dst = allocate(s, 2 * PAGE, log);
  assert.equal(mapDma(s, code, CODE_IOVA, PAGE, VFIO_DMA_MAP_FLAGS.READ), 0);
  assert.equal(mapDma(s, src, SRC_IOVA, PAGE, VFIO_DMA_MAP_FLAGS.READ), 0);
  assert.equal(mapDma(s, dst, DST_IOVA, 2 * PAGE, VFIO_DMA_MAP_FLAGS.READ | VFIO_DMA_MAP_FLAGS.WRITE), 0);
  const result = assemble(source);
  const program = result.programs[0];
  proc.writeMemory(code, program.bytes);
  const dmacNode = machine.dmac(name)!;
  const bounds = computeBounds(result.programs, CODE_IOVA);
  const streamId = dmacNode.description.iommu!.streamIds[0];
  const smmu = dmacNode.smmu!.device;
  const smmuRefuses = { reads: refusedBySmmu(smmu, streamId, bounds.reads, false), writes: refusedBySmmu(smmu, streamId, bounds.writes, true) };
  const refused: AddressRange[] = [];
  machine.bus.observe((a) => {
    if (a.master.name === name && a.response !== BusResponse.Okay) refused.push({ start: a.address, end: a.address + a.data.length });
  });
  const dmac = dmacNode.device;
  issueDebug(dmac, debugGo(0, CODE_IOVA));
  machine.run();
  const faultType = dmac.register('FTR0');
  if (faultType) {
    issueDebug(dmac, debugKill(0));
    machine.run();
  }
  return { faultType, refused, smmuRefuses };
}

function predictedOutside(source: string): { reads: AddressRange[]; writes: AddressRange[] } {
  const result = assemble(source);
  assert.equal(result.errorCount, 0);
  const bounds = computeBounds(result.programs, CODE_IOVA);
  assert.equal(bounds.complete, true);
  return accessesOutside(bounds, WINDOWS);
}

const inside = (r: AddressRange, ranges: readonly AddressRange[]): boolean => ranges.some((p) => p.start <= r.start && r.end <= p.end);

test('a copy inside the VFIO mappings is predicted clean and runs without a fault', () => {
  const source = copyProgram(SRC_IOVA, DST_IOVA, 256);
  assert.deepEqual(predictedOutside(source), { reads: [], writes: [] });
  const run = runOnPlatform(source);
  assert.deepEqual(run.smmuRefuses, { reads: [], writes: [] }, 'the SMMU\'s tables agree before the run');
  assert.equal(run.faultType, 0);
  assert.deepEqual(run.refused, []);
});

test('a copy that runs past the source mapping is flagged before the run; the SMMU refuses that read', () => {
  const source = copyProgram(SRC_IOVA + 0x800, DST_IOVA, 160); // 2560 bytes from the middle of a 4 KiB page
  const predicted = predictedOutside(source);
  assert.deepEqual(predicted, { reads: [{ start: SRC_IOVA + PAGE, end: SRC_IOVA + 0xa00 + 0x800 }], writes: [] });
  const run = runOnPlatform(source);
  assert.deepEqual(run.smmuRefuses, predicted, 'the SMMU\'s tables refuse exactly the predicted bytes outside the mappings');
  assert.notEqual(run.faultType & FAULT.data_read_err, 0, `FTR0 = 0x${run.faultType.toString(16)}`);
  assert.ok(run.refused.length > 0 && run.refused.every((r) => inside(r, predicted.reads)), JSON.stringify(run.refused));
  assert.equal(run.refused[0].start, SRC_IOVA + PAGE, 'the first refused access is the first predicted byte outside');
});

test('a copy whose destination is the read-only source mapping is flagged as a write outside; the SMMU refuses it', () => {
  const source = copyProgram(DST_IOVA, SRC_IOVA, 4);
  const predicted = predictedOutside(source);
  assert.deepEqual(predicted, { reads: [], writes: [{ start: SRC_IOVA, end: SRC_IOVA + 64 }] });
  const run = runOnPlatform(source);
  assert.deepEqual(run.smmuRefuses, predicted, 'the SMMU\'s tables refuse exactly the predicted bytes outside the mappings');
  assert.notEqual(run.faultType & FAULT.data_write_err, 0, `FTR0 = 0x${run.faultType.toString(16)}`);
  assert.ok(run.refused.length > 0 && run.refused.every((r) => inside(r, predicted.writes)), JSON.stringify(run.refused));
});

test('dmalab asm --bounds --window: the mappings as windows flag the same program before it runs', () => {
  const cli = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
  const file = join(mkdtempSync(join(tmpdir(), 'dmalab-windows-')), 'copy.pl330');
  const windowArgs = WINDOWS.flatMap((w) => ['--window', `0x${w.start.toString(16)}:${w.end - w.start}:${w.write ? 'rw' : 'r'}`]);
  const check = (source: string) => {
    writeFileSync(file, source);
    return spawnSync(process.execPath, [cli, 'asm', file, '--bounds', ...windowArgs], { encoding: 'utf8' });
  };
  const clean = check(copyProgram(SRC_IOVA, DST_IOVA, 256));
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  const past = check(copyProgram(SRC_IOVA + 0x800, DST_IOVA, 160));
  assert.equal(past.status, 1);
  assert.ok(past.stdout.includes(`${file}:1: program at 0x30000000 reads outside the windows: 0x40001000–0x400011ff (512 bytes)`), past.stdout);
});
