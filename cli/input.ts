// Reading the files a user names: each problem (missing, a directory, binary data where text is expected) becomes
// one InputError naming the file, which the command reports on one line with its documented status.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { FILE_ERROR_REASONS as REASONS, describeFileError, missingDirectory } from '../server/file-errors';

/** File name extensions of PL330 assembler source; `run` assembles these and takes any other file as raw microcode. */
const PL330_SOURCE_EXTENSIONS = ['.pl330', '.asm', '.s', '.S'];

export function isPl330Source(file: string): boolean {
  return PL330_SOURCE_EXTENSIONS.includes(extname(file));
}

/** Printable lines only: source text, where microcode (which ends in DMAEND, 0x00) was expected. */
export function isAllText(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes.every((b) => (b >= 0x20 ? b < 0x7f : b === 0x09 || b === 0x0a || b === 0x0d));
}

/** A file that cannot be used as given; the message already names it. */
export class InputError extends Error {}

/** The bytes of a file, or an InputError (`file: no such file`). */
export function readInputBytes(file: string): Uint8Array {
  try {
    if (statSync(file).isDirectory()) throw new InputError(`${file}: ${REASONS.EISDIR}`);
    const bytes = readFileSync(file);
    // A plain Uint8Array over a buffer of its own: the file's, unless Node read a small file into its shared pool.
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? new Uint8Array(bytes.buffer) : new Uint8Array(bytes);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const message = describeFileError(error, file);
    if (message) throw new InputError(message);
    throw error;
  }
}

/** The size of a file read later in place (`--mem`), or an InputError as readInputBytes gives. */
export function inputFileSize(file: string): number {
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) throw new InputError(`${file}: ${REASONS.EISDIR}`);
    return stat.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const message = describeFileError(error, file);
    if (message) throw new InputError(message);
    throw error;
  }
}

/** An output file checked before the work that fills it (a run, whose result would be lost): not a directory, and
 * in a directory that exists. */
export function checkOutputFile(file: string): void {
  if (!existsSync(dirname(file))) throw new InputError(missingDirectory(file));
  if (existsSync(file) && statSync(file).isDirectory()) throw new InputError(`${file}: ${REASONS.EISDIR}`);
}

/** A directory a command is given (`--workspace`, `--sysroot`): it must exist and be a directory. */
export function checkInputDirectory(dir: string): void {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such directory`);
  if (!statSync(dir).isDirectory()) throw new InputError(`${dir}: not a directory`);
}

/** The text of a source file; binary data (a NUL byte, or bytes that are not UTF-8) is refused, with its offset. */
export function readSourceText(file: string, bytes: Uint8Array = readInputBytes(file)): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputError(`${file}: not a text file (a NUL byte at offset ${nul}); give assembler source`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${file}: not a text file (it is not UTF-8); give assembler source`);
  }
}

/** How many diagnostics a command prints before it stops listing them (as compilers' -fmax-errors). */
export const MAX_PRINTED_DIAGNOSTICS = 50;

/**
 * The diagnostic lines to print: at most MAX_PRINTED_DIAGNOSTICS, then one line saying how many were left out
 * (`dmalab asm: prog.pl330: 850 more diagnostics not shown`: `prefix` is the command and the file).
 */
export function limitDiagnostics(lines: readonly string[], prefix: string): string[] {
  if (lines.length <= MAX_PRINTED_DIAGNOSTICS) return [...lines];
  return [...lines.slice(0, MAX_PRINTED_DIAGNOSTICS), `${prefix}: ${lines.length - MAX_PRINTED_DIAGNOSTICS} more diagnostics not shown`];
}
