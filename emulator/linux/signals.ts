// POSIX signals of the user-mode Linux, delivered as Linux/ARM delivers them: a signal is generated for the process
// (kill, a timer) or one thread (tgkill, a fault), stays pending while blocked, and is acted on when its thread next
// returns to user space (after a system call, at the end of a quantum, when the thread gets the CPU). A handler runs
// on a signal frame pushed on the thread's stack (struct rt_sigframe, or struct sigframe without SA_SIGINFO: the
// interrupted registers, mask and VFP state), returning through its restorer to sigreturn/rt_sigreturn, which
// restores them all. A wait in a blocking system call ends early for a signal that is not blocked: with -EINTR, or
// executed again after the handler (SA_RESTART). The layouts are the kernel's ABI (arch/arm/include/asm/ucontext.h,
// sigcontext.h, user.h); the code is ours.
import type { CpuState } from '../cpu/state';
import { EINVAL, ENOMEM, EPERM } from './errno';
import { KUSER_PAGE } from './kuser';
import type { LinuxProcess } from './process';
import type { LinuxThread } from './threads';

/** Linux's signal numbers on ARM, by name: the one table the names, default actions and reports derive from. */
export const SIGNALS = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19,
  SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
} as const;
const { SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGKILL, SIGSEGV, SIGSTOP, SIGALRM, SIGSYS } = SIGNALS;
const SIGRTMIN = 32;
export const NSIG = 64;

/** The name of a signal: `SIGSEGV`, `SIGRTMIN+3`, or `signal N`. */
function signalName(signal: number): string {
  const name = Object.entries(SIGNALS).find(([, n]) => n === signal)?.[0];
  if (name) return name;
  return signal >= SIGRTMIN && signal <= NSIG ? `SIGRTMIN+${signal - SIGRTMIN}` : `signal ${signal}`;
}

/** Signals whose default action is to do nothing (SIGCONT: there is no job control; a stop signal stops nothing
 * either, as no shell could continue the process). Every other signal's default ends the process. */
const IGNORED_BY_DEFAULT = new Set<number>([SIGNALS.SIGCHLD, SIGNALS.SIGURG, SIGNALS.SIGWINCH, SIGNALS.SIGCONT, SIGSTOP, SIGNALS.SIGTSTP, SIGNALS.SIGTTIN, SIGNALS.SIGTTOU]);
/** Signals a fault raises: taken before any other pending one, as Linux does. */
const SYNCHRONOUS = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS];

const SIG_DFL = 0;
const SIG_IGN = 1;
const SA_SIGINFO = 0x4;
const SA_ONSTACK = 0x08000000;
const SA_RESTART = 0x10000000;
const SA_NODEFER = 0x40000000;
const SA_RESETHAND = 0x80000000;
const SA_RESTORER = 0x04000000;
const SS_ONSTACK = 1;
const SS_DISABLE = 2;
const SS_AUTODISARM = 0x80000000;
/** The smallest alternate stack sigaltstack accepts (MINSIGSTKSZ). */
const MINSIGSTKSZ = 2048;

/** siginfo's si_code values. */
export const SI_USER = 0;
const SI_KERNEL = 0x80;
export const SI_TIMER = -2;
export const SI_TKILL = -6;

/** A set of signals: bit (n - 1) for signal n, as the kernel's 64-bit sigset_t. */
export type SignalSet = bigint;
export function bit(signal: number): SignalSet {
  return 1n << BigInt(signal - 1);
}
/** What no mask can hold. */
export const UNBLOCKABLE = bit(SIGKILL) | bit(SIGSTOP);

export interface SignalAction {
  readonly handler: number;
  readonly flags: number;
  readonly restorer: number;
  readonly mask: SignalSet;
}

const DEFAULT_ACTION: SignalAction = { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0n };

