// Runaway guests end at the machine's time limit, interpreted and translated alike (a translation threshold of 1):
// an exception loop that retires nothing (bare-metal-programs/runaway/vector-abort.c: vectors that abort) and a
// handler that returns to the load that faulted (runaway/abort-retry.c). The first, at seconds of guest time, ends
// only because the CPU sees that each exception repeats the last one; taken one by one it would run for hours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootDmalab, build, toolsMissing } from '../../support/bare-metal';

const skip = toolsMissing();
/** Machine time (ns) the runaways get: seconds of aborts that retire nothing, milliseconds of a handler's loop. */
const LIMITS: Readonly<Record<string, number>> = { 'runaway/vector-abort.c': 2e9, 'runaway/abort-retry.c': 2e6 };
const PRINTED: Readonly<Record<string, string>> = { 'runaway/vector-abort.c': 'vectors at nowhere\n', 'runaway/abort-retry.c': 'loading from nowhere\n' };

for (const [program, limit] of Object.entries(LIMITS)) {
  test(`${program}: runs to the time limit, interpreted and translated alike`, { skip, timeout: 120_000 }, () => {
    const run = (translateAfter: number) => {
      const { machine, output } = bootDmalab(build(program), 1, translateAfter);
      const outcome = machine.run(limit);
      const cpu = machine.cpus[0];
      return { outcome, time: machine.time, output: output(), retired: cpu.retired, pc: cpu.pc, cpsr: cpu.cpsr, registers: [...cpu.r] };
    };
    const interpreted = run(Infinity);
    assert.deepEqual(interpreted.outcome, { kind: 'time-limit' });
    assert.equal(interpreted.time, limit);
    assert.equal(interpreted.output, PRINTED[program]);
    assert.deepEqual(run(1), interpreted);
  });
}
