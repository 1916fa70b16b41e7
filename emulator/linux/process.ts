// One emulated Linux process in user mode: an ELF image in its own address space over the machine's RAM, its
// threads on one CPU, open files, and the system calls of `syscalls.ts`. It runs on the machine's timeline: the CPU
// executes in quanta and brings the devices to its instant after each one and before each device register access;
// a thread that blocks lets the others run, and when none can, the timeline skips to the next event. Deterministic:
// time is the timeline's, the scheduling order fixed, the random bytes come from a seeded generator.
import type { Bus } from '../bus/bus';
import { Cpu } from '../cpu/cpu';
import { BareTimeline, PICOSECONDS_PER_NANOSECOND, type Timeline } from '../machine/clock';
import { disassembleAt, type HalfwordReader } from '../cpu/disasm';
import { PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, UserAddressSpace, type FrameSource } from './address-space';
import { ElfError, loadElf, parseElf, type LoadedImage } from './elf';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileTable, HostStream, type DeviceFiles, type OpenFile, type UserContext, type UserPage } from './files';
import { MemoryFault } from '../cpu/memory';
import { KUSER_PAGE, kuserPage } from './kuser';
import { EINTR, ENOSYS } from './errno';
import { ResourceLimits } from './resource-limits';
import { ARM_SYSCALL_NAMES } from './syscall-table';
import { ProcessExit, type ProcessOutcome } from './outcome';
import { hex } from './hex';
import { SYSCALLS } from './syscalls';
import { SIGNAL_SYSCALLS } from './signal-calls';
import { BLOCKED, FutexQueues, LinuxThread, RESTART, type ThreadWait } from './threads';
import { ProcessSignals, SIGNALS, deliverSignals, deliverable, faultSignal, fireDueTimers, handOverSignals, interruptingSignal, restartsCalls } from './signals';
import type { Workspace } from './workspace';

/** A kernel copy to or from user memory: `failed` where the memory is not mapped for it. */
function faultless<T>(copy: () => T, failed: T): T {
  try {
    return copy();
  } catch (error) {
    if (error instanceof MemoryFault) return failed;
    throw error;
  }
}

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
/** Debian's cross libc for each float ABI: the default sysroot, and the package a missing loader names. */
const CROSS_LIBC = {
  hardFloat: { sysroot: '/usr/arm-linux-gnueabihf', package: 'libc6-armhf-cross' },
  softFloat: { sysroot: '/usr/arm-linux-gnueabi', package: 'libc6-armel-cross' },
} as const;
const SYSROOT_FLAG = (directory: string): string => `--sysroot ${directory}`;
/** A library path of the ARM sysroot (/lib/..., /usr/lib/..., multiarch or not): the name under the sysroot's lib/. */
const SYSROOT_LIBRARY = /^\/(?:usr\/)?lib\/(?:arm-linux-gnueabi(?:hf)?\/)?(.+)$/;
const STACK_TOP = 0xbf000000;
const STACK_SIZE = 8 << 20;
/** Load address of the dynamic loader (PT_INTERP). */
const INTERPRETER_BASE = 0xb6f00000;
/** Load bias of a position-independent executable. */
const PIE_BASE = 0x00400000;
/** Instructions a CPU runs before it brings the devices to its instant (10 µs at 1 GHz): DMA progress in memory that
 * a thread polls (no register access) becomes visible within one quantum. Quanta end at multiples of QUANTUM retired
 * instructions, however a caller splits its budget, so the debugger's single steps interleave as a straight run. */
const QUANTUM = 10_000;
/** Instructions a thread runs before the next runnable one gets the CPU (1 ms at 1 GHz). */
const TIMESLICE = 1_000_000;
/** The main thread's ID, which is also the process ID. */
const MAIN_TID = 1;

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
  /** How the user gives `sysroot`, shown with a directory when a loader is missing (default: the CLI's `--sysroot DIR`). */
  readonly sysrootSetting?: (directory: string) => string;
  /** Seed of getrandom and AT_RANDOM. */
  readonly seed?: number;
  /** The machine's timeline (default: one with no devices, where only the CPU and sleeps move time). */
  readonly timeline?: Timeline;
  /** A system call with no implementation stops the process (a crash report) instead of returning -ENOSYS. */
  readonly strictSyscalls?: boolean;
  /** Messages about the program that are not its output (an unimplemented system call, once per call). */
  readonly warn?: (message: string) => void;
  /** Instructions between two syncs with the timeline (default QUANTUM). Infinity runs the CPU as it ran before the
   * machine had one clock, syncing only at system calls and timeslice ends: the CPU benchmark measures the clock's cost
   * against it. */
  readonly quantum?: number;
}

