// Each command's --help names every option it takes, and `dmalab dap --help` every launch attribute package.json
// declares: nothing a user can pass is undocumented, nothing documented is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asmCommand } from '../../cli/asm';
import { bootCommand } from '../../cli/boot';
import { dapCommand } from '../../cli/dap';
import { demoCommand } from '../../cli/demo';
import { disasmCommand } from '../../cli/disasm';
import { dtcCommand } from '../../cli/dtc';
import { runCommand } from '../../cli/run';
import { runElfCommand } from '../../cli/run-elf';

test('every option of every command is in its usage text', () => {
  for (const command of [asmCommand, disasmCommand, runCommand, runElfCommand, bootCommand, dtcCommand, demoCommand]) {
    for (const [flag, spec] of Object.entries(command.flags)) {
      if (flag === '--device' && command === runCommand) continue; // refused with a pointer to --dmac
      const names = [flag, spec.alias].filter((n): n is string => n !== undefined);
      assert.ok(names.some((n) => new RegExp(`(^|[\\s,\\[(])${n.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}\\b`).test(command.usage)), `${command.name}: ${flag} is not in its usage`);
    }
  }
});

test('dmalab dap --help names every launch attribute', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
  const dmalab = manifest.contributes.debuggers.find((d: { type: string }) => d.type === 'dmalab');
  const attributes = Object.keys(dmalab.configurationAttributes.launch.properties);
  assert.ok(attributes.length > 10);
  for (const name of attributes) assert.match(dapCommand.usage, new RegExp(`\\b${name}\\b`), name);
  for (const name of Object.keys(dmalab.configurationAttributes.launch.properties.pl330.properties)) assert.match(dapCommand.usage, new RegExp(`\\b${name}\\b`), `pl330.${name}`);
});

test('run --help lists each exit status', () => {
  for (let status = 0; status <= 6; status++) assert.match(runCommand.usage, new RegExp(`^  ${status}  \\S`, 'm'), `status ${status}`);
});

test("run's ELF synopsis and run-elf's name every option run-elf takes (a usage error shows only the synopsis)", () => {
  const synopsis = (usage: string): string => usage.slice(0, usage.indexOf('\n\n'));
  const runElfForm = synopsis(runCommand.usage).split(/\n(?=\s+dmalab )/).find((form) => form.includes('PROGRAM.elf'))!;
  for (const flag of Object.keys(runElfCommand.flags)) {
    assert.ok(runElfForm.includes(flag), `run's ELF synopsis lacks ${flag}`);
    assert.ok(synopsis(runElfCommand.usage).includes(flag), `run-elf's synopsis lacks ${flag}`);
  }
});

test("'dmalab help COMMAND' prints the command's help; an unknown one is named", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(__dirname, '../../dist/cli.js'), ...args], { encoding: 'utf8' });
  const help = cli('help', 'run');
  assert.equal(help.status, 0);
  assert.equal(help.stdout, runCommand.usage + '\n');
  const unknown = cli('help', 'runn');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^dmalab: unknown command 'runn'; did you mean 'run'\?\n/);
});

test('dmalab dap given a file (the program belongs in the launch request) is a usage error, not a server waiting on stdin', () => {
  const r = spawnSync(process.execPath, [join(__dirname, '../../dist/cli.js'), 'dap', 'memcpy.pl330'], { encoding: 'utf8', input: '', timeout: 10_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^dmalab dap: dap takes no arguments \(the program is the launch request's\): 'memcpy\.pl330'\n/);
});

test("node dist/dap.js --help describes the adapter and its launch attributes as dmalab dap --help does; an argument is refused, not left waiting on stdin", () => {
  const dap = (...args: string[]) => spawnSync(process.execPath, [join(__dirname, '../../dist/dap.js'), ...args], { encoding: 'utf8', input: '', timeout: 10_000 });
  const help = dap('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: node dist\/dap\.js \[--server=PORT\]/);
  const description = dapCommand.usage.slice(dapCommand.usage.indexOf('\n\n'));
  assert.ok(description.length > 500);
  assert.ok(help.stdout.endsWith(`${description}\n`));
  const file = dap('memcpy.pl330');
  assert.equal(file.status, 2);
  assert.equal(file.stdout, '');
  assert.equal(file.stderr, "dap.js: unknown argument 'memcpy.pl330' (the program is the launch request's); 'node dist/dap.js --help' describes it\n");
});
