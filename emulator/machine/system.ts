// A machine running system CPUs: the platform's bus and devices (machine.ts), a SystemCpu and a generic timer per
// CPU, the GIC's CPU interface outputs to the CPUs' IRQ inputs, PSCI firmware behind SMC/HVC, all on the machine's
// one timeline (clock.ts): the CPUs run side by side in quanta up to the next timer deadline, each bringing the
// DMACs to its instant before it touches a device, and when every CPU waits for an interrupt the timeline lets the
// devices run until one arrives (a DMA interrupt, or the next timer deadline). With a guest view (passthrough.ts)
// the CPUs run a guest: its interrupt controller, console and RAM are the guest's, reached through a stage 2.
import { parseElf } from '../linux/elf';
import { CpuCluster, SystemCpu } from '../cpu/system';
import type { StopReason } from '../cpu/state';
import { psciCall, PsciStatus, type PowerController } from '../firmware/psci';
import { GenericTimer } from '../timer/generic-timer';
import { Machine } from './machine';
import { PICOSECONDS_PER_NANOSECOND, type WaitResult } from './clock';
import type { MemoryRange, PlatformDescription } from './platform';
import type { GuestView } from './passthrough';
import type { Pl011 } from '../uart/pl011';
import { ConsoleInput } from './console-input';
import { RoundSchedule, type RetiredTarget } from './schedule';
import { restoreSystemMachine, saveSystemMachine, type PowerState, type SystemMachineState } from './snapshot';

const PT_LOAD = 1;
const PAGE = 4096;
/** Longest stretch one CPU runs before the others (and the devices) catch up, in instructions. */
const QUANTUM = 10_000;
const QEMU_VIRT_TIMER_HZ = 62_500_000;

export type SystemOutcome =
  | { readonly kind: 'off' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'time-limit' }
  | { readonly kind: 'stopped'; readonly cpu: number; readonly stop: StopReason };

/** runUntil's outcomes: `reached` when its CPU retired the instructions asked. */
export type RunUntilOutcome = SystemOutcome | { readonly kind: 'reached' };

export interface SystemMachineOptions {
  /** CPUs to create (default: the devicetree's cpus, at least 1). */
  readonly cpus?: number;
  /** Bytes the first UART transmits. */
  readonly console?: (byte: number) => void;
  /** Run a guest on this view of the machine (dmalab as the hypervisor) instead of on the machine itself. */
  readonly guest?: (machine: Machine) => GuestView;
}

export class SystemMachine implements PowerController {
  readonly machine: Machine;
  readonly cpus: readonly SystemCpu[];
  readonly timers: readonly GenericTimer[];
  /** What the CPUs share: SEV's events, the CPU that ran last (exclusive reservations). */
  readonly cluster = new CpuCluster();
  /** The guest the CPUs run, when they run one. */
  readonly guest: GuestView | undefined;
  /** The first UART of what the CPUs run on: the console. */
  readonly console: Pl011 | undefined;
  private power: PowerState = 'on';
  private readonly schedule: RoundSchedule;
  /** What was typed on the console and when: kept across restores, so that a replay types it again. */
  readonly consoleInput: ConsoleInput;

  constructor(readonly platform: PlatformDescription, options: SystemMachineOptions = {}) {
    const machine = new Machine(platform);
    this.machine = machine;
    const guest = options.guest?.(machine);
    this.guest = guest;
    // What the CPUs see: the guest's platform, interrupt controller and console, or the machine's own.
    const seen = guest?.platform ?? platform;
    const gic = guest?.gic ?? machine.gic;
    const count = options.cpus ?? Math.max(1, seen.cpus?.length ?? 1);
    if (count > gic.config.cpus) throw new Error(`${count} CPUs: the GIC has ${gic.config.cpus} CPU interfaces`);
    const method = seen.psci?.method;
    const timers: GenericTimer[] = [];
    const cpus: SystemCpu[] = [];
    const cluster = this.cluster;
    for (let index = 0; index < count; index++) {
      const timer = new GenericTimer(seen.timer?.frequency ?? QEMU_VIRT_TIMER_HZ);
      if (seen.timer) timer.outputs = { physical: gic.ppi(index, seen.timer.physicalPpi), virtual: gic.ppi(index, seen.timer.virtualPpi) };
      const cpu = new SystemCpu(machine.bus, {
        index, cpus: count, timer, cluster,
        // The firmware answers on the devicetree's conduit only; the other one is UNDEFINED (no EL2/EL3 code).
        firmware: (caller, hypervisor) => {
          if (method === undefined || hypervisor !== (method === 'hvc')) return false;
          psciCall(this, caller);
          return true;
        },
      });
      cpu.mmu.stage2 = guest?.stage2;
      gic.cpuIrq[index] = {
        setLevel: (high) => {
          cpu.setIrq(high);
          // A wait for an interrupt (every CPU in WFI) resumes at this instant.
          if (high) machine.wake();
        },
      };
      cpu.mmu.beforeDeviceAccess = () => {
        // The GIC's banked registers answer the CPU making the access.
        gic.accessingCpu = index;
        machine.advanceTo(this.instantOf(cpu));
      };
      if (index > 0) cpu.powered = false;
      timers.push(timer);
      cpus.push(cpu);
    }
    this.cpus = cpus;
    this.timers = timers;
    this.schedule = new RoundSchedule(count);
    this.console = guest ? guest.uarts[0] : machine.uarts[0]?.device;
    this.consoleInput = new ConsoleInput(this.console);
    if (this.console && options.console) this.console.transmit = options.console;
  }

