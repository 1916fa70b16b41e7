// One emulated Linux process in user mode: an ELF image in its own address space over the machine's RAM, a CPU,
// open files, and the system calls of `syscalls.ts`. Deterministic: the clock counts retired instructions and
// the random bytes come from a seeded generator.
import type { Bus } from '../bus/bus';
import { Cpu } from '../cpu/cpu';
import { disassembleAt, type HalfwordReader } from '../cpu/disasm';
import { PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, UserAddressSpace, type FrameSource } from './address-space';
import { ElfError, loadElf, parseElf, type LoadedImage } from './elf';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileTable, HostStream, type DeviceFiles, type KernelContext, type OpenFile } from './files';
import { KUSER_PAGE, kuserPage } from './kuser';
import { ENOSYS } from './errno';
import { ResourceLimits } from './resource-limits';
import { ARM_SYSCALL_NAMES } from './syscall-table';
import { ProcessExit, hex, type ProcessOutcome } from './outcome';
import { SYSCALLS } from './syscalls';
import type { Workspace } from './workspace';

/** HWCAP bits (bits/hwcap.h) for what the CPU implements: no NEON, so glibc takes its integer/VFP paths. */
export const HWCAP = {
  HALF: 1 << 1,
  THUMB: 1 << 2,
  FAST_MULT: 1 << 4,
  VFP: 1 << 6,
  EDSP: 1 << 7,
  VFPv3: 1 << 13,
  TLS: 1 << 15,
  IDIVA: 1 << 17,
  IDIVT: 1 << 18,
  VFPD32: 1 << 19,
} as const;
export const AT_HWCAP_VALUE = Object.values(HWCAP).reduce((a, b) => a | b, 0);

/** e_flags bit of executables that use the hard-float (VFP register) calling convention: armhf. */
const EF_ARM_ABI_FLOAT_HARD = 0x400;
const STACK_TOP = 0xbf000000;
const STACK_SIZE = 8 << 20;
/** Load address of the dynamic loader (PT_INTERP). */
const INTERPRETER_BASE = 0xb6f00000;
/** Load bias of a position-independent executable. */
const PIE_BASE = 0x00400000;

export interface ProcessOptions {
  readonly bus: Bus;
  /** Where the process's pages are taken from in the machine's RAM. */
  readonly frames: FrameSource;
  readonly workspace: Workspace;
  readonly devices?: DeviceFiles;
  /** argv[0] is the program's guest path. */
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly stdout: (data: Uint8Array) => void;
  readonly stderr: (data: Uint8Array) => void;
  readonly stdin?: (length: number) => Uint8Array;
  readonly terminal?: boolean;
  /** Host directory with the ARM libraries of dynamic executables (default: /usr/arm-linux-gnueabi or ...hf). */
  readonly sysroot?: string;
  /** Seed of getrandom and AT_RANDOM. */
  readonly seed?: number;
  /** Lets devices progress while the process blocks; false when nothing more can happen. */
  readonly wait?: () => boolean;
  /** Makes eventfd objects (a device model may need its own kind); default: EventFile. */
  readonly eventFile?: (initial: number, flags: number) => OpenFile;
  /** A system call with no implementation stops the process (a crash report) instead of returning -ENOSYS. */
  readonly strictSyscalls?: boolean;
  /** Messages about the program that are not its output (an unimplemented system call, once per call). */
  readonly warn?: (message: string) => void;
}

export class LinuxProcess implements KernelContext {
  readonly cpu: Cpu;
  readonly memory: UserAddressSpace;
  readonly files = new FileTable(() => this.resourceLimits.openFiles);
  readonly image: LoadedImage;
  cwd = '/';
  brkStart: number;
  brk: number;
  /** Nanoseconds slept, added to the instruction clock. */
  sleptNs = 0;
  readonly startRealtimeNs: number;
  private randomState: number;
  outcome: ProcessOutcome | undefined;
  readonly resourceLimits = new ResourceLimits();
  /** System calls without an implementation that the program made (each is reported once). */
  private readonly unimplemented = new Set<number>();

