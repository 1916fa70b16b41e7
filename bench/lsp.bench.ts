// Time from an edit to the published diagnostics, through the built server over stdio with a real client:
// a 10,000-line PL330 file (and, when the devicetree engine is present, the largest kernel devicetree).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { INCLUDE_PREFIXES, ensureKernelTree } from '../test/support/corpus';
import { LspClient, fileUri } from '../test/server/lsp/client';

/** A PL330 source of about `lines` lines: many channel programs, each with nested loops, labels and constants. */
function bigPl330(lines: number): string {
  const out = ['.equ SRC, 0x20000000', '.equ DST, 0x30000000', ''];
  for (let p = 0; out.length < lines; p++) {
    out.push(
      `.equ ROWS_${p}, ${1 + (p % 16)}`,
      `.channel ${0x10000 + p * 0x100}`,
      `prog_${p}:`,
      '    DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI',
      `    DMAMOV SAR, SRC + ${p * 64}`,
      `    DMAMOV DAR, DST + ${p * 64}`,
      `    DMALP ROWS_${p}`,
      '        DMALP 4',
      '            DMALD',
      '            DMAST',
      '        DMALPEND',
      '        DMAADDH DAR, 0x40',
      '    DMALPEND',
      '    DMAWMB',
      `    DMASEV ${p % 16}`,
      '    DMAEND',
      '',
    );
  }
  return out.slice(0, lines).join('\n') + '\n';
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** CPU time (user + system) the server process has used, in ms: a figure that a loaded machine inflates less. */
function serverCpuMs(client: LspClient): number {
  const fields = readFileSync(`/proc/${client.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Replaces one line with each of `variants` in turn; the time of each edit until its diagnostics arrive. */
async function editToDiagnostics(client: LspClient, uri: string, line: number, variants: readonly string[], rounds: number): Promise<{ times: number[]; cpuPerEdit: number }> {
  const times: number[] = [];
  const cpuBefore = serverCpuMs(client);
  for (let k = 0; k < rounds; k++) {
    const start = process.hrtime.bigint();
    await client.change(uri, [{ range: { start: { line, character: 0 }, end: { line, character: 10_000 } }, text: variants[k % variants.length] }]);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { times: times.sort((a, b) => a - b), cpuPerEdit: (serverCpuMs(client) - cpuBefore) / rounds };
}

function report(what: string, openMs: number, { times, cpuPerEdit }: { times: readonly number[]; cpuPerEdit: number }): void {
  console.log(`${what}: open ${openMs.toFixed(1)} ms; edit → diagnostics median ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms, server CPU ${cpuPerEdit.toFixed(1)} ms per edit (target < 100 ms)`);
}

async function timedOpen(client: LspClient, uri: string, languageId: string, text: string): Promise<{ ms: number; count: number }> {
  const start = process.hrtime.bigint();
  const diagnostics = await client.open(uri, languageId, text);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, count: diagnostics.length };
}

async function main(): Promise<void> {
  const client = new LspClient({ settings: { devicetree: { includePaths: [INCLUDE_PREFIXES] } } });
  await client.initialize();

  const text = bigPl330(10_000);
  const uri = 'file:///bench/big.pl330';
  const pl330 = await timedOpen(client, uri, 'pl330', text);
  const line = text.split('\n').findIndex((l) => l.trim() === 'DMALP 4');
  // Alternate between a valid and an invalid loop count at the same place.
  report(`pl330, 10,000 lines (${pl330.count} diagnostics)`, pl330.ms, await editToDiagnostics(client, uri, line, ['    DMALP 300', '    DMALP 4'], 40));

  // The largest kernel devicetree after cpp (dts.md §4.3): am572x-idk, 252 KB preprocessed, 15 includes.
  const path = join(ensureKernelTree(), 'arch/arm/boot/dts/am572x-idk.dts');
  const dts = readFileSync(path, 'utf8');
  const dtsUri = fileUri(path);
  const opened = await timedOpen(client, dtsUri, 'devicetree', dts);
  const modelLine = dts.split('\n').findIndex((l) => l.includes('model ='));
  const model = dts.split('\n')[modelLine];
  report(`devicetree am572x-idk.dts with its includes (${opened.count} diagnostics)`, opened.ms, await editToDiagnostics(client, dtsUri, modelLine, [model.replace('";', ' (edited)";'), model], 40));
  await client.shutdown();
  console.log(`(load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
