import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { after, client, launch, launchToEnd, memcpy, programFile, registers } from './support';

/** A manager program that starts channel 1, which waits for event 3, which the manager then signals. */
const managerProgram = programFile('manager.pl330', `
.manager 0x0
    DMAGO C1, work
    DMASEV 3
    DMAEND
.channel 0x100
work:
    DMAWFE 3
    DMAEND
`);

/** DMAST with nothing loaded: st_data_unavailable, a precise fault at line 4. */
const faulting = programFile('fault.pl330', `
.channel 0x1000
    DMAMOV DAR, 0x3000
    DMAST
    DMAEND
`);

async function filters(program: string, set: DebugProtocol.SetExceptionBreakpointsArguments, extra: Record<string, unknown> = {}) {
  const dc = await client();
  const first = await launch(dc, { program, ...extra }, () => dc.setExceptionBreakpointsRequest(set));
  return { dc, first };
}

test('event filters: DMAGO, DMASEV with an event condition, DMAWFE waiting, DMAEND', async () => {
  const { dc, first } = await filters(managerProgram, { filters: ['dmago', 'wait', 'dmaend'], filterOptions: [{ filterId: 'dmasev', condition: '3' }] }, { channel: 'manager' });
  try {
    const seen: string[] = [];
    let s = first;
    for (;;) {
      seen.push(`${s.stop.body.reason}:${s.stop.body.text}@${s.frame.line}`);
      if (seen.length === 4) break;
      s = await after(dc, dc.continueRequest({ threadId: s.threadId }));
    }
    assert.deepEqual(seen, [
      'exception:DMAGO started channel 1@8',
      'exception:waiting for event 3@8',
      'exception:DMASEV 3, by DMASEV E3 at 0x00000006@5',
      'exception:channel 1 ended (DMAEND)@9',
    ]);
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: s.threadId });
    await terminated;
  } finally {
    await dc.stop();
  }
});

test('the fault filter stops at the faulting instruction; irq_abort is an interrupt filter; a condition selects the event', async () => {
  {
    const { dc, first } = await filters(faulting, { filters: ['fault'] });
    try {
      assert.equal(first.stop.body.reason, 'exception');
      assert.equal(first.stop.body.description, 'PL330 fault');
      assert.match(first.stop.body.text!, /st_data_unavailable/);
      assert.equal(first.frame.line, 4);
      const next = await after(dc, dc.continueRequest({ threadId: first.threadId }));
      assert.match(next.stop.body.text!, /nothing can run: dma0 ch0: Faulting/);
    } finally {
      await dc.stop();
    }
  }
  {
    const { dc, first } = await filters(faulting, { filters: [], filterOptions: [{ filterId: 'irq', condition: '-1' }] });
    try {
      assert.equal(first.stop.body.text, 'irq_abort raised');
    } finally {
      await dc.stop();
    }
  }
  {
    // DMASEV 0 only: a condition on another event never stops, so the program ends.
    const dc = await client();
    try {
      await launchToEnd(dc, { program: memcpy }, () => dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'dmasev', condition: '5' }] }));
    } finally {
      await dc.stop();
    }
  }
});

test('conditions over registers, hit counts and logpoints', async () => {
  const dc = await client();
  try {
    const logged: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => {
      if (e.body.source) logged.push(`${e.body.line}: ${e.body.output.trim()}`);
    });
    const first = await launch(dc, { program: memcpy }, () => dc.setBreakpointsRequest({
      source: { path: memcpy },
      breakpoints: [{ line: 13, condition: 'LC0 == 1 && SAR >= 0x2000' }, { line: 14, hitCondition: '4' }, { line: 15, logMessage: 'DAR={DAR} LC0={LC0}' }],
    }));
    assert.equal(first.frame.line, 13);
    const regs = await registers(dc, first.threadId);
    assert.equal(regs.LC0, '1');
    assert.equal(regs.SAR, '0x00002020');
    const fourth = await after(dc, dc.continueRequest({ threadId: first.threadId }));
    assert.equal(fourth.frame.line, 14);
    assert.equal((await registers(dc, fourth.threadId)).LC0, '0');
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: first.threadId });
    await terminated;
    assert.deepEqual(logged, ['15: DAR=0x00003010 LC0=3', '15: DAR=0x00003020 LC0=2', '15: DAR=0x00003030 LC0=1', '15: DAR=0x00003040 LC0=0']);
    const bad = await dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [{ line: 13, condition: 'LC0 ==' }, { line: 13, hitCondition: 'often' }] });
    assert.deepEqual(bad.body.breakpoints.map((b) => b.verified), [false, false]);
    assert.match(bad.body.breakpoints[1].message!, /hit count 'often'/);
  } finally {
    await dc.stop();
  }
});

test('instruction breakpoints on addresses and data breakpoints on DMA writes and reads', async () => {
  const dc = await client();
  try {
    let dataIds: (string | null)[] = [];
    const first = await launch(dc, { program: memcpy }, async () => {
      await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x1015' }] });
      const info = await dc.dataBreakpointInfoRequest({ name: '0x3010', bytes: 4, asAddress: true });
      const read = await dc.dataBreakpointInfoRequest({ name: '0x2030:16' });
      const nonsense = await dc.dataBreakpointInfoRequest({ name: 'somewhere' });
      dataIds = [info.body.dataId, read.body.dataId, nonsense.body.dataId];
      await dc.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }, { dataId: read.body.dataId, accessType: 'read' }] });
    });
    assert.deepEqual(dataIds, ['physical:0x3010:4', 'physical:0x2030:16', null]);
    assert.equal(first.stop.body.reason, 'instruction breakpoint');
    assert.equal(first.frame.line, 14);
    assert.equal(first.frame.instructionPointerReference, '0x00001015');
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
    const write = await after(dc, dc.continueRequest({ threadId: first.threadId }));
    assert.equal(write.stop.body.reason, 'data breakpoint');
    assert.match(write.stop.body.description!, /write of 16 byte\(s\) at 0x00003010/);
    assert.equal((await registers(dc, write.threadId)).DAR, '0x00003020');
    const read = await after(dc, dc.continueRequest({ threadId: first.threadId }));
    assert.equal(read.stop.body.reason, 'data breakpoint');
    assert.match(read.stop.body.description!, /read of 16 byte\(s\) at 0x00002030/);
  } finally {
    await dc.stop();
  }
});
