// Snapshots of a machine running a passthrough guest (dmalab as the hypervisor): the guest's own GIC (banked per CPU)
// and PL011 are saved with the machine, so a guest restored mid-run ends as the run it was taken in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { PassthroughGuest } from '../../../emulator/machine/passthrough';
import { SystemMachine } from '../../../emulator/machine/system';
import { assemble, assemblerMissing } from '../../support/toolchain';
import { machineDigest } from './machine-hash';

const GUIDE = 'examples/platforms/vexpress-mmu400-dma330.dts';

test("a passthrough guest on two CPUs restored mid-run: the guest's console, its GIC's banks and the whole state end as the run's", { skip: assemblerMissing() }, () => {
  const dtb = new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', GUIDE]));
  let output = '';
  const system = new SystemMachine(platformFromDtb(dtb), {
    cpus: 2, console: (byte) => { output += String.fromCharCode(byte); },
    guest: (machine) => new PassthroughGuest(machine, dtb, { devices: ['2c0a0000.dma'] }),
  });
  const guest = system.guest as PassthroughGuest;
  // CPU 0 starts CPU 1 (PSCI CPU_ON over SMC) and prints 'a'..'z' on the guest's PL011 with a delay loop between
  // letters; CPU 1 enables its bank of the guest's GIC CPU interface and counts in guest RAM.
  const code = assemble(`
    ldr r0, =0x84000003
    mov r1, #1
    adr r2, secondary
    mov r3, #0
    smc #0
    ldr r4, =0x1c090000
    mov r5, #'a'
1:  str r5, [r4]
    mov r6, #300
2:  subs r6, r6, #1
    bne 2b
    add r5, r5, #1
    cmp r5, #'z' + 1
    bne 1b
3:  b 3b
secondary:
    ldr r4, =0x2c002000
    mov r5, #1
    str r5, [r4]
    ldr r8, =0x80000800
    mov r9, #0
4:  add r9, r9, #1
    str r9, [r8]
    b 4b
    .ltorg`);
  system.load(0x80000000, code);
  system.boot(0x80000000);
  assert.equal(system.run(3_000).kind, 'time-limit');
  assert.ok(output.length > 0 && output.length < 26, `mid-run: ${output}`);
  const snapshot = system.snapshot();
  const printed = output.length;
  assert.equal(system.run(1e6).kind, 'time-limit');
  assert.equal(output.slice(printed - 1, printed + 1), String.fromCharCode(96 + printed, 97 + printed));
  assert.match(output, /abcdefghijklmnopqrstuvwxyz$/);
  assert.deepEqual([guest.gic.cpuRead(0, 0), guest.gic.cpuRead(1, 0)], [0, 1]);
  const end = { output: output.slice(printed), digest: machineDigest(system) };

  // CPU 0's bank of the guest's GIC (which the program never writes) and the guest's UART changed: restored, they
  // are the snapshot's again.
  guest.gic.cpuWrite(0, 0, 1);
  guest.uarts[0].write(0x038, 4, 0x10);
  const from = output.length;
  system.restore(snapshot);
  assert.equal(system.run(1e6).kind, 'time-limit');
  assert.equal(output.slice(from), end.output);
  assert.deepEqual(machineDigest(system), end.digest);
});
