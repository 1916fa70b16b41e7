import { test } from 'node:test';
import assert from 'node:assert/strict';
import { after, client, launch, memcpy, registers } from './support';

test('launch, threads named per DMAC, line breakpoints verified and moved, hit at the right lines', async () => {
  const dc = await client();
  try {
    let bps: { verified: boolean; line?: number }[] = [];
    const first = await launch(dc, { program: memcpy }, async () => {
      const r = await dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [{ line: 6 }, { line: 13 }, { line: 40 }] });
      bps = r.body.breakpoints;
    });
    assert.deepEqual(bps.map((b) => [b.verified, b.line]), [[true, 9], [true, 13], [false, 40]]);
    assert.equal(first.stop.body.reason, 'breakpoint');
    assert.equal(first.frame.line, 9);
    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    assert.deepEqual(threads, ['dma0 manager', ...Array.from({ length: 8 }, (_, n) => `dma0 ch${n}`)]);
    assert.equal(threads[first.threadId - 1], 'dma0 ch0');
    const second = await after(dc, dc.continueRequest({ threadId: first.threadId }));
    assert.equal(second.frame.line, 13);
    assert.match(second.frame.name, /^DMALD/);
    const regs = await registers(dc, second.threadId);
    assert.equal(regs.LC0, '3');
    assert.equal(regs.SAR, '0x00002000');
    const third = await after(dc, dc.continueRequest({ threadId: 1 }));
    assert.equal(third.frame.line, 13);
    assert.equal((await registers(dc, third.threadId)).LC0, '2');
  } finally {
    await dc.stop();
  }
});

test('stop on entry, step over and in, step out of the loop, variables decoded, clean end of session', async () => {
  const dc = await client();
  try {
    const entry = await launch(dc, { program: memcpy, stopOnEntry: true, memory: [{ address: '0x2000', length: 64, pattern: 'ramp' }] });
    assert.equal(entry.stop.body.reason, 'entry');
    assert.equal(entry.frame.line, 9);
    const t = entry.threadId;
    const lines: number[] = [];
    for (let k = 0; k < 4; k++) {
      const s = await after(dc, k % 2 ? dc.stepInRequest({ threadId: t }) : dc.nextRequest({ threadId: t }));
      assert.equal(s.stop.body.reason, 'step');
      lines.push(s.frame.line);
    }
    assert.deepEqual(lines, [10, 11, 12, 13]);
    const regs = await registers(dc, t);
    assert.match(regs.CSR, /Executing/);
    assert.match(regs.CCR, /^0x000d4035 \(SB4 SS32 SAI .*DB4 DS32 DAI/);
    assert.equal(regs.DAR, '0x00003000');
    assert.equal(regs.MFIFO, '0 byte(s) held');
    const out = await after(dc, dc.stepOutRequest({ threadId: t }));
    assert.equal(out.frame.line, 16);
    assert.equal((await registers(dc, t)).SAR, '0x00002040');
    const scopes = await dc.scopesRequest({ frameId: t });
    assert.deepEqual(scopes.body.scopes.map((s) => s.name), ['dma0 ch0', 'dma0 registers']);
    const global = await dc.variablesRequest({ variablesReference: scopes.body.scopes[1].variablesReference });
    const byName = Object.fromEntries(global.body.variables.map((v) => [v.name, v]));
    assert.match(byName.DSR.value, /Stopped/);
    assert.match(byName.CR0.value, /^0x001e3071/);
    const fields = await dc.variablesRequest({ variablesReference: byName.CR0.variablesReference });
    assert.ok(fields.body.variables.some((v) => v.name === 'num_chnls' && v.value.startsWith('7')));
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: t });
    await terminated;
    await dc.disconnectRequest({});
  } finally {
    await dc.stop();
  }
});
