// What qemu-system-arm's virt board cannot check (its Cortex-A15 lacks the Virtualization Extensions and the board
// has no RAM above 4 GiB): MRS/MSR of banked registers, an LPAE mapping onto a physical address above 4 GiB, the
// CP15 table's consistency, and a runaway program bounded by the time limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bus } from '../../../emulator/bus/bus';
import { CP15_REGISTERS, cp15Key } from '../../../emulator/cpu/cp15';
import { CpuCluster, SystemCpu } from '../../../emulator/cpu/system';
import { assemble, assemblerMissing } from '../../support/toolchain';

const skip = assemblerMissing();

function cpuWith(code: Uint8Array): { cpu: SystemCpu; bus: Bus } {
  const bus = new Bus();
  bus.addRam(0, 0x100000);
  bus.addRam(0x1_0000_0000, 0x100000, 'high');
  bus.memory.writeBlock(0, code, 0, code.length);
  const cpu = new SystemCpu(bus);
  cpu.reset(0);
  return { cpu, bus };
}

/** Runs until the program reaches its final `b .` (the PC stops moving). */
function runToEnd(cpu: SystemCpu): void {
  for (let i = 0; i < 1000; i++) {
    const pc = cpu.pc;
    cpu.run(1);
    if (cpu.pc === pc) return;
  }
  assert.fail(`the program did not finish (pc 0x${cpu.pc.toString(16)})`);
}

test('MRS/MSR (banked) reach another mode\'s SP, LR and SPSR', { skip }, () => {
  const { cpu } = cpuWith(assemble(`
    ldr r1, =0x1234
    msr SP_irq, r1
    ldr r1, =0x600001d2
    msr SPSR_irq, r1
    ldr r1, =0x5678
    msr r8_fiq, r1
    cps #0x12
    mov r2, sp
    mrs r3, spsr
    cps #0x11
    mov r4, r8
    cps #0x13
    mrs r5, SP_irq
    mrs r6, r8_fiq
    mov r7, r8
    b .`));
  runToEnd(cpu);
  assert.deepEqual([...cpu.r.slice(2, 8)].map((v) => v >>> 0), [0x1234, 0x600001d2, 0x5678, 0x1234, 0x5678, 0]);
  assert.equal(cpu.mode, 0x13);
});

test('the unassigned encodings of the CPUID space (CRn c0, CRm c1-c7) read as zero; other unknown CP15 registers are UNDEFINED', { skip }, () => {
  const { cpu } = cpuWith(assemble(`
    mov r2, #1
    mov r3, #1
    mrc p15, 0, r2, c0, c2, 7   @ ID_ISAR6 in later architectures (Linux 6.12 reads it)
    mrc p15, 0, r3, c0, c3, 4   @ ID_PFR2 in later architectures
    mrc p15, 0, r4, c0, c1, 4   @ ID_MMFR0
    b .`));
  runToEnd(cpu);
  assert.deepEqual([cpu.r[2], cpu.r[3]], [0, 0]);
  assert.equal(cpu.r[4] >>> 0, 0x10201105);
  const undefinedOne = cpuWith(assemble(`
    mrc p15, 0, r2, c15, c15, 7
    b .`)).cpu;
  undefinedOne.run(1);
  assert.equal(undefinedOne.mode, 0x1b, 'an UNDEFINED instruction exception');
});

test('an LPAE block maps a virtual address onto RAM above 4 GiB', { skip }, () => {
  const { cpu, bus } = cpuWith(assemble(`
    mov r0, #0
    ldr r1, =0x80000000
    mcr p15, 0, r1, c2, c0, 2     @ TTBCR: EAE, T0SZ = 0
    ldr r2, =0x10000
    mcrr p15, 0, r2, r0, c2       @ TTBR0 = 0x10000
    mrc p15, 0, r1, c1, c0, 0
    orr r1, r1, #1
    mcr p15, 0, r1, c1, c0, 0
    isb
    ldr r3, =0x40000010
    ldr r4, [r3]
    str r4, [r3, #4]
    b .`));
  const table = new DataView(new ArrayBuffer(32));
  table.setUint32(0, 0x000 | 0x401, true); // VA 0-1 GiB: a level-1 block onto PA 0 (AF, block)
  table.setUint32(8, 0x00000401, true); // VA 1-2 GiB: a block onto PA 0x1_0000_0000
  table.setUint32(12, 0x1, true);
  bus.memory.writeBlock(0x10000, new Uint8Array(table.buffer), 0, 32);
  bus.memory.write(0x1_0000_0010, 4, 0xcafef00d);
  runToEnd(cpu);
  assert.equal(cpu.r[4] >>> 0, 0xcafef00d);
  assert.equal(bus.memory.read(0x1_0000_0014, 4), 0xcafef00d);
  assert.equal(cpu.mmu.probe(0x40000010), 0x1_0000_0010);
});

