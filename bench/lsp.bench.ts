// Time from an edit to the published diagnostics, through the built server over stdio with a real client:
// a 10,000-line PL330 file (and, when the devicetree engine is present, the largest kernel devicetree).
import { LspClient } from '../test/lsp/client';

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

async function editToDiagnostics(client: LspClient, uri: string, line: number, rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const start = process.hrtime.bigint();
    // Alternate between a valid and an invalid loop count at the same place.
    await client.change(uri, [{ range: { start: { line, character: 0 }, end: { line, character: 1000 } }, text: k % 2 ? '    DMALP 300' : '    DMALP 4' }]);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const client = new LspClient({ settings: {} });
  await client.initialize();
  const text = bigPl330(10_000);
  const uri = 'file:///bench/big.pl330';
  let start = process.hrtime.bigint();
  const first = await client.open(uri, 'pl330', text);
  const openMs = Number(process.hrtime.bigint() - start) / 1e6;
  const line = text.split('\n').findIndex((l) => l.trim() === 'DMALP 4');
  const times = await editToDiagnostics(client, uri, line, 40);
  console.log(`pl330 10,000 lines (${first.length} diagnostics): open ${openMs.toFixed(1)} ms; edit → diagnostics median ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms (target < 100 ms)`);
  start = process.hrtime.bigint();
  await client.shutdown();
  void start;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
