// `dmalab run PROGRAM.pl330 ...`: assembles (or loads) a PL330 program, starts it on one DMAC through the debug
// interface as a driver would, runs it to the end and prints the registers, the memory asked for and any fault.
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { decodeInstruction, formatInstruction, hexAddress } from '../emulator/pl330/disasm';
import { debugGo, issueDebug } from '../emulator/pl330/debug';
import { describeFaultType, decodeFaultType } from '../emulator/pl330/faults';
import type { Pl330Event, ThreadRef } from '../emulator/pl330/observer';
import { threadName } from '../emulator/pl330/observer';
import type { IdleReport, Pl330, RunResult } from '../emulator/pl330/pl330';
import { CHANNEL_STATE_NAMES, MANAGER_STATE_NAMES } from '../emulator/pl330/registers';
import { createStandaloneMachine } from '../emulator/pl330/standalone';
import { assemble } from '../server/pl330/assembler';
import { formatDiagnostic } from '../server/pl330/diagnostics';
import { ParsedArgs, UsageError, intOption, parseIntArg } from './args';
import type { Command, CommandIO } from './command';
import { PL330_CONFIG_FLAGS, PL330_CONFIG_USAGE, configOverrides } from './pl330-config';

const SOURCE_EXTENSIONS = ['.pl330', '.asm', '.s', '.S'];
const DEFAULT_MAX_CYCLES = 100_000_000;

