// The DMA-330 (PL330) instruction set as data. The assembler, the disassembler, the emulator's decoder, hover
// documentation and completion all derive from this one table.
// Sources cross-checked (see ../shared/reference/pl330-isa.md §1): ARM DDI 0424 as carried by the Linux driver,
// QEMU's model, Altera HWLIB, the Xilinx XDmaPs driver and GBATEK.

/** Which thread may execute an instruction. */
export type ThreadKind = 'manager' | 'channel';

/**
 * Where an operand lives in the instruction bytes: `bits` wide, starting at bit `shift` of the little-endian value
 * that begins at byte `byte`.
 */
export interface BitField {
  readonly byte: number;
  readonly shift: number;
  readonly bits: number;
}

/** Operand kinds; each has one textual form in the assembler and the disassembler. */
export type OperandKind =
  | 'addrReg' // SAR | DAR (byte0 bit1)
  | 'movReg' // SAR | CCR | DAR (byte1[2:0]; 3..7 invalid)
  | 'imm16' // DMAADDH: 0..65535
  | 'negImm16' // DMAADNH: the added value is imm16 - 0x10000 (-65536..-1)
  | 'imm32'
  | 'channel' // C0..C7 or a number
  | 'periph' // P0..P31 or a number
  | 'event' // E0..E31 or a number
  | 'loopCounter' // LC0 | LC1
  | 'loopCount' // 1..256, encoded as count-1
  | 'backJump' // target label: encoded as the distance back from the DMALPEND
  | 'nsFlag' // optional keyword `ns`
  | 'invalidateFlag' // optional keyword `invalid`
  | 'wfpKind'; // single | burst | periph

export interface OperandSpec {
  readonly kind: OperandKind;
  readonly field: BitField;
  /** Optional operands have a default encoding of 0 (or, for loop counters, chosen by the assembler). */
  readonly optional?: boolean;
}

/** How a load, store or loop end depends on the request type flag set by DMAWFP. */
export type Condition = 'always' | 'single' | 'burst';

/** The operation an encoding performs; the emulator switches on it. */
export type Operation =
  | 'ADDH' | 'ADNH' | 'END' | 'FLUSHP' | 'GO' | 'KILL' | 'LD' | 'LDP' | 'LP' | 'LPEND' | 'MOV' | 'NOP'
  | 'RMB' | 'SEV' | 'ST' | 'STP' | 'STZ' | 'WFE' | 'WFP' | 'WMB';

export interface InstructionSpec {
  /** Mnemonic as written in the TRM syntax, including the S/B suffix. */
  readonly mnemonic: string;
  readonly operation: Operation;
  /** byte0 with every operand bit clear; an encoding matches when (byte0 & opcodeMask) === opcode. */
  readonly opcode: number;
  readonly opcodeMask: number;
  readonly length: 1 | 2 | 3 | 6;
  readonly operands: readonly OperandSpec[];
  /** Bits of byte1 that must be zero (an encoding with any set is an invalid operand). */
  readonly reservedByte1?: number;
  readonly threads: readonly ThreadKind[];
  readonly condition?: Condition;
  /** DMALPEND closing a DMALPFE loop (nf = 0). */
  readonly forever?: boolean;
  /** Earliest DMA-330 revision that implements it (r1p0 = 1). */
  readonly minRevision?: number;
  /** Conditional forever loop ends whose encodings are not confirmed by two sources. */
  readonly unverified?: string;
  readonly syntax: string;
  readonly summary: string;
  readonly description: string;
}

/**
 * Encodings that match an instruction's pattern but carry an invalid operand in byte0 (bs=1 with x=0, or DMAWFP's
 * 0b11 kind). The hardware raises operand_invalid, not undef_instr, for them.
 */
export interface InvalidEncodingSpec {
  readonly opcode: number;
  readonly length: 1 | 2;
  readonly operation: Operation;
  readonly reason: string;
}

const b1 = (shift: number, bits: number): BitField => ({ byte: 1, shift, bits });
const b0 = (shift: number, bits: number): BitField => ({ byte: 0, shift, bits });
const imm32Field: BitField = { byte: 2, shift: 0, bits: 32 };
const imm16Field: BitField = { byte: 1, shift: 0, bits: 16 };
const periphOperand: OperandSpec = { kind: 'periph', field: b1(3, 5) };
const eventOperand: OperandSpec = { kind: 'event', field: b1(3, 5) };
const jumpOperand: OperandSpec = { kind: 'backJump', field: b1(0, 8) };
const lpendCounter: OperandSpec = { kind: 'loopCounter', field: b0(2, 1), optional: true };
const both: readonly ThreadKind[] = ['manager', 'channel'];
const channelOnly: readonly ThreadKind[] = ['channel'];
const managerOnly: readonly ThreadKind[] = ['manager'];

