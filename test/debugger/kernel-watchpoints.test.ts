// Data breakpoints in kernel sessions over the Debug Adapter Protocol. Debian's 6.1 armmp-lpae Image booting on the
// VFIO_PLATFORM guide's platform, its symbols a System.map of its kallsyms plus `jiffies` (the image's kallsyms has no
// data symbols; the address is the one do_timer's code adds its ticks to, as objdump disassembles it): a write data
// breakpoint on `jiffies` stops cpu0 in do_timer, at its store of the low word, with the tick counted (old → old + 1).
// Launched as a guest given 2c0a0000.dma (`passthrough`, the Test Case 2 initramfs running dmatest): at dmatest's
// first DMAGO, a physical data breakpoint on the destination where the SMMU's stage 2 sends it stops the machine on
// that channel when its first burst lands there, the value copied from the source named.
// With a bare-metal ELF as the kernel: debug/watch.c on virt-a15.dts: a write data breakpoint on its `watched` word
// (by name: the ELF's data symbols; nm gives the address), passed once by its hit count (the start-up code's zeroing
// of the BSS), stops cpu0 at the storing instruction objdump lists in main, before it has run (the register it
// stores holds the new value, the word still the old one), with the old and new values in the description; stepped
// back and continued, it stops there again; a step performs the store; the next hit is the next store. A register's
// value (r1, beside's address) is watched from Variables. A read data breakpoint with a condition stops at the load
// where the loop counter holds 500; stepped onto a watched store whose condition does not hold, a step performs it.
// trace/dma-copy.c on virt-a15-dma330.dts: a physical data breakpoint in the middle of the copy's destination
// (`phys:dst + 20`; its second hit: the first is the CPU zeroing the BSS) stops the whole machine on the DMA thread
// whose store wrote it, right after that burst (the next burst's bytes still zero), old and new values named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKallsyms } from '../../emulator/linux/kallsyms';
import { imageTextOffset } from '../../emulator/machine/linux-boot';
import { build, toolsMissing } from '../support/bare-metal';
import { GUEST, INITRAMFS, initramfsWith } from '../support/debian-kernel';
import { OBJDUMP, nmSymbols, normaliseObjdump, objdumpListing } from '../support/objdump';
import { after, client, launch, programFile, readWord, registers, root } from './support';

