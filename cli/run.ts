// `dmalab run PROGRAM.pl330 ...`: assembles (or loads) a PL330 program, starts it on one DMAC through the debug
// interface as a driver would, runs it to the end and prints the registers, the memory asked for and any fault.
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { hexAddress } from '../emulator/pl330/disasm';
import { debugGo, issueDebug } from '../emulator/pl330/debug';
import { DEFAULT_CONFIG, type Pl330Config, parseNonSecureList } from '../emulator/pl330/config';
import { describeFaultType, decodeFaultType } from '../emulator/pl330/faults';
import { formatEvent, stateName } from '../emulator/pl330/event-text';
import { threadName } from '../emulator/pl330/observer';
import type { IdleReport, Pl330, RunResult } from '../emulator/pl330/pl330';
import { PeripheralRequest, TestPeripheral, parsePeripheralScript } from '../emulator/pl330/peripheral';
import { fieldValue } from '../emulator/bus/registers';
import { CSR_FIELDS, DSR_FIELDS } from '../emulator/pl330/registers';
import { createStandaloneMachine } from '../emulator/pl330/standalone';
import { Pl330TraceRecorder } from '../emulator/pl330/trace-events';
import { DEFAULT_DMAC_FREQUENCY, periodOf } from '../emulator/machine/clock';
import type { Bus } from '../emulator/bus/bus';
import { isElf } from '../emulator/linux/elf';
import { Machine } from '../emulator/machine/machine';
import { type SourceDiagnostic, formatDiagnostic } from '../server/pl330/diagnostics';
import { assembleSource, startingProgram } from '../server/pl330/program-load';
import { ParsedArgs, UsageError, intOption, parseIntArg, type FlagSpec } from './args';
import type { Command, CommandIO } from './command';
import { InputError, checkOutputFile, inputFileSize, isAllText, isPl330Source, limitDiagnostics, readInputBytes, readSourceText } from './input';
import { dumpToFile, loadFile } from './memory-files';
import { PL330_CONFIG_FLAGS, PL330_CONFIG_USAGE, configOverrides } from './pl330-config';
import { DEFAULT_PLATFORM, loadPlatform, unknownDmac } from '../scenarios/platform';
import { runElfCommand } from './run-elf';
import { SCENARIOS, runScenario } from '../scenarios/registry';

const DEFAULT_MAX_CYCLES = 100_000_000;
/** The most bytes a --dump prints (as hex); one written to a file may cover the whole address space. */
const MAX_PRINTED_DUMP = 64 << 20;

/** Each outcome of `dmalab run` and its exit status (the usage text and README list them). */
export const RUN_STATUS = {
  finished: { code: 0, name: 'finished', meaning: 'every thread stopped (DMAEND), or the scenario passed' },
  fault: { code: 1, name: 'fault', meaning: 'a thread faulted (decoded in words), or the scenario failed' },
  usage: { code: 2, name: 'usage', meaning: 'the command line is wrong (an option, an address outside RAM, ...)' },
  budget: { code: 3, name: 'budget', meaning: 'the --max-cycles budget ran out with a thread still running' },
  stuck: { code: 4, name: 'stuck', meaning: 'a thread waits for an event or a peripheral request that nothing will signal' },
  assembly: { code: 5, name: 'not-run', meaning: 'the program does not assemble, or has nothing to start: nothing ran' },
  input: { code: 6, name: 'input', meaning: 'a file cannot be used: missing, a directory, not text, a bad platform devicetree' },
} as const;

const STATUS_USAGE = Object.values(RUN_STATUS).map((s) => `  ${s.code}  ${s.meaning}`).join('\n');

/** The flags of a PL330 run (and of scenarios); an ELF takes run-elf's. */
const PL330_RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--load': { value: true }, '--channel': { value: true }, '--ns': {}, '--mem': { value: true, repeat: true },
  '--dump': { value: true, repeat: true }, '--trace': {}, '--trace-out': { value: true }, '--json': {}, '--max-cycles': { value: true },
  '--platform': { value: true }, '--dmac': { value: true }, '--scenario': { value: true }, '--device': { value: true },
  '--ns-events': { value: true }, '--ns-peripherals': { value: true }, '--periph': { value: true, repeat: true },
  ...PL330_CONFIG_FLAGS,
};

