// Whole processes for the benches: a command's wall time from spawn to exit, and for a node child (dmalab) its own
// CPU time and peak resident memory, reported at exit by a preloaded hook. The machine is shared: callers take the
// best of several runs, interleaved with their references so that load hits both alike.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProcessRun {
  readonly wallSeconds: number;
  /** User + system CPU seconds, of all its threads (other than node children: in the kernel's 10 ms ticks). */
  readonly cpuSeconds?: number;
  /** Peak resident set size in bytes (node children only). */
  readonly maxRssBytes?: number;
}

const scratch = mkdtempSync(join(tmpdir(), 'dmalab-bench-process-'));
const hook = join(scratch, 'report-usage.js');
const report = join(scratch, 'usage.json');
writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.resourceUsage())));\n`);
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** CPU seconds (user + system) of this process's waited-for children, in clock ticks of 10 ms. */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /s, '').split(' ');
  // After the command name: state is field 3; cutime and cstime are fields 16 and 17.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Runs a command to its end; throws when it fails. `node` as the command gets the usage hook. */
export function runProcess(command: string, args: readonly string[], cwd?: string): ProcessRun {
  const node = command === 'node';
  rmSync(report, { force: true });
  const children = childrenCpuSeconds();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(node ? process.execPath : command, node ? ['--require', hook, ...args] : [...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], shell: false });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: status ${r.status}\n${r.stderr}`);
  if (!node) return { wallSeconds, cpuSeconds: childrenCpuSeconds() - children };
  const usage = JSON.parse(readFileSync(report, 'utf8')) as NodeJS.ResourceUsage;
  return { wallSeconds, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, maxRssBytes: usage.maxRSS * 1024 };
}

/** Runs each command `rounds` times, interleaved; for each, its runs by wall time, least first. */
function interleaved(rounds: number, commands: readonly (() => ProcessRun)[]): ProcessRun[][] {
  const runs: ProcessRun[][] = commands.map(() => []);
  for (let round = 0; round < rounds; round++) commands.forEach((run, i) => runs[i].push(run()));
  return runs.map((r) => r.sort((a, b) => a.wallSeconds - b.wallSeconds));
}

/** Runs each command `rounds` times, interleaved; for each, the run with the least wall time. */
export function bestOf(rounds: number, commands: readonly (() => ProcessRun)[]): ProcessRun[] {
  return interleaved(rounds, commands).map((runs) => runs[0]);
}

/** As bestOf, with each command's median run (by wall time) beside its best: what a loaded machine sees. */
export function bestAndMedianOf(rounds: number, commands: readonly (() => ProcessRun)[]): { best: ProcessRun; median: ProcessRun }[] {
  return interleaved(rounds, commands).map((runs) => ({ best: runs[0], median: runs[runs.length >> 1] }));
}

export function milliseconds(seconds: number): string {
  return `${(seconds * 1000).toFixed(0)} ms`;
}
