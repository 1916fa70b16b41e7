// The launch configuration of a dmalab debug session, checked field by field: every mistake becomes one clear
// message naming the attribute, never an exception from deep inside the machine.
import { isAbsolute, resolve } from 'node:path';
import type { Pl330Config } from '../../emulator/pl330/config';
import { CONFIG_LIMITS, DEFAULT_CONFIG, parseNonSecureList } from '../../emulator/pl330/config';
import type { Pl330 } from '../../emulator/pl330/pl330';
import { PeripheralRequest, TestPeripheral, parsePeripheralScript } from '../../emulator/pl330/peripheral';
import { closestName } from '../../server/spelling';

/** Bytes put in memory before the program starts: a file's content, a repeated byte, or a ramp 0, 1, 2, ... */
export type MemoryInit =
  | { readonly address: number; readonly file: string }
  | { readonly address: number; readonly length: number; readonly fill: number }
  | { readonly address: number; readonly length: number; readonly pattern: 'ramp' };

export interface LaunchOptions {
  readonly program: string;
  /** A devicetree (.dts or .dtb) describing the machine; without it, one DMAC over RAM. */
  readonly platform?: string;
  readonly dmac: number;
  readonly thread: number | 'manager';
  readonly nonSecure: boolean;
  /** Entry address: one of the assembled programs (default: the first program of the thread's kind). */
  readonly entry?: number;
  readonly memory: readonly MemoryInit[];
  readonly config: Partial<Pl330Config>;
  readonly stopOnEntry: boolean;
  /** Ticks one continue or step may run before it stops on its own (a runaway program never hangs the session). */
  readonly maxCycles: number;
  /** Print every instruction, bus transfer, event and interrupt to the debug console. */
  readonly trace: boolean;
  /** Scripted peripherals by request interface (`peripheralRequests`, the syntax of `dmalab run --periph`). */
  readonly peripheralRequests?: readonly { readonly index: number; readonly script: readonly PeripheralRequest[] }[];
}

/** A mistake in what the user asked (launch arguments, breakpoints, requests): reported, never fatal. */
export class UserError extends Error {}

/** The launch attributes of each kind of session; package.json declares their union, `dmalab dap --help` groups them
 * the same way. */
export const LAUNCH_ATTRIBUTES = {
  pl330: { what: 'a PL330 program', attributes: ['program', 'channel', 'nonSecure', 'entry', 'memory', 'pl330', 'peripheralRequests', 'maxCycles'] },
  elf: { what: 'an ARM executable', attributes: ['program', 'args', 'workspace', 'sysroot', 'env', 'strictSyscalls', 'maxInstructions'] },
  scenario: { what: "a VFIO scenario ('scenario')", attributes: ['scenario', 'device'] },
  kernel: { what: "a Linux kernel ('kernel')", attributes: ['kernel', 'dtb', 'initrd', 'append', 'cpus', 'passthrough', 'symbols'] },
} as const;

export type LaunchKind = keyof typeof LAUNCH_ATTRIBUTES;

/** Attributes of every kind of session. */
export const COMMON_LAUNCH_ATTRIBUTES = ['platform', 'dmac', 'stopOnEntry', 'trace', 'sourceMap', 'sourceFileMap'];

/** What clients put in every configuration beside the adapter's attributes (VS Code's own keys; its internal ones
 * start with `__`). */
const CLIENT_ATTRIBUTES = ['type', 'request', 'name', 'preLaunchTask', 'postDebugTask', 'internalConsoleOptions', 'debugServer', 'presentation', 'serverReadyAction', 'suppressMultipleSessionWarning', 'noDebug'];

/** The mistakes of one launch configuration, gathered so that one error names them all and the user fixes them in
 * one go rather than one launch at a time. */
export class LaunchProblems {
  private readonly found: string[] = [];

  add(message: string): void {
    this.found.push(message);
  }

  /** Runs a check; the UserError it throws is recorded, and undefined returned in place of its result. */
  check<T>(step: () => T): T | undefined {
    try {
      return step();
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      this.found.push(error.message);
      return undefined;
    }
  }

  /** One UserError naming every problem recorded, each on its own line; nothing when there is none. */
  throwIfAny(): void {
    if (this.found.length === 1) throw new UserError(this.found[0]);
    if (this.found.length > 1) throw new UserError(`${this.found.length} problems in the launch configuration:\n${this.found.join('\n')}`);
  }
}

/** Refuses every attribute that none of `kinds` takes: one of another kind says whose it is, a misspelt one its
 * nearest name (a misspelt attribute would otherwise be ignored, and its default used without a word). Into
 * `problems` when given, else thrown at once. */
