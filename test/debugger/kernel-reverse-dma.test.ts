// Reverse execution of the whole machine in a kernel session over the Debug Adapter Protocol, on a bare-metal driver:
// trace/dma-copy.c on virt-a15-dma330.dts with two CPUs (cpu0 starts channel 1 waiting for event 0, starts cpu1 with
// PSCI CPU_ON, starts channel 0 copying a buffer in a loop of DMALD/DMAST bursts that ends with DMASEV 0; cpu1 polls
// channel 1 and leaves with CPU_OFF). The DMASEV filter stops the machine at the copy's end; channel 0 steps back
// through its microcode in reverse (DMASEV, DMAWMB, the loop's last DMALPEND, DMAST, DMALD, DMALPEND...), its loop
// counter counting back up; a function breakpoint on psci set then is found by reverse continue inside the run (cpu0's
// CPU_ON call, before the copy started), and continuing from there meets the same DMASEV, then cpu1's CPU_OFF call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build, toolsMissing } from '../support/bare-metal';
import { after, client, launch, registers, root } from './support';

const skip = toolsMissing();
const VIRT_DMA = join(root, 'test', 'support', 'virt-a15-dma330.dts');
const PSCI_CPU_ON = 0x84000003;
const PSCI_CPU_OFF = 0x84000002;

test('a bare-metal DMA copy in reverse: channel 0 steps back from its DMASEV through its loop (LC0 counting back up), reverse continue finds a breakpoint hit inside the run, forward again the same DMASEV', { skip, timeout: 120_000 }, async () => {
  const elf = build('trace/dma-copy.c');
  const dc = await client();
  try {
    let stop = await launch(dc, { kernel: elf, platform: VIRT_DMA, cpus: 2, stopOnEntry: true });
    const cpu0 = stop.threadId;
    await dc.setExceptionBreakpointsRequest({ filters: ['dmasev'] });
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.equal(stop.stop.body.reason, 'exception');
    assert.match(stop.stop.body.text ?? '', /^DMASEV 0/);
    const channel = (await dc.threadsRequest()).body.threads.find((t) => t.id === stop.threadId)!;
    assert.equal(channel.name, 'dma0 ch0');
    const sev = stop;
    const pcs = async () => Promise.all([cpu0, cpu0 + 1].map(async (threadId) => (await dc.stackTraceRequest({ threadId })).body.stackFrames[0].instructionPointerReference));
    const sevCpus = await pcs();

    // Back through the microcode: each step back one instruction of the channel.
    const names: string[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 7; i++) {
      stop = await after(dc, dc.stepBackRequest({ threadId: channel.id }));
      assert.equal(stop.stop.body.reason, 'step');
      assert.equal(stop.threadId, channel.id);
      names.push(stop.frame.name.split(' ')[0]);
      counts.push(Number((await registers(dc, channel.id)).LC0));
    }
    assert.deepEqual(names, ['DMASEV', 'DMAWMB', 'DMALPEND', 'DMAST', 'DMALD', 'DMALPEND', 'DMAST'], names.join(' '));
    // DMALPEND decrements LC0 when it loops back: before the last one LC0 is 0, before the one before it 1.
    assert.deepEqual([counts[2], counts[5]], [0, 1], `LC0 ${counts.join(' ')}`);

    // A breakpoint set now, hit before the copy: reverse continue searches the run back for it.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'psci' }] });
    stop = await after(dc, dc.reverseContinueRequest({ threadId: channel.id }));
    assert.equal(stop.stop.body.reason, 'function breakpoint');
    assert.equal(stop.threadId, cpu0);
    assert.match(stop.frame.name, /^psci/);
    assert.equal(Number((await registers(dc, cpu0)).r0), PSCI_CPU_ON, "cpu0's CPU_ON call");
    assert.match((await dc.stackTraceRequest({ threadId: channel.id })).body.stackFrames[0].name, /\(Stopped\)$/, 'channel 0 not started yet');

    // Forward: the same DMASEV, the machine as it was there; then cpu1's CPU_OFF.
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.equal(stop.stop.body.text, sev.stop.body.text);
    assert.equal(stop.frame.instructionPointerReference, sev.frame.instructionPointerReference);
    assert.deepEqual(await pcs(), sevCpus, 'both CPUs where they were at the DMASEV');
    stop = await after(dc, dc.continueRequest({ threadId: cpu0 }));
    assert.equal(stop.stop.body.reason, 'function breakpoint');
    assert.equal(stop.threadId, cpu0 + 1, 'cpu1');
    assert.equal(Number((await registers(dc, stop.threadId)).r0), PSCI_CPU_OFF);

    // Reverse continue from there: the DMASEV stop (its filter still ticked) is the latest.
    stop = await after(dc, dc.reverseContinueRequest({ threadId: cpu0 }));
    assert.equal(stop.stop.body.text, sev.stop.body.text);
    assert.equal(stop.frame.instructionPointerReference, sev.frame.instructionPointerReference);
  } finally {
    await dc.stop();
  }
});