export const runCommand: Command = {
  name: 'run',
  usage: `usage: dmalab run PROGRAM [--load ADDR] [--channel N] [--ns] [--mem ADDR=FILE ...] [--dump ADDR:LEN[=FILE] ...]
                 [--trace] [--trace-out FILE] [--json] [--max-cycles N] [--ns-events LIST] [--ns-peripherals LIST]
                 [--periph N=SCRIPT ...]
                 [--platform DTS|DTB [--dmac NAME]]
       dmalab run PROGRAM.elf [--platform DTS|DTB] [--workspace DIR] [--max-instructions N] [--sysroot DIR]
                 [--env NAME=VALUE]... [--unset-env NAME]... [--clear-env] [--strict-syscalls] [--trace-out FILE]
                 [-- ARGS...]
       dmalab run --scenario NAME [--platform DTS|DTB] [--dmac NAME] [--json]

Assembles PROGRAM (.pl330, .asm, .s; any other file is raw microcode, refused if it is all text), loads it at ADDR,
starts it on channel N with DMAGO through the debug registers (DBGINST0/1, DBGCMD) and runs until every thread is
stopped, faulted or waiting with nothing left to wake it. A source with a .manager program boots the manager from it instead (it
starts its channels with DMAGO itself; --channel and --ns are refused), unless --load names a channel program. The
source's configuration directives (.channels, .events, ...) configure the DMAC; the flags below override them.
Prints the final registers and the dumped memory. Without --platform the machine is one DMAC (QEMU's Zynq
configuration) over RAM covering the 32-bit address space; with it, the machine the devicetree describes (its
memory, GIC, SMMUs and DMA-330s), and the program runs on the DMAC --dmac names (default: the first). The program,
--mem and --dump must lie in RAM. With --scenario, runs one of the built-in VFIO scenarios
(${Object.keys(SCENARIOS).join(', ')}) on the platform (default:
${DEFAULT_PLATFORM}) and ends with PASS or FAIL. An ELF PROGRAM (an
armhf/armel Linux executable) runs in user mode on the emulated CPU of that platform, as \`dmalab run-elf\` describes.
  --load ADDR          the channel program to start (default: the first; raw files load there, default 0x1000)
  --channel N          channel to start (0)
  --ns                 start the channel non-secure (DMAGO ..., ns)
  --mem ADDR=FILE      load FILE's bytes at ADDR before the run (repeatable)
  --dump ADDR:LEN[=FILE]  print (or write to FILE) LEN bytes at ADDR after the run (repeatable)
  --trace              print every instruction, bus access, event, interrupt, state change and peripheral handshake
  --trace-out FILE     write the run as a Chrome trace-event JSON file (open it in Perfetto or chrome://tracing):
                       a lane per thread with each instruction, burst, wait, event, fault and interrupt in time
  --json               print one JSON object: registers, dumps, fault(s), outcome (with its status), diagnostics,
                       peripherals, and with --trace the trace; a program that does not assemble gives
                       { error, diagnostics, outcome }, any other error { error: { message, file, line, column } }
                       (where known), on stdout with nothing on stderr
  --max-cycles N       give up after N cycles (${DEFAULT_MAX_CYCLES})
  --ns-events LIST     events a non-secure thread may use (CR3, the boot_irq_ns tie-offs): 0,3-5, all or none
  --ns-peripherals LIST  peripherals a non-secure channel may use (CR4, boot_periph_ns)
  --periph N=SCRIPT    a peripheral on request interface N raises SCRIPT's requests (repeatable): comma-separated
                       single, burst, last (single with drlast) or burst-last, each with an optional *COUNT and
                       @CYCLE (not raised before that DMAC cycle), e.g. 1=burst*4,last@100
  --platform FILE      build the machine from a devicetree source or blob
  --dmac NAME          with --platform: the DMAC to run on, as Linux names it (2c0a0000.dma) or its index; with
                       --scenario: the DMAC the scenario binds to VFIO
  --scenario NAME      run a built-in scenario instead of a program
  --workspace DIR      with an ELF: the host directory the program sees as /
  --max-instructions N with an ELF: stop a runaway program after N instructions
  --sysroot DIR        with an ELF: where a dynamic executable's ARM libraries are
  --env NAME=VALUE     with an ELF: set a variable of its environment (dmalab's own, by default; repeatable)
  --unset-env NAME     with an ELF: remove a variable from its environment (repeatable)
  --clear-env          with an ELF: start from an empty environment
  --strict-syscalls    with an ELF: stop it at a system call dmalab does not implement (default: -ENOSYS)
${PL330_CONFIG_USAGE}

Exit status (an ELF program's is its own; a scenario gives 0 on PASS, 1 on FAIL):
${STATUS_USAGE}`,
  inputErrorStatus: RUN_STATUS.input.code,
  programArguments: isElfFile,
  flags: { ...PL330_RUN_FLAGS, ...runElfCommand.flags },
  run(args: ParsedArgs, io) {
    if (args.flags.has('--device')) throw new UsageError("run names the DMAC with --dmac NAME (--device is demo's name for it)");
    const scenario = args.flags.get('--scenario')?.[0];
    if (scenario !== undefined) return runScenarioCommand(scenario, args, io);
    if (args.positional.length === 0) throw new UsageError('run takes a PROGRAM (or --scenario NAME)');
    if (isElfFile(args.positional[0])) {
      const misplaced = [...args.flags.keys()].filter((flag) => !(flag in runElfCommand.flags));
      if (misplaced.length > 0) throw new UsageError(`${misplaced.join(', ')}: not for an ARM executable (see dmalab run-elf --help)`);
      return runElfCommand.run(args, io);
    }
    if (args.positional.length > 1) throw new UsageError('run takes exactly one PROGRAM (or --scenario NAME)');
    if (args.rest.length > 0) throw new UsageError('arguments after -- are for ARM executables, not PL330 programs');
    const elfOnly = [...args.flags.keys()].filter((flag) => flag in runElfCommand.flags && !(flag in PL330_RUN_FLAGS));
    if (elfOnly.length > 0) throw new UsageError(`${elfOnly.join(', ')}: only for an ARM executable, not a PL330 program`);
    return runPl330(args.positional[0], args, io);
  },
};

