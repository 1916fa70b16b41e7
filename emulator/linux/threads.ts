// The threads of one emulated process (what `clone(CLONE_VM | CLONE_THREAD)` makes for pthread_create), their waits
// in blocking system calls, and the futex wait queues. The process runs its threads one at a time on the CPU,
// switching register contexts as a uniprocessor kernel would; see LinuxProcess.run for the scheduling rules.
import type { CpuSnapshot } from '../cpu/state';
import { ThreadSignals } from './signals';

/** A system call handler's result meaning "the calling thread waits" (see LinuxProcess.block); never an errno. */
export const BLOCKED = -0x4000_0000;
/** A wait's `finish` result meaning "execute the system call again" (its arguments are still in r0-r5). */
export const RESTART = -0x4000_0001;

/** Why a thread waits and how its system call completes. */
export interface ThreadWait {
  /** For reports of a wait nothing can end: `read from eventfd (fd 5)`. */
  readonly what: string;
  /** Instant (timeline picoseconds) when the wait times out; Infinity: never. */
  readonly deadline: number;
  /** Whether what the thread waits for happened. */
  ready(): boolean;
  /** The system call's result (r0) once ready or timed out, RESTART, or BLOCKED after a new wait (LinuxProcess.block)
   * when only part of the work could be done (a blocking write larger than a pipe's room). */
  finish(timedOut: boolean): number;
  /** The result when a signal with a handler ends the wait first: -EINTR, or RESTART to execute the call again once
   * the handler returns (`restart`: the handler has SA_RESTART). Without it: RESTART with SA_RESTART, else -EINTR. */
  interrupted?(restart: boolean): number;
}

export class LinuxThread {
  /** The registers while another thread has the CPU (undefined while this one runs). */
  context: CpuSnapshot | undefined;
  wait: ThreadWait | undefined;
  /** CLONE_CHILD_CLEARTID / set_tid_address: zeroed and futex-woken when the thread exits. */
  clearChildTid = 0;
  exited = false;
  /** Set by a futex wake while the thread waits on a futex. */
  woken = false;
  readonly signals = new ThreadSignals();

  constructor(readonly tid: number) {}
}

/** Threads waiting on futex words, by address, in arrival order (FUTEX_WAKE wakes the longest waiting first). */
export class FutexQueues {
  private readonly queues = new Map<number, { thread: LinuxThread; bitset: number }[]>();

  enqueue(address: number, thread: LinuxThread, bitset: number): void {
    thread.woken = false;
    const queue = this.queues.get(address);
    if (queue) queue.push({ thread, bitset });
    else this.queues.set(address, [{ thread, bitset }]);
  }

  /** Removes a thread whose wait ended otherwise (timeout, exit). */
  remove(thread: LinuxThread): void {
    for (const [address, queue] of this.queues) {
      const i = queue.findIndex((w) => w.thread === thread);
      if (i < 0) continue;
      queue.splice(i, 1);
      if (queue.length === 0) this.queues.delete(address);
      return;
    }
  }

  /** Wakes up to `count` waiters of `address` whose bitset meets `bitset`; returns how many. */
  wake(address: number, count: number, bitset = 0xffffffff): number {
    const queue = this.queues.get(address);
    if (!queue) return 0;
    let woken = 0;
    for (let i = 0; i < queue.length && woken < count; ) {
      if ((queue[i].bitset & bitset) === 0) {
        i++;
        continue;
      }
      queue[i].thread.woken = true;
      queue.splice(i, 1);
      woken++;
    }
    if (queue.length === 0) this.queues.delete(address);
    return woken;
  }

  /** Wakes up to `wakeCount` waiters of `from` and moves up to `moveCount` of the rest to `to`. */
  requeue(from: number, to: number, wakeCount: number, moveCount: number): number {
    const woken = this.wake(from, wakeCount);
    const queue = this.queues.get(from);
    if (!queue) return woken;
    const moved = queue.splice(0, moveCount);
    if (queue.length === 0) this.queues.delete(from);
    for (const w of moved) this.enqueue(to, w.thread, w.bitset);
    return woken + moved.length;
  }
}
