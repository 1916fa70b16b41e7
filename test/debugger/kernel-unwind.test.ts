// Call stacks of a kernel session, unwound by the kernel's own EHABI tables (CONFIG_ARM_UNWIND) found in Debian's 6.1
// armmp-lpae Image: a function breakpoint on pl330_probe, deep in the boot (a deferred probe of an AMBA device),
// shows the driver core's chain up to the kernel thread's start. The reference is the kernel's own unwinder: stopped
// in the body of pl330_probe, of an initcall and of the GIC's interrupt handler, the CPU is made to call dump_stack()
// from there, and the backtrace Linux prints names the same return addresses, frame for frame, as the debugger's
// unwinding of the same stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelSymbols } from '../../debugger/runtime/kernel-symbols';
import { locateUnwindIndex, unwindKernelStack } from '../../debugger/runtime/kernel-unwind';
import { disassembleAt } from '../../emulator/cpu/disasm';
import type { SystemCpu } from '../../emulator/cpu/system';
import { parseSystemMap, readKallsyms } from '../../emulator/linux/kallsyms';
import { platformFromDtb } from '../../emulator/machine/from-dtb';
import { bootKernel } from '../../emulator/machine/linux-boot';
import { SystemMachine } from '../../emulator/machine/system';
import { loadPlatformDtb } from '../../scenarios/platform';
import { build, toolsMissing } from '../support/bare-metal';
import { GUEST, INITRAMFS, initramfsWith } from '../support/debian-kernel';
import { client, launchKernelTo, programFile } from './support';

