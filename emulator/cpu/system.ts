// A Cortex-A15 as an ARMv7-A system CPU: the user-mode engine (cpu.ts) runs the instructions; this class adds the
// modes and banked registers, exception entry and return, CP15 (from the table in cp15.ts), the MMU (mmu.ts) and
// the IRQ/FIQ inputs. The engine's inner loop is untouched: privileged instructions end their block with a `system`
// stop, faults and UNDEFINED instructions stop it, and `run` here turns those stops into exceptions between blocks.
// Decoded code is kept per (virtual page, physical page): a remapped page decodes afresh, a write to a physical page
// with code (by any CPU, a DMA or the debugger: the RAM reports it, see PhysicalMemory.watchCode) drops it.
// The CPUs of a system share a CpuCluster: SEV sets every CPU's event register, the Inner Shareable TLB maintenance
// operations reach every CPU's TLB, and a CPU that resumes after another ran loses its exclusive reservation (as an
// exception return's CLREX would lose it), so that the other's stores to the reserved address, which no monitor
// saw, make its STREX fail.
import type { Bus } from '../bus/bus';
import type { GenericTimer } from '../timer/generic-timer';
import { TimerIndex } from '../timer/generic-timer';
import { CodePage, Cpu, type Block } from './cpu';
import { CP15_BY_KEY, CP15_BY_NAME, CP15_REGISTERS, cp15Key, cp15Storage } from './cp15';
import { MemoryFault } from './memory';
import { Mmu, MmuFault, type TranslationRegisters } from './mmu';
import { Mode, RegisterBanks, bankOf, isValidMode, type BankedState } from './modes';
import { SystemEvent, type CpuSnapshot, type StopReason, type SystemControl } from './state';
import { WatchpointHit } from './watchpoints';

const PAGE_SHIFT = 12;
const PAGE_SIZE = 1 << PAGE_SHIFT;
const EXEC_CACHE = 256;
/** Decoded instructions kept before the code cache starts afresh (a few hundred bytes each): a guest running through
 * memory it never returns to (a slide through zeros) must not fill the host's heap before its time limit comes. */
const MAX_DECODED = 2_000_000;

const SCTLR_V = 1 << 13, SCTLR_TE = 1 << 30;
const FPEXC_EN = 1 << 30;

/** Exception vectors: offset from the vector base, mode, and the masks set on entry. */
const enum Vector {
  Undefined = 0x04,
  SupervisorCall = 0x08,
  PrefetchAbort = 0x0c,
  DataAbort = 0x10,
  Irq = 0x18,
  Fiq = 0x1c,
}

/** What the CPUs of one system share: the events of SEV and which CPU ran last (for the exclusive monitors). */
export class CpuCluster {
  readonly cpus: SystemCpu[] = [];
  /** The CPU whose instructions ran last (-1: none yet). */
  running = -1;

  sendEvent(): void {
    for (const cpu of this.cpus) cpu.signalEvent();
  }
}

export interface SystemCpuOptions {
  /** The CPU's number: MPIDR.Aff0 and its GIC CPU interface. */
  readonly index?: number;
  /** CPUs in the cluster (L2CTLR). */
  readonly cpus?: number;
  readonly timer?: GenericTimer;
  /** SMC/HVC: returns false when the call is not served (it is then UNDEFINED, as without firmware). */
  readonly firmware?: (cpu: SystemCpu, hypervisor: boolean, imm: number) => boolean;
  /** The CPUs it runs beside (default: a cluster of its own). */
  readonly cluster?: CpuCluster;
}

export interface SystemCpuSnapshot {
  readonly core: CpuSnapshot;
  readonly cpsr: number;
  readonly banks: BankedState;
  readonly cp15: readonly number[];
  readonly fpexc: number;
  readonly elrHyp: number;
  readonly waiting: boolean;
  readonly waitingForEvent: boolean;
  readonly eventRegister: boolean;
  readonly powered: boolean;
  /** Instructions retired: the CPU's position on a replayed run. */
  readonly retired: number;
  /** The IRQ and FIQ inputs as the GIC last drove them. */
  readonly irq: boolean;
  readonly fiq: boolean;
}

/** Why `run` returned early. */
export type SystemStop = 'wfi' | 'off' | 'stop';