const skip = toolsMissing();
const VIRT = join(root, 'test', 'support', 'virt-a15.dts');
const VIRT_DMA = join(root, 'test', 'support', 'virt-a15-dma330.dts');
const IMAGE = join(GUEST, 'Image');
const GUEST_INITRD = join(GUEST, 'test-case-2-guest.cpio.gz');
const skipGuest = existsSync(IMAGE) && existsSync(GUEST_INITRD) ? skip : `${GUEST_INITRD} is missing (examples/guest/build-dmatest-6.1.sh could not build it)`;
const skipKernel = existsSync(IMAGE) && existsSync(INITRAMFS) ? skip : `${IMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;
/** Debian's armhf kernels: the 3G/1G split. */
const PAGE_OFFSET = 0xc0000000;
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

test('a write data breakpoint stops the CPU at the storing instruction before it runs, with old and new values; a read one with a condition stops at the load', { skip, timeout: 120_000 }, async () => {
  const elf = build('debug/watch.c');
  const watched = nmSymbols(elf).get('watched')!;
  const main = objdumpListing(elf).filter((l) => l.function === 'main');
  const store = main.find((l) => /^str r\d+, \[(r\d+|ip), #4\]$/.test(l.text) && main.some((m) => m.address === l.address - 8 && m.text.startsWith('ldr')))!;
  const load = main.find((l) => l.address === store.address - 8)!;
  assert.ok(store && load, 'the loop adding 3 to watched: ldr, add, str');
  const dc = await client();
  try {
    const output: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.category === 'stdout') output.push(e.body.output); });
    let info: DebugProtocol.DataBreakpointInfoResponse | undefined;
    let set: DebugProtocol.SetDataBreakpointsResponse | undefined;
    let stop = await launch(dc, { kernel: elf, platform: VIRT, cpus: 1 }, async () => {
      info = await dc.dataBreakpointInfoRequest({ name: 'watched' });
      set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write', hitCondition: '2' }] });
    });
    assert.equal(info!.body.dataId, `virtual:0x${watched.toString(16)}:4`);
    assert.deepEqual(info!.body.accessTypes, ['read', 'write', 'readWrite']);
    assert.equal(info!.body.description, `watched: ${hex(watched)}, 4 bytes (every CPU's loads and stores at this virtual address)`);
    assert.equal(set!.body.breakpoints[0].verified, true);

    assert.equal(stop.stop.body.reason, 'data breakpoint');
    assert.equal(Number(stop.frame.instructionPointerReference), store.address, `stopped at ${store.text} in main`);
    assert.equal(stop.frame.name, `main+0x${(store.address - main[0].address).toString(16)}`);
    const storedRegister = /^str (r\d+)/.exec(store.text)![1];
    let regs = await registers(dc, stop.threadId);
    assert.equal(Number(regs[storedRegister]), 3, 'the register stored holds the new value');
    assert.equal(await readWord(dc, hex(watched)), 0, 'the store has not happened');
    assert.equal(stop.stop.body.description, `cpu0 writes 4 bytes at ${hex(watched)}: 0x00000000 → 0x00000003 (watching watched at ${hex(watched)}+4; the instruction at the PC has not completed)`);

    // A register's value watched from Variables: r1 holds the address of beside.
    const scope = (await dc.scopesRequest({ frameId: stop.frame.id })).body.scopes[0];
    const byRegister = await dc.dataBreakpointInfoRequest({ variablesReference: scope.variablesReference, name: 'r1' });
    assert.equal(byRegister.body.dataId, `virtual:0x${nmSymbols(elf).get('beside')!.toString(16)}:4`);

    // Back one instruction (the run re-executed from its start, no watchpoint checked) and on again: the same stop.
    const description = stop.stop.body.description;
    stop = await after(dc, dc.stepBackRequest({ threadId: stop.threadId }));
    assert.equal(Number(stop.frame.instructionPointerReference), store.address - 4);
    stop = await after(dc, dc.continueRequest({ threadId: stop.threadId }));
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    assert.equal(Number(stop.frame.instructionPointerReference), store.address);
    assert.equal(stop.stop.body.description, description);

    // A step runs the store.
    stop = await after(dc, dc.nextRequest({ threadId: stop.threadId, granularity: 'instruction' }));
    assert.equal(stop.stop.body.reason, 'step');
    assert.equal(Number(stop.frame.instructionPointerReference), store.address + 4);
    assert.equal(await readWord(dc, hex(watched)), 3);

    stop = await after(dc, dc.continueRequest({ threadId: stop.threadId }));
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    assert.equal(Number(stop.frame.instructionPointerReference), store.address);
    assert.match(stop.stop.body.description ?? '', /: 0x00000003 → 0x00000006 /);

    // A load watched, stopping when the loop counter (r3) is 500: after the stores at 0, 100, ..., 400.
    const reads = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info!.body.dataId!, accessType: 'read', condition: 'r3 == 500' }] });
    assert.equal(reads.body.breakpoints[0].verified, true);
    stop = await after(dc, dc.continueRequest({ threadId: stop.threadId }));
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    assert.equal(Number(stop.frame.instructionPointerReference), load.address, `stopped at ${load.text}`);
    regs = await registers(dc, stop.threadId);
    assert.equal(Number(regs.r3), 500);
    assert.equal(stop.stop.body.description, `cpu0 reads 4 bytes at ${hex(watched)}: 0x0000000f (watching watched at ${hex(watched)}+4; the instruction at the PC has not completed)`);

    // Stepped onto a watched store whose condition does not hold: the step performs it.
    stop = await after(dc, dc.nextRequest({ threadId: stop.threadId, granularity: 'instruction' }));
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info!.body.dataId!, accessType: 'write', condition: 'r3 == 9999' }] });
    stop = await after(dc, dc.nextRequest({ threadId: stop.threadId, granularity: 'instruction' }));
    assert.equal(Number(stop.frame.instructionPointerReference), store.address);
    stop = await after(dc, dc.nextRequest({ threadId: stop.threadId, granularity: 'instruction' }));
    assert.equal(stop.stop.body.reason, 'step');
    assert.equal(Number(stop.frame.instructionPointerReference), store.address + 4);
    assert.equal(await readWord(dc, hex(watched)), 18);

    // Bad names are refused with the reason.
    const bad = await dc.dataBreakpointInfoRequest({ name: 'no_such_symbol' });
    assert.equal(bad.body.dataId, null);
    assert.match(bad.body.description, /unknown name 'no_such_symbol'/);
    const device = await dc.dataBreakpointInfoRequest({ name: 'phys:0x09000000' });
    assert.equal(device.body.dataId, null);
    assert.match(device.body.description, /not RAM/);

    await dc.setDataBreakpointsRequest({ breakpoints: [] });
    const terminated = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: stop.threadId });
    await terminated;
    assert.match(output.join(''), /watched=0x0000001e\nbeside=0x00079f2c\n/);
  } finally {
    await dc.stop();
  }
});