const IMAGE = join(GUEST, 'Image');
const skip = existsSync(IMAGE) && existsSync(INITRAMFS) ? false : `${IMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;
const BOOTARGS = 'console=ttyAMA0 cryptomgr.notests=1';
/** Machine time to reach the first DMAC's probe (it comes at 0.13 s). */
const BOOT_NS = 2_000_000_000;
/** Machine time dump_stack takes to print its backtrace. */
const DUMP_NS = 20_000_000;
const CPU_NAME = /^([\w.]+)(?:\+0x[0-9a-f]+)?$/;

/** A word of the kernel's virtual memory as the CPU translates it now (no TLB fill, no fault, RAM only). */
function reader(system: SystemMachine, cpu: SystemCpu): (address: number) => number | undefined {
  return (address) => {
    const physical = cpu.mmu.probe(address >>> 0);
    if (physical < 0 || !system.machine.bus.isRam(physical, 4)) return undefined;
    const bytes = new Uint8Array(4);
    system.machine.bus.memory.readBlock(physical, bytes, 0, 4);
    return (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
  };
}

/** Whether the instruction before a return address is a call (BL, BLX immediate or BLX register, A32). */
function followsCall(read: (address: number) => number | undefined, returnAddress: number): boolean {
  const word = read(returnAddress - 4);
  if (word === undefined) return false;
  return ((word >>> 24) & 0x0f) === 0x0b || (word >>> 25) === 0x7d || (word & 0x0ffffff0) === 0x012fff30;
}

test('a function breakpoint on pl330_probe: the stack shows the driver core calling it, up to the kernel thread that runs the deferred probe', { skip, timeout: 600_000 }, async () => {
  const dc = await client();
  try {
    const stop = await launchKernelTo(dc, { kernel: IMAGE, initrd: programFile('initramfs.cpio', initramfsWith({})), append: BOOTARGS, cpus: 1 }, 'pl330_probe');
    assert.equal(stop.body.reason, 'function breakpoint');
    const frames = (await dc.stackTraceRequest({ threadId: stop.body.threadId! })).body.stackFrames;
    const names = frames.map((f) => CPU_NAME.exec(f.name)?.[1] ?? f.name);
    assert.equal(frames[0].name, 'pl330_probe');
    // pl330.c's driver is an AMBA driver: the bus's probe calls it, the driver core's really_probe calls the bus's.
    assert.deepEqual(names.slice(0, 3), ['pl330_probe', 'amba_probe', 'really_probe'], names.join(' ← '));
    for (const caller of ['__driver_probe_device', 'driver_probe_device', 'bus_probe_device', 'deferred_probe_work_func', 'process_one_work', 'worker_thread', 'kthread']) {
      assert.ok(names.includes(caller), `${caller} in ${names.join(' ← ')}`);
    }
    // The thread's start cannot be unwound (EXIDX_CANTUNWIND): the walk ends there.
    assert.equal(names[names.length - 1], 'ret_from_fork');
    // Each caller's frame is at a return address: the instruction before it is a call (ret_from_fork calls the
    // thread's function by setting lr and moving the function's address to pc).
    for (const frame of frames.slice(1, -1)) {
      const at = Number(frame.instructionPointerReference);
      const memory = await dc.customRequest('readMemory', { memoryReference: `0x${(at - 4).toString(16)}`, count: 4 }) as DebugProtocol.ReadMemoryResponse;
      const word = Buffer.from(memory.body!.data!, 'base64').readUInt32LE(0);
      assert.ok(followsCall(() => word, at), `${frame.name}: ${word.toString(16)} before it is a call`);
    }
    // Stepped instruction by instruction through the prologue (pushes, the locals' space, ftrace's push/pop of lr),
    // the callers stay the same.
    for (let i = 1; i <= 4; i++) {
      const step = dc.waitForEvent('stopped');
      await dc.stepInRequest({ threadId: stop.body.threadId!, granularity: 'instruction' });
      await step;
      const now = (await dc.stackTraceRequest({ threadId: stop.body.threadId! })).body.stackFrames;
      assert.equal(now[0].name, `pl330_probe+0x${(4 * i).toString(16)}`);
      assert.deepEqual(now.slice(1).map((f) => f.name), frames.slice(1).map((f) => f.name), `after ${i} instructions`);
    }
    // Out: to amba_probe, at the return address the stack showed.
    const stepped = dc.waitForEvent('stopped');
    await dc.stepOutRequest({ threadId: stop.body.threadId! });
    assert.equal((await stepped).body.reason, 'step');
    const out = (await dc.stackTraceRequest({ threadId: stop.body.threadId! })).body.stackFrames;
    assert.equal(out[0].instructionPointerReference, frames[1].instructionPointerReference);
    assert.deepEqual(out.map((f) => f.name), frames.slice(1).map((f) => f.name));
  } finally {
    await dc.stop();
  }
});

/** The return addresses of a backtrace Linux printed (6.1's format: " dump_stack_lvl from pl330_probe+0x24/0x91c", the
 * caller, then the return address with its function's size; an exception frame's registers between). */
function linuxBacktrace(console: string): string[] {
  const frames: string[] = [];
  for (const line of console.split('\n')) {
    const m = / (\w+) from (\w+\+0x[0-9a-f]+)\/0x[0-9a-f]+/.exec(line);
    if (m) frames.push(m[2]);
    else if (frames.length > 0 && !/Exception stack|\] [0-9a-f]{4}: /.test(line)) break;
  }
  return frames;
}

test("the unwinding agrees with Linux's own: dump_stack() called from stops in a deferred probe, an initcall and an interrupt handler prints the same return addresses", { skip, timeout: 600_000 }, () => {
  const image = new Uint8Array(readFileSync(IMAGE));
  const symbols = new KernelSymbols(readKallsyms(image), 'kallsyms');
  const index = locateUnwindIndex(image, undefined, symbols);
  assert.ok(index, 'the Image has an unwind index');
  const dtb = loadPlatformDtb(undefined, () => {});
  let consoleText = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { consoleText += String.fromCharCode(byte); } });
  bootKernel(system, { kernel: image, dtb, initrd: initramfsWith({}), bootargs: BOOTARGS });
  const cpu = system.cpus[0];
  const read = reader(system, cpu);
  const chain = (): string[] => unwindKernelStack(index, [...Array.from(cpu.r).slice(0, 15), cpu.pc], read, symbols.code)
    .map((f, depth) => (depth === 0 ? symbols.describe(f.pc) : symbols.describeReturn(f.pc)) ?? `0x${f.pc.toString(16)}`);
  const runTo = (addresses: readonly number[]): void => {
    cpu.stop = null;
    cpu.passBreakpointAt = cpu.pc;
    cpu.breakpoints = new Set(addresses);
    const outcome = system.run(BOOT_NS);
    assert.equal(outcome.kind, 'stopped', `reached ${addresses.map((a) => symbols.describe(a)).join(', ')}: ${JSON.stringify(outcome)}\n${consoleText}`);
    assert.ok(addresses.includes(cpu.pc));
  };

  // After the console is up, in boot order: dma-pl330's deferred probe (a worker thread), the late initcall that
  // disables unused clocks (init text, after the index's other entries), a GIC interrupt (through __irq_svc's frame).
  for (const name of ['pl330_probe', 'clk_disable_unused', 'gic_handle_irq']) {
    // At the entry (nothing pushed yet: the caller is lr), then past the prologue, where the first call the function
    // makes returns.
    const entry = symbols.addresses(name)[0];
    runTo([entry]);
    const atEntry = chain();
    const returns: number[] = [];
    for (let at = entry; at < symbols.functionAt(entry)!.end; at += 4) {
      if (/^bl /.test(disassembleAt((a) => read(a & ~3)! >>> ((a & 2) * 8) & 0xffff, at, false)?.text ?? '')) returns.push(at + 4);
    }
    assert.ok(returns.length > 0, `${name} calls functions`);
    runTo(returns);
    const inBody = chain();
    assert.equal(inBody[0], symbols.describe(cpu.pc));
    assert.deepEqual(inBody.slice(1), atEntry.slice(1), `${name}: the same callers at the entry and in the body`);

    // Called from here, dump_stack returns here: its backtrace's frames below its own are the function's. (The call
    // clobbers the function's registers: the machine is put back as it was afterwards.)
    const before = system.snapshot();
    cpu.breakpoints = undefined;
    cpu.stop = null;
    cpu.r[14] = cpu.pc;
    cpu.pc = symbols.addresses('dump_stack')[0];
    const printed = consoleText.length;
    system.run(DUMP_NS);
    const linux = linuxBacktrace(consoleText.slice(printed));
    const from = linux.findIndex((frame) => frame.startsWith(`${name}+`));
    assert.ok(from > 0, `Linux's backtrace passes ${name}:\n${consoleText.slice(printed)}`);
    assert.deepEqual(inBody, linux.slice(from), name);
    system.restore(before);
  }
});

