// A stopped kernel session collects its garbage once it has stayed stopped for the idle time; a run before then
// cancels it, and stops in quick succession (a user stepping) collect once, after the last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleCollection } from '../../debugger/runtime/idle-collection';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('one collection after the session stays stopped; none when it runs again first', async () => {
  let collections = 0;
  const idle = new IdleCollection(() => collections++, 50);
  idle.stopped();
  idle.stopped();
  await sleep(20);
  idle.stopped();
  await sleep(150);
  assert.equal(collections, 1, 'stops in quick succession: one collection, after the last');
  idle.stopped();
  idle.cancel();
  await sleep(150);
  assert.equal(collections, 1, 'resumed before the idle time: no collection');
});

test("the default collection is V8's full one: unreachable objects go without --expose-gc", async () => {
  let garbage: { index: number }[] | undefined = Array.from({ length: 2_000_000 }, (_, index) => ({ index }));
  const before = process.memoryUsage().heapUsed;
  assert.ok(garbage.length > 0);
  garbage = undefined;
  new IdleCollection(undefined, 0).stopped();
  await sleep(100);
  const after = process.memoryUsage().heapUsed;
  assert.ok(before - after > 30 << 20, `heap ${before >> 20} MB before, ${after >> 20} MB after`);
});
