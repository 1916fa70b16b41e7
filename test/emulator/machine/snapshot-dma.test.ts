// Whole-machine snapshots taken while a DMA copy runs (programs/trace/dma-copy.c on virt-a15-dma330.dts: CPU 0
// starts a DMA-330 channel copying a buffer and polls it, CPU 1 polls a channel waiting for the copy's event):
// restored, the machine ends as the run it was taken in (console, RAM, registers, the DMAC, bit for bit), whether it
// runs on in one go or stops at CPU 1's instruction counts on the way; and the checkpoints' step back rebuilds the
// state one instruction of CPU 0 earlier, the same as the run from the snapshot to that count. What the kernel
// debugger's reverse execution stands on: pinned checkpoints, the devices frozen before a DMAC's tick, and a stop a
// DMA event's halt made found again by runUntil with devicesAt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpoints, type Checkpoint } from '../../../emulator/machine/checkpoints';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { SystemMachine } from '../../../emulator/machine/system';
import { ROOT } from '../../support/toolchain';
import { machineDigest } from './machine-hash';
import { build, toolsMissing } from '../../support/bare-metal';

const skip = toolsMissing();
const DTS = join(ROOT, 'test', 'support', 'virt-a15-dma330.dts');
/** Machine time a run may take to power off (ns). */
const LIMIT = 100_000_000;

function machine(): { system: SystemMachine; output: () => string } {
  const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', DTS]));
  let output = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 2, console: (byte) => { output += String.fromCharCode(byte); } });
  system.boot(system.loadElf(readFileSync(build('trace/dma-copy.c'))));
  return { system, output: () => output };
}

/** Runs in steps of `step` ns until the DMAC has a channel running; false if the program powered off first. */
function runToDma(system: SystemMachine, step: number): void {
  const dmac = system.machine.dmacs[0].device;
  while (!dmac.runnable) assert.equal(system.run(step).kind, 'time-limit', 'the program powered off before its DMA copy');
}

test('a snapshot taken mid-DMA restores to the same run: to power-off in one go or stopping at CPU 1 instruction counts, the same console and state bit for bit', { skip }, () => {
  const whole = machine();
  assert.equal(whole.system.run(LIMIT).kind, 'off');
  assert.match(whole.output(), /copy: PASS/);
  const end = machineDigest(whole.system);

  const { system, output } = machine();
  runToDma(system, 200);
  const snapshot = system.snapshot();
  const before = output().length;
  assert.ok(system.machine.dmacs[0].device.runnable, 'a channel runs at the snapshot');
  assert.equal(system.run(LIMIT).kind, 'off');
  assert.equal(output(), whole.output(), 'the run with a snapshot in it is the run without');
  assert.deepEqual(machineDigest(system), end);

  let from = output().length;
  system.restore(snapshot);
  assert.equal(system.run(LIMIT).kind, 'off');
  assert.equal(output().slice(from), whole.output().slice(before), 'the console after the snapshot');
  assert.deepEqual(machineDigest(system), end, 'restored mid-DMA, run to power-off');

  // From the snapshot again, stopping every 37 instructions of CPU 1 (while it polls and after it powers off).
  from = output().length;
  system.restore(snapshot);
  const target = system.cpus[1].retired;
  let stops = 0;
  for (let count = target + 37; ; count += 37) {
    const outcome = system.runUntil(1, count, LIMIT);
    if (outcome.kind !== 'reached') {
      assert.equal(outcome.kind, 'off');
      break;
    }
    assert.equal(system.cpus[1].retired, count);
    stops++;
  }
  assert.ok(stops > 10, `${stops} stops`);
  assert.equal(output().slice(from), whole.output().slice(before));
  assert.deepEqual(machineDigest(system), end, 'stopping at CPU 1 instruction counts on the way');
});