export class SystemCpu extends Cpu implements SystemControl {
  readonly banks = new RegisterBanks();
  readonly mmu: Mmu;
  readonly index: number;
  readonly transfer = new Int32Array(2);
  readonly cp15 = new Int32Array(CP15_REGISTERS.length * 2);
  private readonly regs: TranslationRegisters;
  private fpexc = 0;
  private elrHyp = 0;
  private irqLevel = false;
  private fiqLevel = false;
  /** In WFI/WFE: nothing runs until an interrupt input is high (or, in WFE, an event arrives). */
  waiting = false;
  /** The wait is a WFE's. */
  private waitingForEvent = false;
  /** Set by SEV on any CPU; WFE consumes it instead of waiting. */
  private eventRegister = false;
  private readonly cluster: CpuCluster;
  /** Powered off (PSCI CPU_OFF, or a secondary not yet started). */
  powered = true;
  private readonly timer: GenericTimer | undefined;
  private readonly firmware: SystemCpuOptions['firmware'];
  private readonly cpus: number;
  // Decoded code by (physical page, virtual page); the physical pages' keys for invalidation.
  private readonly armCode = new Map<number, CodePage>();
  private readonly thumbCode = new Map<number, CodePage>();
  private readonly codeKeys = new Map<number, number[]>();
  private readonly execTags = new Int32Array(EXEC_CACHE * 2).fill(-1);
  private readonly execPages: (CodePage | undefined)[] = new Array<CodePage | undefined>(EXEC_CACHE * 2).fill(undefined);
  private execGeneration = -1;

  constructor(bus: Bus, options: SystemCpuOptions = {}) {
    const index = options.index ?? 0;
    const regs: TranslationRegisters = { sctlr: 0, ttbcr: 0, ttbr0: 0, ttbr0High: 0, ttbr1: 0, ttbr1High: 0, dacr: 0, contextidr: 0 };
    const mmu = new Mmu(bus, bus.port({ name: `cpu${index}`, streamId: 0 }), regs);
    super(mmu);
    this.mmu = mmu;
    this.regs = regs;
    this.index = index;
    this.cpus = options.cpus ?? 1;
    this.timer = options.timer;
    this.firmware = options.firmware;
    this.cluster = options.cluster ?? new CpuCluster();
    this.cluster.cpus.push(this);
    this.system = this;
    this.gateVfp = true;
    this.reset(0);
  }

  /** The state out of reset: SVC mode, A/I/F masked, MMU off, CP15 at its reset values, pc = `entry`. */
  reset(entry: number): void {
    this.r.fill(0);
    this.banks.load({ r13: new Array(8).fill(0), r14: new Array(8).fill(0), spsr: new Array(8).fill(0), fiq: new Array(5).fill(0), user: new Array(5).fill(0) });
    this.mode = Mode.SVC;
    this.maskA = this.maskI = this.maskF = 1;
    this.thumb = false;
    this.it = 0;
    this.setFlags(0);
    this.ge = 0;
    this.cp15.fill(0);
    CP15_REGISTERS.forEach((reg, i) => { this.cp15[2 * i] = reg.reset; });
    this.fpexc = 0;
    this.waiting = false;
    this.waitingForEvent = false;
    this.eventRegister = false;
    this.exclusiveAddress = -1;
    this.stop = null;
    this.syncTranslation();
    this.mmu.invalidateAll();
    this.mmu.setUser(false);
    this.updateVfp();
    this.pc = this.next = entry >>> 0;
  }

  // ---- Registers by name (debugger, tests) ----------------------------------------------------------------------

  /** A CP15 register's value by its table name (64-bit ones as a number, exact below 2^53). */
  cp15Value(name: string): number {
    const reg = CP15_BY_NAME.get(name);
    if (reg === undefined) throw new Error(`no CP15 register ${name}`);
    const i = cp15Storage(reg);
    return reg.wide ? (this.cp15[2 * i + 1] >>> 0) * 2 ** 32 + (this.cp15[2 * i] >>> 0) : this.cp15[2 * i] >>> 0;
  }

  get spsr(): number {
    return bankOf(this.mode) === 0 ? 0 : this.banks.spsr[bankOf(this.mode)] >>> 0;
  }

  // ---- Interrupt inputs -----------------------------------------------------------------------------------------

  private static readonly RESYNC: StopReason = { kind: 'system', event: SystemEvent.Resync, imm: 0 };
  /** The debugger's halt leaves the block the same way, but costs no time: a run halted anywhere takes the same
   * rounds as one that was not (the debugger finds its stops again by re-executing). */
  private static readonly HALT_RESYNC: StopReason = { kind: 'system', event: SystemEvent.Resync, imm: 0 };

