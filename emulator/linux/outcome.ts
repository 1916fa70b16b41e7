// How a process ended, and the exception a system call throws to end it.

export type ProcessOutcome =
  | { readonly kind: 'exit'; readonly status: number }
  | { readonly kind: 'signal'; readonly signal: number; readonly reason: string }
  | { readonly kind: 'crash'; readonly signal: number; readonly reason: string; readonly registers: string };

export class ProcessExit {
  constructor(readonly outcome: ProcessOutcome) {}
}
