// Entry of dist/server.js: the transport (--stdio, --node-ipc, --socket) comes from the command line.
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { startServer } from './server';

startServer(createConnection(ProposedFeatures.all));
