// The shape of a CLI command; main.ts lists them with their summaries and loads each when it runs.
import type { FlagSpec, ParsedArgs } from './args';

export interface CommandIO {
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
}

export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** The exit status when an input file cannot be used (default 1). */
  readonly inputErrorStatus?: number;
  /** Whether it runs PROGRAM with the program's own arguments after `--` (run and run-elf, for an ELF). */
  programArguments?(program: string): boolean;
  /** Some commands (lsp, dap, run with a guest) own the process; they resolve when done. */
  run(args: ParsedArgs, io: CommandIO): number | Promise<number>;
}

/** Names as comma-separated lines indented by `indent` and at most `width` wide. */
export function wrapList(names: readonly string[], indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const [i, name] of names.entries()) {
    const item = name + (i < names.length - 1 ? ',' : '');
    if (line && indent + line.length + 1 + item.length > width) {
      lines.push(line);
      line = '';
    }
    line += (line ? ' ' : '') + item;
  }
  lines.push(line);
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}