const loadDoc = (cond: Condition): string =>
  (cond === 'always'
    ? 'Reads one burst from SAR into the MFIFO: SB beats of SS bytes (CCR source half). '
    : `Executes only if the request type flag set by DMAWFP is ${cond === 'single' ? 'Single' : 'Burst'}, otherwise it is a DMANOP. `) +
  (cond === 'single' ? 'A single transfers one beat of SS bytes. ' : cond === 'burst' ? 'Transfers SB beats of SS bytes. ' : '') +
  'SAR advances by the bytes read when SAI is set. An AXI error raises data_read_err (imprecise).';
const storeDoc = (cond: Condition): string =>
  (cond === 'always'
    ? 'Writes one burst from the MFIFO to DAR: DB beats of DS bytes (CCR destination half). '
    : `Executes only if the request type flag set by DMAWFP is ${cond === 'single' ? 'Single' : 'Burst'}, otherwise it is a DMANOP. `) +
  (cond === 'single' ? 'A single transfers one beat of DS bytes. ' : cond === 'burst' ? 'Transfers DB beats of DS bytes. ' : '') +
  'DAR advances when DAI is set. Too little data in the MFIFO raises st_data_unavailable; an AXI error data_write_err (imprecise).';
const lpendDoc = (cond: Condition, forever: boolean): string =>
  (forever
    ? 'Ends a DMALPFE loop: jumps back to the loop start until the peripheral signals its last request (drlast). '
    : 'Ends a DMALP loop: if the loop counter is not zero it is decremented and the thread jumps back to the first instruction of the loop body; otherwise execution falls through. ') +
  (cond === 'always' ? '' : `Only when the request type flag is ${cond === 'single' ? 'Single' : 'Burst'}; otherwise it is a DMANOP. `) +
  'The assembler computes the backward jump (0..255 bytes) from the matching loop start.';

