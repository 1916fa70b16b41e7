// The DMA-330 APB register interface as data (pl330-isa.md §5, §6): the device model decodes MMIO with this table,
// the debugger's register views and the CLI read it. Per-channel registers are arrays of 8 (the largest
// configuration); channels the configuration lacks read as zero.
import { RegisterDef, RegisterMap, fieldValue, fieldsOf } from '../bus/registers';
import { CCR_FIELDS } from './ccr';
import type { ThreadRef } from './observer';

/** Channel thread states (CSRn[3:0]). */
export const enum ChannelState {
  Stopped = 0x0,
  Executing = 0x1,
  CacheMiss = 0x2,
  UpdatingPc = 0x3,
  WaitingForEvent = 0x4,
  AtBarrier = 0x5,
  WaitingForPeripheral = 0x7,
  Killing = 0x8,
  Completing = 0x9,
  FaultingCompleting = 0xe,
  Faulting = 0xf,
}

export const CHANNEL_STATE_NAMES: Readonly<Record<number, string>> = {
  0x0: 'Stopped',
  0x1: 'Executing',
  0x2: 'Cache miss',
  0x3: 'Updating PC',
  0x4: 'Waiting for event',
  0x5: 'At barrier',
  0x7: 'Waiting for peripheral',
  0x8: 'Killing',
  0x9: 'Completing',
  0xe: 'Faulting completing',
  0xf: 'Faulting',
};

/** Manager thread states (DSR[3:0]): the channel codes 0..4 and 0xF. */
export const MANAGER_STATE_NAMES: Readonly<Record<number, string>> = {
  0x0: 'Stopped',
  0x1: 'Executing',
  0x2: 'Cache miss',
  0x3: 'Updating PC',
  0x4: 'Waiting for event',
  0xf: 'Faulting',
};

export const PL330_MMIO_SIZE = 0x1000;
export const MAX_CHANNELS = 8;

const faultBitsDoc = 'fault type bits (see FAULT_BITS)';

