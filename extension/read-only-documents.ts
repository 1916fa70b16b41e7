// Read-only views (assembly listings, decompiled DTBs): text held in memory under the `dmalab-view` scheme.
import * as vscode from 'vscode';

export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider {
  static readonly scheme = 'dmalab-view';
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  /** Stores text under the path of source (a new or refreshed view) and opens it. */
  async set(source: vscode.Uri, text: string): Promise<vscode.TextDocument> {
    const uri = vscode.Uri.from({ scheme: ReadOnlyDocuments.scheme, path: source.path });
    const known = this.contents.has(uri.toString());
    this.contents.set(uri.toString(), text);
    if (known) this.changed.fire(uri);
    return vscode.workspace.openTextDocument(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }
}