/** A generated signal: what siginfo says of it, and for reports where it came from. */
export interface SignalInfo {
  readonly signal: number;
  readonly code: number;
  /** si_pid (kill, tgkill) or si_addr (a fault). */
  readonly pidOrAddress: number;
  /** For a report of the process's end: `the program raised it`, `its timer expired`. */
  readonly cause: string;
  /** Generated for the process (kill, a timer), though a thread was chosen to take it. */
  readonly forProcess?: boolean;
  /** The whole siginfo the sender gave (rt_sigqueueinfo: sigqueue's value), else built from the fields above. */
  readonly given?: Uint8Array;
  /** The POSIX timer that generated it. */
  readonly timer?: number;
}

/** struct siginfo as a handler or sigtimedwait sees it: si_signo, si_errno, si_code, then si_pid or si_addr. */
export function siginfoBytes(info: SignalInfo): Uint8Array {
  const bytes = new Uint8Array(SIGINFO_SIZE);
  const view = new DataView(bytes.buffer);
  if (info.given) bytes.set(info.given);
  else {
    view.setInt32(8, info.code, true);
    view.setUint32(12, info.pidOrAddress >>> 0, true);
  }
  view.setInt32(0, info.signal, true);
  return bytes;
}

/** Signals pending for a thread or the whole process, in arrival order. Standard signals are pending once at most;
 * real-time signals queue. */
export class PendingSignals {
  entries: SignalInfo[] = [];
  set: SignalSet = 0n;

  add(info: SignalInfo): void {
    if (info.signal < SIGRTMIN && this.set & bit(info.signal)) return;
    this.entries.push(info);
    this.set |= bit(info.signal);
  }

  /** Takes the oldest of `signal`. */
  take(signal: number): SignalInfo | undefined {
    const i = this.entries.findIndex((e) => e.signal === signal);
    if (i < 0) return undefined;
    const [info] = this.entries.splice(i, 1);
    if (!this.entries.some((e) => e.signal === signal)) this.set &= ~bit(signal);
    return info;
  }

  discard(signal: number): void {
    while (this.take(signal)) { /* all of them */ }
  }

  copy(): PendingSignals {
    const c = new PendingSignals();
    c.entries = this.entries.slice();
    c.set = this.set;
    return c;
  }
}

/** One thread's signal state. */
export class ThreadSignals {
  blocked: SignalSet = 0n;
  readonly pending = new PendingSignals();
  /** sigaltstack: the alternate stack's base and size; SS_DISABLE in flags while there is none. */
  altStack = { sp: 0, size: 0, flags: SS_DISABLE };
  /** The mask before a wait that replaced it (sigsuspend): the handler's frame saves this one. */
  maskBeforeWait: SignalSet | undefined;
}

/** A wait under a mask of its own (sigsuspend, ppoll): the thread's mask until the call returns (restoreWaitMask), or
 * until the frame of a handler that ends the wait saves the thread's own. */
export function applyWaitMask(state: ThreadSignals, mask: SignalSet): void {
  state.maskBeforeWait = state.blocked;
  state.blocked = mask & ~UNBLOCKABLE;
}

export function restoreWaitMask(state: ThreadSignals): void {
  if (state.maskBeforeWait === undefined) return;
  state.blocked = state.maskBeforeWait;
  state.maskBeforeWait = undefined;
}

/** A timer that generates a signal when it expires: ITIMER_REAL's SIGALRM, or a POSIX timer's (timer_create). */
export interface SignalTimer {
  /** When it expires next (timeline picoseconds; Infinity: disarmed) and its period (0: once). */
  deadline: number;
  interval: number;
  /** The signal it generates (0: none, SIGEV_NONE), for the process or for one thread (SIGEV_THREAD_ID). */
  readonly signal: number;
  readonly tid?: number;
  /** A POSIX timer's ID and sigev_value, which its siginfo carries (SI_TIMER), and its clock. */
  readonly id?: number;
  readonly value?: number;
  readonly clock?: number;
  /** Its deadline counts the process's CPU time (ITIMER_VIRTUAL, ITIMER_PROF), not the machine's. */
  readonly onCpuTime?: boolean;
}

/** The present of a timer's clock: the CPU's instant on the timeline, or the CPU time the process used (every
 * instruction the CPU ran is the process's, all of them user mode). */
export function timerNow(p: LinuxProcess, timer: SignalTimer): number {
  return timer.onCpuTime ? p.cpu.retired * p.timeline.cpuPeriod : p.cpuTime();
}

