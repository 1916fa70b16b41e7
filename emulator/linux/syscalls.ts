// The Linux system calls (ARM EABI) a C program with glibc makes, keyed by their name in syscall-table.ts.
// Arguments arrive in r0-r5 (64-bit ones in an even/odd register pair); the result (or -errno) goes to r0.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MMAP_BOTTOM, MMAP_TOP, PAGE_SIZE, PROT_READ, PROT_WRITE } from './address-space';
import { EAGAIN, EBADF, EFAULT, EINTR, EINVAL, ENODEV, ENOENT, ENOMEM, ENOSYS, ENOTDIR, ENOTTY, EPERM, EPIPE, ERANGE, ESPIPE, ESRCH, ETIMEDOUT } from './errno';
import { EventFd, O_NONBLOCK, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, Pipe, S_IFDIR, S_IFMT, WOULD_BLOCK, type FileStatus, type FileTime, type OpenFile, statOf } from './files';
import { PICOSECONDS_PER_NANOSECOND } from '../machine/clock';
import { BLOCKED, RESTART } from './threads';
import { SIGNALS, SI_USER, applyWaitMask, restoreWaitMask, signalThread, type SignalSet } from './signals';
import { MemoryFault } from '../cpu/memory';
import { ProcessExit } from './outcome';
import { hex } from './hex';
import type { LinuxProcess } from './process';
import { RLIM64_INFINITY } from './resource-limits';
import type { Workspace } from './workspace';

export type SystemCall = (p: LinuxProcess, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number;

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_REMOVEDIR = 0x200;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_SYMLINK_FOLLOW = 0x400;
export const O_CLOEXEC = 0o2000000;
const O_RDWR = 2;
const EFD_SEMAPHORE = 1;
const GRND_NONBLOCK = 1;
const GRND_RANDOM = 2;
const GRND_INSECURE = 4;
/** utimensat's special nanosecond values. */
const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;
const MAP_SHARED = 0x01;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;

/** The most one read, write or getrandom transfers (the kernel's MAX_RW_COUNT: INT_MAX rounded down to a page). */
const MAX_RW_COUNT = 0x7ffff000;

export function u32(v: number): number {
  return v >>> 0;
}

/** Reads guest memory for a system call; a bad pointer becomes EFAULT. */
export function guarded(body: () => number): number {
  try {
    return body();
  } catch (error) {
    if (error instanceof MemoryFault) return -EFAULT;
    throw error;
  }
}

export function writeWords(p: LinuxProcess, address: number, words: readonly number[]): void {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  p.memory.writeBytes(u32(address), bytes);
}

export function readU64(p: LinuxProcess, address: number): bigint {
  return BigInt(p.memory.read32(u32(address)) >>> 0) | (BigInt(p.memory.read32(u32(address + 4)) >>> 0) << 32n);
}

function writeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 4294967296, true);
  view.setUint32(at + 4, Math.floor(value / 4294967296), true);
}

/** A host time in milliseconds (fractional) as whole seconds and nanoseconds. */
function secondsAndNanoseconds(ms = 0): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6))];
}

/** struct stat64 of the ARM EABI (104 bytes). */
function stat64(st: FileStatus): Uint8Array {
  const out = new Uint8Array(104);
  const v = new DataView(out.buffer);
  writeU64(v, 0, 0x801);
  v.setUint32(12, st.inode % 4294967296, true);
  v.setUint32(16, st.mode, true);
  v.setUint32(20, st.nlink ?? 1, true);
  writeU64(v, 32, st.rdev ?? 0);
  writeU64(v, 48, st.size);
  v.setUint32(56, PAGE_SIZE, true);
  writeU64(v, 64, Math.ceil(st.size / 512));
  [st.atimeMs, st.mtimeMs, st.ctimeMs].forEach((ms, i) => {
    const [seconds, nanoseconds] = secondsAndNanoseconds(ms ?? st.mtimeMs);
    v.setUint32(72 + 8 * i, seconds, true);
    v.setUint32(76 + 8 * i, nanoseconds, true);
  });
  writeU64(v, 96, st.inode);
  return out;
}

/** struct statx (256 bytes). */
function statx(st: FileStatus): Uint8Array {
  const out = new Uint8Array(256);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x7ff, true);
  v.setUint32(4, PAGE_SIZE, true);
  v.setUint32(16, st.nlink ?? 1, true);
  v.setUint16(28, st.mode, true);
  writeU64(v, 32, st.inode);
  writeU64(v, 40, st.size);
  writeU64(v, 48, Math.ceil(st.size / 512));
  // stx_atime, stx_btime (not in the mask), stx_ctime, stx_mtime: struct statx_timestamp { s64 sec; u32 nsec; }
  [st.atimeMs, st.ctimeMs, st.ctimeMs, st.mtimeMs].forEach((ms, i) => {
    const [seconds, nanoseconds] = secondsAndNanoseconds(ms ?? st.mtimeMs);
    writeU64(v, 64 + 16 * i, seconds);
    v.setUint32(72 + 16 * i, nanoseconds, true);
  });
  v.setUint32(128, ((st.rdev ?? 0) >> 8) & 0xfff, true);
  v.setUint32(132, (st.rdev ?? 0) & 0xff, true);
  v.setUint32(136, 8, true);
  v.setUint32(140, 1, true);
  return out;
}

function fileOf(p: LinuxProcess, fd: number): OpenFile | undefined {
  return p.files.get(fd);
}

/** (dirfd, path) as an absolute guest path. `..` and links are left for the workspace to resolve component by
 * component (a textual `a/link/..` is not `a`). */
function guestPath(p: LinuxProcess, dirfd: number, pathname: string): string | number {
  if (pathname === '') return -ENOENT;
  if (pathname.startsWith('/')) return pathname;
  if (dirfd === AT_FDCWD) return `${p.cwd}/${pathname}`;
  const dir = fileOf(p, dirfd);
  if (!dir) return -EBADF;
  if ((statOf(dir).mode & S_IFMT) !== S_IFDIR) return -ENOTDIR;
  return `${dir.name}/${pathname}`;
}

