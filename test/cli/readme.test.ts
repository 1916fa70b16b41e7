// Every dmalab command README.md shows (its sh blocks, and commands quoted in its prose) runs as shown, in a
// scratch directory holding the files the commands name, and exits 0. A command added to the README is tested here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../server/pl330/assembler';

const ROOT = join(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** `dmalab ...` lines of the sh blocks (comments dropped), then concrete commands quoted in the prose. */
function readmeCommands(): string[] {
  const commands: string[] = [];
  for (const [, block] of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim().replace(/^npx /, '');
      if (command.startsWith('dmalab ')) commands.push(command);
    }
  }
  for (const [, command] of README.matchAll(/`(dmalab [^`]+)`/g)) {
    // Placeholders (PROGRAM, [--flag]), pipes and a command that ends in an option (`dmalab dtc --cpp`, a way of
    // running it) are descriptions, not commands; servers wait for a client.
    const words = command.split(' ');
    if (/[A-Z]{3,}|\[|\.\.\.|\|/.test(command) || words.length < 3 || words[words.length - 1].startsWith('-') || /^dmalab (lsp|dap)\b/.test(command)) continue;
    if (!commands.includes(command)) commands.push(command);
  }
  return commands;
}

/** The files the README's commands name, as a user would have them. */
function scratchDirectory(): string {
  const work = mkdtempSync(join(tmpdir(), 'dmalab-readme-'));
  mkdirSync(join(work, 'examples'));
  for (const dir of ['pl330', 'dts']) cpSync(join(ROOT, 'examples', dir), join(work, 'examples', dir), { recursive: true });
  for (const dir of ['platforms', 'vfio-pl330']) symlinkSync(join(ROOT, 'examples', dir), join(work, 'examples', dir));
  // A channel program that may run non-secure (SP2/DP2: non-secure accesses) on any channel.
  writeFileSync(join(work, 'prog.pl330'), '.channel 0x1000\n DMAMOV CCR, SB4 SS32 SAI SP2 DB4 DS32 DAI DP2\n DMAMOV SAR, 0x2000\n DMAMOV DAR, 0x3000\n DMALP 4\n  DMALD\n  DMAST\n DMALPEND\n DMAEND\n');
  const raw = assemble('.channel 0x4000\n DMAMOV CCR, SB4 SS32 SAI DB4 DS32 DAI\n DMAMOV SAR, 0x2000\n DMAMOV DAR, 0x8000\n DMALP 16\n  DMALD\n  DMAST\n DMALPEND\n DMAEND\n');
  writeFileSync(join(work, 'prog.bin'), raw.programs[0].bytes);
  writeFileSync(join(work, 'src.bin'), Uint8Array.from({ length: 64 }, (_, i) => i));
  mkdirSync(join(work, 'include'));
  writeFileSync(join(work, 'include', 'board.h'), '#ifndef BOARD_REV\n#define BOARD_REV 1\n#endif\n');
  writeFileSync(join(work, 'board.h'), '#define BOARD_REV 1\n');
  writeFileSync(join(work, 'x.dts'), '/dts-v1/;\n#include "board.h"\n/ {\n\tmodel = "readme";\n\t#address-cells = <1>;\n\t#size-cells = <1>;\n\tcompatible = "a", "b";\n\trevision = <BOARD_REV>;\n\tcpus {\n\t\t#address-cells = <1>;\n\t\t#size-cells = <0>;\n\t\tcpu@0 {\n\t\t\tdevice_type = "cpu";\n\t\t\treg = <0>;\n\t\t};\n\t};\n};\n');
  writeFileSync(join(work, 'overlay.dts'), '/dts-v1/;\n/plugin/;\n/ {\n\tfragment@0 {\n\t\ttarget = <&dma0>;\n\t\t__overlay__ {\n\t\t\tstatus = "okay";\n\t\t\tmine: child {\n\t\t\t};\n\t\t};\n\t};\n};\n');
  cpSync(join(ROOT, 'examples/platforms/vexpress-mmu400-dma330.dts'), join(work, 'my-board.dts'));
  return work;
}

test('every command the README shows runs and exits 0', () => {
  const commands = readmeCommands();
  assert.ok(commands.length >= 25, `found ${commands.length} commands`);
  const work = scratchDirectory();
  for (const command of commands) {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), ...command.split(/\s+/).slice(1)], { cwd: work, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${command}\n${r.stdout.slice(-2000)}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error/, command);
    if (command.includes('--json')) JSON.parse(r.stdout);
  }
});
