// What a trace shows of a system machine's CPUs (a kernel and its drivers): each CPU's accesses to device registers
// on its lane (`cpu0`, `cpu1`, ...), at the CPU's instant on the machine's timeline, by the instruction that made
// them. By default only the DMA devices' (the DMACs' and SMMUs', whose lanes the trace has): a kernel's boot touches
// its UART, GIC and timers far more often. A boot is long: the trace is streamed out as it settles.
import { deviceRegister, machineTraceRecorder, type MachineTraceRecorder } from './trace';
import type { SystemMachine } from './system';
import { TraceStream } from '../trace/trace-events';

export type TracedDevices = 'dma' | 'all';

/** Records the CPUs' device accesses into `recorder` until the returned function is called. */
export function traceSystemDeviceAccesses(system: SystemMachine, recorder: MachineTraceRecorder, devices: TracedDevices = 'dma'): () => void {
  const machine = system.machine;
  for (const cpu of system.cpus) {
    const lane = { tid: cpu.index + 1, name: `cpu${cpu.index}` };
    cpu.mmu.onDeviceAccess = (_address, physical, size, value, write) => {
      const target = deviceRegister(machine, physical);
      if (devices === 'dma' && target.dmac === undefined && target.smmu === undefined) return;
      recorder.cpuAccess(lane, system.instantOf(cpu), cpu.pcNow, target, write, size, value);
    };
  }
  return () => {
    for (const cpu of system.cpus) cpu.mmu.onDeviceAccess = undefined;
  };
}

export interface SystemTraceOptions {
  /** The most events recorded (default: no limit); later ones are counted, not kept. */
  readonly limit?: number;
  readonly devices?: TracedDevices;
}

/**
 * The DMA timeline of a system machine's run (its DMACs, SMMUs and the CPUs' accesses to them), written out through
 * `write` as the run goes: call `flush` now and then (what is settled goes out) and `end` once.
 */
export class SystemTraceStream {
  readonly recorder: MachineTraceRecorder;
  private readonly stream: TraceStream;
  private readonly detachCpus: () => void;

  constructor(private readonly system: SystemMachine, write: (text: string) => void, options: SystemTraceOptions = {}) {
    this.recorder = machineTraceRecorder(system.machine, options.limit);
    this.stream = new TraceStream(this.recorder.builder, write);
    this.recorder.attach();
    this.detachCpus = traceSystemDeviceAccesses(system, this.recorder, options.devices);
  }

  flush(): void {
    this.stream.flush(this.recorder.settled());
  }

  /** Stops recording and ends the document: what still runs is shown up to now. */
  end(otherData: Readonly<Record<string, string | number>>): void {
    this.detachCpus();
    this.recorder.detach();
    const { builder } = this.recorder;
    const now = this.system.machine.now;
    this.stream.end({ generator: 'dmalab', ...otherData, picoseconds: now, events: builder.recorded, dropped: builder.dropped }, this.recorder.openSlices(now));
  }
}
