// The files a process sees: a sandboxed view of one host directory (the workspace). Guest paths are resolved
// against the guest's working directory, normalised, and must stay inside the root; symbolic links are followed on
// the host and rejected when they lead out of it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EACCES, EBADF, EINVAL, ENOENT, EISDIR } from './errno';
import { S_IFDIR, type DirectoryEntry, type FileStatus, type OpenFile } from './files';

export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_DIRECTORY = 0o40000;

export class Workspace {
  readonly root: string;

  constructor(root: string) {
    this.root = fs.realpathSync(root);
  }

  /** The host path for a guest path, or a negative errno when it escapes the sandbox. */
  hostPath(guestPath: string, cwd = '/'): string | number {
    const normal = path.posix.resolve(cwd, guestPath);
    const host = path.join(this.root, normal);
    let real: string;
    try {
      real = fs.realpathSync(host);
    } catch {
      // A file to be created: its directory must be inside.
      try {
        real = path.join(fs.realpathSync(path.dirname(host)), path.basename(host));
      } catch {
        return -ENOENT;
      }
    }
    return real === this.root || real.startsWith(this.root + path.sep) ? real : -EACCES;
  }

  open(guestPath: string, flags: number, mode: number, cwd: string): OpenFile | number {
    const host = this.hostPath(guestPath, cwd);
    if (typeof host === 'number') return host;
    try {
      const st = fs.existsSync(host) ? fs.statSync(host) : undefined;
      if (st?.isDirectory()) {
        if ((flags & O_ACCMODE) !== 0) return -EISDIR;
        return new HostDirectory(guestPath, host, st);
      }
      if (flags & O_DIRECTORY) return st ? -20 : -ENOENT;
      const fd = fs.openSync(host, hostOpenFlags(flags), mode & 0o7777);
      return new HostFile(guestPath, fd, flags);
    } catch (error) {
      return -(errnoOf(error) ?? EACCES);
    }
  }

  /** A read-only host file outside the workspace that the emulator itself chose (the ARM sysroot's libraries). */
  openHost(guestPath: string, hostPath: string): OpenFile | number {
    try {
      return new HostFile(guestPath, fs.openSync(hostPath, 'r'), 0);
    } catch (error) {
      return -(errnoOf(error) ?? ENOENT);
    }
  }

  stat(guestPath: string, cwd: string): FileStatus | number {
    const host = this.hostPath(guestPath, cwd);
    if (typeof host === 'number') return host;
    try {
      return statusOf(fs.statSync(host));
    } catch (error) {
      return -(errnoOf(error) ?? ENOENT);
    }
  }

  unlink(guestPath: string, cwd: string, directory: boolean): number {
    const host = this.hostPath(guestPath, cwd);
    if (typeof host === 'number') return host;
    try {
      if (directory) fs.rmdirSync(host);
      else fs.unlinkSync(host);
      return 0;
    } catch (error) {
      return -(errnoOf(error) ?? EACCES);
    }
  }

  mkdir(guestPath: string, cwd: string, mode: number): number {
    const host = this.hostPath(guestPath, cwd);
    if (typeof host === 'number') return host;
    try {
      fs.mkdirSync(host, mode & 0o777);
      return 0;
    } catch (error) {
      return -(errnoOf(error) ?? EACCES);
    }
  }
}

const ERRNO_BY_CODE: Record<string, number> = { ENOENT: 2, EACCES: 13, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENOTEMPTY: 39, EPERM: 1, EBADF: 9, ENOSPC: 28, EROFS: 30 };

function errnoOf(error: unknown): number | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? ERRNO_BY_CODE[code] : undefined;
}

/** ARM Linux open flags → the host's (the numbering of some flags differs between architectures). */
function hostOpenFlags(flags: number): number {
  const c = fs.constants;
  return (flags & O_ACCMODE) | (flags & O_CREAT ? c.O_CREAT : 0) | (flags & O_EXCL ? c.O_EXCL : 0) | (flags & O_TRUNC ? c.O_TRUNC : 0) | (flags & O_APPEND ? c.O_APPEND : 0);
}

function statusOf(st: fs.Stats): FileStatus {
  return { mode: st.mode, size: st.size, inode: st.ino, mtimeMs: st.mtimeMs, nlink: st.nlink };
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
    try {
      const n = fs.readSync(this.fd, buffer, 0, length, at ?? this.position);
      if (at === undefined) this.position += n;
      return buffer.subarray(0, n);
    } catch (error) {
      return -(errnoOf(error) ?? EBADF);
    }
  }

  write(data: Uint8Array, at?: number): number {
    try {
      const position = at ?? (this.flags & O_APPEND ? fs.fstatSync(this.fd).size : this.position);
      const n = fs.writeSync(this.fd, data, 0, data.length, position);
      if (at === undefined) this.position = position + n;
      return n;
    } catch (error) {
      return -(errnoOf(error) ?? EBADF);
    }
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
    return { ...statusOf(this.st), mode: S_IFDIR | (this.st.mode & 0o777) };
  }
}