test('step back mid-DMA: one instruction of CPU 0 earlier is the state the run from a snapshot reaches at that count; forward from it, the same end', { skip }, () => {
  const { system } = machine();
  const checkpoints = new Checkpoints(system, { interval: 500 });
  const snapshot = system.snapshot();
  // Into the copy, checkpoints every 0.5 us of machine time.
  while (!system.machine.dmacs[0].device.runnable) assert.equal(checkpoints.run(200).kind, 'time-limit');
  assert.equal(checkpoints.run(1_500).kind, 'time-limit');
  assert.ok(system.machine.dmacs[0].device.runnable, 'the copy still runs');
  assert.ok(checkpoints.checkpoints.length > 3, `${checkpoints.checkpoints.length} checkpoints`);
  const retired = system.cpus[0].retired;
  const here = machineDigest(system);

  assert.equal(checkpoints.stepBack(0).kind, 'reached');
  assert.equal(system.cpus[0].retired, retired - 1);
  const back = machineDigest(system);
  assert.notDeepEqual(back, here);
  assert.equal(checkpoints.stepBack(0, 5).kind, 'reached');
  assert.equal(system.cpus[0].retired, retired - 6);

  system.restore(snapshot);
  assert.equal(system.runUntil(0, retired - 1).kind, 'reached');
  assert.deepEqual(machineDigest(system), back, 'from the first snapshot to the same count');
  assert.equal(system.run(LIMIT).kind, 'off');
  const end = machineDigest(system);

  assert.equal(checkpoints.goTo(0, retired - 1).kind, 'reached');
  assert.equal(system.run(LIMIT).kind, 'off');
  assert.deepEqual(machineDigest(system), end, 'forward from the step back');
});

test('checkpoints within a memory budget: thinned where closest, the first and the newest kept; clear errors for a count already past and a snapshot of another machine', { skip }, () => {
  const { system } = machine();
  // Each checkpoint costs at least its state (16 KiB): a budget of 100 KiB holds a few.
  const checkpoints = new Checkpoints(system, { interval: 100, budget: 100 << 10 });
  assert.equal(checkpoints.run(LIMIT).kind, 'off');
  checkpoints.take(); // the budget holds as each is taken
  const held = checkpoints.checkpoints;
  assert.ok(held.length >= 2 && held.length <= 6, `${held.length} checkpoints`);
  assert.ok(checkpoints.bytes <= 100 << 10 || held.length === 2, `${checkpoints.bytes} bytes`);
  assert.equal(held[0].retired[0], 0, 'the first checkpoint stays');
  const retired = system.cpus[0].retired;
  assert.equal(checkpoints.stepBack(0, 1000).kind, 'reached');
  assert.equal(system.cpus[0].retired, retired - 1000);

  assert.throws(() => system.runUntil(0, 10), /CPU 0 has retired \d+ instructions, past 10: restore an earlier snapshot first/);
  assert.throws(() => system.runUntil(2, 10), /no CPU 2 \(the machine has 2\)/);
  const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', DTS]));
  const single = new SystemMachine(platformFromDtb(dtb), { cpus: 1 });
  assert.throws(() => single.restore(system.snapshot()), /a snapshot of 2 CPUs cannot restore a machine of 1/);
});

test('runUntil a count a CPU never reaches (waiting for an interrupt nothing will raise) returns instead of hanging', { skip }, () => {
  const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', DTS]));
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1 });
  const ram = system.ram!.base;
  // WFI; B . (interrupts masked, no timer armed, the DMACs idle).
  system.load(ram, Uint8Array.from([0x03, 0xf0, 0x20, 0xe3, 0xfe, 0xff, 0xff, 0xea]));
  system.boot(ram);
  assert.deepEqual(system.runUntil(0, 100), { kind: 'time-limit' });
  assert.equal(system.cpus[0].retired, 1);
  assert.ok(system.cpus[0].waiting);
});

test("a debugger's pinned checkpoints stay whatever the budget; the others are thinned around them", { skip }, () => {
  const { system } = machine();
  const checkpoints = new Checkpoints(system, { interval: 100, budget: 100 << 10 });
  const pinned: Checkpoint[] = [];
  for (let i = 0; i < 4; i++) {
    assert.equal(checkpoints.run(2_000).kind, 'time-limit');
    pinned.push(checkpoints.take(true));
  }
  assert.equal(checkpoints.run(LIMIT).kind, 'off');
  checkpoints.take();
  for (const checkpoint of pinned) assert.ok(checkpoints.holds(checkpoint), `the pinned checkpoint at ${checkpoint.time} ns`);
  assert.ok(checkpoints.checkpoints.length <= pinned.length + 6, `${checkpoints.checkpoints.length} checkpoints`);
  checkpoints.drop(pinned[1]);
  assert.ok(!checkpoints.holds(pinned[1]), 'dropped');
});

