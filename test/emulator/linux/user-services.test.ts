// Services of the user-mode Linux a C program reaches beyond stdio: links inside the workspace (and none out of it),
// pipes, the environment (dmalab's own, edited by --env/--unset-env/--clear-env or launch.json `env`), and system
// calls without an implementation (-ENOSYS and a warning, or a stop with --strict-syscalls). Each program prints
// what it sees; qemu-arm -cpu cortex-a15 is the reference where it can be one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, parseArgs } from '../../../cli/args';
import { runElfCommand } from '../../../cli/run-elf';
import { runCommand } from '../../../cli/run';
import { parseElfArguments } from '../../../debugger/runtime/elf-runtime';
import { UserError } from '../../../debugger/runtime/launch';
import { programEnvironment } from '../../../emulator/linux/environment';
import { ROOT, VARIANTS, compile, runDmalab, runQemu, toolchainAvailable, type RunResult } from '../../support/toolchain';

const armhf = VARIANTS[0];
const skip = toolchainAvailable(armhf) ? false : 'the armhf cross compiler or qemu-arm is not installed';
const source = (name: string) => join(ROOT, 'test', 'emulator', 'linux', 'env-programs', name);
const QEMU_CPU = ['-cpu', 'cortex-a15'];

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'dmalab-services-'));
}

const armel = VARIANTS.find((v) => v.name === 'armel')!;
/** The programs that compare with qemu-arm run as armhf Thumb-2 and as armel (ARM state, soft-float, kuser helpers). */
const BOTH = [armhf, armel].map((variant) => ({ variant, skip: toolchainAvailable(variant) ? false : `${variant.compiler} or qemu-arm is not installed` }));

for (const { variant, skip: variantSkip } of BOTH) {
  test(`links in the workspace: symlink, readlink, open through links, lstat vs stat, rename, link, chmod, utimensat as on qemu-arm (${variant.name})`, { skip: variantSkip }, () => {
    const program = compile(source('links.c'), variant);
    const expected = runQemu(program, [], QEMU_CPU);
    const actual = runDmalab(program);
    assert.equal(actual.stderr, '');
    assert.equal(actual.stdout, expected.stdout);
    assert.equal(actual.status, expected.status);
    assert.match(actual.stdout, /open deep\/\.\.\/x\.txt: 'x in sub'/, '`..` after a link leaves the link target');
  });

  test(`pipes: order, end of file, O_NONBLOCK, poll, dup3, stdio, EPIPE as on qemu-arm (${variant.name})`, { skip: variantSkip }, () => {
    const program = compile(source('pipes.c'), variant);
    const expected = runQemu(program, [], QEMU_CPU);
    const actual = runDmalab(program);
    assert.equal(actual.stderr, '');
    assert.equal(actual.stdout, expected.stdout);
    assert.equal(actual.status, 0);
  });
}

test('a link that points out of the workspace reads nothing of the host: ENOENT, or the workspace file of that name', { skip }, () => {
  const program = compile(source('links.c'), armhf);
  const outside = scratch();
  const secret = join(outside, 'secret');
  writeFileSync(secret, 'HOST SECRET');
  const empty = scratch();
  const mirrored = scratch();
  try {
    const upAndOut = '../'.repeat(12) + secret.slice(1);
    const alone = runDmalab(program, ['escape', secret], '', { workspace: empty });
    assert.equal(alone.stdout, [
      'symlink to the host file: ok',
      `readlink out-abs: '${secret}'`, // the link holds the text it was given, as on Linux
      'open out-abs: No such file or directory',
      'symlink up and out: ok',
      'open out-up: No such file or directory',
      `open ${upAndOut}: No such file or directory`,
      'symlink to the root\'s parent: ok',
      'ls rootparent: out-abs out-up rootparent', // `/..` is the root
      'symlink to a directory outside: ok',
      'opendir out-dir: No such file or directory',
      'chdir through a link: No such file or directory',
      'getcwd: /',
      '',
    ].join('\n'));
    assert.doesNotMatch(alone.stdout, /HOST SECRET/);

    // The same absolute path inside the workspace: every way out lands on the workspace's file.
    mkdirSync(join(mirrored, outside), { recursive: true });
    writeFileSync(join(mirrored, secret), 'workspace copy');
    const inside = runDmalab(program, ['escape', secret], '', { workspace: mirrored });
    assert.match(inside.stdout, /^open out-abs: 'workspace copy'$/m);
    assert.match(inside.stdout, /^open out-up: 'workspace copy'$/m);
    assert.match(inside.stdout, /^getcwd: \/tmp$/m, 'chdir through a link gives the resolved guest path');
    assert.doesNotMatch(inside.stdout, /HOST SECRET/);
  } finally {
    for (const dir of [outside, empty, mirrored]) rmSync(dir, { recursive: true, force: true });
  }
});