test('the CP15 table: one register per encoding and name, each readable one readable with MRC', () => {
  const keys = new Set(CP15_REGISTERS.map((r) => cp15Key(r.cp, r.op1, r.wide ? 0 : r.crn, r.crm, r.wide ? 0 : r.op2, r.wide === true)));
  assert.equal(keys.size, CP15_REGISTERS.length);
  assert.equal(new Set(CP15_REGISTERS.map((r) => r.name)).size, CP15_REGISTERS.length);
  const cpu = new SystemCpu(new Bus());
  for (const r of CP15_REGISTERS) {
    const readable = cpu.coprocessorRead(r.cp, r.op1, r.crn, r.crm, r.op2, r.wide === true);
    assert.equal(readable, r.access !== 'wo' && !(r.kind === 'timer'), `${r.name}`);
  }
  assert.equal(cpu.cp15Value('MIDR'), 0x414fc0f0);
});

test('a program that never stops is bounded by the budget', { skip }, () => {
  const { cpu } = cpuWith(assemble('1: add r0, r0, #1\n b 1b'));
  assert.equal(cpu.run(100_000), 100_000);
  assert.equal(cpu.r[0], 50_000);
});

// CPS and MSR of the masks run all the time in a kernel: they stop the engine only where the system must act (a
// pending interrupt unmasked, a change of mode), and cost one instruction's time either way.
const MASKS = `
    b start
    .org 0x18
    b irq
  start:
    mov r0, #0
    cpsid i
    add r0, r0, #1
    mrs r1, cpsr
    msr cpsr_c, r1
    cpsie i
    add r0, r0, #1
    cpsid i
    b start
  irq:
    mov r5, r0
    b .`;

test('CPS and MSR of the masks cost one instruction each; CPSIE with an interrupt pending takes it before the next instruction', { skip }, () => {
  const quiet = cpuWith(assemble(MASKS)).cpu;
  assert.equal(quiet.run(1000), 1000);
  assert.equal(quiet.retired, 1000, 'the time passed is the instructions retired');
  assert.equal(quiet.mode, 0x13);
  const { cpu } = cpuWith(assemble(MASKS));
  cpu.run(3); // b start, mov, cpsid i: masked already since reset
  cpu.setIrq(true);
  cpu.run(4); // add, mrs, msr (I still set), cpsie i (at 0x30)
  assert.deepEqual([cpu.pc, cpu.r[0], cpu.mode], [0x34, 1, 0x13]);
  cpu.run(2); // the interrupt, before the next add; b irq; mov r5, r0
  assert.equal(cpu.mode, 0x12);
  assert.equal(cpu.r[14] >>> 0, 0x38, 'LR_irq: the add after CPSIE, + 4');
  assert.equal(cpu.r[5], 1);
});

// The engine runs a system CPU's whole budget at once (no shorter quantum polls the interrupt inputs): an interrupt
// unmasked in the middle of it, here after a translated loop, must still stop the engine at once.
const UNMASK_AFTER_LOOP = `
    b start
    .org 0x18
    b irq
  start:
    ldr r3, =100000
    mov r0, #0
    mov r4, #0
  1: add r0, r0, #1
    cmp r0, r3
    bne 1b
    cpsie i
  2: add r4, r4, #1
    b 2b
  irq:
    mov r5, r4
    b .`;