/** (dirfd, the path string at `pathAddress`) as an absolute guest path. */
function guestPathAt(p: LinuxProcess, dirfd: number, pathAddress: number): string | number {
  return guestPath(p, dirfd, p.memory.readCString(u32(pathAddress)));
}

/** The emulator's own files (device models, the sysroot's libraries) are matched by their normal path. */
function normalPath(guest: string): string {
  return path.posix.normalize(guest);
}

function openPath(p: LinuxProcess, dirfd: number, pathAddress: number, flags: number, mode: number): number {
  return guarded(() => {
    const where = guestPathAt(p, dirfd, pathAddress);
    if (typeof where === 'number') return where;
    let file = p.options.devices?.open(normalPath(where), flags, p);
    if (file === undefined) {
      const library = p.sysrootPath(normalPath(where));
      file = library !== undefined ? p.options.workspace.openHost(where, library) : p.options.workspace.open(where, flags, mode, '/');
    }
    if (typeof file === 'number') return file;
    return p.files.add(file);
  });
}

/** stat, or lstat with AT_SYMLINK_NOFOLLOW. */
function statPath(p: LinuxProcess, dirfd: number, pathAddress: number, flags: number): FileStatus | number {
  const pathname = p.memory.readCString(u32(pathAddress));
  if (pathname === '' && flags & AT_EMPTY_PATH) {
    const file = fileOf(p, dirfd);
    return file ? statOf(file) : -EBADF;
  }
  const guest = guestPath(p, dirfd, pathname);
  if (typeof guest === 'number') return guest;
  const where = normalPath(guest);
  const device = p.options.devices?.open(where, 0, p);
  if (device !== undefined) {
    if (typeof device === 'number') return device;
    const st = statOf(device);
    device.close?.();
    return st;
  }
  const library = p.sysrootPath(where);
  if (library !== undefined) {
    const st = fs.statSync(library);
    return { mode: st.mode, size: st.size, inode: st.ino, mtimeMs: st.mtimeMs };
  }
  return p.options.workspace.stat(guest, '/', !(flags & AT_SYMLINK_NOFOLLOW));
}

function doRead(p: LinuxProcess, fd: number, buf: number, count: number, position?: number): number {
  const file = fileOf(p, fd);
  if (!file) return -EBADF;
  if (!file.read) return -EINVAL;
  const result = file.read(u32(count), position, p);
  if (result === WOULD_BLOCK) {
    // Readable again when its poll says so (a file that cannot tell is retried whenever a device may have acted).
    // A hang-up (the last writer of a pipe gone) ends the wait too: the read then sees end of file.
    const ready = file.poll ? () => (file.poll!(POLLIN) & (POLLIN | POLLHUP | POLLERR)) !== 0 : () => true;
    return p.block({ what: `read from ${file.name} (fd ${fd})`, deadline: Infinity, ready, finish: () => RESTART });
  }
  if (typeof result === 'number') return result;
  return guarded(() => {
    p.memory.writeBytes(u32(buf), result);
    return result.length;
  });
}

function doWrite(p: LinuxProcess, fd: number, data: Uint8Array, position?: number): number {
  const file = fileOf(p, fd);
  if (!file) return -EBADF;
  if (!file.write) return -EINVAL;
  return writeFrom(p, file, fd, data, position, 0);
}

/**
 * Writes `data` from byte `done` on. A blocking write returns once all of it is written, as Linux's does: what does
 * not fit (a full pipe) waits until the file is writable again, and the wait's end writes on from there. A
 * non-blocking one returns what fitted.
 */
function writeFrom(p: LinuxProcess, file: OpenFile, fd: number, data: Uint8Array, position: number | undefined, done: number): number {
  for (;;) {
    const result = file.write!(done === 0 ? data : data.subarray(done), position, p);
    if (result === WOULD_BLOCK) {
      // Writable again when its poll says so (a reader drained the pipe, or the last one is gone: EPIPE then).
      const ready = file.poll ? () => (file.poll!(POLLOUT) & (POLLOUT | POLLERR)) !== 0 : () => true;
      return p.block({
        what: `write to ${file.name} (fd ${fd})`, deadline: Infinity, ready, finish: () => writeFrom(p, file, fd, data, position, done),
        // What was written before a signal came is the result; with nothing written, the call restarts or fails.
        interrupted: (restart) => (done > 0 ? done : restart ? RESTART : -EINTR),
      });
    }
    if (result === -EPIPE && done === 0) signalThread(p, p.current, { signal: SIGNALS.SIGPIPE, code: SI_USER, pidOrAddress: p.pid, cause: `a write to ${file.name} with no reader` });
    if (result < 0) return done > 0 ? done : result;
    done += result;
    if (done >= data.length || result === 0 || file.flags & O_NONBLOCK) return done;
  }
}

export function timespec32(p: LinuxProcess, address: number, ns: number): void {
  writeWords(p, address, [Math.floor(ns / 1e9), ns % 1e9]);
}

export function timespec64(p: LinuxProcess, address: number, ns: number): void {
  writeWords(p, address, [Math.floor(ns / 1e9) % 4294967296, Math.floor(ns / 1e9 / 4294967296), ns % 1e9, 0]);
}

export function clockNs(p: LinuxProcess, clock: number): number {
  // CLOCK_REALTIME (0) and its variants start at a fixed date; the others count from process start.
  return clock === 0 || clock === 5 || clock === 8 || clock === 11 ? p.startRealtimeNs + p.monotonicNs : p.monotonicNs;
}

/** Blocks the calling thread for `ns` nanoseconds of the timeline. A signal handler ends the sleep with EINTR and the
 * time left in `remaining` (a timespec, 64-bit with `wide`; 0: none), whatever SA_RESTART says, as Linux does. */
