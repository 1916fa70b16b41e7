// Step back in a kernel session over the Debug Adapter Protocol: Debian's 6.1 armmp-lpae Image on the VFIO_PLATFORM
// guide's platform stops at start_kernel; cpu0 steps a few instructions (the prologue pushes to the stack), recording
// each state (PC, registers, the stack's bytes); stepping back as many times brings each recorded state back in turn,
// stepping forward again passes the same PCs, and reverse continue returns to the breakpoint hit. Then continued to
// setup_arch, step back re-executes the run from start_kernel to each earlier instruction, stepping forward from
// there reaches the same states up to the hit, reverse continue searches back past the run and the steps to the hit on
// start_kernel, step back goes on into the boot before it, and continuing reaches the same setup_arch hit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GUEST, INITRAMFS, initramfsWith } from '../support/debian-kernel';
import { after, client, launch, programFile, registers, root, type Stop } from './support';

const IMAGE = join(GUEST, 'Image');
const skip = existsSync(IMAGE) && existsSync(INITRAMFS) ? false : `${IMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;
const STEPS = 6;
/** Instructions stepped back from a breakpoint hit into the run that reached it. */
const BACK_INTO_RUN = 3;
/** The stack below start_kernel's entry SP that its prologue writes. */
const STACK_BYTES = 64;

interface State { readonly pc: string; readonly registers: Record<string, string>; readonly stack: string }

async function state(dc: DebugClient, stop: Stop, sp: number): Promise<State> {
  const memory = await dc.customRequest('readMemory', { memoryReference: String(sp - STACK_BYTES), count: STACK_BYTES }) as DebugProtocol.ReadMemoryResponse;
  return { pc: stop.frame.instructionPointerReference!, registers: await registers(dc, stop.threadId), stack: memory.body!.data! };
}

test('a kernel session steps back: each of a few steps of cpu0 from start_kernel undone restores its registers and memory, forward again passes the same PCs, reverse continue returns to the breakpoint', { skip, timeout: 300_000 }, async () => {
  const initrd = programFile('initramfs.cpio', initramfsWith({}));
  const dc = await client();
  try {
    let stop = await launch(dc, { kernel: IMAGE, initrd, platform: join(root, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts'), append: 'console=ttyAMA0', cpus: 1 }, async () => {
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'start_kernel' }] });
      await dc.setExceptionBreakpointsRequest({ filters: [] });
    });
    assert.equal(stop.stop.body.reason, 'function breakpoint');
    const threadId = stop.threadId;
    const sp = Number((await registers(dc, threadId)).sp ?? (await registers(dc, threadId)).r13);
    assert.ok(sp > 0, 'the stack pointer');

    const recorded = [await state(dc, stop, sp)];
    for (let i = 0; i < STEPS; i++) {
      stop = await after(dc, dc.stepInRequest({ threadId, granularity: 'instruction' }));
      assert.equal(stop.stop.body.reason, 'step');
      recorded.push(await state(dc, stop, sp));
    }
    assert.equal(new Set(recorded.map((s) => s.pc)).size, STEPS + 1, `the steps moved the PC: ${recorded.map((s) => s.pc).join(' ')}`);
    assert.notEqual(recorded[STEPS].stack, recorded[0].stack, "the prologue's pushes changed the stack");

    for (let i = STEPS - 1; i >= 0; i--) {
      stop = await after(dc, dc.stepBackRequest({ threadId }));
      assert.equal(stop.stop.body.reason, 'step');
      assert.deepEqual(await state(dc, stop, sp), recorded[i], `the state before step ${i + 1}`);
    }

    for (let i = 1; i <= STEPS; i++) {
      stop = await after(dc, dc.stepInRequest({ threadId, granularity: 'instruction' }));
      assert.deepEqual(await state(dc, stop, sp), recorded[i], `step ${i} again`);
    }
    stop = await after(dc, dc.reverseContinueRequest({ threadId }));
    assert.deepEqual(await state(dc, stop, sp), recorded[0], 'reverse continue: back at the breakpoint hit');

    // Into a run: continued to setup_arch, step back re-executes the run from start_kernel to each earlier instruction;
    // stepped forward from there, the CPU reaches the same states again, up to the breakpoint hit.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'setup_arch' }] });
    stop = await after(dc, dc.continueRequest({ threadId }));
    assert.equal(stop.stop.body.reason, 'function breakpoint');
    const hitSp = Number((await registers(dc, threadId)).sp);
    const backs = [await state(dc, stop, hitSp)];
    for (let i = 0; i < BACK_INTO_RUN; i++) {
      stop = await after(dc, dc.stepBackRequest({ threadId }));
      assert.equal(stop.stop.body.reason, 'step');
      backs.push(await state(dc, stop, hitSp));
    }
    assert.equal(new Set(backs.map((s) => s.pc)).size, BACK_INTO_RUN + 1, `step back moved the PC: ${backs.map((s) => s.pc).join(' ')}`);
    for (let i = BACK_INTO_RUN - 1; i >= 0; i--) {
      stop = await after(dc, dc.stepInRequest({ threadId, granularity: 'instruction' }));
      assert.deepEqual(await state(dc, stop, hitSp), backs[i], `forward to ${i} instructions before setup_arch`);
    }
    // Reverse continue searches back for the latest breakpoint hit: none in the run nor in the steps before it, so the
    // hit on start_kernel (its breakpoint set again), past the run and the steps there.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'start_kernel' }, { name: 'setup_arch' }] });
    stop = await after(dc, dc.reverseContinueRequest({ threadId }));
    assert.equal(stop.stop.body.reason, 'function breakpoint');
    assert.deepEqual(await state(dc, stop, sp), recorded[0], 'reverse continue: back at the hit on start_kernel');
    // Further back than any run's start: into the boot (re-executed from its nearest checkpoint), and forward again.
    stop = await after(dc, dc.stepBackRequest({ threadId }));
    assert.equal(stop.stop.body.reason, 'step');
    assert.notEqual(stop.frame.instructionPointerReference, recorded[0].pc, 'before start_kernel');
    stop = await after(dc, dc.stepInRequest({ threadId, granularity: 'instruction' }));
    assert.deepEqual(await state(dc, stop, sp), recorded[0], 'forward again: the hit on start_kernel');
    // Continued again, the machine reaches the same hit on setup_arch: the same state as before.
    stop = await after(dc, dc.continueRequest({ threadId }));
    assert.equal(stop.stop.body.reason, 'function breakpoint');
    assert.deepEqual(await state(dc, stop, hitSp), backs[0], 'setup_arch hit again');
  } finally {
    await dc.stop();
  }
});
