// The reference disassembly: Debian's arm-linux-gnueabihf-objdump over an executable, normalised in a few
// documented ways only, beside dmalab's disassembler over the same bytes (instruction set chosen by the ELF's
// mapping symbols, as objdump chooses it), instruction by instruction.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { disassembleElf } from '../../emulator/cpu/disasm/elf';
import { LineTable, sameFile } from '../../emulator/elf/dwarf-line';

export const OBJDUMP = 'arm-linux-gnueabihf-objdump';

export function objdumpAvailable(): boolean {
  return spawnSync(OBJDUMP, ['--version']).status === 0;
}

/** objdump's text normalised: fields joined by one space; its comments (`@ 0x460`, `; ...`) dropped; a symbolic
 * address `10530 <main+0x38>` written as `0x10530`. */
export function normaliseObjdump(line: string): string {
  const fields = line.split('\t').filter((f) => f !== '' && !f.startsWith('@') && !f.startsWith(';'));
  return fields.join(' ').trim().replace(/\b([0-9a-f]+) <[^>]*>/g, '0x$1');
}

export interface ListingLine {
  readonly address: number;
  /** Normalised text. */
  readonly text: string;
  /** objdump's own text (symbolic branch targets kept). */
  readonly raw: string;
  /** The symbol objdump lists the line under. */
  readonly function: string;
}

/** Everything `objdump -d` lists, instructions and data (`.word`), in address order. */
export function objdumpListing(elfPath: string): ListingLine[] {
  return runObjdump(['-d', '--no-show-raw-insn', elfPath]);
}

/** objdump's lines under their symbols. */
function runObjdump(args: readonly string[]): ListingLine[] {
  const r = spawnSync(OBJDUMP, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${OBJDUMP} ${args.join(' ')} failed:\n${r.stderr}`);
  const out: ListingLine[] = [];
  let fn = '';
  for (const line of r.stdout.split('\n')) {
    const header = /^[0-9a-f]+ <(.*)>:$/.exec(line);
    if (header) fn = header[1];
    const m = /^ *([0-9a-f]+):\t(.*)$/.exec(line);
    if (m) out.push({ address: parseInt(m[1], 16), text: normaliseObjdump(m[2]), raw: m[2], function: fn });
  }
  return out;
}

/** objdump's text by address. */
export function objdumpInstructions(elfPath: string): Map<number, string> {
  return new Map(objdumpListing(elfPath).map((l) => [l.address, l.text]));
}

export interface Mismatch {
  readonly address: number;
  readonly objdump: string;
  readonly dmalab: string;
}

export interface Comparison {
  readonly total: number;
  readonly matched: number;
  /** Instructions whose line-table row is in the program's own source file. */
  readonly own: number;
  readonly ownMatched: number;
  readonly mismatches: Mismatch[];
  readonly ownMismatches: Mismatch[];
}

/** Compares every instruction objdump shows in a code region; `source` names the program's own C file. */
export function compareWithObjdump(elfPath: string, source: string): Comparison {
  const bytes = new Uint8Array(readFileSync(elfPath));
  const ours = new Map(disassembleElf(bytes).map((d) => [d.address, d]));
  const lines = LineTable.fromElf(bytes);
  let total = 0, matched = 0, own = 0, ownMatched = 0;
  const mismatches: Mismatch[] = [];
  const ownMismatches: Mismatch[] = [];
  for (const [address, text] of objdumpInstructions(elfPath)) {
    const d = ours.get(address);
    if (!d) continue; // data ($d) and bytes outside any mapping region
    const row = lines.lookup(address);
    const isOwn = row !== undefined && sameFile(row.file, source);
    const same = d.text === text;
    total++;
    if (same) matched++;
    else mismatches.push({ address, objdump: text, dmalab: d.text });
    if (isOwn) {
      own++;
      if (same) ownMatched++;
      else ownMismatches.push({ address, objdump: text, dmalab: d.text });
    }
  }
  return { total, matched, own, ownMatched, mismatches, ownMismatches };
}

/** objdump's reading of a file of raw bytes as A32 or (`force-thumb`) T32 code from address 0. */
export function objdumpRaw(path: string, thumb: boolean): Map<number, string> {
  const lines = runObjdump(['-b', 'binary', '-m', 'arm', '-D', '--no-show-raw-insn', ...(thumb ? ['-M', 'force-thumb'] : []), path]);
  return new Map(lines.map((l) => [l.address, l.text]));
}

/** The symbols Debian's arm-linux-gnueabihf-nm lists in an ELF, by name. */
export function nmSymbols(elfPath: string): Map<string, number> {
  const r = spawnSync('arm-linux-gnueabihf-nm', [elfPath], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`arm-linux-gnueabihf-nm ${elfPath} failed:\n${r.stderr}`);
  return new Map(r.stdout.split('\n').map((line) => line.split(' ')).filter((f) => f.length === 3).map(([address, , name]) => [name, parseInt(address, 16)]));
}
