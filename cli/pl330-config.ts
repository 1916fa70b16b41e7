// Command-line flags that set the PL330 configuration, shared by `asm`, `disasm` and `run`.
import { CONFIG_LIMITS, type Pl330Config } from '../emulator/pl330/config';
import { FlagSpec, ParsedArgs, intOption, UsageError } from './args';

export const PL330_CONFIG_FLAGS: Record<string, FlagSpec> = {
  '--channels': { value: true },
  '--peripherals': { value: true },
  '--events': { value: true },
  '--data-width': { value: true },
  '--revision': { value: true },
  '--mfifo-lines': { value: true },
};

export const PL330_CONFIG_USAGE = `PL330 configuration (defaults: the Zynq-7000 DMAC as QEMU models it):
  --channels N        channel threads, 1..8 (8)
  --peripherals N     peripheral request interfaces, 0..32 (4)
  --events N          events and interrupts, 1..32 (16)
  --data-width BITS   AXI data bus width: 32, 64 or 128 (64)
  --revision N        0 = r0p0, 1 = r1p0, 2 = r1p1, 3 = r1p2 (2)
  --mfifo-lines N     MFIFO depth in data-bus-width lines, 1..1024 (256)`;

export function configOverrides(args: ParsedArgs): Partial<Pl330Config> {
  const out: { -readonly [K in keyof Pl330Config]?: Pl330Config[K] } = {};
  const channels = intOption(args, '--channels', 1, 8);
  if (channels !== undefined) out.channels = channels;
  const peripherals = intOption(args, '--peripherals', 0, 32);
  if (peripherals !== undefined) out.peripherals = peripherals;
  const events = intOption(args, '--events', 1, 32);
  if (events !== undefined) out.events = events;
  const revision = intOption(args, '--revision', 0, 3);
  if (revision !== undefined) out.revision = revision;
  const mfifoLines = intOption(args, '--mfifo-lines', CONFIG_LIMITS.mfifoLines[0], CONFIG_LIMITS.mfifoLines[1]);
  if (mfifoLines !== undefined) out.mfifoLines = mfifoLines;
  const width = intOption(args, '--data-width', 32, 128);
  if (width !== undefined) {
    if (width !== 32 && width !== 64 && width !== 128) throw new UsageError(`--data-width: ${width} is not 32, 64 or 128`);
    out.dataWidth = width;
  }
  return out;
}