export class LinuxProcess implements UserContext {
  readonly cpu: Cpu;
  readonly memory: UserAddressSpace;
  readonly files = new FileTable(() => this.resourceLimits.openFiles);
  readonly image: LoadedImage;
  cwd = '/';
  brkStart: number;
  brk: number;
  readonly timeline: Timeline;
  /** The process ID (the thread group's): the main thread's ID, which stays the process's after that thread exits. */
  readonly pid = MAIN_TID;
  /** Live threads in creation order (the round-robin order); the first is the main thread while it lives. */
  readonly threads: LinuxThread[] = [new LinuxThread(MAIN_TID)];
  /** The thread whose registers the CPU holds. */
  current: LinuxThread = this.threads[0];
  readonly futexes = new FutexQueues();
  /** Signal actions, signals pending for the process, the timers (each thread has its own mask and pending ones). */
  readonly signals = new ProcessSignals();
  private nextTid = MAIN_TID + 1;
  /** Instructions left of the current thread's timeslice. */
  private sliceLeft = TIMESLICE;
  private readonly quantum: number;
  /** The CPU was last at the timeline's present (at a quantum's end or a wait's) at this instant, with this count. */
  private syncTime = 0;
  private syncRetired = 0;
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
    this.cpu.translateLoopsSooner = true;
    this.timeline = options.timeline ?? new BareTimeline();
    this.quantum = options.quantum ?? QUANTUM;
    this.memory.beforeDeviceAccess = () => this.timeline.advanceTo(this.cpuTime());
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
    const match = SYSROOT_LIBRARY.exec(guestPath);
    if (!sysroot || !match) return undefined;
    const host = path.join(sysroot, 'lib', match[1]);
    return host.startsWith(path.join(sysroot, 'lib') + path.sep) && fs.existsSync(host) ? host : undefined;
  }

  /** Where the ARM libraries of a dynamic executable come from: the option, else Debian's cross sysroot. */
  private sysroot: string | undefined;

  /** The loader from the sysroot, else from the workspace (a root file system given as the workspace has its own). */
  private loadInterpreter(guestPath: string, elfFlags: number): number {
    const crossLibc = CROSS_LIBC[(elfFlags & EF_ARM_ABI_FLOAT_HARD) !== 0 ? 'hardFloat' : 'softFloat'];
    this.sysroot = this.options.sysroot ?? crossLibc.sysroot;
    const inWorkspace = this.options.workspace.resolve(guestPath, '/', true);
    const host = this.sysrootPath(guestPath) ?? (typeof inWorkspace !== 'number' && inWorkspace.stats?.isFile() ? inWorkspace.host : undefined);
    if (!host) {
      const library = SYSROOT_LIBRARY.exec(guestPath)?.[1];
      const inWorkspaceAt = `the workspace (${path.join(this.options.workspace.root, guestPath)})`;
      const where = library === undefined ? `not in ${inWorkspaceAt}` : `in neither the sysroot (${path.join(this.sysroot, 'lib', library)}) nor ${inWorkspaceAt}`;
      throw new ElfError(`dynamic executable: its loader ${guestPath} is ${where}; give the sysroot of an ARM libc (Debian's ${crossLibc.package}: ${(this.options.sysrootSetting ?? SYSROOT_FLAG)(crossLibc.sysroot)}) or link with -static`);
    }
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

  readMemory(vaddr: number, length: number): Uint8Array | undefined {
    return faultless<Uint8Array | undefined>(() => this.memory.readBytes(vaddr >>> 0, length), undefined);
  }

  writeMemory(vaddr: number, data: Uint8Array): boolean {
    return faultless(() => { this.memory.writeBytes(vaddr >>> 0, data); return true; }, false);
  }

  readString(vaddr: number, max?: number): string | undefined {
    return faultless<string | undefined>(() => this.memory.readCString(vaddr >>> 0, max), undefined);
  }

  /** The page at vaddr, pinned (a device may DMA to it), or undefined where nothing is mapped. */
  pageOf(vaddr: number): UserPage | undefined {
    const physical = this.memory.pin((vaddr >>> 0) & ~(PAGE_SIZE - 1));
    return physical < 0 ? undefined : { physical, prot: this.memory.protection(vaddr >>> 0) };
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

  /** The CPU's instant on the timeline (picoseconds): its last sync plus the instructions retired since. */
  cpuTime(): number {
    return this.syncTime + (this.cpu.retiredNow - this.syncRetired) * this.timeline.cpuPeriod;
  }

  /** Brings the devices to the CPU's instant (or the CPU to the devices', after a wait). */
  private sync(): void {
    this.timeline.advanceTo(this.cpuTime());
    this.syncTime = this.timeline.now;
    this.syncRetired = this.cpu.retired;
    this.signalsAtSync();
  }

  /** At a quantum's end: the timers due fire, and the running thread takes the signals it can. */
  private signalsAtSync(): void {
    fireDueTimers(this, this.timeline.now);
    const thread = this.current;
    // Nothing pending is the common case: two comparisons, no BigInt arithmetic per quantum.
    if (thread.signals.pending.set === 0n && this.signals.pending.set === 0n) return;
    if (thread.wait === undefined && !thread.exited && this.outcome === undefined && deliverable(this, thread) !== 0n) deliverSignals(this);
  }

  /** Monotonic time since the machine started, in nanoseconds. */
  get monotonicNs(): number {
    return Math.floor(this.cpuTime() / PICOSECONDS_PER_NANOSECOND);
  }

  /** The initial stack: argc, argv, envp, auxv, then the strings and AT_RANDOM bytes above them. */
  private buildStack(phent: number, phnum: number, interpreterBase: number): number {
    // Laid out as qemu-arm does after Linux's execve, so that strings sit at the same alignments (glibc's string
    // routines take alignment-dependent paths over them): the executable's name at the top (8 bytes below the stack
    // end; Linux leaves 4), the environment and then the argument strings below it, each list in ascending order, the
    // platform string right below them and the AT_RANDOM bytes 16-byte aligned below that.
    const encoder = new TextEncoder();
    let top = STACK_TOP - 8;
    const put = (data: Uint8Array): number => {
      top -= data.length;
      this.memory.writeBytes(top, data);
      return top;
    };
    const putString = (s: string): number => put(encoder.encode(s + '\0'));
    const putStrings = (strings: readonly string[]): number[] => [...strings].reverse().map(putString).reverse();
    const execfn = putString(this.options.argv[0] ?? 'program');
    const envPointers = putStrings(this.options.env);
    const argPointers = putStrings(this.options.argv);
    const platform = putString('v7l');
    top = (top - 16) & ~15;
    const random = top;
    this.memory.writeBytes(random, this.randomBytes(16));
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

  /**
   * Runs until the process exits or crashes, or `budget` instructions ran (undefined outcome then). The current
   * thread runs in quanta until it blocks, exits or its timeslice ends; then the next thread in creation order that
   * can run gets the CPU; when none can, the timeline runs until a wait ends.
   */
  run(budget = Infinity): ProcessOutcome | undefined {
    // One call of `step` per quantum: V8 optimizes it for its next call (a loop body here would need on-stack
    // replacement, which `dmalab run-elf` turns off: cli/launcher.ts).
    for (let remaining = budget; this.outcome === undefined && remaining > 0; ) remaining -= this.step(remaining);
    return this.outcome;
  }

  /** Runs the current thread for a quantum at most (then its system call), or waits; returns the instructions' time that passed. */
  private step(remaining: number): number {
    const cpu = this.cpu;
    // Time spent waiting counts against the budget as the instructions the CPU could have run meanwhile.
    if (this.current.wait !== undefined || this.current.exited || this.sliceLeft <= 0) return this.yieldCpu(remaining);
    this.memory.revalidate();
    const quantumEnd = (Math.floor(cpu.retired / this.quantum) + 1) * this.quantum;
    const ran = cpu.run(Math.min(remaining, quantumEnd - cpu.retired, this.sliceLeft));
    this.sliceLeft -= ran;
    if (cpu.retired === quantumEnd) this.sync();
    const stop = cpu.stop;
    if (stop === null) return ran;
    if (stop.kind === 'svc') {
      cpu.stop = null;
      this.systemCall();
      return ran;
    }
    this.outcome = this.crash(stop);
    return ran;
  }

  /**
   * While the current thread cannot run (it waits, or exited): gives the CPU to one that can, letting the machine run
   * until a wait ends, for at most `budget` instructions' time; runs no instruction. Returns the instructions' time
   * that passed. A debugger stepping one instruction at a time waits this way instead of a period per step.
   */
  idle(budget: number): number {
    if (this.outcome !== undefined || (this.current.wait === undefined && !this.current.exited)) return 0;
    return this.yieldCpu(budget);
  }

  /** The next thread that can run gets the CPU, the machine running while none can (`budget` instructions' time at most); returns the time that passed. */
  private yieldCpu(budget: number): number {
    this.sync();
    const before = this.timeline.now;
    this.reschedule(before + budget * this.timeline.cpuPeriod);
    this.syncTime = this.timeline.now;
    this.syncRetired = this.cpu.retired;
    return Math.floor((this.timeline.now - before) / this.timeline.cpuPeriod);
  }

  /** The calling thread waits (a system call handler returns this): see ThreadWait. */
  block(wait: ThreadWait): number {
    this.current.wait = wait;
    return BLOCKED;
  }

  /** clone(CLONE_VM | CLONE_THREAD): a thread with a copy of the caller's registers, r0 = 0 and its own stack. */
  spawnThread(stack: number, tls: number | undefined): LinuxThread {
    const thread = new LinuxThread(this.nextTid++);
    const context = this.cpu.snapshot();
    context.r[0] = 0;
    thread.signals.blocked = this.current.signals.blocked;
    if (stack !== 0) context.r[13] = stack;
    thread.context = tls === undefined ? context : { ...context, tpidruro: tls };
    this.threads.push(thread);
    return thread;
  }

  /** exit(2) of one thread: the process ends with the last one. */
  exitThread(status: number): number {
    if (this.threads.length === 1) throw new ProcessExit({ kind: 'exit', status: status & 0xff });
    const thread = this.current;
    thread.exited = true;
    this.threads.splice(this.threads.indexOf(thread), 1);
    handOverSignals(this, thread);
    if (thread.clearChildTid !== 0) {
      // What pthread_join waits for: the kernel zeroes the thread ID word and wakes its futex.
      try {
        this.memory.write32(thread.clearChildTid >>> 0, 0);
        this.futexes.wake(thread.clearChildTid >>> 0, 1);
      } catch {
        // An unmapped word is ignored, as Linux ignores the fault.
      }
    }
    return BLOCKED;
  }

  /** Gives the CPU to the next thread that can run, letting the machine run while none can (until `limit` at most). */
  private reschedule(limit: number): void {
    const threads = this.threads;
    while (this.timeline.now < limit) {
      fireDueTimers(this, this.timeline.now);
      if (this.outcome !== undefined) return;
      const from = threads.indexOf(this.current);
      for (let k = 1; k <= threads.length; k++) {
        const thread = threads[(from + k) % threads.length];
        const wait = thread.wait;
        if (wait === undefined || wait.ready() || this.timeline.now >= wait.deadline || interruptingSignal(this, thread) !== undefined) {
          this.switchTo(thread);
          return;
        }
      }
      let deadline = this.signals.nextDeadline();
      for (const t of threads) deadline = Math.min(deadline, t.wait!.deadline);
      const result = this.timeline.waitUntil(() => threads.some((t) => t.wait!.ready()), deadline, limit);
      if (result === 'idle') {
        const waits = threads.map((t) => (threads.length > 1 ? `thread ${t.tid}: ` : '') + t.wait!.what).join('; ');
        this.outcome = { kind: 'crash', signal: 6, reason: `blocked forever: ${waits} — nothing left running can produce what ${threads.length > 1 ? 'they wait' : 'it waits'} for`, registers: this.registerDump() };
        return;
      }
    }
  }

  private switchTo(thread: LinuxThread): void {
    if (thread !== this.current) {
      if (!this.current.exited) this.current.context = this.cpu.snapshot();
      this.cpu.restore(thread.context!);
      // A context switch clears the exclusive monitor, as Linux's does (CLREX).
      this.cpu.exclusiveAddress = -1;
      thread.context = undefined;
      this.current = thread;
    }
    this.sliceLeft = TIMESLICE;
    const wait = thread.wait;
    if (wait !== undefined) {
      thread.wait = undefined;
      const signal = wait.ready() || this.timeline.now >= wait.deadline ? undefined : interruptingSignal(this, thread);
      if (signal !== undefined) this.interruptWait(wait, signal);
      else {
        const result = wait.finish(!wait.ready());
        if (result === RESTART) return this.systemCall();
        if (result !== BLOCKED) this.cpu.r[0] = result;
      }
    }
    if (thread.wait === undefined) deliverSignals(this);
  }

  /** A signal ends the current thread's wait before it completes: the call fails with EINTR, or goes back to its SVC
   * to be executed again when the handler returns (SA_RESTART). */
  private interruptWait(wait: ThreadWait, signal: number): void {
    const restart = restartsCalls(this, signal);
    const result = wait.interrupted ? wait.interrupted(restart) : restart ? RESTART : -EINTR;
    if (result === RESTART) this.cpu.pc = this.cpu.next = this.cpu.pc - (this.cpu.thumb ? 2 : 4);
    else this.cpu.r[0] = result;
  }

  /** Back to user space after a system call: a wait that a pending signal would end ends at once, and the thread
   * takes its signals. */
  private afterSystemCall(): void {
    const thread = this.current;
    if (this.outcome !== undefined || thread.exited) return;
    const wait = thread.wait;
    if (wait !== undefined) {
      const signal = wait.ready() ? undefined : interruptingSignal(this, thread);
      if (signal === undefined) return;
      thread.wait = undefined;
      this.interruptWait(wait, signal);
    }
    deliverSignals(this);
  }

  private systemCall(): void {
    const r = this.cpu.r;
    const number = r[7] >>> 0;
    const name = ARM_SYSCALL_NAMES.get(number);
    const handler = name === undefined ? undefined : SYSCALLS[name] ?? SIGNAL_SYSCALLS[name];
    if (handler === undefined) {
      if (this.options.strictSyscalls) {
        this.outcome = {
          kind: 'crash',
          signal: 31,
          reason: `unknown system call ${name ?? 'with no name'} (number ${number}) at ${hex(this.cpu.pc - (this.cpu.thumb ? 2 : 4), 8)}`,
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
      if (result !== BLOCKED) r[0] = result;
    } catch (error) {
      if (error instanceof ProcessExit) this.outcome = error.outcome;
      else throw error;
    }
    this.afterSystemCall();
  }

  /** Reads a halfword of the process's memory for the disassembler (undefined where nothing readable is mapped). */
  readonly readCode: HalfwordReader = (address) => {
    try {
      return this.memory.read16(address);
    } catch {
      return undefined;
    }
  };

  /** The end of a process whose CPU stopped on an exception, or undefined when the program handles the signal it
   * raises (the handler then runs with the registers of the instruction that faulted). */
  private crash(stop: NonNullable<Cpu['stop']>): ProcessOutcome | undefined {
    if (this.handlesException(stop)) {
      this.cpu.stop = null;
      return undefined;
    }
    const at = `at ${hex(this.cpu.pc, 8)} (${this.cpu.thumb ? 'Thumb' : 'ARM'} state)`;
    switch (stop.kind) {
      case 'undefined':
        return { kind: 'crash', signal: 4, reason: `undefined instruction ${hex(stop.encoding, stop.size * 2)} ${at}: ${stop.detail}`, registers: this.registerDump() };
      case 'fault':
        return { kind: 'crash', signal: 11, reason: `bad memory access ${at}: ${stop.access} of ${hex(stop.address, 8)}: ${stop.detail}`, registers: this.registerDump() };
      case 'breakpoint':
        return { kind: 'crash', signal: 5, reason: `breakpoint instruction (BKPT #${stop.imm}) ${at}`, registers: this.registerDump() };
      default:
        return { kind: 'crash', signal: 6, reason: `stopped ${at}`, registers: this.registerDump() };
    }
  }

  private handlesException(stop: NonNullable<Cpu['stop']>): boolean {
    const pc = this.cpu.pc >>> 0;
    switch (stop.kind) {
      case 'fault': // si_code SEGV_MAPERR where nothing is mapped, SEGV_ACCERR where the access is not allowed
        return faultSignal(this, SIGNALS.SIGSEGV, this.memory.protection(stop.address >>> 0) === 0 ? 1 : 2, stop.address, 'a bad memory access');
      case 'undefined': // ILL_ILLOPC
        return faultSignal(this, SIGNALS.SIGILL, 1, pc, 'an undefined instruction');
      case 'breakpoint': // TRAP_BRKPT
        return faultSignal(this, SIGNALS.SIGTRAP, 1, pc, 'a breakpoint instruction');
      default:
        return false;
    }
  }

  registerDump(): string {
    const r = this.cpu.r;
    const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr'];
    const lines: string[] = [];
    for (let i = 0; i < 15; i += 4) {
      lines.push(names.slice(i, i + 4).map((n, j) => `${n.padStart(3)}=${hex(r[i + j], 8)}`).join('  '));
    }
    const c = this.cpu;
    lines[lines.length - 1] += `   pc=${hex(c.pc, 8)}`;
    lines.push(`cpsr=${hex(c.cpsr, 8)} (N=${c.n} Z=${c.z} C=${c.c} V=${c.v}, ${c.thumb ? 'Thumb' : 'ARM'} state)`);
    lines.push(`instruction at pc: ${disassembleAt(this.readCode, c.pc, c.thumb, c.it)?.text ?? '(not readable)'}`);
    return lines.join('\n');
  }
}
