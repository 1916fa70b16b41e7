// Flags left pending in a translated block whose flags live in locals (translate.ts). A flag-setting instruction
// stores its operands and result (fx, fy, fr) and the kind of operation (fk) instead of N, Z, C and V; a condition
// after it in the same straight line of code is tested on those directly (after CMP x, y: HI is x > y unsigned, GE
// is x >= y signed), and the four flags are computed only where something reads them as flags: an instruction that
// reads C, a condition after a point where the kind is known only at run time (a branch target inside the block),
// and where the block leaves (its write-back, or a fault).
import { ADD_CARRY_OVERFLOW, CONDITIONS, NEGATIVE_ZERO, SUBTRACT_CARRY_OVERFLOW } from './emit';

/** What fk holds: what the flag locals mean at a point of the block; `Unknown` when only fk says at run time. */
export const enum Pending {
  /** fn, fz, fc, fv hold the flags. */
  None = 0,
  /** N, Z, C, V of fx - fy = fr. */
  Subtract = 1,
  /** N, Z, C, V of fx + fy = fr. */
  Add = 2,
  /** N and Z of fr; fc and fv hold C and V. */
  Result = 3,
  Unknown = -1,
}

function settled(carryOverflow: string): string {
  return carryOverflow.replace(/\bc\.([cv])\b/g, 'f$1').replace(/\bx\b/g, 'fx').replace(/\by\b/g, 'fy').replace(/\bv\b/g, 'fr');
}
const SUBTRACT_CV = settled(SUBTRACT_CARRY_OVERFLOW);
const ADD_CV = settled(ADD_CARRY_OVERFLOW);
const RESULT_NZ = 'fn = fr >>> 31; fz = fr === 0 ? 1 : 0;';

/** fk = 0 with the flags computed, whatever fk held: the block's exits. */
export const SETTLE = `if (fk !== 0) { ${RESULT_NZ} if (fk === 1) { ${SUBTRACT_CV} } else if (fk === 2) { ${ADD_CV} } fk = 0; }`;

/** The code that computes all four flags from a pending state (to Pending.None). */
function settle(state: Pending): string {
  switch (state) {
    case Pending.None: return '';
    case Pending.Subtract: return `${RESULT_NZ} ${SUBTRACT_CV} fk = 0;`;
    case Pending.Add: return `${RESULT_NZ} ${ADD_CV} fk = 0;`;
    case Pending.Result: return `${RESULT_NZ} fk = 0;`;
    default: return SETTLE;
  }
}

/** The code that computes C and V into fc and fv (before an instruction that sets N and Z and leaves V). */
function settleCarryOverflow(state: Pending): string {
  switch (state) {
    case Pending.Subtract: return SUBTRACT_CV;
    case Pending.Add: return ADD_CV;
    case Pending.Unknown: return `if (fk === 1) { ${SUBTRACT_CV} } else if (fk === 2) { ${ADD_CV} }`;
    default: return '';
  }
}

