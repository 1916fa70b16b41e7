// A guest kernel's DMA over the Debug Adapter Protocol: Debian's 6.1 kernel launched as a guest given 2c0a0000.dma
// (`passthrough`, dmalab its hypervisor) with the Test Case 2 initramfs, whose /test runs dmatest on the DMAC's
// channels and then dma_outside.ko's copy outside the guest's RAM. The "channel started" filter stops the whole
// machine at the guest dma-pl330's DMAGO: the DMA thread lists the microcode the driver wrote, the channel's
// registers are in Variables, each buffer address as the DMAC issues it (an IPA) and where the SMMU's stage 2 sends
// it (host physical, the guest's RAM held at host 0xe0000000). The DMAC steps instruction by instruction while the
// CPU stays where it stopped. Then the SMMU-fault filter stops the machine at dma_outside's write to IPA 0xa0000000,
// the first address past the guest's RAM (an IPA: the stage 2 context), and `smmu walk` explains the fault. Reverse:
// the faulting channel steps back to the DMAST whose write faulted (DAR the faulting address, CB0.FSR still clear),
// reverse continue with the "channel started" filter lands on the DMAGO that started the channel, and continuing
// from there faults again at the same place (the re-execution from checkpoints is deterministic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GUEST } from '../support/debian-kernel';
import { client, launch } from './support';

const IMAGE = join(GUEST, 'Image');
const INITRD = join(GUEST, 'test-case-2-guest.cpio.gz');
const skip = existsSync(IMAGE) && existsSync(INITRD) ? false : `${INITRD} is missing (examples/guest/build-dmatest-6.1.sh could not build it)`;
/** The hypervisor's layout: guest RAM 0x80000000-0x9fffffff is host 0xe0000000-0xffffffff. */
const GUEST_RAM = { base: 0x80000000, size: 0x20000000, host: 0xe0000000 };
const BOOT_TIMEOUT = 300_000;

const value = (vars: readonly DebugProtocol.Variable[], name: string): DebugProtocol.Variable => {
  const v = vars.find((x) => x.name === name);
  assert.ok(v, `${name} among ${vars.map((x) => x.name).join(', ')}`);
  return v;
};

