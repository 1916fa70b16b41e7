// Flags left pending in a translated block whose flags live in locals (translate.ts). A flag-setting instruction
// stores its result (fr: N and Z, pending while fq = 1) and, for an add or subtract, its operands (fx, fy: C and V,
// pending while fk is not 0) instead of computing N, Z, C and V. A condition after it in the same straight line of
// code is tested on those directly (after CMP x, y: HI is x > y unsigned, GE is x >= y signed), and the flags are
// computed only where something reads them as flags: an instruction that reads C, a condition after a point where
// what is pending is known only at run time (a branch target inside the block), and where the block leaves (its
// write-back, or a fault).
import { ADD_CARRY_OVERFLOW, CONDITIONS, NEGATIVE_ZERO, SUBTRACT_CARRY_OVERFLOW } from './emit';

/** What fq holds: N and Z in fn, fz (None) or of fr (Result); Unknown where only fq says at run time. */
const enum NegativeZero { None = 0, Result = 1, Unknown = -1 }
/**
 * What fk holds: bit 0, V (and C with bit 2) of fx - fy pending; bit 1, of fx + fy; 0, C and V in fc, fv. An
 * instruction that sets C alone (a logical one with a shifter carry) clears bit 2 and leaves V pending.
 */
const enum CarryOverflow { None = 0, SubtractV = 1, AddV = 2, Subtract = 5, Add = 6, Unknown = -1 }

/** What the translator knows of the pending flags at a point of the block. */
export interface FlagState {
  readonly nz: NegativeZero;
  readonly cv: CarryOverflow;
  /** fr is fx - fy (cv Subtract) or fx + fy (cv Add): the conditions compare the operands directly. */
  readonly joint: boolean;
}

/** At the block's start: the flags as the CpuState holds them. */
export const SETTLED: FlagState = { nz: NegativeZero.None, cv: CarryOverflow.None, joint: false };
/** At a branch target inside the block: whatever the branches there left. */
export const UNKNOWN: FlagState = { nz: NegativeZero.Unknown, cv: CarryOverflow.Unknown, joint: false };
/** The locals' declarations (after fn, fz, fc, fv). */
export const PENDING_LOCALS = 'fq = 0, fk = 0, fx = 0, fy = 0, fr = 0';

const SUBTRACT_C = '(fx >>> 0) >= (fy >>> 0)';
const SUBTRACT_V = '((fx ^ fy) & (fx ^ ((fx - fy) | 0))) < 0';
const ADD_C = '(((fx + fy) | 0) >>> 0) < (fx >>> 0)';
const ADD_V = '((fx ^ ((fx + fy) | 0)) & (fy ^ ((fx + fy) | 0))) < 0';
const N_Z = 'fn = fr >>> 31; fz = fr === 0 ? 1 : 0;';
const SETTLE_NZ = `if (fq !== 0) { ${N_Z} fq = 0; }`;
const SETTLE_CV = `if (fk !== 0) { if ((fk & 1) !== 0) { if (fk > 4) fc = ${SUBTRACT_C} ? 1 : 0; fv = ${SUBTRACT_V} ? 1 : 0; } ` +
  `else { if (fk > 4) fc = ${ADD_C} ? 1 : 0; fv = ${ADD_V} ? 1 : 0; } fk = 0; }`;

/** fq = fk = 0 with the flags computed, whatever was pending: the block's exits. */
export const SETTLE = `${SETTLE_NZ} ${SETTLE_CV}`;

function settleCarryOverflow(cv: CarryOverflow): string {
  switch (cv) {
    case CarryOverflow.None: return '';
    case CarryOverflow.Subtract: return `fc = ${SUBTRACT_C} ? 1 : 0; fv = ${SUBTRACT_V} ? 1 : 0; fk = 0;`;
    case CarryOverflow.Add: return `fc = ${ADD_C} ? 1 : 0; fv = ${ADD_V} ? 1 : 0; fk = 0;`;
    case CarryOverflow.SubtractV: return `fv = ${SUBTRACT_V} ? 1 : 0; fk = 0;`;
    case CarryOverflow.AddV: return `fv = ${ADD_V} ? 1 : 0; fk = 0;`;
    default: return SETTLE_CV;
  }
}

/** CONDITIONS (EQ, NE, CS, CC, MI, PL, VS, VC, HI, LS, GE, LT, GT, LE) after a compare or add left all four pending. */
const ADD_OVERFLOW = '((fx ^ fr) & (fy ^ fr))';
const JOINT_CONDITIONS: Record<CarryOverflow.Subtract | CarryOverflow.Add, readonly string[]> = {
  [CarryOverflow.Subtract]: [
    'fx === fy', 'fx !== fy', '(fx >>> 0) >= (fy >>> 0)', '(fx >>> 0) < (fy >>> 0)', 'fr < 0', 'fr >= 0',
    '((fx ^ fy) & (fx ^ fr)) < 0', '((fx ^ fy) & (fx ^ fr)) >= 0', '(fx >>> 0) > (fy >>> 0)', '(fx >>> 0) <= (fy >>> 0)',
    'fx >= fy', 'fx < fy', 'fx > fy', 'fx <= fy',
  ],
  [CarryOverflow.Add]: [
    'fr === 0', 'fr !== 0', '(fr >>> 0) < (fx >>> 0)', '(fr >>> 0) >= (fx >>> 0)', 'fr < 0', 'fr >= 0',
    `${ADD_OVERFLOW} < 0`, `${ADD_OVERFLOW} >= 0`, '((fr >>> 0) < (fx >>> 0) && fr !== 0)', '((fr >>> 0) >= (fx >>> 0) || fr === 0)',
    `(fr ^ ${ADD_OVERFLOW}) >= 0`, `(fr ^ ${ADD_OVERFLOW}) < 0`, `(fr !== 0 && (fr ^ ${ADD_OVERFLOW}) >= 0)`, `(fr === 0 || (fr ^ ${ADD_OVERFLOW}) < 0)`,
  ],
};

