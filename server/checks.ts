// One shape for every check dmalab runs: dtc's devicetree checks (server/dts/checks.ts), the binding checks
// (server/dts/bindings.ts) and the PL330 assembler's (server/pl330/diagnostics.ts). A check's name is its stable
// code: the `-W`/`-E` name on the command line, the `code` of its diagnostics in the editor and in the CLI's
// `[code]`, and the key of its documentation; its level is the default; a table lists checks in the order they run.

export type CheckLevel = 'error' | 'warning' | 'info' | 'off';

export interface CheckDeclaration {
  /** The stable code. */
  readonly name: string;
  /** The default level. */
  readonly level: CheckLevel;
  /** Checks that must pass before this one runs (raising this one raises them, lowering them lowers this one). */
  readonly prereqs?: readonly string[];
  /** The message, a template whose {placeholders} are filled from a finding's arguments; a check without one
   * composes its messages in its test. */
  readonly message?: string;
  /** What the check finds, in a sentence (the documentation). */
  readonly description?: string;
}

/** A `-W`/`-E` argument: the check it names and whether `no-` (or dtc's `no_`) lowers it; an unknown name is a
 * message in dtc's words. */
export function checkArgument<C extends CheckDeclaration>(byName: ReadonlyMap<string, C>, flag: string, arg: string): { check: C; lower: boolean } | string {
  const lower = arg.startsWith('no-') || arg.startsWith('no_');
  const name = lower ? arg.slice(3) : arg;
  const check = byName.get(name);
  return check ? { check, lower } : `unknown check name "${name}" (${flag} ${arg})`;
}

export function checksByName<C extends CheckDeclaration>(...tables: readonly (readonly C[])[]): ReadonlyMap<string, C> {
  return new Map(tables.flat().map((c) => [c.name, c]));
}

/**
 * Each check's warning and error switches as dtc keeps them: from the default levels (or `initial`), then `-W`/`-E`
 * options in command-line order. `-W X` turns X's warning on, `-E X` its error on, `no-` turns that one off;
 * raising a check raises its prerequisites, lowering one lowers the checks that depend on it.
 */
export class CheckSwitches {
  private readonly warn = new Map<string, boolean>();
  private readonly error = new Map<string, boolean>();
  private readonly byName: ReadonlyMap<string, CheckDeclaration>;

  constructor(private readonly checks: readonly CheckDeclaration[], initial: (check: CheckDeclaration) => CheckLevel = (c) => c.level) {
    this.byName = checksByName(checks);
    for (const c of checks) {
      const level = initial(c);
      this.warn.set(c.name, level === 'warning');
      this.error.set(c.name, level === 'error');
    }
  }

  /** Applies `-W arg` (asError false) or `-E arg` (true); returns false for an unknown check name. */
  apply(arg: string, asError: boolean): boolean {
    const named = checkArgument(this.byName, asError ? '-E' : '-W', arg);
    if (typeof named === 'string') return false;
    if (named.lower) this.disable(named.check, !asError, asError);
    else this.enable(named.check, !asError, asError);
    return true;
  }

  private enable(c: CheckDeclaration, warn: boolean, error: boolean): void {
    if ((warn && !this.warn.get(c.name)) || (error && !this.error.get(c.name))) for (const p of c.prereqs ?? []) this.enable(this.byName.get(p)!, warn, error);
    if (warn) this.warn.set(c.name, true);
    if (error) this.error.set(c.name, true);
  }

  private disable(c: CheckDeclaration, warn: boolean, error: boolean): void {
    if ((warn && this.warn.get(c.name)) || (error && this.error.get(c.name))) {
      for (const other of this.checks) if (other.prereqs?.includes(c.name)) this.disable(other, warn, error);
    }
    if (warn) this.warn.set(c.name, false);
    if (error) this.error.set(c.name, false);
  }

  isWarning(name: string): boolean {
    return this.warn.get(name) === true;
  }

  isError(name: string): boolean {
    return this.error.get(name) === true;
  }

  /** The severity a finding of the check gets, or undefined when it is off. */
  severity(name: string): 'error' | 'warning' | undefined {
    return this.isError(name) ? 'error' : this.isWarning(name) ? 'warning' : undefined;
  }
}

export function formatTemplate(template: string, args: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => (key in args ? String(args[key]) : `{${key}}`));
}
