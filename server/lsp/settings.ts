// The `dmalab.*` settings the server reads (workspace/configuration, or initializationOptions for editors that do
// not answer it), normalised: anything malformed falls back to the default rather than failing a request.
import type { Pl330Config } from '../../emulator/pl330/config';

export interface DmalabSettings {
  /** Overrides of the PL330 configuration; unset keys keep the file's directives or the defaults. */
  readonly pl330: Partial<Pl330Config>;
  readonly devicetree: {
    /** Include search paths, relative ones resolved against the workspace folder. */
    readonly includePaths: readonly string[];
    /** Preprocessor macros: NAME or NAME=VALUE. */
    readonly defines: Readonly<Record<string, string>>;
  };
}

export const DEFAULT_SETTINGS: DmalabSettings = { pl330: {}, devicetree: { includePaths: [], defines: {} } };

const integerIn = (v: unknown, lo: number, hi: number): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : undefined;

/** Reads the `dmalab` section: { pl330: {...}, devicetree: {...} }. */
export function parseSettings(raw: unknown): DmalabSettings {
  const section = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const pl330Raw = (section.pl330 && typeof section.pl330 === 'object' ? section.pl330 : {}) as Record<string, unknown>;
  const dtRaw = (section.devicetree && typeof section.devicetree === 'object' ? section.devicetree : {}) as Record<string, unknown>;
  const pl330: { -readonly [K in keyof Pl330Config]?: Pl330Config[K] } = {};
  const channels = integerIn(pl330Raw.channels, 1, 8);
  if (channels !== undefined) pl330.channels = channels;
  const events = integerIn(pl330Raw.events, 1, 32);
  if (events !== undefined) pl330.events = events;
  const peripherals = integerIn(pl330Raw.peripherals, 0, 32);
  if (peripherals !== undefined) pl330.peripherals = peripherals;
  const revision = integerIn(pl330Raw.revision, 0, 3);
  if (revision !== undefined) pl330.revision = revision;
  if (pl330Raw.dataWidth === 32 || pl330Raw.dataWidth === 64 || pl330Raw.dataWidth === 128) pl330.dataWidth = pl330Raw.dataWidth;
  const includePaths = Array.isArray(dtRaw.includePaths) ? dtRaw.includePaths.filter((p): p is string => typeof p === 'string' && p !== '') : [];
  return { pl330, devicetree: { includePaths, defines: parseDefines(dtRaw.defines) } };
}

/** Accepts an object { NAME: VALUE } or a list of "NAME" / "NAME=VALUE" strings. */
function parseDefines(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      if (typeof item !== 'string' || item === '') continue;
      const eq = item.indexOf('=');
      if (eq < 0) out[item] = '1';
      else out[item.slice(0, eq)] = item.slice(eq + 1);
    }
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  }
  return out;
}