/** A condition from each flag's test (known states only). */
function composedCondition(index: number, state: FlagState): string {
  const n = state.nz === NegativeZero.Result ? '(fr < 0)' : '(fn === 1)';
  const z = state.nz === NegativeZero.Result ? '(fr === 0)' : '(fz === 1)';
  const c = state.cv === CarryOverflow.Subtract ? `(${SUBTRACT_C})` : state.cv === CarryOverflow.Add ? `(${ADD_C})` : '(fc === 1)';
  const v = (state.cv & 1) !== 0 ? `(${SUBTRACT_V})` : (state.cv & 2) !== 0 ? `(${ADD_V})` : '(fv === 1)';
  return [z, `!${z}`, c, `!${c}`, n, `!${n}`, v, `!${v}`, `(${c} && !${z})`, `(!${c} || ${z})`, `(${n} === ${v})`, `(${n} !== ${v})`,
    `(!${z} && ${n} === ${v})`, `(${z} || ${n} !== ${v})`][index];
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An instruction's condition (emit.ts writes it first): `if (` a test of CONDITIONS `)`. */
const CONDITION = new RegExp(`if \\((${CONDITIONS.map(escape).join('|')})\\)`);
const SUBTRACT_SETS = `${NEGATIVE_ZERO} ${SUBTRACT_CARRY_OVERFLOW}`;
const ADD_SETS = `${NEGATIVE_ZERO} ${ADD_CARRY_OVERFLOW}`;
const LOGICAL_CARRY_SETS = `${NEGATIVE_ZERO} c.c = carry;`;
/** A read of C or V (not an assignment). */
const FLAG_READ = /\bc\.([cv])\b(?!\s*=[^=])/;
const FLAG = /\bc\.([nzcv])\b/g;

/**
 * One inline instruction's code (registers already locals) with its flags pending, given what is pending before
 * it: the code and what is pending after it.
 */
export function pendingFlags(code: string, before: FlagState): { code: string; state: FlagState } {
  let state = before;
  let body = code;
  let after: FlagState = state;
  let prefix = '';
  // An instruction that reads C (ADC, RRX...) has C and V computed first.
  if (FLAG_READ.test(body.replace(CONDITION, ''))) {
    prefix = settleCarryOverflow(state.cv);
    state = { ...state, cv: CarryOverflow.None, joint: false };
  }
  let sets = true;
  if (body.includes(SUBTRACT_SETS)) {
    body = body.replace(SUBTRACT_SETS, 'fx = x | 0; fy = y | 0; fr = v; fq = 1; fk = 5;');
    after = { nz: NegativeZero.Result, cv: CarryOverflow.Subtract, joint: true };
  } else if (body.includes(ADD_SETS)) {
    body = body.replace(ADD_SETS, 'fx = x | 0; fy = y | 0; fr = v; fq = 1; fk = 6;');
    after = { nz: NegativeZero.Result, cv: CarryOverflow.Add, joint: true };
  } else if (body.includes(LOGICAL_CARRY_SETS)) {
    // C from the shifter; V stays as it was (pending or not).
    body = body.replace(LOGICAL_CARRY_SETS, 'fr = v; fq = 1; fc = carry; fk &= 3;');
    after = { nz: NegativeZero.Result, cv: state.cv === CarryOverflow.Unknown ? state.cv : state.cv & 3, joint: false };
  } else if (body.includes(NEGATIVE_ZERO)) {
    // N and Z only (C and V as they were), or with C and V computed by the code itself (ADC, SBC: C was settled).
    body = body.replace(NEGATIVE_ZERO, 'fr = v; fq = 1;');
    after = { nz: NegativeZero.Result, cv: /\bc\.v =/.test(body) ? CarryOverflow.None : state.cv, joint: false };
  } else {
    sets = false;
  }
  const condition = CONDITION.exec(body);
  if (condition !== null) {
    const index = CONDITIONS.indexOf(condition[1]);
    const usesNz = /c\.[nz]/.test(condition[1]), usesCv = /c\.[cv]/.test(condition[1]);
    if (usesNz && state.nz === NegativeZero.Unknown) {
      prefix += ` ${SETTLE_NZ}`;
      state = { ...state, nz: NegativeZero.None, joint: false };
    }
    if (usesCv && state.cv === CarryOverflow.Unknown) {
      prefix += ` ${SETTLE_CV}`;
      state = { ...state, cv: CarryOverflow.None, joint: false };
    }
    const test = state.joint ? JOINT_CONDITIONS[state.cv as CarryOverflow.Subtract | CarryOverflow.Add][index] : composedCondition(index, state);
    body = body.replace(CONDITION, () => `if (${test})`);
    // Either state may follow a conditional flag setter: fq and fk say which at run time.
    if (sets) {
      after = {
        nz: after.nz === state.nz ? state.nz : NegativeZero.Unknown,
        cv: after.cv === state.cv ? state.cv : CarryOverflow.Unknown,
        joint: false,
      };
    }
  }
  if (!sets) after = state;
  body = body.replace(FLAG, 'f$1');
  return { code: prefix === '' ? body : `${prefix.trim()} ${body}`, state: after };
}
