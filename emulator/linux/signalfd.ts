// signalfd(2): a file whose reads take the reading thread's pending signals of its mask (its own, then the
// process's), each as a 128-byte struct signalfd_siginfo, and that polls readable while one is pending. The signals
// are blocked as a rule, so they wait for the read instead of being delivered.
import { EAGAIN, EINVAL } from './errno';
import { O_NONBLOCK, POLLIN, WOULD_BLOCK, type FileStatus, type OpenFile } from './files';
import type { LinuxProcess } from './process';
import { SIGNALS, SI_TIMER, firstOf, siginfoBytes, type SignalInfo, type SignalSet } from './signals';

const SIGNALFD_SIGINFO_SIZE = 128;
/** Signals whose siginfo carries a fault address. */
const FAULTS = new Set<number>([SIGNALS.SIGSEGV, SIGNALS.SIGBUS, SIGNALS.SIGILL, SIGNALS.SIGFPE, SIGNALS.SIGTRAP]);

/** struct signalfd_siginfo: ssi_signo, ssi_errno, ssi_code, ssi_pid, ssi_uid, ssi_fd, ssi_tid (a timer's ID), ssi_band,
 * ssi_overrun, ssi_trapno, ssi_status, ssi_int, ssi_ptr (64-bit), ssi_utime, ssi_stime, ssi_addr (64-bit). */
function signalfdSiginfo(info: SignalInfo): Uint8Array {
  const from = new DataView(siginfoBytes(info).buffer);
  const out = new Uint8Array(SIGNALFD_SIGINFO_SIZE);
  const view = new DataView(out.buffer);
  const code = from.getInt32(8, true);
  view.setUint32(0, info.signal, true);
  view.setInt32(8, code, true);
  if (FAULTS.has(info.signal) && code > 0) {
    view.setUint32(72, from.getUint32(12, true), true);
  } else if (code === SI_TIMER) {
    view.setUint32(24, from.getUint32(12, true), true);
    view.setUint32(32, from.getUint32(16, true), true);
    view.setInt32(44, from.getInt32(20, true), true);
    view.setUint32(48, from.getUint32(20, true), true);
  } else {
    view.setUint32(12, from.getUint32(12, true), true);
    view.setUint32(16, from.getUint32(16, true), true);
    view.setInt32(44, from.getInt32(20, true), true);
    view.setUint32(48, from.getUint32(20, true), true);
  }
  return out;
}

export class SignalFd implements OpenFile {
  readonly name = 'anon_inode:[signalfd]';

  constructor(
    public mask: SignalSet,
    public flags: number,
    private readonly process: LinuxProcess,
  ) {}

  /** The signals of the mask pending for the thread that reads now. */
  private pending(): SignalSet {
    const p = this.process;
    return (p.current.signals.pending.set | p.signals.pending.set) & this.mask;
  }

  read(length: number): Uint8Array | number | typeof WOULD_BLOCK {
    if (length < SIGNALFD_SIGINFO_SIZE) return -EINVAL;
    const p = this.process;
    const taken: Uint8Array[] = [];
    for (let set = this.pending(); set !== 0n && (taken.length + 1) * SIGNALFD_SIGINFO_SIZE <= length; set = this.pending()) {
      const signal = firstOf(set);
      const info = p.current.signals.pending.take(signal) ?? p.signals.pending.take(signal)!;
      taken.push(signalfdSiginfo(info));
    }
    if (taken.length === 0) return this.flags & O_NONBLOCK ? -EAGAIN : WOULD_BLOCK;
    return Buffer.concat(taken);
  }

  poll(events: number): number {
    return this.pending() !== 0n ? events & POLLIN : 0;
  }

  stat(): FileStatus {
    return { mode: 0o600, size: 0, inode: 0 };
  }
}