/** Flags `run --scenario` takes; the scenario decides everything else. */
const SCENARIO_FLAGS = ['--scenario', '--platform', '--dmac', '--json'];

/** `dmalab run --scenario NAME`: its steps as text, or with --json one object with the steps and the verdict. */
function runScenarioCommand(scenario: string, args: ParsedArgs, io: CommandIO): number {
  if (args.positional.length > 0) throw new UsageError('--scenario takes no PROGRAM');
  if (!SCENARIOS[scenario]) throw new UsageError(`--scenario: '${scenario}' is not one of ${Object.keys(SCENARIOS).join(', ')}`);
  if (args.flags.has('--trace-out')) throw new UsageError('--trace-out is for a PL330 PROGRAM, not a scenario');
  const misplaced = [...args.flags.keys()].filter((flag) => !SCENARIO_FLAGS.includes(flag));
  if (misplaced.length > 0) throw new UsageError(`${misplaced.join(', ')}: not for --scenario (it takes ${SCENARIO_FLAGS.slice(1).join(', ')})`);
  const device = args.flags.get('--dmac')?.[0];
  const wrongDevice = device === undefined ? undefined : unknownDmac(loadPlatform(args.flags.get('--platform')?.[0]), device);
  if (wrongDevice !== undefined) throw new UsageError(`--dmac: ${wrongDevice}`);
  const json = args.flags.has('--json');
  const steps: string[] = [];
  const warnings: string[] = [];
  const status = runScenario(scenario, {
    platform: args.flags.get('--platform')?.[0],
    device,
    out: json ? (line) => steps.push(line) : (line) => io.stdout(`${line}\n`),
    warn: json ? (line) => warnings.push(line) : (line) => io.stderr(`${line}\n`),
  });
  if (json) io.stdout(JSON.stringify({ scenario, pass: status === 0, status, steps, warnings }, null, 2) + '\n');
  return status;
}