test("a guest's DMA (passthrough 2c0a0000.dma, Test Case 2's initramfs): the 'channel started' filter stops the machine at dmatest's DMAGO, the channel's registers with each buffer address through the SMMU's stage 2, the DMAC stepped while the CPU stays; the SMMU-fault filter stops at dma_outside's write to 0xa0000000, which `smmu walk` explains; step back to its DMAST, reverse continue to its DMAGO, forward to the same fault", { skip, timeout: 600_000 }, async () => {
  const dc = await client();
  try {
    const console: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => console.push(e.body.output));
    const top = async (threadId: number) => (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
    const waitStop = () => (dc.waitForEvent('stopped', BOOT_TIMEOUT) as Promise<DebugProtocol.StoppedEvent>)
      .catch((error: Error) => assert.fail(`${error.message}; the console:\n${console.join('')}`));
    const stop = await launch(dc, { kernel: IMAGE, initrd: INITRD, append: 'console=ttyAMA0 cryptomgr.notests=1', cpus: 1, passthrough: ['2c0a0000.dma'], stopOnEntry: true });
    assert.equal(stop.stop.body.reason, 'entry');
    const cpu0 = stop.threadId;

    // The guest's dma-pl330 starts a channel (dmatest's first copy): the whole machine stops.
    await dc.setExceptionBreakpointsRequest({ filters: ['dmago'] });
    let started = waitStop();
    await dc.continueRequest({ threadId: cpu0 });
    const event = await started;
    assert.equal(event.body.reason, 'exception');
    assert.equal(event.body.allThreadsStopped, true);
    assert.match(event.body.text ?? '', /DMAGO started channel \d/);
    assert.match(console.join(''), /dma-pl330 c000000\.dma: Loaded driver for PL330 DMAC/, 'the guest driver probed the passed-through DMAC');
    const channel = (await dc.threadsRequest()).body.threads.find((t) => t.id === event.body.threadId)!;
    assert.match(channel.name, /^dma\d ch\d$/);
    const n = channel.name.slice(-1);
    const cpuAt = (await top(cpu0)).instructionPointerReference;

    // The microcode the driver wrote, disassembled at its address (an IPA: the DMAC fetches it through the stage 2).
    const frame = await top(channel.id);
    assert.ok(frame.source?.sourceReference, "the microcode listing is the thread's source");
    const listing = (await dc.sourceRequest({ source: frame.source, sourceReference: frame.source.sourceReference })).body.content;
    // A memory-to-memory copy as pl330.c writes it: channel control, the addresses, a loop of bursts, the end.
    for (const op of [/DMAMOV\s+CCR/, /DMAMOV\s+SAR/, /DMAMOV\s+DAR/, /DMALP/, /DMALD/, /DMAST/, /DMALPEND/, /DMAEND/]) assert.match(listing, op, listing);
    const start = Number(frame.instructionPointerReference);
    assert.ok(start >= GUEST_RAM.base && start < GUEST_RAM.base + GUEST_RAM.size, `microcode at IPA 0x${start.toString(16)}, in the guest's RAM`);
    assert.match(listing, new RegExp(`^\\s+DMAMOV CCR, .*; 0x${start.toString(16).padStart(8, '0')}: bc 01`, 'm'), "the listing at the microcode's address");

    // Only an executing channel steps: one clear error for the manager or a stopped channel (a host DMAC's).
    const threads = (await dc.threadsRequest()).body.threads;
    await assert.rejects(dc.nextRequest({ threadId: threads.find((t) => t.name === 'dma0 manager')!.id, granularity: 'instruction' }), /dma0 manager runs only .*: step a channel/);
    await assert.rejects(dc.nextRequest({ threadId: threads.find((t) => t.name === 'dma1 ch0')!.id, granularity: 'instruction' }), /dma1 ch0 is not executing \(Stopped\): continue the machine/);
    assert.equal(Number((await top(channel.id)).instructionPointerReference), start, 'a refused step runs nothing');

    // The DMAC runs alone, one instruction per step, until the channel has its addresses and starts its loop.
    const registers = async () => {
      const scopes = (await dc.scopesRequest({ frameId: (await top(channel.id)).id })).body.scopes;
      assert.equal(scopes[0].name, channel.name);
      return (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    };
    let pc = start;
    const visited: string[] = [];
    for (let i = 0; i < 8 && !/^DMALP/.test(visited.at(-1) ?? ''); i++) {
      const stepped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await dc.nextRequest({ threadId: channel.id, granularity: 'instruction' });
      const s = await stepped;
      assert.equal(s.body.reason, 'step');
      assert.equal(s.body.threadId, channel.id);
      const at = await top(channel.id);
      assert.ok(Number(at.instructionPointerReference) > pc, `${at.name} after 0x${pc.toString(16)}`);
      pc = Number(at.instructionPointerReference);
      visited.push(at.name);
      assert.equal((await top(cpu0)).instructionPointerReference, cpuAt, 'the CPU stays stopped while the DMAC steps');
    }
    assert.match(visited.at(-1) ?? '', /^DMALP/, visited.join(' | '));

    // The channel's registers; each buffer address as the DMAC issues it and where the stage 2 sends it.
    const vars = await registers();
    for (const name of ['CSR', 'PC', 'SAR', 'DAR', 'CCR', 'LC0', 'LC1']) value(vars, name);
    assert.equal(value(vars, 'PC').evaluateName, `CPC${n}`);
    assert.equal(Number(value(vars, 'PC').value), pc);
    assert.match(value(vars, 'CCR').value, /SB\d+ SS\d+/);
    for (const name of ['SAR', 'DAR']) {
      const v = value(vars, name);
      const m = /^(0x[0-9a-f]{8}) \(IPA\) -> PA (0x[0-9a-f]+) \(.*iommu.*context bank 0\)$/.exec(v.value);
      assert.ok(m, `${name} = ${v.value}`);
      const ipa = Number(m[1]);
      assert.ok(ipa >= GUEST_RAM.base && ipa < GUEST_RAM.base + GUEST_RAM.size, `${name} ${m[1]} in the guest's RAM`);
      assert.equal(Number(m[2]), ipa - GUEST_RAM.base + GUEST_RAM.host, `${name}: the guest's RAM held at host 0xe0000000`);
      assert.equal(v.memoryReference, m[1]);
    }
    const evaluated = (await dc.evaluateRequest({ expression: 'SAR', frameId: (await top(channel.id)).id, context: 'watch' })).body.result;
    assert.equal(Number(evaluated.split(' ')[0]), Number(value(vars, 'SAR').value.split(' ')[0]));

    // Continued: the copies run; dma_outside's copy to the first address past the guest's RAM faults in the stage 2.
    await dc.setExceptionBreakpointsRequest({ filters: ['smmu-fault'] });
    const faulted = waitStop();
    await dc.continueRequest({ threadId: channel.id });
    const fault = await faulted;
    assert.equal(fault.body.reason, 'exception');
    assert.equal(fault.body.allThreadsStopped, true);
    assert.equal(fault.body.description, 'SMMU translation fault');
    // The DMAC's stream has a stage 2 context: the address it issued is an IPA (the guest's physical address).
    assert.match(fault.body.text ?? '', /fault in context bank 0: write at IPA 0xa0000000 \(stream 0,/);
    assert.match(console.join(''), /== dmatest done/, 'dmatest ran to its end before the isolation test');
    const faulting = (await dc.threadsRequest()).body.threads.find((t) => t.id === fault.body.threadId)!;
    assert.match(faulting.name, /^dma\d ch\d$/);
    // The channel faulted imprecisely, its PC past the DMAST whose write the SMMU stopped.
    const faultFrame = await top(faulting.id);
    assert.match(faultFrame.name, /\(Faulting: data_write_err /);
    const faultListing = (await dc.sourceRequest({ source: faultFrame.source, sourceReference: faultFrame.source!.sourceReference! })).body.content;
    assert.match(faultListing, /DMAST/);
    const walk = (await dc.evaluateRequest({ expression: 'smmu walk 0xa0000000 write', frameId: (await top(faulting.id)).id, context: 'repl' })).body.result;
    assert.match(walk.split('\n')[0], /^IOVA 0xa0000000: \S+ fault at level \d in context bank 0 \(.*stream 0 .*; write\)$/, walk);
    assert.match(walk, /stage 2/);
    const inRam = (await dc.evaluateRequest({ expression: 'smmu walk 0x9ffff000 write', frameId: (await top(faulting.id)).id, context: 'repl' })).body.result;
    assert.match(inRam.split('\n')[0], /^IOVA 0x9ffff000 -> PA 0xfffff000 /, 'the last page of the guest\'s RAM translates');

    // Reverse from the fault: the faulting channel steps back to the DMAST whose write the SMMU stopped, before the
    // fault was recorded; the whole machine with it (the CPU too, whatever it ran since).
    // The SMMU's context bank 0: its FSR and FAR (the hypervisor's handler clears the FSR as soon as the fault's
    // interrupt rises, as arm-smmu does; the FAR keeps the address).
    const bank0 = async (threadId: number) => {
      const scopes = (await dc.scopesRequest({ frameId: (await top(threadId)).id })).body.scopes;
      const smmu = scopes.find((x) => x.name.endsWith('(SMMU)'))!;
      const cb0 = value((await dc.variablesRequest({ variablesReference: smmu.variablesReference })).body.variables, 'CB0');
      const registers = (await dc.variablesRequest({ variablesReference: cb0.variablesReference })).body.variables;
      return { fsr: Number(value(registers, 'FSR').value.split(' ')[0]), far: Number(value(registers, 'FAR').value.split(' ')[0]) };
    };
    assert.equal((await bank0(faulting.id)).far, 0xa0000000, 'the fault recorded in CB0.FAR');
    assert.match(console.join(''), /Unhandled context fault: fsr=0x[0-9a-f]+, iova=0xa0000000/, "the hypervisor's arm-smmu handled the fault");
    const faultCpuAt = (await top(cpu0)).instructionPointerReference;
    const manager = (await dc.threadsRequest()).body.threads.find((t) => t.name === 'dma0 manager')!.id;
    await assert.rejects(dc.stepBackRequest({ threadId: manager }), /dma0 manager runs only the DMAGO\/DMAKILL the driver writes: step back a channel/);
    const back: string[] = [];
    for (let i = 0; i < 4 && !/^DMAST/.test(back.at(-1) ?? ''); i++) {
      const stepped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await dc.stepBackRequest({ threadId: faulting.id });
      const s = await stepped;
      assert.equal(s.body.reason, 'step');
      assert.equal(s.body.threadId, faulting.id);
      back.push((await top(faulting.id)).name);
    }
    assert.match(back.at(-1) ?? '', /^DMAST/, `stepped back over ${back.join(' | ')}`);
    const dmast = await top(faulting.id);
    assert.match(dmast.name, /\((Executing|Cache miss)\)$/, 'the channel runs: it has not faulted yet');
    const dmastListing = (await dc.sourceRequest({ source: dmast.source, sourceReference: dmast.source!.sourceReference! })).body.content;
    const dmastLine = dmastListing.split('\n')[dmast.line - 1];
    assert.match(dmastLine, new RegExp(`DMAST.*; 0x${Number(dmast.instructionPointerReference).toString(16).padStart(8, '0')}:`), 'the frame on the DMAST in the listing at its address');
    assert.deepEqual(await bank0(faulting.id), { fsr: 0, far: 0 }, 'no fault recorded in CB0 yet (FSR and FAR clear)');
    const dar = value((await dc.variablesRequest({ variablesReference: (await dc.scopesRequest({ frameId: dmast.id })).body.scopes[0].variablesReference })).body.variables, 'DAR');
    assert.equal(Number(dar.value.split(' ')[0]), 0xa0000000, `DAR = ${dar.value}`);
    assert.match(dar.value, /fault/, 'DAR shown as the stage 2 faults it');
    // One more back (the channel's load before it), then forward to the DMAST again.
    for (const [request, op] of [[() => dc.stepBackRequest({ threadId: faulting.id }), /^DMALD/], [() => dc.nextRequest({ threadId: faulting.id, granularity: 'instruction' }), /^DMAST/]] as const) {
      const stepped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await request();
      assert.equal((await stepped).body.reason, 'step');
      assert.match((await top(faulting.id)).name, op);
    }
    assert.equal((await top(faulting.id)).instructionPointerReference, dmast.instructionPointerReference);

    // Reverse continue with the "channel started" filter: back to the DMAGO the guest's driver issued for this copy.
    await dc.setExceptionBreakpointsRequest({ filters: ['dmago', 'smmu-fault'] });
    const reversed = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.reverseContinueRequest({ threadId: faulting.id });
    const go = await reversed;
    assert.equal(go.body.reason, 'exception');
    assert.equal(go.body.threadId, faulting.id, 'the DMAGO started the channel that faulted');
    assert.match(go.body.text ?? '', new RegExp(`DMAGO started channel ${faulting.name.slice(-1)}`));
    const first = await top(faulting.id);
    assert.match(first.name, /^DMAMOV CCR/, 'the channel at its first instruction');
    assert.ok(Number(first.instructionPointerReference) < Number(dmast.instructionPointerReference), 'the microcode starts before the DMAST');
    const goCpuAt = (await top(cpu0)).instructionPointerReference;
    assert.notEqual(goCpuAt, faultCpuAt, 'the CPU went back too: it issued the DMAGO');
    // A DMA step from there and back: the machine as it was.
    for (const request of [() => dc.nextRequest({ threadId: faulting.id, granularity: 'instruction' }), () => dc.stepBackRequest({ threadId: faulting.id })]) {
      const stepped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await request();
      assert.equal((await stepped).body.reason, 'step');
    }
    assert.equal((await top(faulting.id)).instructionPointerReference, first.instructionPointerReference, 'stepped back to the first instruction');
    assert.equal((await top(cpu0)).instructionPointerReference, goCpuAt);

    // Forward again: the same copy faults the same way (the re-execution is deterministic).
    const again = dc.waitForEvent('stopped', BOOT_TIMEOUT) as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: cpu0 });
    const refault = await again;
    assert.equal(refault.body.description, 'SMMU translation fault');
    assert.equal(refault.body.text, fault.body.text);
    assert.equal(refault.body.threadId, fault.body.threadId);
    assert.equal((await top(faulting.id)).instructionPointerReference, faultFrame.instructionPointerReference);
    assert.equal((await top(cpu0)).instructionPointerReference, faultCpuAt, 'the CPU where it was at the fault');
  } finally {
    await dc.stop();
  }
});
