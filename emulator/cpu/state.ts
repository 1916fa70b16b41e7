// Architectural state of an ARMv7-A core as user mode sees it, kept in typed arrays and small integers so the
// instruction handlers never allocate. Privileged state (banked registers, CP15, the MMU) will be added beside it.
import type { CpuMemory } from './memory';

export const enum Isa {
  Arm = 0,
  Thumb = 1,
}

/** Why `Cpu.run` returned before its instruction budget was spent. */
export type StopReason =
  | { readonly kind: 'svc'; readonly imm: number }
  | { readonly kind: 'undefined'; readonly encoding: number; readonly size: 2 | 4; readonly detail: string }
  | { readonly kind: 'fault'; readonly address: number; readonly access: string; readonly detail: string }
  | { readonly kind: 'breakpoint'; readonly imm: number }
  | { readonly kind: 'halt'; readonly detail: string };

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

  stop: StopReason | null = null;

  constructor(public mem: CpuMemory) {}

  /** CPSR as MRS reads it in user mode (mode bits 0x10). */
  get cpsr(): number {
    return (
      ((this.n << 31) | (this.z << 30) | (this.c << 29) | (this.v << 28) | (this.q << 27) |
        ((this.it & 3) << 25) | (this.ge << 16) | ((this.it >> 2) << 10) | ((this.thumb ? 1 : 0) << 5) | 0x10) >>> 0
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
