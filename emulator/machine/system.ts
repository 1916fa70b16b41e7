// A machine running system CPUs: the platform's bus and devices (machine.ts), a SystemCpu and a generic timer per
// CPU, the GIC's CPU interface outputs to the CPUs' IRQ inputs, PSCI firmware behind SMC/HVC, and a simple clock
// (one instruction per nanosecond) that runs the CPUs in quanta up to the next timer deadline and skips ahead
// when every CPU waits for an interrupt. The machine-level scheduler will take over the clock; this keeps the
// entry points it needs: SystemCpu.run(budget), GenericTimer.nextDeadline() and advanceTo(time).
import { parseElf } from '../linux/elf';
import { SystemCpu } from '../cpu/system';
import type { StopReason } from '../cpu/state';
import { psciCall, PsciStatus, type PowerController } from '../firmware/psci';
import { GenericTimer } from '../timer/generic-timer';
import { Machine } from './machine';
import type { PlatformDescription } from './platform';

const PT_LOAD = 1;
/** Longest stretch one CPU runs before the others (and the devices) catch up, in instructions (= ns). */
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
}

export class SystemMachine implements PowerController {
  readonly machine: Machine;
  readonly cpus: readonly SystemCpu[];
  readonly timers: readonly GenericTimer[];
  /** Machine time in ns. */
  time = 0;
  private power: 'on' | 'off' | 'reset' = 'on';

  constructor(readonly platform: PlatformDescription, options: SystemMachineOptions = {}) {
    const machine = new Machine(platform);
    this.machine = machine;
    const count = options.cpus ?? Math.max(1, platform.cpus?.length ?? 1);
    if (count > machine.gic.config.cpus) throw new Error(`${count} CPUs: the GIC has ${machine.gic.config.cpus} CPU interfaces`);
    const method = platform.psci?.method;
    const timers: GenericTimer[] = [];
    const cpus: SystemCpu[] = [];
    for (let index = 0; index < count; index++) {
      const timer = new GenericTimer(platform.timer?.frequency ?? QEMU_VIRT_TIMER_HZ);
      if (platform.timer) {
        timer.outputs = { physical: machine.gic.ppi(index, platform.timer.physicalPpi), virtual: machine.gic.ppi(index, platform.timer.virtualPpi) };
      }
      const cpu = new SystemCpu(machine.bus, {
        index, cpus: count, timer,
        // The firmware answers on the devicetree's conduit only; the other one is UNDEFINED (no EL2/EL3 code).
        firmware: (caller, hypervisor) => {
          if (method === undefined || hypervisor !== (method === 'hvc')) return false;
          psciCall(this, caller);
          return true;
        },
      });
      machine.gic.cpuIrq[index] = { setLevel: (high) => cpu.setIrq(high) };
      if (index > 0) cpu.powered = false;
      timers.push(timer);
      cpus.push(cpu);
    }
    this.cpus = cpus;
    this.timers = timers;
    const uart = machine.uarts[0];
    if (uart && options.console) uart.device.transmit = options.console;
  }

  /** Loads an ELF's segments at their physical addresses; returns the entry point. */
  loadElf(bytes: Uint8Array): number {
    const image = parseElf(bytes);
    for (const h of image.headers) {
      if (h.type !== PT_LOAD || h.memsz === 0) continue;
      this.machine.bus.memory.fill(h.paddr, h.memsz, 0);
      this.machine.bus.memory.writeBlock(h.paddr, bytes, h.offset, h.filesz);
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

  /** Runs until power-off, reset, a CPU stop the guest cannot handle, or `maxTime` ns of machine time. */
  run(maxTime: number): SystemOutcome {
    const end = this.time + maxTime;
    while (this.power === 'on') {
      if (this.time >= end) return { kind: 'time-limit' };
      let deadline = end;
      for (const t of this.timers) deadline = Math.min(deadline, t.nextDeadline());
      const quantum = Math.max(1, Math.min(QUANTUM, deadline - this.time));
      let longest = 0;
      let busy = false;
      for (const cpu of this.cpus) {
        if (!cpu.powered) continue;
        const ran = cpu.run(quantum);
        longest = Math.max(longest, ran);
        if (cpu.stop !== null) return { kind: 'stopped', cpu: cpu.index, stop: cpu.stop };
        if (!cpu.waiting && cpu.powered) busy = true;
        if (this.power !== 'on') break;
      }
      if (busy) this.time += Math.max(longest, 1);
      else {
        // Every CPU idle: skip to the next timer event (the CPUs may have just programmed it).
        let next = end;
        for (const t of this.timers) next = Math.min(next, t.nextDeadline());
        this.time = Math.max(this.time + longest, next);
      }
      for (const t of this.timers) t.advanceTo(this.time);
    }
    return { kind: this.power === 'off' ? 'off' : 'reset' };
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