export function checkAttributeNames(raw: Record<string, unknown>, kinds: readonly LaunchKind[], problems?: LaunchProblems): void {
  const found = problems ?? new LaunchProblems();
  const all = [...COMMON_LAUNCH_ATTRIBUTES, ...Object.values(LAUNCH_ATTRIBUTES).flatMap((k) => k.attributes)];
  for (const key of Object.keys(raw)) {
    // 'program' beside 'scenario' or 'kernel' is refused as a choice between them, by their parsers.
    if (key === 'program' || key.startsWith('__') || CLIENT_ATTRIBUTES.includes(key) || COMMON_LAUNCH_ATTRIBUTES.includes(key)) continue;
    if (kinds.some((kind) => (LAUNCH_ATTRIBUTES[kind].attributes as readonly string[]).includes(key))) continue;
    const owner = Object.values(LAUNCH_ATTRIBUTES).find((k) => (k.attributes as readonly string[]).includes(key));
    const near = owner ? undefined : closestName(key, all.map((name) => [name]));
    found.add(owner ? `'${key}' is for ${owner.what}, not ${LAUNCH_ATTRIBUTES[kinds[0]].what}`
      : `'${key}' is not a launch attribute${near ? `; did you mean '${near}'?` : ''} ('dmalab dap --help' lists them)`);
  }
  if (problems === undefined) found.throwIfAny();
}

export const DEFAULT_MAX_CYCLES = 10_000_000;

/** A built-in VFIO scenario run in the session: its steps go to the debug console, its verdict is the exit code. */
export interface ScenarioLaunch {
  readonly scenario: string;
  readonly platform?: string;
  /** The DMAC bound to VFIO, as Linux names it (default: the first). */
  readonly device?: string;
  /** Stop when the scenario has started its channel, at the first instruction of the microcode. */
  readonly stopOnEntry: boolean;
  readonly trace: boolean;
}

/** Checks the launch arguments of a scenario session (`scenario` instead of `program`). */
export function parseScenarioArguments(raw: Record<string, unknown>, cwd: string, known: readonly string[]): ScenarioLaunch {
  const scenario = raw.scenario;
  if (typeof scenario !== 'string' || !known.includes(scenario)) throw new UserError(`'scenario' must be one of ${known.join(', ')} (got ${JSON.stringify(scenario).replace(/^"(.*)"$/, "'$1'")})`);
  if (raw.program !== undefined) throw new UserError("give either 'program' or 'scenario', not both");
  return {
    scenario,
    platform: raw.platform === undefined ? undefined : isAbsolute(string(raw.platform, 'platform')) ? (raw.platform as string) : resolve(cwd, raw.platform as string),
    device: raw.device === undefined ? undefined : string(raw.device, 'device'),
    stopOnEntry: boolean(raw.stopOnEntry ?? false, 'stopOnEntry'),
    trace: boolean(raw.trace ?? false, 'trace'),
  };
}

const CONFIG_ATTRIBUTES: Record<string, keyof typeof CONFIG_LIMITS | 'dataWidth' | 'revision'> = {
  channels: 'channels', peripherals: 'peripherals', events: 'events', mfifoLines: 'mfifoLines', dataWidth: 'dataWidth', revision: 'revision',
};

/** Checks raw launch arguments (from launch.json); relative paths are taken from `cwd`. */
export function parseLaunchArguments(raw: Record<string, unknown>, cwd: string): LaunchOptions {
  if (typeof raw.program !== 'string' || raw.program === '') throw new UserError(`'program' must name a .pl330 file or an ARM executable (got ${JSON.stringify(raw.program)})`);
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  const thread = raw.channel === 'manager' ? 'manager' : integer(raw.channel ?? 0, 'channel', 0, 7);
  return {
    program: path(raw.program),
    platform: raw.platform === undefined ? undefined : path(string(raw.platform, 'platform')),
    dmac: integer(raw.dmac ?? 0, 'dmac', 0, 63),
    thread,
    nonSecure: boolean(raw.nonSecure ?? false, 'nonSecure'),
    entry: raw.entry === undefined ? undefined : integer(raw.entry, 'entry', 0, 0xffffffff),
    memory: array(raw.memory ?? [], 'memory').map((m, i) => memoryInit(m, `memory[${i}]`, path)),
    config: pl330Config(raw.pl330 ?? {}),
    stopOnEntry: boolean(raw.stopOnEntry ?? false, 'stopOnEntry'),
    maxCycles: integer(raw.maxCycles ?? DEFAULT_MAX_CYCLES, 'maxCycles', 1, Number.MAX_SAFE_INTEGER),
    trace: boolean(raw.trace ?? false, 'trace'),
    peripheralRequests: peripheralRequests(raw.peripheralRequests ?? {}),
  };
}

