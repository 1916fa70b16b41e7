// Builds the bare-metal test programs (Debian's arm-linux-gnueabihf-gcc with -nostdlib -ffreestanding; cached in
// .cache/ by a hash of the sources and flags) and runs them on the two machines compared: qemu-system-arm's virt
// board and dmalab's machine built from virt-a15.dts. Both print on their first PL011 and power off through PSCI.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { platformFromDtb } from '../../emulator/machine/from-dtb';
import { SystemMachine, type SystemOutcome } from '../../emulator/machine/system';
import { ROOT } from './toolchain';

export const PROGRAMS = join(ROOT, 'test', 'support', 'bare-metal-programs');
const CACHE = join(ROOT, '.cache', 'bare-metal');
const COMPILER = 'arm-linux-gnueabihf-gcc';
const RUNTIME = ['start.S', 'runtime.c'];
const FLAGS = [
  '-O1', '-marm', '-mcpu=cortex-a15', '-mfloat-abi=soft', '-nostdlib', '-ffreestanding', '-fno-builtin', '-static',
  '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments', '-z', 'noexecstack', '-T', join(PROGRAMS, 'link.ld'),
];
/** Machine time a test program may use (ns). */
const TIME_LIMIT = 2e9;

export function toolsMissing(): string | false {
  for (const tool of [COMPILER, 'qemu-system-arm', 'dtc']) {
    if (spawnSync(tool, ['--version']).error) return `${tool} is not installed`;
  }
  return false;
}

/** The program's ELF: its source with the runtime, compiled once per content (`extraFlags`: -g, ...). */
export function build(source: string, extraFlags: readonly string[] = []): string {
  const files = [...RUNTIME, source].map((f) => join(PROGRAMS, f));
  const flags = [...FLAGS, ...extraFlags];
  const hash = createHash('sha256').update(flags.join(' '));
  // The headers it may include: the runtime's, and those beside it.
  const dir = dirname(join(PROGRAMS, source));
  const headers = readdirSync(dir).filter((f) => f.endsWith('.h')).map((f) => join(dir, f));
  for (const f of [...files, join(PROGRAMS, 'runtime.h'), ...headers, join(PROGRAMS, 'link.ld')]) hash.update(f).update(readFileSync(f));
  const out = join(CACHE, `${source.replace(/\.\w+$/, '').replaceAll('/', '-')}-${hash.digest('hex').slice(0, 16)}.elf`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${out}.${process.pid}.tmp`;
  const r = spawnSync(COMPILER, [...flags, '-o', partial, ...files], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${COMPILER} ${source} failed:\n${r.stderr}`);
  renameSync(partial, out);
  return out;
}

/** Programs named smp-* run with two CPUs. */
export function cpusFor(source: string): number {
  return source.startsWith('smp-') ? 2 : 1;
}

export function runQemu(elf: string, cpus = 1): string {
  const r = spawnSync('qemu-system-arm', ['-M', 'virt', '-cpu', 'cortex-a15', '-smp', String(cpus), '-m', '128M', '-nographic', '-nic', 'none', '-no-reboot', '-kernel', elf], {
    encoding: 'utf8', timeout: 20_000,
  });
  if (r.error) throw r.error;
  return r.stdout.replace(/\r\n/g, '\n');
}

let dtb: Uint8Array | undefined;

/** `translateAfter`: instructions a block runs interpreted before it is translated (the translator's tests). */
export function runDmalab(elf: string, cpus = 1, translateAfter?: number, denseForm = true): { output: string; outcome: SystemOutcome; machine: SystemMachine } {
  const booted = bootDmalab(elf, cpus, translateAfter, denseForm);
  const outcome = booted.machine.run(TIME_LIMIT);
  return { output: booted.output(), outcome, machine: booted.machine };
}

/**
 * The program loaded on dmalab's machine, CPU 0 at its entry, not yet run; `output()`: what it printed so far.
 * `denseForm` false runs ARM code interpreted by its handlers only (Cpu.denseForm).
 */
export function bootDmalab(elf: string, cpus = 1, translateAfter?: number, denseForm = true): { machine: SystemMachine; output: () => string } {
  dtb ??= new Uint8Array(execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', join(ROOT, 'test', 'support', 'virt-a15.dts')]));
  let output = '';
  const machine = new SystemMachine(platformFromDtb(dtb), { cpus, console: (byte) => { output += String.fromCharCode(byte); } });
  for (const cpu of machine.cpus) {
    if (translateAfter !== undefined) cpu.translateAfter = translateAfter;
    cpu.denseForm = denseForm;
  }
  machine.boot(machine.loadElf(readFileSync(elf)));
  return { machine, output: () => output };
}

/** The lowest statement address objdump's decoded line table gives a line of `file` (a base name such as calls.c). */
export function objdumpLineEntry(elf: string, file: string, line: number): number {
  const r = spawnSync('arm-linux-gnueabihf-objdump', ['--dwarf=decodedline', elf], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`objdump --dwarf=decodedline ${basename(elf)} failed:\n${r.stderr}`);
  const row = new RegExp(`^${file.replaceAll('.', '\\.')}\\s+(\\d+)\\s+(0x[0-9a-f]+)(?:\\s+\\d+)?\\s+x\\s*$`);
  const addresses = r.stdout.split('\n')
    .map((l) => row.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) === line)
    .map((m) => Number(m[2]));
  if (addresses.length === 0) throw new Error(`objdump has no statement for line ${line} of ${file}`);
  return Math.min(...addresses);
}
