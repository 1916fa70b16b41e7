// The DMA-330 (PL330) DMA controller: the APB register interface, the manager thread and the channel threads
// executing microcode fetched through the AXI master port, the shared MFIFO, events and interrupts, peripheral
// request interfaces, faults and the watchdog. Facts: ../shared/reference/pl330-isa.md.
//
// Timing model (deterministic): one tick executes at most one instruction on every runnable thread, manager first,
// then channels 0..n-1; `cycle` counts ticks. Bus transfers complete within the instruction that issues them, so
// barriers never wait (At barrier and Updating PC never show); the transient states (Completing, Killing, Faulting
// completing, Cache miss) last one tick. The instruction cache has the configured lines; a miss costs a tick.
import type { BusAccess, BusPort, MmioDevice, Snapshottable } from '../bus/bus';
import { BusResponse } from '../bus/bus';
import { Pl330Config, validateConfig } from './config';
import {
  Cond, DECODE_BYTE0_OPERAND, DECODE_COND, DECODE_FOREVER, DECODE_LENGTH, DECODE_MIN_REVISION, DECODE_OP, DECODE_RESERVED1, DECODE_THREADS, Op,
  THREAD_CHANNEL, THREAD_MANAGER, backJump, eventNumber, goChannel, loopCountMinusOne, movRegister, operandOf, peripheralNumber,
} from './decode';
import { FAULT } from './faults';
import type { Pl330Event, Pl330Observer, ThreadRef } from './observer';
import type { PeripheralDevice, PeripheralRequest, RequestLine } from './peripheral';
import { fieldValue, place } from '../bus/registers';
import { CCR, ccrField } from './ccr';
import {
  CCR_RESET, CR0_FIELDS, CR1_FIELDS, CRD_FIELDS, CSR_FIELDS, ChannelState, DBGINST0_FIELDS, DSR_FIELDS, PL330_REGISTER_MAP,
} from './registers';

/** An interrupt output; an interrupt controller (or a test) connects to it. */
export class IrqLine {
  private listeners: ((level: boolean) => void)[] = [];
  level = false;

  constructor(readonly name: string) {}

  connect(listener: (level: boolean) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Drives the line; listeners hear only changes. */
  set(level: boolean): void {
    if (level === this.level) return;
    this.level = level;
    for (const l of this.listeners) l(level);
  }
}

export interface Pl330Options {
  /** Device name in bus messages and traces. */
  readonly name?: string;
  /** Ticks without progress after which a channel stalled on the MFIFO is declared locked up. */
  readonly watchdogTicks?: number;
}

export type RunStop = 'idle' | 'budget' | 'condition' | 'yield';

export interface RunOptions {
  /** Stop after this many ticks (a runaway program never hangs the host). */
  readonly maxCycles?: number;
  /** Checked after every tick; stops the run when it returns true. */
  readonly until?: () => boolean;
}

export interface RunResult {
  readonly stop: RunStop;
  readonly cycles: number;
}

/** Why the controller has nothing left to do: each thread that is not stopped, and what it waits for. */
export interface IdleReport {
  readonly idle: boolean;
  readonly threads: readonly { readonly thread: ThreadRef; readonly state: number; readonly waitingFor?: string }[];
}

const REQUEST_NONE = 0;
const REQUEST_SINGLE = 1;
const REQUEST_BURST = 2;
const REQUEST_LAST = 4;

/** Outcome of executing one instruction. */
/** Jumped: a taken loop end (the thread spends the next tick Updating PC); Skipped: a bulk copy ran to the loop's exit. */
const enum Step { Retire, Jumped, Skipped, Stalled, Waiting, Faulted, Ended }

/**
 * A thread's registers and execution state, declared once: these fields with their reset values are what reset
 * writes, what a snapshot lists (in this order, booleans as 0/1) and what restore reads back. (CCR's reset for a
 * channel comes from the register table.)
 */
class ThreadRegisters {
  state: number = ChannelState.Stopped;
  pc = 0;
  nonSecure = false;
  faultType = 0;
  /** Event or peripheral waited for (CSR/DSR wakeup field). */
  wakeup = 0;
  sar = 0;
  dar = 0;
  ccr = 0;
  lc0 = 0;
  lc1 = 0;
  /** The request type flag set by DMAWFP: REQUEST_NONE, REQUEST_SINGLE or REQUEST_BURST. */
  requestFlag = REQUEST_NONE;
  /** The request DMAWFP took was the peripheral's last (drlast): the next forever DMALPEND falls through. */
  lastRequest = false;
  wfpBurst = false;
  wfpPeriph = false;
  /** This thread's data in the shared MFIFO: a ring of the MFIFO's capacity. */
  fifoHead = 0;
  fifoCount = 0;
  /** Stalled on MFIFO space in the last tick (for the watchdog). */
  stalled = false;
  /** Instruction bytes gathered so far for the instruction at pc (a cache miss interrupts the gathering). */
  fetched = 0;
}

const THREAD_RESET = new ThreadRegisters();
const THREAD_KEYS = Object.keys(THREAD_RESET) as (keyof ThreadRegisters)[];
const THREAD_BOOLEAN = THREAD_KEYS.map((k) => typeof THREAD_RESET[k] === 'boolean');

/** AxPROT[1]: the access is non-secure. */
const PROT_NON_SECURE = 2;

class Thread extends ThreadRegisters {
  /** MFIFO entries the thread's data occupies (derived from fifoCount, see entriesFor). */
  fifoEntries = 0;
  /** CCR's fields, decoded by name when CCR is written (setCcr), so that transfers read no bit fields per beat. */
  srcInc = false;
  srcBeatBytes = 1;
  srcBurstLen = 1;
  dstInc = false;
  dstBeatBytes = 1;
  dstBurstLen = 1;
  /** ES: bytes are swapped within 2^swapCode-byte words (0: no swap). */
  swapCode = 0;
  readonly insn = new Uint8Array(6);

  constructor(readonly ref: ThreadRef, readonly fifo: Uint8Array) {
    super();
  }
}

function isSnapshottable(device: PeripheralDevice): device is PeripheralDevice & Snapshottable {
  return typeof (device as Partial<Snapshottable>).snapshot === 'function' && typeof (device as Partial<Snapshottable>).restore === 'function';
}

/** Writes CCR and decodes its fields by name, once per write (DMAMOV, reset, restore) rather than per beat. */
function setCcr(t: Thread, value: number): void {
  t.ccr = value;
  t.srcInc = ccrField(value, CCR.SAI) === 1;
  t.srcBeatBytes = 1 << ccrField(value, CCR.SS);
  t.srcBurstLen = ccrField(value, CCR.SB) + 1;
  t.dstInc = ccrField(value, CCR.DAI) === 1;
  t.dstBeatBytes = 1 << ccrField(value, CCR.DS);
  t.dstBurstLen = ccrField(value, CCR.DB) + 1;
  t.swapCode = ccrField(value, CCR.ES);
}

type ThreadSnapshot = readonly number[];

export interface Pl330Snapshot {
  readonly cycle: number;
  readonly threads: readonly ThreadSnapshot[];
  readonly fifos: readonly Uint8Array[];
  readonly mfifoEntries: number;
  readonly inten: number;
  readonly irqStatus: number;
  readonly pendingEvents: number;
  readonly dbgInst0: number;
  readonly dbgInst1: number;
  readonly wd: number;
  readonly requests: Uint8Array;
  readonly cacheTags: Float64Array;
  readonly cacheData: Uint8Array;
  readonly cacheVictim: number;
  readonly stallTicks: number;
  readonly lockedUp: number;
  readonly irqLevels: readonly boolean[];
  readonly abortLevel: boolean;
  /** The state of each attached peripheral that keeps one (a scripted peripheral's progress), by interface. */
  readonly peripherals: readonly unknown[];
}

const RUNNABLE = new Uint8Array(16);
RUNNABLE[ChannelState.Executing] = 1;
RUNNABLE[ChannelState.CacheMiss] = 1;
RUNNABLE[ChannelState.UpdatingPc] = 1;
RUNNABLE[ChannelState.AtBarrier] = 1;
RUNNABLE[ChannelState.Killing] = 1;
RUNNABLE[ChannelState.Completing] = 1;
RUNNABLE[ChannelState.FaultingCompleting] = 1;

const ZEROS = new Uint8Array(16 * 16);
/** The granule a translator maps: a bulk copy behind one translates once per page. */
const TRANSLATION_PAGE = 4096;
const DEFAULT_WATCHDOG_TICKS = 1024;

export class Pl330 implements MmioDevice, Snapshottable<Pl330Snapshot> {
  readonly name: string;
  /** irq[E]: driven by DMASEV E while INTEN[E] is set, until INTCLR. */
  readonly irq: readonly IrqLine[];
  /** irq_abort: a thread is faulting, or the watchdog saw a lock-up. */
  readonly irqAbort = new IrqLine('irq_abort');
  /** Simulated clock: ticks since reset. */
  cycle = 0;
  /** Set by the machine when something a waiting CPU may care about happened (an interrupt): `run` returns at the
   * end of the current tick with stop 'yield', so the CPU resumes at that instant. */
  yieldRequested = false;

