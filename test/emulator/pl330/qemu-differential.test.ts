// Differential tests: the same programs and memory on QEMU's PL330 (qtest, no CPU) and on dmalab; memory, registers
// and interrupt lines must agree, except where QEMU deviates from the TRM: each such difference is named in
// DEVIATIONS and listed by the case, and the test checks that it really differs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { debugGo, debugKill, DebugInstruction } from '../../../emulator/pl330/debug';
import { FAULT } from '../../../emulator/pl330/faults';
import { PL330_REGISTER_MAP } from '../../../emulator/pl330/registers';
import { Bus } from '../../../emulator/bus/bus';
import { DEFAULT_CONFIG } from '../../../emulator/pl330/config';
import { Pl330 } from '../../../emulator/pl330/pl330';
import { QEMU_RAM_SIZE, QEMU_SPI_ABORT, QEMU_SPI_EVENTS, QemuPl330, QemuTimeout, qemuAvailable } from './qemu-pl330';
import { assembleOrThrow, patternBytes } from '../../support/pl330-machine';

/** Where QEMU's model departs from the TRM; dmalab follows the TRM. */
const DEVIATIONS = {
  'fault-pc-past-instruction': 'QEMU leaves CPC past an instruction that faults with operand_invalid or st_data_unavailable (only an undefined opcode leaves it at the instruction); dmalab stops at the faulting instruction for every precise fault',
  'ccr-reset-zero': 'QEMU resets CCR to 0; the Zynq TRM (UG585) gives 0x00800200 (non-secure source and destination accesses), which dmalab follows',
  'store-fault-advances-dar': 'QEMU advances DAR for a DMAST that faults with st_data_unavailable; dmalab leaves DAR as it was, since nothing was stored',
  'endian-swap-ignored': 'QEMU ignores CCR.ES and copies unswapped; dmalab swaps bytes within ES-sized words',
  'forever-loop-no-drlast': 'QEMU has no peripheral handshake: DMAWFP proceeds and a DMALPFE loop never exits (QEMU spins inside the DBGCMD write); dmalab waits for the peripheral\'s request',
  'mfifo-twice-the-size': 'QEMU sizes the MFIFO as data_width/4 x lines bytes (twice the CRD configuration), so a channel that only loads fills it later',
  'bus-errors-ignored': 'QEMU ignores AXI error responses: a read from an unmapped address loads zeros, a write to one is dropped, a fetch from one executes zeros (DMAEND); dmalab raises data_read_err, data_write_err and instr_fetch_err as the TRM defines',
  'debug-busy-after-fault': 'QEMU leaves DBGSTATUS busy after a debug instruction other than DMAGO/DMAKILL/DMASEV; dmalab completes every debug instruction within the DBGCMD write',
} as const;
type DeviationName = keyof typeof DEVIATIONS;

interface Deviation {
  readonly name: DeviationName;
  /** Registers (TRM names) and dumps (0x-addresses) that differ because of it; 'qemu-timeout' when QEMU hangs. */
  readonly differs: readonly string[];
}

interface Start {
  readonly channel: number;
  readonly address: number;
  readonly ns?: boolean;
}

interface DiffCase {
  readonly name: string;
  readonly source: string;
  /** Debug instructions issued in order (DMAGO unless given raw); each runs until nothing moves. */
  readonly starts: readonly (Start | DebugInstruction)[];
  readonly memory?: readonly { address: number; bytes: Uint8Array }[];
  readonly inten?: number;
  readonly dumps: readonly { address: number; length: number }[];
  /** Channels whose registers are compared. */
  readonly channels: readonly number[];
  /** Runs in the shared QEMU process: only channel registers and memory are compared (no global or interrupt state). */
  readonly shared?: boolean;
  readonly deviations?: readonly Deviation[];
  /** Expected FTR/FTRD bits on dmalab (so that a case can fail on both sides the same wrong way). */
  readonly expectFault?: { readonly thread: 'manager' | number; readonly bits: number };
  readonly extraRegisters?: readonly string[];
}