function sleep(p: LinuxProcess, ns: number, remaining = 0, wide = false): number {
  if (ns <= 0) return 0;
  const deadline = p.cpuTime() + ns * PICOSECONDS_PER_NANOSECOND;
  const interrupted = (): number => guarded(() => {
    // The wait ends at the timeline's present (the CPU's own instant is brought there after the switch).
    const now = Math.max(p.cpuTime(), p.timeline.now);
    const left = Math.max(0, Math.ceil((deadline - now) / PICOSECONDS_PER_NANOSECOND));
    if (remaining !== 0) (wide ? timespec64 : timespec32)(p, remaining, left);
    return -EINTR;
  });
  return p.block({ what: 'sleep', deadline, ready: () => false, finish: () => 0, interrupted });
}

export function readTimespec(p: LinuxProcess, address: number, wide: boolean): number {
  const sec = p.memory.read32(u32(address)) >>> 0;
  const nsec = p.memory.read32(u32(address + (wide ? 8 : 4))) >>> 0;
  return sec * 1e9 + nsec;
}

/** One look at the descriptors: revents written, the number ready returned. */
function pollOnce(p: LinuxProcess, fds: number, nfds: number): number {
  let ready = 0;
  for (let i = 0; i < nfds; i++) {
    const at = u32(fds + i * 8);
    const fd = p.memory.read32(at);
    const events = p.memory.read16(at + 4);
    let revents = 0;
    if (fd >= 0) {
      const file = fileOf(p, fd);
      revents = file ? (file.poll ? file.poll(events) : events & 5) : 0x20; // POLLNVAL
    }
    p.memory.write16(at + 6, revents);
    if (revents !== 0) ready++;
  }
  return ready;
}

/**
 * poll and select: `look` checks the descriptors once (writing what it found; the number ready, or -errno). A timeout
 * of -1 waits without limit, 0 does not wait. A signal mask (ppoll, pselect6; undefined: none) is the thread's while
 * the call lasts. A signal handler ends the wait with EINTR, SA_RESTART or not, as on Linux.
 */
function waitForReady(p: LinuxProcess, what: string, look: () => number, timeoutNs: number, mask: SignalSet | undefined): number {
  const signals = p.current.signals;
  if (mask !== undefined) applyWaitMask(signals, mask);
  const result = guarded(() => {
    const ready = look();
    if (ready !== 0 || timeoutNs === 0) return ready;
    const deadline = timeoutNs < 0 ? Infinity : p.cpuTime() + timeoutNs * PICOSECONDS_PER_NANOSECOND;
    const finish = (): number => {
      restoreWaitMask(signals);
      return guarded(look);
    };
    return p.block({ what, deadline, ready: () => guarded(look) !== 0, finish, interrupted: () => -EINTR });
  });
  if (result !== BLOCKED) restoreWaitMask(signals);
  return result;
}

function poll(p: LinuxProcess, fds: number, nfds: number, timeoutNs: number, mask?: SignalSet): number {
  return waitForReady(p, `poll on ${nfds} file(s)`, () => pollOnce(p, fds, nfds), timeoutNs, mask);
}

/** select's sets in order (read, write, except): the events asked of a file's poll, and those that make it ready. */
const SELECT_EVENTS = [[POLLIN, POLLIN | POLLHUP | POLLERR], [POLLOUT, POLLOUT | POLLERR], [POLLPRI, POLLPRI]] as const;
/** The most descriptors an fd_set holds (FD_SETSIZE). */
const FD_SETSIZE = 1024;

/** select/pselect6: the fd_sets at `addresses` (0: none) for descriptors below nfds; each keeps the ready ones. */
function select(p: LinuxProcess, nfds: number, addresses: readonly number[], timeoutNs: number, mask: SignalSet | undefined): number {
  if (nfds < 0) return -EINVAL;
  const count = Math.min(nfds, FD_SETSIZE);
  const words = Math.ceil(count / 32);
  return guarded(() => {
    const asked = addresses.map((a) => (a === 0 ? undefined : Uint32Array.from({ length: words }, (_, i) => p.memory.read32(u32(a + 4 * i)))));
    const look = (): number => {
      const found = asked.map((set) => set && new Uint32Array(set.length));
      let ready = 0;
      for (let fd = 0; fd < count; fd++) {
        const word = fd >>> 5, bit = 1 << (fd & 31);
        if (!asked.some((set) => set && set[word] & bit)) continue;
        const file = fileOf(p, fd);
        if (!file) return -EBADF;
        asked.forEach((set, k) => {
          if (!set || !(set[word] & bit)) return;
          const [query, readyWhen] = SELECT_EVENTS[k];
          if ((file.poll ? file.poll(query) : query & (POLLIN | POLLOUT)) & readyWhen) {
            found[k]![word] |= bit;
            ready++;
          }
        });
      }
      found.forEach((set, k) => set && writeWords(p, addresses[k], [...set]));
      return ready;
    };
    return waitForReady(p, `select on ${count} descriptor(s)`, look, timeoutNs, mask);
  });
}

/** pselect6's sixth argument: { const sigset_t *ss; size_t ss_len }, the mask while it waits (none where ss is NULL). */
function pselectMask(p: LinuxProcess, data: number): SignalSet | undefined | number {
  if (data === 0) return undefined;
  const set = p.memory.read32(u32(data)), size = p.memory.read32(u32(data + 4));
  if (set === 0) return undefined;
  return u32(size) !== 8 ? -EINVAL : readU64(p, set);
}

function pselect(p: LinuxProcess, nfds: number, readfds: number, writefds: number, exceptfds: number, timeout: number, data: number, wide: boolean): number {
  return guarded(() => {
    const mask = pselectMask(p, data);
    if (typeof mask === 'number') return mask;
    return select(p, nfds, [readfds, writefds, exceptfds], timeout === 0 ? -1 : readTimespec(p, timeout, wide), mask);
  });
}

