// The guest kernel's DMA-330 driver in Test Case 2: the unmodified driver of a guest that does not know its DMAC is
// passed through. It finds the device in the devicetree the VMM wrote, identifies it by its PrimeCell IDs, reads
// its configuration (CR0, CRD), builds memcpy microcode in guest memory, starts a channel with DMAGO through the
// debug registers, and completes requests from the interrupt: INTMIS/INTCLR for events, FSRC/FTR for faults, which
// it reports and stops with DMAKILL. Every address it programs is a guest physical address.
import { fieldValue } from '../emulator/bus/registers';
import { findCompatible, interrupts, parseFdt } from '../emulator/devicetree/fdt';
import { pl330Outputs, regions } from '../emulator/machine/from-dtb';
import type { Pl330Output } from '../emulator/machine/platform';
import { debugGo, debugKill, writeDebugInstruction, type DebugInstruction } from '../emulator/pl330/debug';
import { describeFaultType } from '../emulator/pl330/faults';
import { CHANNEL_STATE_NAMES, ChannelState, PL330_REGISTER_MAP } from '../emulator/pl330/registers';
import { assemble } from '../server/pl330/assembler';
import { ScenarioFailure, type ScenarioSteps } from './vfio-session';
import type { GuestMachine } from './vmm';

const register = (name: string): number => PL330_REGISTER_MAP.named(name)!.offset;
const field = (registerName: string, name: string): ((value: number) => number) => {
  const def = PL330_REGISTER_MAP.named(registerName)!.def.fields!.find((f) => f.name === name)!;
  return (value) => fieldValue(value, def);
};
const CR0_CHANNELS = field('CR0', 'num_chnls');
const CR0_PERIPHERALS = field('CR0', 'num_periph_req');
const CR0_PERIPHERALS_PRESENT = field('CR0', 'periph_req');
const CR0_EVENTS = field('CR0', 'num_events');
const CSR_STATE = field('CSR0', 'state');
const CRD_DATA_WIDTH = field('CRD', 'data_width');
const CRD_BUFFER_LINES = field('CRD', 'data_buffer_dep');

/** The AMBA PrimeCell ID every PrimeCell carries in its last four words. */
const PRIMECELL_ID = 0xb105f00d;
/** Part number 0x330, designer 0x41 (ARM), as the low 20 bits of the peripheral ID. */
const PL330_PART = 0x41330;
/** A transfer the driver gives up on: the channel is killed (the simulated time of a hung copy is bounded). */
export const REQUEST_TIMEOUT_INTERRUPTS = 16;

export interface Pl330Identity {
  readonly periphId: number;
  readonly channels: number;
  readonly peripherals: number;
  readonly events: number;
  readonly busBytes: number;
  readonly bufferLines: number;
}

/** A channel thread the driver owns and the event its microcode signals completion with. */
export interface GuestChannel {
  readonly channel: number;
  readonly event: number;
  /** The channel's microcode buffer in guest RAM. */
  readonly microcode: number;
}

export type TransferOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

export class GuestPl330Driver {
  readonly name: string;
  readonly base: number;
  /** The interrupt IDs of its `interrupts` (GIC SPI specifiers). */
  readonly interruptIds: readonly number[];
  readonly identity: Pl330Identity;
  /** Channels and event interrupts not taken by a client (dma_request_channel / dma_release_channel). */
  private readonly freeChannels = new Set<number>();
  private readonly freeEvents = new Set<number>();

  /** Probes the first `arm,pl330` node of the guest devicetree; throws when the device is not a working PL330. */
  constructor(private readonly guest: GuestMachine, private readonly allocatePage: () => number, private readonly log: (line: string) => void) {
    const fdt = parseFdt(guest.dtb);
    const node = findCompatible(fdt, 'arm,pl330')[0];
    if (!node) throw new ScenarioFailure('guest: no arm,pl330 node in the devicetree');
    this.base = regions(node)[0].base;
    this.name = `${this.base.toString(16)}.dma`;
    // GIC specifiers: <type number flags>, type 0 = SPI.
    const specifiers = interrupts(fdt, node);
    this.interruptIds = specifiers.filter((s) => s[0] === 0).map((s) => s[1] + 32);
    this.identity = identifyPl330((name) => this.read(name), this.name);
    // A channel completes through an event whose interrupt line the devicetree wires; irq_abort reports faults.
    let outputs: Pl330Output[];
    try {
      outputs = pl330Outputs(node, specifiers.length, this.identity.events);
    } catch (error) {
      throw new ScenarioFailure(`guest: ${(error as Error).message}`);
    }
    for (const o of outputs) if (o !== 'abort') this.freeEvents.add(o);
    for (let c = 0; c < this.identity.channels; c++) this.freeChannels.add(c);
    const id = this.identity;
    log(`dma-pl330 ${this.name}: Loaded driver for PL330 DMAC-${id.periphId.toString(16)}`);
    log(`dma-pl330 ${this.name}: \tDBUFF-${id.bufferLines}x${id.busBytes}bytes Num_Chans-${id.channels} Num_Peri-${id.peripherals} Num_Events-${id.events}`);
  }

