// `dmalab run PROGRAM.pl330 ...`: assembles (or loads) a PL330 program, starts it on one DMAC through the debug
// interface as a driver would, runs it to the end and prints the registers, the memory asked for and any fault.
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { hexAddress } from '../emulator/pl330/disasm';
import { debugGo, issueDebug } from '../emulator/pl330/debug';
import type { Pl330Config } from '../emulator/pl330/config';
import { describeFaultType, decodeFaultType } from '../emulator/pl330/faults';
import { formatEvent, stateName } from '../emulator/pl330/event-text';
import { threadName } from '../emulator/pl330/observer';
import type { IdleReport, Pl330, RunResult } from '../emulator/pl330/pl330';
import { createStandaloneMachine } from '../emulator/pl330/standalone';
import { Pl330TraceRecorder } from '../emulator/pl330/trace-events';
import { DEFAULT_DMAC_FREQUENCY, periodOf } from '../emulator/machine/clock';
import type { Bus } from '../emulator/bus/bus';
import { Machine } from '../emulator/machine/machine';
import { assembleSource, startingProgram } from '../server/pl330/program-load';
import { ParsedArgs, UsageError, intOption, parseIntArg, type FlagSpec } from './args';
import type { Command, CommandIO } from './command';
import { dumpToFile, loadFile } from './memory-files';
import { PL330_CONFIG_FLAGS, PL330_CONFIG_USAGE, configOverrides } from './pl330-config';
import { DEFAULT_PLATFORM, loadPlatform } from '../scenarios/platform';
import { runElfCommand } from './run-elf';
import { SCENARIOS, runScenario } from '../scenarios/registry';

const SOURCE_EXTENSIONS = ['.pl330', '.asm', '.s', '.S'];
const DEFAULT_MAX_CYCLES = 100_000_000;
/** The most bytes a --dump prints (as hex); one written to a file may cover the whole address space. */
const MAX_PRINTED_DUMP = 64 << 20;

/** The flags of a PL330 run (and of scenarios); an ELF takes run-elf's. */
const PL330_RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--load': { value: true }, '--channel': { value: true }, '--ns': {}, '--mem': { value: true, repeat: true },
  '--dump': { value: true, repeat: true }, '--trace': {}, '--trace-out': { value: true }, '--json': {}, '--max-cycles': { value: true },
  '--platform': { value: true }, '--dmac': { value: true }, '--scenario': { value: true }, '--device': { value: true },
  ...PL330_CONFIG_FLAGS,
};