  /**
   * The wait ends: WFI on an asserted IRQ or FIQ whatever the CPSR masks; WFE on an event, or on an IRQ or FIQ the
   * CPSR does not mask (ARMv7-A's WFE wake-up events).
   */
  get wakeable(): boolean {
    if (!this.waitingForEvent) return this.irqLevel || this.fiqLevel;
    return this.eventRegister || (this.irqLevel && !this.maskI) || (this.fiqLevel && !this.maskF);
  }

  /** An event (SEV on some CPU): the event register is set, and a WFE waiting for it will complete. */
  signalEvent(): void {
    this.eventRegister = true;
  }

  sendEvent(): void {
    this.cluster.sendEvent();
  }

  /** The GIC's IRQ output for this CPU. */
  setIrq(high: boolean): void {
    this.irqLevel = high;
    if (high && this.stop === null) this.stop = SystemCpu.RESYNC;
  }

  setFiq(high: boolean): void {
    this.fiqLevel = high;
    if (high && this.stop === null) this.stop = SystemCpu.RESYNC;
  }

  /** Set by `requestHalt`: `run` returns with a `halt` stop at the next instruction boundary. */
  haltRequested = false;
  private static readonly DEBUGGER_HALT: StopReason = { kind: 'halt', detail: 'debugger' };

  /**
   * The debugger stops the CPU (a DMA event stops the whole machine): `run` returns with a `halt` stop once the
   * instruction executing has completed (the PC past it), or at once when it is not running.
   */
  requestHalt(): void {
    this.haltRequested = true;
    if (this.stop === null) this.stop = SystemCpu.HALT_RESYNC;
  }

  // ---- Running --------------------------------------------------------------------------------------------------

  /**
   * Runs up to `budget` instructions, taking exceptions and interrupts as they come. Returns the instructions
   * retired; it returns early when the CPU waits for an interrupt (`waiting`), is powered off, or stops for the
   * debugger (`stop` holds a breakpoint or a fault that is not an abort of the guest).
   */
  override run(budget: number): number {
    let executed = 0;
    // The state an exception taken with no instruction run left (pc -1: none): see `repeatsException`.
    this.repeatPc = -1;
    while (executed < budget && this.powered) {
      if (this.haltRequested) {
        this.haltRequested = false;
        this.stop = SystemCpu.DEBUGGER_HALT;
        break;
      }
      if (this.waiting) {
        if (!this.wakeable) break;
        // A WFE woken by an event consumes it.
        if (this.waitingForEvent) this.eventRegister = false;
        this.waiting = false;
      }
      if (this.fiqLevel && !this.maskF) this.takeInterrupt(Vector.Fiq, Mode.FIQ);
      else if (this.irqLevel && !this.maskI) this.takeInterrupt(Vector.Irq, Mode.IRQ);
      if (this.stop === SystemCpu.RESYNC || this.stop === SystemCpu.HALT_RESYNC) this.stop = null;
      const cluster = this.cluster;
      if (cluster.running !== this.index) {
        cluster.running = this.index;
        this.exclusiveAddress = -1;
      }
      // The whole rest of the budget: whatever makes an interrupt due mid-run (the GIC raising an input, an MSR or
      // exception return unmasking one, a halt request) also stops the engine, so no shorter quantum needs to poll
      // the inputs; each return would cost a code-cache lookup and run a translated block that does not fit
      // interpreted.
      const ran = super.run(budget - executed);
      executed += ran;
      if (ran !== 0) this.repeatPc = -1;
      const stop = this.stop as StopReason | null;
      if (stop === null) continue;
      if (!this.takeStop(stop)) break;
      this.stop = null;
      // An exception costs time like an instruction, so that a fault loop (vectors that fault) stays bounded.
      if (stop !== SystemCpu.HALT_RESYNC) executed++;
      // A vector that faults again, with nothing else happening before the budget ends: each turn would take the
      // same exception from the same state, so the rest of the budget passes at once (as in a wait).
      if (ran === 0 && this.repeatsException(stop)) executed = Math.max(executed, budget);
    }
    return executed;
  }

  private repeatPc = -1;
  private repeatCpsr = 0;
  private repeatLr = 0;
  private repeatSpsr = 0;

