// Handlers of the privileged instructions, shared by the A32 and T32 decoders: CPS, MRS/MSR of the CPSR, SPSR and
// banked registers, exception returns (SUBS PC, LR; LDM with PC and ^; RFE), SRS, LDM/STM of User registers,
// LDRT/STRT, MRC/MCR/MRRC/MCRR, SMC, HVC, WFI, WFE, SEV. They call the CPU's `system`; on a user-mode CPU (system null)
// or in USR mode, what is privileged is UNDEFINED. Handlers that may change the instruction set or the translation
// end their block; CPS and MSR of the CPSR do not: they stop the engine right after them where the mode changes or a
// pending interrupt gets unmasked, and otherwise the block goes on (a kernel masks and unmasks all the time).
import { endsBlock, type Handler } from './alu';
import { cp15Key, CP15_BY_KEY, describeEncoding } from './cp15';
import { Mode, isValidMode } from './modes';
import { nop } from './ops';
import { SystemEvent, type CpuState, type StopReason, type SystemControl } from './state';

/** Stops at the instruction as UNDEFINED (the run loop points the PC back at it). */
export function raiseUndefined(c: CpuState, encoding: number, size: 2 | 4, detail: string): void {
  c.next = -1;
  c.stop = { kind: 'undefined', encoding: encoding >>> 0, size, detail };
}

/** The system, when the current mode is privileged; null makes the caller's instruction UNDEFINED. */
function privileged(c: CpuState): SystemControl | null {
  return c.mode === Mode.USR ? null : c.system;
}

// The stops of the events without an immediate, made once: CPS and MSR of the masks run all the time in a kernel.
const RESYNC: StopReason = { kind: 'system', event: SystemEvent.Resync, imm: 0 };
const WAIT_FOR_INTERRUPT: StopReason = { kind: 'system', event: SystemEvent.WaitForInterrupt, imm: 0 };
const WAIT_FOR_EVENT: StopReason = { kind: 'system', event: SystemEvent.WaitForEvent, imm: 0 };

/** CPS: `effect` 2 = enable (clear the masks), 3 = disable; `mode` < 0 keeps the mode. In USR mode a NOP. */
export function changeProcessorState(effect: number, a: boolean, i: boolean, f: boolean, mode: number): Handler {
  const bits = (a ? 0x100 : 0) | (i ? 0x80 : 0) | (f ? 0x40 : 0);
  return (c) => {
    const system = privileged(c);
    if (system === null) return;
    let value = c.cpsr;
    if (effect === 2) value &= ~bits;
    else if (effect === 3) value |= bits;
    if (mode >= 0) value = (value & ~0x1f) | mode;
    // Masking, or unmasking with nothing pending, in the same mode: the block goes on.
    if (system.writeCpsr(value, 0b0011, false)) c.stop = RESYNC;
  };
}

/** The CPSR as MRS reads it: the execution state bits (IT, J, T) as zero. */
export function cpsrAsRead(c: CpuState): number {
  return c.cpsr & 0xf8ff03df;
}

/** MRS Rd, CPSR or SPSR. */
export function readStatus(d: number, spsr: boolean, encoding: number, size: 2 | 4): Handler {
  if (!spsr) return (c) => { c.r[d] = cpsrAsRead(c); };
  return (c) => {
    const system = privileged(c);
    if (system === null || c.mode === Mode.SYS) raiseUndefined(c, encoding, size, 'MRS of SPSR in a mode without one');
    else c.r[d] = system.readSpsr();
  };
}

/** MSR CPSR/SPSR: mask bits 0-3 = fields c, x, s, f. In USR mode only the APSR (f, s) changes. */
export function writeStatus(operand: (c: CpuState) => number, mask: number, spsr: boolean, encoding: number, size: 2 | 4): Handler {
  if (spsr) {
    return (c) => {
      const system = privileged(c);
      if (system === null || c.mode === Mode.SYS) raiseUndefined(c, encoding, size, 'MSR to SPSR in a mode without one');
      else system.writeSpsr(operand(c), mask);
    };
  }
  const control = (mask & 3) !== 0;
  return (c) => {
    const value = operand(c);
    const system = privileged(c);
    if (system === null) {
      if (mask & 8) c.setFlags(value);
      if (mask & 4) c.ge = (value >>> 16) & 0xf;
      return;
    }
    if (system.writeCpsr(value, mask, false) && control) c.stop = RESYNC;
  };
}