/** ppoll/ppoll_time64 (fds, nfds, timeout, sigmask, sigsetsize). */
function ppoll(p: LinuxProcess, fds: number, nfds: number, timeout: number, sigmask: number, size: number, wide: boolean): number {
  if (sigmask !== 0 && u32(size) !== 8) return -EINVAL;
  return guarded(() => poll(p, u32(fds), u32(nfds), timeout === 0 ? -1 : readTimespec(p, timeout, wide), sigmask === 0 ? undefined : readU64(p, sigmask)));
}

function mmap(p: LinuxProcess, address: number, length: number, prot: number, flags: number, fd: number, offsetBytes: number): number {
  if (length === 0 || (address & (PAGE_SIZE - 1)) !== 0) return -EINVAL;
  const size = Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
  let where = address;
  if (!(flags & MAP_FIXED)) {
    if (address === 0 || !p.memory.isFree(address, size)) where = p.memory.findFree(size, MMAP_BOTTOM, MMAP_TOP);
    if (where < 0) return -ENOMEM;
  }
  if (flags & MAP_ANONYMOUS) {
    p.memory.mapAnonymous(where, size, prot);
    return where;
  }
  const file = fileOf(p, fd);
  if (!file) return -EBADF;
  if (file.mmap) {
    p.memory.unmap(where, size);
    const target = file.mmap(size, prot, flags, offsetBytes, p);
    if (typeof target === 'number') return target;
    p.memory.mapDevice(where, target.physical, size, prot);
    return where;
  }
  if (!file.read || flags & MAP_SHARED && prot & PROT_WRITE) return -ENODEV;
  // A private file mapping: a copy of the file's bytes.
  p.memory.mapAnonymous(where, size, prot);
  const data = file.read(length, offsetBytes, p);
  if (typeof data === 'object') p.memory.load(where, data);
  return where;
}

