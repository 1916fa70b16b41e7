// The synthesis-time configuration of a DMA-330: what CR0..CRD report, what the assembler's checks use.

export interface Pl330Config {
  /** Channel threads, 1..8. */
  readonly channels: number;
  /** Peripheral request interfaces, 0..32. */
  readonly peripherals: number;
  /** Events / interrupt outputs, 1..32. */
  readonly events: number;
  /** AXI data bus width in bits: 32, 64 or 128. */
  readonly dataWidth: 32 | 64 | 128;
  /** MFIFO depth in data-bus-width lines, 1..1024. */
  readonly mfifoLines: number;
  /** Instruction cache: line length in bytes (4..32) and number of lines (1..16). */
  readonly icacheLineBytes: number;
  readonly icacheLines: number;
  readonly writeIssuingCapability: number;
  readonly writeQueueDepth: number;
  readonly readIssuingCapability: number;
  readonly readQueueDepth: number;
  /** Manager starts non-secure (boot_manager_ns). */
  readonly managerNonSecure: boolean;
  /** Manager boots from CR2's address at reset (boot_from_pc). */
  readonly bootFromPc: boolean;
  readonly bootAddress: number;
  /** Non-secure bits of events (CR3) and peripherals (CR4). */
  readonly eventsNonSecure: number;
  readonly peripheralsNonSecure: number;
  /** 0 = r0p0, 1 = r1p0, 2 = r1p1, 3 = r1p2. */
  readonly revision: number;
}

/** The Zynq-7000 DMAC as QEMU's xilinx-zynq-a9 models it (CR0 0x001e3071, CRD 0x0fff7f73, r1p1). */
export const ZYNQ_QEMU_CONFIG: Pl330Config = {
  channels: 8,
  peripherals: 4,
  events: 16,
  dataWidth: 64,
  mfifoLines: 256,
  icacheLineBytes: 4,
  icacheLines: 8,
  writeIssuingCapability: 8,
  writeQueueDepth: 16,
  readIssuingCapability: 8,
  readQueueDepth: 16,
  managerNonSecure: false,
  bootFromPc: false,
  bootAddress: 0,
  eventsNonSecure: 0,
  peripheralsNonSecure: 0,
  revision: 2,
};

export const DEFAULT_CONFIG = ZYNQ_QEMU_CONFIG;

/** Limits of each configurable quantity, for validation in the assembler, the CLI and the machine builder. */
export const CONFIG_LIMITS = {
  channels: [1, 8],
  peripherals: [0, 32],
  events: [1, 32],
  mfifoLines: [1, 1024],
} as const;

export function validateConfig(config: Pl330Config): string[] {
  const errors: string[] = [];
  for (const [key, [lo, hi]] of Object.entries(CONFIG_LIMITS) as [keyof typeof CONFIG_LIMITS, readonly [number, number]][]) {
    const value = config[key];
    if (!Number.isInteger(value) || value < lo || value > hi) errors.push(`${key} must be an integer from ${lo} to ${hi} (got ${value})`);
  }
  if (![32, 64, 128].includes(config.dataWidth)) errors.push(`data width must be 32, 64 or 128 bits (got ${config.dataWidth})`);
  return errors;
}

/**
 * The events (CR3) or peripherals (CR4) a non-secure thread may use, as a mask, from `all`, `none` or a list of
 * numbers and ranges below `count` (`0,3-5`); throws an Error saying what is wrong.
 */
export function parseNonSecureList(text: string, count: number): number {
  if (text === 'all') return count >= 32 ? 0xffffffff : (2 ** count - 1) >>> 0;
  if (text === 'none') return 0;
  let mask = 0;
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!m || hi < lo) throw new Error(`'${text}' is not a list such as 0,3-5 (or all, none)`);
    if (hi >= count) throw new Error(`${hi} is beyond the ${count} configured (0..${count - 1})`);
    for (let n = lo; n <= hi; n++) mask |= 1 << n;
  }
  return mask >>> 0;
}
