// The system calls of signals (ARM EABI): actions, masks, pending sets, waits for a signal, sending one, the
// alternate stack, the return from a handler and the real-time interval timer. Delivery itself is signals.ts's.
import { EINTR, EAGAIN, EBADF, EFAULT, EINVAL, ESRCH } from './errno';
import { O_NONBLOCK } from './files';
import { SignalFd } from './signalfd';
import type { LinuxProcess } from './process';
import {
  NSIG, SIGNALS, SI_TKILL, SI_USER, UNBLOCKABLE, altStackWords, applyWaitMask, bit, setAltStack, signalProcess, signalReturn,
  signalThread, siginfoBytes, timerNow, type SignalSet, type SignalTimer,
} from './signals';
import { O_CLOEXEC, clockNs, guarded, readTimespec, readU64, timespec32, timespec64, u32, writeWords, type SystemCall } from './syscalls';
import { BLOCKED } from './threads';

/** The kernel's sigset_t: 64 bits; calls given another size fail with EINVAL. */
const SIGSET_SIZE = 8;
const O_RDONLY = 0;
const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;
const SIG_SETMASK = 2;
const PS_PER_USEC = 1e6;

/** Linux's signals are 1..64; 0 only checks that the target exists. */
function validSignal(signal: number): boolean {
  return signal >= 0 && signal <= NSIG;
}

function writeSet(p: LinuxProcess, address: number, set: SignalSet, size = SIGSET_SIZE): void {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, set, true);
  p.memory.writeBytes(u32(address), bytes.subarray(0, size));
}

/** rt_sigaction: struct sigaction of the ARM kernel ABI is handler, flags, restorer, then the 64-bit mask. */
function sigaction(p: LinuxProcess, signal: number, act: number, old: number, size: number): number {
  if (u32(size) !== SIGSET_SIZE || signal < 1 || signal > NSIG) return -EINVAL;
  if (act !== 0 && (signal === SIGNALS.SIGKILL || signal === SIGNALS.SIGSTOP)) return -EINVAL;
  return guarded(() => {
    const previous = p.signals.action(signal);
    if (act !== 0) {
      const [handler, flags, restorer] = [0, 4, 8].map((at) => p.memory.read32(u32(act + at)) >>> 0);
      p.signals.setAction(signal, { handler, flags, restorer, mask: readU64(p, act + 12) & ~UNBLOCKABLE });
      // A signal whose action becomes to ignore it is no longer pending anywhere.
      if (p.signals.ignores(signal)) {
        p.signals.pending.discard(signal);
        for (const t of p.threads) t.signals.pending.discard(signal);
      }
    }
    if (old !== 0) {
      writeWords(p, old, [previous.handler, previous.flags, previous.restorer]);
      writeSet(p, old + 12, previous.mask);
    }
    return 0;
  });
}

function sigprocmask(p: LinuxProcess, how: number, set: number, old: number, size: number): number {
  if (u32(size) !== SIGSET_SIZE) return -EINVAL;
  return guarded(() => {
    const state = p.current.signals;
    const previous = state.blocked;
    if (set !== 0) {
      const change = readU64(p, set);
      if (how === SIG_BLOCK) state.blocked |= change;
      else if (how === SIG_UNBLOCK) state.blocked &= ~change;
      else if (how === SIG_SETMASK) state.blocked = change;
      else return -EINVAL;
      state.blocked &= ~UNBLOCKABLE;
    }
    if (old !== 0) writeSet(p, old, previous);
    return 0;
  });
}

/** A wait for any signal that is not blocked: pause, sigsuspend (ends with EINTR once a handler ran). */
function waitForSignal(p: LinuxProcess, what: string): number {
  return p.block({ what, deadline: Infinity, ready: () => false, finish: () => -EINTR, interrupted: () => -EINTR });
}