  constructor(
    readonly program: Uint8Array,
    readonly options: ProcessOptions,
  ) {
    const port = options.bus.port({ name: 'cpu0', streamId: -1 });
    this.memory = new UserAddressSpace(options.bus, port, options.frames);
    this.cpu = new Cpu(this.memory);
    this.randomState = (options.seed ?? 0x5eed1234) | 1;
    this.startRealtimeNs = 1_700_000_000 * 1e9;

    const elf = parseElf(program);
    const bias = elf.type === 3 && elf.interpreter ? PIE_BASE : 0;
    this.image = loadElf(elf, program, this.memory, bias);
    let entry = this.image.entry;
    let interpreterBase = 0;
    if (elf.interpreter) {
      entry = this.loadInterpreter(elf.interpreter, elf.flags);
      interpreterBase = INTERPRETER_BASE;
    }
    this.brkStart = this.brk = this.image.end;

    this.memory.mapAnonymous(KUSER_PAGE, PAGE_SIZE, PROT_READ | PROT_EXEC);
    this.memory.load(KUSER_PAGE, kuserPage());

    this.memory.mapAnonymous(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE);
    const sp = this.buildStack(elf.phentsize, elf.phnum, interpreterBase);
    this.cpu.r[13] = sp;
    this.cpu.pc = (entry & ~1) >>> 0;
    this.cpu.thumb = (entry & 1) === 1;

    const terminal = options.terminal ?? false;
    this.files.add(new HostStream('stdin', terminal, undefined, options.stdin));
    this.files.add(new HostStream('stdout', terminal, options.stdout));
    this.files.add(new HostStream('stderr', terminal, options.stderr));
  }

  /** The host file behind a library path of the ARM sysroot (/lib/..., /usr/lib/...), for dynamic executables. */
  sysrootPath(guestPath: string): string | undefined {
    const sysroot = this.sysroot;
    const match = /^\/(?:usr\/)?lib\/(?:arm-linux-gnueabi(?:hf)?\/)?(.+)$/.exec(guestPath);
    if (!sysroot || !match) return undefined;
    const host = path.join(sysroot, 'lib', match[1]);
    return host.startsWith(path.join(sysroot, 'lib') + path.sep) && fs.existsSync(host) ? host : undefined;
  }

  /** Where the ARM libraries of a dynamic executable come from: the option, else Debian's cross sysroot. */
  private sysroot: string | undefined;

  private loadInterpreter(guestPath: string, elfFlags: number): number {
    const hardFloat = (elfFlags & EF_ARM_ABI_FLOAT_HARD) !== 0;
    this.sysroot = this.options.sysroot ?? (hardFloat ? '/usr/arm-linux-gnueabihf' : '/usr/arm-linux-gnueabi');
    const host = this.sysrootPath(guestPath);
    if (!host) throw new ElfError(`dynamic executable: its loader ${guestPath} is not available (link with -static, or give a sysroot)`);
    const bytes = fs.readFileSync(host);
    const loaded = loadElf(parseElf(bytes), bytes, this.memory, INTERPRETER_BASE);
    return loaded.entry;
  }

  file(fd: number): OpenFile | undefined {
    return this.files.get(fd);
  }

  installFile(file: OpenFile): number {
    return this.files.add(file);
  }

