// The model reads and composes registers by field name from the register table: the words it produces are the
// TRM's layouts (debug instructions a driver writes, configuration registers QEMU's Zynq DMAC reports), and CCR
// resets to the table's value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debugGo, debugKill, debugSev } from '../../../emulator/pl330/debug';
import { createStandaloneMachine } from '../../../emulator/pl330/standalone';
import { PL330_REGISTER_MAP } from '../../../emulator/pl330/registers';

test('debug instruction words: thread, channel and instruction bytes where DBGINST0/1 put them', () => {
  // DMAGO C3, 0x12345678, ns: bytes A2 03 78 56 34 12 on the manager thread.
  assert.deepEqual(debugGo(3, 0x12345678, true), { inst0: 0x03a20000, inst1: 0x12345678 });
  assert.deepEqual(debugGo(0, 0x1000), { inst0: 0x00a00000, inst1: 0x1000 });
  // DMAKILL on channel 5: debug_thread 1, channel_number 5, byte 0x01.
  assert.deepEqual(debugKill(5), { inst0: 0x00010501, inst1: 0 });
  assert.deepEqual(debugKill('manager'), { inst0: 0x00010000, inst1: 0 });
  // DMASEV E7: bytes 34 38.
  assert.deepEqual(debugSev(7), { inst0: 0x38340000, inst1: 0 });
});

test('configuration and status registers composed by field name; CCR resets to the table value', () => {
  const { dmac } = createStandaloneMachine();
  assert.equal(dmac.register('CR0'), 0x001e3071, "QEMU's Zynq DMAC");
  assert.equal(dmac.register('CRD'), 0x0fff7f73, 'MFIFO of 256 lines, 64-bit bus');
  assert.equal(dmac.register('CCR0'), PL330_REGISTER_MAP.named('CCR0')!.def.reset);
  assert.equal(PL330_REGISTER_MAP.named('CCR7')!.def.reset, 0x00800200);
});