/** rt_sigtimedwait: takes a pending signal of `set` (its siginfo to `info`), waiting for one until the timeout. */
function sigtimedwait(p: LinuxProcess, setAddress: number, info: number, timeout: number, size: number, wide: boolean): number {
  if (u32(size) !== SIGSET_SIZE) return -EINVAL;
  return guarded(() => {
    const set = readU64(p, setAddress) & ~UNBLOCKABLE;
    const thread = p.current;
    const pendingOf = () => (thread.signals.pending.set | p.signals.pending.set) & set;
    const take = (): number => guarded(() => {
      let signal = 1;
      while (!(pendingOf() & bit(signal))) signal++;
      const taken = thread.signals.pending.take(signal) ?? p.signals.pending.take(signal)!;
      if (info !== 0) p.memory.writeBytes(u32(info), siginfoBytes(taken));
      return signal;
    });
    if (pendingOf() !== 0n) return take();
    const ns = timeout === 0 ? Infinity : readTimespec(p, timeout, wide);
    if (ns === 0) return -EAGAIN;
    return p.block({
      what: 'sigtimedwait',
      deadline: p.cpuTime() + ns * 1e3,
      ready: () => pendingOf() !== 0n,
      finish: (timedOut) => (timedOut ? -EAGAIN : take()),
      interrupted: () => -EINTR,
    });
  });
}

/** kill, tgkill, tkill: whether the sender is the thread that takes it, for the report if it ends the process. */
function cause(p: LinuxProcess, signal: number, target: number): string {
  const by = target === p.current.tid ? 'the program raised it' : `thread ${p.current.tid} sent it`;
  return signal === SIGNALS.SIGABRT ? `${by}: abort()` : by;
}

function sendToThread(p: LinuxProcess, tid: number, signal: number, given?: Uint8Array): number {
  if (tid <= 0 || !validSignal(signal)) return -EINVAL;
  const thread = p.threads.find((t) => t.tid === tid);
  if (!thread) return -ESRCH;
  if (signal !== 0) signalThread(p, thread, { signal, code: SI_TKILL, pidOrAddress: p.pid, cause: cause(p, signal, tid), given });
  return 0;
}

/** kill(2) to this process: by its ID or its group's (0, or the negated ID); -1 (every other process) reaches none. */
function sendToProcess(p: LinuxProcess, pid: number, signal: number, given?: Uint8Array): number {
  if (!validSignal(signal)) return -EINVAL;
  if (pid !== p.pid && pid !== 0 && pid !== -p.pid) return -ESRCH;
  if (signal !== 0) signalProcess(p, { signal, code: SI_USER, pidOrAddress: p.pid, cause: cause(p, signal, p.current.tid), given });
  return 0;
}

/** rt_sigqueueinfo / rt_tgsigqueueinfo: the siginfo the caller gives (sigqueue's value in it), or -EFAULT. */
function queuedInfo(p: LinuxProcess, address: number): Uint8Array | number {
  return p.readMemory(u32(address), 128) ?? -EFAULT;
}

/** An itimerval (interval, then value; seconds and microseconds) in picoseconds; undefined if out of range. */
function readItimerval(p: LinuxProcess, address: number): [number, number] | undefined {
  const [isec, iusec, vsec, vusec] = [0, 4, 8, 12].map((at) => p.memory.read32(u32(address + at)) | 0);
  if (isec < 0 || vsec < 0 || iusec < 0 || vusec < 0 || iusec >= 1e6 || vusec >= 1e6) return undefined;
  return [(isec * 1e6 + iusec) * PS_PER_USEC, (vsec * 1e6 + vusec) * PS_PER_USEC];
}

/** An interval timer as getitimer shows it: what is left (a due timer shows 1 µs, as Linux's) and the period. */
function writeItimerval(p: LinuxProcess, address: number, timer: SignalTimer): void {
  const { deadline, interval } = timer;
  const usec = (ps: number) => Math.floor(ps / PS_PER_USEC);
  const left = deadline === Infinity ? 0 : Math.max(1, usec(deadline - timerNow(p, timer)));
  const words = [interval, left * PS_PER_USEC].flatMap((ps) => [Math.floor(usec(ps) / 1e6), usec(ps) % 1e6]);
  writeWords(p, address, words);
}

const SIGEV_SIGNAL = 0;
const SIGEV_NONE = 1;
const SIGEV_THREAD_ID = 4;
const TIMER_ABSTIME = 1;
/** The clocks a POSIX timer may count: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME and the _ALARM ones. */
const TIMER_CLOCKS = new Set([0, 1, 7, 8, 9]);