/** The process-wide signal state: actions, signals pending for the process, the timers. */
export class ProcessSignals {
  readonly actions: SignalAction[] = Array.from({ length: NSIG + 1 }, () => DEFAULT_ACTION);
  readonly pending = new PendingSignals();
  /** setitimer's timers by `which`: ITIMER_REAL (alarm), ITIMER_VIRTUAL, ITIMER_PROF. */
  intervalTimers: SignalTimer[] = [
    { deadline: Infinity, interval: 0, signal: SIGALRM },
    { deadline: Infinity, interval: 0, signal: SIGNALS.SIGVTALRM, onCpuTime: true },
    { deadline: Infinity, interval: 0, signal: SIGNALS.SIGPROF, onCpuTime: true },
  ];
  /** POSIX timers by ID. */
  timers = new Map<number, SignalTimer>();

  get realTimer(): SignalTimer {
    return this.intervalTimers[0];
  }

  /** When the next timer on the machine's time expires (Infinity: none is armed): what a wait of every thread
   * lasts until at most (the CPU-time ones do not advance then). */
  nextDeadline(): number {
    let next = this.realTimer.deadline;
    for (const t of this.timers.values()) next = Math.min(next, t.deadline);
    return next;
  }

  action(signal: number): SignalAction {
    return this.actions[signal];
  }

  setAction(signal: number, action: SignalAction): void {
    this.actions[signal] = action.handler === SIG_DFL && action.flags === 0 && action.mask === 0n ? DEFAULT_ACTION : action;
  }

  /** Whether a signal's action is to do nothing. */
  ignores(signal: number): boolean {
    const { handler } = this.actions[signal];
    return handler === SIG_IGN || (handler === SIG_DFL && IGNORED_BY_DEFAULT.has(signal));
  }
}

/** A snapshot of a process's signal state: actions, masks, pending signals, alternate stacks, and the timer as the
 * time left from the CPU's instant (restored against the CPU's instant then, as the CPU's registers are). */
export interface SignalSnapshot {
  readonly actions: readonly SignalAction[];
  readonly pending: PendingSignals;
  /** Each timer with its deadline as the time left. */
  readonly intervalTimers: readonly SignalTimer[];
  readonly timers: ReadonlyMap<number, SignalTimer>;
  readonly threads: ReadonlyMap<number, { blocked: SignalSet; pending: PendingSignals; altStack: ThreadSignals['altStack']; maskBeforeWait: SignalSet | undefined }>;
}

export function snapshotSignals(p: LinuxProcess): SignalSnapshot {
  return {
    actions: p.signals.actions.slice(),
    pending: p.signals.pending.copy(),
    intervalTimers: p.signals.intervalTimers.map((t) => relativeTimer(t, -timerNow(p, t))),
    timers: new Map([...p.signals.timers].map(([id, t]) => [id, relativeTimer(t, -timerNow(p, t))])),
    threads: new Map(p.threads.map((t) => [t.tid, { blocked: t.signals.blocked, pending: t.signals.pending.copy(), altStack: { ...t.signals.altStack }, maskBeforeWait: t.signals.maskBeforeWait }])),
  };
}

/** A copy of a timer with its deadline moved by `shift`. */
function relativeTimer(timer: SignalTimer, shift: number): SignalTimer {
  return { ...timer, deadline: timer.deadline + shift };
}

/** Restores what snapshotSignals saved (the threads that exist in both). */
export function restoreSignals(p: LinuxProcess, s: SignalSnapshot): void {
  s.actions.forEach((a, i) => (p.signals.actions[i] = a));
  const shared = s.pending.copy();
  p.signals.pending.entries = shared.entries;
  p.signals.pending.set = shared.set;
  p.signals.intervalTimers = s.intervalTimers.map((t) => relativeTimer(t, timerNow(p, t)));
  p.signals.timers = new Map([...s.timers].map(([id, t]) => [id, relativeTimer(t, timerNow(p, t))]));
  for (const t of p.threads) {
    const saved = s.threads.get(t.tid);
    if (!saved) continue;
    const pending = saved.pending.copy();
    t.signals.blocked = saved.blocked;
    t.signals.pending.entries = pending.entries;
    t.signals.pending.set = pending.set;
    t.signals.altStack = { ...saved.altStack };
    t.signals.maskBeforeWait = saved.maskBeforeWait;
  }
}

