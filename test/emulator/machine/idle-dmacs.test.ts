// DMACs with nothing to do cost nothing while the CPU's quanta move the timeline (the machine skips them), yet they
// count their idle cycles as if they had run: a snapshot holds each one's cycles up to the instant, and a channel
// started after a long idle stretch starts at the instant its DMAC's clock gives and takes as long as at power-on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../../emulator/machine/machine';
import { debugGo, issueDebug } from '../../../emulator/pl330/debug';
import type { Pl330Event } from '../../../emulator/pl330/observer';
import { guidePlatform } from '../../support/platform';

/** Instructions per quantum of a process's CPU (emulator/linux/process.ts). */
const QUANTUM = 10_000;

/** Starts channel 0 of the first DMAC on a DMAEND at the machine's present. */
function startChannel(machine: Machine): void {
  const program = machine.platform.memory[0].base;
  machine.bus.memory.write8(program, 0x00); // DMAEND
  issueDebug(machine.dmacs[0].device, debugGo(0, program));
}

/** Runs a channel started now, unobserved (as a CPU polling it would): the DMAC cycles until it is quiescent again. */
function cyclesToQuiescence(machine: Machine): number {
  const dmac = machine.dmacs[0];
  startChannel(machine);
  let cycles = 0;
  while (!dmac.device.quiescent) {
    assert.ok(++cycles < 1000, 'the channel ends');
    machine.advanceTo((Math.floor(machine.now / dmac.period) + 1) * dmac.period);
  }
  return cycles;
}

/** The same, observed: the instants it started and ended. */
function runChannel(machine: Machine): { start: number; end: number } {
  const dmac = machine.dmacs[0];
  // An event's instant is where its cycle falls when it happens (an idle DMAC's own count stands still).
  const events: { event: Pl330Event; at: number }[] = [];
  const unobserve = dmac.device.observe((event) => events.push({ event, at: machine.dmacTime(0, event.cycle) }));
  startChannel(machine);
  machine.advanceTo(machine.now + 1000 * dmac.period);
  unobserve();
  const start = events.find((e) => e.event.kind === 'channelStart');
  const end = events.find((e) => e.event.kind === 'channelEnd');
  assert.ok(start && end, 'the channel started and ran its DMAEND');
  assert.ok(dmac.device.quiescent, 'the DMAC is quiescent again');
  return { start: start.at, end: end.at };
}

/** 100 quanta of idle DMACs, then a stretch that ends inside a DMAC cycle (the CPU touching the registers there). */
function idleStretch(machine: Machine): number {
  for (let q = 1; q <= 100; q++) machine.advanceTo(q * QUANTUM * machine.cpuPeriod);
  machine.advanceTo(machine.now + 2.5 * machine.dmacs[0].period);
  return machine.now;
}

test('idle DMACs skipped over quanta count their cycles, and a channel started after rejoins the timeline at its instant', () => {
  const reference = runChannel(new Machine(guidePlatform()));

  const machine = new Machine(guidePlatform());
  const period = machine.dmacs[0].period;
  const at = idleStretch(machine);
  assert.deepEqual([...machine.snapshot().dmacCycles], machine.dmacs.map((d) => Math.floor(at / d.period)), 'each DMAC idled up to the instant');

  const { start, end } = runChannel(machine);
  assert.equal(start, Math.floor(at / period) * period, 'the channel starts in the DMAC cycle the DMAGO was written in');
  assert.equal(end - start, reference.end - reference.start, 'the channel takes as long as one started at power-on');
  machine.advanceTo(machine.now + 10 * QUANTUM * machine.cpuPeriod);
  assert.deepEqual([...machine.snapshot().dmacCycles], machine.dmacs.map((d) => Math.floor(machine.now / d.period)), 'idle again, the DMACs count on');
});

test('a channel started unobserved after idle quanta runs the cycles it runs at power-on, not the idle stretch', () => {
  const reference = cyclesToQuiescence(new Machine(guidePlatform()));
  const machine = new Machine(guidePlatform());
  idleStretch(machine);
  assert.equal(cyclesToQuiescence(machine), reference);
});