  /**
   * Whether the exception just taken (before any instruction ran) left the state the previous one left: an abort
   * or UNDEFINED exception writes only the PC, CPSR, LR and SPSR of its mode and the fault registers, which follow
   * from the state it was taken in; nothing outside the CPU changes it before `run` returns (no instruction touches
   * a device, the interrupt inputs stay as they are). So every further turn repeats it.
   */
  private repeatsException(stop: StopReason): boolean {
    if (stop.kind !== 'fault' && stop.kind !== 'undefined' && stop.kind !== 'breakpoint') {
      this.repeatPc = -1;
      return false;
    }
    // Kept signed: a field that first held -1 and then an address or a CPSR of 2 GiB or more would change the CPU
    // object's layout in mid-run, and V8 would drop the optimized code of everything that reads the CPU.
    const pc = this.pc | 0, cpsr = this.cpsr | 0, lr = this.r[14], spsr = this.spsr | 0;
    if (this.repeatPc === pc && this.repeatCpsr === cpsr && this.repeatLr === lr && this.repeatSpsr === spsr) return true;
    this.repeatPc = pc;
    this.repeatCpsr = cpsr;
    this.repeatLr = lr;
    this.repeatSpsr = spsr;
    return false;
  }

  /** Turns a stop of the engine into what the architecture does; false leaves it for the caller. */
  private takeStop(stop: StopReason): boolean {
    switch (stop.kind) {
      case 'svc':
        this.enterException(Vector.SupervisorCall, Mode.SVC, this.pc);
        return true;
      case 'undefined':
        // LR_und is the instruction's address + 4 in ARM state and + 2 in Thumb state, whatever its size.
        this.enterException(Vector.Undefined, Mode.UND, this.pc + (this.thumb ? 2 : 4));
        return true;
      case 'fault':
        return this.abort(stop.cause);
      case 'breakpoint':
        // BKPT with halting debug disabled: a debug event reported as a prefetch abort (IFAR is UNKNOWN).
        this.setCp15('IFSR', (this.regs.ttbcr & 0x80000000) !== 0 ? 0x222 : 0x002);
        this.enterException(Vector.PrefetchAbort, Mode.ABT, this.pc + 4);
        return true;
      case 'system':
        switch (stop.event) {
          case SystemEvent.Resync: return true;
          case SystemEvent.WaitForInterrupt:
            this.waiting = true;
            this.waitingForEvent = false;
            return true;
          case SystemEvent.WaitForEvent:
            // An event since the last WFE: consumed, no wait.
            if (this.eventRegister) this.eventRegister = false;
            else {
              this.waiting = true;
              this.waitingForEvent = true;
            }
            return true;
          default: {
            const hypervisor = stop.event === SystemEvent.HypervisorCall;
            if (this.firmware?.(this, hypervisor, stop.imm)) return true;
            // Without firmware for it the call is UNDEFINED (HVC with HCR disabled; SMC without a monitor).
            this.enterException(Vector.Undefined, Mode.UND, this.pc);
            return true;
          }
        }
      default:
        return false;
    }
  }

  /** A data or prefetch abort from the MMU (the engine left pc at the faulting instruction). */
  private abort(fault: MemoryFault | undefined): boolean {
    // A watchpoint's hit is the debugger's, not the guest's.
    if (fault === undefined || fault instanceof WatchpointHit) return false;
    const status = fault instanceof MmuFault ? fault.status : 0b01000; // synchronous external abort
    if (fault.access === 'execute') {
      this.setCp15('IFSR', status);
      this.setCp15('IFAR', fault.address);
      this.enterException(Vector.PrefetchAbort, Mode.ABT, this.pc + 4);
    } else {
      this.setCp15('DFSR', status | (fault.access === 'write' ? 1 << 11 : 0));
      this.setCp15('DFAR', fault.address);
      this.enterException(Vector.DataAbort, Mode.ABT, this.pc + 8);
    }
    return true;
  }


  private takeInterrupt(vector: Vector, mode: Mode): void {
    this.enterException(vector, mode, this.pc + 4);
  }

  private enterException(vector: Vector, mode: Mode, returnAddress: number): void {
    const spsr = this.cpsr;
    this.switchMode(mode);
    this.banks.spsr[bankOf(mode)] = spsr;
    this.r[14] = returnAddress;
    this.maskI = 1;
    if (vector === Vector.Fiq) this.maskF = 1;
    if (vector !== Vector.Undefined && vector !== Vector.SupervisorCall) this.maskA = 1;
    this.it = 0;
    const sctlr = this.regs.sctlr;
    this.thumb = (sctlr & SCTLR_TE) !== 0;
    const base = (sctlr & SCTLR_V) !== 0 ? 0xffff0000 : this.cp15Value('VBAR') & ~0x1f;
    this.pc = this.next = (base + vector) >>> 0;
    this.waiting = false;
  }

