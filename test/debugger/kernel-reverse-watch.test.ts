// Reverse continue to data breakpoint hits in kernel sessions over the Debug Adapter Protocol, on bare-metal programs
// ("who wrote this?": a watchpoint set while stopped, reverse continue lands on the writer):
// - debug/watch.c (one CPU; a loop adds 3 to `watched` on every 100th of 1000 passes): stopped in `put` after the
//   loop, a write data breakpoint on `watched` finds its last store backwards, cpu0 at the storing instruction objdump
//   lists, not yet performed (27 → 30: the register holds 30, the word 27); again, the store before it (24 → 27);
//   continued from there, the store is performed and the next hit is forward's 27 → 30. A condition on the stored
//   register is judged in the past as forward does (hit counts are not: reverse treats code breakpoints so too).
// - trace/dma-copy.c (two CPUs, DMA-330 channel 0 copying src to dst in 16-byte bursts): stopped by the DMASEV filter
//   at the copy's end, a physical write data breakpoint on dst + 20 finds the burst that wrote it backwards, on
//   dma0 ch0 right after that burst (the next burst's bytes still zero), old and new values named; again, cpu0's
//   zeroing of the BSS before main; continued, the DMA burst again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build, toolsMissing } from '../support/bare-metal';
import { nmSymbols, objdumpListing } from '../support/objdump';
import { after, client, launch, readWord, registers, root } from './support';

const skip = toolsMissing();
const VIRT = join(root, 'test', 'support', 'virt-a15.dts');
const VIRT_DMA = join(root, 'test', 'support', 'virt-a15-dma330.dts');
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

test('reverse continue to a CPU store a write data breakpoint watches: the storing instruction, not yet performed, old and new values; a condition judged in the past; forward performs it', { skip, timeout: 120_000 }, async () => {
  const elf = build('debug/watch.c');
  const watched = nmSymbols(elf).get('watched')!;
  const main = objdumpListing(elf).filter((l) => l.function === 'main');
  const store = main.find((l) => /^str r\d+, \[(r\d+|ip), #4\]$/.test(l.text) && main.some((m) => m.address === l.address - 8 && m.text.startsWith('ldr')))!;
  assert.ok(store, 'the loop adding 3 to watched: ldr, add, str');
  const storedRegister = /^str (r\d+)/.exec(store.text)![1];
  const description = (from: number, to: number): string =>
    `cpu0 writes 4 bytes at ${hex(watched)}: ${hex(from)} → ${hex(to)} (watching watched at ${hex(watched)}+4; the instruction at the PC has not completed)`;
  const dc = await client();
  try {
    let stop = await launch(dc, { kernel: elf, platform: VIRT, cpus: 1 }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'put' }] }));
    assert.equal(stop.stop.body.reason, 'function breakpoint');
    assert.equal(await readWord(dc, hex(watched)), 30, 'after the loop');
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const info = await dc.dataBreakpointInfoRequest({ name: 'watched' });
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });

    // Who wrote it last: the loop's last store, at its instruction, before it is performed.
    stop = await after(dc, dc.reverseContinueRequest({ threadId: stop.threadId }));
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    assert.equal(Number(stop.frame.instructionPointerReference), store.address, `stopped at ${store.text} in main`);
    assert.equal(stop.stop.body.description, description(27, 30));
    assert.equal(Number((await registers(dc, stop.threadId))[storedRegister]), 30, 'the register stored holds the new value');
    assert.equal(await readWord(dc, hex(watched)), 27, 'the store has not happened');

    // And before that: the store of 27.
    stop = await after(dc, dc.reverseContinueRequest({ threadId: stop.threadId }));
    assert.equal(stop.stop.body.description, description(24, 27));
    assert.equal(Number(stop.frame.instructionPointerReference), store.address);
    assert.equal(await readWord(dc, hex(watched)), 24);

    // A condition is judged where each hit was: only the store of 12 holds it.
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write', condition: `${storedRegister} == 12` }] });
    stop = await after(dc, dc.reverseContinueRequest({ threadId: stop.threadId }));
    assert.equal(stop.stop.body.description, description(9, 12));
    assert.equal(await readWord(dc, hex(watched)), 9);

    // Forward from a landing: the store is performed, the next hit is the next store.
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    stop = await after(dc, dc.continueRequest({ threadId: stop.threadId }));
    assert.equal(stop.stop.body.description, description(12, 15));
    assert.equal(Number(stop.frame.instructionPointerReference), store.address);
  } finally {
    await dc.stop();
  }
});

test('reverse continue to the DMA burst a physical data breakpoint watches: on its channel right after the burst, old and new values; before it, the CPU that zeroed the word; forward, the burst again', { skip, timeout: 120_000 }, async () => {
  const elf = build('trace/dma-copy.c');
  const dst = nmSymbols(elf).get('dst')!;
  // dst[5], in the second 16-byte burst; src[i] = 0x9e3779b9 * (i + 1).
  const target = dst + 20;
  const expected = Math.imul(0x9e3779b9, 6) >>> 0;
  const dc = await client();
  try {
    let stop = await launch(dc, { kernel: elf, platform: VIRT_DMA, cpus: 2, stopOnEntry: true });
    const cpu0 = stop.threadId;
    await dc.setExceptionBreakpointsRequest({ filters: ['dmasev'] });
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.match(stop.stop.body.text ?? '', /^DMASEV 0/);
    assert.equal(await readWord(dc, `phys:${hex(target)}`), expected, 'the copy is done');

    const info = await dc.dataBreakpointInfoRequest({ name: 'phys:dst + 20' });
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    stop = await after(dc, dc.reverseContinueRequest({ threadId: cpu0 }));
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    const threads = (await dc.threadsRequest()).body.threads;
    assert.equal(threads.find((t) => t.id === stop.threadId)?.name, 'dma0 ch0');
    const burst = `dma0 ch0 writes 16 bytes at physical ${hex(dst + 16)}; dst + 20 at ${hex(target)}+4: 0x00000000 → ${hex(expected)}`;
    assert.equal(stop.stop.body.description, burst);
    assert.match(stop.frame.name, /^DMA(ST|LPEND)\b/, `the channel at its store or the loop's end: ${stop.frame.name}`);
    assert.equal(await readWord(dc, `phys:${hex(target)}`), expected, 'the burst is written');
    assert.equal(await readWord(dc, `phys:${hex(dst + 32)}`), 0, 'the next one not yet');
    const burstPc = stop.frame.instructionPointerReference;

    // Before the copy: the start-up code zeroing the BSS (a physical watchpoint sees the CPUs too).
    stop = await after(dc, dc.reverseContinueRequest({ threadId: stop.threadId }));
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    assert.equal(stop.threadId, cpu0);
    assert.match(stop.stop.body.description ?? '', new RegExp(`^cpu0 writes \\d bytes at 0x[0-9a-f]{8} \\(physical 0x[0-9a-f]{8}\\): 0x0+ → 0x0+ \\(watching dst \\+ 20 at ${hex(target)}\\+4;`));

    // Forward: the CPU's store performed, the burst again, the machine where it was.
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.equal(stop.stop.body.description, burst);
    assert.equal(stop.frame.instructionPointerReference, burstPc);
    assert.equal(await readWord(dc, `phys:${hex(dst + 32)}`), 0);
  } finally {
    await dc.stop();
  }
});
