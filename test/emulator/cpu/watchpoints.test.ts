// Watchpoints of the system CPU (emulator/cpu/watchpoints.ts) on a bare-metal program (debug/watch.c): a store to a
// watched word stops the CPU before it is performed, at the storing instruction (objdump's listing names it; its
// registers hold the address and the value stored), with the old and new values; resumed with the hit passed, the
// program runs on to the next one. The neighbour in the same page never stops it. The same hits, at the same retired
// counts, whether the hot loop runs interpreted or translated; loads stop at the loading instructions; a physical
// watchpoint sees what the virtual one sees (the MMU is off). The run with watchpoints retires exactly the
// instructions of the run without, and prints the same; a snapshot taken at a hit and restored replays the same hits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchpointHit, WatchpointSet, type Watchpoint } from '../../../emulator/cpu/watchpoints';
import type { SystemMachine } from '../../../emulator/machine/system';
import { bootDmalab, build, runDmalab, toolsMissing } from '../../support/bare-metal';
import { nmSymbols, objdumpListing } from '../../support/objdump';

const skip = toolsMissing();
const PROGRAM = 'debug/watch.c';
const TIME_LIMIT = 2e9;

interface Hit { readonly pc: number; readonly retired: number; readonly address: number; readonly write: boolean; readonly old: number; readonly value: number; readonly instruction: string }

function watchedRun(watchpoint: Omit<Watchpoint, 'id'>, options: { translateAfter?: number; atHit?: (machine: SystemMachine, hits: readonly Hit[]) => void } = {}) {
  const elf = build(PROGRAM);
  const listing = new Map(objdumpListing(elf).map((l) => [l.address, l.text]));
  const { machine, output } = bootDmalab(elf, 1, options.translateAfter);
  const cpu = machine.cpus[0];
  const set = new WatchpointSet(machine.cpus);
  set.replace([{ id: 1, ...watchpoint }]);
  cpu.mmu.watch = set.watchOf(0);
  const hits: Hit[] = [];
  for (;;) {
    const outcome = machine.run(TIME_LIMIT);
    if (outcome.kind !== 'stopped') return { outcome, hits, output: output(), retired: cpu.retired };
    const cause = outcome.stop.kind === 'fault' ? outcome.stop.cause : undefined;
    assert.ok(cause instanceof WatchpointHit, `a watchpoint's stop, not ${JSON.stringify(outcome.stop)}`);
    const instruction = listing.get(cpu.pc) ?? '?';
    // The accessing instruction is the current one and has not retired; its base register + offset is the address.
    assert.equal(cause.retired, cpu.retired);
    const m = /^(?:str|ldr)\w* (r\d+|ip), \[(r\d+|ip)(?:, #(\d+))?\](?:, #\d+)?$/.exec(instruction);
    assert.ok(m, `the stop is at a load or store: ${instruction} at 0x${cpu.pc.toString(16)}`);
    const reg = (name: string): number => cpu.r[name === 'ip' ? 12 : Number(name.slice(1))] >>> 0;
    assert.equal(reg(m[2]) + Number(m[3] ?? 0), cause.address);
    if (cause.write) assert.equal(reg(m[1]), cause.value, 'the register stored is the new value');
    hits.push({ pc: cpu.pc, retired: cpu.retired, address: cause.address, write: cause.write, old: cause.old, value: cause.value, instruction });
    options.atHit?.(machine, hits);
    set.pass(0, cause.retired);
    cpu.stop = null;
  }
}

test('a write watchpoint stops before each store to the watched word, at the storing instruction, with old and new values; the run retires exactly what it retires unwatched', { skip }, () => {
  const symbols = nmSymbols(build(PROGRAM));
  const watched = symbols.get('watched')!;
  const plain = runDmalab(build(PROGRAM));
  const run = watchedRun({ space: 'virtual', start: watched, length: 4, read: false, write: true });
  assert.deepEqual(run.outcome, { kind: 'off' });
  assert.equal(run.output, plain.output);
  assert.match(run.output, /watched=0x0000001e/);
  assert.equal(run.retired, plain.machine.cpus[0].retired);
  // The start-up code zeroes the BSS (watched with it), then main's ten stores; the 1000 to beside, in the same page,
  // never stop.
  const [zeroing, ...stores] = run.hits;
  assert.match(zeroing.instruction, /^strcc r2, \[r0\], #4$/);
  assert.deepEqual([zeroing.address, zeroing.old, zeroing.value], [watched, 0, 0]);
  assert.equal(stores.length, 10);
  stores.forEach((hit, i) => {
    assert.match(hit.instruction, /^str /);
    assert.equal(hit.pc, stores[0].pc, 'the one store of the loop');
    assert.deepEqual([hit.address, hit.write, hit.old, hit.value], [watched, true, 3 * i, 3 * i + 3]);
  });
  assert.ok(run.hits.every((h, i) => i === 0 || h.retired > run.hits[i - 1].retired));

  // Translated from the first pass, the loop stops at the same instructions at the same counts.
  const translated = watchedRun({ space: 'virtual', start: watched, length: 4, read: false, write: true }, { translateAfter: 1 });
  assert.deepEqual(translated.hits, run.hits);
  assert.equal(translated.retired, run.retired);
  // A physical watchpoint on the same RAM, and one on a single byte of the word, see the same stores.
  assert.deepEqual(watchedRun({ space: 'physical', start: watched, length: 4, read: false, write: true }).hits, run.hits);
  assert.deepEqual(watchedRun({ space: 'virtual', start: watched + 3, length: 1, read: false, write: true }).hits, run.hits);
});

test('a read watchpoint stops at each load of the watched word with the value it loads', { skip }, () => {
  const watched = nmSymbols(build(PROGRAM)).get('watched')!;
  for (const translateAfter of [undefined, 1]) {
    const run = watchedRun({ space: 'virtual', start: watched, length: 4, read: true, write: false }, { translateAfter });
    assert.deepEqual(run.outcome, { kind: 'off' });
    assert.equal(run.hits.length, 11, "the loop's ten loads and the last one");
    run.hits.forEach((hit, i) => {
      assert.match(hit.instruction, /^ldr /);
      assert.deepEqual([hit.write, hit.value], [false, 3 * Math.min(i, 10)]);
    });
  }
});

test('a snapshot taken at a watchpoint hit, restored, replays the same hits at the same retired counts', { skip }, () => {
  const watched = nmSymbols(build(PROGRAM)).get('watched')!;
  let snapshot: ReturnType<SystemMachine['snapshot']> | undefined;
  let restored = false;
  const after: Hit[] = [];
  const run = watchedRun({ space: 'virtual', start: watched, length: 4, read: false, write: true }, {
    translateAfter: 1,
    atHit: (machine, hits) => {
      if (hits.length === 5 && !restored) snapshot = machine.snapshot();
      if (restored) after.push(hits[hits.length - 1]);
      if (hits.length === 10 && !restored) {
        restored = true;
        machine.restore(snapshot!);
      }
    },
  });
  assert.deepEqual(run.outcome, { kind: 'off' });
  // Restored at hit 5 (the CPU before its store again) after hit 10: hits 5 to 10 once more, then the 11th.
  assert.equal(after.length, 7);
  assert.deepEqual(after.slice(0, 6), run.hits.slice(4, 10));
  assert.deepEqual([after[6].old, after[6].value], [27, 30]);
  assert.match(run.output, /watched=0x0000001e/);
});