  private switchMode(mode: number): void {
    if (mode === this.mode) return;
    this.banks.switchMode(this, mode);
    this.mmu.setUser(mode === Mode.USR);
    this.updateVfp();
  }

  // ---- Decoded code keyed by translation ----------------------------------------------------------------------

  protected override blockAt(pc: number, thumb: boolean): Block {
    const mmu = this.mmu;
    if (mmu.generation !== this.execGeneration) {
      this.codeGeneration++; // chained blocks were found under the old translation
      this.execTags.fill(-1);
      this.execPages.fill(undefined);
      this.execGeneration = mmu.generation;
    }
    const vpn = pc >>> PAGE_SHIFT;
    const slot = ((vpn & (EXEC_CACHE - 1)) << 1) | (thumb ? 1 : 0);
    let page = this.execTags[slot] === vpn ? this.execPages[slot] : undefined;
    if (page === undefined) {
      const physicalPage = Math.floor(mmu.translate(pc, 'execute') / PAGE_SIZE);
      const key = physicalPage * 2 ** 20 + vpn;
      const pages = thumb ? this.thumbCode : this.armCode;
      page = pages.get(key);
      if (page === undefined) {
        page = new CodePage(thumb);
        pages.set(key, page);
        const keys = this.codeKeys.get(physicalPage);
        if (keys === undefined) this.codeKeys.set(physicalPage, [key]);
        else keys.push(key);
        mmu.watchPhysical(physicalPage, this.codeWritten);
      }
      this.execTags[slot] = vpn;
      this.execPages[slot] = page;
    }
    const block = page.blockAt(pc);
    if (block !== undefined) return block;
    if (this.decodedInstructions >= MAX_DECODED) {
      this.flushCodeCache();
      return this.blockAt(pc, thumb);
    }
    const decoded = page.add(pc, this.decodeBlock(pc >>> 0, thumb));
    this.decodedInstructions += decoded.handlers.length;
    return decoded;
  }

  /** Instructions decoded into the code cache since it was last emptied. */
  private decodedInstructions = 0;

  private readonly codeWritten = (physicalPage: number): void => {
    const keys = this.codeKeys.get(physicalPage);
    if (keys === undefined) return;
    this.codeGeneration++;
    for (const key of keys) {
      this.armCode.delete(key);
      this.thumbCode.delete(key);
    }
    this.codeKeys.delete(physicalPage);
    this.execGeneration = -1;
  };

  override flushCodeCache(): void {
    this.codeGeneration++;
    this.decodedInstructions = 0;
    this.armCode.clear();
    this.thumbCode.clear();
    this.codeKeys.clear();
    this.execGeneration = -1;
  }

  // ---- SystemControl: CPSR, SPSR, banked registers ------------------------------------------------------------

  writeCpsr(value: number, mask: number, exceptionReturn: boolean): boolean {
    const mode = this.mode;
    if (mask & 8) {
      this.setFlags(value);
      if (exceptionReturn) this.it = (this.it & 0xfc) | ((value >>> 25) & 3);
    }
    if (mask & 4) this.ge = (value >>> 16) & 0xf;
    if (mask & 2) {
      this.maskA = (value >>> 8) & 1;
      if (exceptionReturn) this.it = (this.it & 3) | ((value >>> 8) & 0xfc);
    }
    if (mask & 1) {
      this.maskI = (value >>> 7) & 1;
      this.maskF = (value >>> 6) & 1;
      if (exceptionReturn) this.thumb = (value & 0x20) !== 0;
      const written = value & 0x1f;
      if (isValidMode(written) && written !== Mode.HYP && written !== Mode.MON) this.switchMode(written);
    }
    return this.mode !== mode || (this.irqLevel && !this.maskI) || (this.fiqLevel && !this.maskF);
  }

  readSpsr(): number {
    return this.banks.spsr[bankOf(this.mode)];
  }

  writeSpsr(value: number, mask: number): void {
    const bank = bankOf(this.mode);
    let bytes = 0;
    for (let i = 0; i < 4; i++) if (mask & (1 << i)) bytes |= 0xff << (8 * i);
    this.banks.spsr[bank] = (this.banks.spsr[bank] & ~bytes) | (value & bytes);
  }

