// The editor side of the debugger: runs the DAP session inline in the extension host (the same session `dmalab dap`
// and dist/dap.js run over stdio) and fills in a launch configuration when there is no launch.json.
import * as vscode from 'vscode';
import { DmaDebugSession } from '../debugger/session';

export const DEBUG_TYPE = 'dmalab';

export function registerDebugger(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterInlineImplementation(new DmaDebugSession()),
    }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, { resolveDebugConfiguration, resolveDebugConfigurationWithSubstitutedVariables }),
  );
}

/** F5 without launch.json debugs the active .pl330 file; a configuration needs a program, a scenario or a kernel. */
function resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
  if (!config.type && !config.request && !config.name) {
    const editor = vscode.window.activeTextEditor;
    if (editor?.document.languageId === 'pl330') {
      Object.assign(config, { type: DEBUG_TYPE, name: 'Debug PL330 program', request: 'launch', program: editor.document.uri.fsPath, stopOnEntry: true });
    }
  }
  if (!config.program && !config.scenario && !config.kernel) {
    void vscode.window.showInformationMessage("dmalab: set 'program' (a .pl330 file or an ARM executable), 'scenario' (a VFIO test) or 'kernel' (a Linux Image) to debug");
    return undefined;
  }
  return config;
}

/** Relative paths are resolved only once ${workspaceFolder} and the like have been substituted. */
function resolveDebugConfigurationWithSubstitutedVariables(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration {
  const base = folder?.uri.fsPath;
  if (base) {
    const absolute = (p: unknown): unknown => (typeof p === 'string' && !p.startsWith('/') && !/^[a-zA-Z]:[\\/]/.test(p) ? vscode.Uri.joinPath(folder!.uri, p).fsPath : p);
    for (const key of ['program', 'platform', 'kernel', 'dtb', 'initrd', 'symbols', 'workspace', 'sysroot']) if (config[key] !== undefined) config[key] = absolute(config[key]);
    if (Array.isArray(config.memory)) config.memory = config.memory.map((m: Record<string, unknown>) => (m && typeof m === 'object' && 'file' in m ? { ...m, file: absolute(m.file) } : m));
  }
  return config;
}
