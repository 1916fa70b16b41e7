// The SMMUv1/v2 register map, per space (GR0, GR1, one context bank), as the architecture specification and the
// Linux arm-smmu driver name them. The device model stores and decodes registers through these tables; the
// debugger's views read them too. 64-bit registers are two words: NAME (bits 31:0) and NAME_HI (bits 63:32).
import { RegisterDef, RegisterMap } from '../bus/registers';
import { SMMU_PAGE_SIZE, SmmuConfig } from './config';

const S2CR_TYPES = { 0: 'translate', 1: 'bypass', 2: 'fault' };
const CBAR_TYPES = { 0: 'stage 2 only', 1: 'stage 1, stage 2 bypass', 2: 'stage 1, stage 2 fault', 3: 'nested' };

export const SCR0_FIELDS = {
  CLIENTPD: 1 << 0, GFRE: 1 << 1, GFIE: 1 << 2, GCFGFRE: 1 << 4, GCFGFIE: 1 << 5, USFCFG: 1 << 10,
} as const;

export const GFSR_BITS = { ICF: 1 << 0, USF: 1 << 1, SMCF: 1 << 2, UCBF: 1 << 3, UCIF: 1 << 4, CAF: 1 << 5, EF: 1 << 6, UUT: 1 << 8, MULTI: 1 << 31 } as const;

/** sGFSYNR0 lays its syndrome bits out differently from a context bank's FSYNR0. */
export const GFSYNR0_BITS = { WNR: 1 << 1, PNU: 1 << 2, IND: 1 << 3, NSSTATE: 1 << 4, NSATTR: 1 << 5 } as const;

export const SCTLR_BITS = { M: 1 << 0, TRE: 1 << 1, AFE: 1 << 2, E: 1 << 4, CFRE: 1 << 5, CFIE: 1 << 6, CFCFG: 1 << 7, HUPCF: 1 << 8 } as const;

export const FSR_BITS = { TF: 1 << 1, AFF: 1 << 2, PF: 1 << 3, EF: 1 << 4, TLBMCF: 1 << 5, TLBLKF: 1 << 6, ASF: 1 << 7, UUT: 1 << 8, SS: 1 << 30, MULTI: 1 << 31 } as const;
/** FSR bits that are faults (SS and MULTI qualify them). */
export const FSR_FAULTS = 0x1fe;

export const FSYNR0_BITS = { WNR: 1 << 4, PNU: 1 << 5, IND: 1 << 6, NSATTR: 1 << 8 } as const;

function fsrFields() {
  return Object.entries(FSR_BITS).map(([name, bit]) => ({ name, shift: 31 - Math.clz32(bit), bits: 1, description: `${name} fault status` }));
}

