// Loading a PL330 source to run it, the same for `dmalab run` and the debugger: assemble it (diagnostics as
// file:line:col lines), then pick the program that starts: the manager program, which boots at reset and starts
// its channels itself, or a channel program, started with DMAGO.
import { type AssembleResult, type Program, assemble } from './assembler';
import type { Pl330Config } from '../../emulator/pl330/config';
import { formatDiagnostic } from './diagnostics';

export interface LoadedSource {
  readonly assembly: AssembleResult;
  /** Every diagnostic, formatted `path:line:col: severity: message [code]`. */
  readonly messages: readonly string[];
  readonly errorCount: number;
}

export function assembleSource(path: string, text: string, options: { config?: Partial<Pl330Config>; base?: number }): LoadedSource {
  const assembly = assemble(text, options);
  return { assembly, messages: assembly.diagnostics.map((d) => formatDiagnostic(path, d)), errorCount: assembly.errorCount };
}

/**
 * The program to start: of `kind` (without one: the manager program if there is one and no address is asked
 * for, else a channel program), the one at `at`, or the first of that kind; undefined when there is none.
 */
export function startingProgram(programs: readonly Program[], want: { kind?: 'manager' | 'channel'; at?: number }): Program | undefined {
  const kind = want.kind ?? (want.at === undefined && programs.some((p) => p.kind === 'manager') ? 'manager' : 'channel');
  const candidates = programs.filter((p) => p.kind === kind);
  return want.at === undefined ? candidates[0] : candidates.find((p) => p.base === want.at);
}