/** MRS/MSR (banked register): SYSm with the R bit in bit 5. */
export function accessBanked(isRead: boolean, t: number, sysm: number, encoding: number, size: 2 | 4): Handler {
  return (c) => {
    const system = privileged(c);
    if (system === null) raiseUndefined(c, encoding, size, 'MRS/MSR (banked) in USR mode');
    else if (isRead) c.r[t] = system.readBanked(sysm);
    else system.writeBanked(sysm, c.r[t]);
  };
}

/** CPSR = SPSR and branch to `target(c)` (computed before the mode changes): SUBS PC, LR and friends. */
export function exceptionReturn(target: (c: CpuState) => number, encoding: number, size: 2 | 4): Handler {
  return endsBlock((c) => {
    const system = privileged(c);
    if (system === null || c.mode === Mode.SYS) {
      raiseUndefined(c, encoding, size, 'exception return from a mode without an SPSR');
      return;
    }
    const address = target(c);
    returnTo(c, system, system.readSpsr(), address);
  });
}

function returnTo(c: CpuState, system: SystemControl, spsr: number, address: number): void {
  system.writeCpsr(spsr, 0b1111, true);
  c.next = (c.thumb ? address & ~1 : address & ~3) >>> 0;
  c.stop = RESYNC;
}

/** LDM with PC and ^: load the registers, then CPSR = SPSR. */
export function loadMultipleReturn(n: number, list: number, increment: boolean, before: boolean, wback: boolean, encoding: number): Handler {
  const regs: number[] = [];
  for (let i = 0; i < 16; i++) if (list & (1 << i)) regs.push(i);
  const count = regs.length;
  return endsBlock((c) => {
    const system = privileged(c);
    if (system === null || c.mode === Mode.SYS) {
      raiseUndefined(c, encoding, 4, 'LDM exception return from a mode without an SPSR');
      return;
    }
    const base = c.r[n];
    let address = (base + (increment ? (before ? 4 : 0) : before ? -4 * count : -4 * count + 4)) >>> 0;
    const values = new Int32Array(count);
    for (let i = 0; i < count; i++, address = (address + 4) >>> 0) values[i] = c.mem.read32(address);
    if (wback) c.r[n] = base + (increment ? 4 * count : -4 * count);
    for (let i = 0; i < count - 1; i++) c.r[regs[i]] = values[i];
    returnTo(c, system, system.readSpsr(), values[count - 1]);
  });
}

/** LDM/STM with ^ and no PC: R8-R14 are the User mode ones. */
export function userRegisters(isLoad: boolean, n: number, list: number, increment: boolean, before: boolean, encoding: number): Handler {
  const regs: number[] = [];
  for (let i = 0; i < 16; i++) if (list & (1 << i)) regs.push(i);
  const count = regs.length;
  return (c) => {
    const system = privileged(c);
    if (system === null) {
      raiseUndefined(c, encoding, 4, 'LDM/STM of User registers in USR mode');
      return;
    }
    let address = (c.r[n] + (increment ? (before ? 4 : 0) : before ? -4 * count : -4 * count + 4)) >>> 0;
    for (let i = 0; i < count; i++, address = (address + 4) >>> 0) {
      const reg = regs[i];
      if (isLoad) {
        const value = c.mem.read32(address);
        if (reg >= 8) system.writeUser(reg, value);
        else c.r[reg] = value;
      } else c.mem.write32(address, reg >= 8 && reg < 15 ? system.readUser(reg) : c.r[reg]);
    }
  };
}

