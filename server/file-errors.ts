// A file system error on a file the user named, in words (`board.dts: no such file`): the CLI's input errors and the
// debug adapter's launch errors say it the same way.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';

export const FILE_ERROR_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a component of the path is not a directory',
};

export const missingDirectory = (file: string): string => `${file}: the directory ${dirname(file)} does not exist`;

/** `file: no such file` for a file system error on a named file, else undefined; a file (often an output: `-o`,
 * `--dump ...=FILE`, `--trace-out`) in a directory that does not exist says which directory. */
export function describeFileError(error: unknown, file = (error as NodeJS.ErrnoException).path): string | undefined {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOENT' && file !== undefined && !existsSync(dirname(file))) return missingDirectory(file);
  const reason = FILE_ERROR_REASONS[code];
  return reason && file !== undefined ? `${file}: ${reason}` : undefined;
}