/** Global register space 0 (page 0). */
export function gr0Registers(c: SmmuConfig): RegisterDef[] {
  const n = c.streamMatchGroups;
  return [
    {
      name: 'sCR0', offset: 0x000, access: 'rw', reset: SCR0_FIELDS.CLIENTPD, description: 'Global configuration 0',
      fields: [
        { name: 'CLIENTPD', shift: 0, bits: 1, description: 'all client transactions bypass the SMMU' },
        { name: 'GFRE', shift: 1, bits: 1, description: 'global fault report enable' },
        { name: 'GFIE', shift: 2, bits: 1, description: 'global fault interrupt enable' },
        { name: 'GCFGFRE', shift: 4, bits: 1, description: 'global configuration fault report enable' },
        { name: 'GCFGFIE', shift: 5, bits: 1, description: 'global configuration fault interrupt enable' },
        { name: 'USFCFG', shift: 10, bits: 1, description: 'unidentified stream: 1 fault, 0 bypass' },
        { name: 'VMIDPNE', shift: 11, bits: 1, description: 'VMID private namespace' },
        { name: 'PTM', shift: 12, bits: 1, description: 'private TLB maintenance' },
      ],
    },
    { name: 'sACR', offset: 0x010, access: 'rw', reset: 0, description: 'Auxiliary configuration (implementation defined)' },
    { name: 'sIDR0', offset: 0x020, access: 'ro', reset: 0, description: 'Identification 0: features, stream matching' },
    { name: 'sIDR1', offset: 0x024, access: 'ro', reset: 0, description: 'Identification 1: context banks, page layout' },
    { name: 'sIDR2', offset: 0x028, access: 'ro', reset: 0, description: 'Identification 2: address sizes, formats' },
    { name: 'sIDR3', offset: 0x02c, access: 'ro', reset: 0, description: 'Identification 3 (reserved)' },
    { name: 'sIDR4', offset: 0x030, access: 'ro', reset: 0, description: 'Identification 4 (reserved)' },
    { name: 'sIDR5', offset: 0x034, access: 'ro', reset: 0, description: 'Identification 5 (reserved)' },
    { name: 'sIDR6', offset: 0x038, access: 'ro', reset: 0, description: 'Identification 6' },
    { name: 'sIDR7', offset: 0x03c, access: 'ro', reset: 0, description: 'Identification 7: MAJOR[7:4] MINOR[3:0]' },
    { name: 'sGFAR', offset: 0x040, access: 'ro', reset: 0, description: 'Global fault address' },
    { name: 'sGFAR_HI', offset: 0x044, access: 'ro', reset: 0, description: 'Global fault address [63:32]' },
    { name: 'sGFSR', offset: 0x048, access: 'w1c', reset: 0, description: 'Global fault status', fields: Object.entries(GFSR_BITS).map(([name, bit]) => ({ name, shift: 31 - Math.clz32(bit), bits: 1, description: `${name} global fault` })) },
    { name: 'sGFSRRESTORE', offset: 0x04c, access: 'wo', reset: 0, description: 'Global fault status restore' },
    { name: 'sGFSYNR0', offset: 0x050, access: 'ro', reset: 0, description: 'Global fault syndrome 0: WNR[1] PNU[2] IND[3] NSSTATE[4] NSATTR[5]' },
    { name: 'sGFSYNR1', offset: 0x054, access: 'ro', reset: 0, description: 'Global fault syndrome 1: stream ID' },
    { name: 'sGFSYNR2', offset: 0x058, access: 'ro', reset: 0, description: 'Global fault syndrome 2' },
    { name: 'TLBIVMID', offset: 0x064, access: 'wo', reset: 0, description: 'Invalidate TLB entries of a VMID' },
    { name: 'TLBIALLNSNH', offset: 0x068, access: 'wo', reset: 0, description: 'Invalidate all non-secure non-hyp TLB entries' },
    { name: 'TLBIALLH', offset: 0x06c, access: 'wo', reset: 0, description: 'Invalidate all hyp TLB entries' },
    { name: 'sTLBGSYNC', offset: 0x070, access: 'wo', reset: 0, description: 'Global TLB synchronize' },
    { name: 'sTLBGSTATUS', offset: 0x074, access: 'ro', reset: 0, description: 'Global TLB status: GSACTIVE[0]' },
    {
      name: 'SMR{n}', offset: 0x800, count: n, access: 'rw', reset: 0, description: 'Stream match register',
      fields: [
        { name: 'ID', shift: 0, bits: 15, description: 'stream ID to match' },
        { name: 'MASK', shift: 16, bits: 15, description: 'stream ID bits ignored' },
        { name: 'VALID', shift: 31, bits: 1, description: 'entry valid' },
      ],
    },
    {
      name: 'S2CR{n}', offset: 0xc00, count: n, access: 'rw', reset: 0x20000, description: 'Stream-to-context register',
      fields: [
        { name: 'CBNDX', shift: 0, bits: 8, description: 'context bank index' },
        { name: 'TYPE', shift: 16, bits: 2, description: 'what matching transactions do', values: S2CR_TYPES },
        { name: 'PRIVCFG', shift: 24, bits: 2, description: 'privilege: 0 default, 2 unprivileged, 3 privileged' },
      ],
    },
  ];
}

/** Global register space 1 (page 1). */
export function gr1Registers(c: SmmuConfig): RegisterDef[] {
  const defs: RegisterDef[] = [
    {
      name: 'CBAR{n}', offset: 0x000, count: c.contextBanks, access: 'rw', reset: 0, description: 'Context bank attributes',
      fields: [
        { name: 'VMID', shift: 0, bits: 8, description: 'virtual machine ID' },
        { name: 'CBNDX', shift: 8, bits: 8, description: 'nested: the stage 2 context bank' },
        { name: 'TYPE', shift: 16, bits: 2, description: 'context type', values: CBAR_TYPES },
        { name: 'IRPTNDX', shift: 24, bits: 8, description: 'context interrupt index' },
      ],
    },
    { name: 'CBFRSYNRA{n}', offset: 0x400, count: c.contextBanks, access: 'ro', reset: 0, description: 'Context bank fault restricted syndrome: stream ID' },
  ];
  if (c.version === 2) defs.push({ name: 'CBA2R{n}', offset: 0x800, count: c.contextBanks, access: 'rw', reset: 0, description: 'Context bank attributes 2: VA64[0]' });
  return defs;
}