  private readonly manager: Thread;
  private readonly channels: readonly Thread[];
  /** The manager, then the channels (the scheduling order). */
  private readonly threads: readonly Thread[];
  /** Bytes the MFIFO can hold (lines x data bus width): the size of each channel's ring. */
  private readonly mfifoBytes: number;
  private readonly busBytes: number;
  /** MFIFO lines in use by all channels. */
  private mfifoEntries = 0;
  private inten = 0;
  private irqStatus = 0;
  private pendingEvents = 0;
  private dbgInst0 = 0;
  private dbgInst1 = 0;
  private wd = 0;
  /** Per peripheral: the request the DMAC holds (REQUEST_* bits). */
  private readonly requests: Uint8Array;
  private readonly devices: (PeripheralDevice | undefined)[];
  /** The earliest cycle at which an attached peripheral raises a request by itself (Infinity: none will). */
  private nextDeviceTime = Infinity;
  private readonly cacheTags: Float64Array;
  private readonly cacheData: Uint8Array;
  private readonly cacheLineShift: number;
  private cacheVictim = 0;
  private lastCacheLine = 0;
  private stallTicks = 0;
  /** Channels flagged by the watchdog (irq-only mode keeps irq_abort raised until they are killed). */
  private lockedUp = 0;
  private readonly watchdogTicks: number;
  private runnableCount = 0;
  private progress = false;
  /** While one thread runs alone and nobody watches: the cycle it must stop at; -1 otherwise (no bulk loops). */
  private bulkLimit = -1;
  private observers: Pl330Observer[] = [];
  private unobserveBus: (() => void) | undefined;
  /** The thread executing now (attributes bus accesses to it). */
  private current: Thread | undefined;
  private currentDebug = false;
  private readonly storeScratch = new Uint8Array(16 * 16);
  private readonly debugInsn = new Uint8Array(6);

  constructor(readonly config: Pl330Config, readonly port: BusPort, options: Pl330Options = {}) {
    const errors = validateConfig(config);
    if (errors.length) throw new Error(`PL330 configuration: ${errors.join('; ')}`);
    if (config.icacheLineBytes & (config.icacheLineBytes - 1) || config.icacheLineBytes < 4 || config.icacheLineBytes > 32) {
      throw new Error(`PL330 configuration: instruction cache line must be 4, 8, 16 or 32 bytes (got ${config.icacheLineBytes})`);
    }
    this.name = options.name ?? 'pl330';
    this.watchdogTicks = options.watchdogTicks ?? DEFAULT_WATCHDOG_TICKS;
    this.busBytes = config.dataWidth / 8;
    this.mfifoBytes = config.mfifoLines * this.busBytes;
    this.manager = new Thread('manager', new Uint8Array(0));
    this.channels = Array.from({ length: config.channels }, (_, n) => new Thread(n, new Uint8Array(this.mfifoBytes)));
    this.threads = [this.manager, ...this.channels];
    this.irq = Array.from({ length: config.events }, (_, e) => new IrqLine(`irq[${e}]`));
    this.requests = new Uint8Array(config.peripherals);
    this.devices = new Array(config.peripherals).fill(undefined);
    this.cacheLineShift = Math.log2(config.icacheLineBytes);
    this.cacheTags = new Float64Array(config.icacheLines);
    this.cacheData = new Uint8Array(config.icacheLines * config.icacheLineBytes);
    this.reset();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reset, observers, peripherals

  /** Power-on reset: every thread stopped, the manager started at CR2 when booting from PC. */
  reset(): void {
    for (const t of this.threads) {
      Object.assign(t, THREAD_RESET);
      setCcr(t, t === this.manager ? 0 : CCR_RESET);
      t.fifoEntries = 0;
    }
    this.manager.nonSecure = this.config.managerNonSecure;
    this.mfifoEntries = 0;
    this.inten = 0;
    this.irqStatus = 0;
    this.pendingEvents = 0;
    this.dbgInst0 = 0;
    this.dbgInst1 = 0;
    this.wd = 0;
    this.requests.fill(0);
    this.invalidateInstructionCache();
    this.stallTicks = 0;
    this.lockedUp = 0;
    this.runnableCount = 0;
    this.cycle = 0;
    for (const line of this.irq) line.set(false);
    this.irqAbort.set(false);
    if (this.config.bootFromPc) {
      this.manager.pc = this.config.bootAddress >>> 0;
      this.setState(this.manager, ChannelState.Executing);
    }
  }

  /** Subscribes to the typed events; returns the unsubscribe function. */
  observe(observer: Pl330Observer): () => void {
    this.observers.push(observer);
    if (!this.unobserveBus) {
      this.unobserveBus = this.port.bus.observe((access: BusAccess) => {
        if (access.master !== this.port.master || !this.current) return;
        this.emit({ kind: 'bus', cycle: this.cycle, thread: this.current.ref, access });
      });
    }
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
      if (this.observers.length === 0 && this.unobserveBus) {
        this.unobserveBus();
        this.unobserveBus = undefined;
      }
    };
  }

  private emit(event: Pl330Event): void {
    for (const o of this.observers) o(event);
  }