test('an interrupt unmasked inside a long run is taken before the next instruction, however the budget is split', { skip }, () => {
  const states = [1_000_000, 4093, 1].map((quantum) => {
    const { cpu } = cpuWith(assemble(UNMASK_AFTER_LOOP));
    cpu.translateAfter = 64;
    cpu.setIrq(true); // masked since reset
    let left = 1_000_000;
    while (left > 0) left -= cpu.run(Math.min(left, quantum));
    return { retired: cpu.retired, mode: cpu.mode, lr: cpu.r[14] >>> 0, r0: cpu.r[0], r4: cpu.r[4], r5: cpu.r[5], pc: cpu.pc };
  });
  const [whole] = states;
  assert.equal(whole.mode, 0x12);
  assert.equal(whole.r0, 100_000);
  assert.equal(whole.r5, 0, 'no instruction after CPSIE ran before the interrupt');
  assert.equal(whole.lr, 0x3c, 'LR_irq: the add after CPSIE, + 4');
  // The exception costs one instruction's time but retires nothing.
  assert.equal(whole.retired, 1_000_000 - 1);
  for (const state of states.slice(1)) assert.deepEqual(state, whole);
});

// A device that raises the CPU's IRQ input on the 1000th write to its first word (or the 1000th read): an interrupt
// that becomes due in the middle of a block, from an access there.
const DEVICE = 0x200000;
const RAISE_AT = 1000;

/** The IRQ vector, and the set-up of a loop counting r0 up to r3, with r6 = DEVICE; IRQs unmasked. */
const RAISING_START = `
    b start
    .org 0x18
    b irq
  start:
    ldr r6, =${DEVICE}
    mov r0, #0
    ldr r3, =${2 * RAISE_AT}
    cpsie i`;

/** A loop whose access (`access`, of r0 through r6) raises the interrupt on its 1000th pass, with instructions
 * after it in the same block. */
function raisingLoop(access: string, extra = ''): string {
  return `${RAISING_START}
  1: add r0, r0, #1
    ${access}
    add r1, r0, #2
    ${extra}
    add r2, r0, #3
    cmp r0, r3
    bne 1b
    b .
  irq:
    mov r5, r0
    mov r7, r1
    b .`;
}

/** The state after `budget` instructions run `quantum` at a time (`split`: one run of that many first). */
function runRaising(program: Uint8Array, engine: Engine, budget: number, quantum: number, split = 0): { state: number[]; raisedAt: number } {
  const { cpu, bus } = cpuWith(program);
  cpu.translateAfter = engine === 'translated' ? 64 : Infinity;
  cpu.denseForm = engine !== 'handlers';
  let reads = 0, writes = 0, raisedAt = -1;
  const raise = (): void => {
    raisedAt = cpu.retiredNow;
    cpu.setIrq(true);
  };
  bus.addDevice(DEVICE, 0x1000, {
    name: 'raiser',
    read: () => (++reads === RAISE_AT ? (raise(), 0) : 0),
    write: (offset) => { if (offset === 0 && ++writes === RAISE_AT) raise(); },
  });
  let left = budget;
  if (split > 0) left -= cpu.run(split);
  while (left > 0) left -= cpu.run(Math.min(left, quantum));
  return { state: [cpu.retired, cpu.pc, cpu.mode, cpu.r[14] >>> 0, ...cpu.r.slice(0, 8), cpu.spsr], raisedAt };
}

type Engine = 'translated' | 'dense' | 'handlers';

function sameInEveryEngine(program: Uint8Array, reference: { state: number[]; raisedAt: number }, budget: number): void {
  for (const engine of ['translated', 'dense', 'handlers'] as const) {
    assert.deepEqual(runRaising(program, engine, budget, budget), reference, `${engine}: one run`);
    assert.deepEqual(runRaising(program, engine, budget, 1), reference, `${engine}: single steps`);
    // Split at every point from just before the access to past its block's end.
    for (let split = reference.raisedAt - 1; split <= reference.raisedAt + 7; split++) {
      assert.deepEqual(runRaising(program, engine, budget, budget, split), reference, `${engine}: split after ${split}`);
    }
  }
}