/** RFE: load PC and CPSR from memory. */
export function returnFromException(n: number, increment: boolean, before: boolean, wback: boolean, encoding: number, size: 2 | 4): Handler {
  return endsBlock((c) => {
    const system = privileged(c);
    if (system === null) {
      raiseUndefined(c, encoding, size, 'RFE in USR mode');
      return;
    }
    const base = c.r[n];
    const address = (base + (increment ? (before ? 4 : 0) : before ? -8 : -4)) >>> 0;
    const pc = c.mem.read32(address);
    const cpsr = c.mem.read32((address + 4) >>> 0);
    if (wback) c.r[n] = base + (increment ? 8 : -8);
    returnTo(c, system, cpsr, pc);
  });
}

/** SRS: store LR and SPSR of the current mode on the stack of `mode`. */
export function storeReturnState(mode: number, increment: boolean, before: boolean, wback: boolean, encoding: number, size: 2 | 4): Handler {
  return (c) => {
    const system = privileged(c);
    if (system === null || c.mode === Mode.SYS || !isValidMode(mode)) {
      raiseUndefined(c, encoding, size, 'SRS in a mode without an SPSR, or to an invalid mode');
      return;
    }
    const base = system.readBanked(bankedSysm(mode, 13));
    const address = (base + (increment ? (before ? 4 : 0) : before ? -8 : -4)) >>> 0;
    c.mem.write32(address, c.r[14]);
    c.mem.write32((address + 4) >>> 0, system.readSpsr());
    if (wback) system.writeBanked(bankedSysm(mode, 13), base + (increment ? 8 : -8));
  };
}

/** The SYSm encoding of R13/R14 of a mode (for the banked register accessors). */
function bankedSysm(mode: number, index: 13 | 14): number {
  switch (mode) {
    case Mode.USR: case Mode.SYS: return index === 13 ? 0b00101 : 0b00110;
    case Mode.FIQ: return index === 13 ? 0b01101 : 0b01110;
    case Mode.IRQ: return index === 13 ? 0b10001 : 0b10000;
    case Mode.SVC: return index === 13 ? 0b10011 : 0b10010;
    case Mode.ABT: return index === 13 ? 0b10101 : 0b10100;
    case Mode.UND: return index === 13 ? 0b10111 : 0b10110;
    case Mode.MON: return index === 13 ? 0b11101 : 0b11100;
    default: return index === 13 ? 0b11111 : 0b11110;
  }
}

/** LDRT/STRT and friends: the access is checked with User permissions. */
export function unprivilegedAccess(inner: Handler): Handler {
  return (c) => {
    const system = c.system;
    if (system === null || c.mode === Mode.USR) {
      inner(c);
      return;
    }
    system.setUnprivileged(true);
    try {
      inner(c);
    } finally {
      system.setUnprivileged(false);
    }
  };
}

/**
 * MRC/MCR (and MRRC/MCRR when `t2` >= 0) of CP14/CP15. A user-mode CPU serves the thread ID registers and the
 * CP15 barriers itself; everything else goes to the system, which applies the table's access rules.
 */