/** timer_create: struct sigevent is sigev_value, sigev_signo, sigev_notify, then the thread ID (SIGEV_THREAD_ID). */
function timerCreate(p: LinuxProcess, clock: number, event: number, idAddress: number): number {
  if (!TIMER_CLOCKS.has(clock)) return -EINVAL;
  return guarded(() => {
    let id = 0;
    while (p.signals.timers.has(id)) id++;
    const [value, signal, notify, tid] = event === 0 ? [id, SIGNALS.SIGALRM, SIGEV_SIGNAL, 0] : [0, 4, 8, 12].map((at) => p.memory.read32(u32(event + at)));
    if (notify !== SIGEV_NONE && notify !== SIGEV_SIGNAL && notify !== SIGEV_THREAD_ID) return -EINVAL;
    if (notify !== SIGEV_NONE && (signal < 1 || signal > NSIG)) return -EINVAL;
    if (notify === SIGEV_THREAD_ID && !p.threads.some((t) => t.tid === tid)) return -EINVAL;
    p.memory.write32(u32(idAddress), id);
    p.signals.timers.set(id, {
      deadline: Infinity, interval: 0, id, value, clock,
      signal: notify === SIGEV_NONE ? 0 : signal,
      tid: notify === SIGEV_THREAD_ID ? tid : undefined,
    });
    return 0;
  });
}

/** A POSIX timer's itimerspec (interval, then value; timespecs, 64-bit with `wide`): what is left and the period. */
function writeItimerspec(p: LinuxProcess, address: number, deadline: number, interval: number, wide: boolean): void {
  const left = deadline === Infinity ? 0 : Math.max(1, Math.ceil((deadline - p.cpuTime()) / 1e3));
  const write = wide ? timespec64 : timespec32;
  write(p, address, Math.round(interval / 1e3));
  write(p, address + (wide ? 16 : 8), left);
}

function timerSettime(p: LinuxProcess, id: number, flags: number, value: number, old: number, wide: boolean): number {
  const timer = p.signals.timers.get(id);
  if (!timer) return -EINVAL;
  return guarded(() => {
    const nsec = (at: number) => p.memory.read32(u32(value + at + (wide ? 8 : 4))) >>> 0;
    if (nsec(0) >= 1e9 || nsec(wide ? 16 : 8) >= 1e9) return -EINVAL;
    const interval = readTimespec(p, value, wide);
    let first = readTimespec(p, value + (wide ? 16 : 8), wide);
    if (old !== 0) writeItimerspec(p, old, timer.deadline, timer.interval, wide);
    if (first !== 0 && flags & TIMER_ABSTIME) first = Math.max(1, first - clockNs(p, timer.clock ?? 1));
    timer.deadline = first === 0 ? Infinity : p.cpuTime() + first * 1e3;
    timer.interval = interval * 1e3;
    return 0;
  });
}

function timerGettime(p: LinuxProcess, id: number, value: number, wide: boolean): number {
  const timer = p.signals.timers.get(id);
  if (!timer) return -EINVAL;
  return guarded(() => {
    writeItimerspec(p, value, timer.deadline, timer.interval, wide);
    return 0;
  });
}

/** signalfd/signalfd4: a new signalfd (fd -1) or a new mask for one; SFD_NONBLOCK is O_NONBLOCK. */
function signalfd(p: LinuxProcess, fd: number, maskAddress: number, size: number, flags: number): number {
  if (u32(size) !== SIGSET_SIZE || flags & ~(O_NONBLOCK | O_CLOEXEC)) return -EINVAL;
  return guarded(() => {
    const mask = readU64(p, maskAddress) & ~UNBLOCKABLE;
    if (fd === -1) return p.files.add(new SignalFd(mask, O_RDONLY | (flags & O_NONBLOCK), p));
    const file = p.files.get(fd);
    if (!file) return -EBADF;
    if (!(file instanceof SignalFd)) return -EINVAL;
    file.mask = mask;
    return fd;
  });
}

