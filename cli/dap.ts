// `dmalab dap`: the debug adapter over stdio, for DAP clients other than VS Code (nvim-dap, dape).
import { LAUNCH_HELP } from '../debugger/launch-help';
import { DmaDebugSession } from '../debugger/session';
import { UsageError } from './args';
import type { Command } from './command';

export const dapCommand: Command = {
  name: 'dap',
  usage: `usage: dmalab dap

${LAUNCH_HELP}`,
  flags: {},
  run(args) {
    if (args.positional.length > 0) throw new UsageError(`dap takes no arguments (the program is the launch request's): '${args.positional[0]}'`);
    const session = new DmaDebugSession();
    session.setRunAsServer(false);
    session.start(process.stdin, process.stdout);
    return new Promise<number>((resolve) => process.stdin.on('close', () => resolve(0)));
  },
};
