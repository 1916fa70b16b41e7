// The debugger's cost over the bare emulator: a 256 x 256 loop of DMALD/DMAST run to its end by the debug runtime
// (tick-boundary breakpoint checks, checkpoints every 1024 ticks) with a breakpoint that never hits, then the same
// run reversed to the start with reverseContinue; ticks per host second for each.
import type { StopInfo } from '../debugger/runtime/contract';
import { MicrocodeRuntime } from '../debugger/runtime/microcode-runtime';
import { parseLaunchArguments } from '../debugger/runtime/launch';

const source = `.channel 0x1000
    DMAMOV CCR, SB1 SS32 SAI DB1 DS32 DAI
    DMAMOV SAR, 0x100000
    DMAMOV DAR, 0x200000
    DMALP LC1, 256
    DMALP LC0, 256
        DMALD
        DMAST
    DMALPEND LC0
    DMALPEND LC1
    DMAWMB
    DMAEND
`;

const files = { readText: () => source, readBytes: () => new Uint8Array(0) };
const { runtime } = MicrocodeRuntime.launch(parseLaunchArguments({ program: 'loop.pl330' }, '/'), files);
runtime.setLineBreakpoints({ path: '/loop.pl330' }, [{ line: 10 }, { line: 11 }]); // DMAWMB stops; DMAEND after it
const stopped = (): Promise<StopInfo> => new Promise((resolve) => runtime.once('stopped', resolve));

async function main(): Promise<void> {
  let t = performance.now();
  const forward = stopped();
  runtime.start();
  const stop = await forward;
  const ms = performance.now() - t;
  const ticks = runtime.cycles;
  console.log(`forward: ${ticks} ticks to the breakpoint (${stop.reason}) in ${ms.toFixed(0)} ms: ${(ticks / ms / 1000).toFixed(2)} M ticks/s`);
  runtime.setLineBreakpoints({ path: '/loop.pl330' }, []);
  t = performance.now();
  const back = stopped();
  runtime.reverseContinue();
  const start = await back;
  const rms = performance.now() - t;
  console.log(`reverse continue to ${start.description ?? start.reason} (cycle ${runtime.cycles}) in ${rms.toFixed(0)} ms: ${(2 * ticks / rms / 1000).toFixed(2)} M ticks/s re-executed`);
}

void main();