test("freezeAt stops the devices before a DMAC's tick whoever advances the timeline, the CPUs halted: the channel at that instruction, the same state from the same snapshot; thawed, the copy passes", { skip }, () => {
  const { system, output } = machine();
  runToDma(system, 200);
  const snapshot = system.snapshot();
  const dmac = system.machine.dmacs[0].device;
  // The channel's instructions from the snapshot on: where each started (PC) and on which tick.
  const starts: { pc: number; cycle: number }[] = [];
  const unobserve = dmac.observe((e) => {
    if (e.kind === 'instruction' && !e.debug && e.thread !== 'manager') starts.push({ pc: e.pc, cycle: e.cycle });
  });
  assert.equal(system.run(LIMIT).kind, 'off');
  unobserve();
  assert.ok(starts.length > 20, `${starts.length} instructions`);
  const target = starts[20];

  const frozen = () => {
    system.restore(snapshot);
    system.machine.freezeAt(0, target.cycle, () => system.cpus.forEach((cpu) => cpu.requestHalt()));
    const outcome = system.run(LIMIT);
    assert.equal(outcome.kind, 'stopped');
    assert.ok(system.machine.isFrozen, 'the devices stopped there');
    assert.equal(dmac.cycle, target.cycle);
    system.machine.thaw();
    for (const cpu of system.cpus) {
      if (cpu.stop?.kind === 'halt') cpu.stop = null;
      cpu.haltRequested = false;
    }
    return machineDigest(system);
  };
  const first = frozen();
  const channels = Array.from({ length: dmac.config.channels }, (_, n) => dmac.register(`CPC${n}`));
  assert.ok(channels.includes(target.pc), `a channel at 0x${target.pc.toString(16)}, the instruction's address (${channels.map((pc) => pc.toString(16))})`);
  assert.deepEqual(frozen(), first, 'the same state from the same snapshot');
  const from = output().length;
  assert.equal(system.run(LIMIT).kind, 'off');
  assert.match(output().slice(from), /copy: PASS/);
});

test("runUntil with devicesAt finds again the stop a DMA event's halt made (the CPUs halted after their instruction, the devices past the event); a run halted there ends as the straight run", { skip }, () => {
  const whole = machine();
  assert.equal(whole.system.run(LIMIT).kind, 'off');
  const end = machineDigest(whole.system);
  const { system } = machine();
  runToDma(system, 200);
  const snapshot = system.snapshot();
  const dmac = system.machine.dmacs[0].device;
  const unobserve = dmac.observe((e) => {
    if (e.kind === 'channelEnd') system.cpus.forEach((cpu) => cpu.requestHalt());
  });
  const outcome = system.run(LIMIT);
  unobserve();
  assert.ok(outcome.kind === 'stopped' && outcome.stop.kind === 'halt', JSON.stringify(outcome));
  const cpu = outcome.kind === 'stopped' ? outcome.cpu : 0;
  system.cpus[cpu].stop = null;
  // The other CPU did not get to its halt (a debugger clears the requests before the next run).
  for (const other of system.cpus) other.haltRequested = false;
  const position = { retired: system.cpus[cpu].retired, devicesAt: system.machine.now };
  const stopped = machineDigest(system);

  system.restore(snapshot);
  assert.equal(system.runUntil(cpu, position.retired, LIMIT, position.devicesAt).kind, 'reached');
  assert.deepEqual(machineDigest(system), stopped);
  assert.equal(system.run(LIMIT).kind, 'off');
  assert.deepEqual(machineDigest(system), end, 'the halt changed nothing of the run (its rounds included)');
});

test("a checkpoint's map of the RAM's pages counts against the budget: a machine idling with many pages keeps few checkpoints, not the budget's worth of states", { skip }, () => {
  const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', DTS]));
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1 });
  const ram = system.ram!.base;
  // A booted kernel's RAM: thousands of pages, none written while the machine idles (WFI; B ., nothing to wake it).
  const PAGES = 4096;
  for (let page = 1; page < PAGES; page++) system.load(ram + page * 4096, Uint8Array.of(page & 0xff));
  system.load(ram, Uint8Array.from([0x03, 0xf0, 0x20, 0xe3, 0xfe, 0xff, 0xff, 0xea]));
  system.boot(ram);
  const budget = 4 << 20;
  const checkpoints = new Checkpoints(system, { interval: 100, budget });
  assert.equal(checkpoints.run(200_000).kind, 'time-limit');
  const held = checkpoints.checkpoints;
  const entries = held.reduce((sum, c) => sum + c.state.machine.memory.pages.size, 0);
  assert.ok(entries >= held.length * PAGES, `${entries} page entries in ${held.length} checkpoints`);
  // A Map entry is at least its key and value (8 bytes): what the checkpoints hold stays within the budget.
  assert.ok(entries * 8 <= budget, `${held.length} checkpoints of ${PAGES} pages each for a budget of ${budget} bytes`);
  assert.ok(held.length >= 2);
});
