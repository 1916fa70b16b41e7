// The `dmalab` command line: one engine per language, shared with the language server and the debugger.
import { parseArgs, UsageError } from './args';
import { asmCommand } from './asm';
import { bootCommand } from './boot';
import type { Command, CommandIO } from './command';
import { dapCommand } from './dap';
import { demoCommand } from './demo';
import { disasmCommand } from './disasm';
import { dtcCommand } from './dtc';
import { lspCommand } from './lsp';
import { runCommand } from './run';
import { runElfCommand } from './run-elf';

const COMMANDS: readonly Command[] = [asmCommand, disasmCommand, runCommand, runElfCommand, bootCommand, dtcCommand, demoCommand, dapCommand, lspCommand];

const io: CommandIO = {
  stdout: (data) => process.stdout.write(data),
  stderr: (text) => process.stderr.write(text),
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
    if (error instanceof UsageError) {
      io.stderr(`dmalab ${name}: ${error.message}\n${command.usage}\n`);
      return 2;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      io.stderr(`dmalab ${name}: ${(error as Error).message}\n`);
      return 1;
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
