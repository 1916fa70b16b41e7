// The environment a program starts with: the one it is launched from (as qemu-arm passes its own), optionally
// cleared, then edited variable by variable. Shared by `dmalab run-elf` (--env, --unset-env, --clear-env) and the
// debugger (launch.json `env`).

/** One edit: set NAME to a value, or remove it (null). */
export type EnvironmentEdit = readonly [name: string, value: string | null];

export interface EnvironmentEdits {
  /** Start from an empty environment instead of the inherited one. */
  readonly clear?: boolean;
  /** Applied in order; a later edit of a name wins. */
  readonly edits?: readonly EnvironmentEdit[];
}

/** Why NAME cannot be an environment variable's name, or undefined when it can. */
export function environmentNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name.includes('=')) return "a name cannot contain '='";
  if (name.includes('\0')) return 'a name cannot contain a NUL character';
  return undefined;
}

/** NAME=VALUE text as an edit, or a description of what is wrong with it. */
export function parseAssignment(text: string): EnvironmentEdit | string {
  const eq = text.indexOf('=');
  if (eq < 0) return `'${text}' is not NAME=VALUE`;
  const name = text.slice(0, eq);
  const value = text.slice(eq + 1);
  const problem = environmentNameProblem(name) ?? (value.includes('\0') ? 'a value cannot contain a NUL character' : undefined);
  return problem === undefined ? [name, value] : `'${text}': ${problem}`;
}

/** The program's environment strings (NAME=VALUE), in the inherited order with new names appended. */
export function programEnvironment(inherited: Readonly<Record<string, string | undefined>>, { clear = false, edits = [] }: EnvironmentEdits): string[] {
  const variables = new Map<string, string>();
  if (!clear) for (const [name, value] of Object.entries(inherited)) if (value !== undefined) variables.set(name, value);
  for (const [name, value] of edits) {
    if (value === null) variables.delete(name);
    else variables.set(name, value);
  }
  return [...variables].map(([name, value]) => `${name}=${value}`);
}
