// The physical address space: RAM regions backed by PhysicalMemory and memory-mapped devices. Bus masters (CPU,
// DMA controllers) reach it through ports that carry their identity (name, stream ID), so that an SMMU can be put
// between a master and the bus by giving its port a translator. Errors come back as AXI-style responses.
import { PhysicalMemory } from './memory';

/** AXI response of an access, as the master sees it. */
export const enum BusResponse {
  Okay = 0,
  /** The slave (device or SMMU in terminate mode) signalled an error. */
  SlaveError = 2,
  /** Nothing is mapped at the address. */
  DecodeError = 3,
}

export interface MmioDevice {
  readonly name: string;
  /** Register read; offset is relative to the device's base, aligned to size. */
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
  /** The name of the register at `offset` (its TRM's), where the device has a register table (a trace names it). */
  registerAt?(offset: number): string | undefined;
}

/** State that a machine snapshot saves and restores. */
export interface Snapshottable<S = unknown> {
  snapshot(): S;
  restore(state: S): void;
}

export interface BusMasterId {
  readonly name: string;
  /** The stream ID the master's transactions carry to an SMMU. */
  readonly streamId: number;
  /** Its instruction fetches are privileged (AxPROT[0] set): the DMA-330's are, which is why Linux's pl330 driver
   * maps its microcode privileged-only (DMA_ATTR_PRIVILEGED). */
  readonly privilegedFetches?: boolean;
}

/**
 * Translates a master's address (an IOVA when an SMMU is in front of it) to a physical address. Returns the
 * physical address, or a negative BusResponse when the access faults (the translator records the fault itself).
 */
export interface Translator {
  translate(master: BusMasterId, address: number, write: boolean, fetch: boolean): number;
  /**
   * A data access's translation as `translate` would give it, for a fast path that moves many bytes of one page at
   * once: on success the same physical address and the same TLB fill; on a fault -1 and nothing recorded (the caller
   * then leaves the access to the slow path, which records it).
   */
  probe?(master: BusMasterId, address: number, write: boolean): number;
}

export interface BusAccess {
  readonly master: BusMasterId;
  /** The address the master issued (IOVA behind an SMMU). */
  readonly address: number;
  /** The physical address it reached (equal to address without a translator), or -1 when it faulted first. */
  readonly physical: number;
  readonly write: boolean;
  readonly fetch: boolean;
  /** The bytes moved (a view valid only during the callback). */
  readonly data: Uint8Array;
  readonly response: BusResponse;
}

export type BusObserver = (access: BusAccess) => void;

interface Region {
  readonly base: number;
  readonly size: number;
  readonly device?: MmioDevice;
  readonly name: string;
}

const TRANSLATION_GRANULE = 4096;

export class Bus {
  readonly memory = new PhysicalMemory();
  private regions: Region[] = [];
  private observers: BusObserver[] = [];
  private lastRegion: Region | undefined;

  addRam(base: number, size: number, name = 'ram'): void {
    this.addRegion({ base, size, name });
  }

  addDevice(base: number, size: number, device: MmioDevice): void {
    this.addRegion({ base, size, device, name: device.name });
  }

  private addRegion(region: Region): void {
    if (region.size <= 0) throw new Error(`${region.name}: empty region at 0x${region.base.toString(16)}`);
    const clash = this.regions.find((r) => region.base < r.base + r.size && r.base < region.base + region.size);
    if (clash) throw new Error(`${region.name} at 0x${region.base.toString(16)} overlaps ${clash.name} at 0x${clash.base.toString(16)}`);
    this.regions.push(region);
    this.regions.sort((a, b) => a.base - b.base);
  }

  /** What is mapped at a physical address: its name and base, for messages. */
  describe(address: number): string {
    const r = this.regionAt(address);
    return r ? `${r.name}+0x${(address - r.base).toString(16)}` : 'unmapped';
  }