/** The signals `thread` would act on now: its own and the process's pending ones it does not block. */
export function deliverable(p: LinuxProcess, thread: LinuxThread): SignalSet {
  return (thread.signals.pending.set | p.signals.pending.set) & ~thread.signals.blocked;
}

/** The signal of `set` acted on first: a fault's, else the lowest. */
export function firstOf(set: SignalSet): number {
  for (const s of SYNCHRONOUS) if (set & bit(s)) return s;
  let signal = 1;
  while (!(set & 1n)) {
    set >>= 1n;
    signal++;
  }
  return signal;
}

/** Generates a signal for one thread (tgkill, a fault, SIGPIPE): nothing when its action ignores it and the thread
 * does not block it, as Linux drops it then. */
export function signalThread(p: LinuxProcess, thread: LinuxThread, info: SignalInfo): void {
  if (!(thread.signals.blocked & bit(info.signal))) {
    if (p.signals.ignores(info.signal)) return;
    // A default action that ends the process ends it now, whichever thread takes the signal, as Linux ends them all.
    if (p.signals.action(info.signal).handler === SIG_DFL) return killedBy(p, info);
  }
  thread.signals.pending.add(info);
}

/** The process ends by a signal's default action. */
function killedBy(p: LinuxProcess, info: SignalInfo): void {
  p.outcome = { kind: 'signal', signal: info.signal, reason: `killed by ${signalName(info.signal)} (${info.cause}) at 0x${(p.cpu.pc >>> 0).toString(16).padStart(8, '0')}` };
}

/** Generates a signal for the process (kill, a timer): the main thread takes it unless it blocks it, else the first
 * thread that does not; pending for the process while every thread blocks it. */
export function signalProcess(p: LinuxProcess, info: SignalInfo): void {
  const target = p.threads.find((t) => !(t.signals.blocked & bit(info.signal)));
  if (target) signalThread(p, target, { ...info, forProcess: true });
  else p.signals.pending.add(info);
}

/** A thread exits: what it was chosen to take for the process goes to another thread (its own signals go with it). */
export function handOverSignals(p: LinuxProcess, exited: LinuxThread): void {
  for (const info of exited.signals.pending.entries) if (info.forProcess) signalProcess(p, info);
}

/** Whether a waiting thread's wait ends for a signal, and the first one it will take. */
export function interruptingSignal(p: LinuxProcess, thread: LinuxThread): number | undefined {
  const set = deliverable(p, thread);
  return set === 0n ? undefined : firstOf(set);
}

/** Whether the handler of `signal` asks for interrupted system calls to be executed again. */
export function restartsCalls(p: LinuxProcess, signal: number): boolean {
  const { handler, flags } = p.signals.action(signal);
  return handler !== SIG_DFL && handler !== SIG_IGN && (flags & SA_RESTART) !== 0;
}

/**
 * Acts on the signals the current thread does not block, as it returns to user space: ignored ones are dropped, a
 * default action that ends the process ends it (the process's outcome), and each handled one gets a frame — the
 * first taken runs last, as each frame's handler is interrupted by the next (whose mask then applies).
 */
export function deliverSignals(p: LinuxProcess): void {
  const thread = p.current;
  const state = thread.signals;
  for (let set = deliverable(p, thread); set !== 0n && p.outcome === undefined; set = deliverable(p, thread)) {
    const signal = firstOf(set);
    const info = state.pending.take(signal) ?? p.signals.pending.take(signal)!;
    const action = p.signals.action(signal);
    if (p.signals.ignores(signal)) continue;
    if (action.handler === SIG_DFL) {
      killedBy(p, info);
      return;
    }
    if (!pushFrame(p, thread, info, action)) return;
  }
  restoreWaitMask(state);
}