  /** SYSm → [mode, register index] (index 16 = that mode's SPSR, 17 = ELR_hyp). */
  private static banked(sysm: number): [number, number] | undefined {
    const r = sysm >>> 5, m = sysm & 0x1f;
    if (r) {
      const spsrModes: Record<number, number> = { 0x0e: Mode.FIQ, 0x10: Mode.IRQ, 0x12: Mode.SVC, 0x14: Mode.ABT, 0x16: Mode.UND, 0x1c: Mode.MON, 0x1e: Mode.HYP };
      return spsrModes[m] === undefined ? undefined : [spsrModes[m], 16];
    }
    if (m <= 6) return [Mode.USR, 8 + m];
    if (m >= 8 && m <= 14) return [Mode.FIQ, m];
    const pairs: Record<number, [number, number]> = {
      0x10: [Mode.IRQ, 14], 0x11: [Mode.IRQ, 13], 0x12: [Mode.SVC, 14], 0x13: [Mode.SVC, 13], 0x14: [Mode.ABT, 14],
      0x15: [Mode.ABT, 13], 0x16: [Mode.UND, 14], 0x17: [Mode.UND, 13], 0x1c: [Mode.MON, 14], 0x1d: [Mode.MON, 13],
      0x1e: [Mode.HYP, 17], 0x1f: [Mode.HYP, 13],
    };
    return pairs[m];
  }

  readBanked(sysm: number): number {
    const target = SystemCpu.banked(sysm);
    if (target === undefined) return 0;
    const [mode, index] = target;
    if (index === 16) return this.banks.spsr[bankOf(mode)];
    if (index === 17) return this.elrHyp;
    return this.banks.read(this, mode, index);
  }

  writeBanked(sysm: number, value: number): void {
    const target = SystemCpu.banked(sysm);
    if (target === undefined) return;
    const [mode, index] = target;
    if (index === 16) this.banks.spsr[bankOf(mode)] = value;
    else if (index === 17) this.elrHyp = value;
    else this.banks.write(this, mode, index, value);
  }

  readUser(index: number): number {
    return this.banks.readUser(this, index);
  }

  writeUser(index: number, value: number): void {
    this.banks.writeUser(this, index, value);
  }

  setUnprivileged(on: boolean): void {
    this.mmu.setUser(on || this.mode === Mode.USR);
  }

  readFpexc(): number {
    return this.fpexc;
  }

  writeFpexc(value: number): void {
    this.fpexc = value & 0xe0000000;
    this.updateVfp();
  }

  vfpRegistersAccessible(): boolean {
    const access = (this.cp15Value('CPACR') >>> 20) & 3;
    return access === 3 || (access === 1 && this.mode !== Mode.USR);
  }

  /** VFP instructions run when FPEXC.EN is set and CPACR grants cp10 at the current privilege. */
  private updateVfp(): void {
    this.vfpEnabled = (this.fpexc & FPEXC_EN) !== 0 && this.vfpRegistersAccessible();
  }

  // ---- SystemControl: coprocessors -----------------------------------------------------------------------------

  private setCp15(name: string, value: number, high = 0): void {
    const i = cp15Storage(CP15_BY_NAME.get(name)!);
    this.cp15[2 * i] = value;
    this.cp15[2 * i + 1] = high;
  }

  coprocessorRead(cp: number, op1: number, crn: number, crm: number, op2: number, wide: boolean): boolean {
    const reg = CP15_BY_KEY.get(cp15Key(cp, op1, wide ? 0 : crn, crm, wide ? 0 : op2, wide));
    const out = this.transfer;
    out[1] = 0;
    if (reg === undefined && isReservedIdRegister(cp, op1, crn, crm, wide) && this.mode !== Mode.USR) {
      // The rest of the CPUID space reads as zero (ARMv7-A B4.1.x): later architectures' ID registers read there
      // (Linux 6.12 reads ID_ISAR6 and ID_PFR2 at boot).
      out[0] = 0;
      return true;
    }
    if (reg === undefined || reg.access === 'wo' || (this.mode === Mode.USR && reg.pl0 === undefined)) return false;
    switch (reg.name) {
      case 'MPIDR': out[0] = 0x80000000 | this.index; return true;
      case 'L2CTLR': out[0] = (this.cpus - 1) << 24; return true;
      case 'ISR': out[0] = (this.irqLevel ? 0x80 : 0) | (this.fiqLevel ? 0x40 : 0); return true;
      case 'TPIDRURW': out[0] = this.tpidrurw; return true;
      case 'TPIDRURO': out[0] = this.tpidruro; return true;
    }
    if (reg.kind === 'timer') return this.timerRead(reg.name);
    const i = cp15Storage(reg);
    out[0] = this.cp15[2 * i];
    out[1] = this.cp15[2 * i + 1];
    return true;
  }

