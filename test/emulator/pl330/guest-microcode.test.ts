// The guest PL330 driver's memcpy microcode (Test Case 2), run on QEMU's PL330 through qtest as the reference:
// the driver identifies QEMU's DMAC from its registers as it does the passed-through one, builds the microcode for
// copies of every alignment and length class, and each copy must move exactly its bytes and signal its event.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { debugGo } from '../../../emulator/pl330/debug';
import { CHANNEL_STATE_NAMES, PL330_REGISTER_MAP } from '../../../emulator/pl330/registers';
import { identifyPl330, memcpyMicrocode, type Pl330Identity } from '../../../scenarios/guest-pl330';
import { QemuPl330, qemuAvailable } from './qemu-pl330';
import { patternBytes } from '../../support/pl330-machine';

const offsetOf = (name: string): number => PL330_REGISTER_MAP.named(name)!.offset;
const SOURCE = 0x100000, DESTINATION = 0x200000, MICROCODE = 0x1000;
/** Bytes around the destination that must stay zero. */
const GUARD = 32;

/** Length, source and destination misalignment: every beat-size class, bursts with and without a remainder, nested loops. */
const CASES: readonly (readonly [number, number, number])[] = [
  [8, 0, 0], [128, 0, 0], [136, 0, 0], [4096, 0, 0], [16384 + 72, 0, 0], [40 * 1024, 0, 0],
  [4, 4, 0], [100, 0, 4], [1028, 4, 4], [6, 2, 0], [514, 2, 6], [7, 1, 0], [333, 3, 5], [1, 0, 1],
];

const haveQemu = qemuAvailable();
let qemu: QemuPl330 | undefined;
let identity: Pl330Identity;

before(async () => {
  if (!haveQemu) return;
  qemu = await QemuPl330.start();
  const names = ['CR0', 'CRD', ...[0, 1, 2, 3].flatMap((i) => [`periph_id_${i}`, `pcell_id_${i}`])];
  const values = new Map<string, number>();
  for (const n of names) values.set(n, await qemu.reg(offsetOf(n)));
  identity = identifyPl330((n) => values.get(n)!, 'QEMU pl330');
});
after(() => qemu?.close());

for (const [length, sourceOffset, destinationOffset] of CASES) {
  test(`guest memcpy microcode: ${length} bytes, source +${sourceOffset}, destination +${destinationOffset}, on QEMU's PL330`, { skip: !haveQemu && 'qemu-system-arm is not installed' }, async () => {
    const q = qemu!;
    const src = SOURCE + sourceOffset, dst = DESTINATION + destinationOffset;
    const data = patternBytes(length, length * 31 + sourceOffset);
    await q.command(`memset 0x${(dst - GUARD).toString(16)} ${length + 2 * GUARD} 0`);
    await q.writeBytes(src, data);
    await q.writeBytes(MICROCODE, memcpyMicrocode(identity, { channel: 0, event: 0, microcode: MICROCODE }, dst, src, length));
    await q.setReg(offsetOf('INTEN'), 1);
    const go = debugGo(0, MICROCODE);
    await q.setReg(offsetOf('DBGINST0'), go.inst0);
    await q.setReg(offsetOf('DBGINST1'), go.inst1);
    await q.setReg(offsetOf('DBGCMD'), 0);
    const state = (await q.reg(offsetOf('CSR0'))) & 0xf;
    assert.equal(CHANNEL_STATE_NAMES[state], 'Stopped');
    assert.equal(await q.reg(offsetOf('FSRC')), 0, `FTR0 = 0x${(await q.reg(offsetOf('FTR0'))).toString(16)}`);
    assert.equal((await q.reg(offsetOf('INTMIS'))) & 1, 1, 'event 0 was not signalled');
    await q.setReg(offsetOf('INTCLR'), 1);
    const copied = await q.readBytes(dst - GUARD, length + 2 * GUARD);
    const expected = new Uint8Array(length + 2 * GUARD);
    expected.set(data, GUARD);
    assert.deepEqual(copied, expected);
  });
}
