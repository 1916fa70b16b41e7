// Debugging a PL330 program in a real VS Code (code-server) as a person does: a breakpoint clicked in the gutter,
// F5 with the example launch configuration, the Variables view, a DMA event filter ticked in the Breakpoints view,
// stepping, the Debug Console. The scenarios share one debug session and run in order.
// Expected lines, addresses and register values come from the assembler and the CCR table, not from the debugger.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCcr } from '../../../emulator/pl330/ccr';
import { assemble } from '../../../server/pl330/assembler';
import { runScenario } from '../../../scenarios/registry';
import { openEditor, OPEN_TIMEOUT_MS, scenario, type Editor } from './support/editor';
import { REPO_ROOT } from './support/paths';
import type { Workbench } from './support/workbench';
import { waitFor } from './support/wait';

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

/** The scenarios the example launch configurations run (`dmalab run --scenario` names them so). */
const VFIO_SCENARIO = 'vfio-test-case-1';
const PASSTHROUGH_SCENARIO = 'vfio-passthrough';
/** The VFIO_PLATFORM guide's driver in C, run on the emulated CPU by the example's "VFIO driver in C" configuration. */
const C_PROGRAM = 'vfio-pl330/vfio-pl330';
const C_SOURCE = 'vfio-pl330/vfio-pl330.c';
const C_SOURCE_TEXT = readFileSync(join(REPO_ROOT, 'examples', C_SOURCE), 'utf8');
/** Addresses of a line of the C source, from binutils' decoded line table (the reference, not dmalab's reader). */
const C_LINE_ADDRESSES = (line: number): number[] => {
  const r = spawnSync('arm-linux-gnueabihf-objdump', ['--dwarf=decodedline', join(REPO_ROOT, 'examples', C_PROGRAM)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return [...r.stdout.matchAll(new RegExp(`^vfio-pl330\\.c\\s+${line}\\s+(0x[0-9a-f]+)`, 'gm'))].map((m) => Number(m[1]));
};
const launchJson = JSON.parse(readFileSync(join(REPO_ROOT, 'examples/.vscode/launch.json'), 'utf8')) as { configurations: Record<string, unknown>[] };

describe('Debugging a PL330 program in VS Code (code-server)', () => {
  let editor: Editor;
  before(async () => {
    assert.equal(assembled.errorCount, 0);
    editor = await openEditor({ workspace: join(REPO_ROOT, 'examples') });
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

  test("the VFIO scenario launch configuration runs the VFIO_PLATFORM guide's Test Case 1 to PASS", { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'debug-vfio-test-case-1', async (wb) => {
      const expected = cliOutput(VFIO_SCENARIO);
      assert.ok(await wb.sessionActive(), 'the previous scenario left its session stopped on DMASEV');
      await wb.debugAction('Stop');
      await wb.setBreakpointFilter('DMASEV', false); // the previous scenario's filter would stop the test's channel
      await wb.selectLaunchConfiguration(launchConfigurationName(VFIO_SCENARIO));
      await wb.startDebugging();
      await expectVerdict(wb, expected);
    }));

  test("Test Case 2 (passthrough): the debugger stops on the guest's copy outside its RAM (SMMU fault); continuing ends in PASS", { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'debug-vfio-passthrough', async (wb) => {
      const expected = cliOutput(PASSTHROUGH_SCENARIO);
      await wb.setBreakpointFilter('SMMU translation fault', true);
      await wb.selectLaunchConfiguration(launchConfigurationName(PASSTHROUGH_SCENARIO));
      await wb.startDebugging();
      await wb.waitForThreadState(THREAD, /SMMU translation fault/);
      // The guest aimed its copy at guest physical 0x80000000: the write there is what the SMMU refused.
      assert.match(await wb.exceptionWidgetText(), /write at IOVA 0x80000000\b/);
      await wb.waitForVariable('DAR', (v) => /^0x800000[0-9a-f]{2}\b/.test(v));
      await wb.debugAction('Continue');
      await expectVerdict(wb, expected);
    }));

  test('the C driver on the emulated CPU: a gutter breakpoint in the .c file stops cpu0 there; Variables shows its registers, the console its pc; it runs on to PASS', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'debug-c-driver', async (wb) => {
      const line = C_SOURCE_TEXT.split('\n').findIndex((l) => l.includes('printf("microcode:')) + 1;
      assert.ok(line > 0);
      await wb.setBreakpointFilter('SMMU translation fault', false);
      await wb.openFile(C_SOURCE);
      await wb.toggleBreakpointInGutter(line);
      await wb.selectLaunchConfiguration(String(launchJson.configurations.find((c) => c.program === `\${workspaceFolder}/${C_PROGRAM}`)!.name));
      await wb.startDebugging();
      await wb.waitForStop(line);
      await wb.waitForThreadState('cpu0', /breakpoint/i);
      // The PC is an address of that line in the program's DWARF line table, as objdump's decoded lines give it.
      await wb.waitForVariable('r0', (v) => /^0x[0-9a-f]{8}$/.test(v));
      const pc = Number(await wb.evaluate('pc'));
      assert.ok(C_LINE_ADDRESSES(line).includes(pc), `pc 0x${pc.toString(16)} is not an address of line ${line}`);
      await wb.debugAction('Continue');
      await waitFor('the program\'s PASS in the Debug Console', 60_000, async () => (await wb.debugConsoleLines()).some((l) => l.includes('copy of 4096 bytes: PASS')));
    }));
});

/** What a scenario prints, from the engine the CLI runs (`dmalab run --scenario`), not from the editor. */
function cliOutput(name: string): string[] {
  const lines: string[] = [];
  assert.equal(runScenario(name, { out: (line) => lines.push(line) }), 0, lines.join('\n'));
  return lines;
}

/** The name of the example launch configuration that runs a scenario. */
function launchConfigurationName(name: string): string {
  const configuration = launchJson.configurations.find((c) => c.scenario === name);
  assert.ok(configuration, `examples/.vscode/launch.json has no configuration with scenario ${name}`);
  return String(configuration.name);
}

/** Waits for the verdict in the Debug Console: its tail must be the CLI's tail, PASS last, and no error shown. */
async function expectVerdict(wb: Workbench, expected: readonly string[]): Promise<void> {
  const outcome = await waitFor('PASS or FAIL in the Debug Console, or a message', 90_000, async () => {
    const messages = [...(await wb.notifications()), (await wb.dialogText()) ?? ''].filter((m) => /dmalab|error/i.test(m));
    if (messages.length > 0) return { messages };
    const lines = await wb.debugConsoleLines();
    return lines.some((l) => /^(PASS|FAIL)\b/.test(l)) ? { lines } : false;
  }, 500);
  assert.equal(outcome.messages, undefined, outcome.messages?.join('\n'));
  // The console keeps only its visible rows in the page.
  const shown = outcome.lines!.filter((l) => l !== '');
  const tail = expected.filter((l) => l !== '').slice(-shown.length);
  assert.deepEqual(shown.slice(-3), tail.slice(-3), shown.join('\n'));
  assert.equal(shown.at(-1), 'PASS');
}
