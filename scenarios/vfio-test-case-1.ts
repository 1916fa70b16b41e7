// The VFIO_PLATFORM guide's Test Case 1, a VFIO_PLATFORM userspace driver for a DMA-330 behind the MMU-400, as a program of the
// host-kernel model; and its isolation counterpart, where the microcode aims at an IOVA that is not mapped: the
// SMMU faults, the DMAC aborts, and physical memory stays exactly as it was.
import { debugGo, writeDebugInstruction } from '../emulator/pl330/debug';
import { FAULT_BITS } from '../emulator/pl330/faults';
import { PL330_REGISTER_MAP } from '../emulator/pl330/registers';
import type { Machine } from '../emulator/machine/machine';
import { assemble } from '../server/pl330/assembler';
import { VFIO_DMA_MAP_FLAGS, VFIO_IOCTL, VFIO_IRQ_SET_FLAGS, VFIO_STRUCTS } from '../emulator/vfio/uapi';
import {
  ScenarioFailure, ScenarioOutput, ScenarioResult, ScenarioSteps, StepLog, VfioSession, allocate, armInterrupt, bindToVfio, bootHost, changedPages, mapDma, openVfioDevice, readable,
  runSteps, runThrough, unmapDma,
} from './vfio-session';

export interface TestCase1Options {
  /** The DMAC to drive (Linux device name); default: the first in the devicetree. */
  readonly device?: string;
  /** Bytes to copy: a multiple of 16 up to 64 KiB. */
  readonly bytes?: number;
  /** IOVAs of the source, destination and microcode buffers. */
  readonly sourceIova?: number;
  readonly destinationIova?: number;
  readonly codeIova?: number;
}

/** The buffers' sizes and IOVAs unless the options say otherwise (the debugger's tests find the microcode by them). */
export const DEFAULTS = { bytes: 4096, sourceIova: 0x10000000, destinationIova: 0x20000000, codeIova: 0x30000000 };
/** Where the isolation scenario aims its copy. */
export const DEFAULT_UNMAPPED_IOVA = 0x50000000;
const reg = (name: string): number => PL330_REGISTER_MAP.named(name)!.offset;