export const SYSCALLS: Readonly<Record<string, SystemCall>> = {
  exit: (p, status) => p.exitThread(status),
  exit_group: (_p, status) => { throw new ProcessExit({ kind: 'exit', status: status & 0xff }); },
  clone: (p, flags, stack, parentTid, tls, childTid) => clone(p, u32(flags), u32(stack), u32(parentTid), u32(tls), u32(childTid)),
  clone3: (p, args, size) => guarded(() => {
    // struct clone_args: 64-bit flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, ...
    if (u32(size) < 64) return -EINVAL;
    const field = (i: number) => p.memory.read32(u32(args + 8 * i)) >>> 0;
    const stack = field(5), stackSize = field(6);
    return clone(p, field(0), stack === 0 ? 0 : (stack + stackSize) >>> 0, field(3), field(7), field(2));
  }),

  read: (p, fd, buf, count) => doRead(p, fd, buf, count),
  pread64: (p, fd, buf, count, _pad, lo, hi) => doRead(p, fd, buf, count, u32(lo) + u32(hi) * 4294967296),
  write: (p, fd, buf, count) => guarded(() => doWrite(p, fd, p.memory.readBytes(u32(buf), u32(count)))),
  pwrite64: (p, fd, buf, count, _pad, lo, hi) => guarded(() => doWrite(p, fd, p.memory.readBytes(u32(buf), u32(count)), u32(lo) + u32(hi) * 4294967296)),
  writev: (p, fd, iov, count) => guarded(() => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const base = p.memory.read32(u32(iov + i * 8)), len = p.memory.read32(u32(iov + i * 8 + 4));
      parts.push(p.memory.readBytes(u32(base), u32(len)));
    }
    return doWrite(p, fd, Buffer.concat(parts));
  }),
  readv: (p, fd, iov, count) => guarded(() => {
    let total = 0;
    for (let i = 0; i < count; i++) {
      const base = p.memory.read32(u32(iov + i * 8)), len = p.memory.read32(u32(iov + i * 8 + 4));
      const n = doRead(p, fd, base, len);
      if (n < 0) return total > 0 ? total : n;
      total += n;
      if (n < len) break;
    }
    return total;
  }),

  open: (p, pathname, flags, mode) => openPath(p, AT_FDCWD, pathname, flags, mode),
  openat: (p, dirfd, pathname, flags, mode) => openPath(p, dirfd, pathname, flags, mode),
  close: (p, fd) => (p.files.close(fd) ? 0 : -EBADF),
  lseek: (p, fd, offset, whence) => {
    const file = fileOf(p, fd);
    if (!file) return -EBADF;
    return file.seek ? file.seek(offset, whence) : -ESPIPE;
  },
  _llseek: (p, fd, hi, lo, result, whence) => {
    const file = fileOf(p, fd);
    if (!file) return -EBADF;
    if (!file.seek) return -ESPIPE;
    const position = file.seek(hi * 4294967296 + u32(lo), whence);
    if (position < 0) return position;
    return guarded(() => { writeWords(p, result, [position % 4294967296, Math.floor(position / 4294967296)]); return 0; });
  },
  fstat64: (p, fd, buf) => {
    const file = fileOf(p, fd);
    if (!file) return -EBADF;
    return guarded(() => { p.memory.writeBytes(u32(buf), stat64(statOf(file))); return 0; });
  },
  stat64: (p, pathname, buf) => guarded(() => {
    const st = statPath(p, AT_FDCWD, pathname, 0);
    if (typeof st === 'number') return st;
    p.memory.writeBytes(u32(buf), stat64(st));
    return 0;
  }),
  lstat64: (p, pathname, buf) => guarded(() => {
    const st = statPath(p, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW);
    if (typeof st === 'number') return st;
    p.memory.writeBytes(u32(buf), stat64(st));
    return 0;
  }),
  fstatat64: (p, dirfd, pathname, buf, flags) => guarded(() => {
    const st = statPath(p, dirfd, pathname, flags);
    if (typeof st === 'number') return st;
    p.memory.writeBytes(u32(buf), stat64(st));
    return 0;
  }),
  statx: (p, dirfd, pathname, flags, _mask, buf) => guarded(() => {
    const st = statPath(p, dirfd, pathname, flags);
    if (typeof st === 'number') return st;
    p.memory.writeBytes(u32(buf), statx(st));
    return 0;
  }),
  access: (p, pathname) => guarded(() => { const st = statPath(p, AT_FDCWD, pathname, 0); return typeof st === 'number' ? st : 0; }),
  faccessat: (p, dirfd, pathname) => guarded(() => { const st = statPath(p, dirfd, pathname, 0); return typeof st === 'number' ? st : 0; }),
  faccessat2: (p, dirfd, pathname) => guarded(() => { const st = statPath(p, dirfd, pathname, 0); return typeof st === 'number' ? st : 0; }),
  readlink: (p, pathname, buf, size) => readlink(p, AT_FDCWD, pathname, buf, size),
  readlinkat: (p, dirfd, pathname, buf, size) => readlink(p, dirfd, pathname, buf, size),
  unlink: (p, pathname) => onPath(p, AT_FDCWD, pathname, (where, ws) => ws.unlink(where, '/', false)),
  unlinkat: (p, dirfd, pathname, flags) => onPath(p, dirfd, pathname, (where, ws) => ws.unlink(where, '/', (flags & AT_REMOVEDIR) !== 0)),
  rmdir: (p, pathname) => onPath(p, AT_FDCWD, pathname, (where, ws) => ws.unlink(where, '/', true)),
  mkdir: (p, pathname, mode) => onPath(p, AT_FDCWD, pathname, (where, ws) => ws.mkdir(where, '/', mode)),
  mkdirat: (p, dirfd, pathname, mode) => onPath(p, dirfd, pathname, (where, ws) => ws.mkdir(where, '/', mode)),
  symlink: (p, target, linkpath) => symlink(p, target, AT_FDCWD, linkpath),
  symlinkat: (p, target, dirfd, linkpath) => symlink(p, target, dirfd, linkpath),
  link: (p, oldpath, newpath) => onTwoPaths(p, AT_FDCWD, oldpath, AT_FDCWD, newpath, (from, to, ws) => ws.link(from, to, '/', false)),
  linkat: (p, olddirfd, oldpath, newdirfd, newpath, flags) => {
    if (flags & ~AT_SYMLINK_FOLLOW) return -EINVAL;
    return onTwoPaths(p, olddirfd, oldpath, newdirfd, newpath, (from, to, ws) => ws.link(from, to, '/', (flags & AT_SYMLINK_FOLLOW) !== 0));
  },
  rename: (p, oldpath, newpath) => onTwoPaths(p, AT_FDCWD, oldpath, AT_FDCWD, newpath, (from, to, ws) => ws.rename(from, to, '/', 0)),
  renameat: (p, olddirfd, oldpath, newdirfd, newpath) => onTwoPaths(p, olddirfd, oldpath, newdirfd, newpath, (from, to, ws) => ws.rename(from, to, '/', 0)),
  renameat2: (p, olddirfd, oldpath, newdirfd, newpath, flags) => onTwoPaths(p, olddirfd, oldpath, newdirfd, newpath, (from, to, ws) => ws.rename(from, to, '/', flags)),
  chmod: (p, pathname, mode) => onPath(p, AT_FDCWD, pathname, (where, ws) => ws.chmod(where, '/', mode)),
  fchmodat: (p, dirfd, pathname, mode) => onPath(p, dirfd, pathname, (where, ws) => ws.chmod(where, '/', mode)),
  fchmod: (p, fd, mode) => {
    const file = fileOf(p, fd);
    if (!file) return -EBADF;
    return file.chmod ? file.chmod(mode) : -EPERM;
  },
  utimensat: (p, dirfd, pathname, times, flags) => utimensat(p, dirfd, pathname, times, flags, false),
  utimensat_time64: (p, dirfd, pathname, times, flags) => utimensat(p, dirfd, pathname, times, flags, true),
  pipe: (p, fds) => pipe(p, fds, 0),
  pipe2: (p, fds, flags) => pipe(p, fds, flags),
  getcwd: (p, buf, size) => guarded(() => {
    const bytes = new TextEncoder().encode(p.cwd + '\0');
    if (bytes.length > u32(size)) return -ERANGE;
    p.memory.writeBytes(u32(buf), bytes);
    return bytes.length;
  }),
  chdir: (p, pathname) => onPath(p, AT_FDCWD, pathname, (where, ws) => {
    const directory = ws.directory(where, '/');
    if (typeof directory === 'number') return directory;
    p.cwd = directory;
    return 0;
  }),
  ioctl: (p, fd, request, arg) => {
    const file = fileOf(p, fd);
    if (!file) return -EBADF;
    return file.ioctl ? file.ioctl(u32(request), u32(arg), p) : -ENOTTY;
  },
  fcntl64: (p, fd, cmd, arg) => {
    const file = fileOf(p, fd);
    if (!file) return -EBADF;
    switch (cmd) {
      case 0: case 1030: return arg < 0 || arg >= p.files.size ? -EINVAL : p.files.add(file, arg);
      case 1: case 2: return 0;
      case 3: return file.flags;
      case 4: file.flags = (file.flags & ~0x2c00) | (arg & 0x2c00); return 0;
      default: return -EINVAL;
    }
  },
  getdents64: (p, fd, dirp, count) => guarded(() => {
    const file = fileOf(p, fd);
    if (!file) return -EBADF;
    if (!file.entries) return -ENOTDIR;
    const entries = file.entries();
    const out: Uint8Array[] = [];
    let used = 0;
    let position = file.entryIndex ?? 0;
    for (; position < entries.length; position++) {
      const name = new TextEncoder().encode(entries[position].name);
      const length = (19 + name.length + 1 + 7) & ~7;
      if (used + length > u32(count)) break;
      const record = new Uint8Array(length);
      const view = new DataView(record.buffer);
      writeU64(view, 0, entries[position].inode || position + 1);
      writeU64(view, 8, position + 1);
      view.setUint16(16, length, true);
      record[18] = entries[position].type;
      record.set(name, 19);
      out.push(record);
      used += length;
    }
    if (out.length === 0 && position < entries.length) return -EINVAL;
    file.entryIndex = position;
    p.memory.writeBytes(u32(dirp), Buffer.concat(out));
    return used;
  }),
  dup: (p, fd) => { const file = fileOf(p, fd); return file ? p.files.add(file) : -EBADF; },
  dup2: (p, fd, target) => { const file = fileOf(p, fd); if (!file || target < 0 || target >= p.files.size) return -EBADF; p.files.set(target, file); return target; },
  dup3: (p, fd, target, flags) => {
    const file = fileOf(p, fd);
    if (!file || target < 0 || target >= p.files.size) return -EBADF;
    if (fd === target || flags & ~O_CLOEXEC) return -EINVAL;
    p.files.set(target, file);
    return target;
  },
  eventfd: (p, initial) => p.files.add(new EventFd(u32(initial), O_RDWR)),
  eventfd2: (p, initial, flags) => p.files.add(new EventFd(u32(initial), O_RDWR | (flags & O_NONBLOCK), (flags & EFD_SEMAPHORE) !== 0)),
  poll: (p, fds, nfds, timeoutMs) => poll(p, u32(fds), u32(nfds), timeoutMs < 0 ? -1 : timeoutMs * 1e6),
  _newselect: (p, nfds, readfds, writefds, exceptfds, timeout) => guarded(() => {
    const ns = timeout === 0 ? -1 : (p.memory.read32(u32(timeout)) >>> 0) * 1e9 + (p.memory.read32(u32(timeout + 4)) >>> 0) * 1e3;
    return select(p, nfds, [readfds, writefds, exceptfds], ns, undefined);
  }),
  pselect6: (p, nfds, readfds, writefds, exceptfds, timeout, data) => pselect(p, nfds, readfds, writefds, exceptfds, timeout, data, false),
  pselect6_time64: (p, nfds, readfds, writefds, exceptfds, timeout, data) => pselect(p, nfds, readfds, writefds, exceptfds, timeout, data, true),
  ppoll: (p, fds, nfds, timeout, sigmask, size) => ppoll(p, fds, nfds, timeout, sigmask, size, false),
  ppoll_time64: (p, fds, nfds, timeout, sigmask, size) => ppoll(p, fds, nfds, timeout, sigmask, size, true),

  brk: (p, address) => {
    const target = u32(address);
    if (target < p.brkStart) return p.brk;
    const oldTop = Math.ceil(p.brk / PAGE_SIZE) * PAGE_SIZE;
    const newTop = Math.ceil(target / PAGE_SIZE) * PAGE_SIZE;
    if (newTop > oldTop) {
      if (!p.memory.isFree(oldTop, newTop - oldTop)) return p.brk;
      p.memory.mapAnonymous(oldTop, newTop - oldTop, PROT_READ | PROT_WRITE);
    } else if (newTop < oldTop) p.memory.unmap(newTop, oldTop - newTop);
    p.brk = target;
    return target;
  },
  mmap2: (p, address, length, prot, flags, fd, pgoff) => mmap(p, u32(address), u32(length), prot, flags, fd, u32(pgoff) * PAGE_SIZE),
  munmap: (p, address, length) => {
    if ((address & (PAGE_SIZE - 1)) !== 0 || length === 0) return -EINVAL;
    p.memory.unmap(u32(address), u32(length));
    return 0;
  },
  mprotect: (p, address, length, prot) => (p.memory.protect(u32(address), u32(length), prot) ? 0 : -ENOMEM),
  madvise: () => 0,
  mremap: () => -ENOMEM,

  ARM_set_tls: (p, value) => { p.cpu.tpidruro = value; return 0; },
  ARM_get_tls: (p) => p.cpu.tpidruro,
  ARM_cacheflush: () => 0,
  set_tid_address: (p, address) => {
    p.current.clearChildTid = u32(address);
    return p.current.tid;
  },
  set_robust_list: () => 0,
  rseq: () => -ENOSYS,
  getpid: (p) => p.pid,
  gettid: (p) => p.current.tid,
  getppid: () => 0,
  getuid32: () => 0,
  geteuid32: () => 0,
  getgid32: () => 0,
  getegid32: () => 0,
  sched_yield: (p) => p.block({ what: 'sched_yield', deadline: 0, ready: () => true, finish: () => 0 }),
  // One CPU: the kernel's mask is one long (4 bytes); the caller's size must hold it and be a multiple of it.
  sched_getaffinity: (p, _pid, size, mask) => guarded(() => {
    if (u32(size) < 4 || (size & 3) !== 0) return -EINVAL;
    writeWords(p, mask, [1]);
    return 4;
  }),
  futex: (p, address, op, value, timeout, address2, value3) => futex(p, address, op, value, timeout, address2, value3, false),
  futex_time64: (p, address, op, value, timeout, address2, value3) => futex(p, address, op, value, timeout, address2, value3, true),
  // The 32-bit interface: a limit that does not fit reads as RLIM_INFINITY (0xffffffff), and that sets infinity.
  ugetrlimit: (p, resource, rlim) => guarded(() => {
    const limit = p.resourceLimits.get(resource);
    if (limit === undefined) return -EINVAL;
    writeWords(p, rlim, limit.map((v) => (v >= 0xffffffffn ? 0xffffffff : Number(v))));
    return 0;
  }),
  setrlimit: (p, resource, rlim) => guarded(() => {
    const [soft, hard] = [0, 4].map((at) => p.memory.read32(u32(rlim + at)) >>> 0).map((v) => (v === 0xffffffff ? RLIM64_INFINITY : BigInt(v)));
    return p.resourceLimits.set(resource, soft, hard) ? 0 : -EINVAL;
  }),
  prlimit64: (p, pid, resource, newLimit, old) => guarded(() => {
    if (pid !== 0 && pid !== p.pid) return -ESRCH;
    const limit = p.resourceLimits.get(resource);
    if (limit === undefined) return -EINVAL;
    if (newLimit !== 0) {
      const soft = readU64(p, newLimit), hard = readU64(p, newLimit + 8);
      if (!p.resourceLimits.set(resource, soft, hard)) return -EINVAL;
    }
    if (old !== 0) {
      const bytes = new Uint8Array(16);
      const view = new DataView(bytes.buffer);
      view.setBigUint64(0, limit[0], true);
      view.setBigUint64(8, limit[1], true);
      p.memory.writeBytes(u32(old), bytes);
    }
    return 0;
  }),
  // The generator never blocks, so GRND_NONBLOCK and GRND_RANDOM change nothing; unknown flags, or INSECURE with
  // RANDOM, are EINVAL as on Linux.
  getrandom: (p, buf, length, flags) => guarded(() => {
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) || (flags & (GRND_RANDOM | GRND_INSECURE)) === (GRND_RANDOM | GRND_INSECURE)) return -EINVAL;
    const count = Math.min(u32(length), MAX_RW_COUNT);
    p.memory.writeBytes(u32(buf), p.randomBytes(count));
    return count;
  }),
  uname: (p, buf) => guarded(() => {
    const fields = ['Linux', 'dmalab', '6.1.0-dmalab', '#1 SMP', 'armv7l', '(none)'];
    const out = new Uint8Array(390);
    fields.forEach((f, i) => out.set(new TextEncoder().encode(f), i * 65));
    p.memory.writeBytes(u32(buf), out);
    return 0;
  }),
  sysinfo: () => -ENOSYS,

  clock_gettime: (p, clock, ts) => guarded(() => { timespec32(p, ts, clockNs(p, clock)); return 0; }),
  clock_gettime64: (p, clock, ts) => guarded(() => { timespec64(p, ts, clockNs(p, clock)); return 0; }),
  clock_getres: (p, _clock, ts) => guarded(() => { if (ts) timespec32(p, ts, 1); return 0; }),
  clock_getres_time64: (p, _clock, ts) => guarded(() => { if (ts) timespec64(p, ts, 1); return 0; }),
  gettimeofday: (p, tv) => guarded(() => {
    const ns = clockNs(p, 0);
    if (tv) writeWords(p, tv, [Math.floor(ns / 1e9), Math.floor((ns % 1e9) / 1000)]);
    return 0;
  }),
  nanosleep: (p, request, remaining) => guarded(() => sleep(p, readTimespec(p, request, false), remaining)),
  clock_nanosleep: (p, clock, flags, request, remaining) => guarded(() => {
    const ns = readTimespec(p, request, false);
    return flags & 1 ? sleep(p, ns - clockNs(p, clock)) : sleep(p, ns, remaining);
  }),
  clock_nanosleep_time64: (p, clock, flags, request, remaining) => guarded(() => {
    const ns = readTimespec(p, request, true);
    return flags & 1 ? sleep(p, ns - clockNs(p, clock)) : sleep(p, ns, remaining, true);
  }),

};

