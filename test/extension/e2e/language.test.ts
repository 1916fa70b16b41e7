// The packaged extension in a real VS Code (code-server), used as a person uses it: PL330 and devicetree files
// opened from the Explorer, their problems, hovers, completion, navigation and the dmalab commands.
// Expectations come from the engines and the CLI the extension wraps, so the editor must show what they compute.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { CCR_FIELDS, ccrKeyword } from '../../../emulator/pl330/ccr';
import { DMALPFE_DOC, SPECS_BY_MNEMONIC } from '../../../emulator/pl330/isa';
import { assemble } from '../../../server/pl330/assembler';
import { toListing } from '../../../server/pl330/output';
import { openEditor, OPEN_TIMEOUT_MS, scenario, type Editor } from './support/editor';
import { REPO_ROOT } from './support/paths';
import { waitFor } from './support/wait';
import type { Problem } from './support/workbench';

const SCENARIO_TIMEOUT_MS = 150_000;

/** Three mistakes, on lines 5, 9 and 10. */
const MISTAKES = [
  '; a channel program with three mistakes',
  '.channel 0x1000',
  'copy:',
  '    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI',
  '    DMALP 300',
  '        DMALD',
  '        DMAST',
  '    DMALPEND',
  '    DMASEV 40',
  '    DMAFOO',
  '    DMAEND',
  '',
].join('\n');

/** A self-contained devicetree with two mistakes: `&uart_clk` names no node, and the PL330 lacks `#dma-cells`. */
const DTS_MISTAKES = `/dts-v1/;

/ {
\t#address-cells = <1>;
\t#size-cells = <1>;

\taliases {
\t\tdma0 = &dmac;
\t};

\tgic: interrupt-controller@f8f01000 {
\t\tcompatible = "arm,cortex-a9-gic";
\t\t#interrupt-cells = <3>;
\t\t#address-cells = <0>;
\t\tinterrupt-controller;
\t\treg = <0xf8f01000 0x1000>, <0xf8f00100 0x100>;
\t};

\tamba: bus {
\t\tcompatible = "simple-bus";
\t\t#address-cells = <1>;
\t\t#size-cells = <1>;
\t\tinterrupt-parent = <&gic>;
\t\tranges;

\t\tdmac: dma-controller@f8003000 {
\t\t\tcompatible = "arm,pl330", "arm,primecell";
\t\t\treg = <0xf8003000 0x1000>;
\t\t\tinterrupts = <0 13 4>, <0 14 4>;
\t\t};

\t\tuart0: serial@e0000000 {
\t\t\tcompatible = "xlnx,xuartps", "cdns,uart-r1p8";
\t\t\treg = <0xe0000000 0x1000>;
\t\t\tinterrupts = <0 27 4>;
\t\t\tclocks = <&uart_clk>;
\t\t};
\t};
};
`;
const dtsLine = (pattern: RegExp) => DTS_MISTAKES.split('\n').findIndex((l) => pattern.test(l)) + 1;

