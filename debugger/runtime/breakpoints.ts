// Breakpoints the runtimes check at their boundaries: on code (a source line bound to an instruction address, or an
// address), on data (a memory range a DMAC or a CPU accesses), each with an optional condition and hit count, and
// logpoints. How a condition, a hit count and a log message are judged is the same in every kind of session.
import { EvaluationError, ExpressionContext, evaluateExpression } from './expression';
import { UserError } from './launch';

export interface CodeBreakpoint {
  readonly id: number;
  readonly address: number;
  readonly kind: 'source' | 'instruction';
  readonly condition?: string;
  readonly hitCondition?: HitCondition;
  /** A logpoint prints this ({expressions} interpolated) instead of stopping. */
  readonly logMessage?: string;
  hits: number;
}

export type DataAccess = 'read' | 'write' | 'readWrite';

/** Where a data breakpoint's addresses are: what a DMAC issues (`iova`), the physical address it reaches, or a
 * CPU's virtual address (the CPU's stores to it). */
export type DataSpace = 'physical' | 'iova' | 'virtual';

export interface DataBreakpoint {
  readonly id: number;
  readonly space: DataSpace;
  readonly start: number;
  readonly length: number;
  readonly access: DataAccess;
  readonly condition?: string;
  readonly hitCondition?: HitCondition;
  hits: number;
}

export interface HitCondition {
  readonly text: string;
  readonly holds: (hits: number) => boolean;
}

/** `5` or `>= 5` (at least), `== 5`, `> 5`, `< 5`, `<= 5`, `% 5` (every 5th). */
export function parseHitCondition(text: string): HitCondition {
  const m = /^\s*(>=|==|>|<=|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UserError(`hit count '${text}' is not a number or one of >= N, == N, > N, < N, <= N, % N`);
  const n = Number(m[2]);
  const holds: Record<string, (hits: number) => boolean> = {
    '>=': (h) => h >= n, '==': (h) => h === n, '>': (h) => h > n, '<=': (h) => h <= n, '<': (h) => h < n,
    '%': (h) => n > 0 && h % n === 0,
  };
  return { text, holds: holds[m[1] ?? '>='] };
}

/**
 * A data breakpoint's id as the client stores it: `physical:0x2000:16`. The name given to dataBreakpointInfo is
 * `ADDRESS[:LENGTH]` (in `plain`, the session's own address space), or `iova ADDRESS[:LENGTH]`, `phys ADDRESS[:LENGTH]`.
 */
export function dataIdFor(name: string, bytes: number | undefined, plain: DataSpace = 'physical'): string | undefined {
  const m = /^\s*(?:(iova|phys(?:ical)?)\s+)?(0x[0-9a-f]+|\d+)(?:\s*:\s*(0x[0-9a-f]+|\d+))?\s*$/i.exec(name);
  if (!m) return undefined;
  const start = Number(m[2]);
  const length = m[3] !== undefined ? Number(m[3]) : bytes ?? 4;
  if (start > 0xffffffff || length < 1 || start + length > 2 ** 32) return undefined;
  const space = m[1] === undefined ? plain : m[1].toLowerCase() === 'iova' ? 'iova' : 'physical';
  return `${space}:0x${start.toString(16)}:${length}`;
}

export function parseDataId(dataId: string): { space: DataSpace; start: number; length: number } {
  const m = /^(physical|iova|virtual):(0x[0-9a-f]+):(\d+)$/.exec(dataId);
  if (!m) throw new UserError(`'${dataId}' is not a data breakpoint id of this debugger`);
  return { space: m[1] as DataSpace, start: Number(m[2]), length: Number(m[3]) };
}

/** What a new breakpoint's condition and hit count mean: the hit condition, or the problem (the breakpoint is then
 * unverified). The condition is evaluated once in `context` so that a mistake shows when it is set. */
export function checkConditions(condition: string | undefined, hitCondition: string | undefined, context: ExpressionContext): HitCondition | undefined | string {
  try {
    if (condition !== undefined && condition.trim() !== '') evaluateExpression(condition, context);
    return hitCondition === undefined || hitCondition.trim() === '' ? undefined : parseHitCondition(hitCondition);
  } catch (error) {
    if (error instanceof EvaluationError || error instanceof UserError) return error.message;
    throw error;
  }
}

interface Judged {
  readonly condition?: string;
  readonly hitCondition?: HitCondition;
  readonly logMessage?: string;
  hits: number;
}

export interface JudgeReports {
  /** Re-execution (for a reverse step) counts no hits and prints nothing. */
  readonly replaying: boolean;
  /** A logpoint's message, `{expressions}` interpolated. */
  log(text: string): void;
  /** A condition that cannot be evaluated (the breakpoint then stops). */
  problem(text: string): void;
}

/** Whether a reached breakpoint stops: its condition holds, its hit count is reached, and it is not a logpoint. */
export function breakpointStops(bp: Judged, context: ExpressionContext, reports: JudgeReports): boolean {
  if (bp.condition) {
    try {
      if (evaluateExpression(bp.condition, context) === 0) return false;
    } catch (error) {
      if (!reports.replaying) reports.problem(`breakpoint condition '${bp.condition}': ${(error as Error).message}\n`);
      return true;
    }
  }
  if (reports.replaying) return bp.logMessage === undefined;
  bp.hits++;
  if (bp.hitCondition && !bp.hitCondition.holds(bp.hits)) return false;
  if (bp.logMessage !== undefined) {
    reports.log(interpolate(bp.logMessage, context) + '\n');
    return false;
  }
  return true;
}

function interpolate(message: string, context: ExpressionContext): string {
  return message.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
    try {
      return formatValue(evaluateExpression(expr, context));
    } catch (error) {
      return `<${(error as Error).message}>`;
    }
  });
}

/**
 * Where a line is entered: its lowest statement address in each function holding it (as gdb places a line's
 * breakpoint; `functionStart` names the function of an address). A line's other statements (the parts of
 * `a[i] = f(i)`) are inside it: stopping there again would stop twice on one pass.
 */
export function lineEntries(addresses: readonly number[], functionStart: (address: number) => number | undefined): number[] {
  const byFunction = new Map<number | undefined, number>();
  for (const a of addresses) {
    const fn = functionStart(a);
    const seen = byFunction.get(fn);
    if (seen === undefined || a < seen) byFunction.set(fn, a);
  }
  return [...byFunction.values()].sort((a, b) => a - b);
}

/** Counts in decimal, addresses and register words in hex. */
export function formatValue(v: number): string {
  return v > 0xff && v <= 0xffffffff ? `0x${(v >>> 0).toString(16).padStart(8, '0')}` : String(v);
}