  /** Where a CPU is on the timeline (ps): the round's start plus what it retired in the round so far. */
  instantOf(cpu: SystemCpu): number {
    return this.schedule.start + (cpu.retiredNow - this.schedule.retired[cpu.index]) * this.machine.cpuPeriod;
  }

    /** Loads an ELF's segments at their physical addresses; returns the entry point. */
  loadElf(bytes: Uint8Array): number {
    const image = parseElf(bytes);
    for (const h of image.headers) {
      if (h.type !== PT_LOAD || h.memsz === 0) continue;
      this.load(h.paddr, new Uint8Array(h.memsz));
      this.load(h.paddr, bytes, h.offset, h.filesz);
    }
    return image.entry;
  }

  /** Starts CPU 0 at `entry` (SVC mode, MMU off, interrupts masked) with r0-r2 as given. */
  boot(entry: number, registers: readonly number[] = []): void {
    const cpu = this.cpus[0];
    cpu.reset(entry);
    registers.forEach((v, i) => { cpu.r[i] = v; });
    cpu.powered = true;
  }

  /** The RAM the software sees: the guest's (at its physical addresses), or the platform's first bank. */
  get ram(): MemoryRange | undefined {
    return this.guest?.platform.memory[0] ?? this.platform.memory[0];
  }

  /** Writes bytes at a physical address as the CPUs see it (a guest's goes through its stage 2, page by page). */
  load(address: number, bytes: Uint8Array, offset = 0, length = bytes.length): void {
    const memory = this.machine.bus.memory;
    const stage2 = this.guest?.stage2;
    if (stage2 === undefined) {
      memory.writeBlock(address, bytes, offset, length);
      return;
    }
    while (length > 0) {
      const chunk = Math.min(length, PAGE - (address % PAGE));
      memory.writeBlock(stage2(address), bytes, offset, chunk);
      address += chunk;
      offset += chunk;
      length -= chunk;
    }
  }

  /** Machine time in ns (the timeline's, which counts picoseconds). */
  get time(): number {
    return this.frontier / PICOSECONDS_PER_NANOSECOND;
  }

  /** The latest instant reached (ps): inside a round, the furthest CPU's (the devices catch up when it ends). */
  private get frontier(): number {
    let time = this.machine.now;
    if (this.schedule.open) for (const cpu of this.cpus) time = Math.max(time, this.instantOf(cpu));
    return time;
  }

  /** The earliest instant a generic timer fires (ps; Infinity: none armed). */
  private nextTimerDeadline(): number {
    let next = Infinity;
    for (const t of this.timers) next = Math.min(next, t.nextDeadline());
    return next * PICOSECONDS_PER_NANOSECOND;
  }

  /**
   * Runs until power-off, reset, a CPU stop the guest cannot handle, or `maxTime` ns of machine time. Each round,
   * every powered CPU that is not waiting runs a quantum from the same instant (bounded by the next timer deadline);
   * then the devices and timers are brought to the end of the longest. When every CPU waits for an interrupt, the
   * devices run until one arrives or the next timer deadline. Rounds depend on the machine's state only, never on
   * where a run stops: a run ending inside a round stops the CPU whose turn it is at that instant, and the next run
   * resumes it (schedule.ts). So a run replayed from a snapshot takes the same steps.
   */
  run(maxTime: number): SystemOutcome {
    return this.drive(this.frontier + maxTime * PICOSECONDS_PER_NANOSECOND, undefined) as SystemOutcome; // no target: never `reached`
  }

