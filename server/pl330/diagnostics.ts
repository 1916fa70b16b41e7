// Every check of the PL330 assembler, as data: a stable code, a default severity and a message template whose
// {placeholders} are filled from the arguments. The CLI, the language server and the docs read this table.

export type Severity = 'error' | 'warning' | 'info';

export interface CheckSpec {
  readonly severity: Severity;
  readonly template: string;
  readonly explanation: string;
}

export const PL330_CHECKS = {
  'syntax': { severity: 'error', template: '{detail}', explanation: 'The line does not parse.' },
  'unknown-mnemonic': { severity: 'error', template: "unknown instruction or directive '{name}'{suggestion}", explanation: 'Not a DMA-330 mnemonic or an assembler directive.' },
  'unknown-operand': { severity: 'error', template: "invalid operand '{text}' for {mnemonic}: expected {expected}", explanation: 'The operand is not of the form the instruction takes.' },
  'operand-count': { severity: 'error', template: '{mnemonic} takes {expected}; got {count} operand(s)', explanation: 'Too few or too many operands.' },
  'out-of-range': { severity: 'error', template: '{what} {value} is out of range {min}..{max}', explanation: 'An immediate does not fit its field.' },
  'loop-count': { severity: 'error', template: 'loop count {value} is outside 1..256', explanation: 'DMALP loads an 8-bit counter with n - 1, so n is 1..256.' },
  'unmatched-loop-end': { severity: 'error', template: 'DMALPEND without a matching DMALP or DMALPFE', explanation: 'A loop end closes the innermost open loop; there is none.' },
  'loop-counter-mismatch': { severity: 'error', template: 'DMALPEND names {given} but the open loop uses {expected}', explanation: 'The counter named on DMALPEND must be the one its DMALP loaded.' },
  'loops-too-deep': { severity: 'error', template: 'loops nested deeper than the two loop counters (LC0 and LC1 are both in use)', explanation: 'A channel has two loop counters, so at most two counted loops nest.' },
  'forever-nested': { severity: 'error', template: 'only one DMALPFE loop may be open at a time', explanation: 'A forever loop ends only on the last peripheral request; nesting another makes no sense to the hardware.' },
  'counter-in-use': { severity: 'error', template: '{counter} is already used by an enclosing loop', explanation: 'The inner loop would overwrite the outer loop\'s counter.' },
  'jump-too-far': { severity: 'error', template: 'backward jump of {distance} bytes exceeds the 255-byte limit by {excess}', explanation: 'DMALPEND encodes the distance back to the loop start in 8 bits.' },
  'jump-target': { severity: 'error', template: 'loop target {target} is after the DMALPEND at {address}', explanation: 'DMALPEND only jumps backwards.' },
  'target-mismatch': { severity: 'warning', template: 'DMALPEND jumps to {target}, not to the start of the loop body at {expected}', explanation: 'An explicit target disagrees with the enclosing loop.' },
  'unclosed-loop': { severity: 'error', template: '{kind} is never closed by a DMALPEND', explanation: 'Every DMALP and DMALPFE needs a DMALPEND in the same program.' },
  'wrong-thread': { severity: 'error', template: '{mnemonic} cannot execute on a {thread} thread (it is {allowed} only)', explanation: 'Manager-only instructions (DMAGO) in a channel program, or channel-only ones in a manager program, fault with undef_instr.' },
  'burst-too-wide': { severity: 'error', template: '{field}{bits} beats ({bytes} bytes) are wider than the {width}-bit data bus', explanation: 'A beat cannot be wider than the AXI data bus (CRD.data_width).' },
  'reserved-size': { severity: 'error', template: '{field} value {value} is reserved', explanation: 'Sizes 5..7 of SS, DS and ES are reserved.' },
  'swap-wider-than-beat': { severity: 'warning', template: 'endian swap of {swap} bits is wider than the {side} beat of {beat} bits', explanation: 'The endian swap size must not exceed the beat size.' },
  'ccr-field': { severity: 'error', template: "invalid CCR field '{text}': expected one of SB1..16 SS8..128 SAI SAF SP0..7 SC0..7 DB1..16 DS8..128 DAI DAF DP0..7 DC0..7 ES8..128", explanation: 'Symbolic DMAMOV CCR operands.' },
  'ccr-duplicate': { severity: 'error', template: 'CCR field {field} given twice', explanation: 'Each CCR field may appear once.' },
  'event-range': { severity: 'error', template: 'event {value} is beyond the {count} events configured (0..{max})', explanation: 'The event must be below the number of events (CR0.num_events).' },
  'peripheral-range': { severity: 'error', template: 'peripheral {value} is beyond the {count} peripheral request interfaces configured', explanation: 'The peripheral must be below CR0.num_periph_req.' },
  'channel-range': { severity: 'error', template: 'channel {value} is beyond the {count} channels configured (0..{max})', explanation: 'DMAGO to a channel that does not exist faults with operand_invalid.' },
  'code-after-end': { severity: 'warning', template: 'unreachable: code after DMAEND (add a label if this starts another program)', explanation: 'Nothing after DMAEND runs unless it is jumped to by DMAGO.' },
  'missing-end': { severity: 'warning', template: '{kind} program at {base} has no DMAEND', explanation: 'A program that does not end runs into whatever bytes follow it.' },
  'no-program': { severity: 'warning', template: 'no program: the file has no instructions or data', explanation: 'An empty source assembles to nothing; an empty output file is rarely what was meant.' },
  'empty-program': { severity: 'warning', template: '{kind} program at {base} is empty', explanation: 'A program section with no instructions.' },
  'revision': { severity: 'error', template: '{mnemonic} needs DMA-330 r1p0 or later (configured revision r{major}p{minor})', explanation: 'DMAADNH does not exist on r0p0.' },
  'unverified-encoding': { severity: 'warning', template: '{detail}', explanation: 'The encoding is not confirmed by two independent sources.' },
  'undefined-symbol': { severity: 'error', template: "undefined symbol '{name}'", explanation: 'A label or constant that is never defined.' },
  'duplicate-symbol': { severity: 'error', template: "'{name}' is already defined at line {line}", explanation: 'Labels and constants share one namespace.' },
  'circular-symbol': { severity: 'error', template: "constant '{name}' is defined in terms of itself", explanation: 'A .equ chain that loops.' },
  'expression': { severity: 'error', template: '{detail}', explanation: 'The expression cannot be evaluated.' },
  'bad-directive': { severity: 'error', template: '{detail}', explanation: 'A directive with missing or invalid arguments.' },
  'overlap': { severity: 'error', template: '{kind} program at {base} overlaps the program at {other}', explanation: 'Two programs occupy the same bytes.' },
  'bounds-overlap': { severity: 'warning', template: 'writes {ranges}, which this program also reads: a copy that overwrites its own source', explanation: 'From its loops, DMAMOVs, DMAADH/ADNH and CCR, the program writes bytes it reads; unless that is an in-place transform, source and destination overlap.' },
  'bounds-outside-buffer': { severity: 'warning', template: '{access} {ranges}, outside the buffers declared in this file ({buffers})', explanation: 'Once a file declares buffers (.buffer NAME, ADDRESS, SIZE), every address its programs read or write must lie in one of them.' },
  'bounds-writes-code': { severity: 'warning', template: 'writes {ranges} over the microcode of the {kind} program at {base}', explanation: 'A store covers the program\'s own instructions: the channel would overwrite the code it runs (or another program).' },
  'missing-wmb': { severity: 'warning', template: 'DMASEV after stores with no DMAWMB between: the event can be signalled before the data is written', explanation: 'In a peripheral program the event tells the CPU the transfer is done; DMAWMB waits for the write responses first.' },
  'internal': { severity: 'error', template: 'internal assembler error: {detail}', explanation: 'A bug in dmalab; please report it with the source.' },
} as const satisfies Record<string, CheckSpec>;