  coprocessorWrite(cp: number, op1: number, crn: number, crm: number, op2: number, low: number, high: number, wide: boolean): boolean {
    const reg = CP15_BY_KEY.get(cp15Key(cp, op1, wide ? 0 : crn, crm, wide ? 0 : op2, wide));
    if (reg === undefined || reg.access === 'ro') return false;
    if (this.mode === Mode.USR && reg.pl0 !== 'rw') return false;
    switch (reg.kind) {
      case 'nop': return true;
      case 'tlb': this.tlbMaintenance(reg.name, low); return true;
      case 'timer': return this.timerWrite(reg.name, low, high);
      case 'translate': if (reg.access === 'wo') { this.addressTranslation(reg.name, low); return true; } break;
    }
    switch (reg.name) {
      case 'TPIDRURW': this.tpidrurw = low; return true;
      case 'TPIDRURO': this.tpidruro = low; return true;
    }
    const i = cp15Storage(reg);
    this.cp15[2 * i] = low;
    // A 32-bit write of a TTBR keeps its high word only in the long format's 64-bit form.
    if (reg.wide) this.cp15[2 * i + 1] = high;
    else if (reg.name === 'TTBR0' || reg.name === 'TTBR1') this.cp15[2 * i + 1] = 0;
    if (reg.kind === 'translation') this.syncTranslation();
    if (reg.name === 'CPACR') {
      this.cp15[2 * i] = low & 0xc0f00000;
      this.updateVfp();
    }
    return true;
  }

  private syncTranslation(): void {
    const r = this.regs;
    r.sctlr = this.cp15Value('SCTLR');
    r.ttbcr = this.cp15Value('TTBCR');
    const t0 = cp15Storage(CP15_BY_KEY.get(cp15Key(15, 0, 2, 0, 0, false))!);
    const t1 = cp15Storage(CP15_BY_KEY.get(cp15Key(15, 0, 2, 0, 1, false))!);
    r.ttbr0 = this.cp15[2 * t0] >>> 0;
    r.ttbr0High = this.cp15[2 * t0 + 1] >>> 0;
    r.ttbr1 = this.cp15[2 * t1] >>> 0;
    r.ttbr1High = this.cp15[2 * t1 + 1] >>> 0;
    r.dacr = this.cp15Value('DACR');
    r.contextidr = this.cp15Value('CONTEXTIDR');
    this.mmu.configure();
  }

  /** TLB maintenance; the Inner Shareable forms (…IS) reach every CPU of the cluster, as an SMP Cortex-A15 broadcasts
   * them (Linux relies on it: it changes a mapping on one CPU and invalidates it everywhere with TLBIMVAIS). */
  private tlbMaintenance(name: string, value: number): void {
    if (name.endsWith('IS')) for (const cpu of this.cluster.cpus) invalidateTlb(cpu.mmu, name, value);
    else invalidateTlb(this.mmu, name, value);
  }

  /** ATS1C{P,U}{R,W}: the translation's result in PAR (a fault sets PAR.F with its status). */
  private addressTranslation(name: string, address: number): void {
    const user = name.startsWith('ATS1CU');
    const longFormat = (this.regs.ttbcr & 0x80000000) !== 0;
    this.mmu.setUser(user);
    try {
      const physical = this.mmu.translate(address, name.endsWith('W') ? 'write' : 'read');
      const low = (Math.floor(physical / PAGE_SIZE) * PAGE_SIZE) % 2 ** 32;
      this.setCp15('PAR_64', (low | (longFormat ? 0x800 : 0)) | 0, Math.floor(physical / 2 ** 32));
    } catch (error) {
      if (!(error instanceof MmuFault)) throw error;
      const status = error.status;
      this.setCp15('PAR_64', longFormat ? 0x801 | ((status & 0x3f) << 1) : 1 | ((status & 0xf) << 1) | ((status & 0x400) >>> 5));
    } finally {
      this.mmu.setUser(this.mode === Mode.USR);
    }
  }