// The engines run a block (or a translated loop) whole; a device's interrupt raised by an access in its middle must
// still be taken before the next instruction, as when the CPU runs one instruction at a time: a replay that stops
// between the two (the debugger's step back runs to a retired count) must take it where the run it replays did.
for (const [name, access, extra] of [
  ['STR', 'str r0, [r6]'], ['STRB', 'strb r0, [r6]'], ['STRH', 'strh r0, [r6]'], ['STM', 'stmia r6, {r0}'],
  ['STRD', 'strd r0, r1, [r6]'], ['LDR', 'ldr r8, [r6, #4]'], ['LDRB', 'ldrb r8, [r6]'],
  ['STR, in a block that calls a handler', 'str r0, [r6]', 'mrc p15, 0, r8, c13, c0, 4'],
] as const) {
  test(`an interrupt raised by a device during a ${name} in mid-block is taken after it, in every engine and split`, { skip }, () => {
    const program = assemble(raisingLoop(access, extra));
    const budget = 12 * RAISE_AT;
    const reference = runRaising(program, 'handlers', budget, 1);
    const [, pc, mode, lr, r0, r1, , , , r5, , r7] = reference.state;
    assert.equal(mode, 0x12, 'in IRQ mode');
    assert.deepEqual([r0, r5, r1, r7], [RAISE_AT, RAISE_AT, RAISE_AT + 1, RAISE_AT + 1], 'nothing after the access ran');
    assert.equal(lr, 0x38, 'LR_irq: the add after the access, + 4');
    assert.equal(pc, lr + 24 + (extra === undefined ? 0 : 4), 'at the handler\'s b .');
    sameInEveryEngine(program, reference, budget);
  });
}

// CPS and MSR of the CPSR go on inside their block: the interrupt raised while masked (by CPSID earlier in the same
// block) is taken right after the CPSIE that unmasks it, an MSR that leaves it masked taking nothing.
test('an interrupt pending while masked in mid-block is taken right after the CPSIE there, in every engine and split', { skip }, () => {
  const program = assemble(raisingLoop('cpsid i\n    ldr r8, [r6, #4]', 'mrs r9, cpsr\n    msr cpsr_c, r9\n    cpsie i'));
  const budget = 12 * RAISE_AT;
  const reference = runRaising(program, 'handlers', budget, 1);
  const [, pc, mode, lr, r0, r1, r2, , , r5, , r7] = reference.state;
  assert.equal(mode, 0x12, 'in IRQ mode');
  assert.deepEqual([r0, r5, r1, r7], [RAISE_AT, RAISE_AT, RAISE_AT + 2, RAISE_AT + 2], 'taken in the pass that raised it');
  assert.equal(r2, RAISE_AT + 2, 'the add after CPSIE did not run (r2 is the pass before\'s)');
  assert.equal(lr, 0x4c, 'LR_irq: the add after CPSIE, + 4 (not after the MSR, which left I set)');
  assert.equal(pc, lr + 20, 'at the handler\'s b .');
  sameInEveryEngine(program, reference, budget);
});

// A change of mode by CPS or MSR in mid-block: the instructions after it use that mode's banked SP.
const MODES_IN_BLOCK = `
    mov r0, #0
    ldr r3, =1000
    mov sp, #0x8000
    cps #0x1f
    mov sp, #0x9000
    cps #0x13
  1: add r0, r0, #1
    cps #0x1f
    str r0, [sp, #-4]!
    mrs r4, cpsr
    msr cpsr_c, #0xd3
    str r0, [sp, #-4]!
    cmp r0, r3
    bne 1b
    mov r6, sp
    cps #0x1f
    mov r5, sp
    b .`;

test('CPS and MSR changing the mode in mid-block switch the banked SP at once, in every engine and split', { skip }, () => {
  const program = assemble(MODES_IN_BLOCK);
  const run = (engine: Engine, quantum: number): number[] => {
    const { cpu, bus } = cpuWith(program);
    cpu.translateAfter = engine === 'translated' ? 64 : Infinity;
    cpu.denseForm = engine !== 'handlers';
    let left = 20_000;
    while (left > 0) left -= cpu.run(Math.min(left, quantum));
    return [cpu.pc, cpu.mode, cpu.r[0], cpu.r[4] & 0x1f, cpu.r[5], cpu.r[6], bus.memory.read(0x8060, 4), bus.memory.read(0x7060, 4), bus.memory.read(0x8ffc, 4), bus.memory.read(0x7ffc, 4)];
  };
  const expected = [0x44, 0x1f, 1000, 0x1f, 0x9000 - 4000, 0x8000 - 4000, 1000, 1000, 1, 1];
  for (const engine of ['translated', 'dense', 'handlers'] as const) {
    for (const quantum of [20_000, 1, 5]) assert.deepEqual(run(engine, quantum), expected, `${engine}, ${quantum} at a time`);
  }
});

