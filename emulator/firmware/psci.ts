// PSCI 0.2/1.0 firmware behind SMC/HVC, as QEMU's boards provide it to a kernel booted with -kernel: the calls a
// Linux kernel makes (version, features, CPU_ON/CPU_OFF/AFFINITY_INFO for secondaries, SYSTEM_OFF/SYSTEM_RESET).
// The machine supplies the power actions; the CPU passes the call's registers.

export const PSCI_VERSION_1_0 = 0x00010000;

/** Function IDs (SMC32 and SMC64 forms where both exist). */
export const PSCI_FUNCTIONS: Readonly<Record<string, readonly number[]>> = {
  PSCI_VERSION: [0x84000000],
  CPU_SUSPEND: [0x84000001, 0xc4000001],
  CPU_OFF: [0x84000002],
  CPU_ON: [0x84000003, 0xc4000003],
  AFFINITY_INFO: [0x84000004, 0xc4000004],
  MIGRATE_INFO_TYPE: [0x84000006],
  SYSTEM_OFF: [0x84000008],
  SYSTEM_RESET: [0x84000009],
  PSCI_FEATURES: [0x8400000a],
};

const NAME_OF = new Map<number, string>(Object.entries(PSCI_FUNCTIONS).flatMap(([name, ids]) => ids.map((id) => [id, name] as [number, string])));

export const enum PsciStatus {
  Success = 0,
  NotSupported = -1,
  InvalidParameters = -2,
  Denied = -3,
  AlreadyOn = -4,
  OnPending = -5,
  InternalFailure = -6,
  NotPresent = -7,
  Disabled = -8,
}

/** What the machine does for the firmware. */
export interface PowerController {
  systemOff(): void;
  systemReset(): void;
  /** Starts the CPU with that MPIDR at `entry` with r0 = `context`; a PsciStatus. */
  cpuOn(mpidr: number, entry: number, context: number): number;
  /** Powers the calling CPU off (it stops; CPU_ON brings it back). */
  cpuOff(cpu: number): void;
  /** 0 = on, 1 = off, 2 = on pending; a negative PsciStatus for no such CPU. */
  affinityInfo(mpidr: number): number;
}

/** The calling CPU's view: its index and argument/result registers. */
export interface PsciCaller {
  readonly index: number;
  readonly r: Int32Array;
}

/**
 * Serves the call in r0-r3 as firmware behind the conduit does: a function ID it does not know returns
 * NOT_SUPPORTED (0xffffffff, the SMC Calling Convention's answer to an unknown function).
 */
export function psciCall(power: PowerController, cpu: PsciCaller): void {
  const id = cpu.r[0] >>> 0;
  const name = NAME_OF.get(id);
  if (name === undefined) {
    cpu.r[0] = PsciStatus.NotSupported;
    return;
  }
  const a1 = cpu.r[1] >>> 0, a2 = cpu.r[2] >>> 0, a3 = cpu.r[3] >>> 0;
  let result: number;
  switch (name) {
    case 'PSCI_VERSION': result = PSCI_VERSION_1_0; break;
    case 'PSCI_FEATURES': result = NAME_OF.has(a1) && NAME_OF.get(a1) !== 'CPU_SUSPEND' ? PsciStatus.Success : PsciStatus.NotSupported; break;
    case 'MIGRATE_INFO_TYPE': result = 2; break; // no trusted OS: migration not required
    case 'CPU_ON': result = power.cpuOn(a1, a2, a3); break;
    case 'CPU_OFF': power.cpuOff(cpu.index); result = PsciStatus.Success; break;
    case 'AFFINITY_INFO': result = a2 !== 0 ? PsciStatus.InvalidParameters : power.affinityInfo(a1); break;
    case 'SYSTEM_OFF': power.systemOff(); result = PsciStatus.Success; break;
    case 'SYSTEM_RESET': power.systemReset(); result = PsciStatus.Success; break;
    default: result = PsciStatus.NotSupported;
  }
  cpu.r[0] = result;
}
