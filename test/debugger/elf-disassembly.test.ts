// The disassembly view of an ARM executable's session (examples/vfio-pl330, Thumb-2 built with -g): instructions
// read as arm-linux-gnueabihf-objdump prints them, instruction breakpoints stop the CPU at their address, and
// instruction steps move the PC to the next instruction of objdump's listing (over a call with `next`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElfRuntime } from '../../debugger/runtime/elf-runtime';
import { MappingSymbols } from '../../emulator/elf/mapping-symbols';
import { loadPlatform } from '../../scenarios/platform';
import { objdumpAvailable, objdumpListing } from '../support/objdump';
import { VARIANTS, compile, toolchainAvailable } from '../support/toolchain';
import { after, client, launch, root } from './support';

const program = join(root, 'examples', 'vfio-pl330', 'vfio-pl330');
const source = join(root, 'examples', 'vfio-pl330', 'vfio-pl330.c');
const hex32 = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;
const skip = !objdumpAvailable() && 'arm-linux-gnueabihf-objdump is not installed';

test('disassembly, instruction breakpoints and instruction steps in main follow objdump', { skip }, async () => {
  const listing = objdumpListing(program);
  const byAddress = new Map(listing.map((l) => [l.address, l]));
  const main = listing.filter((l) => l.function === 'main');
  // main's first call of write_file, and the call of snprintf before it whose argument set-up precedes it.
  const writeFileCall = main.findIndex((l) => l.raw.startsWith('bl\t') && l.raw.includes('<write_file>'));
  const snprintfCall = main.slice(0, writeFileCall).map((l) => l.raw.startsWith('bl\t')).lastIndexOf(true);
  assert.ok(snprintfCall > 0, 'main calls a function before write_file');
  const start = main[snprintfCall - 1];
  assert.doesNotMatch(start.text, /^(b|bl|blx|bx|cb)/, `the instruction before the call is no branch (${start.text})`);
  const data = main.find((l) => l.text.startsWith('.word'))!;
  const wide = main.find((l, i) => !l.text.startsWith('.') && main[i + 1]?.address === l.address + 4)!;

  const dc = await client();
  try {
    let breakpoints: DebugProtocol.Breakpoint[] = [];
    const first = await launch(dc, { program }, async () => {
      const response = await dc.customRequest('setInstructionBreakpoints', {
        breakpoints: [{ instructionReference: hex32(start.address) }, { instructionReference: hex32(data.address) }, { instructionReference: hex32(wide.address + 2) }],
      }) as DebugProtocol.SetInstructionBreakpointsResponse;
      breakpoints = response.body.breakpoints;
    });
    assert.deepEqual(breakpoints.map((b) => b.verified), [true, false, false]);
    assert.match(breakpoints[1].message ?? '', /data/);
    assert.match(breakpoints[2].message ?? '', new RegExp(`inside the 32-bit instruction at ${hex32(wide.address)}`));
    assert.equal(first.stop.body.reason, 'instruction breakpoint');
    assert.equal(first.frame.instructionPointerReference, hex32(start.address));
    assert.equal(first.frame.name, 'main');

    // 8 instructions before the PC and 24 from it, as objdump lists them, with main's source lines.
    const view = (await dc.disassembleRequest({ memoryReference: first.frame.instructionPointerReference!, instructionOffset: -8, instructionCount: 32 })).body!.instructions;
    assert.equal(view.length, 32);
    assert.equal(view[8].address, hex32(start.address));
    const at = listing.indexOf(byAddress.get(start.address)!);
    assert.deepEqual(view.map((i) => [i.address, i.instruction]), listing.slice(at - 8, at + 24).map((l) => [hex32(l.address), l.text]));
    for (const i of view.filter((v) => byAddress.get(Number(v.address))?.function === 'main' && !v.instruction.startsWith('.word'))) {
      assert.equal(i.location?.path, source, `${i.address} ${i.instruction} is in main's source`);
      assert.ok((i.line ?? 0) > 0);
    }
    // Across main's literal pool: data as objdump's `.word`, then the code after it in step again.
    const pool = (await dc.disassembleRequest({ memoryReference: hex32(data.address), instructionOffset: -6, instructionCount: 40 })).body!.instructions;
    const d = listing.indexOf(data);
    assert.deepEqual(pool.map((i) => [i.address, i.instruction]), listing.slice(d - 6, d + 34).map((l) => [hex32(l.address), l.text]));
    assert.equal(view[8].instructionBytes?.split(' ').length, listing[at + 1].address - start.address, 'the bytes of one instruction');

    // Instruction steps: to the call, over it, then one by one to the call of write_file, and into it.
    const step = async (kind: 'stepIn' | 'next'): Promise<string> => {
      const request = kind === 'next' ? dc.nextRequest({ threadId: 1, granularity: 'instruction' }) : dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
      const stop = await after(dc, request);
      assert.equal(stop.stop.body.reason, 'step');
      return stop.frame.instructionPointerReference!;
    };
    assert.equal(await step('stepIn'), hex32(main[snprintfCall].address));
    assert.equal(await step('next'), hex32(main[snprintfCall + 1].address), 'next steps over the call');
    for (let i = snprintfCall + 2; i <= writeFileCall; i++) assert.equal(await step('stepIn'), hex32(main[i].address));
    const target = Number(/^bl (0x[0-9a-f]+)$/.exec(main[writeFileCall].text)![1]);
    assert.equal(await step('stepIn'), hex32(target), 'stepping into the call goes to write_file');
    const inside = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    assert.equal(inside.name, 'write_file');
    const there = (await dc.disassembleRequest({ memoryReference: inside.instructionPointerReference!, instructionCount: 1 })).body!.instructions[0];
    assert.equal(there.symbol, 'write_file');
    assert.equal(there.instruction, byAddress.get(target)!.text);
  } finally {
    await dc.stop();
  }
});