test("a physical data breakpoint stops the machine on the DMA thread whose store wrote it, right after that burst, with old and new values", { skip, timeout: 120_000 }, async () => {
  const elf = build('trace/dma-copy.c');
  const symbols = nmSymbols(elf);
  const dst = symbols.get('dst')!;
  // dst[5], in the second 16-byte burst; src[i] = 0x9e3779b9 * (i + 1).
  const target = dst + 20;
  const expected = Math.imul(0x9e3779b9, 6) >>> 0;
  const dc = await client();
  try {
    let info: DebugProtocol.DataBreakpointInfoResponse | undefined;
    const stop = await launch(dc, { kernel: elf, platform: VIRT_DMA, cpus: 2 }, async () => {
      info = await dc.dataBreakpointInfoRequest({ name: 'phys:dst + 20' });
      // The first write is the CPU's zeroing of the BSS (a physical watchpoint sees CPUs and DMA): passed by the hit count.
      await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write', hitCondition: '2' }] });
    });
    assert.equal(info!.body.dataId, `physical:0x${target.toString(16)}:4`);
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    const threads = (await dc.threadsRequest()).body.threads;
    assert.equal(threads.find((t) => t.id === stop.threadId)?.name, 'dma0 ch0');
    assert.equal(stop.stop.body.description, `dma0 ch0 writes 16 bytes at physical ${hex(dst + 16)}; dst + 20 at ${hex(target)}+4: 0x00000000 → ${hex(expected)}`);
    assert.match(stop.frame.name, /^DMA(ST|LPEND)\b/, `the channel at its store or the loop's end: ${stop.frame.name}`);
    // The burst is written, the next one not yet: the machine stopped at the access's instant.
    assert.equal(await readWord(dc, `phys:${hex(target)}`), expected);
    assert.equal(await readWord(dc, `phys:${hex(dst + 32)}`), 0);
  } finally {
    await dc.stop();
  }
});