export const INSTRUCTIONS: readonly InstructionSpec[] = [
  {
    mnemonic: 'DMAADDH', operation: 'ADDH', opcode: 0x54, opcodeMask: 0xfd, length: 3, threads: channelOnly,
    operands: [{ kind: 'addrReg', field: b0(1, 1) }, { kind: 'imm16', field: imm16Field }],
    syntax: 'DMAADDH <SAR|DAR>, <imm16>',
    summary: 'Add halfword: add an unsigned 16-bit immediate to SAR or DAR.',
    description: 'SAR or DAR += zero-extended imm16 (0..65535). Channel threads only.',
  },
  {
    mnemonic: 'DMAADNH', operation: 'ADNH', opcode: 0x5c, opcodeMask: 0xfd, length: 3, threads: channelOnly, minRevision: 1,
    operands: [{ kind: 'addrReg', field: b0(1, 1) }, { kind: 'negImm16', field: imm16Field }],
    syntax: 'DMAADNH <SAR|DAR>, <-65536..-1>',
    summary: 'Add negative halfword: add a negative 16-bit value to SAR or DAR.',
    description: 'SAR or DAR += 0xFFFF0000 | imm16, that is, a value from -65536 to -1. Write the negative value (DMAADNH DAR, -16); a raw 0..65535 immediate is also accepted. DMA-330 r1p0 and later only.',
  },
  {
    mnemonic: 'DMAEND', operation: 'END', opcode: 0x00, opcodeMask: 0xff, length: 1, threads: both, operands: [],
    syntax: 'DMAEND',
    summary: 'End: the thread completes and stops.',
    description: 'A channel waits for its outstanding transfers to drain (Completing), then Stopped. It raises no interrupt by itself: send DMASEV first.',
  },
  {
    mnemonic: 'DMAFLUSHP', operation: 'FLUSHP', opcode: 0x35, opcodeMask: 0xff, length: 2, threads: channelOnly,
    operands: [periphOperand], reservedByte1: 0x07,
    syntax: 'DMAFLUSHP <P0..P31>',
    summary: 'Flush peripheral: clear pending requests of a peripheral and ask it to resend.',
    description: 'Clears the DMAC\'s record of requests from peripheral P and sends it a flush, so that it resends its current request. Used before the first DMAWFP. A non-secure channel on a secure peripheral faults with ch_periph_err.',
  },
  {
    mnemonic: 'DMAGO', operation: 'GO', opcode: 0xa0, opcodeMask: 0xfd, length: 6, threads: managerOnly,
    operands: [{ kind: 'channel', field: b1(0, 3) }, { kind: 'imm32', field: imm32Field }, { kind: 'nsFlag', field: b0(1, 1), optional: true }],
    reservedByte1: 0xf8,
    syntax: 'DMAGO <C0..C7>, <address>[, ns]',
    summary: 'Go: start a channel thread at an address (manager only).',
    description: 'Starts channel n at PC = imm32; with `ns` the channel runs non-secure. A non-secure manager issuing a secure DMAGO faults with dmago_err. Usually issued through the debug registers (DBGINST0/1, DBGCMD).',
  },
  {
    mnemonic: 'DMAKILL', operation: 'KILL', opcode: 0x01, opcodeMask: 0xff, length: 1, threads: both, operands: [],
    syntax: 'DMAKILL',
    summary: 'Kill: terminate the thread.',
    description: 'The thread goes to Killing while outstanding transfers complete, then Stopped. The only way out of the Faulting state. Usually issued through the debug registers.',
  },
  {
    mnemonic: 'DMALD', operation: 'LD', opcode: 0x04, opcodeMask: 0xff, length: 1, threads: channelOnly, operands: [], condition: 'always',
    syntax: 'DMALD', summary: 'Load: read a burst from SAR into the MFIFO.', description: loadDoc('always'),
  },
  {
    mnemonic: 'DMALDS', operation: 'LD', opcode: 0x05, opcodeMask: 0xff, length: 1, threads: channelOnly, operands: [], condition: 'single',
    syntax: 'DMALDS', summary: 'Load if the request flag is Single.', description: loadDoc('single'),
  },
  {
    mnemonic: 'DMALDB', operation: 'LD', opcode: 0x07, opcodeMask: 0xff, length: 1, threads: channelOnly, operands: [], condition: 'burst',
    syntax: 'DMALDB', summary: 'Load if the request flag is Burst.', description: loadDoc('burst'),
  },
  {
    mnemonic: 'DMALDPS', operation: 'LDP', opcode: 0x25, opcodeMask: 0xff, length: 2, threads: channelOnly, operands: [periphOperand],
    reservedByte1: 0x07, condition: 'single',
    syntax: 'DMALDPS <P0..P31>', summary: 'Load and notify peripheral, if the request flag is Single.',
    description: loadDoc('single') + ' Then acknowledges peripheral P.',
  },
  {
    mnemonic: 'DMALDPB', operation: 'LDP', opcode: 0x27, opcodeMask: 0xff, length: 2, threads: channelOnly, operands: [periphOperand],
    reservedByte1: 0x07, condition: 'burst',
    syntax: 'DMALDPB <P0..P31>', summary: 'Load and notify peripheral, if the request flag is Burst.',
    description: loadDoc('burst') + ' Then acknowledges peripheral P.',
  },
  {
    mnemonic: 'DMALP', operation: 'LP', opcode: 0x20, opcodeMask: 0xfd, length: 2, threads: channelOnly,
    operands: [{ kind: 'loopCounter', field: b0(1, 1), optional: true }, { kind: 'loopCount', field: b1(0, 8) }],
    syntax: 'DMALP [LC0|LC1,] <1..256>',
    summary: 'Loop: load a loop counter; the body up to DMALPEND runs n times.',
    description: 'LCx = n - 1. Without a counter the assembler takes LC0 for the outer loop and LC1 for a nested one. Two counters: at most two nested counted loops.',
  },
  {
    mnemonic: 'DMALPEND', operation: 'LPEND', opcode: 0x38, opcodeMask: 0xfb, length: 2, threads: channelOnly, condition: 'always',
    operands: [lpendCounter, jumpOperand],
    syntax: 'DMALPEND [LC0|LC1]', summary: 'Loop end: decrement the loop counter and jump back while it is not zero.', description: lpendDoc('always', false),
  },
  {
    mnemonic: 'DMALPENDS', operation: 'LPEND', opcode: 0x39, opcodeMask: 0xfb, length: 2, threads: channelOnly, condition: 'single',
    operands: [lpendCounter, jumpOperand],
    syntax: 'DMALPENDS [LC0|LC1]', summary: 'Loop end, if the request flag is Single.', description: lpendDoc('single', false),
  },
  {
    mnemonic: 'DMALPENDB', operation: 'LPEND', opcode: 0x3b, opcodeMask: 0xfb, length: 2, threads: channelOnly, condition: 'burst',
    operands: [lpendCounter, jumpOperand],
    syntax: 'DMALPENDB [LC0|LC1]', summary: 'Loop end, if the request flag is Burst.', description: lpendDoc('burst', false),
  },
  {
    // nf = 0. Sources disagree on the lc bit: 0x2C (GBATEK, Renode, Linux-RK) or 0x28 (Altera HWLIB, dma330as,
    // real 3DS programs). Both decode; the assembler emits 0x2C unless told otherwise.
    mnemonic: 'DMALPEND', operation: 'LPEND', opcode: 0x28, opcodeMask: 0xfb, length: 2, threads: channelOnly, condition: 'always', forever: true,
    operands: [lpendCounter, jumpOperand],
    syntax: 'DMALPEND (closing DMALPFE)', summary: 'End of a DMALPFE loop: jump back until the peripheral signals its last request.', description: lpendDoc('always', true),
  },
  {
    // 0x29/0x2B are DMASTPS/B, so conditional forever ends only exist with lc = 1.
    mnemonic: 'DMALPENDS', operation: 'LPEND', opcode: 0x2d, opcodeMask: 0xff, length: 2, threads: channelOnly, condition: 'single', forever: true,
    operands: [jumpOperand], unverified: 'conditional DMALPFE loop ends (0x2D) are confirmed by one source only',
    syntax: 'DMALPENDS (closing DMALPFE)', summary: 'End of a DMALPFE loop, if the request flag is Single.', description: lpendDoc('single', true),
  },
  {
    mnemonic: 'DMALPENDB', operation: 'LPEND', opcode: 0x2f, opcodeMask: 0xff, length: 2, threads: channelOnly, condition: 'burst', forever: true,
    operands: [jumpOperand], unverified: 'conditional DMALPFE loop ends (0x2F) are confirmed by one source only',
    syntax: 'DMALPENDB (closing DMALPFE)', summary: 'End of a DMALPFE loop, if the request flag is Burst.', description: lpendDoc('burst', true),
  },
  {
    mnemonic: 'DMAMOV', operation: 'MOV', opcode: 0xbc, opcodeMask: 0xff, length: 6, threads: channelOnly,
    operands: [{ kind: 'movReg', field: b1(0, 3) }, { kind: 'imm32', field: imm32Field }], reservedByte1: 0xf8,
    syntax: 'DMAMOV <SAR|CCR|DAR>, <imm32 | CCR fields>',
    summary: 'Move: load SAR, DAR or CCR with a 32-bit value.',
    description: 'For CCR, write the fields: SB<1..16> SS<8..128> SA<I|F> SP<0..7> SC<0..7> DB<1..16> DS<8..128> DA<I|F> DP<0..7> DC<0..7> ES<8..128> (sizes in bits; omitted fields take the defaults SB1 SS8 SAI DB1 DS8 DAI ES8). A non-secure channel must set SP2 and DP2 (non-secure accesses), else ch_rdwr_err.',
  },
  {
    mnemonic: 'DMANOP', operation: 'NOP', opcode: 0x18, opcodeMask: 0xff, length: 1, threads: both, operands: [],
    syntax: 'DMANOP', summary: 'No operation (padding, e.g. to align a loop to an i-cache line).', description: 'Does nothing.',
  },
  {
    mnemonic: 'DMARMB', operation: 'RMB', opcode: 0x12, opcodeMask: 0xff, length: 1, threads: channelOnly, operands: [],
    syntax: 'DMARMB', summary: 'Read memory barrier: wait until all outstanding reads complete.',
    description: 'The channel is At barrier until every read it issued has completed.',
  },
  {
    mnemonic: 'DMASEV', operation: 'SEV', opcode: 0x34, opcodeMask: 0xff, length: 2, threads: both, operands: [eventOperand], reservedByte1: 0x07,
    syntax: 'DMASEV <E0..E31>', summary: 'Send event: raise interrupt E (INTEN[E] = 1) or signal event E to DMAWFE waiters.',
    description: 'With INTEN[E] set, sets INT_EVENT_RIS[E] and drives irq[E] until INTCLR; otherwise wakes threads waiting in DMAWFE E. E must be below the configured number of events.',
  },
  {
    mnemonic: 'DMAST', operation: 'ST', opcode: 0x08, opcodeMask: 0xff, length: 1, threads: channelOnly, operands: [], condition: 'always',
    syntax: 'DMAST', summary: 'Store: write a burst from the MFIFO to DAR.', description: storeDoc('always'),
  },
  {
    mnemonic: 'DMASTS', operation: 'ST', opcode: 0x09, opcodeMask: 0xff, length: 1, threads: channelOnly, operands: [], condition: 'single',
    syntax: 'DMASTS', summary: 'Store if the request flag is Single.', description: storeDoc('single'),
  },
  {
    mnemonic: 'DMASTB', operation: 'ST', opcode: 0x0b, opcodeMask: 0xff, length: 1, threads: channelOnly, operands: [], condition: 'burst',
    syntax: 'DMASTB', summary: 'Store if the request flag is Burst.', description: storeDoc('burst'),
  },
  {
    mnemonic: 'DMASTPS', operation: 'STP', opcode: 0x29, opcodeMask: 0xff, length: 2, threads: channelOnly, operands: [periphOperand],
    reservedByte1: 0x07, condition: 'single',
    syntax: 'DMASTPS <P0..P31>', summary: 'Store and notify peripheral, if the request flag is Single.',
    description: storeDoc('single') + ' Then acknowledges peripheral P.',
  },
  {
    mnemonic: 'DMASTPB', operation: 'STP', opcode: 0x2b, opcodeMask: 0xff, length: 2, threads: channelOnly, operands: [periphOperand],
    reservedByte1: 0x07, condition: 'burst',
    syntax: 'DMASTPB <P0..P31>', summary: 'Store and notify peripheral, if the request flag is Burst.',
    description: storeDoc('burst') + ' Then acknowledges peripheral P.',
  },
  {
    mnemonic: 'DMASTZ', operation: 'STZ', opcode: 0x0c, opcodeMask: 0xff, length: 1, threads: channelOnly, operands: [],
    syntax: 'DMASTZ', summary: 'Store zero: write one burst of zeros to DAR.',
    description: 'Writes DB beats of DS zero bytes to DAR without using MFIFO data; DAR advances when DAI is set.',
  },
  {
    mnemonic: 'DMAWFE', operation: 'WFE', opcode: 0x36, opcodeMask: 0xff, length: 2, threads: both,
    operands: [eventOperand, { kind: 'invalidateFlag', field: b1(1, 1), optional: true }], reservedByte1: 0x05,
    syntax: 'DMAWFE <E0..E31>[, invalid]', summary: 'Wait for event E; `invalid` also invalidates the instruction cache.',
    description: 'The thread waits (Waiting for event) until event E is signalled by DMASEV with INTEN[E] clear. Use `invalid` after rewriting microcode in memory.',
  },
  {
    mnemonic: 'DMAWFP', operation: 'WFP', opcode: 0x30, opcodeMask: 0xfc, length: 2, threads: channelOnly,
    operands: [periphOperand, { kind: 'wfpKind', field: b0(0, 2) }], reservedByte1: 0x07,
    syntax: 'DMAWFP <P0..P31>, <single|burst|periph>', summary: 'Wait for a request from peripheral P and set the request type flag.',
    description: 'The channel waits (Waiting for peripheral) for peripheral P. `single` and `burst` set the request flag accordingly; `periph` takes the type the peripheral signals.',
  },
  {
    mnemonic: 'DMAWMB', operation: 'WMB', opcode: 0x13, opcodeMask: 0xff, length: 1, threads: channelOnly, operands: [],
    syntax: 'DMAWMB', summary: 'Write memory barrier: wait until all outstanding writes are acknowledged.',
    description: 'The channel is At barrier until every write it issued has received its response.',
  },
];