interface Outcome {
  readonly registers: Record<string, number>;
  readonly dumps: Record<string, string>;
  /** Interrupt lines high at the end: 'abort' and 'irq<E>'. */
  readonly irqs: string[];
  readonly timedOut: boolean;
}

const GLOBAL_REGISTERS = ['DSR', 'DPC', 'INTEN', 'INT_EVENT_RIS', 'INTMIS', 'FSRD', 'FSRC', 'FTRD'];
const CHANNEL_REGISTERS = ['CSR', 'CPC', 'SAR', 'DAR', 'CCR', 'LC0_', 'LC1_', 'FTR'];

function registerNames(c: DiffCase): string[] {
  const names = c.shared ? [] : [...GLOBAL_REGISTERS];
  for (const ch of c.channels) for (const r of CHANNEL_REGISTERS) names.push(`${r}${ch}`);
  return [...names, ...(c.extraRegisters ?? [])];
}

const offsetOf = (name: string): number => PL330_REGISTER_MAP.named(name)!.offset;
const INTEN = offsetOf('INTEN');
const DBGINST0 = offsetOf('DBGINST0');
const DBGINST1 = offsetOf('DBGINST1');
const DBGCMD = offsetOf('DBGCMD');

function debugOf(s: Start | DebugInstruction): DebugInstruction {
  return 'inst0' in s ? s : debugGo(s.channel, s.address, s.ns);
}

/** dmalab with QEMU's xilinx-zynq-a9 memory map as the DMAC sees it: DDR at 0, on-chip memory at the top. */
function zynqMachine(): { bus: Bus; dmac: Pl330 } {
  const bus = new Bus();
  bus.addRam(0, QEMU_RAM_SIZE, 'ddr');
  bus.addRam(0xfffc0000, 0x40000, 'ocm');
  return { bus, dmac: new Pl330(DEFAULT_CONFIG, bus.port({ name: 'pl330', streamId: 0 })) };
}

function runOnDmalab(c: DiffCase): Outcome {
  const { bus, dmac } = zynqMachine();
  for (const p of assembleOrThrow(c.source)) bus.physicalWrite(p.base, p.bytes, 0, p.bytes.length);
  for (const m of c.memory ?? []) bus.physicalWrite(m.address, m.bytes, 0, m.bytes.length);
  if (c.inten !== undefined) dmac.write(INTEN, 4, c.inten);
  for (const s of c.starts) {
    const d = debugOf(s);
    dmac.write(DBGINST0, 4, d.inst0);
    dmac.write(DBGINST1, 4, d.inst1);
    dmac.write(DBGCMD, 4, 0);
    dmac.run({ maxCycles: 1_000_000 });
  }
  const registers = Object.fromEntries(registerNames(c).map((n) => [n, dmac.register(n)]));
  const dumps: Record<string, string> = {};
  for (const d of c.dumps) {
    const b = new Uint8Array(d.length);
    bus.physicalRead(d.address, b, 0, d.length);
    dumps[`0x${d.address.toString(16)}`] = Buffer.from(b).toString('hex');
  }
  const irqs = [...(dmac.irqAbort.level ? ['abort'] : []), ...dmac.irq.flatMap((l, e) => (l.level && e < QEMU_SPI_EVENTS.length ? [`irq${e}`] : []))];
  return { registers, dumps, irqs, timedOut: false };
}

