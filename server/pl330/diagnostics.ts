// Every check of the PL330 assembler, as data in the checks' one shape (server/checks.ts): a stable code, a default
// level and a message template whose {placeholders} are filled from the arguments. The CLI, the language server and
// the docs read this table.
import { checkArgument, checksByName, type CheckDeclaration } from '../checks';

export type Severity = 'error' | 'warning' | 'info';

interface Pl330Check extends CheckDeclaration {
  readonly level: Severity;
  readonly message: string;
  readonly description: string;
}

const PL330_CHECK_TABLE = [
  { name: 'syntax', level: 'error', message: '{detail}', description: 'The line does not parse.' },
  { name: 'unknown-mnemonic', level: 'error', message: "unknown instruction or directive '{name}'{suggestion}", description: 'Not a DMA-330 mnemonic or an assembler directive.' },
  { name: 'unknown-operand', level: 'error', message: "invalid operand '{text}' for {mnemonic}: expected {expected}", description: 'The operand is not of the form the instruction takes.' },
  { name: 'operand-count', level: 'error', message: '{mnemonic} takes {expected}; got {count} operand(s){hint}', description: 'Too few or too many operands.' },
  { name: 'out-of-range', level: 'error', message: '{what} {value} is out of range {min}..{max}', description: 'An immediate does not fit its field.' },
  { name: 'loop-count', level: 'error', message: 'loop count {value} is outside 1..256', description: 'DMALP loads an 8-bit counter with n - 1, so n is 1..256.' },
  { name: 'unmatched-loop-end', level: 'error', message: 'DMALPEND without a matching DMALP or DMALPFE', description: 'A loop end closes the innermost open loop; there is none.' },
  { name: 'loop-counter-mismatch', level: 'error', message: 'DMALPEND names {given} but the open loop uses {expected}', description: 'The counter named on DMALPEND must be the one its DMALP loaded.' },
  { name: 'loops-too-deep', level: 'error', message: 'loops nested deeper than the two loop counters (LC0 and LC1 are both in use)', description: 'A channel has two loop counters, so at most two counted loops nest.' },
  { name: 'forever-nested', level: 'error', message: 'only one DMALPFE loop may be open at a time', description: 'A forever loop ends only on the last peripheral request; nesting another makes no sense to the hardware.' },
  { name: 'counter-in-use', level: 'error', message: '{counter} is already used by an enclosing loop', description: 'The inner loop would overwrite the outer loop\'s counter.' },
  { name: 'jump-too-far', level: 'error', message: 'backward jump of {distance} bytes exceeds the 255-byte limit by {excess}', description: 'DMALPEND encodes the distance back to the loop start in 8 bits.' },
  { name: 'jump-target', level: 'error', message: 'loop target {target} is after the DMALPEND at {address}', description: 'DMALPEND only jumps backwards.' },
  { name: 'target-mismatch', level: 'warning', message: 'DMALPEND jumps to {target}, not to the start of the loop body at {expected}', description: 'An explicit target disagrees with the enclosing loop.' },
  { name: 'unclosed-loop', level: 'error', message: '{kind} is never closed by a DMALPEND', description: 'Every DMALP and DMALPFE needs a DMALPEND in the same program.' },
  { name: 'wrong-thread', level: 'error', message: '{mnemonic} cannot execute on a {thread} thread (it is {allowed} only)', description: 'Manager-only instructions (DMAGO) in a channel program, or channel-only ones in a manager program, fault with undef_instr.' },
  { name: 'burst-too-wide', level: 'error', message: '{field}{bits} beats ({bytes} bytes) are wider than the {width}-bit data bus', description: 'A beat cannot be wider than the AXI data bus (CRD.data_width).' },
  { name: 'reserved-size', level: 'error', message: '{field} value {value} is reserved', description: 'Sizes 5..7 of SS, DS and ES are reserved.' },
  { name: 'swap-wider-than-beat', level: 'warning', message: 'endian swap of {swap} bits is wider than the {side} beat of {beat} bits', description: 'The endian swap size must not exceed the beat size.' },
  { name: 'ccr-field', level: 'error', message: "invalid CCR field '{text}': expected one of SB1..16 SS8..128 SAI SAF SP0..7 SC0..7 DB1..16 DS8..128 DAI DAF DP0..7 DC0..7 ES8..128", description: 'Symbolic DMAMOV CCR operands.' },
  { name: 'ccr-duplicate', level: 'error', message: 'CCR field {field} given twice', description: 'Each CCR field may appear once.' },
  { name: 'event-range', level: 'error', message: 'event {value} is beyond the {count} events configured (0..{max})', description: 'The event must be below the number of events (CR0.num_events).' },
  { name: 'peripheral-range', level: 'error', message: 'peripheral {value} is beyond the {count} peripheral request interfaces configured', description: 'The peripheral must be below CR0.num_periph_req.' },
  { name: 'channel-range', level: 'error', message: 'channel {value} is beyond the {count} channels configured (0..{max})', description: 'DMAGO to a channel that does not exist faults with operand_invalid.' },
  { name: 'code-after-end', level: 'warning', message: 'unreachable: code after DMAEND (add a label if this starts another program)', description: 'Nothing after DMAEND runs unless it is jumped to by DMAGO.' },
  { name: 'missing-end', level: 'warning', message: '{kind} program at {base} has no DMAEND', description: 'A program that does not end runs into whatever bytes follow it.' },
  { name: 'no-program', level: 'warning', message: 'no program: the file has no instructions or data', description: 'An empty source assembles to nothing; an empty output file is rarely what was meant.' },
  { name: 'empty-program', level: 'warning', message: '{kind} program at {base} is empty', description: 'A program section with no instructions.' },
  { name: 'revision', level: 'error', message: '{mnemonic} needs DMA-330 r1p0 or later (configured revision r{major}p{minor})', description: 'DMAADNH does not exist on r0p0.' },
  { name: 'unverified-encoding', level: 'warning', message: '{detail}', description: 'The encoding is not confirmed by two independent sources.' },
  { name: 'undefined-symbol', level: 'error', message: "undefined symbol '{name}'", description: 'A label or constant that is never defined.' },
  { name: 'duplicate-symbol', level: 'error', message: "'{name}' is already defined at line {line}", description: 'Labels and constants share one namespace.' },
  { name: 'circular-symbol', level: 'error', message: "constant '{name}' is defined in terms of itself", description: 'A .equ chain that loops.' },
  { name: 'expression', level: 'error', message: '{detail}', description: 'The expression cannot be evaluated.' },
  { name: 'bad-directive', level: 'error', message: '{detail}', description: 'A directive with missing or invalid arguments.' },
  { name: 'overlap', level: 'error', message: '{kind} program at {base} overlaps the program at {other}', description: 'Two programs occupy the same bytes.' },
  { name: 'bounds-overlap', level: 'warning', message: 'writes {ranges}, which this program also reads: a copy that overwrites its own source', description: 'From its loops, DMAMOVs, DMAADH/ADNH and CCR, the program writes bytes it reads; unless that is an in-place transform, source and destination overlap.' },
  { name: 'bounds-outside-buffer', level: 'warning', message: '{access} {ranges}, outside the buffers declared in this file ({buffers})', description: 'Once a file declares buffers (.buffer NAME, ADDRESS, SIZE), every address its programs read or write must lie in one of them.' },
  { name: 'bounds-writes-code', level: 'warning', message: 'writes {ranges} over the microcode of the {kind} program at {base}', description: 'A store covers the program\'s own instructions: the channel would overwrite the code it runs (or another program).' },
  { name: 'missing-wmb', level: 'warning', message: 'DMASEV after stores with no DMAWMB between: the event can be signalled before the data is written', description: 'In a peripheral program the event tells the CPU the transfer is done; DMAWMB waits for the write responses first.' },
  { name: 'internal', level: 'error', message: 'internal assembler error: {detail}', description: 'A bug in dmalab; please report it with the source.' },
] as const satisfies readonly Pl330Check[];

export type Pl330CheckCode = (typeof PL330_CHECK_TABLE)[number]['name'];

/** The checks by code. */
export const PL330_CHECKS = checksByName<Pl330Check>(PL330_CHECK_TABLE) as ReadonlyMap<Pl330CheckCode, Pl330Check>;

export const pl330Check = (code: Pl330CheckCode): Pl330Check => PL330_CHECKS.get(code)!;

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
    const named = checkArgument(PL330_CHECKS, flag, value);
    if (typeof named === 'string') return named;
    const { check, lower } = named;
    if (check.level === 'error' && (lower || flag === '-W')) return `${check.name} is an error, not a warning: the program cannot be encoded past it (${flag} ${value})`;
    levels.set(check.name, lower ? 'off' : flag === '-E' ? 'error' : 'warning');
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

/** file:line:col: severity: message [code] — the form compilers print and editors' problem matchers read. */
export function formatDiagnostic(file: string, d: SourceDiagnostic): string {
  return `${file}:${d.line + 1}:${d.col + 1}: ${d.severity}: ${d.message} [${d.code}]`;
}
