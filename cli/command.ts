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
  /** Some commands (lsp, dap, run with a guest) own the process; they resolve when done. */
  run(args: ParsedArgs, io: CommandIO): number | Promise<number>;
}
