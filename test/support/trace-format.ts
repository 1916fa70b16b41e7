// The Chrome trace-event format's rules (the Trace Event Format document: required fields per phase, metadata names,
// instant scopes, counters, flows that pair up, complete slices that nest on each lane), as problems found in a
// document dmalab wrote; and what its DMA bursts add up to, to set against a run's own counts.
import type { TraceDocument, TraceEvent } from '../../emulator/trace/trace-events';

const PHASES = new Set(['X', 'i', 'C', 'M', 's', 'f']);
const METADATA = new Set(['process_name', 'process_labels', 'process_sort_index', 'thread_name', 'thread_sort_index']);

/** The format's rules, as problems found. */
export function formatProblems(doc: TraceDocument): string[] {
  const problems: string[] = [];
  if (!Array.isArray(doc.traceEvents)) return ['traceEvents is not an array'];
  if (!['ms', 'ns'].includes(doc.displayTimeUnit)) problems.push(`displayTimeUnit ${doc.displayTimeUnit}`);
  const flows = new Map<number, { s?: TraceEvent; f?: TraceEvent }>();
  doc.traceEvents.forEach((e, k) => {
    const at = `event ${k} (${e.name})`;
    if (typeof e.name !== 'string' || !PHASES.has(e.ph)) problems.push(`${at}: name or ph`);
    if (!Number.isFinite(e.ts) || e.ts < 0) problems.push(`${at}: ts`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) problems.push(`${at}: pid/tid`);
    if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null)) problems.push(`${at}: args`);
    switch (e.ph) {
      case 'X': if (!Number.isFinite(e.dur) || e.dur! < 0) problems.push(`${at}: dur`); break;
      case 'i': if (!['g', 'p', 't'].includes(e.s!)) problems.push(`${at}: scope`); break;
      case 'C': if (!e.args || !Object.values(e.args).every((v) => typeof v === 'number')) problems.push(`${at}: counter values`); break;
      case 'M': if (!METADATA.has(e.name) || e.args === undefined) problems.push(`${at}: metadata`); break;
      case 's':
      case 'f': {
        if (!Number.isInteger(e.id)) problems.push(`${at}: flow id`);
        const pair = flows.get(e.id!) ?? {};
        const end = e.ph as 's' | 'f';
        if (pair[end]) problems.push(`${at}: flow ${e.id} has two '${end}'`);
        pair[end] = e;
        flows.set(e.id!, pair);
        break;
      }
    }
  });
  for (const [id, pair] of flows) if (!pair.s || !pair.f || pair.f.ts < pair.s.ts) problems.push(`flow ${id} does not pair up forwards`);
  // Complete slices on one lane nest: each starts after and ends before the enclosing one, in nanoseconds.
  const lanes = new Map<string, TraceEvent[]>();
  for (const e of doc.traceEvents) if (e.ph === 'X') lanes.set(`${e.pid}:${e.tid}`, [...(lanes.get(`${e.pid}:${e.tid}`) ?? []), e]);
  for (const [tid, slices] of lanes) {
    const open: number[] = [];
    for (const e of slices) {
      const start = Math.round(e.ts * 1000), end = Math.round((e.ts + e.dur!) * 1000);
      while (open.length && open[open.length - 1] <= start && !(open[open.length - 1] === start && end === start)) open.pop();
      if (open.length && end > open[open.length - 1]) problems.push(`lane ${tid}: ${e.name} at ${e.ts} overlaps its enclosing slice`);
      open.push(end);
    }
  }
  return problems;
}

/** Bursts of the DMA lanes: count, accesses and bytes by direction. */
export function burstTotals(doc: TraceDocument): Record<'read' | 'write', { accesses: number; bytes: number; bursts: number }> {
  const out = { read: { accesses: 0, bytes: 0, bursts: 0 }, write: { accesses: 0, bytes: 0, bursts: 0 } };
  for (const e of doc.traceEvents) {
    if (e.cat !== 'burst') continue;
    const side = out[e.name.startsWith('write') ? 'write' : 'read'];
    side.bursts++;
    side.accesses += e.args!.accesses as number;
    side.bytes += e.args!.bytes as number;
  }
  return out;
}
