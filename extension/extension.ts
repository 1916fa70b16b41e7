// Extension activation. Other features (the language client, commands) register here too.
import type * as vscode from 'vscode';
import { registerDebugger } from './debug';

export function activate(context: vscode.ExtensionContext): void {
  registerDebugger(context);
}

export function deactivate(): void {}
