// ARMv7-A processor modes and their banked registers: R13/R14 per exception mode, R8-R12 of FIQ mode, an SPSR per
// exception mode. The live values are always in CpuState.r; a mode change swaps the outgoing mode's bank out.
import type { CpuState } from './state';

export const enum Mode {
  USR = 0x10,
  FIQ = 0x11,
  IRQ = 0x12,
  SVC = 0x13,
  MON = 0x16,
  ABT = 0x17,
  HYP = 0x1a,
  UND = 0x1b,
  SYS = 0x1f,
}

export const MODE_NAMES: Readonly<Record<number, string>> = {
  0x10: 'usr', 0x11: 'fiq', 0x12: 'irq', 0x13: 'svc', 0x16: 'mon', 0x17: 'abt', 0x1a: 'hyp', 0x1b: 'und', 0x1f: 'sys',
};

/** Bank of each mode (USR and SYS share one); -1 for encodings that are not modes. */
const BANK = new Int8Array(32).fill(-1);
BANK[Mode.USR] = 0; BANK[Mode.SYS] = 0; BANK[Mode.FIQ] = 1; BANK[Mode.IRQ] = 2; BANK[Mode.SVC] = 3;
BANK[Mode.ABT] = 4; BANK[Mode.UND] = 5; BANK[Mode.MON] = 6; BANK[Mode.HYP] = 7;

export function isValidMode(mode: number): boolean {
  return BANK[mode & 0x1f] >= 0 && (mode & 0x10) !== 0;
}

export function bankOf(mode: number): number {
  return BANK[mode & 0x1f];
}

export interface BankedState {
  readonly r13: number[];
  readonly r14: number[];
  readonly spsr: number[];
  readonly fiq: number[];
  readonly user: number[];
}

export class RegisterBanks {
  /** R13 and R14 of each bank while that bank is not the live one (HYP uses the User LR). */
  readonly r13 = new Int32Array(8);
  readonly r14 = new Int32Array(8);
  readonly spsr = new Int32Array(8);
  /** R8-R12 of FIQ mode while not in FIQ mode, and of every other mode while in FIQ mode. */
  readonly fiq = new Int32Array(5);
  readonly user = new Int32Array(5);

  /** Switches c's live registers from its current mode's bank to `mode`'s, and sets c.mode. */
  switchMode(c: CpuState, mode: number): void {
    const from = BANK[c.mode], to = BANK[mode];
    if (from !== to) {
      // HYP mode has its own SP but uses the User LR.
      this.r13[from] = c.r[13];
      this.r14[from === 7 ? 0 : from] = c.r[14];
      c.r[13] = this.r13[to];
      c.r[14] = this.r14[to === 7 ? 0 : to];
      if ((from === 1) !== (to === 1)) {
        const save = from === 1 ? this.fiq : this.user;
        const load = from === 1 ? this.user : this.fiq;
        for (let i = 0; i < 5; i++) {
          save[i] = c.r[8 + i];
          c.r[8 + i] = load[i];
        }
      }
    }
    c.mode = mode;
  }

  /** R8-R14 as User mode sees them, whatever the current mode. */
  readUser(c: CpuState, index: number): number {
    const bank = BANK[c.mode];
    if (index < 13) return bank === 1 ? this.user[index - 8] : c.r[index];
    if (bank === 0) return c.r[index];
    if (index === 14 && bank === 7) return c.r[14];
    return index === 13 ? this.r13[0] : this.r14[0];
  }

  writeUser(c: CpuState, index: number, value: number): void {
    const bank = BANK[c.mode];
    if (index < 13) {
      if (bank === 1) this.user[index - 8] = value;
      else c.r[index] = value;
    } else if (bank === 0 || (index === 14 && bank === 7)) c.r[index] = value;
    else if (index === 13) this.r13[0] = value;
    else this.r14[0] = value;
  }

  /** A banked register of another mode (MRS/MSR banked, SRS): `index` 8-14 of `mode`. */
  read(c: CpuState, mode: number, index: number): number {
    if (BANK[mode] === BANK[c.mode]) return c.r[index];
    if (index < 13) return BANK[mode] === 1 ? this.fiq[index - 8] : this.readUser(c, index);
    if (index === 13) return this.r13[BANK[mode]];
    return BANK[mode] === 7 ? this.readUser(c, 14) : this.r14[BANK[mode]];
  }

  write(c: CpuState, mode: number, index: number, value: number): void {
    if (BANK[mode] === BANK[c.mode]) c.r[index] = value;
    else if (index < 13) {
      if (BANK[mode] === 1) this.fiq[index - 8] = value;
      else this.writeUser(c, index, value);
    } else if (index === 13) this.r13[BANK[mode]] = value;
    else if (BANK[mode] === 7) this.writeUser(c, 14, value);
    else this.r14[BANK[mode]] = value;
  }

  save(): BankedState {
    return { r13: [...this.r13], r14: [...this.r14], spsr: [...this.spsr], fiq: [...this.fiq], user: [...this.user] };
  }

  load(state: BankedState): void {
    this.r13.set(state.r13);
    this.r14.set(state.r14);
    this.spsr.set(state.spsr);
    this.fiq.set(state.fiq);
    this.user.set(state.user);
  }
}