export const runCommand: Command = {
  name: 'run',
  usage: `usage: dmalab run PROGRAM [--load ADDR] [--channel N] [--ns] [--mem ADDR=FILE ...] [--dump ADDR:LEN[=FILE] ...]
                 [--trace] [--trace-out FILE] [--json] [--max-cycles N] [--platform DTS|DTB [--dmac NAME]]
       dmalab run PROGRAM.elf [--platform DTS|DTB] [--workspace DIR] [--max-instructions N] [--env NAME=VALUE]...
                 [--unset-env NAME]... [--clear-env] [--strict-syscalls] [--trace-out FILE] [-- ARGS...]
       dmalab run --scenario NAME [--platform DTS|DTB] [--device NAME]

Assembles PROGRAM (.pl330, .asm, .s; any other file is taken as raw microcode), loads it at ADDR, starts it on
channel N with DMAGO through the debug registers (DBGINST0/1, DBGCMD) and runs until every thread is stopped, faulted
or waiting with nothing left to wake it. A source with a .manager program boots the manager from it instead (it
starts its channels with DMAGO itself), unless --load names a channel program. Prints the final registers and the dumped memory; the exit status is 1 when
a thread faulted, 3 when the cycle budget ran out. Without --platform the machine is one DMAC (QEMU's Zynq
configuration) over RAM covering the 32-bit address space; with it, the machine the devicetree describes (its
memory, GIC, SMMUs and DMA-330s), and the program runs on the DMAC --dmac names (default: the first). With
--scenario, runs one of the built-in VFIO scenarios (${Object.keys(SCENARIOS).join(', ')}) on the platform (default:
${DEFAULT_PLATFORM}) and ends with PASS or FAIL. An ELF PROGRAM (an armhf/armel Linux executable) runs in user mode
on the emulated CPU of that platform, as \`dmalab run-elf\` describes.
  --load ADDR          the channel program to start (default: the first; raw files load there, default 0x1000)
  --channel N          channel to start (0)
  --ns                 start the channel non-secure (DMAGO ..., ns)
  --mem ADDR=FILE      load FILE's bytes at ADDR before the run (repeatable)
  --dump ADDR:LEN[=FILE]  print (or write to FILE) LEN bytes at ADDR after the run (repeatable)
  --trace              print every instruction, bus access, event, interrupt and state change
  --trace-out FILE     write the run as a Chrome trace-event JSON file (open it in Perfetto or chrome://tracing):
                       a lane per thread with each instruction, burst, wait, event, fault and interrupt in time
  --json               print one JSON object: registers, dumps, fault, outcome
  --max-cycles N       give up after N cycles (${DEFAULT_MAX_CYCLES})
  --platform FILE      build the machine from a devicetree source or blob
  --dmac NAME          with --platform: the DMAC to run on, as Linux names it (2c0a0000.dma) or its index
  --scenario NAME      run a built-in scenario instead of a program
  --device NAME        with --scenario: the DMAC the scenario binds to VFIO
  --workspace DIR      with an ELF: the host directory the program sees as /
  --max-instructions N with an ELF: stop a runaway program after N instructions
  --sysroot DIR        with an ELF: where a dynamic executable's ARM libraries are
  --env NAME=VALUE     with an ELF: set a variable of its environment (dmalab's own, by default; repeatable)
  --unset-env NAME     with an ELF: remove a variable from its environment (repeatable)
  --clear-env          with an ELF: start from an empty environment
  --strict-syscalls    with an ELF: stop it at a system call dmalab does not implement (default: -ENOSYS)
${PL330_CONFIG_USAGE}`,
  flags: { ...PL330_RUN_FLAGS, ...runElfCommand.flags },
  run(args: ParsedArgs, io) {
    const scenario = args.flags.get('--scenario')?.[0];
    if (scenario !== undefined) {
      if (args.positional.length > 0) throw new UsageError('--scenario takes no PROGRAM');
      if (args.flags.has('--trace-out')) throw new UsageError('--trace-out is for a PL330 PROGRAM, not a scenario');
      if (!SCENARIOS[scenario]) throw new UsageError(`--scenario: '${scenario}' is not one of ${Object.keys(SCENARIOS).join(', ')}`);
      return runScenario(scenario, {
        platform: args.flags.get('--platform')?.[0],
        device: args.flags.get('--device')?.[0],
        out: (line) => io.stdout(`${line}\n`),
        warn: (line) => io.stderr(`${line}\n`),
      });
    }
    if (args.positional.length !== 1) throw new UsageError('run takes exactly one PROGRAM (or --scenario NAME)');
    if (isElf(args.positional[0])) {
      const misplaced = [...args.flags.keys()].filter((flag) => !(flag in runElfCommand.flags));
      if (misplaced.length > 0) throw new UsageError(`${misplaced.join(', ')}: not for an ARM executable (see dmalab run-elf --help)`);
      return runElfCommand.run(args, io);
    }
    if (args.rest.length > 0) throw new UsageError('arguments after -- are for ARM executables, not PL330 programs');
    const elfOnly = [...args.flags.keys()].filter((flag) => flag in runElfCommand.flags && !(flag in PL330_RUN_FLAGS));
    if (elfOnly.length > 0) throw new UsageError(`${elfOnly.join(', ')}: only for an ARM executable, not a PL330 program`);
    return runPl330(args.positional[0], args, io);
  },
};

interface Dump {
  readonly address: number;
  readonly length: number;
  readonly file?: string;
}

/** Outcome of a run, as the JSON output reports it. */
export interface RunOutcome {
  readonly stop: RunResult['stop'];
  readonly cycles: number;
  readonly threads: { thread: string; state: string; waitingFor?: string }[];
}