  /** Runs until machine time `time` (ns). */
  runTo(time: number): SystemOutcome {
    return this.drive(time * PICOSECONDS_PER_NANOSECOND, undefined) as SystemOutcome;
  }

  /**
   * Runs until CPU `cpu` has retired exactly `retired` instructions (stopping inside its quantum, the other CPUs
   * where the round has them), or `maxTime` ns of machine time pass first. An instant of the machine is its CPUs'
   * retired counts: replayed from an earlier snapshot, the same count gives the same state. With `devicesAt` (ps),
   * also not before the devices have reached that instant: a stop the devices caused while the CPU waited, or at the
   * end of its quantum (the CPU halted at its next turn), is the first turn of the CPU after them.
   */
  runUntil(cpu: number, retired: number, maxTime = Infinity, devicesAt = 0): RunUntilOutcome {
    if (this.cpus[cpu] === undefined) throw new Error(`no CPU ${cpu} (the machine has ${this.cpus.length})`);
    if (retired < this.cpus[cpu].retired) throw new Error(`CPU ${cpu} has retired ${this.cpus[cpu].retired} instructions, past ${retired}: restore an earlier snapshot first`);
    return this.drive(this.frontier + maxTime * PICOSECONDS_PER_NANOSECOND, { cpu, retired, devicesAt });
  }

  private drive(end: number, target: RetiredTarget | undefined): RunUntilOutcome {
    const machine = this.machine;
    const schedule = this.schedule;
    while (this.power === 'on') {
      if (!schedule.open) {
        if (machine.now >= end) return { kind: 'time-limit' };
        this.consoleInput.deliverDue(machine.now);
        const quantum = Math.max(1, Math.min(QUANTUM, Math.floor((this.nextTimerDeadline() - machine.now) / machine.cpuPeriod)));
        schedule.openRound(machine.now, quantum, this.cpus);
        continue;
      }
      const cpu = this.cpus[schedule.turn];
      if (cpu === undefined) {
        // Every CPU waits and nothing will wake one (no timer armed, the devices idle): no time limit is ever reached.
        if (this.closeRound(end) === 'idle') return { kind: 'time-limit' };
        continue;
      }
      if (cpu.powered) {
        const targeted = target?.cpu === cpu.index;
        if (targeted && cpu.retired >= target!.retired && machine.now >= target!.devicesAt) return { kind: 'reached' };
        // A run that ends inside the round stops each CPU at its end, to resume there.
        const untilEnd = Math.ceil((end - this.instantOf(cpu)) / machine.cpuPeriod);
        if (untilEnd <= 0) return { kind: 'time-limit' };
        let budget = Math.min(schedule.quantum - schedule.ran[cpu.index], untilEnd);
        if (targeted) budget = Math.min(budget, Math.max(0, target!.retired - cpu.retired));
        if (budget > 0) {
          const ran = cpu.run(budget);
          schedule.ran[cpu.index] += ran;
          if (cpu.stop !== null) return { kind: 'stopped', cpu: cpu.index, stop: cpu.stop };
          if (targeted && cpu.retired >= target!.retired && machine.now >= target!.devicesAt) return { kind: 'reached' };
          // An exception counts in the budget but not in the retired count: the targeted CPU goes on. One taken as
          // the budget ran out counts beyond it (ran > budget): the CPU has not stopped, its quantum goes on (a run
          // ending there must not close the round early, or a replay that does not stop there takes other rounds).
          if (ran >= budget && schedule.ran[cpu.index] < schedule.quantum) continue;
        }
        if (!cpu.waiting && cpu.powered) schedule.busy = true;
      }
      schedule.turn++;
      if (this.power !== 'on') break;
    }
    if (this.schedule.open) this.schedule.close();
    return { kind: this.power === 'off' ? 'off' : 'reset' };
  }

