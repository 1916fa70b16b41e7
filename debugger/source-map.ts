// The launch attribute `sourceMap` (alias `sourceFileMap`, cppdbg's name): path prefixes as a program's debug
// information records them (a vmlinux built on Debian's machines: `/build/linux-6.1/...`) to the local directories
// holding those files. Frames' paths go debug info → local; breakpoint paths local → debug info. Longest prefix first,
// a prefix matching whole path components only.
import { resolve } from 'node:path';
import { UserError } from './runtime/launch';

const EXAMPLE = '{ "/build/linux-6.1": "${workspaceFolder}/linux-source-6.1" }';

export class SourceMap {
  /** [recorded prefix, local prefix], longest recorded first; the same pairs longest local first. */
  private readonly toLocal: readonly (readonly [string, string])[];
  private readonly toRecorded: readonly (readonly [string, string])[];

  private constructor(pairs: readonly (readonly [string, string])[]) {
    const byLength = (side: 0 | 1) => [...pairs].sort((a, b) => b[side].length - a[side].length);
    this.toLocal = byLength(0);
    this.toRecorded = byLength(1).map(([recorded, local]) => [local, recorded] as const);
  }

  /** The launch arguments' map; local directories relative to `cwd`. */
  static parse(raw: Record<string, unknown>, cwd: string): SourceMap {
    if (raw.sourceMap !== undefined && raw.sourceFileMap !== undefined) throw new UserError("give either 'sourceMap' or 'sourceFileMap' (its alias), not both");
    const attribute = raw.sourceMap !== undefined ? 'sourceMap' : 'sourceFileMap';
    const map = raw[attribute] ?? {};
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      throw new UserError(`'${attribute}' must be an object mapping a path prefix in the program's debug information to a local directory: ${EXAMPLE} (got ${JSON.stringify(map)})`);
    }
    return new SourceMap(Object.entries(map).map(([recorded, local]) => {
      if (recorded === '') throw new UserError(`'${attribute}': a path prefix must not be empty`);
      if (typeof local !== 'string' || local === '') throw new UserError(`'${attribute}.${recorded}' must name a local directory (got ${JSON.stringify(local)})`);
      return [trimSlash(recorded), trimSlash(resolve(cwd, local))] as const;
    }));
  }

  /** A path from the debug information, as the editor opens it. */
  local(path: string): string {
    return replacePrefix(this.toLocal, path);
  }

  /** An editor's path, as the debug information records it. */
  recorded(path: string): string {
    return replacePrefix(this.toRecorded, path);
  }
}

function replacePrefix(pairs: readonly (readonly [string, string])[], path: string): string {
  for (const [from, to] of pairs) {
    if (path !== from && !(path.startsWith(from) && (path[from.length] === '/' || from === '/'))) continue;
    // One separator between the two, whether a side is `/` or not.
    const rest = path.slice(from.length).replace(/^\//, '');
    return rest === '' ? to : `${to.replace(/\/$/, '')}/${rest}`;
  }
  return path;
}

/** `/build/` and `/build` are the same prefix; `/` stays itself. */
function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
