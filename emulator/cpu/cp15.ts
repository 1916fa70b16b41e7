// The CP15 (and the few CP14) system registers of a Cortex-A15 as Linux uses them, as data: encoding, name, reset
// value, access. The system CPU, the debugger's register view and the tests derive from this table. Registers with
// an effect (translation, TLB and cache maintenance, the generic timer) are named by `kind`; the rest are storage
// or constants.

export type Cp15Access = 'rw' | 'ro' | 'wo';

export type Cp15Kind =
  /** A constant (ID registers). */
  | 'id'
  /** Plain storage. */
  | 'storage'
  /** Read back what the translation uses; writing reconfigures the MMU. */
  | 'translation'
  /** A maintenance operation with no architectural state in this model (caches, branch predictor, barriers). */
  | 'nop'
  | 'tlb'
  /** The generic timer's registers (the CPU's timer serves them). */
  | 'timer'
  /** Address translation operations (ATS1C*) and PAR. */
  | 'translate'
  | 'special';

export interface Cp15Register {
  readonly name: string;
  /** 15, or 14 for the debug registers. */
  readonly cp: 14 | 15;
  readonly op1: number;
  readonly crn: number;
  readonly crm: number;
  readonly op2: number;
  /** A 64-bit register reached with MRRC/MCRR (crn unused). */
  readonly wide?: boolean;
  readonly reset: number;
  readonly access: Cp15Access;
  /** What USR mode may do (else UNDEFINED there). */
  readonly pl0?: 'ro' | 'rw';
  readonly kind: Cp15Kind;
  readonly description: string;
}

const r = (name: string, op1: number, crn: number, crm: number, op2: number, reset: number, access: Cp15Access, kind: Cp15Kind, description: string, extra: Partial<Cp15Register> = {}): Cp15Register =>
  ({ name, cp: 15, op1, crn, crm, op2, reset, access, kind, description, ...extra });
const wide = (name: string, op1: number, crm: number, access: Cp15Access, kind: Cp15Kind, description: string, extra: Partial<Cp15Register> = {}): Cp15Register =>
  ({ name, cp: 15, op1, crn: 0, crm, op2: 0, wide: true, reset: 0, access, kind, description, ...extra });
const op = (name: string, op1: number, crn: number, crm: number, op2: number, kind: Cp15Kind, description: string): Cp15Register =>
  ({ name, cp: 15, op1, crn, crm, op2, reset: 0, access: 'wo', kind, description });

export const CORTEX_A15_MIDR = 0x414fc0f0;