/** One context bank (its own page). */
export const CONTEXT_BANK_REGISTERS: readonly RegisterDef[] = [
  {
    name: 'SCTLR', offset: 0x000, access: 'rw', reset: 0, description: 'System control',
    fields: Object.entries(SCTLR_BITS).map(([name, bit]) => ({ name, shift: 31 - Math.clz32(bit), bits: 1, description: name })),
  },
  { name: 'ACTLR', offset: 0x004, access: 'rw', reset: 0, description: 'Auxiliary control' },
  { name: 'RESUME', offset: 0x008, access: 'wo', reset: 0, description: 'Resume a stalled transaction: TnR[0] 1 terminate, 0 retry' },
  { name: 'TCR2', offset: 0x010, access: 'rw', reset: 0, description: 'Translation control 2 (v2)' },
  { name: 'TTBR0', offset: 0x020, access: 'rw', reset: 0, description: 'Translation table base 0' },
  { name: 'TTBR0_HI', offset: 0x024, access: 'rw', reset: 0, description: 'Translation table base 0 [63:32] (ASID[63:48])' },
  { name: 'TTBR1', offset: 0x028, access: 'rw', reset: 0, description: 'Translation table base 1' },
  { name: 'TTBR1_HI', offset: 0x02c, access: 'rw', reset: 0, description: 'Translation table base 1 [63:32]' },
  {
    name: 'TCR', offset: 0x030, access: 'rw', reset: 0, description: 'Translation control (TTBCR for stage 1, VTCR for stage 2)',
    fields: [
      { name: 'T0SZ', shift: 0, bits: 6, description: 'input size = 32 (AArch32) or 64 (AArch64) - T0SZ' },
      { name: 'SL0', shift: 6, bits: 2, description: 'stage 2 start level' },
      { name: 'EPD0', shift: 7, bits: 1, description: 'stage 1: no walks through TTBR0' },
      { name: 'TG0', shift: 14, bits: 2, description: 'granule' },
      { name: 'T1SZ', shift: 16, bits: 6, description: 'stage 1 TTBR1 region size' },
      { name: 'EPD1', shift: 23, bits: 1, description: 'no walks through TTBR1' },
      { name: 'EAE', shift: 31, bits: 1, description: 'stage 1: long-descriptor format' },
    ],
  },
  { name: 'CONTEXTIDR', offset: 0x034, access: 'rw', reset: 0, description: 'Context ID (short-descriptor ASID[7:0])' },
  { name: 'MAIR0', offset: 0x038, access: 'rw', reset: 0, description: 'Memory attribute indirection 0 (PRRR)' },
  { name: 'MAIR1', offset: 0x03c, access: 'rw', reset: 0, description: 'Memory attribute indirection 1 (NMRR)' },
  { name: 'PAR', offset: 0x050, access: 'ro', reset: 0, description: 'Physical address register (ATS1 result, F[0] fault)' },
  { name: 'PAR_HI', offset: 0x054, access: 'ro', reset: 0, description: 'Physical address register [63:32]' },
  { name: 'FSR', offset: 0x058, access: 'w1c', reset: 0, description: 'Fault status', fields: fsrFields() },
  { name: 'FSRRESTORE', offset: 0x05c, access: 'wo', reset: 0, description: 'Fault status restore' },
  { name: 'FAR', offset: 0x060, access: 'ro', reset: 0, description: 'Fault address' },
  { name: 'FAR_HI', offset: 0x064, access: 'ro', reset: 0, description: 'Fault address [63:32]' },
  { name: 'FSYNR0', offset: 0x068, access: 'ro', reset: 0, description: 'Fault syndrome 0: PLVL[1:0], WNR[4], PNU[5], IND[6]' },
  { name: 'FSYNR1', offset: 0x06c, access: 'ro', reset: 0, description: 'Fault syndrome 1' },
  { name: 'TLBIVA', offset: 0x600, access: 'wo', reset: 0, description: 'Invalidate by VA and ASID' },
  { name: 'TLBIVA_HI', offset: 0x604, access: 'wo', reset: 0, description: 'Invalidate by VA [63:32]' },
  { name: 'TLBIVAA', offset: 0x608, access: 'wo', reset: 0, description: 'Invalidate by VA, all ASIDs' },
  { name: 'TLBIVAA_HI', offset: 0x60c, access: 'wo', reset: 0, description: 'Invalidate by VA, all ASIDs [63:32]' },
  { name: 'TLBIASID', offset: 0x610, access: 'wo', reset: 0, description: 'Invalidate by ASID' },
  { name: 'TLBIALL', offset: 0x618, access: 'wo', reset: 0, description: 'Invalidate the whole context' },
  { name: 'TLBIVAL', offset: 0x620, access: 'wo', reset: 0, description: 'Invalidate leaf entries by VA and ASID' },
  { name: 'TLBIVAL_HI', offset: 0x624, access: 'wo', reset: 0, description: 'Invalidate leaf by VA [63:32]' },
  { name: 'TLBIVAAL', offset: 0x628, access: 'wo', reset: 0, description: 'Invalidate leaf by VA, all ASIDs' },
  { name: 'TLBIVAAL_HI', offset: 0x62c, access: 'wo', reset: 0, description: 'Invalidate leaf by VA, all ASIDs [63:32]' },
  { name: 'TLBIIPAS2', offset: 0x630, access: 'wo', reset: 0, description: 'Stage 2: invalidate by IPA >> 12' },
  { name: 'TLBIIPAS2_HI', offset: 0x634, access: 'wo', reset: 0, description: 'Stage 2: invalidate by IPA [63:32]' },
  { name: 'TLBIIPAS2L', offset: 0x638, access: 'wo', reset: 0, description: 'Stage 2: invalidate leaf by IPA >> 12' },
  { name: 'TLBIIPAS2L_HI', offset: 0x63c, access: 'wo', reset: 0, description: 'Stage 2: invalidate leaf by IPA [63:32]' },
  { name: 'TLBSYNC', offset: 0x7f0, access: 'wo', reset: 0, description: 'TLB synchronize' },
  { name: 'TLBSTATUS', offset: 0x7f4, access: 'ro', reset: 0, description: 'TLB status: SACTIVE[0]' },
  { name: 'ATS1PR', offset: 0x800, access: 'wo', reset: 0, description: 'Address translation, stage 1, privileged read' },
  { name: 'ATS1PR_HI', offset: 0x804, access: 'wo', reset: 0, description: 'Address translation [63:32]' },
  { name: 'ATS1PW', offset: 0x808, access: 'wo', reset: 0, description: 'Address translation, stage 1, privileged write' },
  { name: 'ATS1PW_HI', offset: 0x80c, access: 'wo', reset: 0, description: 'Address translation [63:32]' },
  { name: 'ATSR', offset: 0x8f0, access: 'ro', reset: 0, description: 'Address translation status: ACTIVE[0]' },
];

export interface SmmuRegisterMaps {
  readonly gr0: RegisterMap;
  readonly gr1: RegisterMap;
  readonly contextBank: RegisterMap;
}

export function smmuRegisterMaps(c: SmmuConfig): SmmuRegisterMaps {
  return {
    gr0: new RegisterMap(gr0Registers(c), SMMU_PAGE_SIZE),
    gr1: new RegisterMap(gr1Registers(c), SMMU_PAGE_SIZE),
    contextBank: new RegisterMap(CONTEXT_BANK_REGISTERS, SMMU_PAGE_SIZE),
  };
}

type ContextBankRegister = 'SCTLR' | 'TTBR0' | 'TTBR0_HI' | 'TTBR1' | 'TCR' | 'CONTEXTIDR' | 'PAR' | 'PAR_HI' | 'FSR' | 'FAR' | 'FAR_HI' | 'FSYNR0';

/** Word index of the context-bank registers the translation path reads and writes directly (from the table). */
export const CB_WORD: Readonly<Record<ContextBankRegister, number>> = Object.fromEntries(
  CONTEXT_BANK_REGISTERS.map((r) => [r.name, r.offset >>> 2]),
) as Record<ContextBankRegister, number>;