export const PL330_REGISTERS: readonly RegisterDef[] = [
  {
    name: 'DSR', offset: 0x000, access: 'ro', reset: 0, description: 'DMA manager status',
    fields: [
      { name: 'state', shift: 0, bits: 4, description: 'manager thread state', values: MANAGER_STATE_NAMES },
      { name: 'wakeup_event', shift: 4, bits: 5, description: 'event the manager waits for in DMAWFE' },
      { name: 'dns', shift: 9, bits: 1, description: 'manager is non-secure' },
    ],
  },
  { name: 'DPC', offset: 0x004, access: 'ro', reset: 0, description: 'DMA manager program counter' },
  { name: 'INTEN', offset: 0x020, access: 'rw', reset: 0, description: 'bit E: DMASEV E raises irq[E] (1) or signals event E (0)' },
  { name: 'INT_EVENT_RIS', offset: 0x024, access: 'ro', reset: 0, description: 'event and raw interrupt status' },
  { name: 'INTMIS', offset: 0x028, access: 'ro', reset: 0, description: 'interrupt status (raw status masked by INTEN)' },
  { name: 'INTCLR', offset: 0x02c, access: 'wo', reset: 0, description: 'write 1 to bit E to clear interrupt E' },
  {
    name: 'FSRD', offset: 0x030, access: 'ro', reset: 0, description: 'fault status of the manager',
    fields: [{ name: 'fs_mgr', shift: 0, bits: 1, description: 'manager is Faulting' }],
  },
  { name: 'FSRC', offset: 0x034, access: 'ro', reset: 0, description: 'bit n: channel n is Faulting or Faulting completing' },
  { name: 'FTRD', offset: 0x038, access: 'ro', reset: 0, description: `manager ${faultBitsDoc}` },
  { name: 'FTR{n}', offset: 0x040, count: MAX_CHANNELS, stride: 4, access: 'ro', reset: 0, description: `channel ${faultBitsDoc}` },
  {
    name: 'CSR{n}', offset: 0x100, count: MAX_CHANNELS, stride: 8, access: 'ro', reset: 0, description: 'channel status',
    fields: [
      { name: 'state', shift: 0, bits: 4, description: 'channel thread state', values: CHANNEL_STATE_NAMES },
      { name: 'wakeup_number', shift: 4, bits: 5, description: 'event or peripheral the channel waits for' },
      { name: 'dmawfp_b_ns', shift: 14, bits: 1, description: 'DMAWFP waits for a burst (1) or single (0)' },
      { name: 'dmawfp_periph', shift: 15, bits: 1, description: 'DMAWFP used the periph operand' },
      { name: 'cns', shift: 21, bits: 1, description: 'channel is non-secure' },
    ],
  },
  { name: 'CPC{n}', offset: 0x104, count: MAX_CHANNELS, stride: 8, access: 'ro', reset: 0, description: 'channel program counter' },
  { name: 'SAR{n}', offset: 0x400, count: MAX_CHANNELS, stride: 0x20, access: 'ro', reset: 0, description: 'source address' },
  { name: 'DAR{n}', offset: 0x404, count: MAX_CHANNELS, stride: 0x20, access: 'ro', reset: 0, description: 'destination address' },
  {
    // Reset: SP = DP = 0b010, non-secure source and destination accesses (UG585; QEMU resets it to 0).
    name: 'CCR{n}', offset: 0x408, count: MAX_CHANNELS, stride: 0x20, access: 'ro', reset: 0x00800200, description: 'channel control',
    fields: CCR_FIELDS.map((f) => ({ name: f.name, shift: f.shift, bits: f.bits, description: f.description })),
  },
  { name: 'LC0_{n}', offset: 0x40c, count: MAX_CHANNELS, stride: 0x20, access: 'ro', reset: 0, description: 'loop counter 0' },
  { name: 'LC1_{n}', offset: 0x410, count: MAX_CHANNELS, stride: 0x20, access: 'ro', reset: 0, description: 'loop counter 1' },
  {
    name: 'DBGSTATUS', offset: 0xd00, access: 'ro', reset: 0, description: 'debug status',
    fields: [{ name: 'dbgstatus', shift: 0, bits: 1, description: 'a debug instruction is executing', values: { 0: 'idle', 1: 'busy' } }],
  },
  { name: 'DBGCMD', offset: 0xd04, access: 'wo', reset: 0, description: 'write 0 to execute the instruction in DBGINST0/1' },
  {
    name: 'DBGINST0', offset: 0xd08, access: 'wo', reset: 0, description: 'debug instruction, part 0',
    fields: [
      { name: 'debug_thread', shift: 0, bits: 1, description: 'thread', values: { 0: 'manager', 1: 'channel' } },
      { name: 'channel_number', shift: 8, bits: 3, description: 'channel, when debug_thread is 1' },
      { name: 'instruction_byte0', shift: 16, bits: 8, description: 'instruction byte 0' },
      { name: 'instruction_byte1', shift: 24, bits: 8, description: 'instruction byte 1' },
    ],
  },
  { name: 'DBGINST1', offset: 0xd0c, access: 'wo', reset: 0, description: 'debug instruction bytes 2..5' },
  {
    name: 'CR0', offset: 0xe00, access: 'ro', reset: 0, description: 'configuration 0',
    fields: [
      { name: 'periph_req', shift: 0, bits: 1, description: 'peripheral request interfaces present' },
      { name: 'boot_en', shift: 1, bits: 1, description: 'manager boots from CR2 at reset' },
      { name: 'mgr_ns_at_rst', shift: 2, bits: 1, description: 'manager non-secure at reset' },
      { name: 'num_chnls', shift: 4, bits: 3, description: 'channels - 1' },
      { name: 'num_periph_req', shift: 12, bits: 5, description: 'peripheral request interfaces - 1' },
      { name: 'num_events', shift: 17, bits: 5, description: 'events and interrupts - 1' },
    ],
  },
  {
    name: 'CR1', offset: 0xe04, access: 'ro', reset: 0, description: 'configuration 1 (instruction cache)',
    fields: [
      { name: 'icache_len', shift: 0, bits: 3, description: 'line length: 2^n bytes' },
      { name: 'num_icache_lines', shift: 4, bits: 4, description: 'lines - 1' },
    ],
  },
  { name: 'CR2', offset: 0xe08, access: 'ro', reset: 0, description: 'boot address of the manager' },
  { name: 'CR3', offset: 0xe0c, access: 'ro', reset: 0, description: 'bit E: event E is non-secure' },
  { name: 'CR4', offset: 0xe10, access: 'ro', reset: 0, description: 'bit P: peripheral P is non-secure' },
  {
    name: 'CRD', offset: 0xe14, access: 'ro', reset: 0, description: 'DMA configuration',
    fields: [
      { name: 'data_width', shift: 0, bits: 3, description: 'AXI data width: 2^n bytes', values: { 2: '32-bit', 3: '64-bit', 4: '128-bit' } },
      { name: 'wr_cap', shift: 4, bits: 3, description: 'write issuing capability - 1' },
      { name: 'wr_q_dep', shift: 8, bits: 4, description: 'write queue depth - 1' },
      { name: 'rd_cap', shift: 12, bits: 3, description: 'read issuing capability - 1' },
      { name: 'rd_q_dep', shift: 16, bits: 4, description: 'read queue depth - 1' },
      { name: 'data_buffer_dep', shift: 20, bits: 10, description: 'MFIFO lines - 1' },
    ],
  },
  {
    name: 'WD', offset: 0xe80, access: 'rw', reset: 0, description: 'watchdog (r1p0 and later)',
    fields: [{ name: 'wd_irq_only', shift: 0, bits: 1, description: 'on lock-up', values: { 0: 'abort the channels and raise irq_abort', 1: 'raise irq_abort only' } }],
  },
  { name: 'periph_id_{n}', offset: 0xfe0, count: 4, stride: 4, access: 'ro', reset: 0, description: 'peripheral identification (part 0x330, designer ARM, revision)' },
  { name: 'pcell_id_{n}', offset: 0xff0, count: 4, stride: 4, access: 'ro', reset: 0, description: 'PrimeCell identification (0xB105F00D)' },
];