test("where the index is: a System.map's __start_unwind_idx/__stop_unwind_idx, an ELF kernel's .ARM.exidx section (readelf's), none for a kernel without either", () => {
  const map = 'c0208000 T _text\nc13ac6b8 R __start_unwind_idx\nc13ef4f8 R __stop_unwind_idx\nc0a03b40 t pl330_probe\n';
  const fromMap = new KernelSymbols(parseSystemMap(map, 'System.map'), 'System.map');
  const notAnElf = new Uint8Array(4096);
  assert.deepEqual(locateUnwindIndex(notAnElf, new TextEncoder().encode(map), fromMap), { start: 0xc13ac6b8, end: 0xc13ef4f8 });
  assert.equal(locateUnwindIndex(notAnElf, undefined, new KernelSymbols(parseSystemMap('c0a03b40 t pl330_probe\n', 'System.map'), 'System.map')), undefined);
  if (toolsMissing()) return;
  const elf = build('debug/calls.c', ['-g', '-funwind-tables']);
  const r = spawnSync('arm-linux-gnueabihf-readelf', ['-S', '-W', elf], { encoding: 'utf8' });
  const m = /\.ARM\.exidx\s+ARM_EXIDX\s+([0-9a-f]+) [0-9a-f]+ ([0-9a-f]+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const bytes = new Uint8Array(readFileSync(elf));
  assert.deepEqual(locateUnwindIndex(bytes, bytes, KernelSymbols.none(elf)), { start: parseInt(m[1], 16), end: parseInt(m[1], 16) + parseInt(m[2], 16) });
});