export const CP15_REGISTERS: readonly Cp15Register[] = [
  // Identification (c0).
  r('MIDR', 0, 0, 0, 0, CORTEX_A15_MIDR, 'ro', 'id', 'Main ID: ARM Cortex-A15 r4p0'),
  r('CTR', 0, 0, 0, 1, 0x8444c004, 'ro', 'id', 'Cache type: 64-byte lines, PIPT instruction cache'),
  r('TCMTR', 0, 0, 0, 2, 0, 'ro', 'id', 'TCM type: none'),
  r('TLBTR', 0, 0, 0, 3, 0, 'ro', 'id', 'TLB type: unified'),
  r('MPIDR', 0, 0, 0, 5, 0x80000000, 'ro', 'special', 'Multiprocessor affinity: the CPU number in Aff0'),
  r('REVIDR', 0, 0, 0, 6, 0, 'ro', 'id', 'Revision ID'),
  r('ID_PFR0', 0, 0, 1, 0, 0x00001131, 'ro', 'id', 'Processor feature 0: ARM, Thumb-2, ThumbEE, Jazelle'),
  r('ID_PFR1', 0, 0, 1, 1, 0x00010001, 'ro', 'id', 'Processor feature 1: generic timer, ARM programmers model (the Security and Virtualization Extensions are not modelled)'),
  r('ID_DFR0', 0, 0, 1, 2, 0x02010555, 'ro', 'id', 'Debug feature 0'),
  r('ID_AFR0', 0, 0, 1, 3, 0, 'ro', 'id', 'Auxiliary feature 0'),
  r('ID_MMFR0', 0, 0, 1, 4, 0x10201105, 'ro', 'id', 'Memory model feature 0: VMSAv7 with LPAE'),
  r('ID_MMFR1', 0, 0, 1, 5, 0x40000000, 'ro', 'id', 'Memory model feature 1'),
  r('ID_MMFR2', 0, 0, 1, 6, 0x01240000, 'ro', 'id', 'Memory model feature 2'),
  r('ID_MMFR3', 0, 0, 1, 7, 0x02102211, 'ro', 'id', 'Memory model feature 3'),
  r('ID_ISAR0', 0, 0, 2, 0, 0x02101110, 'ro', 'id', 'Instruction set attribute 0: SDIV/UDIV'),
  r('ID_ISAR1', 0, 0, 2, 1, 0x13112111, 'ro', 'id', 'Instruction set attribute 1'),
  r('ID_ISAR2', 0, 0, 2, 2, 0x21232041, 'ro', 'id', 'Instruction set attribute 2'),
  r('ID_ISAR3', 0, 0, 2, 3, 0x11112131, 'ro', 'id', 'Instruction set attribute 3'),
  r('ID_ISAR4', 0, 0, 2, 4, 0x10011142, 'ro', 'id', 'Instruction set attribute 4'),
  r('ID_ISAR5', 0, 0, 2, 5, 0, 'ro', 'id', 'Instruction set attribute 5'),

  r('CCSIDR', 1, 0, 0, 0, 0x701fe00a, 'ro', 'id', 'Cache size ID (of the level CSSELR selects): 32 KiB, 2-way, 64-byte lines'),
  r('CLIDR', 1, 0, 0, 1, 0x0a200023, 'ro', 'id', 'Cache level ID: separate L1, unified L2'),
  r('AIDR', 1, 0, 0, 7, 0, 'ro', 'id', 'Auxiliary ID'),
  r('CSSELR', 2, 0, 0, 0, 0, 'rw', 'storage', 'Cache size selection'),
  // System control (c1).
  r('SCTLR', 0, 1, 0, 0, 0x00c50078, 'rw', 'translation', 'System control: M[0] MMU, C[2], Z[11], I[12], V[13] high vectors, AFE[29], TE[30]'),
  r('ACTLR', 0, 1, 0, 1, 0, 'rw', 'storage', 'Auxiliary control: SMP[6]'),
  r('CPACR', 0, 1, 0, 2, 0, 'rw', 'special', 'Coprocessor access control: cp10/cp11 for VFP'),
  r('NSACR', 0, 1, 1, 2, 0x00000c00, 'ro', 'id', 'Non-secure access control: cp10/cp11 allowed'),
  // Translation (c2, c3).
  r('TTBR0', 0, 2, 0, 0, 0, 'rw', 'translation', 'Translation table base 0 (short format; MCRR for the 64-bit LPAE form)'),
  r('TTBR1', 0, 2, 0, 1, 0, 'rw', 'translation', 'Translation table base 1'),
  r('TTBCR', 0, 2, 0, 2, 0, 'rw', 'translation', 'Translation table base control: N/T0SZ, T1SZ, EPDx, A1, EAE[31] long descriptors'),
  wide('TTBR0_64', 0, 2, 'rw', 'translation', 'Translation table base 0, 64-bit: ASID[55:48], BADDR[39:0]'),
  wide('TTBR1_64', 1, 2, 'rw', 'translation', 'Translation table base 1, 64-bit'),
  r('DACR', 0, 3, 0, 0, 0, 'rw', 'translation', 'Domain access control: two bits per domain (no access, client, manager)'),
  // Faults (c5, c6).
  r('DFSR', 0, 5, 0, 0, 0, 'rw', 'storage', 'Data fault status: FS, domain, WnR[11], ExT[12], LPAE[9]'),
  r('IFSR', 0, 5, 0, 1, 0, 'rw', 'storage', 'Instruction fault status'),
  r('ADFSR', 0, 5, 1, 0, 0, 'rw', 'storage', 'Auxiliary data fault status'),
  r('AIFSR', 0, 5, 1, 1, 0, 'rw', 'storage', 'Auxiliary instruction fault status'),
  r('DFAR', 0, 6, 0, 0, 0, 'rw', 'storage', 'Data fault address'),
  r('IFAR', 0, 6, 0, 2, 0, 'rw', 'storage', 'Instruction fault address'),
  // Cache, branch predictor and address translation operations (c7).
  op('ICIALLUIS', 0, 7, 1, 0, 'nop', 'Invalidate all instruction caches, Inner Shareable'),
  op('BPIALLIS', 0, 7, 1, 6, 'nop', 'Invalidate all branch predictors, Inner Shareable'),
  r('PAR', 0, 7, 4, 0, 0, 'rw', 'translate', 'Physical address (result of an ATS operation)'),
  wide('PAR_64', 0, 7, 'rw', 'translate', 'Physical address, 64-bit form'),
  op('ICIALLU', 0, 7, 5, 0, 'nop', 'Invalidate all instruction caches'),
  op('ICIMVAU', 0, 7, 5, 1, 'nop', 'Invalidate instruction cache line by MVA'),
  op('CP15ISB', 0, 7, 5, 4, 'nop', 'Instruction synchronization barrier'),
  op('BPIALL', 0, 7, 5, 6, 'nop', 'Invalidate all branch predictors'),
  op('BPIMVA', 0, 7, 5, 7, 'nop', 'Invalidate branch predictor by MVA'),
  op('DCIMVAC', 0, 7, 6, 1, 'nop', 'Invalidate data cache line by MVA to PoC'),
  op('DCISW', 0, 7, 6, 2, 'nop', 'Invalidate data cache line by set/way'),
  op('ATS1CPR', 0, 7, 8, 0, 'translate', 'Translate as a PL1 read'),
  op('ATS1CPW', 0, 7, 8, 1, 'translate', 'Translate as a PL1 write'),
  op('ATS1CUR', 0, 7, 8, 2, 'translate', 'Translate as a PL0 read'),
  op('ATS1CUW', 0, 7, 8, 3, 'translate', 'Translate as a PL0 write'),
  op('DCCMVAC', 0, 7, 10, 1, 'nop', 'Clean data cache line by MVA to PoC'),
  op('DCCSW', 0, 7, 10, 2, 'nop', 'Clean data cache line by set/way'),
  op('CP15DSB', 0, 7, 10, 4, 'nop', 'Data synchronization barrier'),
  op('CP15DMB', 0, 7, 10, 5, 'nop', 'Data memory barrier'),
  op('DCCMVAU', 0, 7, 11, 1, 'nop', 'Clean data cache line by MVA to PoU'),
  op('DCCIMVAC', 0, 7, 14, 1, 'nop', 'Clean and invalidate data cache line by MVA to PoC'),
  op('DCCISW', 0, 7, 14, 2, 'nop', 'Clean and invalidate data cache line by set/way'),
  // TLB maintenance (c8).
  op('TLBIALLIS', 0, 8, 3, 0, 'tlb', 'Invalidate entire TLB, Inner Shareable'),
  op('TLBIMVAIS', 0, 8, 3, 1, 'tlb', 'Invalidate TLB entry by MVA and ASID, Inner Shareable'),
  op('TLBIASIDIS', 0, 8, 3, 2, 'tlb', 'Invalidate TLB by ASID, Inner Shareable'),
  op('TLBIMVAAIS', 0, 8, 3, 3, 'tlb', 'Invalidate TLB entry by MVA, all ASIDs, Inner Shareable'),
  op('ITLBIALL', 0, 8, 5, 0, 'tlb', 'Invalidate instruction TLB'),
  op('ITLBIMVA', 0, 8, 5, 1, 'tlb', 'Invalidate instruction TLB entry by MVA and ASID'),
  op('ITLBIASID', 0, 8, 5, 2, 'tlb', 'Invalidate instruction TLB by ASID'),
  op('DTLBIALL', 0, 8, 6, 0, 'tlb', 'Invalidate data TLB'),
  op('DTLBIMVA', 0, 8, 6, 1, 'tlb', 'Invalidate data TLB entry by MVA and ASID'),
  op('DTLBIASID', 0, 8, 6, 2, 'tlb', 'Invalidate data TLB by ASID'),
  op('TLBIALL', 0, 8, 7, 0, 'tlb', 'Invalidate entire TLB'),
  op('TLBIMVA', 0, 8, 7, 1, 'tlb', 'Invalidate TLB entry by MVA and ASID'),
  op('TLBIASID', 0, 8, 7, 2, 'tlb', 'Invalidate TLB by ASID'),
  op('TLBIMVAA', 0, 8, 7, 3, 'tlb', 'Invalidate TLB entry by MVA, all ASIDs'),
  // Performance monitors and L2 control (c9).
  r('PMCR', 0, 9, 12, 0, 0x410f3000, 'rw', 'storage', 'Performance monitors control (6 counters)'),
  r('PMCNTENSET', 0, 9, 12, 1, 0, 'rw', 'storage', 'Counter enable set'),
  r('PMCNTENCLR', 0, 9, 12, 2, 0, 'rw', 'storage', 'Counter enable clear'),
  r('PMOVSR', 0, 9, 12, 3, 0, 'rw', 'storage', 'Overflow flag status'),
  r('PMSELR', 0, 9, 12, 5, 0, 'rw', 'storage', 'Event counter selection'),
  r('PMCCNTR', 0, 9, 13, 0, 0, 'rw', 'storage', 'Cycle count'),
  r('PMUSERENR', 0, 9, 14, 0, 0, 'rw', 'storage', 'User enable', { pl0: 'ro' }),
  r('PMINTENSET', 0, 9, 14, 1, 0, 'rw', 'storage', 'Interrupt enable set'),
  r('PMINTENCLR', 0, 9, 14, 2, 0, 'rw', 'storage', 'Interrupt enable clear'),
  r('L2CTLR', 1, 9, 0, 2, 0, 'rw', 'special', 'L2 control: number of CPUs - 1 in [25:24]'),
  r('L2ECTLR', 1, 9, 0, 3, 0, 'rw', 'storage', 'L2 extended control'),
  // Memory attributes (c10).
  r('PRRR', 0, 10, 2, 0, 0, 'rw', 'storage', 'Primary region remap (MAIR0 with long descriptors)'),
  r('NMRR', 0, 10, 2, 1, 0, 'rw', 'storage', 'Normal memory remap (MAIR1 with long descriptors)'),
  r('AMAIR0', 0, 10, 3, 0, 0, 'rw', 'storage', 'Auxiliary memory attribute indirection 0'),
  r('AMAIR1', 0, 10, 3, 1, 0, 'rw', 'storage', 'Auxiliary memory attribute indirection 1'),
  // Vectors and interrupt status (c12).
  r('VBAR', 0, 12, 0, 0, 0, 'rw', 'storage', 'Vector base address (used while SCTLR.V = 0)'),
  r('ISR', 0, 12, 1, 0, 0, 'ro', 'special', 'Interrupt status: A[8], I[7], F[6] pending'),
  // Process, context and thread ID (c13).
  r('FCSEIDR', 0, 13, 0, 0, 0, 'ro', 'id', 'FCSE PID (FCSE not implemented)'),
  r('CONTEXTIDR', 0, 13, 0, 1, 0, 'rw', 'translation', 'Context ID: ASID[7:0] with short descriptors'),
  r('TPIDRURW', 0, 13, 0, 2, 0, 'rw', 'special', 'User read/write thread ID', { pl0: 'rw' }),
  r('TPIDRURO', 0, 13, 0, 3, 0, 'rw', 'special', 'User read-only thread ID (the TLS pointer)', { pl0: 'ro' }),
  r('TPIDRPRW', 0, 13, 0, 4, 0, 'rw', 'storage', 'PL1-only thread ID (Linux: the per-CPU offset)'),
  // Generic timer (c14).
  r('CNTFRQ', 0, 14, 0, 0, 0, 'rw', 'timer', 'Counter frequency (Hz)', { pl0: 'ro' }),
  wide('CNTPCT', 0, 14, 'ro', 'timer', 'Physical count', { pl0: 'ro' }),
  wide('CNTVCT', 1, 14, 'ro', 'timer', 'Virtual count', { pl0: 'ro' }),
  r('CNTKCTL', 0, 14, 1, 0, 0, 'rw', 'storage', 'Timer PL1 control: PL0 access to the counters and timers'),
  r('CNTP_TVAL', 0, 14, 2, 0, 0, 'rw', 'timer', 'Physical timer value (signed, counts down)'),
  r('CNTP_CTL', 0, 14, 2, 1, 0, 'rw', 'timer', 'Physical timer control: ENABLE[0], IMASK[1], ISTATUS[2]'),
  r('CNTV_TVAL', 0, 14, 3, 0, 0, 'rw', 'timer', 'Virtual timer value'),
  r('CNTV_CTL', 0, 14, 3, 1, 0, 'rw', 'timer', 'Virtual timer control'),
  wide('CNTP_CVAL', 2, 14, 'rw', 'timer', 'Physical timer compare value'),
  wide('CNTV_CVAL', 3, 14, 'rw', 'timer', 'Virtual timer compare value'),
  wide('CNTVOFF', 4, 14, 'rw', 'timer', 'Virtual offset (CNTVCT = CNTPCT - CNTVOFF)'),
  // Debug (CP14): no debug architecture is advertised, so Linux leaves the debug registers alone.
  { name: 'DBGDIDR', cp: 14, op1: 0, crn: 0, crm: 0, op2: 0, reset: 0, access: 'ro', kind: 'id', description: 'Debug ID: no debug architecture (hardware breakpoints unsupported)', pl0: 'ro' },
  { name: 'TEECR', cp: 14, op1: 6, crn: 0, crm: 0, op2: 0, reset: 0, access: 'rw', kind: 'storage', description: 'ThumbEE configuration: XED[0] disables PL0 access to TEEHBR' },
  { name: 'TEEHBR', cp: 14, op1: 6, crn: 1, crm: 0, op2: 0, reset: 0, access: 'rw', kind: 'storage', description: 'ThumbEE handler base (Linux saves it per thread)', pl0: 'rw' },
  { name: 'DBGDSCRint', cp: 14, op1: 0, crn: 0, crm: 1, op2: 0, reset: 0, access: 'ro', kind: 'id', description: 'Debug status and control (internal view)', pl0: 'ro' },
];