  /** Deterministic pseudo-random bytes (xorshift32). */
  randomBytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let x = this.randomState;
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    this.randomState = x;
    return out;
  }

  /** Monotonic time: one nanosecond per retired instruction, plus time slept. */
  get monotonicNs(): number {
    return this.cpu.retired + this.sleptNs;
  }

  /** The initial stack: argc, argv, envp, auxv, then the strings and AT_RANDOM bytes above them. */
  private buildStack(phent: number, phnum: number, interpreterBase: number): number {
    const encoder = new TextEncoder();
    let top = STACK_TOP - 16;
    const put = (data: Uint8Array): number => {
      top -= data.length;
      this.memory.writeBytes(top, data);
      return top;
    };
    const putString = (s: string): number => put(encoder.encode(s + '\0'));
    const execfn = putString(this.options.argv[0] ?? 'program');
    const envPointers = this.options.env.map(putString);
    const argPointers = this.options.argv.map(putString);
    const platform = putString('v7l');
    top &= ~15;
    const random = put(this.randomBytes(16));
    const auxv: [number, number][] = [
      [3, this.image.phdr], [4, phent], [5, phnum], [6, PAGE_SIZE], [7, interpreterBase], [8, 0],
      [9, this.image.entry], [11, 0], [12, 0], [13, 0], [14, 0], [16, AT_HWCAP_VALUE], [17, 100], [23, 0],
      [25, random], [26, 0], [31, execfn], [15, platform], [0, 0],
    ];
    const words = [argPointers.length, ...argPointers, 0, ...envPointers, 0, ...auxv.flat()];
    const sp = (top - words.length * 4) & ~15;
    const block = new Uint8Array(words.length * 4);
    const view = new DataView(block.buffer);
    words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
    this.memory.writeBytes(sp, block);
    return sp;
  }

  /** Runs until the process exits or crashes, or `budget` instructions ran (undefined outcome then). */
  run(budget = Infinity): ProcessOutcome | undefined {
    const cpu = this.cpu;
    let remaining = budget;
    while (this.outcome === undefined && remaining > 0) {
      this.memory.revalidate();
      const ran = cpu.run(Math.min(remaining, 1_000_000));
      remaining -= ran;
      const stop = cpu.stop;
      if (stop === null) continue;
      if (stop.kind === 'svc') {
        cpu.stop = null;
        this.systemCall();
        continue;
      }
      this.outcome = this.crash(stop);
    }
    return this.outcome;
  }

  private systemCall(): void {
    const r = this.cpu.r;
    const number = r[7] >>> 0;
    const name = ARM_SYSCALL_NAMES.get(number);
    const handler = name === undefined ? undefined : SYSCALLS[name];
    if (handler === undefined) {
      if (this.options.strictSyscalls) {
        this.outcome = {
          kind: 'crash',
          signal: 31,
          reason: `unknown system call ${name ?? 'with no name'} (number ${number}) at ${hex(this.cpu.pc - (this.cpu.thumb ? 2 : 4))}`,
          registers: this.registerDump(),
        };
        return;
      }
      if (!this.unimplemented.has(number)) {
        this.unimplemented.add(number);
        this.options.warn?.(`system call ${name === undefined ? 'with no name' : `'${name}'`} (number ${number}) is not implemented: -ENOSYS`);
      }
      r[0] = -ENOSYS;
      return;
    }
    try {
      const result = handler(this, r[0], r[1], r[2], r[3], r[4], r[5]);
      r[0] = result;
    } catch (error) {
      if (error instanceof ProcessExit) this.outcome = error.outcome;
      else throw error;
    }
  }

  /** Reads a halfword of the process's memory for the disassembler (undefined where nothing readable is mapped). */
  readonly readCode: HalfwordReader = (address) => {
    try {
      return this.memory.read16(address);
    } catch {
      return undefined;
    }
  };

  private crash(stop: NonNullable<Cpu['stop']>): ProcessOutcome {
    const at = `at ${hex(this.cpu.pc)} (${this.cpu.thumb ? 'Thumb' : 'ARM'} state)`;
    switch (stop.kind) {
      case 'undefined':
        return { kind: 'crash', signal: 4, reason: `undefined instruction ${hex(stop.encoding, stop.size * 2)} ${at}: ${stop.detail}`, registers: this.registerDump() };
      case 'fault':
        return { kind: 'crash', signal: 11, reason: `bad memory access ${at}: ${stop.access} of ${hex(stop.address)}: ${stop.detail}`, registers: this.registerDump() };
      case 'breakpoint':
        return { kind: 'crash', signal: 5, reason: `breakpoint instruction (BKPT #${stop.imm}) ${at}`, registers: this.registerDump() };
      default:
        return { kind: 'crash', signal: 6, reason: `stopped ${at}`, registers: this.registerDump() };
    }
  }

  registerDump(): string {
    const r = this.cpu.r;
    const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr'];
    const lines: string[] = [];
    for (let i = 0; i < 15; i += 4) {
      lines.push(names.slice(i, i + 4).map((n, j) => `${n.padStart(3)}=${hex(r[i + j])}`).join('  '));
    }
    const c = this.cpu;
    lines[lines.length - 1] += `   pc=${hex(c.pc)}`;
    lines.push(`cpsr=${hex(c.cpsr)} (N=${c.n} Z=${c.z} C=${c.c} V=${c.v}, ${c.thumb ? 'Thumb' : 'ARM'} state)`);
    lines.push(`instruction at pc: ${disassembleAt(this.readCode, c.pc, c.thumb, c.it)?.text ?? '(not readable)'}`);
    return lines.join('\n');
  }
}
