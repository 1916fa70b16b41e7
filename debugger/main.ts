// dist/dap.js: the debug adapter as a process speaking the Debug Adapter Protocol over stdio (the extension starts
// it; so can any DAP client, as `dmalab dap` does).
import { DebugSession } from '@vscode/debugadapter';
import { LAUNCH_HELP } from './launch-help';
import { DmaDebugSession } from './session';

const args = process.argv.slice(2);
/** The one argument the adapter takes: a TCP port to serve DAP on instead of stdio (DebugSession.run reads it). */
const SERVER = /^--server=\d{4,5}$/;
const unknown = args.find((arg) => !SERVER.test(arg));
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`usage: node dist/dap.js [--server=PORT]   (or: dmalab dap)\n\n${LAUNCH_HELP}\n`);
} else if (unknown !== undefined) {
  // Not left to wait on stdin for a client that will never come.
  process.stderr.write(`dap.js: unknown argument '${unknown}' (the program is the launch request's); 'node dist/dap.js --help' describes it\n`);
  process.exitCode = 2;
} else {
  DebugSession.run(DmaDebugSession);
}