export const runCommand: Command = {
  name: 'run',
  summary: 'run a PL330 program on the emulated DMAC',
  usage: `usage: dmalab run PROGRAM [--load ADDR] [--channel N] [--ns] [--mem ADDR=FILE ...] [--dump ADDR:LEN[=FILE] ...]
                 [--trace] [--json] [--max-cycles N] [--platform DTS|DTB]

Assembles PROGRAM (.pl330, .asm, .s; any other file is taken as raw microcode), loads it at ADDR, starts it on
channel N with DMAGO through the debug registers (DBGINST0/1, DBGCMD) and runs until every thread is stopped, faulted
or waiting with nothing left to wake it. Prints the final registers and the dumped memory; the exit status is 1 when
a thread faulted, 3 when the cycle budget ran out. Without --platform the machine is one DMAC (QEMU's Zynq
configuration) over RAM covering the 32-bit address space.
  --load ADDR          where the program goes (default: its .channel address, else 0x1000)
  --channel N          channel to start (0)
  --ns                 start the channel non-secure (DMAGO ..., ns)
  --mem ADDR=FILE      load FILE's bytes at ADDR before the run (repeatable)
  --dump ADDR:LEN[=FILE]  print (or write to FILE) LEN bytes at ADDR after the run (repeatable)
  --trace              print every instruction, bus access, event, interrupt and state change
  --json               print one JSON object: registers, dumps, fault, outcome
  --max-cycles N       give up after N cycles (${DEFAULT_MAX_CYCLES})
  --platform FILE      build the machine from a devicetree (not available yet)
${PL330_CONFIG_USAGE}`,
  flags: {
    '--load': { value: true }, '--channel': { value: true }, '--ns': {}, '--mem': { value: true, repeat: true },
    '--dump': { value: true, repeat: true }, '--trace': {}, '--json': {}, '--max-cycles': { value: true }, '--platform': { value: true },
    ...PL330_CONFIG_FLAGS,
  },
  run(args: ParsedArgs, io) {
    if (args.positional.length !== 1) throw new UsageError('run takes exactly one PROGRAM');
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
  if (args.flags.has('--platform')) {
    io.stderr(`dmalab run: --platform is not available yet (building a machine from a devicetree is not implemented); run without it for the default one-DMAC machine\n`);
    return 2;
  }
  const config = configOverrides(args);
  const channel = intOption(args, '--channel', 0, 7) ?? 0;
  const nonSecure = args.flags.has('--ns');
  const maxCycles = intOption(args, '--max-cycles', 1, Number.MAX_SAFE_INTEGER) ?? DEFAULT_MAX_CYCLES;
  const loadOption = intOption(args, '--load', 0, 0xffffffff);
  const dumps = (args.flags.get('--dump') ?? []).map(parseDump);
  const mems = (args.flags.get('--mem') ?? []).map(parseMem);
  const json = args.flags.has('--json');

  const { bus, dmac } = createStandaloneMachine(config);
  if (channel >= dmac.config.channels) throw new UsageError(`--channel: ${channel} is beyond the ${dmac.config.channels} channels configured`);

  let start: number;
  if (SOURCE_EXTENSIONS.includes(extname(file))) {
    const result = assemble(readFileSync(file, 'utf8'), { config, base: loadOption ?? 0x1000 });
    for (const d of result.diagnostics) io.stderr(formatDiagnostic(file, d) + '\n');
    if (result.errorCount > 0) {
      io.stderr(`${file}: ${result.errorCount} error(s); not run\n`);
      return 1;
    }
    const channelPrograms = result.programs.filter((p) => p.kind === 'channel');
    if (channelPrograms.length === 0) {
      io.stderr(`${file}: no channel program to start\n`);
      return 1;
    }
    const entry = loadOption === undefined ? channelPrograms[0] : channelPrograms.find((p) => p.base === loadOption);
    if (!entry) {
      io.stderr(`${file}: no channel program at --load ${hexAddress(loadOption!)} (programs at ${channelPrograms.map((p) => hexAddress(p.base)).join(', ')})\n`);
      return 1;
    }
    for (const p of result.programs) bus.physicalWrite(p.base, p.bytes, 0, p.bytes.length);
    start = entry.base;
  } else {
    const bytes = new Uint8Array(readFileSync(file));
    start = loadOption ?? 0x1000;
    bus.physicalWrite(start, bytes, 0, bytes.length);
  }
  for (const m of mems) {
    const bytes = new Uint8Array(readFileSync(m.file));
    bus.physicalWrite(m.address, bytes, 0, bytes.length);
  }

  if (args.flags.has('--trace')) dmac.observe((event) => io.stdout(formatEvent(event) + '\n'));
  issueDebug(dmac, debugGo(channel, start, nonSecure));
  const result = dmac.run({ maxCycles });
  const report = dmac.idleReport();
  const outcome = describeOutcome(result, report);
  const faults = collectFaults(dmac);

  const dumped: Record<string, string> = {};
  for (const d of dumps) {
    const bytes = new Uint8Array(d.length);
    bus.physicalRead(d.address, bytes, 0, d.length);
    if (d.file) writeFileSync(d.file, bytes);
    else dumped[`0x${d.address.toString(16)}`] = Buffer.from(bytes).toString('hex');
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

function parseDump(raw: string): Dump {
  const m = /^([^:=]+):([^:=]+)(?:=(.+))?$/.exec(raw);
  if (!m) throw new UsageError(`--dump: '${raw}' is not ADDR:LEN[=FILE]`);
  return { address: parseIntArg(m[1], '--dump address', 0, 0xffffffff), length: parseIntArg(m[2], '--dump length', 1, 64 << 20), file: m[3] };
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

function stateName(thread: ThreadRef, state: number): string {
  return (thread === 'manager' ? MANAGER_STATE_NAMES : CHANNEL_STATE_NAMES)[state] ?? `state ${state}`;
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

/** One trace line per event. */
export function formatEvent(e: Pl330Event): string {
  const at = `[${String(e.cycle).padStart(6)}]`;
  switch (e.kind) {
    case 'instruction': {
      const d = decodeInstruction(e.bytes, 0, e.pc);
      const text = d.spec && !d.invalid ? formatInstruction(d) : `.byte ${Array.from(e.bytes, (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')} (${d.invalid})`;
      return `${at} ${threadName(e.thread)}${e.debug ? ' (debug)' : ''} ${hexAddress(e.pc)}: ${text}`;
    }
    case 'bus': {
      const a = e.access;
      const kind = a.fetch ? 'fetch' : a.write ? 'write' : 'read';
      const data = Buffer.from(a.data).toString('hex');
      return `${at}   ${kind} ${hexAddress(a.address)} ${a.data.length} bytes${a.response ? ` -> bus error ${a.response}` : ''}: ${data.length > 64 ? data.slice(0, 64) + '...' : data}`;
    }
    case 'event': return `${at}   ${threadName(e.thread)} signals event ${e.event}`;
    case 'irq': return `${at}   irq${e.line === 'abort' ? '_abort' : `[${e.line}]`} ${e.level ? 'raised' : 'lowered'}`;
    case 'fault': return `${at}   ${threadName(e.thread)} faults at ${hexAddress(e.pc)}: ${describeFaultType(e.faultType, e.thread === 'manager' ? 'manager' : 'channel')}`;
    case 'state': return `${at}   ${threadName(e.thread)}: ${stateName(e.thread, e.from)} -> ${stateName(e.thread, e.to)}`;
    case 'channelStart': return `${at}   channel ${e.channel} starts at ${hexAddress(e.pc)}${e.nonSecure ? ' (non-secure)' : ''}`;
    case 'channelEnd': return `${at}   channel ${e.channel} ${e.how === 'end' ? 'ends' : 'is killed'}`;
  }
}
