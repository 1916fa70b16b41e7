// Resource limits (getrlimit/setrlimit/prlimit64): the values a process starts with and what it set since. The
// defaults are those of a Linux login (kernel defaults, with systemd's open-file limit); nothing but RLIMIT_STACK
// is enforced by the emulator itself.

/** RLIM_INFINITY of the 64-bit interface (prlimit64). */
export const RLIM64_INFINITY = 2n ** 64n - 1n;
export const RLIMIT_STACK = 3;
export const RLIMIT_NOFILE = 7;

const DEFAULT_LIMITS: readonly (readonly [soft: bigint, hard: bigint])[] = [
  [RLIM64_INFINITY, RLIM64_INFINITY], // RLIMIT_CPU
  [RLIM64_INFINITY, RLIM64_INFINITY], // RLIMIT_FSIZE
  [RLIM64_INFINITY, RLIM64_INFINITY], // RLIMIT_DATA
  [8n << 20n, RLIM64_INFINITY], // RLIMIT_STACK
  [0n, RLIM64_INFINITY], // RLIMIT_CORE
  [RLIM64_INFINITY, RLIM64_INFINITY], // RLIMIT_RSS
  [15000n, 15000n], // RLIMIT_NPROC
  [1024n, 524288n], // RLIMIT_NOFILE
  [8n << 20n, 8n << 20n], // RLIMIT_MEMLOCK
  [RLIM64_INFINITY, RLIM64_INFINITY], // RLIMIT_AS
  [RLIM64_INFINITY, RLIM64_INFINITY], // RLIMIT_LOCKS
  [15000n, 15000n], // RLIMIT_SIGPENDING
  [819200n, 819200n], // RLIMIT_MSGQUEUE
  [0n, 0n], // RLIMIT_NICE
  [0n, 0n], // RLIMIT_RTPRIO
  [RLIM64_INFINITY, RLIM64_INFINITY], // RLIMIT_RTTIME
];

export class ResourceLimits {
  private readonly limits = DEFAULT_LIMITS.map(([soft, hard]) => [soft, hard]);

  /** [soft, hard], or undefined for a resource Linux does not have. */
  get(resource: number): readonly [bigint, bigint] | undefined {
    const limit = this.limits[resource];
    return limit === undefined ? undefined : [limit[0], limit[1]];
  }

  /** The soft limit on open descriptors. */
  get openFiles(): number {
    return Number(this.limits[RLIMIT_NOFILE][0]);
  }

  /** Sets a limit; false when the soft limit exceeds the hard one (EINVAL). The process runs as root, which may
   * raise a hard limit. */
  set(resource: number, soft: bigint, hard: bigint): boolean {
    if (this.limits[resource] === undefined || soft > hard) return false;
    this.limits[resource] = [soft, hard];
    return true;
  }
}