/** DMALPFE is a directive: it emits nothing and marks where the forever loop's DMALPEND jumps back to. */
export const DMALPFE_DOC = {
  mnemonic: 'DMALPFE',
  syntax: 'DMALPFE',
  summary: 'Loop forever: marks the start of a loop whose DMALPEND exits only on the peripheral\'s last request.',
  description: 'Emits no bytes. The matching DMALPEND is encoded with nf = 0 and jumps back here. Used for peripheral transfers of unknown length and cyclic transfers.',
} as const;

export const INVALID_ENCODINGS: readonly InvalidEncodingSpec[] = [
  { opcode: 0x06, length: 1, operation: 'LD', reason: 'DMALD with bs = 1 and x = 0' },
  { opcode: 0x0a, length: 1, operation: 'ST', reason: 'DMAST with bs = 1 and x = 0' },
  { opcode: 0x33, length: 2, operation: 'WFP', reason: 'DMAWFP with an invalid request kind (0b11)' },
  { opcode: 0x2a, length: 2, operation: 'LPEND', reason: 'DMALPEND with bs = 1 and x = 0' },
  { opcode: 0x2e, length: 2, operation: 'LPEND', reason: 'DMALPEND with bs = 1 and x = 0' },
  { opcode: 0x3a, length: 2, operation: 'LPEND', reason: 'DMALPEND with bs = 1 and x = 0' },
  { opcode: 0x3e, length: 2, operation: 'LPEND', reason: 'DMALPEND with bs = 1 and x = 0' },
];

