// How each operand kind is written, for signature help and completion; ranges follow the configuration.
import type { Pl330Config } from '../../../../emulator/pl330/config';
import { DMALPFE_DOC, InstructionSpec, OperandKind, SPECS_BY_MNEMONIC } from '../../../../emulator/pl330/isa';

export function operandLabel(kind: OperandKind, config: Pl330Config, spec: InstructionSpec): string {
  const upTo = (prefix: string, count: number): string => (count <= 1 ? `${prefix}0` : `${prefix}0..${prefix}${count - 1}`);
  switch (kind) {
    case 'addrReg': return '<SAR|DAR>';
    case 'movReg': return '<SAR|CCR|DAR>';
    case 'imm16': return '<0..65535>';
    case 'negImm16': return '<-65536..-1>';
    case 'imm32': return spec.operation === 'MOV' ? '<imm32 | CCR fields>' : '<address | label>';
    case 'channel': return `<${upTo('C', config.channels)}>`;
    case 'periph': return config.peripherals === 0 ? '<no peripherals configured>' : `<${upTo('P', config.peripherals)}>`;
    case 'event': return `<${upTo('E', config.events)}>`;
    case 'loopCounter': return 'LC0|LC1';
    case 'loopCount': return '<1..256>';
    case 'backJump': return 'target';
    case 'nsFlag': return 'ns';
    case 'invalidateFlag': return 'invalid';
    case 'wfpKind': return '<single|burst|periph>';
  }
}

/** The operands a mnemonic is written with, in source order (DMALPEND's jump target is implicit, so optional). */
export function writtenOperands(spec: InstructionSpec): { kind: OperandKind; optional: boolean }[] {
  return spec.operands.map((o) => ({ kind: o.kind, optional: !!o.optional || o.kind === 'backJump' }));
}

export function specFor(mnemonic: string): InstructionSpec | undefined {
  return SPECS_BY_MNEMONIC.get(mnemonic.toUpperCase())?.[0];
}

export function isMnemonic(word: string): boolean {
  const upper = word.toUpperCase();
  return SPECS_BY_MNEMONIC.has(upper) || upper === DMALPFE_DOC.mnemonic;
}

/** Which written operand the cursor is in, given the operand index by commas and the words typed so far. */
export function activeOperand(spec: InstructionSpec, commaIndex: number, firstOperandWord: string | undefined): number {
  const ops = writtenOperands(spec);
  // DMALP and DMALPEND take an optional leading counter: a first operand that is not LC0/LC1 is the next one.
  if (ops[0]?.kind === 'loopCounter' && ops[0].optional && firstOperandWord !== undefined && !/^LC[01]$/i.test(firstOperandWord)) {
    return Math.min(commaIndex + 1, ops.length - 1);
  }
  return Math.min(commaIndex, Math.max(0, ops.length - 1));
}
