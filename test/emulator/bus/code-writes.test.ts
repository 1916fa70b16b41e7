// Decoded (and translated) code of a system CPU follows every writer of its physical page, not only the CPU's own
// stores: a DMA-330 copying into it (its block-copy fast path and its interpreted beats), the debugger's physical
// write, a loader, another CPU's store. The program at 0 sets r0 and loops; a writer replaces its first instruction
// and the CPU, restarted there, must run the new one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus } from '../../../emulator/bus/bus';
import { CpuCluster, SystemCpu } from '../../../emulator/cpu/system';
import { machineWith, type LoadedMachine } from '../../support/pl330-machine';

const MOV_R0_1 = 0xe3a00001, MOV_R0_2 = 0xe3a00002, BRANCH_SELF = 0xeafffffe;
/** Where the DMA program takes its bytes from: the new first instruction. */
const SOURCE = 0x10000;

function words(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(4 * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v, true));
  return bytes;
}

/** A DMAC (behind nothing) and a CPU on one bus; the CPU has run the old program, translated. */
function setup(): { machine: LoadedMachine; cpu: SystemCpu } {
  const machine = machineWith(`.channel 0x1000
    DMAMOV CCR, SB1 SS32 SAI DB1 DS32 DAI
    DMAMOV SAR, ${SOURCE}
    DMAMOV DAR, 0
    DMALD
    DMAST
    DMAEND`);
  machine.write(0, words(MOV_R0_1, BRANCH_SELF));
  machine.write(SOURCE, words(MOV_R0_2));
  const cpu = new SystemCpu(machine.bus);
  cpu.translateAfter = 1;
  cpu.reset(0);
  cpu.run(100);
  assert.equal(cpu.r[0], 1);
  return { machine, cpu };
}

/** Restarts the CPU at 0 (its decoded pages survive a reset) and returns what r0 became. */
function rerun(cpu: SystemCpu): number {
  cpu.r[0] = 0;
  cpu.reset(0);
  cpu.run(100);
  return cpu.r[0];
}

function dmaCopy(machine: LoadedMachine): void {
  machine.go(0, 0x1000);
  assert.equal(machine.dmac.run({ maxCycles: 10_000 }).stop, 'idle');
}

test('a DMA-330 copying into a code page (block-copy fast path) drops its decoded blocks', () => {
  const { machine, cpu } = setup();
  dmaCopy(machine);
  assert.equal(rerun(cpu), 2);
});

test('a DMA-330 copying into a code page beat by beat (a bus observer attached) drops its decoded blocks', () => {
  const { machine, cpu } = setup();
  const stop = machine.bus.observe(() => {});
  dmaCopy(machine);
  stop();
  assert.equal(rerun(cpu), 2);
});

test("the debugger's physical write and a loader's write into a code page drop its decoded blocks", () => {
  const { machine, cpu } = setup();
  machine.bus.physicalWrite(0, words(MOV_R0_2), 0, 4);
  assert.equal(rerun(cpu), 2);
  machine.bus.memory.writeBlock(0, words(MOV_R0_1), 0, 4);
  assert.equal(rerun(cpu), 1);
  machine.bus.memory.fill(0, 4, 0);
  cpu.reset(0);
  cpu.run(1);
  assert.equal(cpu.stop, null, 'the zeroed word runs as ANDEQ r0, r0, r0 (not the old MOV)');
  assert.equal(cpu.r[0], 0);
});

test("another CPU's store into a code page drops the first CPU's decoded blocks", () => {
  const bus = new Bus();
  bus.addRam(0, 0x10000);
  // CPU 1 at 0x100: MOVW r1, #2; MOVT r1, #0xe3a0 (r1 = MOV r0, #2); MOV r2, #0; STR r1, [r2]; B .
  bus.memory.writeBlock(0, words(MOV_R0_1, BRANCH_SELF), 0, 8);
  bus.memory.writeBlock(0x100, words(0xe3001002, 0xe34e13a0, 0xe3a02000, 0xe5821000, BRANCH_SELF), 0, 20);
  const cluster = new CpuCluster();
  const [cpu0, cpu1] = [0, 1].map((index) => new SystemCpu(bus, { index, cpus: 2, cluster }));
  cpu0.translateAfter = 1;
  cpu0.reset(0);
  cpu0.run(100);
  assert.equal(cpu0.r[0], 1);
  cpu1.reset(0x100);
  cpu1.run(100);
  assert.equal(bus.memory.read(0, 4), MOV_R0_2);
  assert.equal(rerun(cpu0), 2);
});
