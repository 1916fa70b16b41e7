// Linux errno values (asm-generic/errno-base.h, errno.h), the one table of both kernels the emulator models (the
// user-mode Linux and the host-kernel model): system calls and file operations return their negation.
export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16,
  EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EMFILE: 24, ENOTTY: 25, ENOSPC: 28, ESPIPE: 29,
  EPIPE: 32, ERANGE: 34, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, ETIMEDOUT: 110,
} as const;

export const {
  EPERM, ENOENT, ESRCH, EINTR, EIO, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT, EBUSY, EEXIST, EXDEV, ENODEV, ENOTDIR, EISDIR,
  EINVAL, EMFILE, ENOTTY, ENOSPC, ESPIPE, EPIPE, ERANGE, ENOSYS, ENOTEMPTY, ELOOP, ETIMEDOUT,
} = ERRNO;

/** The name of a negative errno return (`-22` → `EINVAL`). */
export function errnoName(code: number): string {
  const n = -code;
  return Object.entries(ERRNO).find(([, v]) => v === n)?.[0] ?? `errno ${n}`;
}
