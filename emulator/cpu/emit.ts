// Inline JavaScript for the common integer instructions of compiled C, used by the translator (translate.ts).
export interface Emitted {
  readonly code: string;
  readonly mayFault: boolean;
}

export function emitInstruction(encoding: number, thumb: boolean, it: number, pcValue: number, fallthrough: number): Emitted | undefined {
  void encoding; void thumb; void it; void pcValue; void fallthrough;
  return undefined;
}