  private timerRead(name: string): boolean {
    const timer = this.timer;
    const out = this.transfer;
    if (timer === undefined) return false;
    let value: number;
    switch (name) {
      case 'CNTFRQ': value = timer.frequency; break;
      case 'CNTPCT': value = timer.count; break;
      case 'CNTVCT': value = timer.count - timer.virtualOffset; break;
      case 'CNTVOFF': value = timer.virtualOffset; break;
      case 'CNTP_CTL': value = timer.readControl(TimerIndex.Physical); break;
      case 'CNTV_CTL': value = timer.readControl(TimerIndex.Virtual); break;
      case 'CNTP_TVAL': value = timer.readTimerValue(TimerIndex.Physical); break;
      case 'CNTV_TVAL': value = timer.readTimerValue(TimerIndex.Virtual); break;
      case 'CNTP_CVAL': value = timer.readCompare(TimerIndex.Physical); break;
      case 'CNTV_CVAL': value = timer.readCompare(TimerIndex.Virtual); break;
      default: return false;
    }
    out[0] = value % 2 ** 32;
    out[1] = Math.floor(value / 2 ** 32);
    return true;
  }

  private timerWrite(name: string, low: number, high: number): boolean {
    const timer = this.timer;
    if (timer === undefined) return false;
    const wide = (high >>> 0) * 2 ** 32 + (low >>> 0);
    switch (name) {
      case 'CNTFRQ': timer.frequency = low >>> 0; break;
      case 'CNTVOFF': timer.virtualOffset = wide; break;
      case 'CNTP_CTL': timer.writeControl(TimerIndex.Physical, low); break;
      case 'CNTV_CTL': timer.writeControl(TimerIndex.Virtual, low); break;
      case 'CNTP_TVAL': timer.writeTimerValue(TimerIndex.Physical, low); break;
      case 'CNTV_TVAL': timer.writeTimerValue(TimerIndex.Virtual, low); break;
      case 'CNTP_CVAL': timer.writeCompare(TimerIndex.Physical, wide); break;
      case 'CNTV_CVAL': timer.writeCompare(TimerIndex.Virtual, wide); break;
      default: return false;
    }
    return true;
  }

  // ---- Snapshots ----------------------------------------------------------------------------------------------

  saveSystem(): SystemCpuSnapshot {
    return {
      core: super.snapshot(), cpsr: this.cpsr, banks: this.banks.save(), cp15: [...this.cp15], fpexc: this.fpexc,
      elrHyp: this.elrHyp, waiting: this.waiting, waitingForEvent: this.waitingForEvent,
      eventRegister: this.eventRegister, powered: this.powered, retired: this.retired, irq: this.irqLevel, fiq: this.fiqLevel,
    };
  }

  restoreSystem(state: SystemCpuSnapshot): void {
    super.restore(state.core);
    this.banks.load(state.banks);
    this.mode = state.cpsr & 0x1f;
    this.maskA = (state.cpsr >>> 8) & 1;
    this.maskI = (state.cpsr >>> 7) & 1;
    this.maskF = (state.cpsr >>> 6) & 1;
    this.cp15.set(state.cp15);
    this.fpexc = state.fpexc;
    this.elrHyp = state.elrHyp;
    this.waiting = state.waiting;
    this.waitingForEvent = state.waitingForEvent;
    this.eventRegister = state.eventRegister;
    this.powered = state.powered;
    this.retired = state.retired;
    this.irqLevel = state.irq;
    this.fiqLevel = state.fiq;
    this.stop = null;
    this.syncTranslation();
    this.mmu.invalidateAll();
    this.mmu.setUser(this.mode === Mode.USR);
    this.updateVfp();
    this.flushCodeCache();
  }
}

function invalidateTlb(mmu: Mmu, name: string, value: number): void {
  if (name.includes('IALL')) mmu.invalidateAll();
  else if (name.includes('MVAA')) mmu.invalidateAddress(value, -1);
  else if (name.includes('MVA')) mmu.invalidateAddress(value, value & 0xff);
  else mmu.invalidateAsid(value & 0xff);
}

/** CP15 opc1 = 0, CRn = c0, CRm = c1-c7: the CPUID scheme's space, whose unassigned encodings read as zero. */
function isReservedIdRegister(cp: number, op1: number, crn: number, crm: number, wide: boolean): boolean {
  return cp === 15 && !wide && op1 === 0 && crn === 0 && crm >= 1 && crm <= 7;
}