describe('PL330 and devicetree in VS Code (code-server)', () => {
  let editor: Editor;
  before(async () => {
    editor = await openEditor({
      workspace: join(REPO_ROOT, 'examples'),
      files: { 'pl330/mistakes.pl330': MISTAKES, 'devicetree/mistakes.dts': DTS_MISTAKES },
      // Nodes only in the Outline, all expanded: the tree fits the view.
      settings: { 'outline.showProperties': false, 'outline.collapseItems': 'alwaysExpand' },
    });
  }, { timeout: OPEN_TIMEOUT_MS });
  after(() => editor?.close());

  test('a .pl330 file with mistakes: each in the Problems panel with its line; fixing a line clears it', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'pl330-problems', async (wb) => {
      const diagnosticsOf = (text: string) => assemble(text).diagnostics.map((d) => ({ line: d.line + 1, message: d.message, severity: d.severity }));
      const expected = diagnosticsOf(MISTAKES);
      assert.deepEqual(expected.filter((d) => d.severity === 'error').map((d) => d.line), [5, 9, 10], 'the engine sees the three mistakes');
      await wb.openFile('pl330/mistakes.pl330');
      // The panel updates as the server answers; wait until it shows exactly what the engine reports.
      const ofFile = (ps: Problem[]) => sortByLine(ps.filter((p) => p.file === 'mistakes.pl330').map((p) => ({ line: p.line, message: p.message, severity: p.severity })));
      const shows = (want: typeof expected) => (ps: Problem[]) => isDeepStrictEqual(ofFile(ps), sortByLine(want));
      await wb.waitForProblems('the assembler diagnostics of mistakes.pl330', shows(expected));
      await wb.screenshot('pl330-problems-before-fix');

      await wb.replaceLine(5, '    DMALP 16');
      const fixed = diagnosticsOf(MISTAKES.replace('DMALP 300', 'DMALP 16'));
      assert.deepEqual(fixed, expected.filter((d) => d.line !== 5), 'the engine: fixing line 5 removes its error only');
      await wb.waitForProblems('the loop-count error to clear, the others to stay', shows(fixed));
      await wb.save();
    }));

  test('hover over a mnemonic shows its documentation', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'pl330-hover', async (wb) => {
      await wb.openFile('pl330/memcpy.pl330');
      const source = readFileSync(join(editor.server.workspace, 'pl330/memcpy.pl330'), 'utf8');
      const line = source.split('\n').findIndex((l) => /^\s*DMALD\b/.test(l)) + 1;
      const hover = await wb.hover(line, 'DMALD');
      const spec = SPECS_BY_MNEMONIC.get('DMALD')![0];
      assert.ok(hover.includes(spec.summary), `hover shows the summary "${spec.summary}":\n${hover}`);
      assert.ok(hover.includes(spec.syntax), `hover shows the syntax "${spec.syntax}":\n${hover}`);
      const instruction = assemble(source).instructions.find((i) => i.line === line - 1)!;
      assert.ok(hover.includes(`0x${instruction.address.toString(16).padStart(8, '0')}`), `hover shows the address:\n${hover}`);
    }));

  test('completion offers mnemonics at the start of a statement and CCR fields in DMAMOV CCR', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'pl330-completion', async (wb) => {
      await wb.openFile('pl330/mistakes.pl330');
      await wb.goToLine(6);
      await wb.page.keyboard.press('End');
      await wb.typeLines(['', 'DMAL']);
      const mnemonics = await wb.completions();
      const allMnemonics = [...SPECS_BY_MNEMONIC.keys(), DMALPFE_DOC.mnemonic];
      assert.deepEqual(mnemonics.filter((m) => m.startsWith('DMAL')).sort(), allMnemonics.filter((m) => m.startsWith('DMAL')).sort(), `offered: ${mnemonics.join(' ')}`);
      await wb.screenshot('pl330-completion-mnemonics');
      await wb.page.keyboard.press('Escape');

      await wb.page.keyboard.press('Control+a');
      await wb.page.keyboard.press('Delete');
      await wb.typeLines(['.channel 0x0', '    DMAMOV CCR, SB2 ES']);
      const fields = await wb.completions();
      const swapField = CCR_FIELDS.find((f) => f.name === 'ES')!;
      const swapKeywords = [0, 1, 2, 3, 4].map((v) => ccrKeyword(swapField, v)!);
      assert.deepEqual(fields.filter((f) => f.startsWith('ES')), swapKeywords, `offered: ${fields.join(' ')}`);
    }));

  test('a .dts file with an unresolved reference and a PL330 node without #dma-cells: both in the Problems panel; fixing clears them', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'dts-problems', async (wb) => {
      const path = join(editor.server.workspace, 'devicetree/mistakes.dts');
      // Debian's dtc finds the unresolved reference (its own checks have nothing else to say about this file).
      const reference = dtc(path);
      assert.notEqual(reference.status, 0);
      assert.match(reference.stderr, /Reference to non-existent node or label "uart_clk"/);
      const referenceLine = dtsLine(/&uart_clk/);
      const pl330Line = dtsLine(/dmac: dma-controller/);

      await wb.openFile('devicetree/mistakes.dts');
      const ofFile = (ps: Problem[]) => ps.filter((p) => p.file === 'mistakes.dts');
      const shown = ofFile(await wb.waitForProblems('two problems in mistakes.dts', (ps) => ofFile(ps).length >= 2));
      assert.equal(shown.length, 2, shown.map((p) => p.text).join('\n'));
      const unresolved = shown.find((p) => p.line === referenceLine);
      assert.ok(unresolved && unresolved.severity === 'error' && unresolved.message.includes('uart_clk'), shown.map((p) => p.text).join('\n'));
      const dmaCells = shown.find((p) => p.line === pl330Line);
      assert.ok(dmaCells && dmaCells.message.includes('#dma-cells'), shown.map((p) => p.text).join('\n'));
      await wb.screenshot('dts-problems-before-fix');

      await wb.replaceLine(referenceLine, '            clock-frequency = <100000000>;');
      await wb.goToLine(dtsLine(/interrupts = <0 13 4>/));
      await wb.page.keyboard.press('End');
      await wb.typeLines(['', '#dma-cells = <1>;']);
      await wb.page.keyboard.press('Escape');
      await wb.waitForProblems('the problems of mistakes.dts to clear', (ps) => ofFile(ps).length === 0);
      await wb.save();
      const fixed = dtc(path);
      assert.equal(fixed.status, 0, fixed.stderr);
      assert.equal(fixed.stderr, '', 'dtc has no warnings for the fixed file either');
    }));

  test('go to definition on a &label jumps to the node', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'dts-definition', async (wb) => {
      await wb.openFile('devicetree/mistakes.dts');
      const target = await wb.goToDefinition(dtsLine(/= &dmac;/), '&dmac');
      assert.equal(target, dtsLine(/dmac: dma-controller/));
    }));

  test('the Outline shows the node tree', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'dts-outline', async (wb) => {
      await wb.openFile('devicetree/mistakes.dts');
      const expected = nodeTree(dtc(join(editor.server.workspace, 'devicetree/mistakes.dts')).dts);
      assert.ok(expected.length >= 5, JSON.stringify(expected));
      const shown = await waitFor('the Outline of mistakes.dts', 30_000, async () => {
        const rows = await wb.outline().catch(() => []);
        return rows.length >= expected.length ? rows : false;
      });
      assert.deepEqual(shown.map((r) => ({ level: r.level, name: r.name.replace(/^(\w+:\s*)+/, '') })), expected);
    }));

  test('Assemble PL330 File: the listing opens beside the source and the binary is written', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'command-assemble', async (wb) => {
      await wb.openFile('pl330/memcpy.pl330');
      await wb.runCommand('dmalab: Assemble PL330 File');
      const shown = await waitFor('the listing', 30_000, async () => {
        const lines = await wb.visibleLines('memcpy.pl330.lst').catch(() => []);
        return lines.length > 0 ? lines : false;
      });
      const path = join(editor.server.workspace, 'pl330/memcpy.pl330');
      const source = readFileSync(path, 'utf8');
      const listing = toListing(assemble(source), source).split('\n');
      assert.deepEqual(shown.map((l) => l.trimEnd()), listing.slice(0, shown.length).map((l) => l.trimEnd()));
      assert.ok(shown.some((l) => /^0000100[0-9a-f]  [0-9a-f]{2}/.test(l)), 'the listing shows addresses and bytes');

      const cli = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/dmalab'), 'asm', path, '-o', '-'], { encoding: 'buffer' });
      assert.equal(cli.status, 0, cli.stderr.toString());
      const written = await waitFor('memcpy.bin', 30_000, async () => readFileSafe(join(editor.server.workspace, 'pl330/memcpy.bin')));
      assert.deepEqual(written, cli.stdout, 'the editor writes the bytes the CLI assembles');
      await waitFor('the notification naming memcpy.bin', 30_000, async () => (await wb.notifications()).some((n) => n.includes('memcpy.bin')));
    }));

  test('Compile Devicetree to DTB: the DTB is written, byte for byte what cpp + dtc build', { timeout: SCENARIO_TIMEOUT_MS }, () =>
    scenario(editor, 'command-compile-devicetree', async (wb) => {
      const dir = join(editor.server.workspace, 'devicetree');
      await wb.openFile('devicetree/zynq-dma-board.dts');
      await wb.runCommand('dmalab: Compile Devicetree to DTB');
      const written = await waitFor('zynq-dma-board.dtb', 30_000, async () => readFileSafe(join(dir, 'zynq-dma-board.dtb')));
      // The kernel's way: the C preprocessor, then Debian's dtc.
      const pre = spawnSync('cpp', ['-nostdinc', '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-I', dir, join(dir, 'zynq-dma-board.dts')], { encoding: 'buffer' });
      assert.equal(pre.status, 0, pre.stderr.toString());
      const reference = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', '-', '-'], { input: pre.stdout, encoding: 'buffer' });
      assert.equal(reference.status, 0, reference.stderr.toString());
      assert.deepEqual(written, reference.stdout);
      await waitFor('the notification naming the DTB', 30_000, async () => (await wb.notifications()).some((n) => n.includes('zynq-dma-board.dtb')));
    }));
});

/** Debian's dtc on a source: its exit status and messages, and the source it prints back (dtc -O dts). */
function dtc(path: string): { status: number | null; stderr: string; dts: string } {
  const r = spawnSync('dtc', ['-I', 'dts', '-O', 'dts', '-o', '-', path], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, dts: r.stdout };
}

/** The node tree of dtc's printed source, as the Outline shows it: depth and node name, labels dropped. */
function nodeTree(dts: string): { level: number; name: string }[] {
  const nodes: { level: number; name: string }[] = [];
  let depth = 0;
  for (const line of dts.split('\n')) {
    const open = /^\s*(?:[\w]+:\s*)*([^\s{=;]+)\s*\{\s*$/.exec(line);
    if (open) nodes.push({ level: ++depth, name: open[1] });
    else if (/^\s*\};\s*$/.test(line)) depth--;
  }
  return nodes;
}

function sortByLine<T extends { line: number; message: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => a.line - b.line || a.message.localeCompare(b.message));
}

async function readFileSafe(path: string): Promise<Buffer | undefined> {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
