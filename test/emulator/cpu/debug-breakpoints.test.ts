// The debugger's breakpoints in the execution engine: checked once per decoded block, exact to the instruction in the
// middle of a block and inside a translated hot loop, passed once when resumed from; and a halt request stopping a
// system CPU between instructions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '../../../emulator/bus/bus';
import { BREAKPOINT_HALT } from '../../../emulator/cpu/cpu';
import { SystemCpu } from '../../../emulator/cpu/system';

const skip = spawnSync('arm-linux-gnueabihf-as', ['--version']).error ? 'arm-linux-gnueabihf-as is not installed' : false;

/** A counting loop at 0: r0 counts passes, r1 = r0 + 2 after each; `b .` at the end. */
const LOOP = `
    mov r0, #0
    ldr r2, =100000
loop:
    add r0, r0, #1
    add r1, r0, #2
    cmp r0, r2
    bne loop
    b .
`;
const ADD_R1 = 0xc; // the second instruction of the loop's block

function cpuWithLoop(): SystemCpu {
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-bp-'));
  try {
    writeFileSync(join(dir, 'a.S'), `.syntax unified\n.arm\n${LOOP}\n`);
    assert.equal(spawnSync('arm-linux-gnueabihf-as', ['-o', join(dir, 'a.o'), join(dir, 'a.S')]).status, 0);
    assert.equal(spawnSync('arm-linux-gnueabihf-objcopy', ['-O', 'binary', join(dir, 'a.o'), join(dir, 'a.bin')]).status, 0);
    const code = new Uint8Array(readFileSync(join(dir, 'a.bin')));
    const bus = new Bus();
    bus.addRam(0, 0x10000);
    bus.memory.writeBlock(0, code, 0, code.length);
    const cpu = new SystemCpu(bus);
    cpu.reset(0);
    return cpu;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a breakpoint in the middle of a block stops before its instruction; resumed from, it is passed once and hit on the next pass', { skip }, () => {
  const cpu = cpuWithLoop();
  cpu.breakpoints = new Set([ADD_R1]);
  const ran = cpu.run(1000);
  assert.equal(cpu.stop, BREAKPOINT_HALT);
  assert.equal(cpu.pc, ADD_R1);
  assert.equal(ran, 3, 'mov, ldr, add r0');
  assert.deepEqual([cpu.r[0], cpu.r[1]], [1, 0]);
  cpu.stop = null;
  cpu.passBreakpointAt = cpu.pc;
  assert.equal(cpu.run(1000), 4, 'add r1, cmp, bne, add r0');
  assert.equal(cpu.stop, BREAKPOINT_HALT);
  assert.deepEqual([cpu.pc, cpu.r[0], cpu.r[1]], [ADD_R1, 2, 3]);
});

test('a breakpoint set in a hot loop the translator compiled stops at the exact instruction; none set costs the loop nothing', { skip }, () => {
  const cpu = cpuWithLoop();
  cpu.translateAfter = 10;
  cpu.run(20_000);
  assert.equal(cpu.stop, null);
  cpu.breakpoints = new Set([ADD_R1]);
  cpu.run(1000);
  assert.equal(cpu.stop, BREAKPOINT_HALT);
  assert.equal(cpu.pc, ADD_R1);
  assert.equal(cpu.r[1], cpu.r[0] + 1, 'the previous pass completed, this one stopped before add r1');
  cpu.stop = null;
  cpu.breakpoints = undefined;
  cpu.run(1_000_000);
  assert.equal(cpu.r[0], 100000, 'ran to the end of the loop');
});

test('a halt request stops a system CPU between instructions (at once when it is not running)', { skip }, () => {
  const cpu = cpuWithLoop();
  cpu.run(5);
  cpu.requestHalt();
  assert.equal(cpu.run(1000), 0);
  assert.deepEqual(cpu.stop, { kind: 'halt', detail: 'debugger' });
  cpu.stop = null;
  assert.equal(cpu.run(10), 10, 'it runs on once the stop is cleared');
});