/** objdump's disassembly (ARM) of the Image's bytes from `start` to `end` (virtual addresses), address → text. */
function disassembleImage(image: string, textBase: number, start: number, end: number): { address: number; text: string }[] {
  const args = ['-D', '-b', 'binary', '-m', 'arm', '--no-show-raw-insn', `--adjust-vma=${hex(textBase)}`, `--start-address=${hex(start)}`, `--stop-address=${hex(end)}`, image];
  const r = spawnSync(OBJDUMP, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return [...r.stdout.matchAll(/^ *([0-9a-f]+):\t(.*)$/gm)].map((m) => ({ address: parseInt(m[1], 16), text: normaliseObjdump(m[2]) }));
}

test('a write data breakpoint on jiffies stops cpu0 in do_timer at its store of the tick, during Debian\'s boot', { skip: skipKernel, timeout: 600_000 }, async () => {
  const image = new Uint8Array(readFileSync(IMAGE));
  const symbols = readKallsyms(image);
  const doTimer = symbols.find((s) => s.name === 'do_timer')!.address;
  // do_timer: movw/movt rN, &jiffies_64; ldr the low word; adds the ticks; str it back (jiffies is its low word).
  const code = disassembleImage(IMAGE, PAGE_OFFSET + imageTextOffset(image), doTimer, doTimer + 0x40);
  const low = /^movw (r\d+), #(\d+)/.exec(code.find((l) => l.text.startsWith('movw'))!.text)!;
  const high = /^movt (r\d+), #(\d+)/.exec(code.find((l) => l.text.startsWith('movt'))!.text)!;
  const jiffies = ((Number(high[2]) << 16) | Number(low[2])) >>> 0;
  const store = code.find((l) => l.text.startsWith(`str `) && l.text.endsWith(`[${low[1]}]`))!;
  assert.ok(store, `do_timer stores the low word through ${low[1]}: ${code.map((l) => l.text).join('; ')}`);
  const map = programFile('System.map', [...symbols.map((s) => `${s.address.toString(16)} ${s.type} ${s.name}`), `${jiffies.toString(16)} D jiffies_64`, `${jiffies.toString(16)} D jiffies`].join('\n'));
  const initrd = programFile('initramfs.cpio', initramfsWith({}));
  const dc = await client();
  try {
    let info: DebugProtocol.DataBreakpointInfoResponse | undefined;
    const stop = await launch(dc, { kernel: IMAGE, symbols: map, initrd, platform: join(root, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts'), append: 'console=ttyAMA0 cryptomgr.notests=1', cpus: 1 }, async () => {
      await dc.setExceptionBreakpointsRequest({ filters: [] });
      info = await dc.dataBreakpointInfoRequest({ name: 'jiffies' });
      await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    });
    assert.equal(info!.body.dataId, `virtual:0x${jiffies.toString(16)}:4`);
    assert.match(info!.body.description, /^jiffies: 0xc[0-9a-f]{7}, 4 bytes/);
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    assert.equal(Number(stop.frame.instructionPointerReference), store.address, `at ${store.text}`);
    assert.equal(stop.frame.name, `do_timer+0x${(store.address - doTimer).toString(16)}`);
    const m = /^cpu0 writes 4 bytes at (0x[0-9a-f]{8}): (0x[0-9a-f]{8}) → (0x[0-9a-f]{8}) \(watching jiffies at 0x[0-9a-f]{8}\+4;/.exec(stop.stop.body.description ?? '');
    assert.ok(m, stop.stop.body.description);
    assert.equal(Number(m[1]), jiffies);
    assert.equal(Number(m[3]), (Number(m[2]) + 1) >>> 0, 'one tick');
    const regs = await registers(dc, stop.threadId);
    assert.equal(Number(regs[/^str (r\d+)/.exec(store.text)![1]]), Number(m[3]), 'the register stored holds the new value');
    const before = Buffer.from((await dc.customRequest('readMemory', { memoryReference: hex(jiffies), count: 4 }) as DebugProtocol.ReadMemoryResponse).body!.data!, 'base64');
    assert.equal(before.readUInt32LE(0), Number(m[2]), 'jiffies still holds the old value');
  } finally {
    await dc.stop();
  }
});

test("a physical data breakpoint on a guest's DMA destination (through the SMMU's stage 2) stops the machine on the channel whose burst wrote it", { skip: skipGuest, timeout: 600_000 }, async () => {
  const dc = await client();
  try {
    const launched = await launch(dc, { kernel: IMAGE, initrd: GUEST_INITRD, append: 'console=ttyAMA0 cryptomgr.notests=1', cpus: 1, passthrough: ['2c0a0000.dma'], stopOnEntry: true });
    await dc.setExceptionBreakpointsRequest({ filters: ['dmago'] });
    const started = await after(dc, dc.continueRequest({ threadId: launched.threadId }));
    assert.match(started.stop.body.text ?? '', /DMAGO started channel \d/);
    const channel = started.threadId;
    // Step the channel to its loop: its addresses are set.
    let frame = started.frame;
    for (let i = 0; i < 8 && !/^DMALP/.test(frame.name); i++) frame = (await after(dc, dc.nextRequest({ threadId: channel, granularity: 'instruction' }))).frame;
    const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
    const vars = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    const host = (name: string): { ipa: number; pa: number } => {
      const m = /^(0x[0-9a-f]{8}) \(IPA\) -> PA (0x[0-9a-f]+) /.exec(vars.find((v) => v.name === name)!.value);
      assert.ok(m, `${name} through the stage 2`);
      return { ipa: Number(m[1]), pa: Number(m[2]) };
    };
    const dar = host('DAR');
    const source = await readWord(dc, `phys:${hex(host('SAR').pa)}`);
    const old = await readWord(dc, `phys:${hex(dar.pa)}`);

    await dc.setExceptionBreakpointsRequest({ filters: [] });
    const info = await dc.dataBreakpointInfoRequest({ name: `phys:${hex(dar.pa)}` });
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    const stop = await after(dc, dc.continueRequest({ threadId: channel }));
    assert.equal(stop.stop.body.reason, 'data breakpoint');
    assert.equal(stop.threadId, channel, 'on the channel that wrote it');
    // dmatest copies with byte beats at odd addresses: the burst may cover the watched word in part.
    const m = /^(dma\d ch\d) writes (\d+) bytes? at physical (0x[0-9a-f]+) \(issued as (0x[0-9a-f]{8})\); (0x[0-9a-f]+)\+4(?:, (\d) bytes? at (0x[0-9a-f]+))?: (0x[0-9a-f]+) → (0x[0-9a-f]+)$/.exec(stop.stop.body.description ?? '');
    assert.ok(m, stop.stop.body.description);
    assert.deepEqual([Number(m[3]), Number(m[4]), Number(m[5])], [dar.pa, dar.ipa, dar.pa], 'its first burst, at the IPA the DMAC issued');
    const covered = Number(m[6] ?? 4);
    const low = (word: number): number => covered === 4 ? word : word & ((1 << (8 * covered)) - 1);
    assert.deepEqual([Number(m[8]), Number(m[9])], [low(old), low(source)], 'the source bytes copied over the old ones');
    assert.equal(low(await readWord(dc, `phys:${hex(dar.pa)}`)), low(source));
  } finally {
    await dc.stop();
  }
});
