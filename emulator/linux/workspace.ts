// The files a process sees: a sandboxed view of one host directory (the workspace), shown to the program as `/`.
// Guest paths are resolved here one component at a time, as the kernel does, never by the host: `..` at the root
// stays at the root, and a symbolic link is read (lstat, readlink) and its target resolved again inside the
// workspace (an absolute target starts at the workspace root). The host therefore only ever sees paths whose every
// directory component is a real directory inside the root, and a last component that is either not a link or is
// meant as the link itself (lstat, readlink, unlink, rename): a link whose text points outside reads nothing of the
// host. Links may be created with any target text, as on Linux.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EACCES, EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTDIR, EPERM, EXDEV } from './errno';
import type { DirectoryEntry, FileStatus, FileTime, OpenFile } from './files';

export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_DIRECTORY = 0o40000;
export const O_NOFOLLOW = 0o100000;

/** renameat2 flags. */
export const RENAME_NOREPLACE = 1;

/** The kernel's limit on links followed in one path resolution (MAXSYMLINKS). */
const MAX_LINKS = 40;

/** Where a guest path leads: its host path, its canonical guest path, and the lstat of what is there (if any). */
export interface Resolved {
  readonly host: string;
  readonly guest: string;
  readonly stats: fs.Stats | undefined;
}

export class Workspace {
  readonly root: string;

  constructor(root: string) {
    this.root = fs.realpathSync(root);
  }

  /**
   * Resolves a guest path (absolute, or relative to the guest directory `cwd`) inside the workspace. Every
   * directory component must exist; the last may be missing (a file to create). `followLast` says whether a last
   * component that is a link is followed (open, stat) or meant itself (lstat, readlink, unlink, rename).
   */
  resolve(guestPath: string, cwd: string, followLast: boolean): Resolved | number {
    if (guestPath === '') return -ENOENT;
    const pending = splitPath(guestPath);
    const done: string[] = path.posix.isAbsolute(guestPath) ? [] : splitPath(cwd);
    let links = 0;
    let stats: fs.Stats | undefined;
    // A trailing slash (or `/.`) asks for a directory: the last name is then followed like an inner one.
    const mustBeDirectory = /\/\.?$/.test(guestPath);
    while (pending.length > 0) {
      const name = pending.shift()!;
      if (name === '.') continue;
      if (name === '..') {
        done.pop();
        stats = undefined;
        continue;
      }
      const host = this.hostOf([...done, name]);
      const last = pending.length === 0;
      stats = lstatOrUndefined(host);
      if (stats === undefined) {
        if (last && !mustBeDirectory) return { host, guest: '/' + [...done, name].join('/'), stats };
        return -ENOENT;
      }
      if (stats.isSymbolicLink() && (!last || followLast || mustBeDirectory)) {
        if (++links > MAX_LINKS) return -ELOOP;
        const target = fs.readlinkSync(host);
        if (target === '') return -ENOENT;
        if (path.posix.isAbsolute(target)) done.length = 0;
        pending.unshift(...splitPath(target));
        continue;
      }
      if (!last && !stats.isDirectory()) return -ENOTDIR;
      done.push(name);
    }
    const host = this.hostOf(done);
    stats ??= lstatOrUndefined(host);
    if (mustBeDirectory && stats !== undefined && !stats.isDirectory()) return -ENOTDIR;
    return { host, guest: '/' + done.join('/'), stats };
  }

  private hostOf(components: readonly string[]): string {
    return path.join(this.root, ...components);
  }

  open(guestPath: string, flags: number, mode: number, cwd: string): OpenFile | number {
    const creating = (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL);
    const where = this.resolve(guestPath, cwd, !creating && !(flags & O_NOFOLLOW));
    if (typeof where === 'number') return where;
    const st = where.stats;
    if (st?.isSymbolicLink()) return creating ? -EEXIST : -ELOOP;
    return hostCall(EACCES, () => {
      if (st?.isDirectory()) {
        if (flags & O_CREAT) return -EISDIR;
        if ((flags & O_ACCMODE) !== 0) return -EISDIR;
        return new HostDirectory(where.guest, where.host, st);
      }
      if (flags & O_DIRECTORY) return st ? -ENOTDIR : -ENOENT;
      // The last component was resolved here: the host must not follow a link that appeared there since.
      const fd = fs.openSync(where.host, hostOpenFlags(flags) | fs.constants.O_NOFOLLOW, mode & 0o7777);
      return new HostFile(where.guest, fd, flags);
    });
  }

  /** A read-only host file outside the workspace that the emulator itself chose (the ARM sysroot's libraries). */
  openHost(guestPath: string, hostPath: string): OpenFile | number {
    return hostCall(ENOENT, () => new HostFile(guestPath, fs.openSync(hostPath, 'r'), 0));
  }

