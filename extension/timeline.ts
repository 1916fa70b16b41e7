// The DMA timeline beside a debug session: a webview (media/timeline.js draws it) fed by the session's
// dmalab/timeline request, refreshed when the session stops or prints (throttled) and every second while it runs
// (incrementally: each refresh carries what was recorded since the last one, and the slices still open);
// a click on an item asks the session where it comes from (dmalab/timelineSource) and reveals that line. Also the
// export command (dmalab/exportTrace). The session records nothing until the panel or an export asks.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from './debug';

/** Output events come in bursts: at most one refresh per this many milliseconds for them. */
const OUTPUT_REFRESH_MS = 500;
/** While the session runs, the panel follows it at this period. */
const RUNNING_REFRESH_MS = 1000;
/** Requests after which the session runs until its next stop. */
const RESUMING = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue']);

interface SourceLocation {
  readonly source: { readonly name?: string; readonly path?: string; readonly sourceReference?: number };
  readonly line: number;
}

export function registerTimeline(context: vscode.ExtensionContext): void {
  const timeline = new TimelinePanel(context.extensionUri);
  context.subscriptions.push(
    timeline,
    vscode.commands.registerCommand('dmalab.showTimeline', () => timeline.show()),
    vscode.commands.registerCommand('dmalab.exportTrace', () => exportTrace()),
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, { createDebugAdapterTracker: (session) => timeline.tracker(session) }),
    vscode.debug.onDidChangeActiveDebugSession((session) => session?.type === DEBUG_TYPE && timeline.follow(session)),
  );
}

function activeSession(): vscode.DebugSession | undefined {
  const session = vscode.debug.activeDebugSession;
  return session?.type === DEBUG_TYPE ? session : undefined;
}

async function exportTrace(): Promise<void> {
  const session = activeSession();
  if (!session) {
    void vscode.window.showErrorMessage('dmalab: start a dmalab debug session first: the trace is recorded by the session.');
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: 'Export DMA trace (Chrome trace-event JSON)',
    defaultUri: folder && vscode.Uri.joinPath(folder, 'dma-trace.json'),
    filters: { 'Trace events': ['json'] },
  });
  if (!target) return;
  try {
    const r = await session.customRequest('dmalab/exportTrace', { path: target.fsPath });
    void vscode.window.showInformationMessage(`dmalab: wrote ${r.events} trace events to ${vscode.workspace.asRelativePath(target)} (open it in Perfetto or chrome://tracing).`);
  } catch (error) {
    void vscode.window.showErrorMessage(`dmalab: ${(error as Error).message}`);
  }
}

class TimelinePanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private session: vscode.DebugSession | undefined;
  private running = false;
  private stopped = false;
  private ended = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastOutputRefresh = 0;
  private pendingOutputRefresh: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  /** Where the webview's copy of the session's record ends (dmalab/timeline's cursor); undefined: it has none. */
  private cursor: string | undefined;

  constructor(private readonly extensionUri: vscode.Uri) {}

  show(): void {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = (this.panel = vscode.window.createWebviewPanel('dmalab.timeline', 'DMA Timeline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [media],
    }));
    const webview = panel.webview;
    const nonce = Array.from({ length: 24 }, () => Math.floor(Math.random() * 36).toString(36)).join('');
    webview.html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${webview.asWebviewUri(vscode.Uri.joinPath(media, 'timeline.css'))}">