const CLONE_VM = 0x100;
const CLONE_THREAD = 0x10000;
const CLONE_SETTLS = 0x80000;
const CLONE_PARENT_SETTID = 0x100000;
const CLONE_CHILD_CLEARTID = 0x200000;
const CLONE_CHILD_SETTID = 0x1000000;

/** clone/clone3: threads of this process (CLONE_VM | CLONE_THREAD); a new process (fork) is not emulated. */
function clone(p: LinuxProcess, flags: number, stack: number, parentTid: number, tls: number, childTid: number): number {
  if ((flags & (CLONE_VM | CLONE_THREAD)) !== (CLONE_VM | CLONE_THREAD)) return -ENOSYS;
  return guarded(() => {
    const thread = p.spawnThread(stack, flags & CLONE_SETTLS ? tls : undefined);
    if (flags & CLONE_PARENT_SETTID) p.memory.write32(parentTid, thread.tid);
    if (flags & CLONE_CHILD_SETTID) p.memory.write32(childTid, thread.tid);
    if (flags & CLONE_CHILD_CLEARTID) thread.clearChildTid = childTid;
    return thread.tid;
  });
}

const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_REQUEUE = 3;
const FUTEX_CMP_REQUEUE = 4;
const FUTEX_WAKE_OP = 5;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_CLOCK_REALTIME = 256;

