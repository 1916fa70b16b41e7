// The PL011's receive side: a line longer than the 32-entry FIFO is held on the host's side and reaches the guest as it
// reads (none lost, in order, RXFF while the FIFO is full, the receive interrupt raised again for bytes that arrive
// after the guest cleared it), with the FIFOs off one byte at a time, and a snapshot taken mid-line restores the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pl011 } from '../../../emulator/uart/pl011';

const DR = 0x000, FR = 0x018, LCR_H = 0x02c, IMSC = 0x038, RIS = 0x03c, ICR = 0x044;
const RXFE = 1 << 4, RXFF = 1 << 6, RX_INTERRUPTS = (1 << 4) | (1 << 6);
const FIFOS_ON = (3 << 5) | (1 << 4);

function uart(lcr = FIFOS_ON): { uart: Pl011; levels: boolean[] } {
  const levels: boolean[] = [];
  const u = new Pl011();
  u.irq = { setLevel: (level: boolean) => levels.push(level) } as Pl011['irq'];
  u.write(LCR_H, 4, lcr);
  u.write(IMSC, 4, RX_INTERRUPTS);
  return { uart: u, levels };
}

/** Reads UARTDR until UARTFR says the FIFO is empty. */
function drain(u: Pl011): number[] {
  const out: number[] = [];
  while ((u.read(FR, 4) & RXFE) === 0) out.push(u.read(DR, 4));
  return out;
}

const LINE = Uint8Array.from({ length: 150 }, (_, i) => 0x21 + (i % 90));

test('a 150-byte line reaches the guest whole and in order through the 32-entry FIFO', () => {
  const { uart: u } = uart();
  u.receive(LINE);
  assert.equal(u.read(FR, 4) & RXFF, RXFF, 'the FIFO is full');
  assert.deepEqual(drain(u), [...LINE]);
  assert.equal(u.read(RIS, 4) & RX_INTERRUPTS, 0, 'nothing left: the receive interrupts fall');
});

test('with the FIFOs off the line arrives one byte at a time, all of it', () => {
  const { uart: u } = uart(3 << 5);
  u.receive(LINE.subarray(0, 40));
  assert.equal(u.read(FR, 4) & RXFF, 0);
  assert.deepEqual(drain(u), [...LINE.subarray(0, 40)]);
});

test('a guest that clears the receive interrupt before reading gets it again when the line refills the FIFO', () => {
  const { uart: u, levels } = uart();
  u.receive(LINE.subarray(0, 40));
  assert.equal(levels.at(-1), true);
  u.write(ICR, 4, RX_INTERRUPTS);
  assert.equal(levels.at(-1), false);
  u.read(DR, 4); // room for the 33rd byte, which arrives
  assert.equal(levels.at(-1), true);
});

test('a snapshot taken mid-line restores the FIFO and the rest of the line', () => {
  const { uart: u } = uart();
  u.receive(LINE);
  const head = [u.read(DR, 4), u.read(DR, 4), u.read(DR, 4)];
  const state = u.snapshot();
  const rest = drain(u);
  assert.deepEqual([...head, ...rest], [...LINE]);
  u.receive(Uint8Array.of(0x7e));
  u.restore(state);
  assert.deepEqual(drain(u), rest);
});
