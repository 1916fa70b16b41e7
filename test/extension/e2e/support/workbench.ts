// Workbench actions as a person performs them — clicks in the Explorer and the gutter, keys in the editor, the
// command palette — and reads of what is on screen (Problems, hovers, suggestions, debug views). Selectors are
// VS Code 1.96's workbench DOM; the callbacks given to evaluate() run in the page, hence the DOM types.
/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { SCREENSHOT_DIR } from './paths';
import { waitFor } from './wait';

const SLOW = 30_000;

export interface Problem {
  /** The file's name as its group row in the Problems panel shows it. */
  file: string;
  /** 'error' | 'warning' | 'info' as the row's icon shows it. */
  severity: string;
  message: string;
  line: number;
  column: number;
  /** The row's full accessible text, for assertion messages. */
  text: string;
}

export class Workbench {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await this.page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
  }

  /** Keeps what is on screen as test-results/e2e/<name>.png. */
  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await this.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
  }

  // ---- Explorer and editor

  /**
   * Opens a workspace file by clicking its folders and then its row in the Explorer. A click can land while the
   * Explorer re-renders (a command just wrote a file): the file's row is clicked again until its tab is active.
   */
  async openFile(relativePath: string): Promise<void> {
    const segments = relativePath.split('/');
    const name = segments[segments.length - 1];
    const tab = this.page.locator(`.tabs-container .tab.active[aria-label^="${name}"]`);
    await this.showExplorer();
    await waitFor(`the tab of ${relativePath} to be active`, SLOW, async () => {
      for (let i = 0; i < segments.length; i++) {
        const row = this.explorerRow(segments[i], i + 1);
        await row.waitFor({ timeout: SLOW });
        const isFolder = i < segments.length - 1;
        if (!isFolder || (await row.getAttribute('aria-expanded')) !== 'true') await row.click();
      }
      return tab.waitFor({ timeout: 5_000 }).then(() => true, () => false);
    }, 0);
    await this.activeEditor().locator('.view-lines').waitFor({ timeout: SLOW });
  }

  private explorerRow(name: string, level: number): Locator {
    return this.page.locator(`.explorer-folders-view .monaco-list-row[aria-level="${level}"]`).filter({
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }),
    });
  }

  async showExplorer(): Promise<void> {
    if (!(await this.page.locator('.explorer-folders-view').isVisible())) await this.runCommand('View: Show Explorer');
    await this.page.locator('.explorer-folders-view').waitFor({ timeout: SLOW });
  }

  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .editor-instance .monaco-editor').first();
  }

  /** The rendered text of line `line` (1-based) of the active editor; the line must be scrolled into view. */
  async lineText(line: number): Promise<string> {
    await this.goToLine(line);
    const top = await this.lineTop(line);
    const text = await this.activeEditor().locator('.view-lines .view-line').evaluateAll(
      (els, y) => els.find((e) => (e as HTMLElement).style.top === `${y}px`)?.textContent ?? '',
      top,
    );
    return text.replace(/\u00a0/g, ' ');
  }

  /** The lines on screen, top to bottom, of the editor whose active tab is `tabName` (in any editor group). */
  async visibleLines(tabName: string): Promise<string[]> {
    const group = this.page.locator('.editor-group-container').filter({
      has: this.page.locator(`.tab.active[aria-label^="${tabName}"]`),
    });
    const lines = group.locator('.editor-instance .monaco-editor .view-lines .view-line');
    await lines.first().waitFor({ timeout: SLOW });
    const rendered = await lines.evaluateAll((els) =>
      els.map((e) => ({ top: parseInt((e as HTMLElement).style.top, 10), text: e.textContent ?? '' })).sort((a, b) => a.top - b.top),
    );
    return rendered.map((l) => l.text.replace(/\u00a0/g, ' '));
  }

  /** Moves the cursor with Go to Line (Ctrl+G), optionally to a column. */
  async goToLine(line: number, column?: number): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+g');
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ timeout: SLOW });
    await input.fill(`:${line}${column === undefined ? '' : `:${column}`}`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: SLOW });
    await waitFor(`cursor on line ${line}`, SLOW, async () => (await this.cursorLine()) === line);
  }

  /** The cursor's line as the status bar shows it ("Ln 3, Col 5"). */
  async cursorLine(): Promise<number | undefined> {
    const match = /Ln (\d+)/.exec(await this.selectionStatus());
    return match ? Number(match[1]) : undefined;
  }

  /** The line of the active editor's selection when text is selected ("Ln 10, Col 66 (65 selected)"), else undefined. */
  async selectedLine(): Promise<number | undefined> {
    const match = /Ln (\d+), Col \d+ \(\d+ selected\)/.exec(await this.selectionStatus());
    return match ? Number(match[1]) : undefined;
  }

  private async selectionStatus(): Promise<string> {
    return (await this.page.locator('#status\\.editor\\.selection').textContent({ timeout: SLOW }).catch(() => null)) ?? '';
  }

  /** Focuses the active editor group (Ctrl+1; a click in the text would move the cursor). */
  async focusEditor(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+1');
  }

  /** Replaces the whole of line `line` with `text` by typing, as a person fixing it would. */
  async replaceLine(line: number, text: string): Promise<void> {
    await this.goToLine(line, 1);
    await this.page.keyboard.press('Shift+End');
    await this.page.keyboard.type(text);
    await this.page.keyboard.press('Escape');
  }

  /** Types lines at the cursor, closing any suggestion popup before each line break so Enter cannot accept one. */
  async typeLines(lines: string[]): Promise<void> {
    for (const [i, line] of lines.entries()) {
      if (i > 0) {
        await this.page.keyboard.press('Escape');
        await this.page.keyboard.press('Enter');
      }
      await this.page.keyboard.type(line);
    }
  }

  async save(): Promise<void> {
    await this.page.keyboard.press('Control+s');
    await this.page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached', timeout: SLOW });
  }

  /** Pixel offset of a line inside the editor's scrolled content (Monaco positions lines absolutely). */
  private async lineTop(line: number): Promise<number> {
    const lineNumber = this.activeEditor().locator('.margin-view-overlays .line-numbers').filter({ hasText: new RegExp(`^${line}$`) });
    await lineNumber.first().waitFor({ timeout: SLOW });
    return lineNumber.first().evaluate((e) => parseInt((e.parentElement as HTMLElement).style.top, 10));
  }

  /** Screen box of the first occurrence of `word` on `line`, found in the rendered tokens. */
  private async wordBox(line: number, word: string): Promise<{ x: number; y: number }> {
    await this.goToLine(line);
    const top = await this.lineTop(line);
    const box = await this.activeEditor().locator('.view-lines .view-line').evaluateAll(
      (els, [y, w]) => {
        const el = els.find((e) => (e as HTMLElement).style.top === `${y}px`);
        if (!el) return null;
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const at = (node.textContent ?? '').indexOf(w as string);
          if (at < 0) continue;
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + (w as string).length);
          const r = range.getBoundingClientRect();
          return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
        }
        return null;
      },
      [top, word] as const,
    );
    if (box === null) throw new Error(`"${word}" is not on line ${line}: ${await this.lineText(line)}`);
    return box;
  }

  /** Puts the cursor just after `word` on `line` by clicking at the word's end. */
  async clickAfter(line: number, word: string): Promise<void> {
    const at = await this.wordBox(line, word);
    const width = await this.charWidth();
    await this.page.mouse.click(at.x + (word.length * width) / 2, at.y);
  }

  private async charWidth(): Promise<number> {
    return this.activeEditor().evaluate((e) => {
      const probe = e.querySelector('.view-line span span');
      if (!probe || !probe.textContent) return 8;
      return probe.getBoundingClientRect().width / probe.textContent.length;
    });
  }

  // ---- Language features

  /** Hovers the mouse over `word` on `line` and returns the hover's text once it shows. */
  async hover(line: number, word: string): Promise<string> {
    const at = await this.wordBox(line, word);
    await this.page.mouse.move(at.x, at.y + 40);
    await this.page.mouse.move(at.x, at.y, { steps: 4 });
    const hover = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden) .hover-contents').first();
    await hover.waitFor({ state: 'visible', timeout: SLOW });
    return waitFor('hover content', SLOW, async () => {
      const text = (await hover.innerText()).trim();
      return text !== '' && !/^Loading/.test(text) ? text : false;
    });
  }

  /** Triggers completion (Ctrl+Space) at the cursor and returns the labels of the suggestions shown (left open). */
  async completions(): Promise<string[]> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+Space');
    const rows = this.page.locator('.editor-widget.suggest-widget.visible .monaco-list-row');
    await rows.first().waitFor({ timeout: SLOW });
    const labels = await rows.locator('.label-name').allInnerTexts();
    return labels.map((l) => l.trim());
  }

  /** Go to Definition (F12) with the cursor on `word`; resolves when the cursor has moved to another line. */
  async goToDefinition(line: number, word: string): Promise<number> {
    const at = await this.wordBox(line, word);
    await this.page.mouse.click(at.x, at.y);
    await waitFor(`cursor on line ${line}`, SLOW, async () => (await this.cursorLine()) === line);
    await this.page.keyboard.press('F12');
    return waitFor(`definition of ${word}`, SLOW, async () => {
      const now = await this.cursorLine();
      return now !== undefined && now !== line ? now : false;
    });
  }

  /** Reads the Problems panel, opening it first: each entry with its file, as the panel's rows show them. */
  async problems(): Promise<Problem[]> {
    await this.showProblems();
    return this.page.locator('.markers-panel .monaco-list-row').evaluateAll((rows) => {
      const found: { file: string; severity: string; message: string; line: number; column: number; text: string }[] = [];
      let file = '';
      for (const row of rows) {
        const text = (row as HTMLElement).innerText.replace(/\s+/g, ' ').trim();
        if (row.getAttribute('aria-level') === '1') {
          file = row.querySelector('.label-name')?.textContent?.trim() ?? '';
          continue;
        }
        const icon = row.querySelector('.marker-icon');
        const where = /Ln (\d+), Col (\d+)/.exec(row.querySelector('.marker-line')?.textContent ?? '');
        if (!icon || !where) continue;
        const severity = ['error', 'warning', 'info'].find((s) => icon.classList.contains(s)) ?? 'hint';
        const message = row.querySelector('.marker-message')?.textContent?.trim() ?? '';
        found.push({ file, severity, message, line: Number(where[1]), column: Number(where[2]), text: `${file} ${text}` });
      }
      return found;
    });
  }

  async showProblems(): Promise<void> {
    if (!(await this.page.locator('.markers-panel').isVisible())) await this.page.keyboard.press('Control+Shift+M');
    await this.page.locator('.markers-panel').waitFor({ timeout: SLOW });
  }

  /** Waits until the Problems panel satisfies `accept` and returns the entries then shown. */
  async waitForProblems(what: string, accept: (problems: Problem[]) => boolean, timeoutMs = 60_000): Promise<Problem[]> {
    let last: Problem[] = [];
    try {
      return await waitFor(what, timeoutMs, async () => {
        last = await this.problems();
        return accept(last) ? last : false;
      }, 500);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nProblems panel shows:\n${last.map((p) => `  ${p.text}`).join('\n') || '  (nothing)'}`);
    }
  }

  /** The Outline view's rows, top to bottom: tree depth, name and symbol kind (from the row's icon). */
  async outline(): Promise<{ level: number; name: string; kind: string }[]> {
    const rows = this.page.locator('.outline-pane .monaco-list-row');
    if (!(await rows.first().isVisible())) await this.runCommand('Explorer: Focus on Outline View');
    await rows.first().waitFor({ timeout: SLOW });
    return rows.evaluateAll((els) =>
      els.map((e) => ({
        level: Number(e.getAttribute('aria-level')),
        name: (e.querySelector('.label-name')?.textContent ?? '').trim(),
        kind: /codicon-symbol-(\w+)/.exec(e.querySelector('.codicon[class*="codicon-symbol-"]')?.className ?? '')?.[1] ?? '',
      })),
    );
  }

  // ---- Commands

  /** Runs a command by its title through the command palette (F1). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ timeout: SLOW });
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-widget .monaco-list-row').filter({
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
    });
    await row.first().waitFor({ timeout: SLOW });
    await row.first().click();
    // The palette closes, or a command that asks something (a quick pick of its own) replaces its '>' prompt.
    await waitFor(`the command palette to run '${title}'`, SLOW, async () =>
      !(await input.isVisible()) || !(await input.inputValue()).startsWith('>'));
  }

  /** Titles of the editor tabs in the active group. */
  async tabs(): Promise<string[]> {
    return this.page.locator('.editor-group-container.active .tabs-container .tab .label-name').allInnerTexts();
  }

  /** Text of the notification toasts currently shown. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notification-toast .notification-list-item-message').allInnerTexts();
  }

  /** The frame of the webview whose page holds `selector` (a webview is an iframe inside an iframe). */
  async webview(selector: string): Promise<Frame> {
    return waitFor(`a webview showing ${selector}`, SLOW, async () => {
      for (const frame of this.page.frames()) {
        if (await frame.locator(selector).count().catch(() => 0)) return frame;
      }
      return false;
    });
  }

  /** The name of the active editor tab. */
  async activeTab(): Promise<string | undefined> {
    return (await this.page.locator('.editor-group-container.active .tabs-container .tab.active .label-name').first().textContent().catch(() => null)) ?? undefined;
  }

  // ---- Debugging

  /** Toggles a breakpoint by clicking in the gutter (glyph margin, left of the line numbers) of `line`. */
  async toggleBreakpointInGutter(line: number): Promise<void> {
    await this.goToLine(line);
    const editor = this.activeEditor();
    const lineNumber = await this.lineNumberBox(line);
    const margin = await editor.locator('.margin-view-overlays').boundingBox();
    if (margin === null) throw new Error('the editor margin is not visible');
    const glyphs = () => editor.locator('.codicon-debug-breakpoint, .codicon-debug-breakpoint-unverified').count();
    const before = await glyphs();
    // A click while the editor is still laying out (inlay hints, folding arrows arriving) can miss: try again.
    for (let attempt = 1; ; attempt++) {
      await this.page.mouse.click(margin.x + 6, lineNumber.y + lineNumber.height / 2);
      try {
        await waitFor(`the breakpoint glyphs to change on line ${line}`, 5_000, async () => (await glyphs()) !== before);
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  private async lineNumberBox(line: number): Promise<{ x: number; y: number; width: number; height: number }> {
    const lineNumber = this.activeEditor().locator('.margin-view-overlays .line-numbers').filter({ hasText: new RegExp(`^${line}$`) }).first();
    await lineNumber.waitFor({ timeout: SLOW });
    const box = await lineNumber.boundingBox();
    if (box === null) throw new Error(`line ${line} is not on screen`);
    return box;
  }

  /** The line the debugger shows as current (the yellow arrow in the gutter) in the active editor. */
  async currentDebugLine(): Promise<number | undefined> {
    const editor = this.activeEditor();
    const arrow = editor.locator('.codicon-debug-stackframe').first();
    if ((await arrow.count()) === 0) return undefined;
    const box = await arrow.boundingBox();
    if (box === null) return undefined;
    const numbers = await editor.locator('.margin-view-overlays .line-numbers').evaluateAll((els) =>
      els.map((e) => ({ line: Number(e.textContent), rect: e.getBoundingClientRect() })).map(({ line, rect }) => ({ line, top: rect.top, bottom: rect.bottom })),
    );
    const middle = box.y + box.height / 2;
    return numbers.find((n) => n.top <= middle && middle < n.bottom)?.line;
  }

  async showRunAndDebug(): Promise<void> {
    if (!(await this.page.locator('.debug-pane, .debug-viewlet').first().isVisible())) await this.page.keyboard.press('Control+Shift+D');
    await this.page.locator('.debug-viewlet').first().waitFor({ timeout: SLOW });
  }

  /** Picks the launch configuration `name` in the Run and Debug view's drop-down (F5 then starts it). */
  async selectLaunchConfiguration(name: string): Promise<void> {
    await this.showRunAndDebug();
    const select = this.page.locator('.start-debug-action-item .monaco-select-box');
    await select.click({ timeout: SLOW });
    const option = this.page.locator('.monaco-select-box-dropdown-container .monaco-list-row').filter({ hasText: new RegExp(`^${escapeRegExp(name)}`) });
    await option.first().click({ timeout: SLOW });
    await waitFor(`the drop-down to show ${name}`, SLOW, async () => (await select.evaluate((e) => (e as HTMLSelectElement).title || (e as HTMLSelectElement).value)).startsWith(name));
  }

  /** The text of the modal dialog on screen, or undefined when there is none. */
  async dialogText(): Promise<string | undefined> {
    const dialog = this.page.locator('.monaco-dialog-box');
    return (await dialog.isVisible()) ? (await dialog.innerText()).trim() : undefined;
  }

  /** The Debug Console's lines (output and evaluations), top to bottom: by each row's list index, since the list
   * recycles row elements and their order in the page need not be the order on screen. */
  async debugConsoleLines(): Promise<string[]> {
    if (!(await this.page.locator('.repl').isVisible())) await this.page.keyboard.press('Control+Shift+Y');
    const rows = await this.page.locator('.repl .monaco-list-row').evaluateAll((elements) =>
      elements.map((e) => ({ index: Number(e.getAttribute('data-index') ?? 0), text: (e as HTMLElement).innerText })));
    return rows.sort((a, b) => a.index - b.index).map((r) => r.text.trim());
  }

  /** Starts debugging with F5 (the selected launch configuration), once no session is left: while one still ends, F5
   * would continue it instead of starting the new one. */
  async startDebugging(): Promise<void> {
    await this.waitForNoSession();
    await this.focusEditor();
    await this.page.keyboard.press('F5');
  }

  /** Whether a debug session is active (the debug toolbar shows only while one is). */
  async sessionActive(): Promise<boolean> {
    return this.page.locator('.debug-toolbar').isVisible();
  }

  async waitForNoSession(): Promise<void> {
    await waitFor('the previous debug session to end', SLOW, async () => !(await this.sessionActive()));
  }

  /** Waits until the debugger is paused at `line` (the current-line arrow there). */
  async waitForStop(line: number, timeoutMs = 60_000): Promise<void> {
    await waitFor(`the debugger to stop at line ${line}`, timeoutMs, async () => (await this.currentDebugLine()) === line);
  }

  /** The state the Call Stack view shows for a thread ("Paused on breakpoint", "Running", ...). */
  async threadState(thread: string): Promise<string> {
    const row = this.page.locator('.debug-call-stack .monaco-list-row').filter({
      has: this.page.locator('.thread .name', { hasText: new RegExp(`^${escapeRegExp(thread)}$`) }),
    });
    await row.first().waitFor({ timeout: SLOW });
    return ((await row.first().locator('.state').textContent()) ?? '').trim();
  }

  /** The text of the exception widget the editor shows under the current line after a stop on an exception. */
  async exceptionWidgetText(): Promise<string> {
    const widget = this.activeEditor().locator('.exception-widget');
    await widget.waitFor({ timeout: SLOW });
    return (await widget.innerText()).trim();
  }

  /** Waits until the Call Stack view shows `thread` in a state matching `pattern` (the view lags the editor). */
  async waitForThreadState(thread: string, pattern: RegExp): Promise<string> {
    let last = '';
    try {
      return await waitFor(`${thread} to be ${pattern} in the Call Stack view`, SLOW, async () => {
        last = await this.threadState(thread);
        return pattern.test(last) ? last : false;
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}; it shows '${last}'`);
    }
  }

  /** The rows of the Variables view as name → value (names without the " =" the view appends). */
  async variables(): Promise<Map<string, string>> {
    const rows = this.page.locator('.debug-variables .monaco-list-row');
    await rows.first().waitFor({ timeout: SLOW });
    const pairs = await rows.evaluateAll((els) =>
      els.map((e) => [
        (e.querySelector('.name')?.textContent ?? e.querySelector('.scope')?.textContent ?? '').replace(/\s*[=:]\s*$/, '').trim(),
        (e.querySelector('.value')?.textContent ?? '').trim(),
      ]),
    );
    return new Map(pairs as [string, string][]);
  }

  /** Waits until the Variables view shows `name` with a value accepted by `accept`; returns that value. */
  async waitForVariable(name: string, accept: (value: string) => boolean, timeoutMs = SLOW): Promise<string> {
    let last: string | undefined;
    try {
      return await waitFor(`the Variables view to show an accepted ${name}`, timeoutMs, async () => {
        last = (await this.variables()).get(name);
        return last !== undefined && accept(last) ? last : false;
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}; it shows ${name} = ${last}`);
    }
  }

  /** Ticks (or unticks) an exception filter checkbox in the Breakpoints view by its label. */
  async setBreakpointFilter(label: string, checked: boolean): Promise<void> {
    const row = this.page.locator('.debug-breakpoints .monaco-list-row').filter({ hasText: label });
    await row.first().waitFor({ timeout: SLOW });
    const box = row.first().locator('input[type="checkbox"]');
    if ((await box.isChecked()) !== checked) await box.click();
  }

  /** Types an expression into the Debug Console and returns the output line it produced. */
  async evaluate(expression: string): Promise<string> {
    if (!(await this.page.locator('.repl').isVisible())) await this.page.keyboard.press('Control+Shift+Y');
    const input = this.page.locator('.repl-input-wrapper .monaco-editor textarea');
    await input.waitFor({ timeout: SLOW });
    const rows = this.page.locator('.repl .monaco-list-row');
    const before = await rows.count();
    await input.focus();
    await this.page.keyboard.type(expression);
    await this.page.keyboard.press('Enter');
    // The console echoes the expression, then shows its value in the row after it.
    return waitFor(`the Debug Console's answer to ${expression}`, SLOW, async () => {
      const texts = await rows.allInnerTexts();
      if (texts.length < before + 2) return false;
      const echo = texts.lastIndexOf(texts.find((t, i) => i >= before && t.includes(expression)) ?? '\0');
      return echo >= 0 && echo + 1 < texts.length ? texts[echo + 1].trim() : false;
    });
  }

  async debugAction(title: 'Continue' | 'Step Over' | 'Step Into' | 'Step Out' | 'Stop'): Promise<void> {
    const keys = { Continue: 'F5', 'Step Over': 'F10', 'Step Into': 'F11', 'Step Out': 'Shift+F11', Stop: 'Shift+F5' } as const;
    await this.page.keyboard.press(keys[title]);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