export const PL330_REGISTER_MAP = new RegisterMap(PL330_REGISTERS, PL330_MMIO_SIZE);

/** Fields the model reads and composes by name (looked up once; no per-access cost). */
export const DSR_FIELDS = fieldsOf(PL330_REGISTER_MAP, 'DSR', ['state', 'wakeup_event', 'dns']);
export const CSR_FIELDS = fieldsOf(PL330_REGISTER_MAP, 'CSR0', ['state', 'wakeup_number', 'dmawfp_b_ns', 'dmawfp_periph', 'cns']);
export const CR0_FIELDS = fieldsOf(PL330_REGISTER_MAP, 'CR0', ['periph_req', 'boot_en', 'mgr_ns_at_rst', 'num_chnls', 'num_periph_req', 'num_events']);
export const CR1_FIELDS = fieldsOf(PL330_REGISTER_MAP, 'CR1', ['icache_len', 'num_icache_lines']);
export const CRD_FIELDS = fieldsOf(PL330_REGISTER_MAP, 'CRD', ['data_width', 'wr_cap', 'wr_q_dep', 'rd_cap', 'rd_q_dep', 'data_buffer_dep']);
export const DBGINST0_FIELDS = fieldsOf(PL330_REGISTER_MAP, 'DBGINST0', ['debug_thread', 'channel_number', 'instruction_byte0', 'instruction_byte1']);
/** The event or peripheral a thread waits for (or last waited for), from its status register (DSR or CSRn). */
export function wakeupNumber(thread: ThreadRef, status: number): number {
  return fieldValue(status, thread === 'manager' ? DSR_FIELDS.wakeup_event : CSR_FIELDS.wakeup_number);
}
/** The status register of a thread: DSR for the manager, CSRn for channel n. */
export const statusRegisterName = (thread: ThreadRef): string => (thread === 'manager' ? 'DSR' : `CSR${thread}`);
/** CCRn at reset, from the table. */
export const CCR_RESET = PL330_REGISTER_MAP.named('CCR0')!.def.reset;
