// `dmalab dap`: the debug adapter over stdio, for DAP clients other than VS Code (nvim-dap, dape).
import { DmaDebugSession } from '../debugger/session';
import type { Command } from './command';

export const dapCommand: Command = {
  name: 'dap',
  usage: `usage: dmalab dap

Speaks the Debug Adapter Protocol on stdin and stdout until the client disconnects. Launch arguments are those of a
'dmalab' launch configuration: program (a .pl330 file), platform, dmac, channel, memory, pl330, stopOnEntry,
maxCycles, trace.`,
  flags: {},
  run() {
    const session = new DmaDebugSession();
    session.setRunAsServer(false);
    session.start(process.stdin, process.stdout);
    return new Promise<number>((resolve) => process.stdin.on('close', () => resolve(0)));
  },
};