export function coprocessor(cp: number, isRead: boolean, t: number, t2: number, op1: number, crn: number, crm: number, op2: number, encoding: number, size: 2 | 4): Handler {
  const wide = t2 >= 0;
  const key = cp15Key(cp, op1, wide ? 0 : crn, crm, wide ? 0 : op2, wide);
  const register = CP15_BY_KEY.get(key);
  const what = `${isRead ? (wide ? 'MRRC' : 'MRC') : wide ? 'MCRR' : 'MCR'} ${describeEncoding(cp, op1, crn, crm, op2, wide)}`;
  const userFallback = userModeCoprocessor(register?.name, isRead, t);
  const detail = register === undefined ? `${what}: no such register` : `${what} (${register.name}) is not accessible in user mode`;
  const ends = !isRead && (register?.kind === 'translation' || register?.kind === 'tlb' || register?.name === 'CPACR');
  // The thread ID registers read (TPIDRURW is written too) alike at every privilege level, with a system or without:
  // Linux reads `current` from TPIDRURO.
  if (userFallback !== undefined && t !== 15 && (register?.name === 'TPIDRURO' || register?.name === 'TPIDRURW')) return userFallback;
  const handler: Handler = (c) => {
    const system = c.system;
    if (system === null) {
      if (userFallback !== undefined) userFallback(c);
      else raiseUndefined(c, encoding, size, detail);
      return;
    }
    if (isRead) {
      if (!system.coprocessorRead(cp, op1, crn, crm, op2, wide)) raiseUndefined(c, encoding, size, detail);
      else if (t === 15) c.setFlags(system.transfer[0]);
      else {
        c.r[t] = system.transfer[0];
        if (wide) c.r[t2] = system.transfer[1];
      }
    } else if (!system.coprocessorWrite(cp, op1, crn, crm, op2, c.r[t], wide ? c.r[t2] : 0, wide)) raiseUndefined(c, encoding, size, detail);
    else if (ends) c.stop = RESYNC;
  };
  if (!isRead && register?.kind === 'nop' && register.access !== 'ro') {
    // Cache and branch predictor maintenance (Linux runs it in loops over whole ranges): nothing to do at PL1.
    return (c) => {
      if (c.system === null || c.mode === Mode.USR) handler(c);
    };
  }
  return ends ? endsBlock(handler) : handler;
}

/** What a user-mode CPU does itself: TPIDRURO/TPIDRURW and the CP15 barrier operations. */
function userModeCoprocessor(name: string | undefined, isRead: boolean, t: number): Handler | undefined {
  switch (name) {
    case 'TPIDRURO': return isRead ? (c) => { c.r[t] = c.tpidruro; } : undefined;
    case 'TPIDRURW': return isRead ? (c) => { c.r[t] = c.tpidrurw; } : (c) => { c.tpidrurw = c.r[t]; };
    case 'CP15ISB': case 'CP15DSB': case 'CP15DMB': return isRead ? undefined : () => {};
    default: return undefined;
  }
}

/** SMC/HVC: a call to the firmware (PSCI); UNDEFINED in USR mode. */
export function firmwareCall(hypervisor: boolean, imm: number, encoding: number, size: 2 | 4): Handler {
  return endsBlock((c) => {
    if (privileged(c) === null) raiseUndefined(c, encoding, size, `${hypervisor ? 'HVC' : 'SMC'} in USR mode`);
    else c.stop = { kind: 'system', event: hypervisor ? SystemEvent.HypervisorCall : SystemEvent.SecureMonitorCall, imm };
  });
}

/** WFI/WFE: the CPU stops until an interrupt (or event); a user-mode CPU treats them as NOPs. */
function wait(forEvent: boolean): Handler {
  return endsBlock((c) => {
    if (c.system !== null) c.stop = forEvent ? WAIT_FOR_EVENT : WAIT_FOR_INTERRUPT;
  });
}

const waitForEvent = wait(true);
const waitForInterrupt = wait(false);
/** SEV: every CPU's event register is set (a waiting WFE wakes); a user-mode CPU has nothing to signal. */
export const sendEvent: Handler = (c) => c.system?.sendEvent();

/** The hint instructions by number (A32 and T32 encode the same numbers): NOP, YIELD, WFE, WFI, SEV; the rest
 * (DBG, unallocated hints) execute as NOPs. */
export function hint(n: number): Handler {
  switch (n) {
    case 2: return waitForEvent;
    case 3: return waitForInterrupt;
    case 4: return sendEvent;
    default: return nop;
  }
}

/** VMRS/VMSR FPEXC: PL1 only, with CPACR's grant; a user-mode CPU has no FPEXC. */
export function fpexcAccess(toCore: boolean, t: number, encoding: number): Handler {
  return (c) => {
    const system = privileged(c);
    if (system === null || !system.vfpRegistersAccessible()) raiseUndefined(c, encoding, 4, 'FPEXC is not accessible (user mode, or CPACR denies cp10)');
    else if (toCore) c.r[t] = system.readFpexc();
    else system.writeFpexc(c.r[t]);
  };
}
