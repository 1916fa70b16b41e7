// The implementation choices of an SMMUv1/v2 (what the ID registers report): one table per product, consumed by
// the register model (ID0-ID2, ID7), the walker (formats, sizes) and the machine builder (compatible strings).

export interface SmmuConfig {
  /** Product name for messages. */
  readonly model: string;
  /** Architecture version: 1 (MMU-400/401) or 2 (MMU-500). */
  readonly version: 1 | 2;
  /** Stream match register groups (SMRn/S2CRn pairs), 1..128. */
  readonly streamMatchGroups: number;
  /** Stream ID width in bits (ID0.NUMSIDB). */
  readonly streamIdBits: number;
  /** Context banks, and how many of them (the lowest indices) only support stage 2. */
  readonly contextBanks: number;
  readonly stage2OnlyBanks: number;
  readonly stage1: boolean;
  readonly stage2: boolean;
  readonly nested: boolean;
  /** Stage 1 may use the AArch32 short-descriptor format (clear sets ID0.PTFS_NO_AARCH32S). */
  readonly shortDescriptors: boolean;
  /** Context interrupts (ID0.NUMIRPT); the global interrupt comes on top. */
  readonly contextInterrupts: number;
  /** Input (IPA) and output address sizes in bits: 32, 36, 40, 42, 44 or 48. */
  readonly inputBits: number;
  readonly outputBits: number;
  /** Pages in each half of the register space (ID1.NUMPAGENDXB = log2(pages) - 1). */
  readonly pagesPerHalf: number;
  /** ID7 MAJOR.MINOR (revision). */
  readonly major: number;
  readonly minor: number;
}

/**
 * The MMU-400 of the FastModels VE Cortex-A15x4-A7x4-MMU400-DMA330 platform as dmalab configures it: stage 1 and
 * stage 2 (and nested), 4 context banks (none stage-2 only), 4 stream match groups (one per DMA-330), 40-bit IPA and
 * PA, one context interrupt per bank.
 */
export const MMU400_CONFIG: SmmuConfig = {
  model: 'MMU-400',
  version: 1,
  streamMatchGroups: 4,
  streamIdBits: 15,
  contextBanks: 4,
  stage2OnlyBanks: 0,
  stage1: true,
  stage2: true,
  nested: true,
  shortDescriptors: true,
  contextInterrupts: 4,
  inputBits: 40,
  outputBits: 40,
  pagesPerHalf: 8,
  major: 0,
  minor: 1,
};

/** MMU-401: stage 1 only SMMUv1 (its AArch64 tables use the same 4 KiB granule walk). */
export const MMU401_CONFIG: SmmuConfig = { ...MMU400_CONFIG, model: 'MMU-401', stage2: false, nested: false, shortDescriptors: false, inputBits: 48, outputBits: 48 };

/** MMU-500: SMMUv2, 16 banks, 48-bit addresses. */
export const MMU500_CONFIG: SmmuConfig = {
  ...MMU400_CONFIG,
  model: 'MMU-500',
  version: 2,
  streamMatchGroups: 16,
  // SMR ID and MASK are 15 bits without the extended stream ID option (EXIDS), which dmalab does not model.
  streamIdBits: 15,
  contextBanks: 16,
  contextInterrupts: 16,
  shortDescriptors: false,
  inputBits: 48,
  outputBits: 48,
  pagesPerHalf: 16,
  major: 2,
  minor: 1,
};

/** Devicetree compatible strings and the configuration each selects (the first match wins). */
export const SMMU_COMPATIBLES: readonly (readonly [string, SmmuConfig])[] = [
  ['arm,mmu-400', MMU400_CONFIG],
  ['arm,smmu-v1', MMU400_CONFIG],
  ['arm,mmu-401', MMU401_CONFIG],
  ['arm,mmu-500', MMU500_CONFIG],
  ['arm,smmu-v2', MMU500_CONFIG],
];

/** ID2 IAS/OAS encodings: index = code. */
export const ADDRESS_SIZE_CODES = [32, 36, 40, 42, 44, 48] as const;

export const SMMU_PAGE_SIZE = 4096;

export function validateSmmuConfig(c: SmmuConfig): string[] {
  const errors: string[] = [];
  if (!c.stage1 && !c.stage2) errors.push('neither stage 1 nor stage 2 is supported');
  if (c.streamMatchGroups < 1 || c.streamMatchGroups > 128) errors.push(`stream match groups must be 1..128 (got ${c.streamMatchGroups})`);
  if (c.contextBanks < 1 || c.contextBanks > 128) errors.push(`context banks must be 1..128 (got ${c.contextBanks})`);
  if (c.stage2OnlyBanks > c.contextBanks) errors.push('more stage-2-only banks than banks');
  if (!ADDRESS_SIZE_CODES.includes(c.inputBits as never) || !ADDRESS_SIZE_CODES.includes(c.outputBits as never)) errors.push('address sizes must be 32, 36, 40, 42, 44 or 48 bits');
  if (c.pagesPerHalf < c.contextBanks || (c.pagesPerHalf & (c.pagesPerHalf - 1)) !== 0 || c.pagesPerHalf < 2) errors.push('pages per half must be a power of two >= 2 and >= the number of context banks');
  return errors;
}

/** Bytes of register space: the global half and the context-bank half. */
export function smmuRegisterSpan(c: SmmuConfig): number {
  return 2 * c.pagesPerHalf * SMMU_PAGE_SIZE;
}
