// The line table decoder against binutils' own decoding (objdump --dwarf=decodedline) of programs gcc compiled with
// each DWARF version, in ARM and Thumb code. By default the assembler writes the table (version 3); with
// -gno-as-loc-support gcc writes it itself in the version asked (5: entry formats, .debug_line_str, MD5s).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { LineTable, decodeLineTable } from '../../../emulator/elf/dwarf-line';
import { ROOT, compile } from '../../support/toolchain';

const SOURCE = join(ROOT, 'test', 'emulator', 'cpu', 'programs', 'integer.c');
const objdump = 'arm-linux-gnueabihf-objdump';

/** objdump's rows as `file line address stmt` strings (`-` as the line of a sequence's end). */
function objdumpRows(elf: string): string[] {
  const r = spawnSync(objdump, ['--dwarf=decodedline', elf], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const rows: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+)(?:\s+\d+)?\s*(x?)\s*$/.exec(line);
    if (m) rows.push(`${m[1]} ${m[2]} ${Number(m[3])} ${m[2] === '-' ? '' : m[4] === 'x'}`);
  }
  return rows;
}

const available = spawnSync(objdump, ['--version']).status === 0 && spawnSync('arm-linux-gnueabihf-gcc', ['--version']).status === 0;

for (const dwarf of ['-g', '-gdwarf-2 -gno-as-loc-support', '-gdwarf-4 -gno-as-loc-support', '-gdwarf-5 -gno-as-loc-support', '-gdwarf-5 -Wa,--gdwarf-5']) {
  for (const mode of ['-mthumb', '-marm']) {
    test(`line table of a ${dwarf} ${mode} program matches objdump`, { skip: !available && 'needs gcc-arm-linux-gnueabihf' }, () => {
      const elf = compile(SOURCE, { name: 'armhf', compiler: 'arm-linux-gnueabihf-gcc', flags: ['-O0', '-static', ...dwarf.split(' '), mode] });
      const expected = objdumpRows(elf);
      assert.ok(expected.length > 50, `objdump shows ${expected.length} rows`);
      const rows = decodeLineTable(new Uint8Array(readFileSync(elf)));
      const actual = rows.map((r) => `${basename(r.file)} ${r.endSequence ? '-' : r.line} ${r.address} ${r.endSequence ? '' : r.isStmt}`);
      assert.deepEqual(actual, expected);

      const table = LineTable.fromRows(rows);
      const first = rows.find((r) => !r.endSequence && r.isStmt)!;
      assert.equal(table.lookup(first.address)?.line, first.line);
      const resolved = table.resolve(basename(first.file), first.line);
      assert.ok(resolved?.addresses.includes(first.address));
    });
  }
}
