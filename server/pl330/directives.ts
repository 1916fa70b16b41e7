// What each assembler directive does, in the words hover and completion show. Keys are PL330_DIRECTIVES.

export interface DirectiveDoc {
  readonly syntax: string;
  readonly summary: string;
}

export const DIRECTIVE_DOCS: Readonly<Record<string, DirectiveDoc>> = {
  '.channel': { syntax: '.channel [ADDRESS]', summary: 'Starts a channel-thread program at ADDRESS (default: right after the previous program).' },
  '.manager': { syntax: '.manager [ADDRESS]', summary: 'Starts a manager-thread program at ADDRESS (DMAGO, DMAWFE, DMASEV, DMAKILL, DMANOP, DMAEND only).' },
  '.equ': { syntax: '.equ NAME, EXPR', summary: 'Defines a named constant; also written NAME .equ EXPR or NAME = EXPR. Constants and labels share one namespace.' },
  '.set': { syntax: '.set NAME, EXPR', summary: 'Same as .equ.' },
  '.buffer': { syntax: '.buffer NAME, ADDRESS, SIZE', summary: 'Declares a memory buffer of SIZE bytes at ADDRESS; NAME is a constant (the address). Once a file declares buffers, transfers outside all of them are flagged (bounds-outside-buffer).' },
  '.byte': { syntax: '.byte VALUE[, VALUE...]', summary: 'Emits raw bytes (-128..255 each), e.g. to express an encoding the assembler does not produce.' },
  '.channels': { syntax: '.channels N', summary: 'Configuration: the DMAC has N channel threads (1..8). Settings and command-line flags override it.' },
  '.peripherals': { syntax: '.peripherals N', summary: 'Configuration: N peripheral request interfaces (0..32).' },
  '.events': { syntax: '.events N', summary: 'Configuration: N events and interrupt outputs (1..32).' },
  '.data_width': { syntax: '.data_width 32|64|128', summary: 'Configuration: the AXI data bus width in bits; a beat (SS/DS) may not be wider.' },
  '.revision': { syntax: '.revision 0..3', summary: 'Configuration: 0 = r0p0, 1 = r1p0, 2 = r1p1, 3 = r1p2 (DMAADNH needs r1p0 or later).' },
  '.mfifo_lines': { syntax: '.mfifo_lines N', summary: 'Configuration: MFIFO depth in data-bus-width lines (1..1024).' },
};

/** Operand keywords that are not symbols: registers, loop counters and flags, with a one-line meaning. */
export const OPERAND_KEYWORD_DOCS: Readonly<Record<string, string>> = {
  SAR: 'Source address register of the channel.',
  DAR: 'Destination address register of the channel.',
  CCR: 'Channel control register: burst shape, protection, cache and endian swap of the transfers.',
  LC0: 'Loop counter 0 (the outer counted loop by default).',
  LC1: 'Loop counter 1 (a nested counted loop, and the lc bit of forever-loop ends).',
  NS: 'Starts the channel in the non-secure state.',
  INVALID: 'Also invalidates the instruction cache.',
  SINGLE: 'Sets the request type flag to Single.',
  BURST: 'Sets the request type flag to Burst.',
  PERIPH: 'Takes the request type the peripheral signals.',
  FOREVER: 'Encodes the end of a DMALPFE loop (nf = 0).',
};