async function runOnQemu(q: QemuPl330, c: DiffCase): Promise<Outcome> {
  // dmalab starts from zeroed memory; a reused QEMU still holds the previous case's data.
  for (const d of c.dumps) await q.command(`memset 0x${d.address.toString(16)} ${d.length} 0`);
  for (const p of assembleOrThrow(c.source)) await q.writeBytes(p.base, p.bytes);
  for (const m of c.memory ?? []) await q.writeBytes(m.address, m.bytes);
  if (c.inten !== undefined) await q.setReg(INTEN, c.inten);
  const hung = c.deviations?.some((d) => d.differs.includes('qemu-timeout'));
  for (const s of c.starts) {
    const d = debugOf(s);
    await q.setReg(DBGINST0, d.inst0);
    await q.setReg(DBGINST1, d.inst1);
    try {
      await q.setReg(DBGCMD, 0, hung ? 2000 : 20_000);
    } catch (e) {
      if (e instanceof QemuTimeout) return { registers: {}, dumps: {}, irqs: [], timedOut: true };
      throw e;
    }
  }
  const registers: Record<string, number> = {};
  for (const n of registerNames(c)) registers[n] = await q.reg(offsetOf(n));
  const dumps: Record<string, string> = {};
  for (const d of c.dumps) dumps[`0x${d.address.toString(16)}`] = Buffer.from(await q.readBytes(d.address, d.length)).toString('hex');
  const level = new Map<number, boolean>();
  for (const e of q.irqEvents) level.set(e.spi, e.level);
  const irqs = [...(level.get(QEMU_SPI_ABORT) ? ['abort'] : []), ...QEMU_SPI_EVENTS.flatMap((spi, e) => (level.get(spi) ? [`irq${e}`] : []))];
  return { registers, dumps, irqs, timedOut: false };
}

function compare(c: DiffCase, ours: Outcome, qemu: Outcome): void {
  const expectedDiff = new Set((c.deviations ?? []).flatMap((d) => d.differs));
  if (expectedDiff.has('qemu-timeout')) {
    assert.equal(qemu.timedOut, true, `${c.name}: QEMU was expected to hang (${c.deviations!.map((d) => d.name).join(', ')})`);
    return;
  }
  assert.equal(qemu.timedOut, false);
  const mismatches: string[] = [];
  const check = (key: string, a: unknown, b: unknown) => {
    const same = a === b;
    if (expectedDiff.has(key)) {
      if (same) mismatches.push(`${key}: expected to differ (deviation) but both are ${String(a)}`);
    } else if (!same) mismatches.push(`${key}: dmalab ${fmt(a)} vs QEMU ${fmt(b)}`);
  };
  for (const [name, v] of Object.entries(ours.registers)) check(name, v, qemu.registers[name]);
  for (const [addr, v] of Object.entries(ours.dumps)) check(addr, v, qemu.dumps[addr]);
  if (!c.shared) check('irqs', ours.irqs.join(','), qemu.irqs.join(','));
  assert.deepEqual(mismatches, [], `${c.name}`);
}

function fmt(v: unknown): string {
  return typeof v === 'number' ? `0x${v.toString(16)}` : typeof v === 'string' && v.length > 80 ? v.slice(0, 80) + '...' : String(v);
}

// ---------------------------------------------------------------------------------------------------------------
// Cases

const SRC = 0x100000;
const DST = 0x200000;
const PROG = 0x1000;

function copyCase(name: string, ccr: string, bursts: number, options: { src?: number; dst?: number; shared?: boolean; srcLength?: number; dstLength?: number; deviations?: Deviation[] } = {}): DiffCase {
  const src = options.src ?? SRC;
  const dst = options.dst ?? DST;
  return {
    name,
    source: `.channel ${PROG}
      DMAMOV CCR, ${ccr}
      DMAMOV SAR, ${src}
      DMAMOV DAR, ${dst}
      DMALP ${bursts}
        DMALD
        DMAST
      DMALPEND
      DMAEND`,
    starts: [{ channel: 0, address: PROG }],
    memory: [{ address: src & ~0xfff, bytes: patternBytes(options.srcLength ?? 0x2000, src ^ bursts) }],
    dumps: [{ address: dst & ~0xfff, length: options.dstLength ?? 0x2000 }],
    channels: [0],
    shared: options.shared,
    deviations: options.deviations,
  };
}