/**
 * futex(2) on one process's words (FUTEX_PRIVATE_FLAG changes nothing here). FUTEX_WAIT's timeout is relative,
 * FUTEX_WAIT_BITSET's absolute (on CLOCK_REALTIME with FUTEX_CLOCK_REALTIME, else CLOCK_MONOTONIC).
 */
function futex(p: LinuxProcess, address: number, op: number, value: number, timeout: number, address2: number, value3: number, time64: boolean): number {
  return guarded(() => {
    const word = u32(address);
    const command = op & 0x7f;
    switch (command) {
      case FUTEX_WAIT:
      case FUTEX_WAIT_BITSET: {
        const bitset = command === FUTEX_WAIT ? 0xffffffff : u32(value3);
        if (bitset === 0) return -EINVAL;
        if (p.memory.read32(word) !== value) return -EAGAIN;
        let deadline = Infinity;
        if (timeout !== 0) {
          const ns = readTimespec(p, timeout, time64);
          const remaining = command === FUTEX_WAIT_BITSET ? ns - clockNs(p, op & FUTEX_CLOCK_REALTIME ? 0 : 1) : ns;
          deadline = p.cpuTime() + Math.max(0, remaining) * PICOSECONDS_PER_NANOSECOND;
        }
        const thread = p.current;
        p.futexes.enqueue(word, thread, bitset);
        return p.block({
          what: `futex wait on ${hex(word)}`,
          deadline,
          ready: () => thread.woken,
          finish: (timedOut) => {
            if (!timedOut) return 0;
            p.futexes.remove(thread);
            return -ETIMEDOUT;
          },
          // As Linux's: a wait without a timeout restarts with SA_RESTART, one with a timeout fails with EINTR.
          interrupted: (restart) => {
            p.futexes.remove(thread);
            return restart && deadline === Infinity ? RESTART : -EINTR;
          },
        });
      }
      case FUTEX_WAKE:
        return p.futexes.wake(word, value);
      case FUTEX_WAKE_BITSET:
        return u32(value3) === 0 ? -EINVAL : p.futexes.wake(word, value, u32(value3));
      case FUTEX_REQUEUE:
      case FUTEX_CMP_REQUEUE:
        if (command === FUTEX_CMP_REQUEUE && p.memory.read32(word) !== value3) return -EAGAIN;
        // The fourth argument is val2 (a count), not a timeout, for the requeue operations.
        return p.futexes.requeue(word, u32(address2), value, timeout);
      case FUTEX_WAKE_OP: {
        const target = u32(address2);
        const old = p.memory.read32(target);
        p.memory.write32(target, wakeOpResult(old, value3));
        let woken = p.futexes.wake(word, value);
        if (wakeOpCondition(old, value3)) woken += p.futexes.wake(target, timeout);
        return woken;
      }
      default:
        return -ENOSYS;
    }
  });
}