// The same in Thumb state, the access inside an IT block: the interrupt is taken with the rest of it to run
// (ITSTATE in SPSR_irq).
const RAISING_IN_IT_BLOCK = `${RAISING_START}
    adr r9, thumb
    orr r9, r9, #1
    bx r9
  irq:
    mov r5, r0
    mov r7, r1
    b .
    .thumb
    .align 2
  thumb:
  1: adds r0, r0, #1
    cmp r0, #0
    itt ne
    strne r0, [r6]
    addne r1, r0, #2
    add r2, r0, #3
    cmp r0, r3
    bne 1b
    b .`;

test('an interrupt raised by a device during a Thumb store in an IT block is taken after it, in every engine and split', { skip }, () => {
  const program = assemble(RAISING_IN_IT_BLOCK);
  const budget = 12 * RAISE_AT;
  const reference = runRaising(program, 'handlers', budget, 1);
  const [, , mode, , r0, r1, , , , r5, , r7, spsr] = reference.state;
  assert.equal(mode, 0x12, 'in IRQ mode');
  assert.deepEqual([r0, r5, r1, r7], [RAISE_AT, RAISE_AT, RAISE_AT + 1, RAISE_AT + 1], 'nothing after the access ran');
  assert.equal(spsr & 0x20, 0x20, 'taken from Thumb state');
  assert.notEqual(spsr & 0x0600fc00, 0, 'inside the IT block (ITSTATE kept for ADDNE)');
  sameInEveryEngine(program, reference, budget);
});

/** Two CPUs of one cluster on one bus: CPU 0 starts at 0, CPU 1 at 0x100. */
function twoCpus(code: Uint8Array): { cpus: SystemCpu[]; bus: Bus } {
  const bus = new Bus();
  bus.addRam(0, 0x400000);
  bus.memory.writeBlock(0, code, 0, code.length);
  const cluster = new CpuCluster();
  const cpus = [0, 1].map((index) => new SystemCpu(bus, { index, cpus: 2, cluster }));
  cpus[0].reset(0);
  cpus[1].reset(0x100);
  return { cpus, bus };
}

const LOCKED_INCREMENT = `
    ldr r1, =0x8000
  1:ldrex r0, [r1]
    add r0, r0, #1
    strex r2, r0, [r1]
    b 1b
    .ltorg
    .org 0x100`;

test('exclusives across CPUs: another CPU\'s store or STREX to the reserved address makes STREX fail; alone, it succeeds', { skip }, () => {
  const { cpus: [cpu0, cpu1], bus } = twoCpus(assemble(`${LOCKED_INCREMENT}
    ldr r1, =0x8000
    mov r0, #5
    str r0, [r1]
  2:ldrex r0, [r1]
    add r0, r0, #0x10
    strex r2, r0, [r1]
    b .`));
  const word = () => bus.memory.read(0x8000, 4);
  cpu0.run(2); // LDR, LDREX
  cpu1.run(3); // a plain store to the reserved word
  cpu0.run(2); // ADD, STREX
  assert.equal(cpu0.r[2], 1, 'STREX after another CPU\'s store fails');
  assert.equal(word(), 5);
  cpu0.run(4); // B, LDREX, ADD, STREX: nobody ran in between
  assert.equal(cpu0.r[2], 0, 'the retry succeeds');
  assert.equal(word(), 6);
  cpu0.run(2); // B, LDREX
  cpu1.run(3); // LDREX, ADD, STREX: the other CPU's exclusive update succeeds
  assert.equal(cpu1.r[2], 0);
  assert.equal(word(), 0x16);
  cpu0.run(2);
  assert.equal(cpu0.r[2], 1, 'STREX after another CPU\'s STREX fails');
  assert.equal(word(), 0x16, 'and stores nothing');
});

