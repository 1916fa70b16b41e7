// Runs the `dmalab dtc` command in this process, capturing its stderr.
import { parseArgs } from '../../../cli/args';
import { dtcCommand } from '../../../cli/dtc';

export async function dmalabDtc(args: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const io = { stdout: (data: string | Uint8Array) => void process.stdout.write(data), stderr: (text: string) => void (stderr += text) };
  return { status: await dtcCommand.run(parseArgs(args, dtcCommand.flags), io), stderr };
}
