// Shared set-up for the PL330 tests: a standalone machine with a program assembled and loaded.
import { debugGo, issueDebug } from '../../emulator/pl330/debug';
import type { Pl330Config } from '../../emulator/pl330/config';
import { createStandaloneMachine, StandaloneMachine } from '../../emulator/pl330/standalone';
import { assemble } from '../../server/pl330/assembler';

/** Assembles source (throwing on errors) and returns its programs' bytes by base address. */
export function assembleOrThrow(source: string, config: Partial<Pl330Config> = {}): { base: number; bytes: Uint8Array; kind: string }[] {
  const result = assemble(source, { config });
  if (result.errorCount > 0) throw new Error(result.diagnostics.map((d) => `${d.line + 1}:${d.col + 1}: ${d.message}`).join('\n'));
  return result.programs;
}

export interface LoadedMachine extends StandaloneMachine {
  /** Issues DMAGO for channel `channel` at `address` through the debug registers. */
  go(channel: number, address: number, nonSecure?: boolean): void;
  write(address: number, bytes: Uint8Array | number[]): void;
  readBytes(address: number, length: number): Uint8Array;
}

export function machineWith(source: string, config: Partial<Pl330Config> = {}): LoadedMachine {
  const m = createStandaloneMachine(config);
  for (const p of assembleOrThrow(source, config)) m.bus.physicalWrite(p.base, p.bytes, 0, p.bytes.length);
  return {
    ...m,
    go: (channel, address, nonSecure = false) => issueDebug(m.dmac, debugGo(channel, address, nonSecure)),
    write: (address, bytes) => {
      const b = Uint8Array.from(bytes);
      m.bus.physicalWrite(address, b, 0, b.length);
    },
    readBytes: (address, length) => {
      const b = new Uint8Array(length);
      m.bus.physicalRead(address, b, 0, length);
      return b;
    },
  };
}

/** Deterministic pseudo-random bytes (a test's input data). */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