export type Pl330CheckCode = keyof typeof PL330_CHECKS;

/** A check turned off, or a warning raised to an error, by the user; the rest keep the table's severity. */
export type CheckLevels = ReadonlyMap<string, Severity | 'off'>;

/**
 * Applies `-W [no-]CHECK` / `-E [no-]CHECK` in command-line order, as dtc does: -W enables a check as a warning,
 * -E as an error, `no-` turns it off. Only warnings may be turned off or lowered: an error is a program the
 * assembler cannot encode. Returns the levels, or the first mistake in words.
 */
export function checkLevels(options: readonly [flag: '-W' | '-E', value: string][]): CheckLevels | string {
  const levels = new Map<string, Severity | 'off'>();
  for (const [flag, value] of options) {
    const off = /^no-/.test(value);
    const code = off ? value.slice(3) : value;
    const spec = (PL330_CHECKS as Record<string, CheckSpec>)[code];
    if (!spec) return `unknown check name "${code}" (${flag} ${value})`;
    if (spec.severity === 'error' && (off || flag === '-W')) return `${code} is an error, not a warning: the program cannot be encoded past it (${flag} ${value})`;
    levels.set(code, off ? 'off' : flag === '-E' ? 'error' : 'warning');
  }
  return levels;
}

export interface SourceDiagnostic {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  /** 0-based positions. */
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
}

export function formatTemplate(template: string, args: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => (key in args ? String(args[key]) : `{${key}}`));
}

/** file:line:col: severity: message [code] — the form compilers print and editors' problem matchers read. */
export function formatDiagnostic(file: string, d: SourceDiagnostic): string {
  return `${file}:${d.line + 1}:${d.col + 1}: ${d.severity}: ${d.message} [${d.code}]`;
}