test('an A32 program (-marm) calling the Thumb-2 C library: the view switches instruction set at mapping symbols', { skip: skip || (!toolchainAvailable(VARIANTS[1]) && 'the armhf cross compiler is not installed') }, async () => {
  const source = join(root, 'test', 'emulator', 'cpu', 'programs', 'integer.c');
  const elf = compile(source, VARIANTS[1], ['-g']);
  const listing = objdumpListing(elf);
  const mapping = new MappingSymbols(new Uint8Array(readFileSync(elf)));
  const kind = (address: number): string | undefined => mapping.regionAt(address)?.kind;
  // The first place where objdump's listing goes from A32 code straight on to Thumb code, 12 lines either side
  // without a gap (within one section).
  const contiguous = (from: number, to: number): boolean => listing.slice(from, to).every((l, k, all) => k === 0 || l.address - all[k - 1].address <= 4);
  const switchAt = listing.findIndex((l, i) => i >= 12 && kind(l.address) === 'thumb' && kind(listing[i - 1].address) === 'arm' && contiguous(i - 12, i + 12));
  assert.ok(switchAt > 0, 'the program has A32 code followed by Thumb code');

  const dc = await client();
  try {
    const line = readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes('h ^= a / b + a % b;')) + 1;
    const stop = await launch(dc, { program: elf }, () => dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [{ line }] }));
    assert.equal(stop.frame.name, 'main');
    const pc = Number(stop.frame.instructionPointerReference);
    assert.equal(kind(pc), 'arm');
    const at = listing.findIndex((l) => l.address === pc);
    const around = (await dc.disassembleRequest({ memoryReference: hex32(pc), instructionOffset: -10, instructionCount: 30 })).body!.instructions;
    assert.deepEqual(around.map((i) => [i.address, i.instruction]), listing.slice(at - 10, at + 20).map((l) => [hex32(l.address), l.text]));
    assert.ok(around.slice(10).every((i) => i.instructionBytes?.split(' ').length === 4), 'A32 instructions are 4 bytes');

    const boundary = listing[switchAt].address;
    const across = (await dc.disassembleRequest({ memoryReference: hex32(boundary), instructionOffset: -12, instructionCount: 24 })).body!.instructions;
    assert.deepEqual(across.map((i) => [i.address, i.instruction]), listing.slice(switchAt - 12, switchAt + 12).map((l) => [hex32(l.address), l.text]));

    const step = await after(dc, dc.stepInRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(step.frame.instructionPointerReference, hex32(listing[at + 1].address), 'one A32 instruction on');
  } finally {
    await dc.stop();
  }
});

test("the view's runtime walks every line objdump lists, forward and backward, literal pools and odd tails included", { skip }, () => {
  const listing = objdumpListing(program);
  const text = new Map(listing.map((l) => [l.address, l.text]));
  const runtime = ElfRuntime.launch({ program, args: [], workspace: join(root, 'examples', 'vfio-pl330'), stopOnEntry: true, maxInstructions: 1, trace: false, env: [], strictSyscalls: false }, new Uint8Array(readFileSync(program)), loadPlatform, () => undefined);
  // objdump leaves out runs of zero padding ("..."); the view shows them as instructions, so only listed lines count.
  const differing = (lines: readonly { address: string; instruction: string }[]) => lines.filter((l) => text.has(Number(l.address)) && text.get(Number(l.address)) !== l.instruction);
  let shown = 0;
  for (let i = 0; i < listing.length;) {
    const chunk = runtime.disassemble(listing[i].address, 0, 500).map((l) => ({ address: hex32(l.address), instruction: l.text }));
    assert.deepEqual(differing(chunk), []);
    const last = Number(chunk[chunk.length - 1].address);
    assert.ok(last > listing[i].address, `the view moves on from ${hex32(listing[i].address)}`);
    while (i < listing.length && listing[i].address <= last) i++;
    shown += chunk.filter((l) => text.has(Number(l.address))).length;
  }
  assert.ok(shown >= listing.length, `${shown} of ${listing.length} lines shown`);
  for (let i = 30; i < listing.length; i += 499) {
    const before = runtime.disassemble(listing[i].address, -30, 30);
    assert.deepEqual(differing(before.map((l) => ({ address: hex32(l.address), instruction: l.text }))), []);
    assert.equal(before[29].address + before[29].bytes.length, listing[i].address, `the 30 lines end where ${hex32(listing[i].address)} starts`);
  }
});
