// dist/dap.js: the debug adapter as a process speaking the Debug Adapter Protocol over stdio (the extension starts
// it; so can any DAP client, as `dmalab dap` does).
import { DebugSession } from '@vscode/debugadapter';
import { DmaDebugSession } from './session';

DebugSession.run(DmaDebugSession);