const SIZES = [8, 16, 32, 64];
const burstMatrix: DiffCase[] = [];
for (const bits of SIZES) {
  for (let len = 1; len <= 16; len++) {
    const at = burstMatrix.length * 0x4000;
    burstMatrix.push(copyCase(`memcpy SB${len} SS${bits}`, `SB${len} SS${bits} SAI DB${len} DS${bits} DAI`, 3, { src: SRC + at, dst: DST + 0x800000 + at, shared: true, srcLength: 0x400, dstLength: 0x400 }));
  }
}

const cases: DiffCase[] = [
  copyCase('memcpy: QEMU worked example shape, 4 x (4 x 4 bytes)', 'SB4 SS32 SAI DB4 DS32 DAI', 4),
  copyCase('memcpy: burst-16 x 8 bytes, 256 bursts (32 KiB)', 'SB16 SS64 SAI DB16 DS64 DAI', 256, { srcLength: 0x8000, dstLength: 0x8100, shared: true }),
  copyCase('memcpy: narrow loads, wide stores (16 x 1 byte in, 2 x 8 bytes out)', 'SB16 SS8 SAI DB2 DS64 DAI', 8, { shared: true }),
  copyCase('memcpy: wide loads, narrow stores (2 x 8 bytes in, 16 x 1 byte out)', 'SB2 SS64 SAI DB16 DS8 DAI', 8, { shared: true }),
  copyCase('fixed source address (a peripheral FIFO register)', 'SB4 SS32 SAF DB4 DS32 DAI', 4, { shared: true }),
  copyCase('fixed destination address', 'SB4 SS32 SAI DB4 DS32 DAF', 4, { shared: true }),
  copyCase('unaligned source: the first beat is shortened; data left in the MFIFO holds DMAEND until the watchdog', 'SB4 SS32 SAI DB1 DS8 DAI', 4, { src: SRC + 3 }),
  copyCase('endian swap within 32-bit words', 'SB4 SS32 SAI DB4 DS32 DAI ES32', 4, { shared: true, deviations: [{ name: 'endian-swap-ignored', differs: ['0x200000'] }] }),
  {
    name: 'nested loops: 3 x 5 bursts with DMAADDH/DMAADNH address steps',
    source: `.channel ${PROG}
      DMAMOV CCR, SB2 SS32 SAI DB2 DS32 DAI
      DMAMOV SAR, ${SRC}
      DMAMOV DAR, ${DST}
      DMALP LC0, 3
        DMALP LC1, 5
          DMALD
          DMAST
        DMALPEND LC1
        DMAADDH SAR, 0x100
        DMAADNH DAR, -8
      DMALPEND LC0
      DMAEND`,
    starts: [{ channel: 0, address: PROG }],
    memory: [{ address: SRC, bytes: patternBytes(0x1000, 5) }],
    dumps: [{ address: DST, length: 0x200 }],
    channels: [0],
    shared: true,
  },
  {
    name: 'DMASTZ fills zeros over existing data',
    source: `.channel ${PROG}
      DMAMOV CCR, SB1 SS8 DB16 DS64 DAI
      DMAMOV SAR, 0
      DMAMOV DAR, ${DST + 8}
      DMALP 3
        DMASTZ
      DMALPEND
      DMAEND`,
    starts: [{ channel: 0, address: PROG }],
    memory: [{ address: DST, bytes: patternBytes(0x200, 9) }],
    dumps: [{ address: DST, length: 0x200 }],
    channels: [0],
    shared: true,
  },
  {
    name: 'events: channel 0 waits for event 2, channel 1 copies then signals it',
    source: `.channel ${PROG}
      DMAWFE 2
      DMAMOV SAR, 0x1234
      DMASEV 5
      DMAEND
.channel ${PROG + 0x100}
      DMAMOV CCR, SB8 SS64 SAI DB8 DS64 DAI
      DMAMOV SAR, ${SRC}
      DMAMOV DAR, ${DST}
      DMALD
      DMAST
      DMASEV 2
      DMAEND`,
    starts: [{ channel: 0, address: PROG }, { channel: 1, address: PROG + 0x100 }],
    memory: [{ address: SRC, bytes: patternBytes(64, 2) }],
    dumps: [{ address: DST, length: 0x80 }],
    channels: [0, 1],
    deviations: [{ name: 'ccr-reset-zero', differs: ['CCR0'] }],
  },
  {
    name: 'interrupts: DMASEV with INTEN set raises irq[E]; events without INTEN stay pending',
    source: `.channel ${PROG}
      DMASEV 0
      DMASEV 3
      DMASEV 6
      DMAEND`,
    starts: [{ channel: 0, address: PROG }],
    inten: 0b1001,
    dumps: [],
    channels: [0],
    deviations: [{ name: 'ccr-reset-zero', differs: ['CCR0'] }],
  },
  {
    name: 'concurrent channels: four copies started one after another',
    source: [0, 1, 2, 3].map((ch) => `.channel ${PROG + ch * 0x100}
      DMAMOV CCR, SB${ch + 1} SS32 SAI DB${ch + 1} DS32 DAI
      DMAMOV SAR, ${SRC + ch * 0x1000}
      DMAMOV DAR, ${DST + ch * 0x1000}
      DMALP ${10 + ch}
        DMALD
        DMAST
      DMALPEND
      DMASEV ${ch}
      DMAEND`).join('\n'),
    starts: [0, 1, 2, 3].map((ch) => ({ channel: ch, address: PROG + ch * 0x100 })),
    inten: 0b0101,
    memory: [{ address: SRC, bytes: patternBytes(0x4000, 77) }],
    dumps: [0, 1, 2, 3].map((ch) => ({ address: DST + ch * 0x1000, length: 0x100 })),
    channels: [0, 1, 2, 3],
  },
  {
    name: 'non-secure DMAGO sets CSR.CNS',
    source: `.channel ${PROG}
      DMAMOV CCR, SB1 SS32 SAI SP2 DB1 DS32 DAI DP2
      DMAEND`,
    starts: [{ channel: 3, address: PROG, ns: true }],
    dumps: [],
    channels: [3],
  },
  // Faults
  {
    name: 'fault: undefined opcode after DMAMOV CCR',
    source: `.channel ${PROG}
      DMAMOV CCR, SB1 SS8
      .byte 0xff`,
    starts: [{ channel: 0, address: PROG }],
    dumps: [],
    channels: [0],
    expectFault: { thread: 0, bits: FAULT.undef_instr },
  },
  {
    name: 'fault: DMAMOV to register 3',
    source: `.channel ${PROG}
      .byte 0xbc, 0x03, 0, 0, 0, 0`,
    starts: [{ channel: 0, address: PROG }],
    dumps: [],
    channels: [0],
    expectFault: { thread: 0, bits: FAULT.operand_invalid },
    deviations: [{ name: 'ccr-reset-zero', differs: ['CCR0'] }, { name: 'fault-pc-past-instruction', differs: ['CPC0'] }],
  },
  {
    name: 'fault: DMALD with bs = 1 and x = 0 (0x06)',
    source: `.channel ${PROG}
      .byte 0x06`,
    starts: [{ channel: 1, address: PROG }],
    dumps: [],
    channels: [1],
    expectFault: { thread: 1, bits: FAULT.operand_invalid },
    deviations: [{ name: 'ccr-reset-zero', differs: ['CCR1'] }, { name: 'fault-pc-past-instruction', differs: ['CPC1'] }],
  },
  {
    name: 'fault: DMASEV 16 with 16 events',
    source: `.channel ${PROG}
      .byte 0x34, 0x80
      DMAEND`,
    starts: [{ channel: 2, address: PROG }],
    dumps: [],
    channels: [2],
    expectFault: { thread: 2, bits: FAULT.operand_invalid },
    deviations: [{ name: 'ccr-reset-zero', differs: ['CCR2'] }, { name: 'fault-pc-past-instruction', differs: ['CPC2'] }],
  },
  {
    name: 'fault: DMAWFP on peripheral 5 of 4',
    source: `.channel ${PROG}
      .byte 0x32, 0x28
      DMAEND`,
    starts: [{ channel: 0, address: PROG }],
    dumps: [],
    channels: [0],
    expectFault: { thread: 0, bits: FAULT.operand_invalid },
    deviations: [{ name: 'ccr-reset-zero', differs: ['CCR0'] }, { name: 'fault-pc-past-instruction', differs: ['CPC0'] }],
  },
  {
    name: 'fault: DMAST with nothing in the MFIFO',
    source: `.channel ${PROG}
      DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI
      DMAMOV DAR, ${DST}
      DMAST
      DMAEND`,
    starts: [{ channel: 0, address: PROG }],
    memory: [{ address: DST, bytes: patternBytes(32, 1) }],
    dumps: [{ address: DST, length: 32 }],
    channels: [0],
    expectFault: { thread: 0, bits: FAULT.st_data_unavailable },
    deviations: [{ name: 'fault-pc-past-instruction', differs: ['CPC0'] }, { name: 'store-fault-advances-dar', differs: ['DAR0'] }],
  },
  {
    name: 'fault: a channel that only loads locks up when the MFIFO is full',
    source: `.channel ${PROG}
      DMAMOV CCR, SB16 SS64 SAI DB16 DS64 DAI
      DMAMOV SAR, ${SRC}
      DMALP 64
        DMALD
      DMALPEND
      DMAEND`,
    starts: [{ channel: 0, address: PROG }],
    dumps: [],
    channels: [0],
    expectFault: { thread: 0, bits: FAULT.lockup_err },
    deviations: [{ name: 'mfifo-twice-the-size', differs: ['SAR0', 'LC0_0'] }],
  },
  {
    name: 'fault: DMAGO to channel 8 (manager, debug)',
    source: `.channel ${PROG}
      DMAEND`,
    starts: [{ inst0: (8 << 24) | (0xa0 << 16), inst1: PROG }],
    dumps: [],
    channels: [],
    expectFault: { thread: 'manager', bits: FAULT.operand_invalid | FAULT.dbg_instr },
  },
  {
    name: 'fault: DMAGO to a channel that is waiting (manager, debug)',
    source: `.channel ${PROG}
      DMAWFE 1
      DMAEND`,
    starts: [{ channel: 0, address: PROG }, { channel: 0, address: PROG }],
    dumps: [],
    channels: [0],
    expectFault: { thread: 'manager', bits: FAULT.operand_invalid | FAULT.dbg_instr },
    deviations: [{ name: 'ccr-reset-zero', differs: ['CCR0'] }],
  },
  {
    name: 'fault: a debug instruction other than DMAGO/DMAKILL/DMASEV',
    source: `.channel ${PROG}
      DMAEND`,
    starts: [{ inst0: 0x18 << 16, inst1: 0 }],
    dumps: [],
    channels: [],
    extraRegisters: ['DBGSTATUS'],
    expectFault: { thread: 'manager', bits: FAULT.undef_instr | FAULT.dbg_instr },
    deviations: [{ name: 'debug-busy-after-fault', differs: ['DBGSTATUS'] }],
  },
  {
    name: 'fault: DMALD from an unmapped address (data_read_err)',
    source: `.channel ${PROG}
      DMAMOV CCR, SB2 SS32 SAI DB2 DS32 DAI
      DMAMOV SAR, 0x40000000
      DMALD
      DMAEND`,
    starts: [{ channel: 0, address: PROG }],
    dumps: [],
    channels: [0],
    expectFault: { thread: 0, bits: FAULT.data_read_err },
    deviations: [{ name: 'bus-errors-ignored', differs: ['FTR0'] }],
  },
  {
    name: 'fault: DMAST to an unmapped address (data_write_err)',
    source: `.channel ${PROG}
      DMAMOV CCR, SB2 SS32 SAI DB2 DS32 DAI
      DMAMOV SAR, ${SRC}
      DMAMOV DAR, 0x40000000
      DMALD
      DMAST
      DMAEND`,
    starts: [{ channel: 1, address: PROG }],
    dumps: [],
    channels: [1],
    expectFault: { thread: 1, bits: FAULT.data_write_err },
    deviations: [
      { name: 'bus-errors-ignored', differs: ['CSR1', 'CPC1', 'FTR1', 'FSRC', 'irqs'] },
    ],
  },
  {
    name: 'fault: DMAGO to an unmapped address (instr_fetch_err)',
    source: `.channel ${PROG}
      DMAEND`,
    starts: [{ channel: 2, address: 0x40000000 }],
    dumps: [],
    channels: [2],
    expectFault: { thread: 2, bits: FAULT.instr_fetch_err },
    deviations: [
      { name: 'bus-errors-ignored', differs: ['CSR2', 'CPC2', 'FTR2', 'FSRC', 'irqs'] },
      { name: 'ccr-reset-zero', differs: ['CCR2'] },
    ],
  },
  {
    name: 'DMAKILL through the debug interface takes a faulting channel back to Stopped',
    source: `.channel ${PROG}
      .byte 0xff`,
    starts: [{ channel: 0, address: PROG }, debugKill(0)],
    dumps: [],
    channels: [0],
    deviations: [{ name: 'ccr-reset-zero', differs: ['CCR0'] }],
  },
  {
    name: 'DMALPFE with peripheral flush: a forever loop ends only on the last request',
    source: `.channel ${PROG}
      DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAF
      DMAMOV SAR, ${SRC}
      DMAMOV DAR, ${DST}
      DMAFLUSHP P0
      DMALPFE
        DMAWFP P0, burst
        DMALDB
        DMASTPB P0
      DMALPEND
      DMAEND`,
    starts: [{ channel: 0, address: PROG }],
    dumps: [],
    channels: [0],
    deviations: [{ name: 'forever-loop-no-drlast', differs: ['qemu-timeout'] }],
  },
];