test('reading an empty pipe whose write end is open, with nothing that can write, is reported as a deadlock', { skip }, () => {
  // Linux (and qemu-arm) would wait forever: no comparison. dmalab sees that nothing can ever end the wait, with or
  // without an instruction budget (a budget bounds the time a wait may skip, not the verdict).
  const program = compile(source('pipes.c'), armhf);
  const workspace = scratch();
  try {
    for (const budget of [[], ['--max-instructions', '100000000']]) {
      const out = capture();
      const status = runElfCommand.run(parseArgs([program, '--workspace', workspace, ...budget, '--', 'block'], runElfCommand.flags), out.io);
      assert.equal(out.stdout, 'pipe: 0\nreading the empty pipe\n');
      assert.match(out.stderr, /blocked forever: read from pipe \(read end\) \(fd 3\)/);
      assert.equal(status, 128 + 6);
    }
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});

test('resource limits set and read back, getrandom flags, sched_getaffinity sizes as on qemu-arm', { skip }, () => {
  const program = compile(source('limits.c'), armhf);
  const expected = runQemu(program, [], QEMU_CPU);
  const actual = runDmalab(program);
  assert.equal(actual.stderr, '');
  assert.equal(actual.stdout, expected.stdout);
  assert.match(actual.stdout, /^now: 32\/100$/m);
});

test('an unimplemented system call returns ENOSYS, as on qemu-arm, and is named once on stderr', { skip }, () => {
  const program = compile(source('nosys.c'), armhf);
  const expected = runQemu(program, [], QEMU_CPU);
  const actual = runDmalab(program);
  assert.equal(actual.stdout, expected.stdout);
  assert.equal(actual.stdout, 'vserver: -1 (Function not implemented)\nvserver: -1 (Function not implemented)\nstill running\n');
  assert.equal(actual.stderr, "dmalab: warning: system call 'vserver' (number 313) is not implemented: -ENOSYS\n");
  assert.equal(actual.status, 0);
  // One line per distinct call.
  const two = runDmalab(program, ['inotify']);
  assert.match(two.stdout, /inotify_init1: -1 \(Function not implemented\)\nstill running\n$/);
  assert.equal(two.stderr.split('\n').filter((l) => l.includes('warning')).length, 2);
});

test('--strict-syscalls stops the program at an unimplemented system call instead', { skip }, () => {
  const program = compile(source('nosys.c'), armhf);
  const workspace = scratch();
  try {
    const out = capture();
    const status = runElfCommand.run(parseArgs([program, '--workspace', workspace, '--clear-env', '--strict-syscalls'], runElfCommand.flags), out.io);
    assert.equal(status, 128 + 31);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /unknown system call vserver \(number 313\) at 0x[0-9a-f]{8}\n r0=/);
    assert.doesNotMatch(out.stderr, /warning/);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});

function capture(): { io: { stdout(data: string | Uint8Array): void; stderr(text: string): void }; stdout: string; stderr: string } {
  const out = {
    stdout: '',
    stderr: '',
    io: {
      stdout: (data: string | Uint8Array) => { out.stdout += typeof data === 'string' ? data : Buffer.from(data).toString('utf8'); },
      stderr: (text: string) => { out.stderr += text; },
    },
  };
  return out;
}

const INHERITED = 'DMALAB_TEST_INHERITED';

/** The environment program under dmalab's CLI (`run-elf`, or `run` on the ELF) with flags. */
function environmentRun(command: 'run-elf' | 'run', flags: readonly string[], names: readonly string[]): RunResult {
  const program = compile(source('environment.c'), armhf);
  const workspace = scratch();
  try {
    const out = capture();
    const cli = command === 'run' ? runCommand : runElfCommand;
    const status = cli.run(parseArgs([program, '--workspace', workspace, ...flags, '--', ...names], cli.flags), out.io) as number;
    return { stdout: out.stdout, stderr: out.stderr, status };
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

function qemuWithEnvironment(env: Record<string, string>, names: readonly string[]): RunResult {
  return runQemu(compile(source('environment.c'), armhf), names, QEMU_CPU, env);
}

function withInheritedVariable(body: () => void): void {
  process.env[INHERITED] = 'from dmalab';
  try {
    body();
  } finally {
    delete process.env[INHERITED];
  }
}

const hostEnvironment = (): Record<string, string> => Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));

test('the program gets dmalab\'s environment, as qemu-arm passes its own', { skip }, () => {
  withInheritedVariable(() => {
    const names = [INHERITED, 'DMALAB_TEST_UNSET'];
    const actual = environmentRun('run-elf', [], names);
    const expected = qemuWithEnvironment(hostEnvironment(), names);
    assert.equal(actual.stderr, '');
    assert.equal(actual.stdout, expected.stdout);
    assert.match(actual.stdout, /^DMALAB_TEST_INHERITED='from dmalab'$/m);
  });
});

test('--env sets, --unset-env removes (in command-line order), as the same environment given to qemu-arm', { skip }, () => {
  withInheritedVariable(() => {
    const names = [INHERITED, 'A', 'B', 'EMPTY', 'GONE'];
    const flags = ['--env', 'A=1', '--unset-env', INHERITED, '--env', 'B=x=y z', '--env', 'A=2', '--env', 'EMPTY=', '--env', 'GONE=1', '--unset-env', 'GONE'];
    const env = hostEnvironment();
    delete env[INHERITED];
    for (const run of [environmentRun('run-elf', flags, names), environmentRun('run', flags, names)]) {
      assert.equal(run.stdout, qemuWithEnvironment({ ...env, A: '2', B: 'x=y z', EMPTY: '' }, names).stdout);
      assert.match(run.stdout, /^A='2'\nB='x=y z'\nEMPTY=''\nGONE is unset\n/m);
    }
  });
});

test('--clear-env starts from an empty environment; --env then adds to it', { skip }, () => {
  withInheritedVariable(() => {
    const actual = environmentRun('run-elf', ['--env', 'ONLY=this', '--clear-env'], [INHERITED, 'ONLY']);
    assert.equal(actual.stdout, qemuWithEnvironment({ ONLY: 'this' }, [INHERITED, 'ONLY']).stdout);
    assert.equal(actual.stdout, "1 variables\nDMALAB_TEST_INHERITED is unset\nONLY='this'\n[ONLY=this]\n");
  });
});

test('malformed --env and --unset-env values are usage errors; on a PL330 program they are misplaced', () => {
  const program = join(ROOT, 'examples', 'none.elf');
  for (const [flags, message] of [
    [['--env', 'NOVALUE'], "--env: 'NOVALUE' is not NAME=VALUE"],
    [['--env', '=1'], "--env: '=1': the name is empty"],
    [['--unset-env', 'A=B'], "--unset-env: 'A=B': a name cannot contain '='"],
  ] as const) {
    assert.throws(() => runElfCommand.run(parseArgs([program, ...flags], runElfCommand.flags), capture().io), (e: unknown) => e instanceof UsageError && e.message === message);
  }
  // `dmalab run` takes them for an ELF only.
  const dir = scratch();
  try {
    const microcode = join(dir, 'copy.pl330');
    writeFileSync(microcode, 'DMAEND\n');
    assert.throws(() => runCommand.run(parseArgs([microcode, '--env', 'A=1', '--strict-syscalls'], runCommand.flags), capture().io),
      (e: unknown) => e instanceof UsageError && e.message === '--env, --strict-syscalls: only for an ARM executable, not a PL330 program');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('launch.json: env edits the adapter\'s environment (null removes), strictSyscalls; wrong types are one clear error', () => {
  withInheritedVariable(() => {
    const launch = parseElfArguments({ program: 'p.elf', env: { A: '1', [INHERITED]: null }, strictSyscalls: true }, '/work');
    const inherited = programEnvironment(process.env, {});
    assert.deepEqual(launch.env, [...inherited.filter((v) => !v.startsWith(`${INHERITED}=`)), 'A=1']);
    assert.equal(launch.strictSyscalls, true);
    assert.deepEqual(parseElfArguments({ program: 'p.elf' }, '/work').env, inherited);
    assert.equal(parseElfArguments({ program: 'p.elf' }, '/work').strictSyscalls, false);
  });
  for (const [raw, message] of [
    [{ env: ['A=1'] }, `'env' must be an object of NAME: value (got ["A=1"])`],
    [{ env: { A: 1 } }, "'env': 'A': the value must be a string, or null to remove it (got 1)"],
    [{ env: { 'A=B': 'x' } }, "'env': 'A=B': a name cannot contain '='"],
    [{ strictSyscalls: 'yes' }, `'strictSyscalls' must be true or false (got "yes")`],
  ] as const) {
    assert.throws(() => parseElfArguments({ program: 'p.elf', ...raw }, '/work'), (e: unknown) => e instanceof UserError && e.message === message);
  }
});
