// Debugging a PL330 program in a real VS Code (code-server) as a person does: a breakpoint clicked in the gutter,
// F5 with the example launch configuration, the Variables view, a DMA event filter ticked in the Breakpoints view,
// stepping, the Debug Console. The scenarios share one debug session and run in order.
// Expected lines, addresses and register values come from the assembler and the CCR table, not from the debugger.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCcr } from '../../emulator/pl330/ccr';
import { assemble } from '../../server/pl330/assembler';
import { openEditor, OPEN_TIMEOUT_MS, scenario, type Editor } from './support/editor';
import { REPO_ROOT } from './support/paths';

const SCENARIO_TIMEOUT_MS = 120_000;
const PROGRAM = 'pl330/memcpy.pl330';
/** The first configuration of examples/.vscode/launch.json, the one F5 starts: channel 0 of dma0, stop on entry. */
const THREAD = 'dma0 ch0';

const source = readFileSync(join(REPO_ROOT, 'examples', PROGRAM), 'utf8');
const assembled = assemble(source);
const lineOf = (pattern: RegExp) => source.split('\n').findIndex((l) => pattern.test(l)) + 1;
const instructionOn = (line: number) => assembled.instructions.find((i) => i.line === line - 1)!;
const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
const symbol = (name: string) => assembled.symbols.get(name)!.value!;

const ENTRY_LINE = assembled.instructions[0].line + 1;
const LOAD_LINE = lineOf(/^\s*DMALD\b/);
const STORE_LINE = lineOf(/^\s*DMAST\b/);
const SEV_LINE = lineOf(/^\s*DMASEV\b/);
/** The value DMAMOV CCR loads, little-endian in its 6 bytes (opcode, register, imm32). */
const CCR = (() => {
  const mov = instructionOn(lineOf(/DMAMOV\s+CCR/));
  const program = assembled.programs[mov.program];
  const at = mov.address - program.base + 2;
  return (program.bytes[at] | (program.bytes[at + 1] << 8) | (program.bytes[at + 2] << 16) | (program.bytes[at + 3] << 24)) >>> 0;
})();

/** The VFIO scenario configuration: the example's when it has one, else the same form `dmalab demo` names it by. */
const VFIO_SCENARIO = 'vfio-test-case-1';
const launchJson = JSON.parse(readFileSync(join(REPO_ROOT, 'examples/.vscode/launch.json'), 'utf8')) as { configurations: Record<string, unknown>[] };
const vfioConfiguration = launchJson.configurations.find((c) => c.scenario === VFIO_SCENARIO) ?? {
  type: 'dmalab', request: 'launch', name: 'VFIO Test Case 1', program: `\${workspaceFolder}/${PROGRAM}`, scenario: VFIO_SCENARIO,
};
const withVfio = { ...launchJson, configurations: [...launchJson.configurations.filter((c) => c !== vfioConfiguration), vfioConfiguration] };

describe('Debugging a PL330 program in VS Code (code-server)', () => {
  let editor: Editor;
  before(async () => {
    assert.equal(assembled.errorCount, 0);
    editor = await openEditor({ workspace: join(REPO_ROOT, 'examples'), files: { '.vscode/launch.json': JSON.stringify(withVfio, null, 2) } });
  }, { timeout: OPEN_TIMEOUT_MS });
  after(() => editor?.close());

  test('F5 with the example launch configuration stops at a breakpoint set in the gutter; Variables shows the channel registers', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'debug-breakpoint', async (wb) => {
      await wb.openFile(PROGRAM);
      await wb.toggleBreakpointInGutter(LOAD_LINE);
      await wb.showRunAndDebug();
      await wb.startDebugging();
      await wb.waitForStop(ENTRY_LINE);
      await wb.waitForThreadState(THREAD, /entry/i);

      await wb.debugAction('Continue');
      await wb.waitForStop(LOAD_LINE);
      await wb.waitForThreadState(THREAD, /breakpoint/i);
      await wb.waitForVariable('PC', (v) => v === hex(instructionOn(LOAD_LINE).address));
      const registers = await wb.variables();
      assert.equal(registers.get('SAR'), hex(symbol('SRC')));
      assert.equal(registers.get('DAR'), hex(symbol('DST')));
      assert.ok(registers.get('CCR')?.startsWith(hex(CCR)), `CCR = ${registers.get('CCR')}`);
      // DMALP n loads the loop counter with n - 1.
      assert.equal(registers.get('LC0'), String(symbol('BURSTS') - 1));
    }));

  test('stepping moves the current line', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'debug-step', async (wb) => {
      await wb.debugAction('Step Over');
      await wb.waitForStop(STORE_LINE);
      await wb.waitForVariable('PC', (v) => v === hex(instructionOn(STORE_LINE).address));
    }));

  test('the Debug Console evaluates a register', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'debug-console', async (wb) => {
      // One DMALD has run: SAR advanced by one burst of the source side.
      const ccr = decodeCcr(CCR);
      const expected = hex(symbol('SRC') + ccr.srcBurstLen * ccr.srcBeatBytes);
      assert.equal(await wb.evaluate('SAR'), expected);
      assert.equal((await wb.variables()).get('SAR'), expected);
    }));

  test('ticking the DMASEV event filter in the Breakpoints view stops on DMASEV', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'debug-dmasev-filter', async (wb) => {
      await wb.toggleBreakpointInGutter(LOAD_LINE); // off again, so that the loop runs through
      await wb.setBreakpointFilter('DMASEV', true);
      await wb.debugAction('Continue');
      // The channel stops once DMASEV has signalled: its PC is on the next instruction, and the editor's exception
      // widget names the event.
      const sev = instructionOn(SEV_LINE);
      const next = assembled.instructions.find((i) => i.address === sev.address + sev.length)!;
      await wb.waitForStop(next.line + 1);
      await wb.waitForThreadState(THREAD, /DMASEV/);
      const event = /DMASEV\s+E?(\d+)/.exec(source.split('\n')[SEV_LINE - 1])![1];
      assert.match(await wb.exceptionWidgetText(), new RegExp(`DMASEV ${event}\\b`));
    }));

  // Known gap (issue #9 stays open): in code-server, F5 on the scenario configuration starts no session, while the
  // same launch arguments run to PASS over the protocol (test/dap/scenario.test.ts). Skipped, not faked.
  test("the VFIO scenario launch configuration runs the seed's Test Case 1 to PASS", { skip: 'in code-server, F5 on the VFIO scenario launch configuration starts no debug session yet (the same arguments pass over DAP in test/dap/scenario.test.ts)' }, () => undefined);
});