  /** stat (following a last link) or lstat. */
  stat(guestPath: string, cwd: string, followLast = true): FileStatus | number {
    const where = this.existing(guestPath, cwd, followLast);
    return typeof where === 'number' ? where : statusOf(where.stats);
  }

  /** The canonical guest path of a directory (chdir). */
  directory(guestPath: string, cwd: string): string | number {
    const where = this.existing(guestPath, cwd, true);
    if (typeof where === 'number') return where;
    return where.stats.isDirectory() ? where.guest : -ENOTDIR;
  }

  /** A link's target text, as it was written. */
  readlink(guestPath: string, cwd: string): string | number {
    const where = this.existing(guestPath, cwd, false);
    if (typeof where === 'number') return where;
    if (!where.stats.isSymbolicLink()) return -EINVAL;
    return hostCall(EINVAL, () => fs.readlinkSync(where.host));
  }

  unlink(guestPath: string, cwd: string, directory: boolean): number {
    const where = this.existing(guestPath, cwd, false);
    if (typeof where === 'number') return where;
    if (where.guest === '/') return directory ? -EBUSY : -EISDIR;
    return hostCall(EACCES, () => (directory ? fs.rmdirSync(where.host) : fs.unlinkSync(where.host), 0));
  }

  mkdir(guestPath: string, cwd: string, mode: number): number {
    const where = this.resolve(guestPath.replace(/\/+$/, '') || '/', cwd, false);
    if (typeof where === 'number') return where;
    if (where.stats) return -EEXIST;
    return hostCall(EACCES, () => (fs.mkdirSync(where.host, mode & 0o777), 0));
  }

  /** Creates a link at `linkPath` holding `target` (any text; it is resolved in the sandbox when followed). */
  symlink(target: string, linkPath: string, cwd: string): number {
    if (target === '') return -ENOENT;
    const where = this.resolve(linkPath, cwd, false);
    if (typeof where === 'number') return where;
    if (where.stats) return -EEXIST;
    return hostCall(EACCES, () => (fs.symlinkSync(target, where.host), 0));
  }

  /** A hard link; `followOld` (linkat's AT_SYMLINK_FOLLOW) links a link's target instead of the link. */
  link(oldPath: string, newPath: string, cwd: string, followOld: boolean): number {
    const from = this.existing(oldPath, cwd, followOld);
    if (typeof from === 'number') return from;
    if (from.stats.isDirectory()) return -EPERM;
    const to = this.resolve(newPath, cwd, false);
    if (typeof to === 'number') return to;
    if (to.stats) return -EEXIST;
    return hostCall(EACCES, () => (fs.linkSync(from.host, to.host), 0));
  }

  rename(oldPath: string, newPath: string, cwd: string, flags: number): number {
    if (flags & ~RENAME_NOREPLACE) return -EINVAL;
    const from = this.existing(oldPath, cwd, false);
    if (typeof from === 'number') return from;
    const to = this.resolve(newPath, cwd, false);
    if (typeof to === 'number') return to;
    if (from.guest === '/' || to.guest === '/') return -EBUSY;
    if (to.stats && flags & RENAME_NOREPLACE) return -EEXIST;
    if (to.guest.startsWith(from.guest + '/')) return -EINVAL;
    return hostCall(EACCES, () => (fs.renameSync(from.host, to.host), 0));
  }

  chmod(guestPath: string, cwd: string, mode: number): number {
    const where = this.existing(guestPath, cwd, true);
    if (typeof where === 'number') return where;
    return hostCall(EPERM, () => (fs.chmodSync(where.host, mode & 0o7777), 0));
  }

  /** utimensat on a path: each time is set, or left as it is ('omit'). */
  setTimes(guestPath: string, cwd: string, followLast: boolean, access: FileTime, modify: FileTime): number {
    const where = this.existing(guestPath, cwd, followLast);
    if (typeof where === 'number') return where;
    const st = where.stats;
    return hostCall(EPERM, () => {
      (st.isSymbolicLink() ? fs.lutimesSync : fs.utimesSync)(where.host, hostSeconds(access, st.atimeMs), hostSeconds(modify, st.mtimeMs));
      return 0;
    });
  }

  private existing(guestPath: string, cwd: string, followLast: boolean): (Resolved & { stats: fs.Stats }) | number {
    const where = this.resolve(guestPath, cwd, followLast);
    if (typeof where === 'number') return where;
    return where.stats ? (where as Resolved & { stats: fs.Stats }) : -ENOENT;
  }
}

function splitPath(guestPath: string): string[] {
  return guestPath.split('/').filter((part) => part !== '');
}