  private read(name: string): number {
    return this.guest.read32(this.base + register(name));
  }

  private write(name: string, value: number): void {
    this.guest.write32(this.base + register(name), value);
  }

  /** dma_request_channel: a free channel thread and a free event with an interrupt line. */
  requestChannel(): GuestChannel {
    const channel = Math.min(...this.freeChannels), event = Math.min(...this.freeEvents);
    if (!Number.isFinite(channel) || !Number.isFinite(event)) throw new ScenarioFailure(`guest: ${this.name}: no free channel with an event interrupt`);
    this.freeChannels.delete(channel);
    this.freeEvents.delete(event);
    this.write('INTEN', this.read('INTEN') | (1 << event));
    return { channel, event, microcode: this.allocatePage() };
  }

  /** dma_release_channel: the event's interrupt is disabled, channel and event are free again. */
  releaseChannel(channel: GuestChannel): void {
    this.write('INTEN', this.read('INTEN') & ~(1 << channel.event));
    this.freeChannels.add(channel.channel);
    this.freeEvents.add(channel.event);
  }

  private debug(insn: DebugInstruction): void {
    if (this.read('DBGSTATUS') & 1) throw new ScenarioFailure(`guest: ${this.name}: the debug interface is busy`);
    writeDebugInstruction((offset, value) => this.guest.write32(this.base + offset, value), insn);
  }

  /** The channel thread's state (CSR). */
  private channelState(channel: GuestChannel): number {
    return CSR_STATE(this.read(`CSR${channel.channel}`));
  }

  /**
   * Writes the copy's microcode and starts the channel on it (DMAGO) once the thread has stopped: its event is
   * signalled before its DMAEND, and DMAGO on a running channel is a manager fault. The machine runs while it polls.
   */
  *submit(channel: GuestChannel, destination: number, source: number, length: number): ScenarioSteps<void> {
    const stopped = () => this.channelState(channel) === ChannelState.Stopped;
    yield { what: `guest: poll CSR${channel.channel} until the channel stops`, until: stopped };
    if (!stopped()) throw new ScenarioFailure(`guest: ${this.name}: channel ${channel.channel} never stops (${CHANNEL_STATE_NAMES[this.channelState(channel)]})`);
    this.guest.write(channel.microcode, memcpyMicrocode(this.identity, channel, destination, source, length));
    this.debug(debugGo(channel.channel, channel.microcode));
  }

  /** Sleeps (WFI) until the channel's interrupt completes the request or a fault ends it; a hung request is killed. */
  *complete(channel: GuestChannel): ScenarioSteps<TransferOutcome> {
    for (let n = 0; n < REQUEST_TIMEOUT_INTERRUPTS; n++) {
      yield { what: `guest: WFI until dma0chan${channel.channel}'s interrupt`, until: () => this.guest.interruptPending() };
      const id = this.guest.acknowledge();
      if (id === undefined) break;
      const ours = this.interruptIds.includes(id);
      if (!ours) this.log(`irq ${id}: nobody cared`);
      const outcome = ours ? this.interrupt(channel) : undefined;
      this.guest.endOfInterrupt(id);
      if (outcome) return outcome;
    }
    this.debug(debugKill(channel.channel));
    return { ok: false, error: 'test timed out' };
  }

  *memcpy(channel: GuestChannel, destination: number, source: number, length: number): ScenarioSteps<TransferOutcome> {
    yield* this.submit(channel, destination, source, length);
    return yield* this.complete(channel);
  }

