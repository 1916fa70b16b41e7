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
import { PICOSECONDS_PER_NANOSECOND } from './clock';
import type { MemoryRange, PlatformDescription } from './platform';
import type { GuestView } from './passthrough';
import type { Pl011 } from '../uart/pl011';

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
  /** The guest the CPUs run, when they run one. */
  readonly guest: GuestView | undefined;
  /** The first UART of what the CPUs run on: the console. */
  readonly console: Pl011 | undefined;
  private power: 'on' | 'off' | 'reset' = 'on';
  /** The timeline's instant when the current round of quanta started, and each CPU's retired count then. */
  private roundStart = 0;
  private readonly roundRetired: Float64Array;

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
    const cluster = new CpuCluster();
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
    this.roundRetired = new Float64Array(count);
    this.console = guest ? guest.uarts[0] : machine.uarts[0]?.device;
    if (this.console && options.console) this.console.transmit = options.console;
  }

  /** Where a CPU is on the timeline (ps): the round's start plus what it retired in the round so far. */
  instantOf(cpu: SystemCpu): number {
    return this.roundStart + (cpu.retiredNow - this.roundRetired[cpu.index]) * this.machine.cpuPeriod;
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
    return this.machine.now / PICOSECONDS_PER_NANOSECOND;
  }

  /** The earliest instant a generic timer fires (ps; Infinity: none armed). */
  private nextTimerDeadline(): number {
    let next = Infinity;
    for (const t of this.timers) next = Math.min(next, t.nextDeadline());
    return next * PICOSECONDS_PER_NANOSECOND;
  }

  /**
   * Runs until power-off, reset, a CPU stop the guest cannot handle, or `maxTime` ns of machine time. Each round, every
   * powered CPU that is not waiting runs a quantum from the same instant (bounded by the next timer deadline); then the
   * devices and timers are brought to the end of the longest. When every CPU waits for an interrupt, the devices run
   * until one arrives or the next timer deadline.
   */
  run(maxTime: number): SystemOutcome {
    const machine = this.machine;
    const period = machine.cpuPeriod;
    const end = machine.now + maxTime * PICOSECONDS_PER_NANOSECOND;
    while (this.power === 'on') {
      if (machine.now >= end) return { kind: 'time-limit' };
      const deadline = Math.min(end, this.nextTimerDeadline());
      const quantum = Math.max(1, Math.min(QUANTUM, Math.floor((deadline - machine.now) / period)));
      this.roundStart = machine.now;
      let longest = 0;
      let busy = false;
      for (const cpu of this.cpus) {
        if (!cpu.powered) continue;
        this.roundRetired[cpu.index] = cpu.retired;
        const ran = cpu.run(quantum);
        longest = Math.max(longest, ran);
        if (cpu.stop !== null) return { kind: 'stopped', cpu: cpu.index, stop: cpu.stop };
        if (!cpu.waiting && cpu.powered) busy = true;
        if (this.power !== 'on') break;
      }
      machine.advanceTo(this.roundStart + longest * period);
      if (!busy && this.power === 'on') {
        // Every CPU waits for an interrupt: the devices run until one arrives, or the next timer deadline (the CPUs
        // may have just programmed it).
        const interrupted = () => this.cpus.some((c) => c.powered && (!c.waiting || c.wakeable));
        machine.waitUntil(interrupted, Math.min(end, this.nextTimerDeadline()));
      }
      const nanoseconds = this.time;
      for (const t of this.timers) t.advanceTo(nanoseconds);
    }
    return { kind: this.power === 'off' ? 'off' : 'reset' };
  }

  /**
   * The debugger's single step: CPU `index` alone runs one instruction (or takes an exception and runs the first
   * instruction of its vector) while the other CPUs stay halted; the devices and timers follow it on the clock. A CPU
   * waiting for an interrupt lets the devices run until one arrives, for at most `maxTime` ns of machine time.
   * Returns how the machine ended or the CPU stopped, undefined when the step completed.
   */
  step(index: number, maxTime: number): SystemOutcome | undefined {
    const machine = this.machine;
    const cpu = this.cpus[index];
    const end = machine.now + maxTime * PICOSECONDS_PER_NANOSECOND;
    while (cpu.waiting && !cpu.wakeable && machine.now < end) {
      machine.waitUntil(() => cpu.wakeable, Math.min(end, this.nextTimerDeadline()));
      for (const t of this.timers) t.advanceTo(this.time);
    }
    if (cpu.waiting && !cpu.wakeable) return { kind: 'time-limit' };
    this.roundStart = machine.now;
    this.roundRetired[index] = cpu.retired;
    const ran = cpu.run(1);
    machine.advanceTo(this.roundStart + Math.max(1, ran) * machine.cpuPeriod);
    for (const t of this.timers) t.advanceTo(this.time);
    if (cpu.stop !== null) return { kind: 'stopped', cpu: index, stop: cpu.stop };
    return this.power === 'on' ? undefined : { kind: this.power };
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