test('SEV on one CPU completes WFE on the others; WFE with the event register set does not wait; WFI waits for an interrupt', { skip }, () => {
  const { cpus: [cpu0, cpu1] } = twoCpus(assemble(`
    sev
    b .
    .org 0x100
    wfe
    wfe
    wfe
    wfi
    b .`));
  cpu1.run(10);
  assert.equal(cpu1.pc, 0x104, 'no event since reset: the first WFE waits');
  assert.equal(cpu1.waiting, true);
  assert.equal(cpu1.wakeable, false);
  cpu0.run(1); // SEV: every CPU's event register, its own included
  assert.equal(cpu1.wakeable, true);
  cpu1.run(10);
  assert.equal(cpu1.pc, 0x108, 'the event woke the first WFE and was consumed: the second waits');
  assert.equal(cpu1.waiting, true);
  cpu0.run(1); // B . (no event)
  assert.equal(cpu1.wakeable, false);
  cpu1.setIrq(true);
  assert.equal(cpu1.wakeable, false, 'a masked IRQ does not end WFE');
  cpu1.setIrq(false);
  cpu0.reset(0);
  cpu0.run(1);
  cpu1.run(10);
  assert.equal(cpu1.pc, 0x10c, 'the third WFE waits');
  cpu0.reset(0);
  cpu0.run(1);
  cpu1.run(10);
  assert.equal(cpu1.pc, 0x110, 'WFI waits whatever the event register says');
  assert.equal(cpu1.waiting, true);
  cpu1.setIrq(true);
  assert.equal(cpu1.wakeable, true, 'a masked IRQ ends WFI');
});

/** Short-descriptor sections, identity for the code at 0, and the MMU on (SVC mode, every domain a manager). */
const MMU_ON = `
    ldr r0, =0x4000
    mcr p15, 0, r0, c2, c0, 0
    mov r0, #0
    mcr p15, 0, r0, c2, c0, 2
    mvn r0, #0
    mcr p15, 0, r0, c3, c0, 0
    mrc p15, 0, r0, c1, c0, 0
    orr r0, r0, #1
    mcr p15, 0, r0, c1, c0, 0
    isb
    ldr r1, =0x200000`;

test('TLB maintenance: the Inner Shareable forms reach every CPU\'s TLB, the others only the executing CPU\'s', { skip }, () => {
  const { cpus: [cpu0, cpu1], bus } = twoCpus(assemble(`${MMU_ON}
    ldr r4, =0x4008
    ldr r0, =0x00300c02
    str r0, [r4]
    dsb
    mcr p15, 0, r1, c8, c7, 1 @ TLBIMVA: this CPU only
    dsb
    b .
    ldr r0, =0x00100c02
    str r0, [r4]
    dsb
    mcr p15, 0, r1, c8, c3, 1 @ TLBIMVAIS: every CPU
    dsb
    b .
    .ltorg
    .org 0x100
    ${MMU_ON}
    ldr r2, [r1]
    b .
    .org 0x180
    ldr r3, [r1]
    b .`));
  const section = (pa: number) => (pa | 0xc02) >>> 0;
  bus.memory.write(0x4000, 4, section(0));
  bus.memory.write(0x4008, 4, section(0x200000));
  for (const [pa, value] of [[0x100000, 0x1111], [0x200000, 0x2222], [0x300000, 0x3333]]) bus.memory.write(pa, 4, value);
  const loadAgain = (): number => {
    cpu1.pc = cpu1.next = 0x180;
    runToEnd(cpu1);
    return cpu1.r[3];
  };
  runToEnd(cpu1);
  assert.equal(cpu1.r[2], 0x2222, 'CPU 1 cached the translation of 0x200000');
  runToEnd(cpu0);
  assert.equal(loadAgain(), 0x2222, 'TLBIMVA on CPU 0 leaves CPU 1\'s TLB alone');
  cpu0.pc = cpu0.next += 4;
  runToEnd(cpu0);
  assert.equal(loadAgain(), 0x1111, 'TLBIMVAIS on CPU 0 dropped CPU 1\'s entry');
});