/** The byte0 the assembler emits for an unconditional forever-loop end (lc = 1). */
export const FOREVER_LPEND_DEFAULT = 0x2c;

/** byte0 → the instruction it encodes, or an invalid-operand encoding, or undefined (undef_instr). */
export interface OpcodeEntry {
  readonly spec?: InstructionSpec;
  readonly invalid?: InvalidEncodingSpec;
}

function buildOpcodeTable(): readonly OpcodeEntry[] {
  const table: OpcodeEntry[] = new Array(256).fill(undefined).map(() => ({}));
  // Table order matters where patterns overlap (DMASTP 0x29/0x2B inside DMALPEND's 0x28 mask): first match wins,
  // and the exact-opcode rows come first.
  const byPrecedence = [...INSTRUCTIONS].sort((a, b) => b.opcodeMask - a.opcodeMask);
  for (let byte = 0; byte < 256; byte++) {
    const invalid = INVALID_ENCODINGS.find((e) => e.opcode === byte);
    if (invalid) {
      table[byte] = { invalid };
      continue;
    }
    const spec = byPrecedence.find((s) => (byte & s.opcodeMask) === s.opcode && operandsAllowByte0(s, byte));
    if (spec) table[byte] = { spec };
  }
  return table;
}

/** A byte0 belongs to a spec only if its non-opcode bits are all operand bits of that spec. */
function operandsAllowByte0(spec: InstructionSpec, byte: number): boolean {
  let operandBits = 0;
  for (const op of spec.operands) {
    if (op.field.byte === 0) operandBits |= ((1 << op.field.bits) - 1) << op.field.shift;
  }
  const free = ~spec.opcodeMask & 0xff;
  return (byte & free & ~operandBits) === 0;
}