<title>DMA Timeline</title></head>
<body><div id="dmalab-timeline" tabindex="0"></div>
<script nonce="${nonce}" src="${webview.asWebviewUri(vscode.Uri.joinPath(media, 'timeline.js'))}"></script></body></html>`;
    webview.onDidReceiveMessage((m: { type: string; pid?: number; pc?: number; callers?: number[] }) => {
      if (m.type === 'ready') {
        this.cursor = undefined;
        void this.refresh();
      }
      else if (m.type === 'reveal') void this.reveal(m.pid!, m.pc!, m.callers ?? []);
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.cursor = undefined;
      this.stopTimer();
    });
    this.session ??= activeSession();
  }

  /** Sees the session's traffic: a new session (its runtime exists once it says `initialized`), stops, output, resumes. */
  tracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    return {
      onWillReceiveMessage: (m: { type: string; command?: string }) => {
        if (m.type === 'request' && m.command && RESUMING.has(m.command) && session === this.session) this.resumed();
      },
      onDidSendMessage: (m: { type: string; event?: string }) => {
        if (m.type !== 'event') return;
        if (m.event === 'initialized') {
          // An open panel records a session from its start.
          this.session = session;
          this.cursor = undefined;
          this.stopped = false;
          this.ended = false;
          if (this.panel) void this.refresh();
        } else if (session !== this.session) return;
        if (m.event === 'stopped') {
          this.running = false;
          this.stopped = true;
          this.stopTimer();
          void this.refresh();
        } else if (m.event === 'continued') this.resumed();
        else if (m.event === 'output') this.outputSeen();
        else if (m.event === 'exited') {
          // The program ended; its session still answers until it terminates: the final picture.
          this.running = false;
          this.ended = true;
          this.stopTimer();
          void this.refresh();
        } else if (m.event === 'terminated') {
          this.running = false;
          this.stopped = false;
          this.stopTimer();
        }
      },
    };
  }

  follow(session: vscode.DebugSession): void {
    if (session === this.session) return;
    this.session = session;
    this.cursor = undefined;
    void this.refresh();
  }

  private resumed(): void {
    this.running = true;
    this.stopped = false;
    if (!this.panel || this.timer) return;
    this.timer = setInterval(() => void this.refresh(), RUNNING_REFRESH_MS);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private outputSeen(): void {
    if (!this.panel || this.pendingOutputRefresh) return;
    const wait = Math.max(0, this.lastOutputRefresh + OUTPUT_REFRESH_MS - Date.now());
    this.pendingOutputRefresh = setTimeout(() => {
      this.pendingOutputRefresh = undefined;
      this.lastOutputRefresh = Date.now();
      void this.refresh();
    }, wait);
  }

  private async refresh(): Promise<void> {
    const panel = this.panel;
    const session = this.session;
    if (!panel) return;
    if (!session) {
      void panel.webview.postMessage({ type: 'empty', text: 'No dmalab debug session. Start one (F5): the timeline follows it.' });
      return;
    }
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const body = await session.customRequest('dmalab/timeline', { incremental: true, since: this.cursor });
      if (session !== this.session || panel !== this.panel) return; // the answer is for a record the panel dropped
      const state = this.ended ? 'ended' : this.stopped ? 'stopped' : 'running';
      const { reset, metadata, added, open, now } = body;
      // Not awaited: a webview's postMessage may settle late. One that was not loaded yet drops it, and says `ready`
      // once loaded: the record is sent whole then.
      void panel.webview.postMessage({ type: 'timelineDelta', reset, metadata, added, open, now, state, session: session.name });
      this.cursor = body.cursor;
    } catch (error) {
      // A session that has ended keeps its last picture.
      if (this.running || this.stopped) void panel.webview.postMessage({ type: 'status', text: (error as Error).message });
    } finally {
      this.inFlight = false;
    }
  }

  private async reveal(pid: number, pc: number, callers: readonly number[]): Promise<void> {
    const session = this.session;
    if (!session) return;
    let where: SourceLocation | undefined;
    try {
      where = (await session.customRequest('dmalab/timelineSource', { pid, pc, callers })) as SourceLocation | undefined;
    } catch (error) {
      void this.panel?.webview.postMessage({ type: 'status', text: (error as Error).message });
      return;
    }
    if (!where?.source) {
      void this.panel?.webview.postMessage({ type: 'status', text: `no source line for 0x${pc.toString(16)}` });
      return;
    }
    const { source } = where;
    const uri = source.sourceReference
      ? vscode.Uri.parse(`debug:${encodeURIComponent(source.path ?? source.name ?? 'source')}?session=${encodeURIComponent(session.id)}&ref=${source.sourceReference}`)
      : vscode.Uri.file(source.path!);
    const line = Math.max(0, where.line - 1);
    const document = await vscode.workspace.openTextDocument(uri);
    const range = new vscode.Range(line, 0, line, document.lineAt(line).text.length);
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, selection: range, preserveFocus: false });
  }

  dispose(): void {
    this.stopTimer();
    this.panel?.dispose();
  }
}
