import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, client, launch, programFile, registers, root } from './support';

const platform = join(root, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts');
/** The memcpy in the platform's RAM (at 0x80000000). */
const program = programFile('ram-memcpy.pl330', `
.channel 0x80001000
    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI
    DMAMOV SAR, 0x80002000
    DMAMOV DAR, 0x80003000
    DMALP 2
        DMALD
        DMAST
    DMALPEND
    DMAEND
`);

test('platform: every DMAC of the devicetree has its threads, the SMMU has a scope, smmu walk translates', async () => {
  const dc = await client();
  try {
    const stop = await launch(dc, { program, platform, dmac: 1, memory: [{ address: '0x80002000', length: 32, pattern: 'ramp' }] },
      () => dc.setBreakpointsRequest({ source: { path: program }, breakpoints: [{ line: 10 }] }));
    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    assert.equal(threads.length, 4 * 9);
    assert.equal(threads[stop.threadId - 1], 'dma1 ch0');
    assert.equal(stop.frame.line, 10);
    const copied = await dc.customRequest('readMemory', { memoryReference: '0x80003000', count: 32 });
    assert.deepEqual([...Buffer.from(copied.body.data, 'base64')], Array.from({ length: 32 }, (_, i) => i));
    const scopes = (await dc.scopesRequest({ frameId: stop.threadId })).body.scopes;
    assert.equal(scopes.length, 3);
    const smmu = await dc.variablesRequest({ variablesReference: scopes[2].variablesReference });
    const byName = Object.fromEntries(smmu.body.variables.map((v) => [v.name, v]));
    assert.match(byName.sCR0.value, /^0x00000001/);
    assert.ok(byName.CB0);
    const walk = await dc.evaluateRequest({ expression: 'smmu walk SAR', frameId: stop.threadId, context: 'repl' });
    assert.match(walk.body.result, /^IOVA 0x80002020 -> PA 0x80002020 \(.*stream 1/);
  } finally {
    await dc.stop();
  }
});

test('platform: an SMMU fault stops the session on the faulting channel; the SMMU registers show it', async () => {
  // sCR0: translation on (CLIENTPD clear) and unmatched streams fault (USFCFG): the first fetch faults.
  const scr0 = programFile('scr0.bin', '');
  writeFileSync(scr0, Buffer.from([0x00, 0x04, 0x00, 0x00]));
  const dc = await client();
  try {
    const stop = await launch(dc, { program, platform, dmac: 2, memory: [{ address: '0x2b400000', file: scr0 }] });
    assert.equal(stop.stop.body.description, 'SMMU translation fault');
    assert.match(stop.stop.body.text!, /^USF fault in global space: read at IOVA 0x80001000 \(stream 2/);
    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    assert.equal(threads[stop.threadId - 1], 'dma2 ch0');
    assert.match((await registers(dc, stop.threadId)).CSR, /Faulting/);
    const walk = await dc.evaluateRequest({ expression: 'smmu walk 0x80002000', frameId: stop.threadId, context: 'repl' });
    assert.match(walk.body.result, /USF fault in global space/);
    const scopes = (await dc.scopesRequest({ frameId: stop.threadId })).body.scopes;
    const smmu = await dc.variablesRequest({ variablesReference: scopes[2].variablesReference });
    assert.match(smmu.body.variables.find((v) => v.name === 'sGFSR')!.value, /^0x00000002/);
    const back = await after(dc, dc.stepBackRequest({ threadId: stop.threadId }));
    assert.equal(back.frame.line, 3);
  } finally {
    await dc.stop();
  }
});