export const OPCODES: readonly OpcodeEntry[] = buildOpcodeTable();

export function readField(bytes: Uint8Array, offset: number, field: BitField): number {
  const width = Math.ceil((field.shift + field.bits) / 8);
  let value = 0;
  for (let i = width - 1; i >= 0; i--) value = value * 256 + bytes[offset + field.byte + i];
  const scaled = Math.floor(value / 2 ** field.shift);
  return field.bits >= 32 ? scaled >>> 0 : scaled & ((1 << field.bits) - 1);
}

export function writeField(bytes: Uint8Array, offset: number, field: BitField, value: number): void {
  if (field.bits === 32 && field.shift === 0) {
    for (let i = 0; i < 4; i++) bytes[offset + field.byte + i] = (value >>> (8 * i)) & 0xff;
    return;
  }
  const width = Math.ceil((field.shift + field.bits) / 8);
  const mask = ((1 << field.bits) - 1) << field.shift;
  let current = 0;
  for (let i = width - 1; i >= 0; i--) current = (current << 8) | bytes[offset + field.byte + i];
  current = (current & ~mask) | ((value << field.shift) & mask);
  for (let i = 0; i < width; i++) bytes[offset + field.byte + i] = (current >>> (8 * i)) & 0xff;
}

/** Every mnemonic the assembler knows, with the specs that share it (e.g. DMALPEND counted and forever). */
export const SPECS_BY_MNEMONIC: ReadonlyMap<string, readonly InstructionSpec[]> = (() => {
  const map = new Map<string, InstructionSpec[]>();
  for (const spec of INSTRUCTIONS) {
    const list = map.get(spec.mnemonic) ?? [];
    list.push(spec);
    map.set(spec.mnemonic, list);
  }
  return map;
})();