/** The key of an encoding in lookups: coprocessor, opc1, CRn, CRm, opc2 and the 64-bit flag. */
export function cp15Key(cp: number, op1: number, crn: number, crm: number, op2: number, wide: boolean): number {
  return (wide ? 1 << 20 : 0) | (cp << 16) | (op1 << 12) | (crn << 8) | (crm << 4) | op2;
}

export const CP15_BY_KEY: ReadonlyMap<number, Cp15Register> = new Map(
  CP15_REGISTERS.map((reg) => [cp15Key(reg.cp, reg.op1, reg.wide ? 0 : reg.crn, reg.crm, reg.wide ? 0 : reg.op2, reg.wide === true), reg]),
);

export const CP15_BY_NAME: ReadonlyMap<string, Cp15Register> = new Map(CP15_REGISTERS.map((reg) => [reg.name, reg]));

const CP15_INDEX: ReadonlyMap<Cp15Register, number> = new Map(CP15_REGISTERS.map((reg, i) => [reg, i]));

/**
 * Where a system CPU keeps a register: its index in CP15_REGISTERS (two words each, low and high, in its storage).
 * The 32-bit TTBRs and PAR are the low words of their 64-bit forms.
 */
export function cp15Storage(reg: Cp15Register): number {
  const alias = reg.name === 'TTBR0' ? 'TTBR0_64' : reg.name === 'TTBR1' ? 'TTBR1_64' : reg.name === 'PAR' ? 'PAR_64' : undefined;
  return CP15_INDEX.get(alias === undefined ? reg : CP15_BY_NAME.get(alias)!)!;
}

/** How an encoding is written in assembly, for messages: `p15, 0, r0, c1, c0, 0` style without the register. */
export function describeEncoding(cp: number, op1: number, crn: number, crm: number, op2: number, wide: boolean): string {
  return wide ? `p${cp}, ${op1}, c${crm}` : `p${cp}, ${op1}, c${crn}, c${crm}, ${op2}`;
}
