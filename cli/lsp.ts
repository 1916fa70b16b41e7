// `dmalab lsp --stdio`: the extension's language server for other editors (Neovim, Emacs, Helix, ...).
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { startServer } from '../server/lsp/server';
import { UsageError } from './args';
import type { Command } from './command';

export const lspCommand: Command = {
  name: 'lsp',
  usage: `usage: dmalab lsp --stdio

Speaks the Language Server Protocol on stdin/stdout until the client sends exit. Settings come from the client's
workspace/configuration (section "dmalab") or from initializationOptions: { "pl330": { "channels": 8, "dataWidth": 64,
"events": 16, "peripherals": 4 }, "devicetree": { "includePaths": ["include"], "defines": ["NAME=VALUE"] } }.`,
  flags: { '--stdio': {} },
  run(args) {
    if (!args.flags.has('--stdio')) throw new UsageError('lsp needs --stdio (the only transport)');
    if (args.positional.length > 0) throw new UsageError('lsp takes no FILE');
    startServer(createConnection(ProposedFeatures.all, process.stdin, process.stdout));
    // The connection owns the process from here; it exits on the client's exit notification or when stdin closes.
    return new Promise<number>(() => undefined);
  },
};