/** Memory-to-memory copy microcode: 16-byte bursts (4 beats of 4 bytes), then DMASEV 0. */
export function copyMicrocode(source: number, destination: number, bytes: number): Uint8Array {
  const bursts = bytes / 16;
  const outer = Math.ceil(bursts / 256);
  const inner = bursts / outer;
  if (!Number.isInteger(inner) || bytes % 16 !== 0) throw new RangeError(`cannot copy ${bytes} bytes in 16-byte bursts with two loop levels`);
  const text = [
    'DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI',
    `DMAMOV SAR, 0x${source.toString(16)}`,
    `DMAMOV DAR, 0x${destination.toString(16)}`,
    `DMALP ${outer}`,
    `DMALP ${inner}`,
    'DMALD',
    'DMAST',
    'DMALPEND',
    'DMALPEND',
    'DMAWMB',
    'DMASEV 0',
    'DMAEND',
  ].join('\n');
  const result = assemble(text, { base: 0 });
  if (result.errorCount > 0) throw new Error(`microcode: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.programs[0].bytes;
}

function pattern(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Writes the microcode, starts channel 0 through the debug registers (DMAGO), as the program does via its mmap. */
function startChannel0(s: VfioSession, codeIova: number, log: StepLog): void {
  const proc = s.proc;
  log.expect((proc.read32(s.registers + reg('DBGSTATUS')) & 1) === 0, 'DBGSTATUS: the debug interface is busy');
  writeDebugInstruction((offset, value) => proc.write32(s.registers + offset, value), debugGo(0, codeIova));
}

function describeChannelFault(s: VfioSession): string {
  const ftr = s.proc.read32(s.registers + reg('FTR0'));
  const names = FAULT_BITS.filter((f) => f.threads.includes('channel') && ftr & (1 << f.bit)).map((f) => f.name);
  return `FTR0=0x${ftr.toString(16)} (${names.join(', ') || 'none'})`;
}

export function vfioTestCase1(machine: Machine, out: ScenarioOutput, options: TestCase1Options = {}): ScenarioResult {
  return runThrough(machine, vfioTestCase1Steps(machine, out, options));
}

/** Test Case 1 as steps: the machine runs while the program blocks in read(eventfd). */
export function vfioTestCase1Steps(machine: Machine, out: ScenarioOutput, options: TestCase1Options = {}): ScenarioSteps {
  const o = { ...DEFAULTS, ...options };
  return runSteps(out, function* (log) {
    const name = options.device ?? machine.dmacs[0]?.description.name;
    log.expect(name !== undefined, 'the platform has no DMA-330');
    const { kernel, proc } = bootHost(machine, log);
    kernel.onLog = (line) => log.note(`kernel: ${line}`);
    const groupId = bindToVfio(kernel, proc, name!, log);
    const s = openVfioDevice(kernel, proc, name!, groupId, log);
    log.step(`allocate source, destination (${o.bytes} bytes each) and microcode buffers`);
    const src = allocate(s, o.bytes, log), dst = allocate(s, o.bytes, log), code = allocate(s, 4096, log);
    const data = pattern(o.bytes, 0x330);
    log.expect(proc.writeMemory(src, data), 'cannot fill the source buffer');
    log.step(`VFIO_IOMMU_MAP_DMA: source 0x${src.toString(16)} -> IOVA 0x${o.sourceIova.toString(16)} (read), destination 0x${dst.toString(16)} -> IOVA 0x${o.destinationIova.toString(16)} (write), microcode 0x${code.toString(16)} -> IOVA 0x${o.codeIova.toString(16)} (read)`);
    log.check('MAP_DMA source', mapDma(s, src, o.sourceIova, o.bytes, VFIO_DMA_MAP_FLAGS.READ));
    log.check('MAP_DMA destination', mapDma(s, dst, o.destinationIova, o.bytes, VFIO_DMA_MAP_FLAGS.READ | VFIO_DMA_MAP_FLAGS.WRITE));
    log.check('MAP_DMA microcode', mapDma(s, code, o.codeIova, 4096, VFIO_DMA_MAP_FLAGS.READ));
    const microcode = copyMicrocode(o.sourceIova, o.destinationIova, o.bytes);
    log.step(`write ${microcode.length} bytes of microcode (DMAMOV SAR/DAR/CCR, DMALP, DMALD, DMAST, DMALPEND, DMASEV 0, DMAEND)`);
    log.expect(proc.writeMemory(code, microcode), 'cannot write the microcode');
    log.step('eventfd + VFIO_DEVICE_SET_IRQS(index 0, ACTION_TRIGGER | DATA_EVENTFD); INTEN = 1');
    const efd = armInterrupt(s, 0, log);
    proc.write32(s.registers + reg('INTEN'), 1);
    log.step(`DMAGO channel 0 at IOVA 0x${o.codeIova.toString(16)} through DBGINST0/DBGINST1/DBGCMD`);
    startChannel0(s, o.codeIova, log);
    log.step('read(eventfd): wait for the DMA-330 interrupt');
    yield readable(proc, efd);
    const r = proc.read(efd, 8);
    if (typeof r === 'number') throw new ScenarioFailure(`no interrupt: the transfer never signalled event 0; ${describeChannelFault(s)}`);
    log.note(`eventfd counter ${new DataView(r.buffer).getBigUint64(0, true)}; INTMIS=0x${proc.read32(s.registers + reg('INTMIS')).toString(16)}`);
    log.step('INTCLR = 1, VFIO_DEVICE_SET_IRQS(ACTION_UNMASK)');
    proc.write32(s.registers + reg('INTCLR'), 1);
    log.check('unmask', s.user.ioctlStruct(s.device, VFIO_IOCTL.DEVICE_SET_IRQS, VFIO_STRUCTS.irq_set, {
      flags: VFIO_IRQ_SET_FLAGS.DATA_NONE | VFIO_IRQ_SET_FLAGS.ACTION_UNMASK, index: 0, start: 0, count: 1,
    }).ret);
    log.step('compare the destination with the source');
    const copied = proc.readMemory(dst, o.bytes)!;
    const firstDiff = copied.findIndex((b, i) => b !== data[i]);
    log.expect(firstDiff < 0, `destination differs from the source at byte ${firstDiff} (0x${copied[firstDiff]?.toString(16)} != 0x${data[firstDiff]?.toString(16)})`);
    log.note(`${o.bytes} bytes copied correctly`);
    log.step('VFIO_IOMMU_UNMAP_DMA the three buffers, close the device, group and container');
    for (const [iova, size] of [[o.sourceIova, o.bytes], [o.destinationIova, o.bytes], [o.codeIova, 4096]]) {
      const u = unmapDma(s, iova, size);
      log.check('UNMAP_DMA', u.ret);
      log.expect(u.size === BigInt(size), `UNMAP_DMA at 0x${iova.toString(16)} unmapped ${u.size} bytes, not ${size}`);
    }
    proc.exit();
  });
}

export type IsolationOptions = TestCase1Options & { readonly unmappedIova?: number };

/**
 * Isolation: the same driver, but the microcode copies to an IOVA nothing is mapped at. The SMMU must fault the
 * write (context fault logged by the host), the DMAC must abort the channel, and no byte of memory may change.
 */
export function vfioIsolation(machine: Machine, out: ScenarioOutput, options: IsolationOptions = {}): ScenarioResult {
  return runThrough(machine, vfioIsolationSteps(machine, out, options));
}

/** The isolation scenario as steps: the machine runs while the program waits for irq_abort, then until it stops. */
export function vfioIsolationSteps(machine: Machine, out: ScenarioOutput, options: IsolationOptions = {}): ScenarioSteps {
  const o = { ...DEFAULTS, unmappedIova: DEFAULT_UNMAPPED_IOVA, ...options };
  return runSteps(out, function* (log) {
    const name = options.device ?? machine.dmacs[0]?.description.name;
    log.expect(name !== undefined, 'the platform has no DMA-330');
    const { kernel, proc } = bootHost(machine, log);
    const faults: string[] = [];
    kernel.onLog = (line) => {
      if (line.includes('context fault')) faults.push(line);
      log.note(`kernel: ${line}`);
    };
    const s = openVfioDevice(kernel, proc, name!, bindToVfio(kernel, proc, name!, log), log);
    const src = allocate(s, o.bytes, log), code = allocate(s, 4096, log);
    log.expect(proc.writeMemory(src, pattern(o.bytes, 7)), 'cannot fill the source buffer');
    log.step(`map only the source (IOVA 0x${o.sourceIova.toString(16)}) and the microcode; aim the copy at unmapped IOVA 0x${o.unmappedIova.toString(16)}`);
    log.check('MAP_DMA source', mapDma(s, src, o.sourceIova, o.bytes, VFIO_DMA_MAP_FLAGS.READ));
    log.check('MAP_DMA microcode', mapDma(s, code, o.codeIova, 4096, VFIO_DMA_MAP_FLAGS.READ));
    log.expect(proc.writeMemory(code, copyMicrocode(o.sourceIova, o.unmappedIova, o.bytes)), 'cannot write the microcode');
    // The abort interrupt, when the devicetree gives it to the device, reports the fault through its own eventfd.
    const abortIndex = machine.dmac(name!)!.description.interrupts.findIndex((i) => i.output === 'abort');
    const abortFd = abortIndex >= 0 ? armInterrupt(s, abortIndex, log) : -1;
    const before = machine.bus.memory.snapshot();
    log.step(abortFd >= 0 ? `DMAGO channel 0; read(eventfd) of IRQ ${abortIndex} (irq_abort)` : 'DMAGO channel 0; run until the DMAC stops');
    startChannel0(s, o.codeIova, log);
    if (abortFd >= 0) {
      yield readable(proc, abortFd);
      log.expect(typeof proc.read(abortFd, 8) !== 'number', 'irq_abort never fired: the write to the unmapped IOVA was not stopped');
    }
    yield { what: 'whatever the DMAC still does, before memory is compared' };
    const faulting = (proc.read32(s.registers + reg('FSRC')) & 1) !== 0;
    log.note(`FSRC=0x${proc.read32(s.registers + reg('FSRC')).toString(16)}, ${describeChannelFault(s)}`);
    log.expect(faulting, 'channel 0 did not fault: the write to the unmapped IOVA was not stopped');
    log.expect(faults.length > 0, 'the SMMU reported no context fault');
    log.step('compare all of physical memory with its state before DMAGO');
    const after = machine.bus.memory.snapshot();
    const changed = changedPages(before, after);
    log.expect(changed.length === 0, `memory changed in ${changed.length} page(s), first at 0x${((changed[0] ?? 0) * 4096).toString(16)}`);
    log.note('no byte of physical memory changed');
    proc.exit();
  });
}
