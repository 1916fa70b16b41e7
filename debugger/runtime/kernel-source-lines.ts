// A kernel's C source lines, from the DWARF line table of the ELF the session has: the `symbols` vmlinux (built with
// CONFIG_DEBUG_INFO), else the kernel itself when it is an ELF (a bare-metal program built with -g). Frames show the
// file and line of their PC; a line breakpoint binds to the addresses where the line is entered.
import { dirname, resolve } from 'node:path';
import { DwarfError, type LineRow, LineTable } from '../../emulator/elf/dwarf-line';
import { isElf } from '../../emulator/linux/elf';
import type { SourceRef } from './contract';
import { UserError } from './launch';

export class KernelSourceLines {
  private constructor(private readonly table: LineTable, private readonly elfPath: string) {}

  /** The line table of the first ELF with one among the symbols file and the kernel; undefined when none has. */
  static load(kernel: { path: string; bytes: Uint8Array }, symbols: { path: string; bytes: Uint8Array } | undefined): KernelSourceLines | undefined {
    for (const [attribute, file] of [['symbols', symbols], ['kernel', kernel]] as const) {
      if (file === undefined || !isElf(file.bytes)) continue;
      try {
        const table = LineTable.fromElf(file.bytes);
        if (table.size > 0) return new KernelSourceLines(table, file.path);
      } catch (error) {
        if (error instanceof DwarfError) throw new UserError(`'${attribute}': ${file.path}: ${error.message}`);
        throw error;
      }
    }
    return undefined;
  }

  /** Where the table came from, for messages. */
  get origin(): string {
    return this.elfPath;
  }

  /** The host path of a file the table names: relative ones are the ELF's directory's (a vmlinux sits at the top of
   * its build tree, where the compiler's relative paths start). */
  sourcePath(file: string): string {
    return resolve(dirname(this.elfPath), file);
  }

  /** The source position of the code at `address` (line and column 0-based), or undefined outside the table. */
  locate(address: number): { source: SourceRef; line: number; column?: number } | undefined {
    const row = this.table.lookup(address);
    if (!row || row.line === 0) return undefined;
    return { source: { path: this.sourcePath(row.file) }, line: row.line - 1, column: row.column > 0 ? row.column - 1 : undefined };
  }

  /** The row of `address` where a statement starts there, else undefined. (Several rows may share an address: the
   * last one is the address's line, as addr2line says, and need not be the statement.) */
  lineStartAt(address: number): LineRow | undefined {
    const row = this.table.lookup(address);
    return row && row.address === address && this.table.statementsIn(address, address + 1).length > 0 ? row : undefined;
  }

  /** Where a step over the source line holding `pc` may stop in its function ([start, end)): the starts of the
   * function's other lines. */
  otherLineStarts(pc: number, start: number, end: number): number[] {
    const current = this.table.lookup(pc);
    return this.table.statementsIn(start, end).filter((r) => !current || r.line !== current.line || r.file !== current.file).map((r) => r.address);
  }

  /** The line a breakpoint on `line` (1-based) of `path` binds to (the first with code at or after it) and its
   * statement addresses. */
  resolve(path: string, line: number): { line: number; addresses: number[] } | undefined {
    return this.table.resolve(path, line);
  }
}
