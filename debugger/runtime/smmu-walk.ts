// `smmu walk IOVA` in the debug console: the SMMU's own inspection of a translation (stream match, context bank,
// regime, every descriptor read) in lines, summary first.
import { describeDescriptor, descriptorValue, hex as hexAddress } from '../../emulator/smmu/describe';
import type { SmmuInspection } from '../../emulator/smmu/smmu';
import type { WalkRegime } from '../../emulator/smmu/walk';

/** The walk as text: `IOVA … -> PA …` or `IOVA …: <fault>` first, then how the SMMU got there. */
export function formatSmmuWalk(w: SmmuInspection, where: string, access: 'read' | 'write'): string {
  const at = `IOVA ${hexAddress(w.address)}`;
  const fault = w.fault;
  const summary = fault
    ? `${at}: ${fault.kind} fault ${fault.bank < 0 ? 'in global space' : `at level ${fault.level} in context bank ${fault.bank}`} (${where}; ${access})`
    : `${at} -> PA ${hexAddress(w.physical!)} (${where}; ${access})`;
  const lines = [summary, `  ${streamLine(w)}`];
  let stage = 0;
  for (const step of w.trace.steps) {
    if (step.stage !== stage) {
      stage = step.stage;
      const regime = w.trace.regimes.find((r) => r.stage === stage);
      if (regime) lines.push(`  ${regimeLine(regime)}`);
    }
    const read = step.address < 0 ? 'does not translate' : step.address === step.tableAddress ? '' : ` (read at PA ${hexAddress(step.address)})`;
    const value = step.address < 0 ? '' : ` = ${descriptorValue(step)}`;
    lines.push(`  stage ${step.stage} level ${step.level}: descriptor at ${hexAddress(step.tableAddress)}${read}${value}: ${describeDescriptor(step)}`);
  }
  for (const regime of w.trace.regimes) {
    if (!w.trace.steps.some((s) => s.stage === regime.stage)) lines.push(`  ${regimeLine(regime)}`);
  }
  if (w.physical !== undefined && w.bank !== undefined) lines.push(`  result: PA ${hexAddress(w.physical)}`);
  if (fault && fault.bank >= 0) lines.push(`  result: ${fault.kind} fault at level ${fault.level} (context bank ${fault.bank})`);
  if (w.tlb) lines.push(`  TLB: holds this page -> PA ${hexAddress(w.tlb.physical)}${w.tlb.permitted ? '' : ' (access not permitted)'}; transactions use it until it is invalidated`);
  return lines.join('\n');
}

/**
 * An address a DMAC issues as its SMMU takes it, on one line: `(IPA) -> PA 0xe0001000 (<smmu> context bank 0)` (an
 * IPA for a stage 2 bank, else an IOVA), the fault it would take, or why it passes untranslated.
 */
export function describeTranslation(w: SmmuInspection, smmu: string): string {
  const input = w.bankType === 'stage 2' ? 'IPA' : 'IOVA';
  if (w.bypass) return `(${smmu} bypass: ${w.bypass})`;
  const bank = w.bank === undefined ? smmu : `${smmu} context bank ${w.bank}`;
  if (w.fault) return `(${input}): ${w.fault.kind} fault${w.fault.bank < 0 ? ' in global space' : ` at level ${w.fault.level}`} (${bank})`;
  return `(${input}) -> PA ${hexAddress(w.physical!)} (${bank})`;
}

function streamLine(w: SmmuInspection): string {
  const match = w.group === -1 ? 'no SMR matches' : w.group === -2 ? 'several SMRs match (conflict)' : `SMR${w.group} matches, S2CR${w.group} = ${hexAddress(w.s2cr!)}`;
  if (w.bypass) return `stream ${w.streamId}: ${match}; bypass: ${w.bypass}`;
  if (w.bank === undefined) return `stream ${w.streamId}: ${match}`;
  return `stream ${w.streamId}: ${match} -> context bank ${w.bank} (${w.bankType})`;
}

function regimeLine(r: WalkRegime): string {
  const parts = [`stage ${r.stage}: ${r.format}`];
  if (r.table) parts.push(r.table);
  if (r.size) parts.push(r.size);
  if (r.inputBits !== undefined) parts.push(`${r.inputBits}-bit input`);
  if (r.startLevel !== undefined) parts.push(`start level ${r.startLevel}`);
  return parts.join(', ');
}