  /** Connects a device to peripheral request interface `index`. */
  attachPeripheral(index: number, device: PeripheralDevice): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.config.peripherals) {
      throw new Error(`${this.name}: no peripheral request interface ${index} (${this.config.peripherals} configured)`);
    }
    this.devices[index] = device;
    const line: RequestLine = { request: (request) => this.peripheralRequest(index, request), cycle: () => this.cycle };
    device.connect(line);
    this.scheduleDevices();
  }

  /** The cycle at which an attached peripheral raises a request by itself; Infinity when none will. */
  get nextPeripheralRequest(): number {
    return this.nextDeviceTime;
  }

  /** Finds when a peripheral next raises a request by itself (after any exchange with one, or a restore). */
  private scheduleDevices(): void {
    let next = Infinity;
    for (const d of this.devices) {
      const at = d?.nextRequestAt?.();
      if (at !== undefined && at < next) next = at;
    }
    this.nextDeviceTime = next;
  }

  /** The clock reached a peripheral's time: it raises its request. */
  private advanceDevices(): void {
    for (const d of this.devices) {
      const at = d?.nextRequestAt?.();
      if (at !== undefined && at <= this.cycle) d!.advance?.();
    }
    this.scheduleDevices();
  }

  private peripheralRequest(index: number, request: PeripheralRequest): void {
    this.requests[index] = (request.type === 'burst' ? REQUEST_BURST : REQUEST_SINGLE) | (request.last ? REQUEST_LAST : 0);
    if (this.observers.length) this.emit({ kind: 'peripheral', cycle: this.cycle, peripheral: index, action: 'request', type: request.type, last: request.last });
    for (const t of this.channels) {
      if (t.state === ChannelState.WaitingForPeripheral && t.wakeup === index) {
        this.takeRequest(t, index, t.wfpPeriph ? 1 : t.wfpBurst ? 2 : 0);
        t.pc = (t.pc + 2) >>> 0;
        t.fetched = 0;
        this.setState(t, ChannelState.Executing);
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // APB registers

  read(offset: number, size: 1 | 2 | 4): number {
    const word = this.readRegister(offset & ~3);
    if (size === 4) return word;
    const shift = (offset & 3) * 8;
    return (word >>> shift) & (size === 1 ? 0xff : 0xffff);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    // The APB interface is 32 bits wide; narrower writes are ignored as the bus would reject them.
    if (size !== 4 || (offset & 3) !== 0) return;
    const reg = PL330_REGISTER_MAP.at(offset);
    if (!reg || (reg.def.access !== 'rw' && reg.def.access !== 'wo')) return;
    value >>>= 0;
    switch (reg.def.name) {
      case 'INTEN':
        this.inten = value & this.eventMask();
        return;
      case 'INTCLR':
        this.clearInterrupts(value);
        return;
      case 'DBGINST0':
        this.dbgInst0 = value;
        return;
      case 'DBGINST1':
        this.dbgInst1 = value;
        return;
      case 'DBGCMD':
        if ((value & 3) === 0) this.executeDebugInstruction();
        return;
      case 'WD':
        this.wd = value & 1;
        return;
    }
  }

  /** A register's value by TRM name (`DSR`, `CSR3`, `LC0_1`, ...), for views and the CLI. */
  register(name: string): number {
    const reg = PL330_REGISTER_MAP.named(name);
    if (!reg) throw new Error(`${this.name}: no register ${name}`);
    return this.readRegister(reg.offset);
  }

  private readRegister(offset: number): number {
    const reg = PL330_REGISTER_MAP.at(offset);
    if (!reg || reg.def.access === 'wo') return 0;
    const n = reg.index;
    const ch = this.channels[n] as Thread | undefined;
    const cfg = this.config;
    switch (reg.def.name) {
      case 'DSR': {
        const m = this.manager;
        return (place(DSR_FIELDS.state, m.state) | place(DSR_FIELDS.wakeup_event, m.wakeup) | place(DSR_FIELDS.dns, m.nonSecure ? 1 : 0)) >>> 0;
      }
      case 'DPC': return this.manager.pc;
      case 'INTEN': return this.inten;
      case 'INT_EVENT_RIS': return (this.irqStatus | this.pendingEvents) >>> 0;
      case 'INTMIS': return (this.irqStatus & this.inten) >>> 0;
      case 'FSRD': return this.manager.state === ChannelState.Faulting ? 1 : 0;
      case 'FSRC': return this.faultingChannels();
      case 'FTRD': return this.manager.faultType >>> 0;
      case 'FTR{n}': return ch ? ch.faultType >>> 0 : 0;
      case 'CSR{n}': return ch ? this.channelStatus(ch) : 0;
      case 'CPC{n}': return ch ? ch.pc : 0;
      case 'SAR{n}': return ch ? ch.sar : 0;
      case 'DAR{n}': return ch ? ch.dar : 0;
      case 'CCR{n}': return ch ? ch.ccr : 0;
      case 'LC0_{n}': return ch ? ch.lc0 : 0;
      case 'LC1_{n}': return ch ? ch.lc1 : 0;
      case 'DBGSTATUS': return 0; // debug instructions complete within the DBGCMD write
      case 'CR0':
        return (place(CR0_FIELDS.periph_req, cfg.peripherals > 0 ? 1 : 0) | place(CR0_FIELDS.boot_en, cfg.bootFromPc ? 1 : 0) |
          place(CR0_FIELDS.mgr_ns_at_rst, cfg.managerNonSecure ? 1 : 0) | place(CR0_FIELDS.num_chnls, cfg.channels - 1) |
          place(CR0_FIELDS.num_periph_req, cfg.peripherals > 0 ? cfg.peripherals - 1 : 0) | place(CR0_FIELDS.num_events, cfg.events - 1)) >>> 0;
      case 'CR1': return (place(CR1_FIELDS.icache_len, this.cacheLineShift) | place(CR1_FIELDS.num_icache_lines, cfg.icacheLines - 1)) >>> 0;
      case 'CR2': return cfg.bootAddress >>> 0;
      case 'CR3': return cfg.eventsNonSecure >>> 0;
      case 'CR4': return cfg.peripheralsNonSecure >>> 0;
      case 'CRD':
        return (place(CRD_FIELDS.data_width, Math.log2(cfg.dataWidth / 8)) | place(CRD_FIELDS.wr_cap, cfg.writeIssuingCapability - 1) |
          place(CRD_FIELDS.wr_q_dep, cfg.writeQueueDepth - 1) | place(CRD_FIELDS.rd_cap, cfg.readIssuingCapability - 1) |
          place(CRD_FIELDS.rd_q_dep, cfg.readQueueDepth - 1) | place(CRD_FIELDS.data_buffer_dep, cfg.mfifoLines - 1)) >>> 0;
      case 'WD': return this.wd;
      case 'periph_id_{n}': return [0x30, 0x13, (cfg.revision << 4) | 0x04, 0x00][n];
      case 'pcell_id_{n}': return [0x0d, 0xf0, 0x05, 0xb1][n];
    }
    return 0;
  }

  private channelStatus(t: Thread): number {
    const wfp = t.state === ChannelState.WaitingForPeripheral;
    // The wakeup field keeps the last event or peripheral waited for (as QEMU shows) after the wait ends.
    return (place(CSR_FIELDS.state, t.state) | place(CSR_FIELDS.wakeup_number, t.wakeup) | place(CSR_FIELDS.dmawfp_b_ns, wfp && t.wfpBurst ? 1 : 0) |
      place(CSR_FIELDS.dmawfp_periph, wfp && t.wfpPeriph ? 1 : 0) | place(CSR_FIELDS.cns, t.nonSecure ? 1 : 0)) >>> 0;
  }

  private faultingChannels(): number {
    let mask = 0;
    for (let n = 0; n < this.channels.length; n++) {
      const s = this.channels[n].state;
      if (s === ChannelState.Faulting || s === ChannelState.FaultingCompleting) mask |= 1 << n;
    }
    return mask >>> 0;
  }

  private eventMask(): number {
    return this.config.events >= 32 ? 0xffffffff : (1 << this.config.events) - 1;
  }

  private clearInterrupts(mask: number): void {
    const cleared = mask & this.inten & this.irqStatus;
    this.irqStatus &= ~cleared;
    for (let e = 0; e < this.irq.length; e++) {
      if ((cleared >>> e) & 1) {
        this.irq[e].set(false);
        if (this.observers.length) this.emit({ kind: 'irq', cycle: this.cycle, line: e, level: false });
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Debug interface

  /** Executes DBGINST0/1 as a driver's DBGCMD write does. Only DMAGO, DMAKILL and DMASEV are allowed. */
  private executeDebugInstruction(): void {
    const inst0 = this.dbgInst0;
    const onChannel = fieldValue(inst0, DBGINST0_FIELDS.debug_thread) === 1;
    const channel = fieldValue(inst0, DBGINST0_FIELDS.channel_number);
    const t = onChannel ? this.channels[channel] : this.manager;
    if (!t) return; // a channel the configuration lacks: nothing to execute on
    const insn = this.debugInsn;
    insn[0] = fieldValue(inst0, DBGINST0_FIELDS.instruction_byte0);
    insn[1] = fieldValue(inst0, DBGINST0_FIELDS.instruction_byte1);
    insn[2] = this.dbgInst1 & 0xff;
    insn[3] = (this.dbgInst1 >>> 8) & 0xff;
    insn[4] = (this.dbgInst1 >>> 16) & 0xff;
    insn[5] = (this.dbgInst1 >>> 24) & 0xff;
    const op = DECODE_OP[insn[0]];
    this.current = t;
    this.currentDebug = true;
    if (this.observers.length) this.emit({ kind: 'instruction', cycle: this.cycle, thread: t.ref, pc: t.pc, bytes: insn.slice(0, DECODE_LENGTH[insn[0]]), debug: true });
    if (op !== Op.GO && op !== Op.KILL && op !== Op.SEV) this.fault(t, FAULT.undef_instr);
    else this.execute(t, insn, op);
    this.currentDebug = false;
    this.current = undefined;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Scheduling

  /** One tick: every runnable thread executes at most one instruction (manager first, then channels in order). */
  tick(): void {
    if (this.cycle >= this.nextDeviceTime) this.advanceDevices();
    this.progress = false;
    if (RUNNABLE[this.manager.state]) this.stepThreadOnce(this.manager);
    const channels = this.channels;
    for (let n = 0; n < channels.length; n++) {
      if (RUNNABLE[channels[n].state]) this.stepThreadOnce(channels[n]);
    }
    this.cycle++;
    this.watchdog();
  }

  /** Whether any thread can execute without outside help (an event, a peripheral request, a debug command). */
  get runnable(): boolean {
    return this.runnableCount > 0;
  }

  /** Nothing happens here until someone outside acts (a register write, a peripheral request, a restore): no thread
   * can execute and no attached peripheral will raise a request by itself. `run` then passes no cycle of its own. */
  get quiescent(): boolean {
    return this.runnableCount === 0 && this.nextDeviceTime === Infinity;
  }

  /** Runs one thread until it retires one instruction, blocks or stops (the debugger's single step). */
  stepInstruction(thread: ThreadRef): boolean {
    const t = this.thread(thread);
    for (let guard = 0; guard < 4 && RUNNABLE[t.state]; guard++) {
      this.progress = false;
      const before = this.cycle;
      const retired = this.stepThreadOnce(t);
      this.cycle = before + 1;
      if (retired) return true;
    }
    return false;
  }

  /** Runs until no thread can run, a condition holds, or the budget of ticks is spent. */
  run(options: RunOptions = {}): RunResult {
    const start = this.cycle;
    const limit = start + (options.maxCycles ?? Number.MAX_SAFE_INTEGER);
    const until = options.until;
    for (;;) {
      if (this.cycle >= this.nextDeviceTime) this.advanceDevices();
      if (this.runnableCount === 0) {
        // Every thread waits or is stopped: time passes until a peripheral raises its next request, if one will.
        if (this.nextDeviceTime === Infinity) break;
        this.cycle = Math.min(this.nextDeviceTime, limit);
        if (this.cycle >= limit) return { stop: 'budget', cycles: this.cycle - start };
        continue;
      }
      if (this.cycle >= limit) return { stop: 'budget', cycles: this.cycle - start };
      if (until === undefined && this.runnableCount === 1) this.runAlone(Math.min(limit, this.nextDeviceTime));
      else this.tick();
      if (until !== undefined && until()) return { stop: 'condition', cycles: this.cycle - start };
      if (this.yieldRequested) return { stop: 'yield', cycles: this.cycle - start };
    }
    return { stop: 'idle', cycles: this.cycle - start };
  }

  /** The only runnable thread runs without the round-robin scan; the result is the same tick for tick. */
  private runAlone(limit: number): void {
    let t: Thread = this.manager;
    if (!RUNNABLE[t.state]) {
      for (const c of this.channels) {
        if (RUNNABLE[c.state]) {
          t = c;
          break;
        }
      }
    }
    const translator = this.port.translator;
    const unobserved = this.observers.length === 0 && !this.port.bus.observed && (translator === undefined || translator.probe !== undefined);
    this.bulkLimit = unobserved ? limit : -1;
    while (RUNNABLE[t.state] && this.runnableCount === 1 && this.cycle < limit && !this.yieldRequested) {
      this.progress = false;
      this.stepThreadOnce(t);
      this.cycle++;
      if (!this.progress) this.watchdog();
      else this.stallTicks = 0;
    }
    this.bulkLimit = -1;
  }

  /** One tick of one thread; true when an instruction retired. */
  private stepThreadOnce(t: Thread): boolean {
    switch (t.state) {
      case ChannelState.Completing:
        this.finish(t, 'end');
        return false;
      case ChannelState.Killing:
        this.finish(t, 'kill');
        return false;
      case ChannelState.FaultingCompleting:
        this.setState(t, ChannelState.Faulting);
        return false;
      case ChannelState.CacheMiss:
        this.setState(t, ChannelState.Executing);
        break;
      case ChannelState.UpdatingPc:
      case ChannelState.AtBarrier:
        // One tick after a taken jump, or at a barrier (transfers complete when issued, so nothing more to wait for).
        this.setState(t, ChannelState.Executing);
        return false;
    }
    this.current = t;
    const retired = this.executeNext(t);
    this.current = undefined;
    return retired;
  }

  private finish(t: Thread, how: 'end' | 'kill'): void {
    this.discardFifo(t);
    this.setState(t, ChannelState.Stopped);
    if (t.ref !== 'manager' && this.observers.length) this.emit({ kind: 'channelEnd', cycle: this.cycle, channel: t.ref, how });
  }

  private setState(t: Thread, state: number): void {
    const from = t.state;
    if (from === state) return;
    this.runnableCount += RUNNABLE[state] - RUNNABLE[from];
    t.state = state;
    this.progress = true;
    if (this.observers.length) this.emit({ kind: 'state', cycle: this.cycle, thread: t.ref, from, to: state });
  }

  private watchdog(): void {
    let stalled = 0;
    for (let n = 0; n < this.channels.length; n++) if (this.channels[n].stalled) stalled |= 1 << n;
    if (this.progress || stalled === 0) {
      this.stallTicks = 0;
      return;
    }
    if (++this.stallTicks < this.watchdogTicks) return;
    this.stallTicks = 0;
    this.lockedUp |= stalled;
    if (this.wd & 1) {
      this.updateAbort();
      return;
    }
    for (let n = 0; n < this.channels.length; n++) {
      if ((stalled >>> n) & 1) {
        this.channels[n].stalled = false;
        this.fault(this.channels[n], FAULT.lockup_err);
      }
    }
  }

  /** Whether anything can still happen without outside help, and what each live thread waits for. */
  idleReport(): IdleReport {
    const threads: { thread: ThreadRef; state: number; waitingFor?: string }[] = [];
    let idle = this.runnableCount === 0;
    for (const t of this.threads) {
      if (t.state === ChannelState.Stopped) continue;
      let waitingFor: string | undefined;
      if (t.state === ChannelState.WaitingForEvent) waitingFor = `event ${t.wakeup}`;
      if (t.state === ChannelState.WaitingForPeripheral) {
        waitingFor = `peripheral ${t.wakeup}`;
        if (this.devices[t.wakeup]?.active) idle = false;
      }
      threads.push({ thread: t.ref, state: t.state, waitingFor });
    }
    return { idle, threads };
  }

  /** The data channel n holds in the MFIFO (oldest first) and the MFIFO entries it occupies: not visible in any register. */
  mfifoContents(channel: number): { readonly bytes: Uint8Array; readonly entries: number; readonly freeEntries: number } {
    const t = this.thread(channel);
    return { bytes: copyRing(t.fifo, t.fifoHead, t.fifoCount), entries: t.fifoEntries, freeEntries: this.config.mfifoLines - this.mfifoEntries };
  }

  /** A thread's state code (CSR/DSR[3:0]). */
  threadState(thread: ThreadRef): number {
    return this.thread(thread).state;
  }

  private thread(ref: ThreadRef): Thread {
    if (ref === 'manager') return this.manager;
    const t = this.channels[ref];
    if (!t) throw new Error(`${this.name}: no channel ${ref} (${this.channels.length} configured)`);
    return t;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Instruction fetch through the instruction cache

  /** Discards every cached instruction line (DMAWFE with `invalid`, and every DMAGO). */
  invalidateInstructionCache(): void {
    this.cacheTags.fill(-1);
    this.cacheVictim = 0;
    this.lastCacheLine = 0;
  }

  /** Gathers the instruction at t.pc into t.insn; false when a cache miss or a fetch fault interrupted it. */
  private fetch(t: Thread): boolean {
    const shift = this.cacheLineShift;
    const lineBytes = 1 << shift;
    let length = t.fetched === 0 ? 1 : DECODE_LENGTH[t.insn[0]];
    while (t.fetched < length) {
      const address = (t.pc + t.fetched) >>> 0;
      const tag = Math.floor(address / lineBytes);
      let line = this.lastCacheLine;
      if (this.cacheTags[line] !== tag) {
        line = this.cacheTags.indexOf(tag);
        if (line < 0) {
          this.fillCacheLine(t, tag);
          return false;
        }
        this.lastCacheLine = line;
      }
      t.insn[t.fetched] = this.cacheData[(line << shift) + (address & (lineBytes - 1))];
      if (t.fetched++ === 0) length = DECODE_LENGTH[t.insn[0]];
    }
    return true;
  }

  private fillCacheLine(t: Thread, tag: number): void {
    const shift = this.cacheLineShift;
    const line = this.cacheVictim;
    const response = this.port.read(tag * (1 << shift), this.cacheData, line << shift, 1 << shift, true);
    if (response !== BusResponse.Okay) {
      this.cacheTags[line] = -1;
      this.fault(t, FAULT.instr_fetch_err);
      return;
    }
    this.cacheTags[line] = tag;
    this.cacheVictim = (line + 1) % this.cacheTags.length;
    this.lastCacheLine = line;
    this.setState(t, ChannelState.CacheMiss);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Execution

  private executeNext(t: Thread): boolean {
    if (!this.fetch(t)) return false;
    const insn = t.insn;
    const byte0 = insn[0];
    const length = DECODE_LENGTH[byte0];
    if (this.observers.length) this.emit({ kind: 'instruction', cycle: this.cycle, thread: t.ref, pc: t.pc, bytes: insn.slice(0, length), debug: false });
    t.fetched = 0;
    const result = this.execute(t, insn, DECODE_OP[byte0]);
    switch (result) {
      case Step.Retire:
        t.pc = (t.pc + length) >>> 0;
        t.stalled = false;
        this.progress = true;
        return true;
      case Step.Jumped:
        this.setState(t, ChannelState.UpdatingPc);
        t.stalled = false;
        this.progress = true;
        return true;
      case Step.Skipped:
        t.stalled = false;
        this.progress = true;
        return true;
      case Step.Stalled:
        t.stalled = true;
        return false;
      case Step.Ended:
        t.pc = (t.pc + length) >>> 0;
        return true;
      default:
        return false;
    }
  }

  /** Executes one decoded instruction on t; in debug mode the PC is neither used nor changed. */
  private execute(t: Thread, insn: Uint8Array, op: number): Step {
    const byte0 = insn[0];
    const isManager = t === this.manager;
    if (op === Op.Undefined || DECODE_MIN_REVISION[byte0] > this.config.revision) return this.fault(t, FAULT.undef_instr);
    if ((DECODE_THREADS[byte0] & (isManager ? THREAD_MANAGER : THREAD_CHANNEL)) === 0) return this.fault(t, FAULT.undef_instr);
    if (op === Op.InvalidOperand) return this.fault(t, FAULT.operand_invalid);
    if (DECODE_LENGTH[byte0] > 1 && (insn[1] & DECODE_RESERVED1[byte0]) !== 0) return this.fault(t, FAULT.operand_invalid);
    switch (op) {
      case Op.LD:
        return this.conditionHolds(t, byte0) ? this.load(t, DECODE_COND[byte0] === Cond.Single) : Step.Retire;
      case Op.ST:
        return this.conditionHolds(t, byte0) ? this.store(t, DECODE_COND[byte0] === Cond.Single) : Step.Retire;
      case Op.LPEND:
        return this.loopEnd(t, insn);
      case Op.LP:
        if (DECODE_BYTE0_OPERAND[byte0]) t.lc1 = loopCountMinusOne(insn[1]);
        else t.lc0 = loopCountMinusOne(insn[1]);
        return Step.Retire;
      case Op.MOV:
        return this.move(t, insn);
      case Op.ADDH:
      case Op.ADNH: {
        const imm = insn[1] | (insn[2] << 8);
        const add = op === Op.ADDH ? imm : (imm | 0xffff0000) >>> 0;
        if (DECODE_BYTE0_OPERAND[byte0]) {
          t.dar = (t.dar + add) >>> 0;
          this.recount(t);
        } else t.sar = (t.sar + add) >>> 0;
        return Step.Retire;
      }
      case Op.STZ:
        return this.storeZero(t);
      case Op.NOP:
        return Step.Retire;
      case Op.RMB:
      case Op.WMB:
        this.setState(t, ChannelState.AtBarrier);
        return Step.Retire;
      case Op.END:
        // DMAEND waits for the channel's data to leave the MFIFO; data no store will take locks it up (watchdog).
        if (t.fifoCount > 0) return Step.Stalled;
        if (isManager) this.setState(t, ChannelState.Stopped);
        else this.setState(t, ChannelState.Completing);
        return Step.Ended;
      case Op.KILL:
        return this.kill(t);
      case Op.SEV:
        return this.sendEvent(t, eventNumber(insn[1]));
      case Op.WFE:
        return this.waitForEvent(t, insn);
      case Op.GO:
        return this.go(t, insn);
      case Op.WFP:
        return this.waitForPeripheral(t, insn);
      case Op.LDP:
      case Op.STP:
      case Op.FLUSHP:
        return this.peripheralTransfer(t, insn, op);
    }
    return this.fault(t, FAULT.undef_instr);
  }

  private conditionHolds(t: Thread, byte0: number): boolean {
    const cond = DECODE_COND[byte0];
    return cond === Cond.Always || cond === t.requestFlag;
  }

  private load(t: Thread, single: boolean): Step {
    const size = t.srcBeatBytes;
    const beats = single ? 1 : t.srcBurstLen;
    const increment = t.srcInc;
    // An unaligned address shortens the first beat (incrementing) or every beat (fixed), as AXI bursts do.
    const misalign = t.sar & (size - 1);
    const total = increment ? beats * size - misalign : beats * (size - misalign);
    const lines = this.config.mfifoLines;
    if (this.entriesFor(t, total) > lines) return this.fault(t, FAULT.mfifo_err);
    if (this.mfifoEntries - t.fifoEntries + this.entriesFor(t, t.fifoCount + total) > lines) return Step.Stalled;
    let ok = true;
    if (increment) ok = this.readIntoFifo(t, t.sar, total);
    else for (let b = 0; b < beats && ok; b++) ok = this.readIntoFifo(t, t.sar, size - misalign);
    this.recount(t);
    // The burst was issued before its error response came back: the address still advances.
    if (increment) t.sar = (t.sar + total) >>> 0;
    return ok ? Step.Retire : this.imprecise(t, FAULT.data_read_err);
  }

  private readIntoFifo(t: Thread, address: number, length: number): boolean {
    const capacity = this.mfifoBytes;
    let tail = t.fifoHead + t.fifoCount;
    if (tail >= capacity) tail -= capacity;
    const first = Math.min(length, capacity - tail);
    if (this.port.read(address, t.fifo, tail, first) !== BusResponse.Okay) return false;
    if (first < length && this.port.read((address + first) >>> 0, t.fifo, 0, length - first) !== BusResponse.Okay) return false;
    t.fifoCount += length;
    return true;
  }

  /**
   * The MFIFO entries (data-bus-wide lines) that `bytes` of t's data occupy. The DMAC packs data as the destination
   * will take it (TRM appendix B, MFIFO usage): towards an incrementing destination bytes share lines by destination
   * address; towards a fixed destination every beat takes its own entries.
   */
  private entriesFor(t: Thread, bytes: number): number {
    if (bytes === 0) return 0;
    const width = this.busBytes;
    if (t.dstInc) return Math.floor(((t.dar & (width - 1)) + bytes - 1) / width) + 1;
    const size = t.dstBeatBytes;
    const beat = size - (t.dar & (size - 1));
    return Math.ceil(bytes / beat) * Math.ceil(beat / width);
  }

  /** Re-derives t's MFIFO entries after its data, DAR or CCR changed. */
  private recount(t: Thread): void {
    const entries = this.entriesFor(t, t.fifoCount);
    this.mfifoEntries += entries - t.fifoEntries;
    t.fifoEntries = entries;
  }

  private store(t: Thread, single: boolean): Step {
    const size = t.dstBeatBytes;
    const beats = single ? 1 : t.dstBurstLen;
    const increment = t.dstInc;
    const misalign = t.dar & (size - 1);
    const beatBytes = size - misalign;
    const total = increment ? beats * size - misalign : beats * beatBytes;
    if (t.fifoCount < total) return this.fault(t, FAULT.st_data_unavailable);
    const swap = t.swapCode;
    let ok = true;
    if (increment) ok = this.writeFromFifo(t, t.dar, total, swap);
    else for (let b = 0; b < beats && ok; b++) ok = this.writeFromFifo(t, t.dar, beatBytes, swap);
    if (increment) t.dar = (t.dar + total) >>> 0;
    this.recount(t);
    return ok ? Step.Retire : this.imprecise(t, FAULT.data_write_err);
  }

  /** Pops length bytes of t's MFIFO data to the bus, swapping bytes within 2^swap-byte words when ES is set. */
  private writeFromFifo(t: Thread, address: number, length: number, swap: number): boolean {
    const capacity = this.mfifoBytes;
    const head = t.fifoHead;
    let ok: boolean;
    if (swap === 0 && head + length <= capacity) {
      ok = this.port.write(address, t.fifo, head, length) === BusResponse.Okay;
    } else {
      const scratch = this.storeScratch;
      for (let i = 0, at = head; i < length; i++, at = at + 1 === capacity ? 0 : at + 1) scratch[i] = t.fifo[at];
      if (swap !== 0) swapWords(scratch, length, 1 << swap);
      ok = this.port.write(address, scratch, 0, length) === BusResponse.Okay;
    }
    t.fifoHead = head + length >= capacity ? head + length - capacity : head + length;
    t.fifoCount -= length;
    return ok;
  }

  private storeZero(t: Thread): Step {
    const size = t.dstBeatBytes;
    const beats = t.dstBurstLen;
    const increment = t.dstInc;
    const misalign = t.dar & (size - 1);
    const total = increment ? beats * size - misalign : beats * (size - misalign);
    let ok = true;
    if (increment) ok = this.port.write(t.dar, ZEROS, 0, total) === BusResponse.Okay;
    else for (let b = 0; b < beats && ok; b++) ok = this.port.write(t.dar, ZEROS, 0, size - misalign) === BusResponse.Okay;
    if (increment) t.dar = (t.dar + total) >>> 0;
    return ok ? Step.Retire : this.imprecise(t, FAULT.data_write_err);
  }

  private discardFifo(t: Thread): void {
    t.fifoCount = 0;
    t.fifoHead = 0;
    this.recount(t);
  }

  private loopEnd(t: Thread, insn: Uint8Array): Step {
    const byte0 = insn[0];
    if (!this.conditionHolds(t, byte0)) return Step.Retire;
    const jump = backJump(insn[1]);
    if (DECODE_FOREVER[byte0]) {
      if (t.lastRequest) {
        t.lastRequest = false;
        return Step.Retire;
      }
    } else if (DECODE_BYTE0_OPERAND[byte0]) {
      if (t.lc1 === 0) return Step.Retire;
      t.lc1--;
    } else {
      if (t.lc0 === 0) return Step.Retire;
      t.lc0--;
    }
    const end = t.pc;
    t.pc = (t.pc - jump) >>> 0;
    if (this.bulkLimit >= 0 && !DECODE_FOREVER[byte0] && this.bulkCopyLoop(t, end, DECODE_BYTE0_OPERAND[byte0])) return Step.Skipped;
    return Step.Jumped;
  }

  /**
   * The fast path of a counted loop whose body is only DMALD/DMAST (a memcpy): when one thread runs unobserved over
   * RAM, the remaining iterations move as one block copy. Registers, memory, the MFIFO and the cycle count end
   * exactly as if every instruction had executed; anything unusual (unaligned, fixed or overlapping addresses, swaps,
   * other channels' MFIFO data, cache misses, the cycle budget) leaves the loop to the interpreter. Each iteration
   * costs its instructions plus the Updating PC tick of a taken jump. True when the copy ran to the loop's exit.
   */
  private bulkCopyLoop(t: Thread, end: number, counter: number): boolean {
    const body = end - t.pc;
    if (t.fifoCount !== 0 || body <= 0 || end + 2 > 0x100000000) return false;
    if (!t.srcInc || !t.dstInc || t.swapCode !== 0) return false;
    const loadSize = t.srcBeatBytes;
    const storeSize = t.dstBeatBytes;
    const width = this.busBytes;
    const loadBytes = loadSize * t.srcBurstLen;
    const storeBytes = storeSize * t.dstBurstLen;
    // Whole bus-wide lines throughout, so that MFIFO entries are simply bytes / width.
    if ((t.sar & (loadSize - 1)) !== 0 || (t.dar & (width - 1)) !== 0 || loadBytes % width !== 0 || storeBytes % width !== 0) return false;
    const free = (this.config.mfifoLines - this.mfifoEntries) * width;
    let level = 0;
    let loads = 0;
    for (let pc = t.pc; pc < end + 2; pc++) {
      const byte = this.cachedByte(pc);
      if (byte < 0) return false;
      if (pc >= end) continue; // the DMALPEND itself
      if (DECODE_LENGTH[byte] !== 1 || DECODE_COND[byte] !== Cond.Always) return false;
      const op = DECODE_OP[byte];
      if (op === Op.LD) {
        level += loadBytes;
        loads++;
      } else if (op === Op.ST) level -= storeBytes;
      else return false;
      if (level > free || level < 0) return false;
    }
    if (level !== 0) return false;
    const perIteration = loadBytes * loads;
    if (perIteration === 0) return false;
    const remaining = (counter ? t.lc1 : t.lc0) + 1; // iterations until the loop falls through
    const affordable = Math.floor((this.bulkLimit - this.cycle - 2) / (body + 2));
    const iterations = this.bulkTransfer(t.sar, t.dar, Math.min(remaining, affordable), perIteration);
    if (iterations <= 0) return false;
    const bytes = iterations * perIteration;
    t.sar = (t.sar + bytes) >>> 0;
    t.dar = (t.dar + bytes) >>> 0;
    const left = remaining - iterations;
    if (counter) t.lc1 = left === 0 ? 0 : left - 1;
    else t.lc0 = left === 0 ? 0 : left - 1;
    if (left === 0) t.pc = (end + 2) >>> 0;
    // The triggering jump's Updating PC tick and every taken jump's inside; when the loop goes on, the last taken
    // jump's tick is the interpreter's next.
    this.cycle += iterations * (body + 2);
    return left === 0;
  }

  /**
   * Moves up to `iterations` loop iterations of `perIteration` bytes from sar to dar as block copies; returns how many
   * it moved. Behind a translator (an SMMU) each run of iterations within one source and one destination page is
   * translated once, source first as the loads come first, with the TLB fills an access would make; it stops before
   * an iteration that crosses a page, a page that does not translate or is not RAM, or overlapping ranges, and the
   * interpreter does that one access by access (recording any fault exactly).
   */
  private bulkTransfer(sar: number, dar: number, iterations: number, perIteration: number): number {
    const port = this.port;
    const bus = port.bus;
    const translator = port.translator;
    if (iterations <= 0) return 0;
    if (translator === undefined) {
      const bytes = iterations * perIteration;
      if (!bus.isRam(sar, bytes) || !bus.isRam(dar, bytes) || (sar < dar + bytes && dar < sar + bytes)) return 0;
      bus.memory.copy(dar, sar, bytes);
      return iterations;
    }
    let done = 0;
    while (done < iterations) {
      const source = sar + done * perIteration;
      const destination = dar + done * perIteration;
      const fit = Math.min(iterations - done, Math.floor((TRANSLATION_PAGE - (source % TRANSLATION_PAGE)) / perIteration),
        Math.floor((TRANSLATION_PAGE - (destination % TRANSLATION_PAGE)) / perIteration));
      if (fit <= 0 || destination + fit * perIteration > 0x100000000 || source + fit * perIteration > 0x100000000) break;
      const from = translator.probe!(port.master, source, false);
      if (from < 0) break;
      const to = translator.probe!(port.master, destination, true);
      if (to < 0) break;
      const bytes = fit * perIteration;
      if (!bus.isRam(from, bytes) || !bus.isRam(to, bytes) || (from < to + bytes && to < from + bytes)) break;
      bus.memory.copy(to, from, bytes);
      done += fit;
    }
    return done;
  }

  /** The byte at address if the instruction cache holds it, else -1. */
  private cachedByte(address: number): number {
    const shift = this.cacheLineShift;
    const line = this.cacheTags.indexOf(Math.floor(address / (1 << shift)));
    return line < 0 ? -1 : this.cacheData[(line << shift) + (address & ((1 << shift) - 1))];
  }

  private move(t: Thread, insn: Uint8Array): Step {
    const value = (insn[2] | (insn[3] << 8) | (insn[4] << 16) | (insn[5] << 24)) >>> 0;
    switch (movRegister(insn[1])) {
      case 0:
        t.sar = value;
        return Step.Retire;
      case 1:
        // A non-secure channel may only program non-secure accesses (ARPROT[1] = AWPROT[1] = 1).
        if (t.nonSecure && (ccrField(value, CCR.SP) & ccrField(value, CCR.DP) & PROT_NON_SECURE) === 0) return this.fault(t, FAULT.ch_rdwr_err);
        setCcr(t, value);
        this.recount(t);
        return Step.Retire;
      case 2:
        t.dar = value;
        this.recount(t);
        return Step.Retire;
    }
    return this.fault(t, FAULT.operand_invalid);
  }

  private kill(t: Thread): Step {
    t.faultType = 0;
    t.requestFlag = REQUEST_NONE;
    t.fetched = 0;
    if (t === this.manager) {
      this.setState(t, ChannelState.Stopped);
    } else {
      this.lockedUp &= ~(1 << (t.ref as number));
      t.stalled = false;
      this.setState(t, ChannelState.Killing);
    }
    this.updateAbort();
    return Step.Ended;
  }

  private go(t: Thread, insn: Uint8Array): Step {
    const n = goChannel(insn[1]);
    const nonSecure = DECODE_BYTE0_OPERAND[insn[0]] === 1;
    if (n >= this.channels.length) return this.fault(t, FAULT.operand_invalid);
    if (t.nonSecure && !nonSecure) return this.fault(t, FAULT.dmago_err);
    const ch = this.channels[n];
    // Starting a channel that is not stopped is a fault as QEMU models it (the TRM behaviour is unverified).
    if (ch.state !== ChannelState.Stopped) return this.fault(t, FAULT.operand_invalid);
    ch.pc = (insn[2] | (insn[3] << 8) | (insn[4] << 16) | (insn[5] << 24)) >>> 0;
    ch.nonSecure = nonSecure;
    ch.faultType = 0;
    ch.requestFlag = REQUEST_NONE;
    ch.lastRequest = false;
    ch.fetched = 0;
    ch.stalled = false;
    // Microcode is rewritten between runs: a new channel program must not execute stale cached lines.
    this.invalidateInstructionCache();
    this.setState(ch, ChannelState.Executing);
    if (this.observers.length) this.emit({ kind: 'channelStart', cycle: this.cycle, channel: n, pc: ch.pc, nonSecure });
    return Step.Retire;
  }

  private eventAllowed(t: Thread, event: number): boolean {
    return !t.nonSecure || ((this.config.eventsNonSecure >>> event) & 1) === 1;
  }

  private sendEvent(t: Thread, event: number): Step {
    if (event >= this.config.events) return this.fault(t, FAULT.operand_invalid);
    if (!this.eventAllowed(t, event)) return this.fault(t, t === this.manager ? FAULT.mgr_evnt_err : FAULT.ch_evnt_err);
    this.signal(event, t.ref);
    return Step.Retire;
  }

  /** DMASEV: raise irq[E] when INTEN[E] is set, else wake the threads waiting for E (or leave E pending). */
  private signal(event: number, source: ThreadRef): void {
    const bit = (1 << event) >>> 0;
    if (this.observers.length) this.emit({ kind: 'event', cycle: this.cycle, thread: source, event });
    if (this.inten & bit) {
      const was = this.irqStatus & bit;
      this.irqStatus = (this.irqStatus | bit) >>> 0;
      this.irq[event].set(true);
      if (!was && this.observers.length) this.emit({ kind: 'irq', cycle: this.cycle, line: event, level: true });
      return;
    }
    let woken = false;
    for (const w of this.threads) {
      if (w.state === ChannelState.WaitingForEvent && w.wakeup === event) {
        w.pc = (w.pc + 2) >>> 0;
        w.fetched = 0;
        this.setState(w, ChannelState.Executing);
        woken = true;
      }
    }
    if (!woken) this.pendingEvents = (this.pendingEvents | bit) >>> 0;
  }

  private waitForEvent(t: Thread, insn: Uint8Array): Step {
    const event = eventNumber(insn[1]);
    if (event >= this.config.events) return this.fault(t, FAULT.operand_invalid);
    if (!this.eventAllowed(t, event)) return this.fault(t, t === this.manager ? FAULT.mgr_evnt_err : FAULT.ch_evnt_err);
    if (operandOf(insn, 'invalidateFlag')) this.invalidateInstructionCache();
    const bit = (1 << event) >>> 0;
    if (this.pendingEvents & bit) {
      this.pendingEvents = (this.pendingEvents & ~bit) >>> 0;
      return Step.Retire;
    }
    t.wakeup = event;
    this.setState(t, ChannelState.WaitingForEvent);
    return Step.Waiting;
  }

  private peripheralAllowed(t: Thread, periph: number): boolean {
    return !t.nonSecure || ((this.config.peripheralsNonSecure >>> periph) & 1) === 1;
  }

  private waitForPeripheral(t: Thread, insn: Uint8Array): Step {
    const periph = peripheralNumber(insn[1]);
    if (periph >= this.config.peripherals) return this.fault(t, FAULT.operand_invalid);
    if (!this.peripheralAllowed(t, periph)) return this.fault(t, FAULT.ch_periph_err);
    const kind = DECODE_BYTE0_OPERAND[insn[0]]; // 0 single, 1 periph, 2 burst
    if (this.requests[periph] !== REQUEST_NONE) {
      this.takeRequest(t, periph, kind);
      return Step.Retire;
    }
    t.wakeup = periph;
    t.wfpBurst = kind === 2;
    t.wfpPeriph = kind === 1;
    this.setState(t, ChannelState.WaitingForPeripheral);
    return Step.Waiting;
  }

  /** DMAWFP takes the peripheral's request: the flag follows the operand, or the request for `periph`. */
  private takeRequest(t: Thread, periph: number, kind: number): void {
    const request = this.requests[periph];
    this.requests[periph] = REQUEST_NONE;
    t.requestFlag = kind === 1 ? request & (REQUEST_SINGLE | REQUEST_BURST) : kind === 2 ? REQUEST_BURST : REQUEST_SINGLE;
    t.lastRequest = (request & REQUEST_LAST) !== 0;
    t.wfpBurst = false;
    t.wfpPeriph = false;
  }

  private peripheralTransfer(t: Thread, insn: Uint8Array, op: number): Step {
    const periph = peripheralNumber(insn[1]);
    if (periph >= this.config.peripherals) return this.fault(t, FAULT.operand_invalid);
    if (!this.peripheralAllowed(t, periph)) return this.fault(t, FAULT.ch_periph_err);
    const device = this.devices[periph];
    if (op === Op.FLUSHP) {
      this.requests[periph] = REQUEST_NONE;
      if (this.observers.length) this.emit({ kind: 'peripheral', cycle: this.cycle, peripheral: periph, action: 'flush', thread: t.ref });
      if (device) {
        device.flush();
        this.scheduleDevices();
      }
      return Step.Retire;
    }
    if (!this.conditionHolds(t, insn[0])) return Step.Retire;
    const single = DECODE_COND[insn[0]] === Cond.Single;
    const result = op === Op.LDP ? this.load(t, single) : this.store(t, single);
    if (result === Step.Retire) {
      if (this.observers.length) this.emit({ kind: 'peripheral', cycle: this.cycle, peripheral: periph, action: 'acknowledge', type: single ? 'single' : 'burst', thread: t.ref });
      if (device) {
        device.acknowledge(single ? 'single' : 'burst');
        this.scheduleDevices();
      }
    }
    return result;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Faults

  /** A precise fault: the thread stops at the faulting instruction. */
  private fault(t: Thread, bits: number): Step {
    t.faultType = (t.faultType | bits | (this.currentDebug ? FAULT.dbg_instr : 0)) >>> 0;
    t.fetched = 0;
    t.stalled = false;
    this.setState(t, t === this.manager ? ChannelState.Faulting : ChannelState.FaultingCompleting);
    if (this.observers.length) this.emit({ kind: 'fault', cycle: this.cycle, thread: t.ref, faultType: t.faultType, pc: t.pc });
    this.updateAbort();
    return Step.Faulted;
  }

  /** A bus error on data: reported after the instruction that issued the transfer (imprecise). */
  private imprecise(t: Thread, bits: number): Step {
    if (!this.currentDebug) t.pc = (t.pc + DECODE_LENGTH[t.insn[0]]) >>> 0;
    return this.fault(t, bits);
  }

  private updateAbort(): void {
    let faulting = this.lockedUp !== 0 && (this.wd & 1) === 1;
    for (const t of this.threads) {
      if (t.state === ChannelState.Faulting || t.state === ChannelState.FaultingCompleting) faulting = true;
    }
    if (faulting === this.irqAbort.level) return;
    this.irqAbort.set(faulting);
    if (this.observers.length) this.emit({ kind: 'irq', cycle: this.cycle, line: 'abort', level: faulting });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Snapshots

  snapshot(): Pl330Snapshot {
    const threads = this.threads.map((t): ThreadSnapshot => [...THREAD_KEYS.map((k) => Number(t[k])), ...t.insn]);
    return {
      cycle: this.cycle,
      threads,
      fifos: this.channels.map((t) => copyRing(t.fifo, t.fifoHead, t.fifoCount)),
      mfifoEntries: this.mfifoEntries,
      inten: this.inten,
      irqStatus: this.irqStatus,
      pendingEvents: this.pendingEvents,
      dbgInst0: this.dbgInst0,
      dbgInst1: this.dbgInst1,
      wd: this.wd,
      requests: this.requests.slice(),
      cacheTags: this.cacheTags.slice(),
      cacheData: this.cacheData.slice(),
      cacheVictim: this.cacheVictim,
      stallTicks: this.stallTicks,
      lockedUp: this.lockedUp,
      irqLevels: this.irq.map((l) => l.level),
      abortLevel: this.irqAbort.level,
      peripherals: this.devices.map((d) => (d && isSnapshottable(d) ? d.snapshot() : undefined)),
    };
  }

  restore(s: Pl330Snapshot): void {
    this.runnableCount = 0;
    this.threads.forEach((t, i) => {
      const v = s.threads[i];
      const fields = t as unknown as Record<string, number | boolean>;
      THREAD_KEYS.forEach((k, j) => {
        fields[k] = THREAD_BOOLEAN[j] ? v[j] === 1 : v[j];
      });
      setCcr(t, t.ccr);
      t.fifoHead = 0; // the snapshot holds the ring's bytes in order
      t.fifoEntries = this.entriesFor(t, t.fifoCount);
      t.insn.set(v.slice(THREAD_KEYS.length, THREAD_KEYS.length + t.insn.length));
      this.runnableCount += RUNNABLE[t.state];
    });
    this.channels.forEach((t, i) => t.fifo.set(s.fifos[i], 0));
    this.cycle = s.cycle;
    this.mfifoEntries = s.mfifoEntries;
    this.inten = s.inten;
    this.irqStatus = s.irqStatus;
    this.pendingEvents = s.pendingEvents;
    this.dbgInst0 = s.dbgInst0;
    this.dbgInst1 = s.dbgInst1;
    this.wd = s.wd;
    this.requests.set(s.requests);
    this.cacheTags.set(s.cacheTags);
    this.cacheData.set(s.cacheData);
    this.cacheVictim = s.cacheVictim;
    this.lastCacheLine = 0;
    this.stallTicks = s.stallTicks;
    this.lockedUp = s.lockedUp;
    s.irqLevels.forEach((level, e) => this.irq[e].set(level));
    this.irqAbort.set(s.abortLevel);
    this.devices.forEach((d, i) => {
      if (d && isSnapshottable(d) && s.peripherals?.[i] !== undefined) d.restore(s.peripherals[i]);
    });
    this.scheduleDevices();
  }
}

function copyRing(ring: Uint8Array, head: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0, at = head; i < count; i++, at = at + 1 === ring.length ? 0 : at + 1) out[i] = ring[at];
  return out;
}

/** Reverses the byte order of each whole `word`-byte group (ES endian swap). */
function swapWords(buf: Uint8Array, length: number, word: number): void {
  for (let base = 0; base + word <= length; base += word) {
    for (let i = 0, j = word - 1; i < j; i++, j--) {
      const b = buf[base + i];
      buf[base + i] = buf[base + j];
      buf[base + j] = b;
    }
  }
}

