// The `dmalab` command line: one engine per language, shared with the language server and the debugger.
import { writeSync } from 'node:fs';
import { parseArgs, UsageError } from './args';
import type { Command, CommandIO } from './command';
import { InputError } from './input';
import { PlatformError } from '../scenarios/platform-error';
import { describeFileError } from '../server/file-errors';
import { closestName } from '../server/spelling';
import { DMALAB_VERSION } from '../server/version';

/** A command as the dispatcher knows it: its module is loaded only when it runs, so start-up pays for one command. */
interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  /** Words a user may type for it, for the suggestion after an unknown command (`dmalab assemble`). */
  readonly alsoSpelled?: readonly string[];
  /**
   * The process ends as soon as the command returns (its output is written synchronously): Node would otherwise wait
   * for the work V8 still has in progress after a long run (optimizing compiles, incremental marking), 5-15 ms.
   */
  readonly endsProcess?: boolean;
  load(): Promise<Command>;
}

const COMMANDS: readonly CommandEntry[] = [
  { name: 'asm', summary: 'assemble PL330 microcode', alsoSpelled: ['assemble'], load: async () => (await import('./asm')).asmCommand },
  { name: 'disasm', summary: 'disassemble PL330 microcode', alsoSpelled: ['disassemble'], load: async () => (await import('./disasm')).disasmCommand },
  { name: 'run', summary: 'run a PL330 program on the emulated DMAC', load: async () => (await import('./run')).runCommand },
  {
    name: 'run-elf',
    summary: 'run an ARM Linux executable (armhf/armel ELF) in user mode on the emulator',
    endsProcess: true,
    load: async () => (await import('./run-elf')).runElfCommand,
  },
  {
    name: 'boot',
    summary: 'boot a Linux kernel (zImage/Image) or a bare-metal ELF on the emulated ARMv7-A system',
    load: async () => (await import('./boot')).bootCommand,
  },
  { name: 'dtc', summary: 'compile and decompile devicetrees (dtc-compatible)', load: async () => (await import('./dtc')).dtcCommand },
  {
    name: 'demo',
    summary: "run the VFIO_PLATFORM guide's VFIO Test Cases 1 and 2 and the isolation check (PASS/FAIL)",
    load: async () => (await import('./demo')).demoCommand,
  },
  { name: 'dap', summary: 'run the debug adapter (Debug Adapter Protocol over stdin/stdout)', load: async () => (await import('./dap')).dapCommand },
  { name: 'lsp', summary: 'run the language server (PL330 assembly, devicetree) over stdio', load: async () => (await import('./lsp')).lspCommand },
];

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

/** Whether `dmalab NAME` is a command (the launcher keeps a code cache per command). */
export function isCommand(name: string): boolean {
  return COMMANDS.some((c) => c.name === name);
}

function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: dmalab COMMAND [OPTIONS]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

'dmalab COMMAND --help' (or 'dmalab help COMMAND') describes a command; 'dmalab --version' prints the version.
`;
}

/** A command's usage lines: its help up to the first blank line. */
function synopsis(usage: string): string {
  const end = usage.indexOf('\n\n');
  return end < 0 ? usage : usage.slice(0, end);
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  // `dmalab help run` is `dmalab run --help`, as git's and go's `help COMMAND`.
  if (name === 'help' && rest.length === 1) return main([rest[0], '--help']);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainUsage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout(`dmalab ${DMALAB_VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    const near = closestName(name, COMMANDS.map((c) => [c.name, ...(c.alsoSpelled ?? [])]));
    io.stderr(`dmalab: unknown command '${name}'${near ? `; did you mean '${near}'?` : ''}\n${mainUsage()}`);
    return 2;
  }
  const command = await entry.load();
  // Not past `--`: what follows is the program's own (`dmalab run-elf prog -- --help`).
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  const json = '--json' in command.flags && own.includes('--json');
  /** An error: its human line on stderr, or with --json the one JSON object a script reads on stdout instead. */
  const fail = (message: string, status: number, human: string): number => {
    if (json) io.stdout(JSON.stringify({ error: errorObject(message, own) }, null, 2) + '\n');
    else io.stderr(human);
    return status;
  };
  try {
    if (own.includes('--help') || own.includes('-h')) {
      io.stdout(command.usage + '\n');
      return 0;
    }
    return await command.run(parseArgs(rest, command.flags, command.programArguments?.bind(command)), io);
  } catch (error) {
    if (error instanceof BrokenPipe) return BROKEN_PIPE_STATUS;
    if (error instanceof InputError || error instanceof PlatformError) {
      // A message that starts at a file:line:col location is already in the compilers' form: no second prefix.
      const human = LOCATED.test(error.message) ? `${error.message}\n` : `dmalab ${name}: ${error.message}\n`;
      return fail(error.message, command.inputErrorStatus ?? 1, human);
    }
    if (error instanceof UsageError) {
      // The synopsis, not the whole help: the error stays on the screen above it.
      return fail(error.message, 2, `dmalab ${name}: ${error.message}\n${synopsis(command.usage)}\n'dmalab ${name} --help' describes the options.\n`);
    }
    const fileError = describeFileError(error);
    if (fileError !== undefined) return fail(fileError, command.inputErrorStatus ?? 1, `dmalab ${name}: ${fileError}\n`);
    // A bug of dmalab's: a script reading --json output still gets its one object; the stack goes to stderr for a report.
    if (json) {
      io.stderr(`dmalab: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
      io.stdout(JSON.stringify({ error: { message: `internal error: ${error instanceof Error ? error.message : String(error)}`, internal: true } }, null, 2) + '\n');
      return INTERNAL_ERROR_STATUS;
    }
    throw error;
  }
}

/** A bug of dmalab's rather than of its input (sysexits' EX_SOFTWARE). */
const INTERNAL_ERROR_STATUS = 70;

/** A diagnostic's `file:line:col: [error: ]message` (the rest of a multi-line message follows in it). */
const LOCATED = /^([^\s:][^:\n]*):(\d+):(\d+): (?:error: )?([\s\S]*)$/;

/** The error a --json run prints as `{ error }`: the message, and where it is: `file`, `line`, `column` when the
 * message starts at a location, `file` alone when it starts with a file named on the command line. */
function errorObject(message: string, words: readonly string[]): { message: string; file?: string; line?: number; column?: number } {
  const located = LOCATED.exec(message);
  if (located) return { message: located[4], file: located[1], line: Number(located[2]), column: Number(located[3]) };
  const named = /^([^:\n]+): ([\s\S]*)$/.exec(message);
  // A file given as a flag's value (`--platform board.dts`) or after its `=` (`--dump 0x0:4=out.bin`).
  const isFile = named !== null && !named[1].startsWith('-') && words.some((word) => word === named[1] || word.endsWith(`=${named[1]}`));
  if (isFile) return { message: named[2], file: named[1] };
  return { message };
}

/** Runs the CLI on this process's arguments and sets its exit status (dist/cli.js, the launcher, calls it). */
export function runCli(): void {
  const argv = process.argv.slice(2);
  main(argv).then(
    (status) => {
      process.exitCode = status;
      if (COMMANDS.find((c) => c.name === argv[0])?.endsProcess === true) process.exit();
    },
    (error: unknown) => {
      process.stderr.write(`dmalab: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = INTERNAL_ERROR_STATUS;
    },
  );
}

if (require.main === module) runCli();
