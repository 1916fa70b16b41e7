// The DMA-330 fault type bits (FTRD for the manager, FTRn for channel n) as data: the emulator raises them by
// name, the CLI and the debugger decode them in words. Bit positions: pl330-isa.md §7 (GBATEK, Altera HWLIB, UG585).

export interface FaultBit {
  readonly name: string;
  readonly bit: number;
  /** Which fault type registers have the bit. */
  readonly threads: readonly ('manager' | 'channel')[];
  readonly description: string;
}

export const FAULT_BITS: readonly FaultBit[] = [
  { name: 'undef_instr', bit: 0, threads: ['manager', 'channel'], description: 'undefined instruction (or an instruction the thread may not execute)' },
  { name: 'operand_invalid', bit: 1, threads: ['manager', 'channel'], description: 'invalid operand (reserved bits, register, channel, event or peripheral out of range)' },
  { name: 'dmago_err', bit: 4, threads: ['manager'], description: 'a non-secure manager issued a secure DMAGO' },
  { name: 'mgr_evnt_err', bit: 5, threads: ['manager'], description: 'a non-secure manager used a secure event (CR3)' },
  { name: 'ch_evnt_err', bit: 5, threads: ['channel'], description: 'a non-secure channel used a secure event (CR3)' },
  { name: 'ch_periph_err', bit: 6, threads: ['channel'], description: 'a non-secure channel used a secure peripheral (CR4)' },
  { name: 'ch_rdwr_err', bit: 7, threads: ['channel'], description: 'a non-secure channel programmed CCR for secure AXI accesses (SP[1] or DP[1] clear)' },
  { name: 'mfifo_err', bit: 12, threads: ['channel'], description: 'the MFIFO is too small for the data of a DMALD' },
  { name: 'st_data_unavailable', bit: 13, threads: ['channel'], description: 'the MFIFO does not hold the data a DMAST needs' },
  { name: 'instr_fetch_err', bit: 16, threads: ['manager', 'channel'], description: 'bus error on an instruction fetch' },
  { name: 'data_write_err', bit: 17, threads: ['channel'], description: 'bus error on a data write (imprecise)' },
  { name: 'data_read_err', bit: 18, threads: ['channel'], description: 'bus error on a data read (imprecise)' },
  { name: 'dbg_instr', bit: 30, threads: ['manager', 'channel'], description: 'the faulting instruction came from the debug interface' },
  { name: 'lockup_err', bit: 31, threads: ['channel'], description: 'the channel locked up for lack of resources (watchdog)' },
];

export type FaultName = 'undef_instr' | 'operand_invalid' | 'dmago_err' | 'mgr_evnt_err' | 'ch_evnt_err' | 'ch_periph_err'
  | 'ch_rdwr_err' | 'mfifo_err' | 'st_data_unavailable' | 'instr_fetch_err' | 'data_write_err' | 'data_read_err'
  | 'dbg_instr' | 'lockup_err';

/** The register mask of a fault bit by name. */
export const FAULT: Readonly<Record<FaultName, number>> = Object.fromEntries(
  FAULT_BITS.map((f) => [f.name, (1 << f.bit) >>> 0]),
) as Record<FaultName, number>;

/** The fault bits set in a fault type register value, for a manager or a channel. */
export function decodeFaultType(value: number, thread: 'manager' | 'channel'): FaultBit[] {
  return FAULT_BITS.filter((f) => f.threads.includes(thread) && ((value >>> f.bit) & 1) === 1);
}

/** `undef_instr (undefined instruction ...), dbg_instr (...)`, or `none`. */
export function describeFaultType(value: number, thread: 'manager' | 'channel'): string {
  const bits = decodeFaultType(value, thread);
  return bits.length ? bits.map((f) => `${f.name} (${f.description})`).join(', ') : 'none';
}
