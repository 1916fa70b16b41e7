// A CPU running what no program is: sliding through zeroed memory (0x00000000 is `andeq r0, r0, r0`, so a kernel
// that jumped into a cleared buffer or fell off its code runs on through RAM, each new block translated, at ~1 us an
// instruction) or fetching where the platform has nothing (which reads as zero, as on QEMU's boards). A guest never
// does either on purpose; checked between the slices of a run (the instructions pay nothing), it ends the run with
// the address instead of hours at the time limit.
import { hex } from '../linux/hex';
import type { SystemMachine } from './system';

const PAGE = 0x1000;
/** Zero bytes up to the PC that make a slide: a page of them (1024 ARM instructions executed in a row at least). */
const SLIDE_BYTES = PAGE;

export interface Runaway {
  readonly cpu: number;
  readonly pc: number;
  /** Where the PC's instruction is in physical memory. */
  readonly physical: number;
  readonly kind: 'zeroed memory' | 'no memory';
}

/** The first powered, running CPU caught in a runaway, or undefined. */
export function findRunaway(system: SystemMachine): Runaway | undefined {
  const bus = system.machine.bus;
  for (const cpu of system.cpus) {
    if (!cpu.powered || cpu.waiting) continue;
    const pc = cpu.pc >>> 0;
    const physical = cpu.mmu.probe(pc);
    // A PC the MMU does not map takes a prefetch abort: the guest's own business.
    if (physical < 0) continue;
    if (bus.regionAt(physical) === undefined) return { cpu: cpu.index, pc, physical, kind: 'no memory' };
    if (pc >= SLIDE_BYTES && zeroedUpTo(system, cpu.index, pc)) return { cpu: cpu.index, pc, physical, kind: 'zeroed memory' };
  }
  return undefined;
}

/** Whether the instruction at `pc` and the page of bytes before it are RAM holding zeros, as CPU `index` maps them
 * now (the instruction first: a running kernel's is never zero). */
function zeroedUpTo(system: SystemMachine, index: number, pc: number): boolean {
  const mmu = system.cpus[index].mmu;
  let chunk = new Uint8Array(2);
  const zeroed = (at: number, length: number): boolean => {
    if (chunk.length < length) chunk = new Uint8Array(PAGE);
    const physical = mmu.probe(at);
    if (physical < 0 || !system.machine.bus.isRam(physical, length)) return false;
    system.machine.bus.memory.readBlock(physical, chunk, 0, length);
    for (let i = 0; i < length; i++) if (chunk[i] !== 0) return false;
    return true;
  };
  if (!zeroed(pc, 2)) return false;
  for (let at = pc - SLIDE_BYTES; at < pc;) {
    const length = Math.min(pc - at, PAGE - (at % PAGE));
    if (!zeroed(at, length)) return false;
    at += length;
  }
  return true;
}

/** The runaway as one line: the CPU, the addresses, what it is executing. */
export function describeRunaway(r: Runaway): string {
  const where = `pc=${hex(r.pc, 8)}${r.physical === r.pc ? '' : ` (physical ${hex(r.physical, 8)})`}`;
  return r.kind === 'zeroed memory'
    ? `cpu${r.cpu} is executing zeroed memory at ${where}: a page of 0x00000000 words (andeq r0, r0, r0) ran before it; the code jumped or fell into memory that holds no program`
    : `cpu${r.cpu} is executing at ${where}, where the platform has no memory or device; the code jumped out of RAM and ROM`;
}
