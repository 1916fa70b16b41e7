import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { after, client, launch, memcpy } from './support';

test('readMemory, writeMemory, disassembly with source lines, evaluate registers, symbols and memory', async () => {
  const dc = await client();
  try {
    const stop = await launch(dc, { program: memcpy, memory: [{ address: '0x2000', length: 64, pattern: 'ramp' }, { address: 0x3038, length: 4, fill: 0xee }] },
      () => dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [{ line: 15 }] }));
    const t = stop.threadId;
    const read = await dc.customRequest('readMemory', { memoryReference: '0x2000', offset: 4, count: 8 }) as DebugProtocol.ReadMemoryResponse;
    assert.equal(read.body!.address, '0x00002004');
    assert.deepEqual([...Buffer.from(read.body!.data!, 'base64')], [4, 5, 6, 7, 8, 9, 10, 11]);
    const copied = await dc.customRequest('readMemory', { memoryReference: '0x3000', count: 16 });
    assert.deepEqual([...Buffer.from(copied.body.data, 'base64')], Array.from({ length: 16 }, (_, i) => i));
    const untouched = await dc.customRequest('readMemory', { memoryReference: '0x3038', count: 4 });
    assert.deepEqual([...Buffer.from(untouched.body.data, 'base64')], [0xee, 0xee, 0xee, 0xee]);

    const evaluate = async (expression: string, context = 'repl') => (await dc.evaluateRequest({ expression, frameId: t, context })).body.result;
    assert.equal(await evaluate('*(u32 *)0x2004'), '0x07060504');
    assert.equal(await evaluate('*(u8 *)(SAR - 1)'), '15');
    assert.equal(await evaluate('LC0 + 1'), '4');
    assert.equal(await evaluate('DST', 'hover'), '0x00003000');
    assert.equal(await evaluate('DAR == DST + 16'), '1');
    assert.equal(await evaluate('CSR0 & 15'), '1');
    await assert.rejects(dc.evaluateRequest({ expression: 'NOSUCH + 1', frameId: t, context: 'repl' }), /unknown name 'NOSUCH'/);
    await assert.rejects(dc.evaluateRequest({ expression: 'smmu walk 0x1000', frameId: t, context: 'repl' }), /no SMMU/);

    const written = await dc.customRequest('writeMemory', { memoryReference: '0x2010', data: Buffer.from([0xaa, 0xbb]).toString('base64') });
    assert.equal(written.body.bytesWritten, 2);
    assert.equal(await evaluate('*(u16 *)0x2010'), '0x0000bbaa');

    const dis = await dc.customRequest('disassemble', { memoryReference: '0x1012', instructionOffset: -2, instructionCount: 5 }) as DebugProtocol.DisassembleResponse;
    assert.deepEqual(dis.body!.instructions.map((i) => [i.address, i.instruction, i.line]), [
      ['0x00001006', 'DMAMOV SAR, 0x00002000', 10],
      ['0x0000100c', 'DMAMOV DAR, 0x00003000', 11],
      ['0x00001012', 'DMALP LC0, 4', 12],
      ['0x00001014', 'DMALD', 13],
      ['0x00001015', 'DMAST', 14],
    ]);
    assert.equal(dis.body!.instructions[2].instructionBytes, '20 03');

    await dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [] });
    const end = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: t });
    await end;
  } finally {
    await dc.stop();
  }
});

test('trace: the debug console shows instructions and bus transfers', async () => {
  const dc = await client();
  try {
    const lines: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => lines.push(e.body.output));
    const stop = await launch(dc, { program: memcpy, trace: true, stopOnEntry: true });
    await after(dc, dc.nextRequest({ threadId: stop.threadId }));
    await after(dc, dc.nextRequest({ threadId: stop.threadId }));
    assert.ok(lines.some((l) => /channel 0 0x00001000: DMAMOV CCR/.test(l)), lines.join(''));
    assert.ok(lines.some((l) => /fetch 0x00001000/.test(l)), lines.join(''));
  } finally {
    await dc.stop();
  }
});