/** FUTEX_WAKE_OP's operation on the old value: op (bits 28-31, bit 31 = the operand is 1 << oparg) with oparg (12-23). */
function wakeOpResult(old: number, encoded: number): number {
  const op = (encoded >>> 28) & 7;
  let arg = (encoded << 8) >> 20;
  if (encoded & 0x80000000) arg = 1 << (arg & 31);
  switch (op) {
    case 0: return arg;
    case 1: return old + arg;
    case 2: return old | arg;
    case 3: return old & ~arg;
    default: return old ^ arg;
  }
}

/** FUTEX_WAKE_OP's comparison of the old value: cmp (bits 24-27) with cmparg (0-11). */
function wakeOpCondition(old: number, encoded: number): boolean {
  const arg = (encoded << 20) >> 20;
  switch ((encoded >>> 24) & 15) {
    case 0: return old === arg;
    case 1: return old !== arg;
    case 2: return old < arg;
    case 3: return old <= arg;
    case 4: return old > arg;
    default: return old >= arg;
  }
}

function readlink(p: LinuxProcess, dirfd: number, pathname: number, buf: number, size: number): number {
  return onPath(p, dirfd, pathname, (guest, ws) => {
    if (size <= 0) return -EINVAL;
    const where = normalPath(guest);
    let target: string | number | undefined;
    if (where === '/proc/self/exe') target = path.posix.resolve('/', p.options.argv[0] ?? 'program');
    else target = p.options.devices?.readlink?.(where) ?? ws.readlink(guest, '/');
    if (typeof target === 'number') return target;
    const bytes = new TextEncoder().encode(target).subarray(0, u32(size));
    p.memory.writeBytes(u32(buf), bytes);
    return bytes.length;
  });
}

/** A system call on one guest path (read from `pathAddress`, relative to dirfd). */
function onPath(p: LinuxProcess, dirfd: number, pathAddress: number, body: (guest: string, workspace: Workspace) => number): number {
  return guarded(() => {
    const where = guestPathAt(p, dirfd, pathAddress);
    return typeof where === 'number' ? where : body(where, p.options.workspace);
  });
}

function onTwoPaths(p: LinuxProcess, dirfd1: number, path1: number, dirfd2: number, path2: number, body: (from: string, to: string, workspace: Workspace) => number): number {
  return onPath(p, dirfd1, path1, (from) => onPath(p, dirfd2, path2, (to, workspace) => body(from, to, workspace)));
}

function symlink(p: LinuxProcess, target: number, dirfd: number, linkpath: number): number {
  return guarded(() => {
    const text = p.memory.readCString(u32(target));
    return onPath(p, dirfd, linkpath, (where, ws) => ws.symlink(text, where, '/'));
  });
}

/** utimensat (and futimens, with a NULL path): times NULL means now for both; UTIME_NOW / UTIME_OMIT per time. */
function utimensat(p: LinuxProcess, dirfd: number, pathAddress: number, timesAddress: number, flags: number, wide: boolean): number {
  return guarded(() => {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    const nowNs = clockNs(p, 0);
    const now: FileTime = { seconds: Math.floor(nowNs / 1e9), nanoseconds: nowNs % 1e9 };
    const times: FileTime[] = [now, now];
    if (timesAddress !== 0) {
      for (let i = 0; i < 2; i++) {
        const at = u32(timesAddress) + i * (wide ? 16 : 8);
        const seconds = wide ? Number(BigInt.asIntN(64, readU64(p, at))) : p.memory.read32(at) | 0;
        const nanoseconds = p.memory.read32(at + (wide ? 8 : 4)) >>> 0;
        if (nanoseconds === UTIME_OMIT) times[i] = 'omit';
        else if (nanoseconds !== UTIME_NOW) {
          if (nanoseconds >= 1e9) return -EINVAL;
          times[i] = { seconds, nanoseconds };
        }
      }
    }
    if (pathAddress === 0) {
      const file = fileOf(p, dirfd);
      if (!file) return -EBADF;
      return file.setTimes ? file.setTimes(times[0], times[1]) : -EPERM;
    }
    return onPath(p, dirfd, pathAddress, (where, ws) => ws.setTimes(where, '/', !(flags & AT_SYMLINK_NOFOLLOW), times[0], times[1]));
  });
}

function pipe(p: LinuxProcess, fdsAddress: number, flags: number): number {
  if (flags & ~(O_NONBLOCK | O_CLOEXEC)) return -EINVAL;
  return guarded(() => {
    p.memory.read32(u32(fdsAddress + 4)); // EFAULT before any descriptor is made
    const [readEnd, writeEnd] = new Pipe().ends(flags);
    const readFd = p.files.add(readEnd);
    if (readFd < 0) {
      writeEnd.close();
      return readFd;
    }
    const writeFd = p.files.add(writeEnd);
    if (writeFd < 0) {
      p.files.close(readFd);
      return writeFd;
    }
    writeWords(p, fdsAddress, [readFd, writeFd]);
    return 0;
  });
}

