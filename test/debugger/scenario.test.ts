// A launch configuration with `scenario` runs the VFIO_PLATFORM guide's VFIO test in the session: steps on the console, PASS or
// FAIL as the exit code; and the microcode it starts can be debugged: event filters, stepping, variables, smmu walk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { join } from 'node:path';
import { disassemble } from '../../emulator/pl330/disasm';
import { DEFAULTS, DEFAULT_UNMAPPED_IOVA, copyMicrocode } from '../../scenarios/vfio-test-case-1';
import { QEMU_VIRT_LAYOUT } from '../../scenarios/vmm';
import { Stop, after, client, launch, launchToEnd, registers, root } from './support';

async function runScenario(args: Record<string, unknown>, configure?: (dc: DebugClient) => Promise<void>): Promise<{ output: string; exitCode: number; stops: number }> {
  const dc = await client();
  try {
    let output = '';
    let stops = 0;
    dc.on('output', (e: DebugProtocol.OutputEvent) => (output += e.body.output));
    // As a user would: continue at every stop the editor's breakpoints and filters cause.
    dc.on('stopped', (e: DebugProtocol.StoppedEvent) => {
      stops++;
      void dc.continueRequest({ threadId: e.body.threadId! });
    });
    const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
    await launchToEnd(dc, args, configure && (() => configure(dc)));
    return { output, exitCode: (await exited).body.exitCode, stops };
  } finally {
    await dc.stop();
  }
}

/** The IOVA of the first instruction of the scenario's microcode whose text starts with `mnemonic`. */
function microcodeAddress(destination: number, mnemonic: string): number {
  const bytes = copyMicrocode(DEFAULTS.sourceIova, destination, DEFAULTS.bytes);
  return disassemble(bytes, { base: DEFAULTS.codeIova, thread: 'channel' }).lines.find((l) => l.text.startsWith(mnemonic))!.address;
}

/** The listing line a frame shows (the source is served by reference). */
async function frameText(dc: DebugClient, frame: DebugProtocol.StackFrame): Promise<string> {
  const source = await dc.sourceRequest({ source: frame.source!, sourceReference: frame.source!.sourceReference! });
  return source.body.content.split('\n')[frame.line - 1];
}

async function threadName(dc: DebugClient, threadId: number): Promise<string> {
  return (await dc.threadsRequest()).body.threads.find((t) => t.id === threadId)!.name;
}

/** Continues to the end of the scenario: its last line and its exit code. */
async function continueToEnd(dc: DebugClient, stop: Stop, output: () => string): Promise<number> {
  const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
  const terminated = dc.waitForEvent('terminated');
  await dc.continueRequest({ threadId: stop.threadId });
  const code = (await exited).body.exitCode;
  await terminated;
  assert.match(output(), /\nPASS\n$/);
  return code;
}

async function scenarioClient(): Promise<{ dc: DebugClient; output: () => string }> {
  const dc = await client();
  let text = '';
  dc.on('output', (e: DebugProtocol.OutputEvent) => (text += e.body.output));
  return { dc, output: () => text };
}

test('the VFIO Test Case 1 scenario runs to PASS inside a debug session, with the editor\'s breakpoints set', async () => {
  const { output, exitCode, stops } = await runScenario({ scenario: 'vfio-test-case-1' }, async (dc) => {
    const lines = await dc.setBreakpointsRequest({ source: { path: join(root, 'examples', 'pl330', 'memcpy.pl330') }, breakpoints: [{ line: 13 }] });
    assert.equal(lines.body.breakpoints[0].verified, false);
    await dc.setExceptionBreakpointsRequest({ filters: ['dmasev'] });
  });
  assert.equal(exitCode, 0);
  assert.equal(stops, 1, 'the DMASEV filter stopped once');
  assert.match(output, /VFIO_IOMMU_MAP_DMA/);
  assert.match(output, /\nPASS\n$/);
});

