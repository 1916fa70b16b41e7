// Architectural state of an ARMv7-A core, kept in typed arrays and small integers so the instruction handlers never
// allocate. A user-mode CPU stays in USR mode with `system` null; a system CPU (system.ts) adds the banked registers,
// CP15 and the MMU behind `system`, which the privileged instructions' handlers call.
import type { CpuMemory, MemoryFault } from './memory';

export const enum Isa {
  Arm = 0,
  Thumb = 1,
}

/** Why `Cpu.run` returned before its instruction budget was spent. */
export type StopReason =
  | { readonly kind: 'svc'; readonly imm: number }
  | { readonly kind: 'undefined'; readonly encoding: number; readonly size: 2 | 4; readonly detail: string }
  | { readonly kind: 'fault'; readonly address: number; readonly access: string; readonly detail: string; readonly cause?: MemoryFault }
  | { readonly kind: 'breakpoint'; readonly imm: number }
  | { readonly kind: 'halt'; readonly detail: string }
  /** A system CPU's events: the instruction completed (the PC is past it) and the CPU must act before going on. */
  | { readonly kind: 'system'; readonly event: SystemEvent; readonly imm: number };

/** Why a privileged instruction ended its block: an exception to take, a wait, or state that changes translation. */
export const enum SystemEvent {
  /** CPSR or SCTLR/TTBR changed: re-check interrupts and the translation before the next block. */
  Resync,
  SecureMonitorCall,
  HypervisorCall,
  WaitForInterrupt,
  WaitForEvent,
}

/** What privileged instructions need of a system CPU (banked registers, SPSRs, coprocessors). */
export interface SystemControl {
  /**
   * MSR CPSR / CPS / exception return: `mask` selects the bytes written (c, x, s, f = bits 0-3). Returns whether the
   * engine must stop for the system to act: the mode changed, or the write unmasked an interrupt that is pending.
   */
  writeCpsr(value: number, mask: number, exceptionReturn: boolean): boolean;
  readSpsr(): number;
  writeSpsr(value: number, mask: number): void;
  /** MRS/MSR (banked register): SYSm as encoded (R bit in bit 5). */
  readBanked(sysm: number): number;
  writeBanked(sysm: number, value: number): void;
  /** R13/R14 of User mode (LDM/STM with ^), index 8-14. */
  readUser(index: number): number;
  writeUser(index: number, value: number): void;
  /** MRC/MCR (and MRRC/MCRR with `wide`): returns false when the access is UNDEFINED at the current privilege. */
  coprocessorRead(cp: number, op1: number, crn: number, crm: number, op2: number, wide: boolean): boolean;
  coprocessorWrite(cp: number, op1: number, crn: number, crm: number, op2: number, low: number, high: number, wide: boolean): boolean;
  /** The value(s) coprocessorRead produced: low word, high word (MRRC). */
  readonly transfer: Int32Array;
  /** CP15 register values: two words (low, high) per register of CP15_REGISTERS (at cp15Storage). */
  readonly cp15: Int32Array;
  /** FPEXC (VMRS/VMSR): EN[30] enables the VFP; reachable while CPACR grants cp10 at the current privilege. */
  vfpRegistersAccessible(): boolean;
  readFpexc(): number;
  writeFpexc(value: number): void;
  /** Access with User privilege (LDRT/STRT): the memory checks permissions as if in USR mode while set. */
  setUnprivileged(on: boolean): void;
  /** SEV: signals an event to every CPU of the system (their WFE completes). */
  sendEvent(): void;
}

export interface CpuSnapshot {
  readonly r: Int32Array;
  readonly vfp: Int32Array;
  /** CPSR (flags, T bit). */
  readonly flags: number;
  readonly ge: number;
  readonly it: number;
  readonly pc: number;
  readonly fpscr: number;
  readonly tpidruro: number;
  readonly tpidrurw: number;
  readonly exclusiveAddress: number;
}

export class CpuState {
  /** R0-R15. While an instruction executes, R15 reads as its address + 8 (ARM) or + 4 (Thumb). */
  readonly r = new Int32Array(16);
  // APSR flags, one per field (0 or 1); GE is 4 bits.
  n = 0;
  z = 0;
  c = 0;
  v = 0;
  q = 0;
  ge = 0;
  /** CPSR.T */
  thumb = false;
  /** ITSTATE (CPSR.IT[7:0]): the condition in the top 4 bits, the mask below; 0 outside an IT block. */
  it = 0;
  /** Address of the instruction executing (or about to). */
  pc = 0;
  /** Address of the next instruction: handlers that branch overwrite it. */
  next = 0;

  /** VFP/Advanced SIMD register file: D0-D31, with S0-S31 and 32-bit words aliasing the same bytes. */
  readonly vfpBuffer = new ArrayBuffer(32 * 8);
  readonly d = new Float64Array(this.vfpBuffer);
  readonly s = new Float32Array(this.vfpBuffer);
  readonly w = new Int32Array(this.vfpBuffer);
  fpscr = 0;

  /** TPIDRURO (user read-only thread ID: the TLS pointer) and TPIDRURW. */
  tpidruro = 0;
  tpidrurw = 0;

  /** Local exclusive monitor: the address LDREX marked, or -1 when open. */
  exclusiveAddress = -1;

  /** CPSR.M (always USR for a user-mode CPU) and the A, I, F mask bits (1 = masked). */
  mode = 0x10;
  maskA = 0;
  maskI = 0;
  maskF = 0;
  /** Whether VFP instructions may execute (FPEXC.EN and CPACR); always for a user-mode CPU. */
  vfpEnabled = true;
  /** The privileged half; null for a user-mode CPU (privileged instructions are then undefined). */
  system: SystemControl | null = null;

  stop: StopReason | null = null;

  constructor(public mem: CpuMemory) {}

  /** The whole CPSR (in user mode the mode bits read 0x10 and the masks 0). */
  get cpsr(): number {
    return (
      ((this.n << 31) | (this.z << 30) | (this.c << 29) | (this.v << 28) | (this.q << 27) |
        ((this.it & 3) << 25) | (this.ge << 16) | ((this.it >> 2) << 10) | (this.maskA << 8) | (this.maskI << 7) |
        (this.maskF << 6) | ((this.thumb ? 1 : 0) << 5) | this.mode) >>> 0
    );
  }

  /** A copy of the architectural state (the memory is saved by its owner). */
  snapshot(): CpuSnapshot {
    return {
      r: this.r.slice(), vfp: this.w.slice(), flags: this.cpsr, ge: this.ge, it: this.it, pc: this.pc,
      fpscr: this.fpscr, tpidruro: this.tpidruro, tpidrurw: this.tpidrurw, exclusiveAddress: this.exclusiveAddress,
    };
  }

  restore(saved: CpuSnapshot): void {
    this.r.set(saved.r);
    this.w.set(saved.vfp);
    this.setFlags(saved.flags);
    this.thumb = (saved.flags & 0x20) !== 0;
    this.ge = saved.ge;
    this.it = saved.it;
    this.pc = this.next = saved.pc;
    this.fpscr = saved.fpscr;
    this.tpidruro = saved.tpidruro;
    this.tpidrurw = saved.tpidrurw;
    this.exclusiveAddress = saved.exclusiveAddress;
    this.stop = null;
  }

  setFlags(value: number): void {
    this.n = (value >>> 31) & 1;
    this.z = (value >>> 30) & 1;
    this.c = (value >>> 29) & 1;
    this.v = (value >>> 28) & 1;
    this.q = (value >>> 27) & 1;
  }
}
