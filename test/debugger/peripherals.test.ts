// launch.json's peripheral request scripts and the security of events and peripherals (CR3/CR4): a non-secure
// channel program that waits for scripted requests runs to its breakpoint and to its end under the debugger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { after, client, launch, programFile, registers } from './support';

const rx = programFile('rx.pl330', `.channel 0x1000
    DMAMOV CCR, SB1 SS32 SAF SP2 DB1 DS32 DAI DP2
    DMAMOV DAR, 0x9000
    DMAFLUSHP P1
    DMALPFE
        DMAWFP P1, periph
        DMALDPS P1
        DMASTS
    DMALPEND
    DMASEV 3
    DMAEND
`);

test('peripheralRequests drive DMAWFP; pl330.eventsNonSecure/peripheralsNonSecure let a non-secure channel use them', async () => {
  const dc = await client();
  try {
    const stop = await launch(dc, {
      program: rx, nonSecure: true,
      pl330: { peripheralsNonSecure: [1], eventsNonSecure: '3' },
      peripheralRequests: { 1: 'single*2,last@400' },
    }, () => dc.setBreakpointsRequest({ source: { path: rx }, breakpoints: [{ line: 10 }] }));
    assert.equal(stop.frame.line, 10, JSON.stringify(stop.stop.body));
    const regs = await registers(dc, stop.threadId);
    assert.equal(regs.DAR, '0x0000900c', 'three single requests, three words stored');
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: stop.threadId });
    await terminated;
  } finally {
    await dc.stop();
  }
});

test('a secure event for a non-secure channel faults; a bad script is a clear launch error', async () => {
  const dc = await client();
  try {
    const stop = await launch(dc, { program: rx, nonSecure: true, pl330: { peripheralsNonSecure: 'all' }, peripheralRequests: { 1: 'last' } });
    assert.equal(stop.stop.body.reason, 'exception');
    assert.match(stop.stop.body.text ?? stop.stop.body.description ?? '', /ch_evnt_err/);
  } finally {
    await dc.stop();
  }
  const bad = await client();
  try {
    await bad.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path' });
    await assert.rejects(bad.launch({ program: rx, peripheralRequests: { 1: 'brust' } } as never), /'peripheralRequests\.1': 'brust' is not a request/);
  } finally {
    await bad.stop();
  }
});

test('stepping back over scripted requests and running forward again replays them (the peripheral is in the history)', async () => {
  const dc = await client();
  try {
    const stop = await launch(dc, { program: rx, nonSecure: true, pl330: { peripheralsNonSecure: 'all', eventsNonSecure: 'all' }, peripheralRequests: { 1: 'single*2,last@400' } },
      () => dc.setBreakpointsRequest({ source: { path: rx }, breakpoints: [{ line: 10 }] }));
    const t = stop.threadId;
    let back = stop;
    for (let k = 0; k < 4; k++) back = await after(dc, dc.stepBackRequest({ threadId: t }));
    assert.equal((await registers(dc, t)).DAR, '0x00009008', 'before the last store');
    const again = await after(dc, dc.continueRequest({ threadId: t }));
    assert.equal(again.frame.line, 10);
    assert.equal((await registers(dc, t)).DAR, '0x0000900c');
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: t });
    await terminated;
    assert.ok(back.frame.line < 10);
  } finally {
    await dc.stop();
  }
});