/** The overflow of fx + fy = fr, as a sign (negative: V set); N === V is `(fr ^ ADD_OVERFLOW) >= 0`. */
const ADD_OVERFLOW = '((fx ^ fr) & (fy ^ fr))';
/** CONDITIONS (EQ, NE, CS, CC, MI, PL, VS, VC, HI, LS, GE, LT, GT, LE) tested on each pending state. */
const PENDING_CONDITIONS: Record<Pending.Subtract | Pending.Add | Pending.Result, readonly string[]> = {
  [Pending.Subtract]: [
    'fx === fy', 'fx !== fy', '(fx >>> 0) >= (fy >>> 0)', '(fx >>> 0) < (fy >>> 0)', 'fr < 0', 'fr >= 0',
    '((fx ^ fy) & (fx ^ fr)) < 0', '((fx ^ fy) & (fx ^ fr)) >= 0', '(fx >>> 0) > (fy >>> 0)', '(fx >>> 0) <= (fy >>> 0)',
    'fx >= fy', 'fx < fy', 'fx > fy', 'fx <= fy',
  ],
  [Pending.Add]: [
    'fr === 0', 'fr !== 0', '(fr >>> 0) < (fx >>> 0)', '(fr >>> 0) >= (fx >>> 0)', 'fr < 0', 'fr >= 0',
    `${ADD_OVERFLOW} < 0`, `${ADD_OVERFLOW} >= 0`, '((fr >>> 0) < (fx >>> 0) && fr !== 0)', '((fr >>> 0) >= (fx >>> 0) || fr === 0)',
    `(fr ^ ${ADD_OVERFLOW}) >= 0`, `(fr ^ ${ADD_OVERFLOW}) < 0`, `(fr !== 0 && (fr ^ ${ADD_OVERFLOW}) >= 0)`, `(fr === 0 || (fr ^ ${ADD_OVERFLOW}) < 0)`,
  ],
  [Pending.Result]: [
    'fr === 0', 'fr !== 0', 'fc === 1', 'fc === 0', 'fr < 0', 'fr >= 0', 'fv === 1', 'fv === 0',
    '(fc === 1 && fr !== 0)', '(fc === 0 || fr === 0)', '(fr >>> 31) === fv', '(fr >>> 31) !== fv',
    '(fr !== 0 && (fr >>> 31) === fv)', '(fr === 0 || (fr >>> 31) !== fv)',
  ],
};

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An instruction's condition (emit.ts writes it first): `if (` a test of CONDITIONS `)`. */
const CONDITION = new RegExp(`if \\((${CONDITIONS.map(escape).join('|')})\\)`);
const SUBTRACT_SETS = `${NEGATIVE_ZERO} ${SUBTRACT_CARRY_OVERFLOW}`;
const ADD_SETS = `${NEGATIVE_ZERO} ${ADD_CARRY_OVERFLOW}`;
/** A flag read (not an assignment). */
const FLAG_READ = /\bc\.([cv])\b(?!\s*=[^=])/;
const FLAG = /\bc\.([nzcv])\b/g;

/**
 * One inline instruction's code (registers already locals) with its flags pending, given what fk holds before it:
 * the code and what fk holds after it.
 */
export function pendingFlags(code: string, state: Pending): { code: string; state: Pending } {
  let sets: Pending | undefined;
  let body = code;
  if (body.includes(SUBTRACT_SETS)) {
    body = body.replace(SUBTRACT_SETS, 'fx = x | 0; fy = y | 0; fr = v; fk = 1;');
    sets = Pending.Subtract;
  } else if (body.includes(ADD_SETS)) {
    body = body.replace(ADD_SETS, 'fx = x | 0; fy = y | 0; fr = v; fk = 2;');
    sets = Pending.Add;
  } else if (body.includes(NEGATIVE_ZERO)) {
    body = body.replace(NEGATIVE_ZERO, 'fr = v; fk = 3;');
    sets = Pending.Result;
  }
  let prefix = '';
  // An instruction that reads C or V (ADC, RRX...) has them computed first.
  if (FLAG_READ.test(body.replace(CONDITION, ''))) {
    prefix = settle(state);
    state = Pending.None;
  } else if (sets === Pending.Result && !/\bc\.v =/.test(body)) {
    // It sets N and Z (and C, for a logical one with a shifter carry): C and V as they were are computed first.
    prefix = settleCarryOverflow(state);
  }
  const condition = CONDITION.exec(body);
  if (condition !== null) {
    if (state === Pending.Unknown) {
      prefix += SETTLE;
      state = Pending.None;
    }
    const index = CONDITIONS.indexOf(condition[1]);
    const test = state === Pending.None ? condition[1].replace(FLAG, 'f$1') : PENDING_CONDITIONS[state][index];
    body = body.replace(CONDITION, () => `if (${test})`);
  }
  body = body.replace(FLAG, 'f$1');
  // A conditional one leaves either state: fk says which at run time.
  const after = sets === undefined ? state : condition !== null ? Pending.Unknown : sets;
  return { code: prefix === '' ? body : `${prefix} ${body}`, state: after };
}