  /**
   * The debugger's single step: CPU `index` alone runs one instruction (or takes an exception and runs the first
   * instruction of its vector) while the other CPUs stay halted; the devices and timers follow it on the clock. A CPU
   * waiting for an interrupt lets the devices run until one arrives, for at most `maxTime` ns of machine time.
   * Returns how the machine ended or the CPU stopped, undefined when the step completed. Inside a round (a run
   * stopped in it) the instruction counts in the CPU's quantum. A step of one CPU with the others halted is not the
   * schedule's order: a replay from a snapshot before it follows the schedule (runUntil steps in order).
   */
  step(index: number, maxTime: number): SystemOutcome | undefined {
    const machine = this.machine;
    const schedule = this.schedule;
    const cpu = this.cpus[index];
    const end = machine.now + maxTime * PICOSECONDS_PER_NANOSECOND;
    while (cpu.waiting && !cpu.wakeable && !cpu.haltRequested && machine.now < end) {
      machine.waitUntil(() => cpu.wakeable || cpu.haltRequested, Math.min(end, this.nextTimerDeadline()));
      for (const t of this.timers) t.advanceTo(this.time);
    }
    if (cpu.waiting && !cpu.wakeable && !cpu.haltRequested) return { kind: 'time-limit' };
    const inRound = schedule.open;
    if (!inRound) {
      schedule.start = machine.now;
      schedule.retired[index] = cpu.retired;
    }
    const ran = cpu.run(1);
    if (inRound) schedule.ran[index] += ran;
    machine.advanceTo(inRound ? this.instantOf(cpu) : schedule.start + Math.max(1, ran) * machine.cpuPeriod);
    if (!inRound) schedule.close();
    for (const t of this.timers) t.advanceTo(this.time);
    if (cpu.stop !== null) return { kind: 'stopped', cpu: index, stop: cpu.stop };
    return this.power === 'on' ? undefined : { kind: this.power };
  }

  /** Every CPU had its turn: the devices and timers catch up with the longest; when every CPU waits, the devices run
   * until an interrupt arrives, the next timer deadline, the next replayed console input or `end`. */
  private closeRound(end: number): WaitResult | undefined {
    const machine = this.machine;
    const schedule = this.schedule;
    let longest = 0;
    for (const cpu of this.cpus) longest = Math.max(longest, schedule.ran[cpu.index]);
    const reached = schedule.start + longest * machine.cpuPeriod;
    const busy = schedule.busy;
    schedule.close();
    machine.advanceTo(reached);
    let waited: WaitResult | undefined;
    if (!busy && this.power === 'on') {
      // The CPUs may have just programmed the next timer deadline.
      // A CPU the debugger halts (a DMA event stops the machine) ends the wait too.
      const interrupted = () => this.cpus.some((c) => c.powered && (!c.waiting || c.wakeable || c.haltRequested));
      waited = machine.waitUntil(interrupted, Math.min(end, this.nextTimerDeadline(), this.consoleInput.nextAt));
    }
    const nanoseconds = this.time;
    for (const t of this.timers) t.advanceTo(nanoseconds);
    return waited;
  }

  /** Bytes typed on the console: recorded with the instant of the round they arrive in (replayed after a restore). */
  type(bytes: Uint8Array): void {
    this.consoleInput.type(bytes);
  }

  // ---- Snapshots (snapshot.ts) ----------------------------------------------------------------------------------

  /** The whole machine's state; pages of RAM are shared with the running machine until either writes them. */
  snapshot(): SystemMachineState {
    return saveSystemMachine(this, { power: this.power, schedule: this.schedule.snapshot() });
  }

  restore(state: SystemMachineState): void {
    restoreSystemMachine(this, state);
    this.power = state.power;
    this.schedule.restore(state.schedule);
  }

  // ---- PowerController (PSCI) ---------------------------------------------------------------------------------

  systemOff(): void {
    this.power = 'off';
    for (const cpu of this.cpus) cpu.powered = false;
  }

  systemReset(): void {
    this.power = 'reset';
    for (const cpu of this.cpus) cpu.powered = false;
  }

  private cpuByMpidr(mpidr: number): SystemCpu | undefined {
    return this.cpus.find((c) => c.index === (mpidr & 0xff) && (mpidr & 0xffff00) === 0);
  }

  cpuOn(mpidr: number, entry: number, context: number): number {
    const cpu = this.cpuByMpidr(mpidr);
    if (cpu === undefined) return PsciStatus.InvalidParameters;
    if (cpu.powered) return PsciStatus.AlreadyOn;
    cpu.reset(entry & ~1);
    cpu.thumb = (entry & 1) !== 0;
    cpu.r[0] = context;
    cpu.powered = true;
    return PsciStatus.Success;
  }

  cpuOff(index: number): void {
    this.cpus[index].powered = false;
  }

  affinityInfo(mpidr: number): number {
    const cpu = this.cpuByMpidr(mpidr);
    if (cpu === undefined) return PsciStatus.InvalidParameters;
    return cpu.powered ? 0 : 1;
  }
}
