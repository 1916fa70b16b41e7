// A kernel session over the Debug Adapter Protocol: Debian's 6.1 armmp-lpae Image on the VFIO_PLATFORM guide's
// platform, its symbols recovered from the Image's own kallsyms tables. A function breakpoint on start_kernel stops
// cpu0 there (checked against the address the decoder finds and the code in the Image), the registers show the mode,
// the banked registers and CP15, and memory read through the MMU agrees with physical memory over the kernel's
// linear map (and with the Image's bytes). Then the "channel started" filter stops the whole machine when Linux's
// dma-pl330 driver starts a channel for a dmaengine client: the PL011 driver, whose console transmits by DMA when the
// devicetree gives the UART a `tx` DMA channel (a DMA-330 request line here; the emulated UART raises no DMA
// requests, so the channel then waits for its peripheral). The DMA thread shows the microcode the driver wrote, and
// continued, the channel fetches it through the SMMU as Linux mapped it (privileged-only) and waits for the UART.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKallsyms } from '../../emulator/linux/kallsyms';
import { imageTextOffset } from '../../emulator/machine/linux-boot';
import { GUEST, INITRAMFS, initramfsWith } from '../support/debian-kernel';
import { client, launch, programFile, root } from './support';

const IMAGE = join(GUEST, 'Image');
const skip = existsSync(IMAGE) && existsSync(INITRAMFS) ? false : `${IMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;
/** Debian's armhf kernels: 3G/1G split, RAM of the guide's platform at 0x80000000. */
const PAGE_OFFSET = 0xc0000000;
const PHYS_OFFSET = 0x80000000;
const BOOTARGS = 'console=ttyAMA0 cryptomgr.notests=1';
const BOOT_TIMEOUT = 300_000;

/** The guide's platform with the UART's transmit DMA on request line 1 of the first AMBA DMA-330. */
function platformWithUartDma(): string {
  const dts = readFileSync(join(root, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts'), 'utf8')
    .replace('dma@2c0a1000 {', 'dma1: dma@2c0a1000 {')
    .replace('clock-names = "uartclk", "apb_pclk";', 'clock-names = "uartclk", "apb_pclk";\n\t\tdmas = <&dma1 1>;\n\t\tdma-names = "tx";');
  assert.match(dts, /dma1: dma@2c0a1000[\s\S]*dma-names = "tx"|dma-names = "tx"[\s\S]*dma1: dma@2c0a1000/);
  return programFile('vexpress-uart-dma.dts', dts);
}

async function scope(dc: DebugClient, frameId: number, name: string): Promise<DebugProtocol.Variable[]> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const s = scopes.find((x) => x.name === name);
  assert.ok(s, `scope ${name} among ${scopes.map((x) => x.name).join(', ')}`);
  return (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables;
}

const value = (vars: readonly DebugProtocol.Variable[], name: string): string => {
  const v = vars.find((x) => x.name === name);
  assert.ok(v, `${name} among ${vars.map((x) => x.name).join(', ')}`);
  return v.value;
};

async function readMemory(dc: DebugClient, memoryReference: string, count: number): Promise<NonNullable<DebugProtocol.ReadMemoryResponse['body']>> {
  return (await dc.customRequest('readMemory', { memoryReference, count }) as DebugProtocol.ReadMemoryResponse).body!;
}

async function read(dc: DebugClient, memoryReference: string, count: number): Promise<Buffer> {
  return Buffer.from((await readMemory(dc, memoryReference, count)).data ?? '', 'base64');
}

test("a kernel session: a function breakpoint on start_kernel, the CPU's mode, banked registers and CP15, virtual and physical memory, one step; then the 'channel started' filter stops the machine when dma-pl330 starts a channel for the PL011's DMA, and the DMA thread shows the driver's microcode", { skip, timeout: 600_000 }, async () => {
  const image = new Uint8Array(readFileSync(IMAGE));
  const symbols = readKallsyms(image);
  const startKernel = symbols.find((s) => s.name === 'start_kernel')!.address;
  const initrd = programFile('initramfs.cpio', initramfsWith({}));
  const dc = await client();
  try {
    const console: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.category === 'stdout') console.push(e.body.output); });
    let functionBreakpoints: DebugProtocol.SetFunctionBreakpointsResponse | undefined;
    const stop = await launch(dc, { kernel: IMAGE, initrd, platform: platformWithUartDma(), append: BOOTARGS, cpus: 1 }, async () => {
      functionBreakpoints = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'start_kernel' }, { name: 'no_such_function' }] });
      await dc.setExceptionBreakpointsRequest({ filters: [] });
    });
    const [bound, missing] = functionBreakpoints!.body.breakpoints;
    assert.equal(bound.verified, true);
    assert.equal(Number(bound.instructionReference), startKernel);
    assert.equal(missing.verified, false);
    assert.match(missing.message ?? '', /no symbol 'no_such_function'/);

    // Stopped at start_kernel's first instruction, on cpu0, whose frame is named by the symbol.
    assert.equal(stop.stop.body.reason, 'function breakpoint');
    const threads = (await dc.threadsRequest()).body.threads;
    assert.equal(threads.find((t) => t.id === stop.threadId)?.name, 'cpu0');
    assert.ok(threads.some((t) => t.name === 'dma1 ch0'), 'the DMA threads beside the CPU');
    assert.equal(stop.frame.name, 'start_kernel');
    assert.equal(Number(stop.frame.instructionPointerReference), startKernel);
    const word = new DataView(image.buffer).getUint32(startKernel - PAGE_OFFSET - imageTextOffset(image), true);
    assert.equal(word >>> 16, 0xe92d, 'a push: the start of a function');

    // SVC mode with the MMU on (LPAE tables), IRQs masked, banked registers of every mode.
    const regs = await scope(dc, stop.frame.id, 'Registers');
    assert.equal(Number(value(regs, 'pc')), startKernel);
    assert.equal(value(regs, 'mode'), 'svc');
    assert.match(value(regs, 'cpsr'), /^0x[0-9a-f]{8} \(svc, .*masked A?IF?/);
    const cp15 = await scope(dc, stop.frame.id, 'CP15');
    assert.match(value(cp15, 'SCTLR'), /\(M .*\)/, 'MMU on');
    assert.match(value(cp15, 'TTBCR'), /long descriptors/);
    assert.match(value(cp15, 'TTBR1'), /^0x[0-9a-f]{16}$/);
    for (const name of ['DACR', 'DFSR', 'DFAR', 'IFSR', 'IFAR', 'CONTEXTIDR', 'VBAR']) assert.match(value(cp15, name), /^0x[0-9a-f]{8}$/);
    const banked = await scope(dc, stop.frame.id, 'Banked registers');
    assert.deepEqual(banked.map((b) => b.name), ['usr', 'fiq', 'irq', 'svc', 'abt', 'und']);
    assert.match(value(banked, 'svc'), /\(current\)$/);
    const svc = (await dc.variablesRequest({ variablesReference: banked.find((b) => b.name === 'svc')!.variablesReference })).body.variables;
    assert.equal(value(svc, 'sp_svc'), value(regs, 'sp'));
    assert.ok(svc.some((v) => v.name === 'spsr_svc'));

    // The linear map: a kernel virtual address and its physical address hold the same bytes, the Image's.
    const virtual = await read(dc, `0x${startKernel.toString(16)}`, 64);
    const physical = await read(dc, `phys:0x${(startKernel - PAGE_OFFSET + PHYS_OFFSET).toString(16)}`, 64);
    const offset = startKernel - PAGE_OFFSET - imageTextOffset(image);
    assert.deepEqual([...virtual], [...image.subarray(offset, offset + 64)]);
    assert.deepEqual([...physical], [...virtual]);
    // A device register is never read by the debugger (a read may have effects): the UART's page reads as unreadable.
    const device = await readMemory(dc, 'phys:0x1c090000', 4);
    assert.equal(device.unreadableBytes, 4);

    // One instruction on cpu0.
    const stepped = dc.waitForEvent('stopped');
    await dc.stepInRequest({ threadId: stop.threadId, granularity: 'instruction' });
    assert.equal((await stepped).body.reason, 'step');
    const after = (await dc.stackTraceRequest({ threadId: stop.threadId })).body.stackFrames[0];
    assert.equal(after.name, 'start_kernel+0x4');

    // The "channel started" filter: the kernel's pl330 driver starts a channel for the UART's transmit DMA.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.setExceptionBreakpointsRequest({ filters: ['dmago'] });
    // Linux reaches /init in 0.4 s of guest time: 20-40 s here.
    const started = dc.waitForEvent('stopped', BOOT_TIMEOUT) as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: stop.threadId });
    const event = await started.catch((error: Error) => assert.fail(`${error.message}; the console:\n${console.join('')}`));
    assert.equal(event.body.reason, 'exception');
    assert.equal(event.body.allThreadsStopped, true);
    assert.match(event.body.description ?? '', /^Channel started/);
    assert.match(event.body.text ?? '', /DMAGO started channel \d/);
    const channel = (await dc.threadsRequest()).body.threads.find((t) => t.id === event.body.threadId)!;
    assert.match(channel.name, /^dma1 ch\d$/);
    const frame = (await dc.stackTraceRequest({ threadId: channel.id })).body.stackFrames[0];
    assert.ok(frame.source?.sourceReference, 'the microcode listing is the thread\'s source');
    const listing = (await dc.sourceRequest({ source: frame.source, sourceReference: frame.source.sourceReference })).body.content;
    // A memory-to-peripheral transfer as pl330.c writes it: the channel control, the addresses, a wait for the
    // peripheral's request, then the burst's load and store, and its end.
    for (const op of [/DMAMOV\s+CCR/, /DMAMOV\s+SAR/, /DMAMOV\s+DAR/, /DMAWFP/, /DMALD/, /DMASTP/, /DMAEND/]) assert.match(listing, op, listing);
    // The CPU stopped with it, in the driver that started the channel.
    const cpu = (await dc.stackTraceRequest({ threadId: stop.threadId })).body.stackFrames[0];
    assert.match(cpu.name, /pl330|dma/, `cpu0 at ${cpu.name}`);
    // Continued, the channel fetches the microcode Linux mapped privileged-only in the SMMU (the DMA-330's instruction
    // fetches are privileged) and runs to its wait for the UART's request, which never comes.
    await dc.setExceptionBreakpointsRequest({ filters: ['wait', 'fault', 'smmu-fault'] });
    const waiting = dc.waitForEvent('stopped', BOOT_TIMEOUT) as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: channel.id });
    const wait = await waiting;
    assert.equal(wait.body.threadId, channel.id);
    assert.match(wait.body.text ?? '', /waiting for peripheral 1/);
    const atWait = (await dc.stackTraceRequest({ threadId: channel.id })).body.stackFrames[0];
    assert.match(atWait.name, /^DMAWFP P1, burst \(Waiting for peripheral 1\)$/);
    // The kernel's console (the PL011's output) is in the Debug Console.
    assert.match(console.join(''), /Booting Linux on physical CPU 0x0/);
    assert.match(console.join(''), /dma-pl330 2c0a1000\.dma: Loaded driver for PL330 DMAC/);
  } finally {
    await dc.stop();
  }
});

test("'symbols': a System.map names the functions (no boot needed to bind them); a bad one or a missing kernel is one clear launch error", { skip }, async () => {
  const map = programFile('System.map', 'c1400c40 T start_kernel\nc0a045ac t pl330_start_thread\n');
  let dc = await client();
  try {
    let results: DebugProtocol.Breakpoint[] = [];
    const stop = await launch(dc, { kernel: IMAGE, symbols: map, cpus: 1, stopOnEntry: true }, async () => {
      results = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'pl330_start_thread' }, { name: 'pl330_tx_submit' }] })).body.breakpoints;
    });
    assert.equal(stop.stop.body.reason, 'entry');
    assert.equal(stop.frame.name, `0x${(PHYS_OFFSET + imageTextOffset(new Uint8Array(readFileSync(IMAGE)))).toString(16).padStart(8, '0')}`, 'the entry, physical, named by no symbol');
    assert.deepEqual(results.map((r) => [r.verified, r.instructionReference]), [[true, '0xc0a045ac'], [false, undefined]]);
    assert.match(results[1].message ?? '', /no symbol 'pl330_tx_submit' in .*System\.map/);
  } finally {
    await dc.stop();
  }
  const mistakes: [Record<string, unknown>, RegExp][] = [
    [{ kernel: IMAGE, symbols: programFile('bad.map', 'c1400c40 T start_kernel\nnonsense\n') }, /'symbols': .*bad\.map:2:1: not a System\.map line/],
    [{ kernel: join(root, 'no-such-kernel') }, /'kernel': .*no-such-kernel/],
    [{ kernel: IMAGE, dtb: 'a.dtb', platform: 'b.dts' }, /give 'dtb' or 'platform', not both/],
  ];
  for (const [args, message] of mistakes) {
    dc = await client();
    try {
      await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path' });
      await assert.rejects(dc.launch(args as DebugProtocol.LaunchRequestArguments), message);
    } finally {
      await dc.stop();
    }
  }
});

test("'passthrough': the kernel launched as a guest given 2c0a0000.dma (the hypervisor's layout in the Debug Console), stopped at its entry, the Image read at the guest's address through the stage 2", { skip }, async () => {
  const dc = await client();
  try {
    const console: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => console.push(e.body.output));
    const stop = await launch(dc, { kernel: IMAGE, append: BOOTARGS, cpus: 1, passthrough: ['2c0a0000.dma'], stopOnEntry: true });
    assert.equal(stop.stop.body.reason, 'entry');
    assert.match(console.join(''), /guest RAM 0x80000000-0x[0-9a-f]+ \(\d+ MiB\) is host 0x[0-9a-f]+/);
    assert.match(console.join(''), /2c0a0000\.dma passed through at guest 0xc000000/);
    // The entry is the guest's: RAM base + TEXT_OFFSET in guest physical, reached through the stage 2.
    const entry = PHYS_OFFSET + imageTextOffset(new Uint8Array(readFileSync(IMAGE)));
    assert.equal(Number(stop.frame.instructionPointerReference), entry);
    const code = await read(dc, `0x${entry.toString(16)}`, 16);
    assert.deepEqual([...code], [...new Uint8Array(readFileSync(IMAGE)).subarray(0, 16)], 'the Image, read through the stage 2');
  } finally {
    await dc.stop();
  }
  const bad = await client();
  try {
    await bad.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path' });
    await assert.rejects(bad.launch({ kernel: IMAGE, passthrough: ['nosuch.dma'] } as DebugProtocol.LaunchRequestArguments), /'passthrough': .*nosuch\.dma/);
  } finally {
    await bad.stop();
  }
});

test('two CPUs: a function breakpoint on secondary_start_kernel stops cpu1 there; a step of cpu1 leaves cpu0 where it is', { skip, timeout: 600_000 }, async () => {
  const symbols = readKallsyms(new Uint8Array(readFileSync(IMAGE)));
  const secondary = symbols.find((s) => s.name === 'secondary_start_kernel')!.address;
  const dc = await client();
  try {
    // The stop comes once cpu0 has brought the kernel up to starting cpu1: longer than support's launch() waits.
    await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
    const initialized = dc.waitForEvent('initialized');
    await dc.launch({ kernel: IMAGE, initrd: programFile('initramfs-smp.cpio', initramfsWith({})), append: BOOTARGS, cpus: 2 } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'secondary_start_kernel' }] });
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    const stopped = dc.waitForEvent('stopped', BOOT_TIMEOUT) as Promise<DebugProtocol.StoppedEvent>;
    await dc.configurationDoneRequest();
    const stop = await stopped;
    assert.equal(stop.body.reason, 'function breakpoint');
    const threads = (await dc.threadsRequest()).body.threads;
    assert.deepEqual(threads.filter((t) => t.name.startsWith('cpu')).map((t) => t.name), ['cpu0', 'cpu1']);
    const cpu1 = threads.find((t) => t.name === 'cpu1')!.id;
    const cpu0 = threads.find((t) => t.name === 'cpu0')!.id;
    assert.equal(stop.body.threadId, cpu1);
    const top = async (threadId: number) => (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
    assert.equal((await top(cpu1)).name, 'secondary_start_kernel');
    assert.equal(Number((await top(cpu1)).instructionPointerReference), secondary);
    const cpu0Before = (await top(cpu0)).instructionPointerReference;
    const stepped = dc.waitForEvent('stopped');
    await dc.stepInRequest({ threadId: cpu1, granularity: 'instruction' });
    assert.equal((await stepped).body.threadId, cpu1);
    assert.equal((await top(cpu1)).name, 'secondary_start_kernel+0x4');
    assert.equal((await top(cpu0)).instructionPointerReference, cpu0Before, 'cpu0 stays halted while cpu1 steps');
  } finally {
    await dc.stop();
  }
});