interface Dump {
  readonly address: number;
  readonly length: number;
  readonly file?: string;
  readonly raw: string;
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
  const configuring = [...args.flags.keys()].filter((flag) => flag in PL330_CONFIG_FLAGS || flag.startsWith('--ns-'));
  if (platformFile !== undefined && configuring.length > 0) {
    throw new UsageError(`with --platform the DMA-330 configuration comes from the devicetree; drop ${configuring.join(', ')}`);
  }
  if (platformFile === undefined && args.flags.has('--dmac')) throw new UsageError('--dmac goes with --platform');
  const maxCycles = intOption(args, '--max-cycles', 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_MAX_CYCLES;
  const loadOption = intOption(args, '--load', 0, 0xffffffff);
  const dumps = (args.flags.get('--dump') ?? []).map(parseDump);
  const mems = (args.flags.get('--mem') ?? []).map(parseMem);
  const json = args.flags.has('--json');
  const print = (data: object): void => io.stdout(JSON.stringify(data, null, 2) + '\n');

  const platformMachine = platformFile === undefined ? undefined : platformDmac(platformFile, args.flags.get('--dmac')?.[0], io);
  const plan = planLoad(file, platformMachine?.dmac.config ?? config, loadOption);
  const diagnostics = plan.diagnostics.map((d) => ({ ...d, line: d.line + 1, col: d.col + 1, endLine: d.endLine + 1, endCol: d.endCol + 1 }));
  if (!json) for (const line of limitDiagnostics(plan.diagnostics.map((d) => formatDiagnostic(file, d)), `dmalab run: ${file}`)) io.stderr(line + '\n');
  if (plan.failure !== undefined) {
    if (json) print({ error: { message: plan.failure, file }, diagnostics, outcome: { stop: 'not-run' } });
    else io.stderr(`dmalab run: ${file}: ${plan.failure}\n`);
    return RUN_STATUS.assembly.code;
  }
  if (platformMachine && plan.manager !== undefined) {
    throw new UsageError(`${file}: a manager program boots from reset, which a devicetree platform does not configure; give --load the channel program to start`);
  }
  if (plan.manager !== undefined && (args.flags.has('--channel') || args.flags.has('--ns'))) {
    throw new UsageError(`--channel and --ns start a channel program, but ${file} boots its .manager program, which starts its channels with DMAGO (give --load ADDR to start a channel program instead)`);
  }
  // A manager program boots from reset (CR0.boot_en, CR2) and starts its channels itself.
  const boot = plan.manager === undefined ? {} : { bootFromPc: true, bootAddress: plan.manager };
  const { bus, dmac, period, ram } = platformMachine ?? { ...createStandaloneMachine({ ...plan.config, ...securityOverrides(args, plan.config), ...boot }), period: periodOf(DEFAULT_DMAC_FREQUENCY), ram: undefined };
  const channel = intOption(args, '--channel', 0, dmac.config.channels - 1) ?? 0;
  const nonSecure = args.flags.has('--ns');
  const peripherals = attachPeripherals(dmac, args.flags.get('--periph') ?? []);
  for (const image of plan.images) {
    checkRam(bus, image.base, image.bytes.length, `the program at ${hexAddress(image.base)} (${image.bytes.length} bytes)`, ['place it with .channel ADDR or --load ADDR', ram]);
    bus.physicalWrite(image.base, image.bytes, 0, image.bytes.length);
  }
  for (const m of mems) {
    const size = inputFileSize(m.file);
    checkRam(bus, m.address, size, `--mem ${m.raw} (${size} bytes)`, [ram]);
    const clash = plan.images.find((image) => m.address < image.base + image.bytes.length && image.base < m.address + size);
    if (clash) throw new UsageError(`--mem ${m.raw} (${size} bytes) overwrites the program at ${hexAddress(clash.base)}`);
    loadFile(bus, m.address, m.file);
  }
  for (const d of dumps) checkRam(bus, d.address, d.length, `--dump ${d.raw}`, [ram]);
  for (const output of [...dumps.map((d) => d.file), args.flags.get('--trace-out')?.[0]]) if (output !== undefined) checkOutputFile(output);

  const trace: string[] = [];
  if (args.flags.has('--trace')) dmac.observe(json ? (event) => trace.push(formatEvent(event)) : (event) => io.stdout(formatEvent(event) + '\n'));
  const traceOut = args.flags.get('--trace-out')?.[0];
  const recorder = traceOut === undefined ? undefined : new Pl330TraceRecorder(dmac, { name: dmac.name, periodPs: period });
  if (recorder) dmac.observe(recorder.observer);
  if (plan.channelEntry !== undefined) issueDebug(dmac, debugGo(channel, plan.channelEntry, nonSecure));
  const result = dmac.run({ maxCycles });
  const report = dmac.idleReport();
  const outcome = describeOutcome(result, report);
  const faults = collectFaults(dmac);
  if (recorder) writeFileSync(traceOut!, JSON.stringify(recorder.document()) + '\n');
  const status = faults.length > 0 ? RUN_STATUS.fault : result.stop === 'budget' ? RUN_STATUS.budget : outcome.threads.some((t) => t.waitingFor) ? RUN_STATUS.stuck : RUN_STATUS.finished;

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
  const handshakes = peripherals.map(({ index, device }) => ({ peripheral: index, acknowledged: device.acknowledged, flushes: device.flushes, unsent: device.script.length - device.sent }));
  if (json) {
    print({ registers, dumps: dumped, fault: faults[0] ?? null, faults, outcome: { ...outcome, status: status.code, result: status.name }, diagnostics, peripherals: handshakes, ...(args.flags.has('--trace') ? { trace } : {}) });
  } else {
    io.stdout(formatOutcome(outcome, new Set(peripherals.map((p) => p.index))) + '\n');
    for (const f of faults) io.stdout(`fault on ${f.thread} at ${hexAddress(f.pc)}: ${f.description}\n`);
    for (const h of handshakes) io.stdout(`peripheral ${h.peripheral}: ${h.acknowledged.length} request(s) acknowledged, ${h.flushes} flush(es), ${h.unsent} scripted request(s) never raised\n`);
    io.stdout(formatRegisters(dmac, registers));
    for (const [address, hex] of Object.entries(dumped)) io.stdout(formatDump(Number(address), hex));
  }
  return status.code;
}

/** `--ns-events` / `--ns-peripherals`: which events (CR3) and peripherals (CR4) a non-secure thread may use. */
function securityOverrides(args: ParsedArgs, config: Partial<Pl330Config>): Partial<Pl330Config> {
  const out: { -readonly [K in keyof Pl330Config]?: Pl330Config[K] } = {};
  const list = (flag: string, count: number): number | undefined => {
    const raw = args.flags.get(flag)?.[0];
    try {
      return raw === undefined ? undefined : parseNonSecureList(raw, count);
    } catch (error) {
      throw new UsageError(`${flag}: ${(error as Error).message}`);
    }
  };
  const events = list('--ns-events', config.events ?? DEFAULT_CONFIG.events);
  if (events !== undefined) out.eventsNonSecure = events;
  const peripherals = list('--ns-peripherals', config.peripherals ?? DEFAULT_CONFIG.peripherals);
  if (peripherals !== undefined) out.peripheralsNonSecure = peripherals;
  return out;
}

/** Connects a scripted peripheral to each request interface `--periph N=SCRIPT` names. */
function attachPeripherals(dmac: Pl330, specs: readonly string[]): { index: number; device: TestPeripheral }[] {
  return specs.map((spec) => {
    const m = /^([^=]+)=(.*)$/.exec(spec);
    if (!m) throw new UsageError(`--periph: '${spec}' is not N=SCRIPT (e.g. 2=burst*4,last@100)`);
    if (dmac.config.peripherals === 0) throw new UsageError('--periph: the DMAC has no peripheral request interfaces (--peripherals 0)');
    const index = parseIntArg(m[1], '--periph interface', 0, dmac.config.peripherals - 1);
    let script: PeripheralRequest[];
    try {
      script = parsePeripheralScript(m[2]);
    } catch (error) {
      throw new UsageError(`--periph ${spec}: ${(error as Error).message}`);
    }
    const device = new TestPeripheral(script);
    dmac.attachPeripheral(index, device);
    return { index, device };
  });
}

/** A range the run reads or writes must be RAM: not a device, not unmapped, not past the 32-bit space. */
/** A range the run writes or reads must be RAM; `hints` (where it could go, where the platform's RAM is) follow the
 * error. */
function checkRam(bus: Bus, address: number, length: number, what: string, hints: readonly (string | undefined)[]): void {
  const end = address + length;
  if (end > 2 ** 32) throw new UsageError(`${what} runs ${end - 2 ** 32} bytes past 0xffffffff, the end of the 32-bit address space`);
  if (length > 0 && !bus.isRam(address, length)) {
    const at = bus.regionAt(address) ? `${bus.describe(address)}${bus.isRam(address, 1) ? ' and beyond its end' : ''}` : 'unmapped';
    throw new UsageError([`${what} is not in RAM (${hexAddress(address)} is ${at})`, ...hints.filter((h) => h !== undefined)].join('; '));
  }
}

/** An ELF file (an ARM Linux executable) rather than PL330 source or microcode: its first bytes, by the ELF reader's test. */
function isElfFile(file: string): boolean {
  const magic = new Uint8Array(16);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    return isElf(magic.subarray(0, readSync(fd, magic, 0, magic.length, 0)));
  } catch {
    return false; // the PL330 path reports the missing or unreadable file
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The machine a devicetree describes, and the DMAC the program runs on (by Linux name or index). */
function platformDmac(file: string, which: string | undefined, io: CommandIO): { bus: Bus; dmac: Pl330; period: number; ram: string } {
  const machine = new Machine(loadPlatform(file, (line) => io.stderr(`${line}\n`)));
  if (machine.dmacs.length === 0) throw new UsageError(`--platform: ${file} describes no arm,pl330 DMA controller`);
  const chosen = which === undefined ? machine.dmacs[0] : machine.dmac(which) ?? (/^\d+$/.test(which) ? machine.dmacs[Number(which)] : undefined);
  if (!chosen) throw new UsageError(`--dmac: ${unknownDmac(machine.platform, which!)}`);
  const ram = machine.platform.memory.map((m) => `${hexAddress(m.base)}-${hexAddress(m.base + m.size - 1)}`).join(', ');
  return { bus: machine.bus, dmac: chosen.device, period: chosen.period, ram: `the platform's RAM is ${ram}` };
}

interface LoadPlan {
  readonly images: readonly { readonly base: number; readonly bytes: Uint8Array }[];
  /** The configuration the program was checked against: the command line over the file's directives. */
  readonly config: Partial<Pl330Config>;
  /** Where the manager boots from, when the source has a .manager program. */
  readonly manager?: number;
  /** The channel program started with DMAGO, when there is no manager program. */
  readonly channelEntry?: number;
  readonly diagnostics: readonly SourceDiagnostic[];
  /** Why the program cannot run (assembly errors, nothing to start), to follow the file's name. */
  readonly failure?: string;
}

/** Assembles (or reads) the program and decides how it starts. */
function planLoad(file: string, config: Partial<Pl330Config>, load: number | undefined): LoadPlan {
  const bytes = readInputBytes(file);
  if (!isPl330Source(file)) {
    if (bytes.length === 0) return { images: [], config, diagnostics: [], failure: 'empty file: no microcode to run' };
    // Source under another name would run as bytes and fault at once.
    if (isAllText(bytes)) {
      throw new InputError(`${file}: text, not microcode: PL330 source is assembled when its name ends in .pl330, .asm or .s`);
    }
    const base = load ?? 0x1000;
    return { images: [{ base, bytes }], config, channelEntry: base, diagnostics: [] };
  }
  const { assembly: result } = assembleSource(file, readSourceText(file, bytes), { config, base: load ?? 0x1000 });
  const base = { images: result.programs, config: result.config, diagnostics: result.diagnostics };
  if (result.errorCount > 0) return { ...base, failure: `${result.errorCount} error(s); not run` };
  const start = startingProgram(result.programs, { at: load });
  if (start?.kind === 'manager') return { ...base, manager: start.base };
  if (!start) {
    const channelPrograms = result.programs.filter((p) => p.kind === 'channel');
    const where = channelPrograms.length ? ` (programs at ${channelPrograms.map((p) => hexAddress(p.base)).join(', ')})` : '';
    return { ...base, failure: `no channel program ${load === undefined ? 'to start' : `at --load ${hexAddress(load)}`}${where}` };
  }
  return { ...base, channelEntry: start.base };
}

/** `'0x10=': no FILE after '='` for the slip the pattern alone would call malformed, else undefined. */
function missingFile(flag: string, raw: string): string | undefined {
  return raw.endsWith('=') ? `${flag}: '${raw}': no FILE after '='` : undefined;
}

function parseDump(raw: string): Dump {
  const m = /^([^:=]+):([^:=]+)(?:=(.+))?$/.exec(raw);
  if (!m) throw new UsageError(missingFile('--dump', raw) ?? `--dump: '${raw}' is not ADDR:LEN[=FILE]`);
  const length = parseIntArg(m[2], '--dump length', 1, 2 ** 32);
  if (m[3] === undefined && length > MAX_PRINTED_DUMP) throw new UsageError(`--dump ${raw}: a printed dump holds at most ${MAX_PRINTED_DUMP >> 20} MiB; write a longer one to a file (ADDR:LEN=FILE)`);
  return { address: parseIntArg(m[1], '--dump address', 0, 0xffffffff), length, file: m[3], raw };
}

function parseMem(raw: string): { address: number; file: string; raw: string } {
  const m = /^([^=]+)=(.+)$/.exec(raw);
  if (!m) throw new UsageError(missingFile('--mem', raw) ?? `--mem: '${raw}' is not ADDR=FILE`);
  return { address: parseIntArg(m[1], '--mem address', 0, 0xffffffff), file: m[2], raw };
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

/** The outcome in a line; a wait on a peripheral no --periph drives says how to drive it. */
function formatOutcome(o: RunOutcome, driven: ReadonlySet<number>): string {
  if (o.stop === 'budget') return `gave up after ${o.cycles} cycles: the program is still running (raise --max-cycles?)`;
  const waiting = o.threads.filter((t) => t.waitingFor);
  const faulted = o.threads.filter((t) => t.state.startsWith('Faulting'));
  const parts = [`finished after ${o.cycles} cycles:`];
  if (o.threads.length === 0) parts.push('every thread stopped');
  if (faulted.length) parts.push(faulted.map((t) => `${t.thread} faulted`).join(', '));
  const hint = (waitingFor: string): string => {
    const peripheral = /^peripheral (\d+)$/.exec(waitingFor)?.[1];
    return peripheral !== undefined && !driven.has(Number(peripheral)) ? ` (--periph ${peripheral}=SCRIPT connects a peripheral that requests)` : '';
  };
  if (waiting.length) parts.push(waiting.map((t) => `${t.thread} waits for ${t.waitingFor} with nothing left to signal it${hint(t.waitingFor!)}`).join(', '));
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


function formatRegisters(dmac: Pl330, regs: Record<string, number>): string {
  const lines = [
    `manager  DSR=${hexAddress(regs.DSR)} (${stateName('manager', fieldValue(regs.DSR, DSR_FIELDS.state))})  DPC=${hexAddress(regs.DPC)}  FSRD=${regs.FSRD}  FTRD=${hexAddress(regs.FTRD)}`,
    `events   INTEN=${hexAddress(regs.INTEN)}  INT_EVENT_RIS=${hexAddress(regs.INT_EVENT_RIS)}  INTMIS=${hexAddress(regs.INTMIS)}  FSRC=${hexAddress(regs.FSRC)}`,
  ];
  for (let n = 0; n < dmac.config.channels; n++) {
    const csr = regs[`CSR${n}`];
    if (csr === 0 && regs[`CPC${n}`] === 0) continue; // never started
    lines.push(`channel ${n}  CSR=${hexAddress(csr)} (${stateName(n, fieldValue(csr, CSR_FIELDS.state))})  CPC=${hexAddress(regs[`CPC${n}`])}  SAR=${hexAddress(regs[`SAR${n}`])}  DAR=${hexAddress(regs[`DAR${n}`])}`);
    lines.push(`           CCR=${hexAddress(regs[`CCR${n}`])}  LC0=${regs[`LC0_${n}`]}  LC1=${regs[`LC1_${n}`]}  FTR=${hexAddress(regs[`FTR${n}`])}`);
  }
  return lines.join('\n') + '\n';
}

function formatDump(address: number, hex: string): string {
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 32) {
    const bytes = hex.slice(i, i + 32).match(/../g)!.join(' ');
    lines.push(`${hexAddress(address + i / 2)}: ${bytes}`);
  }
  return lines.join('\n') + '\n';
}
