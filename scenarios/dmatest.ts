// The guest's DMA test module (what Linux's dmatest does with a memcpy channel): per iteration, source and
// destination buffers are filled with distinct patterns, a random slice of the source is copied by the DMAC to a
// random place in the destination, and then every byte is checked: the source must be unchanged, the slice copied,
// and the destination outside it untouched. Offsets and lengths are deterministic (a seeded generator).
import type { GuestPl330Driver } from './guest-pl330';
import type { ScenarioSteps } from './vfio-session';
import type { GuestMachine } from './vmm';

export interface DmatestOptions {
  readonly iterations: number;
  /** Size of each of the two buffers. */
  readonly bufferBytes: number;
  /** Offsets and lengths are multiples of this. */
  readonly alignment: number;
  readonly seed: number;
}

export const DMATEST_DEFAULTS: DmatestOptions = { iterations: 10, bufferBytes: 16384, alignment: 4, seed: 0x330 };

export interface DmatestSummary {
  readonly tests: number;
  readonly failures: number;
  readonly bytes: number;
  /** The first failures, each as dmatest prints it. */
  readonly errors: readonly string[];
}

/** Source bytes: a high tag bit, a "to be copied" bit inside the slice, and the low bits of the position. */
const SOURCE = 0x80, COPY = 0x40, DESTINATION = 0x00, OVERWRITE = 0x20, COUNT_MASK = 0x1f;

function fill(length: number, from: number, to: number, tag: number, inside: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = tag | (i >= from && i < to ? inside : 0) | (~i & COUNT_MASK);
  return out;
}

export function* dmatest(guest: GuestMachine, driver: GuestPl330Driver, allocate: (bytes: number) => number, log: (line: string) => void, options: DmatestOptions = DMATEST_DEFAULTS): ScenarioSteps<DmatestSummary> {
  const { bufferBytes, alignment } = options;
  const channel = driver.requestChannel();
  const thread = `dma0chan${channel.channel}-copy0`;
  log(`dmatest: Added 1 threads using dma0chan${channel.channel}`);
  const src = allocate(bufferBytes), dst = allocate(bufferBytes);
  let state = options.seed >>> 0 || 1;
  const random = (limit: number): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % limit;
  };
  const errors: string[] = [];
  let failures = 0, bytes = 0;
  for (let test = 1; test <= options.iterations; test++) {
    const units = bufferBytes / alignment;
    const length = (1 + random(units)) * alignment;
    const srcOffset = random(units - length / alignment + 1) * alignment;
    const dstOffset = random(units - length / alignment + 1) * alignment;
    const sourceBefore = fill(bufferBytes, srcOffset, srcOffset + length, SOURCE, COPY);
    guest.write(src, sourceBefore);
    guest.write(dst, fill(bufferBytes, dstOffset, dstOffset + length, DESTINATION, OVERWRITE));
    const outcome = yield* driver.memcpy(channel, dst + dstOffset, src + srcOffset, length);
    const fail = (what: string) => {
      failures++;
      if (errors.length < 8) errors.push(`dmatest: ${thread}: result #${test}: '${what}' with src_off=0x${srcOffset.toString(16)} dst_off=0x${dstOffset.toString(16)} len=0x${length.toString(16)}`);
    };
    if (!outcome.ok) {
      fail(outcome.error);
      continue;
    }
    const sourceAfter = guest.read(src, bufferBytes), destination = guest.read(dst, bufferBytes);
    const sourceChanged = sourceAfter.findIndex((b, i) => b !== sourceBefore[i]);
    const wrong = destination.findIndex((b, i) => {
      const copied = i >= dstOffset && i < dstOffset + length;
      return b !== (copied ? sourceBefore[srcOffset + i - dstOffset] : DESTINATION | (~i & COUNT_MASK));
    });
    if (sourceChanged >= 0) fail(`source changed at 0x${sourceChanged.toString(16)}`);
    else if (wrong >= 0) fail(`data error at destination 0x${wrong.toString(16)} (0x${destination[wrong].toString(16)})`);
    else bytes += length;
  }
  driver.releaseChannel(channel);
  for (const e of errors) log(e);
  log(`dmatest: ${thread}: summary ${options.iterations} tests, ${failures} failures, ${bytes} bytes copied`);
  return { tests: options.iterations, failures, bytes, errors };
}