export interface DecodedFault {
  readonly thread: string;
  readonly pc: number;
  readonly faultType: number;
  readonly bits: string[];
  readonly description: string;
}

/** The PL330 path of `dmalab run`: callable by other front ends (ELF, VFIO scenarios) with the same arguments. */
export function runPl330(file: string, args: ParsedArgs, io: CommandIO): number {
  const config = configOverrides(args);
  const platformFile = args.flags.get('--platform')?.[0];
  if (platformFile !== undefined && Object.keys(config).length > 0) {
    throw new UsageError('with --platform the DMA-330 configuration comes from the devicetree; drop the configuration flags');
  }
  if (platformFile === undefined && args.flags.has('--dmac')) throw new UsageError('--dmac goes with --platform');
  const channel = intOption(args, '--channel', 0, 7) ?? 0;
  const nonSecure = args.flags.has('--ns');
  const maxCycles = intOption(args, '--max-cycles', 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_MAX_CYCLES;
  const loadOption = intOption(args, '--load', 0, 0xffffffff);
  const dumps = (args.flags.get('--dump') ?? []).map(parseDump);
  const mems = (args.flags.get('--mem') ?? []).map(parseMem);
  const json = args.flags.has('--json');

  const platformMachine = platformFile === undefined ? undefined : platformDmac(platformFile, args.flags.get('--dmac')?.[0], io);
  const plan = planLoad(file, platformMachine?.dmac.config ?? config, loadOption, io);
  if (!plan) return 1;
  if (platformMachine && plan.manager !== undefined) {
    io.stderr(`${file}: a manager program boots from reset, which a devicetree platform does not configure; give --load the channel program to start\n`);
    return 1;
  }
  // A manager program boots from reset (CR0.boot_en, CR2) and starts its channels itself.
  const boot = plan.manager === undefined ? {} : { bootFromPc: true, bootAddress: plan.manager };
  const { bus, dmac, period } = platformMachine ?? { ...createStandaloneMachine({ ...config, ...boot }), period: periodOf(DEFAULT_DMAC_FREQUENCY) };
  if (channel >= dmac.config.channels) throw new UsageError(`--channel: ${channel} is beyond the ${dmac.config.channels} channels configured`);
  for (const image of plan.images) bus.physicalWrite(image.base, image.bytes, 0, image.bytes.length);
  for (const m of mems) loadFile(bus, m.address, m.file);

  if (args.flags.has('--trace')) dmac.observe((event) => io.stdout(formatEvent(event) + '\n'));
  const traceOut = args.flags.get('--trace-out')?.[0];
  const recorder = traceOut === undefined ? undefined : new Pl330TraceRecorder(dmac, { name: dmac.name, periodPs: period });
  if (recorder) dmac.observe(recorder.observer);
  if (plan.channelEntry !== undefined) issueDebug(dmac, debugGo(channel, plan.channelEntry, nonSecure));
  const result = dmac.run({ maxCycles });
  const report = dmac.idleReport();
  const outcome = describeOutcome(result, report);
  const faults = collectFaults(dmac);
  if (recorder) writeFileSync(traceOut!, JSON.stringify(recorder.document()) + '\n');

  const dumped: Record<string, string> = {};
  for (const d of dumps) {
    if (d.file) {
      dumpToFile(bus, d.address, d.length, d.file);
      continue;
    }
    const bytes = new Uint8Array(d.length);
    bus.physicalRead(d.address, bytes, 0, d.length);
    dumped[`0x${d.address.toString(16)}`] = Buffer.from(bytes).toString('hex');
  }

  const registers = registerValues(dmac);
  if (json) {
    io.stdout(JSON.stringify({ registers, dumps: dumped, fault: faults[0] ?? null, faults, outcome }, null, 2) + '\n');
  } else {
    io.stdout(formatOutcome(outcome) + '\n');
    for (const f of faults) io.stdout(`fault on ${f.thread} at ${hexAddress(f.pc)}: ${f.description}\n`);
    io.stdout(formatRegisters(dmac, registers));
    for (const [address, hex] of Object.entries(dumped)) io.stdout(formatDump(Number(address), hex));
  }
  if (faults.length > 0) return 1;
  return result.stop === 'budget' ? 3 : 0;
}

/** An ELF file (an ARM Linux executable) rather than PL330 source or microcode. */
function isElf(file: string): boolean {
  const magic = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    return readSync(fd, magic, 0, 4, 0) === 4 && magic.toString('latin1') === '\x7fELF';
  } catch {
    return false; // the PL330 path reports the missing or unreadable file
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The machine a devicetree describes, and the DMAC the program runs on (by Linux name or index). */
function platformDmac(file: string, which: string | undefined, io: CommandIO): { bus: Bus; dmac: Pl330; period: number } {
  const machine = new Machine(loadPlatform(file, (line) => io.stderr(`${line}\n`)));
  if (machine.dmacs.length === 0) throw new UsageError(`--platform: ${file} describes no arm,pl330 DMA controller`);
  const names = machine.dmacs.map((d) => d.description.name).join(', ');
  const chosen = which === undefined ? machine.dmacs[0] : machine.dmac(which) ?? (/^\d+$/.test(which) ? machine.dmacs[Number(which)] : undefined);
  if (!chosen) throw new UsageError(`--dmac: no DMAC '${which}' on this platform (have: ${names})`);
  return { bus: machine.bus, dmac: chosen.device, period: chosen.period };
}

interface LoadPlan {
  readonly images: readonly { readonly base: number; readonly bytes: Uint8Array }[];
  /** Where the manager boots from, when the source has a .manager program. */
  readonly manager?: number;
  /** The channel program started with DMAGO, when there is no manager program. */
  readonly channelEntry?: number;
}

/** Assembles (or reads) the program and decides how it starts; undefined after reporting an error. */
function planLoad(file: string, config: Partial<Pl330Config>, load: number | undefined, io: CommandIO): LoadPlan | undefined {
  if (!SOURCE_EXTENSIONS.includes(extname(file))) {
    const bytes = new Uint8Array(readFileSync(file));
    const base = load ?? 0x1000;
    return { images: [{ base, bytes }], channelEntry: base };
  }
  const { assembly: result, messages, errorCount } = assembleSource(file, readFileSync(file, 'utf8'), { config, base: load ?? 0x1000 });
  for (const m of messages) io.stderr(m + '\n');
  if (errorCount > 0) {
    io.stderr(`${file}: ${errorCount} error(s); not run\n`);
    return undefined;
  }
  const start = startingProgram(result.programs, { at: load });
  if (start?.kind === 'manager') return { images: result.programs, manager: start.base };
  if (!start) {
    const channelPrograms = result.programs.filter((p) => p.kind === 'channel');
    const where = channelPrograms.length ? ` (programs at ${channelPrograms.map((p) => hexAddress(p.base)).join(', ')})` : '';
    io.stderr(`${file}: no channel program ${load === undefined ? 'to start' : `at --load ${hexAddress(load)}`}${where}\n`);
    return undefined;
  }
  return { images: result.programs, channelEntry: start.base };
}

function parseDump(raw: string): Dump {
  const m = /^([^:=]+):([^:=]+)(?:=(.+))?$/.exec(raw);
  if (!m) throw new UsageError(`--dump: '${raw}' is not ADDR:LEN[=FILE]`);
  return { address: parseIntArg(m[1], '--dump address', 0, 0xffffffff), length: parseIntArg(m[2], '--dump length', 1, m[3] === undefined ? MAX_PRINTED_DUMP : 2 ** 32), file: m[3] };
}

function parseMem(raw: string): { address: number; file: string } {
  const m = /^([^=]+)=(.+)$/.exec(raw);
  if (!m) throw new UsageError(`--mem: '${raw}' is not ADDR=FILE`);
  return { address: parseIntArg(m[1], '--mem address', 0, 0xffffffff), file: m[2] };
}

/** TRM-named registers of the manager and every configured channel. */
export function registerValues(dmac: Pl330): Record<string, number> {
  const names = ['DSR', 'DPC', 'INTEN', 'INT_EVENT_RIS', 'INTMIS', 'FSRD', 'FSRC', 'FTRD'];
  for (let n = 0; n < dmac.config.channels; n++) names.push(`CSR${n}`, `CPC${n}`, `SAR${n}`, `DAR${n}`, `CCR${n}`, `LC0_${n}`, `LC1_${n}`, `FTR${n}`);
  return Object.fromEntries(names.map((name) => [name, dmac.register(name)]));
}

function describeOutcome(result: RunResult, report: IdleReport): RunOutcome {
  return {
    stop: result.stop,
    cycles: result.cycles,
    threads: report.threads.map((t) => ({ thread: threadName(t.thread), state: stateName(t.thread, t.state), waitingFor: t.waitingFor })),
  };
}

function formatOutcome(o: RunOutcome): string {
  if (o.stop === 'budget') return `gave up after ${o.cycles} cycles: the program is still running (raise --max-cycles?)`;
  const waiting = o.threads.filter((t) => t.waitingFor);
  const faulted = o.threads.filter((t) => t.state.startsWith('Faulting'));
  const parts = [`finished after ${o.cycles} cycles:`];
  if (o.threads.length === 0) parts.push('every thread stopped');
  if (faulted.length) parts.push(faulted.map((t) => `${t.thread} faulted`).join(', '));
  if (waiting.length) parts.push(waiting.map((t) => `${t.thread} waits for ${t.waitingFor} with nothing left to signal it`).join(', '));
  return parts.join(' ');
}

function collectFaults(dmac: Pl330): DecodedFault[] {
  const out: DecodedFault[] = [];
  const ftrd = dmac.register('FTRD');
  if (dmac.register('FSRD') & 1) {
    out.push({ thread: 'manager', pc: dmac.register('DPC'), faultType: ftrd, bits: decodeFaultType(ftrd, 'manager').map((f) => f.name), description: describeFaultType(ftrd, 'manager') });
  }
  const fsrc = dmac.register('FSRC');
  for (let n = 0; n < dmac.config.channels; n++) {
    if (!((fsrc >>> n) & 1)) continue;
    const ftr = dmac.register(`FTR${n}`);
    out.push({ thread: `channel ${n}`, pc: dmac.register(`CPC${n}`), faultType: ftr, bits: decodeFaultType(ftr, 'channel').map((f) => f.name), description: describeFaultType(ftr, 'channel') });
  }
  return out;
}

function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

function formatRegisters(dmac: Pl330, regs: Record<string, number>): string {
  const lines = [
    `manager  DSR=${hex32(regs.DSR)} (${stateName('manager', regs.DSR & 15)})  DPC=${hex32(regs.DPC)}  FSRD=${regs.FSRD}  FTRD=${hex32(regs.FTRD)}`,
    `events   INTEN=${hex32(regs.INTEN)}  INT_EVENT_RIS=${hex32(regs.INT_EVENT_RIS)}  INTMIS=${hex32(regs.INTMIS)}  FSRC=${hex32(regs.FSRC)}`,
  ];
  for (let n = 0; n < dmac.config.channels; n++) {
    const csr = regs[`CSR${n}`];
    if (csr === 0 && regs[`CPC${n}`] === 0) continue; // never started
    lines.push(`channel ${n}  CSR=${hex32(csr)} (${stateName(n, csr & 15)})  CPC=${hex32(regs[`CPC${n}`])}  SAR=${hex32(regs[`SAR${n}`])}  DAR=${hex32(regs[`DAR${n}`])}`);
    lines.push(`           CCR=${hex32(regs[`CCR${n}`])}  LC0=${regs[`LC0_${n}`]}  LC1=${regs[`LC1_${n}`]}  FTR=${hex32(regs[`FTR${n}`])}`);
  }
  return lines.join('\n') + '\n';
}

function formatDump(address: number, hex: string): string {
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 32) {
    const bytes = hex.slice(i, i + 32).match(/../g)!.join(' ');
    lines.push(`${hex32(address + i / 2)}: ${bytes}`);
  }
  return lines.join('\n') + '\n';
}