export const SIGNAL_SYSCALLS: Readonly<Record<string, SystemCall>> = {
  rt_sigaction: (p, signal, act, old, size) => sigaction(p, signal, act, old, size),
  rt_sigprocmask: (p, how, set, old, size) => sigprocmask(p, how, set, old, size),
  rt_sigpending: (p, set, size) => {
    if (u32(size) > SIGSET_SIZE) return -EINVAL;
    const thread = p.current;
    return guarded(() => { writeSet(p, set, (thread.signals.pending.set | p.signals.pending.set) & thread.signals.blocked, u32(size)); return 0; });
  },
  rt_sigsuspend: (p, mask, size) => {
    if (u32(size) !== SIGSET_SIZE) return -EINVAL;
    return guarded(() => {
      applyWaitMask(p.current.signals, readU64(p, mask));
      return waitForSignal(p, 'sigsuspend');
    });
  },
  pause: (p) => waitForSignal(p, 'pause'),
  rt_sigtimedwait: (p, set, info, timeout, size) => sigtimedwait(p, set, info, timeout, size, false),
  rt_sigtimedwait_time64: (p, set, info, timeout, size) => sigtimedwait(p, set, info, timeout, size, true),
  // The registers they restore include r0, the result: BLOCKED leaves it as restored when the frame was bad.
  rt_sigreturn: (p) => signalReturn(p, true) ?? BLOCKED,
  sigreturn: (p) => signalReturn(p, false) ?? BLOCKED,
  sigaltstack: (p, ss, old) => guarded(() => {
    const state = p.current.signals;
    const sp = p.cpu.r[13] >>> 0;
    const before = altStackWords(state, sp);
    let result = 0;
    if (ss !== 0) {
      const [newBase, newFlags, newSize] = [0, 4, 8].map((at) => p.memory.read32(u32(ss + at)) >>> 0);
      result = setAltStack(state, sp, newBase, newFlags, newSize);
    }
    if (old !== 0) writeWords(p, old, before);
    return result;
  }),
  setitimer: (p, which, value, old) => guarded(() => {
    const timer = p.signals.intervalTimers[which];
    if (!timer) return -EINVAL;
    const next = value === 0 ? ([0, 0] as const) : readItimerval(p, value);
    if (!next) return -EINVAL;
    if (old !== 0) writeItimerval(p, old, timer);
    const [interval, first] = next;
    Object.assign(timer, first === 0 ? { deadline: Infinity, interval: 0 } : { deadline: timerNow(p, timer) + first, interval });
    return 0;
  }),
  getitimer: (p, which, value) => guarded(() => {
    const timer = p.signals.intervalTimers[which];
    if (!timer) return -EINVAL;
    writeItimerval(p, value, timer);
    return 0;
  }),
  timer_create: (p, clock, event, id) => timerCreate(p, clock, event, id),
  timer_settime: (p, id, flags, value, old) => timerSettime(p, id, flags, value, old, false),
  timer_settime64: (p, id, flags, value, old) => timerSettime(p, id, flags, value, old, true),
  timer_gettime: (p, id, value) => timerGettime(p, id, value, false),
  timer_gettime64: (p, id, value) => timerGettime(p, id, value, true),
  // A timer whose signal is still pending generates no other: the periods missed are not counted.
  timer_getoverrun: (p, id) => (p.signals.timers.has(id) ? 0 : -EINVAL),
  timer_delete: (p, id) => (p.signals.timers.delete(id) ? 0 : -EINVAL),
  signalfd: (p, fd, mask, size) => signalfd(p, fd, mask, size, 0),
  signalfd4: (p, fd, mask, size, flags) => signalfd(p, fd, mask, size, flags),
  kill: (p, pid, signal) => sendToProcess(p, pid, signal),
  rt_sigqueueinfo: (p, pid, signal, info) => {
    const given = queuedInfo(p, info);
    return typeof given === 'number' ? given : pid === p.pid ? sendToProcess(p, pid, signal, given) : -ESRCH;
  },
  rt_tgsigqueueinfo: (p, tgid, tid, signal, info) => {
    const given = queuedInfo(p, info);
    if (typeof given === 'number') return given;
    return tgid <= 0 || tid <= 0 || !validSignal(signal) ? -EINVAL : tgid !== p.pid ? -ESRCH : sendToThread(p, tid, signal, given);
  },
  tgkill: (p, tgid, tid, signal) => (tgid <= 0 || tid <= 0 || !validSignal(signal) ? -EINVAL : tgid !== p.pid ? -ESRCH : sendToThread(p, tid, signal)),
  tkill: (p, tid, signal) => sendToThread(p, tid, signal),
};
