import { test } from 'node:test';
import assert from 'node:assert/strict';
import { after, client, launch, memcpy, programFile, registers } from './support';

test('step back and reverse continue re-execute exactly: lines, loop counters and memory go back', async () => {
  const dc = await client();
  try {
    const first = await launch(dc, { program: memcpy, memory: [{ address: 0x2000, length: 64, pattern: 'ramp' }] },
      () => dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [{ line: 16 }] }));
    const t = first.threadId;
    assert.equal(first.frame.line, 16);
    const back1 = await after(dc, dc.stepBackRequest({ threadId: t }));
    assert.equal(back1.stop.body.reason, 'step');
    assert.equal(back1.frame.line, 15);
    assert.equal((await registers(dc, t)).LC0, '0');
    const back2 = await after(dc, dc.stepBackRequest({ threadId: t }));
    assert.equal(back2.frame.line, 14);
    // Before the last DMAST the last 16 bytes are not copied yet.
    const mem = await dc.customRequest('readMemory', { memoryReference: '0x3030', count: 16 });
    assert.deepEqual([...Buffer.from(mem.body.data, 'base64')], new Array(16).fill(0));
    await dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [{ line: 13 }] });
    const lastLoad = await after(dc, dc.reverseContinueRequest({ threadId: t }));
    assert.equal(lastLoad.stop.body.reason, 'breakpoint');
    assert.equal(lastLoad.frame.line, 13);
    assert.deepEqual([(await registers(dc, t)).LC0, (await registers(dc, t)).SAR], ['0', '0x00002030']);
    const earlier = await after(dc, dc.reverseContinueRequest({ threadId: t }));
    assert.equal((await registers(dc, earlier.threadId)).LC0, '1');
    // Forward again from the past: the same future.
    const forward = await after(dc, dc.nextRequest({ threadId: t }));
    assert.equal(forward.frame.line, 14);
    const again = await after(dc, dc.continueRequest({ threadId: t }));
    assert.equal(again.frame.line, 13);
    assert.equal((await registers(dc, t)).SAR, '0x00002030');
  } finally {
    await dc.stop();
  }
});

test('from a fault back to its cause; before the first instruction is the start of history', async () => {
  const program = programFile('bad-dar.pl330', `
.channel 0x1000
    DMAMOV CCR, SB2 SS32 DB2 DS32
    DMAMOV SAR, 0x2000
    DMAMOV DAR, 0x3000
    DMALD
    DMAST
    DMAST
    DMAEND
`);
  const dc = await client();
  try {
    const fault = await launch(dc, { program });
    assert.match(fault.stop.body.text!, /st_data_unavailable/);
    assert.equal(fault.frame.line, 8);
    const cause = await after(dc, dc.stepBackRequest({ threadId: fault.threadId }));
    assert.equal(cause.frame.line, 7);
    assert.match((await registers(dc, fault.threadId)).MFIFO, /^8 byte/);
    const start = await after(dc, dc.reverseContinueRequest({ threadId: fault.threadId }));
    assert.equal(start.stop.body.description, 'start of the recorded history');
    assert.equal(start.frame.line, 3);
  } finally {
    await dc.stop();
  }
});