// struct sigframe { struct ucontext uc; unsigned long retcode[4]; } and struct rt_sigframe { struct siginfo info;
// struct sigframe sig; }. struct ucontext: uc_flags, uc_link, uc_stack (ss_sp, ss_flags, ss_size), uc_mcontext
// (struct sigcontext: trap_no, error_code, oldmask, r0-r10, fp, ip, sp, lr, pc, cpsr, fault_address), uc_sigmask
// (with room for 1024 bits), then uc_regspace (8-byte aligned) holding the VFP frame and a zero end marker.
const SIGINFO_SIZE = 128;
const UC_STACK = 8;
const UC_MCONTEXT = 20;
const MC_OLDMASK = 8;
const MC_R0 = 12;
const MC_CPSR = MC_R0 + 16 * 4;
const UC_SIGMASK = 104;
const UC_REGSPACE = 232;
const UCONTEXT_SIZE = UC_REGSPACE + 128 * 4;
const SIGFRAME_SIZE = UCONTEXT_SIZE + 16;
const RT_SIGFRAME_SIZE = SIGINFO_SIZE + SIGFRAME_SIZE;
/** struct vfp_sigframe: magic, size, struct user_vfp (D0-D31, FPSCR), struct user_vfp_exc (FPEXC, FPINST, FPINST2). */
const VFP_MAGIC = 0x56465001;
const VFP_STORAGE_SIZE = 288;
const FPEXC_EN = 0x40000000;
/** sigreturn's check of a struct sigframe it is given (the kernel marks the frames it builds without SA_SIGINFO). */
const SIGFRAME_MAGIC = 0x5ac3c35a;

/** Where a handler without SA_RESTORER returns: the sigreturn calls in the vector page (kuser.ts), ARM state. */
const SIGRETURN_CODE = KUSER_PAGE + 0x500;
const RT_SIGRETURN_CODE = KUSER_PAGE + 0x508;

/** Whether `sp` is on the thread's alternate stack. */
function onAltStack(state: ThreadSignals, sp: number): boolean {
  const { sp: base, size, flags } = state.altStack;
  return !(flags & SS_DISABLE) && sp > base && sp - base <= size;
}

/** The thread's alternate stack as uc_stack and sigaltstack's old stack show it at `sp`: base, flags, size. */
export function altStackWords(state: ThreadSignals, sp: number): [number, number, number] {
  const { sp: base, size, flags } = state.altStack;
  return [base, flags & SS_DISABLE ? SS_DISABLE : (onAltStack(state, sp) ? SS_ONSTACK : 0) | (flags & SS_AUTODISARM), size];
}

/** Builds the frame of a handled signal on the thread's stack (its alternate stack with SA_ONSTACK) and enters the
 * handler; false when the frame cannot be written (the process then ends with SIGSEGV, as on Linux). */