// ---------------------------------------------------------------------------------------------------------------

const haveQemu = qemuAvailable();
let shared: QemuPl330 | undefined;
const open: QemuPl330[] = [];
/** The next fresh QEMU, started while the current case runs (start-up dominates the suite's time). */
let spare: Promise<QemuPl330> | undefined;

function startQemu(): Promise<QemuPl330> {
  const q = QemuPl330.start();
  void q.then((started) => open.push(started), () => undefined);
  return q;
}

async function freshQemu(): Promise<QemuPl330> {
  const q = spare ?? startQemu();
  spare = startQemu();
  return q;
}

before(async () => {
  if (haveQemu) shared = await startQemu();
});

after(async () => {
  await spare?.catch(() => undefined);
  for (const q of open) q.close();
});

for (const c of cases) {
  test(c.name, { skip: !haveQemu && 'qemu-system-arm is not installed' }, async () => {
    const ours = runOnDmalab(c);
    if (c.expectFault) {
      const reg = c.expectFault.thread === 'manager' ? 'FTRD' : `FTR${c.expectFault.thread}`;
      assert.equal(ours.registers[reg], c.expectFault.bits, `${reg} on dmalab`);
    }
    if (c.shared) {
      compare(c, ours, await runOnQemu(shared!, c));
      return;
    }
    const q = await freshQemu();
    try {
      compare(c, ours, await runOnQemu(q, c));
    } finally {
      q.close();
    }
  });
}

test('every burst size (1..8 bytes) and length (1..16) copies the same as QEMU', { skip: !haveQemu && 'qemu-system-arm is not installed' }, async () => {
  for (const c of burstMatrix) compare(c, runOnDmalab(c), await runOnQemu(shared!, c));
});

test('every deviation is used by a case', () => {
  const used = new Set<string>(cases.flatMap((c) => (c.deviations ?? []).map((d) => d.name)));
  assert.deepEqual(Object.keys(DEVIATIONS).filter((d) => !used.has(d)), []);
});

