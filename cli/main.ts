// The `dmalab` command line: one engine per language, shared with the language server and the debugger.
import { writeSync } from 'node:fs';
import { parseArgs, UsageError } from './args';
import { asmCommand } from './asm';
import type { Command, CommandIO } from './command';
import { dapCommand } from './dap';
import { demoCommand } from './demo';
import { disasmCommand } from './disasm';
import { dtcCommand } from './dtc';
import { InputError, describeFileError } from './input';
import { PlatformError } from '../scenarios/platform';
import { lspCommand } from './lsp';
import { runCommand } from './run';
import { runElfCommand } from './run-elf';

const COMMANDS: readonly Command[] = [asmCommand, disasmCommand, runCommand, runElfCommand, dtcCommand, demoCommand, dapCommand, lspCommand];

/** The reader of our output went away (`dmalab run x.pl330 | head -1`): stop quietly, as Unix tools do. */
class BrokenPipe extends Error {}

/** The status a shell shows for a tool that SIGPIPE ended (128 + 13). */
const BROKEN_PIPE_STATUS = 141;

/** Synchronous writes: a closed pipe is seen at the write (EPIPE), not later as an unhandled stream error. */
function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (let offset = 0; offset < bytes.length; ) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') throw new BrokenPipe();
      if (code !== 'EAGAIN') throw error;
    }
  }
}

const io: CommandIO = {
  stdout: (data) => writeAll(1, data),
  stderr: (text) => writeAll(2, text),
};

function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: dmalab COMMAND [OPTIONS]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

'dmalab COMMAND --help' describes a command.
`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainUsage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout(`dmalab ${process.env.DMALAB_VERSION ?? '0.1.0'}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`dmalab: unknown command '${name}'\n${mainUsage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(parseArgs(rest, command.flags), io);
  } catch (error) {
    if (error instanceof BrokenPipe) return BROKEN_PIPE_STATUS;
    if (error instanceof InputError || error instanceof PlatformError) {
      // A message that starts at a file:line:col location is already in the compilers' form: no second prefix.
      io.stderr(/^[^\s:]+:\d+:\d+: /.test(error.message) ? `${error.message}\n` : `dmalab ${name}: ${error.message}\n`);
      return command.inputErrorStatus ?? 1;
    }
    if (error instanceof UsageError) {
      io.stderr(`dmalab ${name}: ${error.message}\n${command.usage}\n`);
      return 2;
    }
    const fileError = describeFileError(error);
    if (fileError !== undefined) {
      io.stderr(`dmalab ${name}: ${fileError}\n`);
      return command.inputErrorStatus ?? 1;
    }
    throw error;
  }
}

/** Runs the CLI on this process's arguments and sets its exit status (bin/dmalab and `node dist/cli.js`). */
export function runCli(): void {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(`dmalab: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}

if (require.main === module) runCli();