  /** The interrupt handler: the channel's event completes it; faults are reported and their threads killed. */
  private interrupt(channel: GuestChannel): TransferOutcome | undefined {
    let outcome: TransferOutcome | undefined;
    if (this.read('FSRD') & 1) {
      const error = `manager fault: ${describeFaultType(this.read('FTRD'), 'manager')}`;
      this.log(`dma-pl330 ${this.name}: ${error}`);
      this.debug(debugKill('manager'));
      outcome = { ok: false, error };
    }
    const faulting = this.read('FSRC');
    for (let c = 0; c < this.identity.channels; c++) {
      if (!(faulting & (1 << c))) continue;
      const error = `fault on channel ${c} at 0x${this.read(`CPC${c}`).toString(16)}: ${describeFaultType(this.read(`FTR${c}`), 'channel')}`;
      this.log(`dma-pl330 ${this.name}: ${error}`);
      this.debug(debugKill(c));
      if (c === channel.channel) outcome = { ok: false, error };
    }
    const events = this.read('INTMIS');
    if (events) this.write('INTCLR', events);
    if (events & (1 << channel.event)) outcome ??= { ok: true };
    return outcome;
  }
}

/** What a driver learns of a PL330 from its registers: the PrimeCell and peripheral IDs, CR0 and CRD. */
export function identifyPl330(read: (register: string) => number, device: string): Pl330Identity {
  const word = (prefix: string) => [0, 1, 2, 3].reduce((v, i) => v | ((read(`${prefix}_${i}`) & 0xff) << (8 * i)), 0) >>> 0;
  const cell = word('pcell_id');
  if (cell !== PRIMECELL_ID) throw new ScenarioFailure(`guest: ${device}: PrimeCell ID 0x${cell.toString(16)}, not 0x${PRIMECELL_ID.toString(16)}: the device window does not reach a PrimeCell`);
  const periphId = word('periph_id');
  if ((periphId & 0xfffff) !== PL330_PART) throw new ScenarioFailure(`guest: ${device}: peripheral ID 0x${periphId.toString(16)} is not a PL330`);
  const cr0 = read('CR0'), crd = read('CRD');
  return {
    periphId,
    channels: CR0_CHANNELS(cr0) + 1,
    peripherals: CR0_PERIPHERALS_PRESENT(cr0) ? CR0_PERIPHERALS(cr0) + 1 : 0,
    events: CR0_EVENTS(cr0) + 1,
    busBytes: 1 << CRD_DATA_WIDTH(crd),
    bufferLines: CRD_BUFFER_LINES(crd) + 1,
  };
}

/** The microcode of a memory-to-memory copy: the widest beat the length and addresses allow, bursts of up to 16. */
export function memcpyMicrocode(identity: Pl330Identity, channel: GuestChannel, destination: number, source: number, length: number): Uint8Array {
  let beat = identity.busBytes;
  while (beat > 1 && (length % beat || source % beat || destination % beat)) beat >>= 1;
  const beats = length / beat;
  const burst = Math.min(16, beats, Math.floor((identity.bufferLines * identity.busBytes) / beat));
  const bursts = Math.floor(beats / burst), rest = beats % burst;
  const ccr = (len: number) => `DMAMOV CCR, SB${len} SS${beat * 8} SAI DB${len} DS${beat * 8} DAI`;
  const copy = (count: number): string[] => {
    if (count <= 1) return count === 1 ? ['DMALD', 'DMAST'] : [];
    if (count <= 256) return [`DMALP ${count}`, 'DMALD', 'DMAST', 'DMALPEND'];
    const outer = Math.min(256, Math.floor(count / 256));
    return [`DMALP ${outer}`, 'DMALP 256', 'DMALD', 'DMAST', 'DMALPEND', 'DMALPEND', ...copy(count - outer * 256)];
  };
  const lines = [ccr(burst), `DMAMOV SAR, 0x${source.toString(16)}`, `DMAMOV DAR, 0x${destination.toString(16)}`, ...copy(bursts)];
  if (rest > 0) lines.push(ccr(rest), ...copy(1));
  lines.push('DMAWMB', `DMASEV ${channel.event}`, 'DMAEND');
  const result = assemble(lines.join('\n'), { base: channel.microcode });
  if (result.errorCount > 0) throw new ScenarioFailure(`guest: microcode: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.programs[0].bytes;
}