  regionAt(address: number): Region | undefined {
    const last = this.lastRegion;
    if (last && address >= last.base && address < last.base + last.size) return last;
    let lo = 0;
    let hi = this.regions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.regions[mid];
      if (address < r.base) hi = mid - 1;
      else if (address >= r.base + r.size) lo = mid + 1;
      else {
        this.lastRegion = r;
        return r;
      }
    }
    return undefined;
  }

  /** Whether [address, address + length) is RAM within one region (no device, nothing unmapped). */
  isRam(address: number, length: number): boolean {
    const r = this.regionAt(address);
    return r !== undefined && r.device === undefined && address + length <= r.base + r.size;
  }

  observe(observer: BusObserver): () => void {
    this.observers.push(observer);
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  get observed(): boolean {
    return this.observers.length > 0;
  }

  notify(access: BusAccess): void {
    for (const o of this.observers) o(access);
  }

  port(master: BusMasterId): BusPort {
    return new BusPort(this, master);
  }

  /** Physical access without a master (loaders, debuggers): the same routing, no observers, no translation. */
  physicalRead(address: number, dest: Uint8Array, offset: number, length: number): BusResponse {
    return this.transfer(address, dest, offset, length, false);
  }

  physicalWrite(address: number, src: Uint8Array, offset: number, length: number): BusResponse {
    return this.transfer(address, src, offset, length, true);
  }

  /**
   * Physical access in place, for loaders and dumpers of many bytes (files): `visit(bytes, offset, length)` gets each
   * piece of the range as a view of RAM to fill (write) or drain (read) without a copy; a device's piece goes
   * through a scratch buffer. Routed as physicalRead/physicalWrite; stops at an unmapped address (DecodeError).
   */
  physicalInPlace(address: number, length: number, write: boolean, visit: (bytes: Uint8Array, offset: number, length: number) => void): BusResponse {
    while (length > 0) {
      const region = this.regionAt(address);
      if (!region) return BusResponse.DecodeError;
      const chunk = Math.min(length, region.base + region.size - address);
      if (region.device) {
        const scratch = new Uint8Array(chunk);
        if (!write) deviceTransfer(region.device, address - region.base, scratch, 0, chunk, false);
        visit(scratch, 0, chunk);
        if (write) deviceTransfer(region.device, address - region.base, scratch, 0, chunk, true);
      } else this.memory.spans(address, chunk, write, visit);
      address += chunk;
      length -= chunk;
    }
    return BusResponse.Okay;
  }

  /** Moves bytes between buf and the physical range, splitting at region boundaries. */
  transfer(address: number, buf: Uint8Array, offset: number, length: number, write: boolean): BusResponse {
    while (length > 0) {
      const region = this.regionAt(address);
      if (!region) return BusResponse.DecodeError;
      const chunk = Math.min(length, region.base + region.size - address);
      if (region.device) {
        const response = deviceTransfer(region.device, address - region.base, buf, offset, chunk, write);
        if (response !== BusResponse.Okay) return response;
      } else if (write) this.memory.writeBlock(address, buf, offset, chunk);
      else this.memory.readBlock(address, buf, offset, chunk);
      address += chunk;
      offset += chunk;
      length -= chunk;
    }
    return BusResponse.Okay;
  }
}

/** Byte-granular device access in naturally aligned pieces of up to 4 bytes. */
function deviceTransfer(device: MmioDevice, offset: number, buf: Uint8Array, at: number, length: number, write: boolean): BusResponse {
  while (length > 0) {
    const size: 1 | 2 | 4 = (offset & 3) === 0 && length >= 4 ? 4 : (offset & 1) === 0 && length >= 2 ? 2 : 1;
    if (write) {
      let value = 0;
      for (let i = size - 1; i >= 0; i--) value = value * 256 + buf[at + i];
      device.write(offset, size, value);
    } else {
      const value = device.read(offset, size);
      for (let i = 0; i < size; i++) buf[at + i] = (value >>> (8 * i)) & 0xff;
    }
    offset += size;
    at += size;
    length -= size;
  }
  return BusResponse.Okay;
}

/** A master's view of the bus; an SMMU is interposed by setting `translator`. */
export class BusPort {
  translator: Translator | undefined;

  constructor(readonly bus: Bus, readonly master: BusMasterId) {}

  read(address: number, dest: Uint8Array, offset: number, length: number, fetch = false): BusResponse {
    return this.access(address, dest, offset, length, false, fetch);
  }

  write(address: number, src: Uint8Array, offset: number, length: number): BusResponse {
    return this.access(address, src, offset, length, true, false);
  }

  private access(address: number, buf: Uint8Array, offset: number, length: number, write: boolean, fetch: boolean): BusResponse {
    const bus = this.bus;
    const translator = this.translator;
    if (translator === undefined) {
      const response = bus.transfer(address, buf, offset, length, write);
      if (bus.observed) bus.notify({ master: this.master, address, physical: address, write, fetch, data: buf.subarray(offset, offset + length), response });
      return response;
    }
    // Translate page by page: contiguous IOVAs need not be contiguous physically.
    while (length > 0) {
      const chunk = Math.min(length, TRANSLATION_GRANULE - (address % TRANSLATION_GRANULE));
      const physical = translator.translate(this.master, address, write, fetch);
      const response = physical < 0 ? (-physical as BusResponse) : bus.transfer(physical, buf, offset, chunk, write);
      if (bus.observed) bus.notify({ master: this.master, address, physical: physical < 0 ? -1 : physical, write, fetch, data: buf.subarray(offset, offset + chunk), response });
      if (response !== BusResponse.Okay) return response;
      address += chunk;
      offset += chunk;
      length -= chunk;
    }
    return BusResponse.Okay;
  }
}