/** A utimensat time as the host's utimes takes it (seconds); 'omit' keeps the current one. */
function hostSeconds(time: FileTime, currentMs: number): number {
  return time === 'omit' ? currentMs / 1000 : time.seconds + time.nanoseconds / 1e9;
}

function lstatOrUndefined(host: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(host);
  } catch {
    return undefined;
  }
}

const ERRNO_BY_CODE: Record<string, number> = {
  EPERM, ENOENT, EBADF, EACCES, EBUSY, EEXIST, ENOTDIR, EISDIR, EINVAL, ELOOP,
  EXDEV, ENOSPC: 28, EROFS: 30, EMLINK: 31, ENAMETOOLONG: 36, ENOTEMPTY: 39,
};

function errnoOf(error: unknown): number | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? ERRNO_BY_CODE[code] : undefined;
}

/** Runs a host file-system call; its error becomes the matching negative errno (or `fallback`). */
function hostCall<T>(fallback: number, body: () => T): T | number {
  try {
    return body();
  } catch (error) {
    return -(errnoOf(error) ?? fallback);
  }
}

/** ARM Linux open flags → the host's (the numbering of some flags differs between architectures). */
function hostOpenFlags(flags: number): number {
  const c = fs.constants;
  return (flags & O_ACCMODE) | (flags & O_CREAT ? c.O_CREAT : 0) | (flags & O_EXCL ? c.O_EXCL : 0) | (flags & O_TRUNC ? c.O_TRUNC : 0) | (flags & O_APPEND ? c.O_APPEND : 0);
}

function statusOf(st: fs.Stats): FileStatus {
  return { mode: st.mode, size: st.size, inode: st.ino, atimeMs: st.atimeMs, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, nlink: st.nlink };
}

class HostFile implements OpenFile {
  private position = 0;

  constructor(
    readonly name: string,
    private readonly fd: number,
    public flags: number,
  ) {}

  read(length: number, at?: number): Uint8Array | number {
    const buffer = new Uint8Array(length);
    return hostCall(EBADF, () => {
      const n = fs.readSync(this.fd, buffer, 0, length, at ?? this.position);
      if (at === undefined) this.position += n;
      return buffer.subarray(0, n);
    });
  }

  write(data: Uint8Array, at?: number): number {
    return hostCall(EBADF, () => {
      const position = at ?? (this.flags & O_APPEND ? fs.fstatSync(this.fd).size : this.position);
      const n = fs.writeSync(this.fd, data, 0, data.length, position);
      if (at === undefined) this.position = position + n;
      return n;
    });
  }

  seek(offset: number, whence: number): number {
    const base = whence === 0 ? 0 : whence === 1 ? this.position : whence === 2 ? fs.fstatSync(this.fd).size : NaN;
    const target = base + offset;
    if (!(target >= 0)) return -EINVAL;
    this.position = target;
    return target;
  }

  stat(): FileStatus {
    return statusOf(fs.fstatSync(this.fd));
  }

  chmod(mode: number): number {
    return hostCall(EPERM, () => (fs.fchmodSync(this.fd, mode & 0o7777), 0));
  }

  setTimes(access: FileTime, modify: FileTime): number {
    const st = fs.fstatSync(this.fd);
    return hostCall(EPERM, () => (fs.futimesSync(this.fd, hostSeconds(access, st.atimeMs), hostSeconds(modify, st.mtimeMs)), 0));
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

class HostDirectory implements OpenFile {
  flags = O_DIRECTORY;
  entryIndex = 0;
  constructor(
    readonly name: string,
    readonly hostPath: string,
    private readonly st: fs.Stats,
  ) {}

  read(): number {
    return -EISDIR;
  }

  entries(): DirectoryEntry[] {
    const list: DirectoryEntry[] = [{ name: '.', inode: this.st.ino, type: 4 }, { name: '..', inode: 0, type: 4 }];
    for (const d of fs.readdirSync(this.hostPath, { withFileTypes: true })) {
      list.push({ name: d.name, inode: 0, type: d.isDirectory() ? 4 : d.isFile() ? 8 : d.isSymbolicLink() ? 10 : 0 });
    }
    return list;
  }

  stat(): FileStatus {
    return statusOf(fs.statSync(this.hostPath));
  }

  chmod(mode: number): number {
    return hostCall(EPERM, () => (fs.chmodSync(this.hostPath, mode & 0o7777), 0));
  }

  setTimes(access: FileTime, modify: FileTime): number {
    const st = fs.statSync(this.hostPath);
    return hostCall(EPERM, () => (fs.utimesSync(this.hostPath, hostSeconds(access, st.atimeMs), hostSeconds(modify, st.mtimeMs)), 0));
  }
}