/** `"peripheralRequests": { "2": "burst*4,last@100" }`: a scripted peripheral on each interface named. */
function peripheralRequests(raw: unknown): NonNullable<LaunchOptions['peripheralRequests']> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError("'peripheralRequests' must be an object: { \"2\": \"burst*4,last@100\" }");
  return Object.entries(raw).map(([key, value]) => {
    const index = integer(key, `peripheralRequests key '${key}'`, 0, 31);
    if (typeof value !== 'string') throw new UserError(`'peripheralRequests.${key}' must be a request script such as "burst*4,last@100"`);
    try {
      return { index, script: parsePeripheralScript(value) };
    } catch (error) {
      throw new UserError(`'peripheralRequests.${key}': ${(error as Error).message}`);
    }
  });
}

/** Connects the launch configuration's scripted peripherals to the DMAC the session starts. */
export function attachScriptedPeripherals(dmac: Pl330, options: LaunchOptions): void {
  for (const { index, script } of options.peripheralRequests ?? []) {
    if (index >= dmac.config.peripherals) throw new UserError(`'peripheralRequests.${index}': the DMAC has ${dmac.config.peripherals} peripheral request interfaces`);
    dmac.attachPeripheral(index, new TestPeripheral(script));
  }
}

function memoryInit(raw: unknown, what: string, path: (p: string) => string): MemoryInit {
  if (typeof raw !== 'object' || raw === null) throw new UserError(`'${what}' must be an object with an address`);
  const m = raw as Record<string, unknown>;
  const address = integer(m.address, `${what}.address`, 0, 0xffffffff);
  if (typeof m.file === 'string') return { address, file: path(m.file) };
  const length = integer(m.length, `${what}.length`, 1, 64 << 20);
  if (m.pattern === 'ramp') return { address, length, pattern: 'ramp' };
  if (m.fill !== undefined) return { address, length, fill: integer(m.fill, `${what}.fill`, 0, 255) };
  throw new UserError(`'${what}' needs 'file', or 'length' with 'fill' (a byte) or 'pattern': "ramp"`);
}

function pl330Config(raw: unknown): Partial<Pl330Config> {
  if (typeof raw !== 'object' || raw === null) throw new UserError("'pl330' must be an object (channels, peripherals, events, dataWidth, mfifoLines, revision, eventsNonSecure, peripheralsNonSecure)");
  const out: Record<string, number> = {};
  const security: [key: 'eventsNonSecure' | 'peripheralsNonSecure', value: unknown][] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'eventsNonSecure' || key === 'peripheralsNonSecure') {
      security.push([key, value]);
      continue;
    }
    const field = CONFIG_ATTRIBUTES[key];
    if (!field) throw new UserError(`'pl330.${key}' is not a PL330 configuration attribute (expected one of ${Object.keys(CONFIG_ATTRIBUTES).join(', ')}, eventsNonSecure, peripheralsNonSecure)`);
    if (field === 'dataWidth') {
      if (value !== 32 && value !== 64 && value !== 128) throw new UserError(`'pl330.dataWidth' must be 32, 64 or 128 (got ${JSON.stringify(value)})`);
      out[field] = value;
    } else if (field === 'revision') out[field] = integer(value, 'pl330.revision', 0, 3);
    else out[field] = integer(value, `pl330.${key}`, CONFIG_LIMITS[field][0], CONFIG_LIMITS[field][1]);
  }
  // Which events (CR3) and peripherals (CR4) a non-secure thread may use: "all", "none", "0,3-5" or [0, 3].
  for (const [key, value] of security) {
    const count = key === 'eventsNonSecure' ? out.events ?? DEFAULT_CONFIG.events : out.peripherals ?? DEFAULT_CONFIG.peripherals;
    const text = Array.isArray(value) && value.every((n) => Number.isInteger(n)) ? value.join(',') : value;
    if (typeof text !== 'string') throw new UserError(`'pl330.${key}' must be a list of numbers, "all" or "none" (got ${JSON.stringify(value)})`);
    try {
      out[key] = parseNonSecureList(text, count);
    } catch (error) {
      throw new UserError(`'pl330.${key}': ${(error as Error).message}`);
    }
  }
  return out as Partial<Pl330Config>;
}

/** An integer given as a JSON number or a C-style string ("0x2000"). */
export function integer(raw: unknown, what: string, min: number, max: number): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^(0x[0-9a-f]+|0b[01]+|\d+)$/i.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UserError(`'${what}' must be an integer from ${min} to ${max === 0xffffffff ? '0xffffffff' : max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

function string(raw: unknown, what: string): string {
  if (typeof raw !== 'string' || raw === '') throw new UserError(`'${what}' must name a file (got ${JSON.stringify(raw)})`);
  return raw;
}

function boolean(raw: unknown, what: string): boolean {
  if (typeof raw !== 'boolean') throw new UserError(`'${what}' must be true or false (got ${JSON.stringify(raw)})`);
  return raw;
}

function array(raw: unknown, what: string): unknown[] {
  if (!Array.isArray(raw)) throw new UserError(`'${what}' must be a list`);
  return raw;
}
