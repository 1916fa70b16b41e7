// The DMA timeline in a real VS Code (code-server), as a person uses it with the VFIO_PLATFORM guide's Test Case 1:
// the panel opened from the command palette follows the debug session, shows the copy's bursts on the channel the
// test started, and a click on a write burst reveals the DMAST line of the microcode listing. The expected burst
// count comes from the scenario's microcode (its size and CCR), not from the debugger.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { disassemble } from '../../../emulator/pl330/disasm';
import { DEFAULTS, copyMicrocode } from '../../../scenarios/vfio-test-case-1';
import { openEditor, OPEN_TIMEOUT_MS, scenario, type Editor } from './support/editor';
import { REPO_ROOT } from './support/paths';
import { waitFor } from './support/wait';

const SCENARIO_TIMEOUT_MS = 180_000;
const PANEL = '#dmalab-timeline';
/** The channel the test's driver starts (channel 0 of its DMAC), as the timeline names its lane. */
const CHANNEL_LANE = '.track[data-lane="channel 0"]';

const launchJson = JSON.parse(readFileSync(join(REPO_ROOT, 'examples/.vscode/launch.json'), 'utf8')) as { configurations: Record<string, unknown>[] };
const TEST_CASE_1 = String(launchJson.configurations.find((c) => c.scenario === 'vfio-test-case-1')!.name);

/** Bursts of the copy, both directions: its bytes over the bytes one DMALD/DMAST moves (SB × SS/8 of its CCR). */
const EXPECTED_BURSTS = (() => {
  const listing = disassemble(copyMicrocode(DEFAULTS.sourceIova, DEFAULTS.destinationIova, DEFAULTS.bytes), { base: DEFAULTS.codeIova, thread: 'channel' }).lines;
  const ccr = listing.find((l) => /DMAMOV\s+CCR/.test(l.text))!.text;
  const perBurst = Number(/SB(\d+)/.exec(ccr)![1]) * (Number(/SS(\d+)/.exec(ccr)![1]) / 8);
  return 2 * (DEFAULTS.bytes / perBurst);
})();

async function panelStatus(panel: Frame): Promise<string> {
  return (await panel.locator('.toolbar .status').textContent()) ?? '';
}

describe('The DMA timeline in VS Code (code-server)', () => {
  let editor: Editor;
  before(async () => {
    editor = await openEditor({ workspace: join(REPO_ROOT, 'examples') });
  }, { timeout: OPEN_TIMEOUT_MS });
  after(() => editor?.close());

  test("opened before Test Case 1, the panel follows the run to its end and shows the copy's bursts on the started channel", { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'timeline-follows-test-case-1', async (wb) => {
      await wb.openFile('pl330/memcpy.pl330'); // as a person has an editor open: the extension is active
      await wb.runCommand('dmalab: Show DMA Timeline');
      const panel = await wb.webview(PANEL);
      await waitFor('the panel to say there is no session', 30_000, async () => /No dmalab debug session/.test((await panel.locator(PANEL).textContent()) ?? ''));
      await wb.selectLaunchConfiguration(TEST_CASE_1);
      await wb.startDebugging();
      await waitFor('PASS in the Debug Console', 90_000, async () => (await wb.debugConsoleLines()).some((l) => /^PASS\b/.test(l)), 500);
      // The last picture, taken when the program exited, has the whole copy.
      await waitFor(`the end and ${EXPECTED_BURSTS} bursts in the panel`, 30_000, async () => {
        const text = await panelStatus(panel);
        return /^ended at/.test(text) && new RegExp(`\\b${EXPECTED_BURSTS} bursts\\b`).test(text);
      });
      assert.ok(await panel.locator(`${CHANNEL_LANE} .item.burst.read`).count() > 0, 'read bursts on channel 0');
      assert.ok(await panel.locator(`${CHANNEL_LANE} .item.burst.write`).count() > 0, 'write bursts on channel 0');
    }));

  test('stopped on the DMASEV that ends the copy, a click on a write burst reveals the DMAST line of the microcode listing', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'timeline-test-case-1', async (wb) => {
      await wb.setBreakpointFilter('DMASEV', true);
      await wb.selectLaunchConfiguration(TEST_CASE_1);
      await wb.startDebugging();
      await wb.waitForThreadState('dma0 ch0', /DMASEV/);
      const panel = await wb.webview(PANEL);
      await waitFor('the panel to show the stop with the copy', 30_000, async () => {
        const text = await panelStatus(panel);
        return /^stopped at/.test(text) && new RegExp(`\\b${EXPECTED_BURSTS} bursts\\b`).test(text);
      });
      // Zoomed out, a burst is a couple of pixels among hundreds: zoom in with the keys until bursts are wide.
      for (let i = 0; i < 10; i++) await panel.locator(PANEL).press('+');
      const write = panel.locator(`${CHANNEL_LANE} .item.burst.write`).first();
      await waitFor('write bursts wide enough to point at', 10_000, async () => ((await write.boundingBox())?.width ?? 0) >= 8);
      await write.hover();
      await waitFor('the hover to show the burst', 10_000, async () => /beatBytes: 4/.test((await panel.locator('.tooltip').textContent()) ?? ''));
      await write.click();
      // The stop already shows the listing, the cursor on its top frame's line: the click's answer is the line it
      // selects (read before the reveal, the stop's line would be taken and the reveal would close Go to Line).
      const line = await waitFor('the click to select a line of the microcode listing', 30_000, async () =>
        /^microcode-/.test((await wb.activeTab()) ?? '') ? wb.selectedLine() : undefined);
      assert.match(await wb.lineText(line), /^\s*DMAST\b/);
      assert.equal(await panel.locator(`${CHANNEL_LANE} .item.selected`).count(), 1, 'the clicked burst stays marked');
      await wb.debugAction('Stop');
    }));
});