test('a scenario on a platform whose DMAC is not behind an SMMU fails with exit code 1', async () => {
  const { output, exitCode } = await runScenario({ scenario: 'vfio-test-case-1', platform: join(root, 'examples', 'platforms', 'zynq7000-dma330.dts') });
  assert.equal(exitCode, 1);
  assert.match(output, /FAIL/);
});

test('scenario: the DMASEV filter stops dma0 ch0 just past the DMASEV of the microcode (IOVAs); SAR/DAR are IOVAs; continue ends in PASS', async () => {
  const { dc, output } = await scenarioClient();
  try {
    const stop = await launch(dc, { scenario: 'vfio-test-case-1' }, () => dc.setExceptionBreakpointsRequest({ filters: ['dmasev'] }));
    assert.equal(stop.stop.body.reason, 'exception');
    assert.equal(stop.stop.body.description, 'DMASEV');
    assert.equal(await threadName(dc, stop.threadId), 'dma0 ch0');
    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    assert.ok(threads.includes('dma0 manager') && threads.includes('dma0 ch7'), threads.join(', '));
    // The stop names the DMASEV by its IOVA; the PC is past it, where the PL330 leaves it once the event is signalled.
    const sev = microcodeAddress(DEFAULTS.destinationIova, 'DMASEV');
    assert.equal(stop.stop.body.text, `DMASEV 0, by DMASEV E0 at 0x${sev.toString(16)}`);
    assert.equal(Number(stop.frame.instructionPointerReference), microcodeAddress(DEFAULTS.destinationIova, 'DMAEND'));
    assert.ok(microcodeAddress(DEFAULTS.destinationIova, 'DMAEND') === sev + 2);
    assert.match(await frameText(dc, stop.frame), /^\s*DMAEND\b/);
    assert.match(stop.frame.name, /^DMAEND \(Executing\)/);
    assert.match(output(), /DMAGO channel 0 at IOVA 0x30000000/);
    assert.doesNotMatch(output(), /compare the destination/, 'the program is still blocked in read(eventfd)');
    const regs = await registers(dc, stop.threadId);
    assert.equal(Number(regs.PC), Number(stop.frame.instructionPointerReference));
    assert.equal(Number(regs.SAR.split(' ')[0]), DEFAULTS.sourceIova + DEFAULTS.bytes);
    assert.equal(Number(regs.DAR.split(' ')[0]), DEFAULTS.destinationIova + DEFAULTS.bytes);
    const walk = await dc.evaluateRequest({ expression: `smmu walk DAR - 4`, frameId: stop.threadId, context: 'repl' });
    assert.match(walk.body.result, /^IOVA 0x20000ffc -> PA 0x[0-9a-f]+ \(/);
    // The source is mapped for reading only (VFIO_DMA_MAP_FLAG_READ): a write would take a permission fault.
    const write = await dc.evaluateRequest({ expression: `smmu walk 0x${DEFAULTS.sourceIova.toString(16)} write`, frameId: stop.threadId, context: 'repl' });
    assert.match(write.body.result, /^IOVA 0x10000000: PF fault at level 3 in context bank \d+ \(.*; write\)/);
    assert.match(write.body.result, /stage 1 level 3: descriptor at 0x[0-9a-f]+ = 0x[0-9a-f]{16}: page: OA 0x[0-9a-f]+, AF=1, AP=(privileged )?ro\b/);
    assert.equal(await continueToEnd(dc, stop, output), 0);
  } finally {
    await dc.stop();
  }
});

test('scenario: stopOnEntry stops at the first instruction of the microcode; stepping and the disassembly follow IOVAs', async () => {
  const { dc, output } = await scenarioClient();
  try {
    const stop = await launch(dc, { scenario: 'vfio-test-case-1', stopOnEntry: true });
    assert.equal(stop.stop.body.reason, 'entry');
    assert.equal(await threadName(dc, stop.threadId), 'dma0 ch0');
    assert.equal(Number(stop.frame.instructionPointerReference), DEFAULTS.codeIova);
    assert.match(await frameText(dc, stop.frame), /^\s*DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI\b/);
    // A line breakpoint in the listing, at the DMAWMB.
    const listing = await dc.sourceRequest({ source: stop.frame.source!, sourceReference: stop.frame.source!.sourceReference! });
    const wmbLine = listing.body.content.split('\n').findIndex((l) => /^\s*DMAWMB/.test(l)) + 1;
    const set = await dc.setBreakpointsRequest({ source: stop.frame.source!, breakpoints: [{ line: wmbLine }] });
    assert.equal(set.body.breakpoints[0].verified, true);
    const next = await after(dc, dc.nextRequest({ threadId: stop.threadId }));
    assert.equal(next.stop.body.reason, 'step');
    assert.equal(Number(next.frame.instructionPointerReference), microcodeAddress(DEFAULTS.destinationIova, 'DMAMOV SAR'));
    const dis = await dc.customRequest('disassemble', { memoryReference: next.frame.instructionPointerReference, instructionCount: 3 });
    assert.deepEqual(dis.body.instructions.map((i: DebugProtocol.DisassembledInstruction) => i.instruction), ['DMAMOV SAR, 0x10000000', 'DMAMOV DAR, 0x20000000', 'DMALP LC0, 1']);
    const wmb = await after(dc, dc.continueRequest({ threadId: stop.threadId }));
    assert.equal(wmb.stop.body.reason, 'breakpoint');
    assert.equal(Number(wmb.frame.instructionPointerReference), microcodeAddress(DEFAULTS.destinationIova, 'DMAWMB'));
    assert.equal(wmb.frame.line, wmbLine);
    const back = await dc.stepBackRequest({ threadId: stop.threadId }).catch((e: Error) => e);
    assert.match(String((back as Error).message), /cannot run backwards/);
    assert.equal(await continueToEnd(dc, wmb, output), 0);
  } finally {
    await dc.stop();
  }
});

test('scenario: isolation stops on the SMMU fault of the DMAST (an imprecise abort); smmu walk of the unmapped IOVA names the level', async () => {
  const { dc, output } = await scenarioClient();
  try {
    const stop = await launch(dc, { scenario: 'vfio-isolation' }, () => dc.setExceptionBreakpointsRequest({ filters: ['smmu-fault'] }));
    assert.equal(stop.stop.body.description, 'SMMU translation fault');
    assert.match(stop.stop.body.text!, new RegExp(`write at IOVA 0x${DEFAULT_UNMAPPED_IOVA.toString(16)}`));
    assert.equal(await threadName(dc, stop.threadId), 'dma0 ch0');
    const dmast = microcodeAddress(DEFAULT_UNMAPPED_IOVA, 'DMAST');
    assert.match(stop.stop.body.text!, new RegExp(`, by DMAST at 0x${dmast.toString(16)}$`));
    // The write error is imprecise: the channel faults with its PC on the instruction after the DMAST.
    assert.equal(Number(stop.frame.instructionPointerReference), dmast + 1);
    assert.match(stop.frame.name, /^DMALPEND .*Faulting completing: data_write_err/);
    assert.match((await registers(dc, stop.threadId)).DAR, /^0x50000010/);
    const walk = (await dc.evaluateRequest({ expression: `smmu walk 0x${DEFAULT_UNMAPPED_IOVA.toString(16)}`, frameId: stop.threadId, context: 'repl' })).body.result;
    // Walk the tables independently through readMemory from the regime the walk names: where is the first invalid one?
    const regime = /stage 1: LPAE, TTBR0 (0x[0-9a-f]+), T0SZ \d+, (\d+)-bit input, start level (\d)/.exec(walk);
    assert.ok(regime, walk);
    let table = Number(regime[1]);
    let level = Number(regime[3]);
    for (;;) {
      const shift = 12 + 9 * (3 - level);
      const bits = level === Number(regime[3]) ? Number(regime[2]) - shift : 9;
      const address = table + (Math.floor(DEFAULT_UNMAPPED_IOVA / 2 ** shift) % 2 ** bits) * 8;
      const read = await dc.customRequest('readMemory', { memoryReference: `0x${address.toString(16)}`, count: 8 });
      const lo = Buffer.from(read.body.data, 'base64').readUInt32LE(0);
      if ((lo & 3) !== 3 || level === 3) break;
      table = (lo & 0xfffff000) >>> 0;
      level++;
    }
    assert.match(walk, new RegExp(`^IOVA 0x${DEFAULT_UNMAPPED_IOVA.toString(16)}: TF fault at level ${level} in context bank \\d`));
    assert.match(walk, new RegExp(`stage 1 level ${level}: descriptor at 0x[0-9a-f]+ = 0x0+: invalid\\n`));
    assert.equal(await continueToEnd(dc, stop, output), 0);
    assert.match(output(), /no byte of physical memory changed/);
  } finally {
    await dc.stop();
  }
});

test('scenario: a data breakpoint on a destination IOVA and an instruction breakpoint at an IOVA stop dma0 ch0', async () => {
  const { dc, output } = await scenarioClient();
  try {
    const target = DEFAULTS.destinationIova + 0x800;
    const wmb = microcodeAddress(DEFAULTS.destinationIova, 'DMAWMB');
    const stop = await launch(dc, { scenario: 'vfio-test-case-1' }, async () => {
      const info = await dc.customRequest('dataBreakpointInfo', { name: `iova 0x${target.toString(16)}:16` });
      const data = await dc.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
      assert.equal(data.body.breakpoints[0].verified, true);
      const insn = await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x${wmb.toString(16)}` }] });
      assert.equal(insn.body.breakpoints[0].verified, true);
    });
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    assert.equal(await threadName(dc, stop.threadId), 'dma0 ch0');
    assert.equal(stop.stop.body.description, `write of 16 byte(s) at 0x${target.toString(16)} (iova 0x${target.toString(16)}+16)`);
    assert.equal(Number((await registers(dc, stop.threadId)).DAR.split(' ')[0]), target + 16);
    // Step out of the inner loop (the listing's loops, as in a .pl330 file): to the outer loop's end.
    const out = await after(dc, dc.stepOutRequest({ threadId: stop.threadId }));
    assert.equal(Number(out.frame.instructionPointerReference), microcodeAddress(DEFAULTS.destinationIova, 'DMALPEND LC0'));
    assert.equal(Number((await registers(dc, stop.threadId)).DAR.split(' ')[0]), DEFAULTS.destinationIova + DEFAULTS.bytes);
    const atWmb = await after(dc, dc.continueRequest({ threadId: stop.threadId }));
    assert.equal(atWmb.stop.body.reason, 'instruction breakpoint');
    assert.equal(Number(atWmb.frame.instructionPointerReference), wmb);
    assert.equal(await continueToEnd(dc, atWmb, output), 0);
  } finally {
    await dc.stop();
  }
});

test('scenario: Test Case 2 (passthrough) stops where the guest aims its copy outside its RAM; Variables show guest physical addresses; continue ends in PASS', async () => {
  const { dc, output } = await scenarioClient();
  try {
    const stop = await launch(dc, { scenario: 'vfio-passthrough' }, () => dc.setExceptionBreakpointsRequest({ filters: ['smmu-fault'] }));
    assert.equal(stop.stop.body.description, 'SMMU translation fault');
    assert.match(stop.stop.body.text!, /write at IOVA 0x80000000 /);
    assert.equal(await threadName(dc, stop.threadId), 'dma0 ch0');
    // By then the guest's dmatest has passed, and the guest driver's microcode runs from guest RAM.
    assert.match(output(), /dmatest: dma0chan0-copy0: summary 10 tests, 0 failures/);
    const pc = Number(stop.frame.instructionPointerReference);
    assert.ok(pc >= QEMU_VIRT_LAYOUT.ramBase && pc < QEMU_VIRT_LAYOUT.ramBase + QEMU_VIRT_LAYOUT.ramSize, `PC 0x${pc.toString(16)}`);
    assert.match((await registers(dc, stop.threadId)).DAR, /^0x800000[0-9a-f]{2}\b/);
    assert.equal(await continueToEnd(dc, stop, output), 0);
    assert.match(output(), /no byte of host physical memory changed/);
  } finally {
    await dc.stop();
  }
});