function pushFrame(p: LinuxProcess, thread: LinuxThread, info: SignalInfo, action: SignalAction): boolean {
  const cpu = p.cpu;
  const state = thread.signals;
  const signal = info.signal;
  const sp = cpu.r[13] >>> 0;
  const rt = (action.flags & SA_SIGINFO) !== 0;
  let top = sp;
  if (action.flags & SA_ONSTACK && !(state.altStack.flags & SS_DISABLE) && !onAltStack(state, sp)) top = (state.altStack.sp + state.altStack.size) >>> 0;
  const size = rt ? RT_SIGFRAME_SIZE : SIGFRAME_SIZE;
  const frame = (top - size) & ~7;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const uc = rt ? SIGINFO_SIZE : 0;
  if (rt) bytes.set(siginfoBytes(info));
  const oldMask = state.maskBeforeWait ?? state.blocked;
  state.maskBeforeWait = undefined;
  view.setUint32(uc, rt ? 0 : SIGFRAME_MAGIC, true);
  if (rt) {
    // uc_stack (rt frames only), which rt_sigreturn restores: with SS_AUTODISARM there is no alternate stack while
    // the handler runs (it may then swap contexts off it safely).
    altStackWords(state, sp).forEach((w, i) => view.setUint32(uc + UC_STACK + 4 * i, w >>> 0, true));
    if (state.altStack.flags & SS_AUTODISARM) state.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
  }
  const mc = uc + UC_MCONTEXT;
  view.setUint32(mc + MC_OLDMASK, Number(oldMask & 0xffffffffn), true);
  for (let i = 0; i < 15; i++) view.setUint32(mc + MC_R0 + 4 * i, cpu.r[i] >>> 0, true);
  view.setUint32(mc + MC_R0 + 60, cpu.pc >>> 0, true);
  view.setUint32(mc + MC_CPSR, cpu.cpsr, true);
  view.setBigUint64(uc + UC_SIGMASK, oldMask, true);
  const vfp = uc + UC_REGSPACE;
  view.setUint32(vfp, VFP_MAGIC, true);
  view.setUint32(vfp + 4, VFP_STORAGE_SIZE, true);
  for (let i = 0; i < 64; i++) view.setInt32(vfp + 8 + 4 * i, cpu.w[i], true);
  view.setUint32(vfp + 8 + 256, cpu.fpscr >>> 0, true);
  view.setUint32(vfp + 8 + 264, FPEXC_EN, true);
  if (!p.writeMemory(frame, bytes)) {
    p.outcome = { kind: 'signal', signal: SIGSEGV, reason: `killed by SIGSEGV: the frame of ${signalName(signal)}'s handler does not fit on the stack at 0x${(frame >>> 0).toString(16).padStart(8, '0')}` };
    return false;
  }
  const restorer = action.flags & SA_RESTORER ? action.restorer : rt ? RT_SIGRETURN_CODE : SIGRETURN_CODE;
  cpu.r[0] = signal;
  if (rt) {
    cpu.r[1] = frame;
    cpu.r[2] = frame + uc;
  }
  cpu.r[13] = frame;
  cpu.r[14] = restorer;
  enter(cpu, action.handler);
  state.blocked = (state.blocked | action.mask | (action.flags & SA_NODEFER ? 0n : bit(signal))) & ~UNBLOCKABLE;
  if (action.flags & SA_RESETHAND) p.signals.setAction(signal, DEFAULT_ACTION);
  return true;
}

/** Continues at `address` (bit 0: Thumb), outside any IT block and with the exclusive monitor open. */
function enter(cpu: CpuState, address: number): void {
  cpu.pc = cpu.next = address & ~1;
  cpu.thumb = (address & 1) === 1;
  cpu.it = 0;
  cpu.exclusiveAddress = -1;
}

/**
 * sigreturn / rt_sigreturn: restores the registers, VFP state and mask a handler's frame saved (the frame at sp, as
 * the restorer finds it), and the alternate stack for rt frames. Returns r0's restored value (the system call's
 * result), or undefined for a frame that is not one (the process then ends with SIGSEGV).
 */
