// Breakpoints the runtime checks at every tick boundary: on code (a source line bound to an instruction address, or
// an address), on data (a memory range a DMAC reads or writes), each with an optional condition and hit count.
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

export interface DataBreakpoint {
  readonly id: number;
  /** The address the DMAC issues (`iova`) or the physical address it reaches. */
  readonly space: 'physical' | 'iova';
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
 * A data breakpoint's id as the client stores it: `physical:0x2000:16:write`. The name given to dataBreakpointInfo is
 * `ADDRESS[:LENGTH]` or `iova ADDRESS[:LENGTH]`, `phys ADDRESS[:LENGTH]`.
 */
export function dataIdFor(name: string, bytes: number | undefined): string | undefined {
  const m = /^\s*(?:(iova|phys(?:ical)?)\s+)?(0x[0-9a-f]+|\d+)(?:\s*:\s*(0x[0-9a-f]+|\d+))?\s*$/i.exec(name);
  if (!m) return undefined;
  const start = Number(m[2]);
  const length = m[3] !== undefined ? Number(m[3]) : bytes ?? 4;
  if (start > 0xffffffff || length < 1 || start + length > 2 ** 32) return undefined;
  return `${m[1]?.toLowerCase() === 'iova' ? 'iova' : 'physical'}:0x${start.toString(16)}:${length}`;
}

export function parseDataId(dataId: string): { space: 'physical' | 'iova'; start: number; length: number } {
  const m = /^(physical|iova):(0x[0-9a-f]+):(\d+)$/.exec(dataId);
  if (!m) throw new UserError(`'${dataId}' is not a data breakpoint id of this debugger`);
  return { space: m[1] as 'physical' | 'iova', start: Number(m[2]), length: Number(m[3]) };
}