export function signalReturn(p: LinuxProcess, rt: boolean): number | undefined {
  const cpu = p.cpu;
  const sp = cpu.r[13] >>> 0;
  const uc = sp + (rt ? SIGINFO_SIZE : 0);
  const bytes = sp & 7 ? undefined : p.readMemory(uc, UCONTEXT_SIZE);
  if (!bytes || (!rt && new DataView(bytes.buffer).getUint32(0, true) !== SIGFRAME_MAGIC)) {
    p.outcome = { kind: 'signal', signal: SIGSEGV, reason: `killed by SIGSEGV: ${rt ? 'rt_sigreturn' : 'sigreturn'} found no signal frame at sp 0x${sp.toString(16).padStart(8, '0')}` };
    return undefined;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const mc = UC_MCONTEXT;
  for (let i = 0; i < 15; i++) cpu.r[i] = view.getUint32(mc + MC_R0 + 4 * i, true);
  const pc = view.getUint32(mc + MC_R0 + 60, true);
  const cpsr = view.getUint32(mc + MC_CPSR, true);
  cpu.setFlags(cpsr);
  cpu.ge = (cpsr >>> 16) & 15;
  enter(cpu, pc | ((cpsr >>> 5) & 1));
  cpu.it = ((cpsr >>> 25) & 3) | (((cpsr >>> 10) & 0x3f) << 2);
  if (view.getUint32(UC_REGSPACE, true) === VFP_MAGIC) {
    for (let i = 0; i < 64; i++) cpu.w[i] = view.getInt32(UC_REGSPACE + 8 + 4 * i, true);
    cpu.fpscr = view.getUint32(UC_REGSPACE + 8 + 256, true);
  }
  const state = p.current.signals;
  state.blocked = view.getBigUint64(UC_SIGMASK, true) & ~UNBLOCKABLE;
  if (rt) {
    const [base, flags, size] = [0, 4, 8].map((at) => view.getUint32(UC_STACK + at, true));
    if (!onAltStack(state, cpu.r[13] >>> 0)) setAltStack(state, cpu.r[13] >>> 0, base, flags, size);
  }
  return cpu.r[0];
}

/** sigaltstack's change of the alternate stack: 0, or -errno (EPERM while on it, EINVAL, ENOMEM below MINSIGSTKSZ). */
export function setAltStack(state: ThreadSignals, sp: number, base: number, flags: number, size: number): number {
  if (onAltStack(state, sp)) return -EPERM;
  if (flags & ~(SS_DISABLE | SS_ONSTACK | SS_AUTODISARM)) return -EINVAL;
  if (flags & SS_DISABLE) {
    state.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
    return 0;
  }
  if (size < MINSIGSTKSZ) return -ENOMEM;
  state.altStack = { sp: base >>> 0, size: size >>> 0, flags: flags & SS_AUTODISARM };
  return 0;
}

/** Fires the timers due at `now`: each generates its signal once (periods that passed meanwhile are overruns) and
 * is armed for its next period. A POSIX timer whose last signal is still pending generates none. */
export function fireDueTimers(p: LinuxProcess, machineNow: number): void {
  const signals = p.signals;
  const [, virtual, prof] = signals.intervalTimers;
  const cpuNow = p.cpu.retired * p.timeline.cpuPeriod;
  if (machineNow < signals.nextDeadline() && cpuNow < virtual.deadline && cpuNow < prof.deadline) return;
  for (const timer of [...signals.intervalTimers, ...signals.timers.values()]) {
    const now = timer.onCpuTime ? cpuNow : machineNow;
    if (now < timer.deadline) continue;
    timer.deadline = timer.interval > 0 ? timer.deadline + timer.interval * (Math.floor((now - timer.deadline) / timer.interval) + 1) : Infinity;
    if (timer.signal === 0) continue;
    if (timer.id === undefined) {
      signalProcess(p, { signal: timer.signal, code: SI_KERNEL, pidOrAddress: 0, cause: 'its interval timer expired' });
      continue;
    }
    const target = timer.tid === undefined ? undefined : p.threads.find((t) => t.tid === timer.tid);
    if (timer.tid !== undefined && !target) continue;
    const pending = [p.signals.pending, ...p.threads.map((t) => t.signals.pending)];
    if (pending.some((q) => q.entries.some((e) => e.timer === timer.id))) continue;
    const given = new Uint8Array(SIGINFO_SIZE);
    const view = new DataView(given.buffer);
    view.setInt32(8, SI_TIMER, true);
    view.setInt32(12, timer.id, true);
    view.setInt32(20, timer.value ?? 0, true);
    const info: SignalInfo = { signal: timer.signal, code: SI_TIMER, pidOrAddress: 0, cause: `its timer ${timer.id} expired`, given, timer: timer.id };
    if (target) signalThread(p, target, info);
    else signalProcess(p, info);
  }
}

/** The signal a CPU exception raises (SIGSEGV for a bad access, SIGILL, SIGTRAP for BKPT) when the program handles
 * it; undefined where the process ends as before with a crash report (no handler, or the signal blocked). */
export function faultSignal(p: LinuxProcess, signal: number, code: number, address: number, cause: string): boolean {
  const thread = p.current;
  const { handler } = p.signals.action(signal);
  if (handler === SIG_DFL || handler === SIG_IGN || thread.signals.blocked & bit(signal)) return false;
  thread.signals.pending.add({ signal, code, pidOrAddress: address, cause });
  deliverSignals(p);
  return true;
}
