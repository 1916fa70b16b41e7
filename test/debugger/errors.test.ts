import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS } from '../../scenarios/registry';
import { after, client, launch, launchToEnd, memcpy, programFile, root } from './support';
import { VARIANTS, compile, runQemu, toolchainAvailable } from '../support/toolchain';

const launchError = async (args: Record<string, unknown>): Promise<string> => {
  const dc = await client();
  try {
    await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path' });
    const error = await dc.launch(args as DebugProtocol.LaunchRequestArguments).then(() => 'launched', (e: Error) => e.message);
    // The adapter is still there and answers.
    const threads = await dc.threadsRequest();
    assert.deepEqual(threads.body.threads, []);
    return error;
  } finally {
    await dc.stop();
  }
};

test('invalid launch arguments get a clear error response and the adapter keeps running', async () => {
  assert.equal(await launchError({}), "a launch configuration needs 'program' (a .pl330 file or an ARM executable), 'scenario' or 'kernel'");
  assert.equal(await launchError({ program: '/no/such/file.pl330' }), "'program': /no/such/file.pl330: the directory /no/such does not exist");
  assert.equal(await launchError({ program: join(root, 'examples', 'pl330', 'no-such.pl330') }), `'program': ${join(root, 'examples', 'pl330', 'no-such.pl330')}: no such file`);
  assert.equal(await launchError({ program: join(root, 'examples') }), `'program': ${join(root, 'examples')}: is a directory, not a file`);
  assert.equal(await launchError({ kernel: '/no/such/Image' }), "'kernel': /no/such/Image: the directory /no/such does not exist");
  assert.equal(await launchError({ program: memcpy, memory: [{ address: 0x2000, file: '/no/such/data.bin' }] }), "'memory': /no/such/data.bin: the directory /no/such does not exist");
  assert.match(await launchError({ program: memcpy, platform: '/no/such/board.dts' }), /'platform': .*board\.dts/);
  assert.match(await launchError({ program: memcpy, platform: join(root, 'examples', 'platforms', 'vexpress-mmu400-dma330.dts') }), /memcpy\.pl330:7: the channel program at 0x00001000 lies where nothing is mapped/);
  assert.match(await launchError({ scenario: 'test.c' }), /'scenario' must be one of vfio-test-case-1, vfio-armhf, vfio-passthrough, vfio-isolation \(got 'test\.c'\)/);
  assert.match(await launchError({ program: memcpy, scenario: 'vfio-test-case-1' }), /either 'program' or 'scenario', not both/);
  assert.match(await launchError({ program: memcpy, channel: 9 }), /'channel' must be an integer from 0 to 7/);
  assert.match(await launchError({ program: memcpy, channel: 3, pl330: { channels: 2 } }), /'channel': 3 is beyond the 2 channels/);
  assert.match(await launchError({ program: memcpy, pl330: { dataWidth: 48 } }), /'pl330.dataWidth' must be 32, 64 or 128/);
  assert.match(await launchError({ program: memcpy, memory: [{ address: 'x' }] }), /'memory\[0\].address' must be an integer/);
  assert.match(await launchError({ program: memcpy, entry: '0x2000' }), /no channel program at 0x00002000/);
  const broken = programFile('broken.pl330', '.channel 0x1000\n    DMAMOV CCR, SB99\n    DMAEND\n');
  assert.match(await launchError({ program: broken }), /broken\.pl330:2:\d+: error: .*\[/);
});

test("a new user's slips in launch.json: each is one error naming the attribute, the adapter keeps running", async () => {
  const elf = join(root, 'examples', 'vfio-pl330', 'vfio-pl330');
  // A wrong type.
  assert.equal(await launchError({ program: 5 }), "'program' must name a .pl330 file or an ARM executable (got 5)");
  assert.equal((await launchError({ kernel: join(root, 'package.json'), cpus: 'two' })).split('\n')[1], "'cpus' must be an integer from 1 to 8 (got \"two\")");
  assert.equal(await launchError({ scenario: 3 }), `'scenario' must be one of ${Object.keys(SCENARIOS).join(', ')} (got 3)`);
  // A JSON example in a message keeps its braces (the client substitutes no variables in it).
  assert.match(await launchError({ program: memcpy, sourceMap: 'x' }), /: \{ "\/build\/linux-6\.1": "\$\{workspaceFolder\}\/linux-source-6\.1" \} \(got "x"\)$/);
  // An attribute of another kind of session, a misspelt one, one that is no attribute at all.
  assert.equal(await launchError({ program: memcpy, cpus: 2 }), "'cpus' is for a Linux kernel ('kernel'), not a PL330 program");
  assert.equal(await launchError({ program: memcpy, stopOnEntyr: true }), "'stopOnEntyr' is not a launch attribute; did you mean 'stopOnEntry'? ('dmalab dap --help' lists them)");
  assert.equal(await launchError({ program: memcpy, breakpoints: 'main' }), "'breakpoints' is not a launch attribute ('dmalab dap --help' lists them)");
  assert.equal((await launchError({ kernel: '/no/such/Image', workspace: '/tmp' })).split('\n')[1], "'workspace' is for an ARM executable, not a Linux kernel ('kernel')");
  // What a client adds to every configuration is not the adapter's to refuse.
  assert.equal(await launchError({ type: 'dmalab', request: 'launch', name: 'x', preLaunchTask: 'build', __sessionId: '1', program: '/no/such/file.pl330' }), "'program': /no/such/file.pl330: the directory /no/such does not exist");
  // A workspace that is not there, for an ARM executable.
  assert.equal(await launchError({ program: elf, workspace: '/no/such/dir' }), "'workspace': /no/such/dir: no such directory");
  // A scenario's device the platform lacks (the scenario drove the first DMAC instead); an executable for another CPU.
  assert.equal(await launchError({ scenario: 'vfio-test-case-1', device: 'nope.dma' }), "'device': no DMAC 'nope.dma' on this platform (have: 2c0a0000.dma, 2c0a1000.dma, 2c0a2000.dma, 2c0a3000.dma)");
  assert.equal(await launchError({ scenario: 'vfio-isolation', device: 'nope.dma' }), "'device': no DMAC 'nope.dma' on this platform (have: 2c0a0000.dma, 2c0a1000.dma, 2c0a2000.dma, 2c0a3000.dma)");
  assert.equal(await launchError({ program: process.execPath }), `'program': ${process.execPath}: not a 32-bit little-endian ELF file`);
  // The C source given for the executable built from it; a file that is not PL330 source lists 50 of its errors.
  const source = join(root, 'examples', 'vfio-pl330', 'vfio-pl330.c');
  assert.equal(await launchError({ program: source }), `'program': ${source}: C source, not a program: give the ARM executable built from it (arm-linux-gnueabihf-gcc -g)`);
  const prose = await launchError({ program: programFile('notes.txt', 'this is not a program;\n'.repeat(60)) });
  assert.match(prose, /^\S+notes\.txt: \d+ error\(s\):\n/);
  assert.equal(prose.split('\n').length, 1 + 50 + 1);
  assert.match(prose, /\n\.\.\. and \d+ more$/);
  // A platform with a syntax error: file:line:col, for each kind of session.
  const platform = programFile('syntax.dts', '/dts-v1/;\n/ {\n  foo = <1;\n};\n');
  const syntax = `'platform': ${platform}:3:11: error: syntax error: expected an integer, a character literal or a (parenthesised expression), found ';' [syntax]`;
  for (const args of [{ program: memcpy }, { program: elf }, { scenario: 'vfio-test-case-1' }]) assert.equal(await launchError({ ...args, platform }), syntax, JSON.stringify(args));
});

test('a kernel launch with several mistakes names them all in one error, in the order of the checks', async () => {
  const notKernel = join(root, 'package.json');
  const message = await launchError({
    kernel: notKernel, initrd: '/no/such/initrd.cpio.gz', dtb: '/no/such/board.dtb', cpus: 9, stopOnEntyr: true, append: 3,
  });
  const lines = message.split('\n');
  assert.match(lines[4], new RegExp(`^'kernel': ${notKernel}: not an ARM Linux kernel \\(.*\\): it starts with text: `));
  lines[4] = "'kernel': ...";
  assert.deepEqual(lines, [
    '6 problems in the launch configuration:',
    "'stopOnEntyr' is not a launch attribute; did you mean 'stopOnEntry'? ('dmalab dap --help' lists them)",
    "'append' must be the kernel command line, a string (got 3)",
    "'cpus' must be an integer from 1 to 8 (got 9)",
    "'kernel': ...",
    "'dtb': /no/such/board.dtb: the directory /no/such does not exist",
    "'initrd': /no/such/initrd.cpio.gz: the directory /no/such does not exist",
  ]);
  // One mistake alone is its own message, as before.
  assert.equal(await launchError({ kernel: notKernel, cpus: 2 }).then((m) => m.includes('\n')), false);
});

test("an ARM executable's 'sysroot': a dynamic program's loader missing from it and the workspace is the launch's error; given, it runs", { skip: toolchainAvailable(VARIANTS[0]) ? false : 'the armhf cross compiler is not installed' }, async () => {
  const program = compile(join(root, 'test', 'emulator', 'cpu', 'programs', 'strings.c'), { ...VARIANTS[0], name: 'armhf-dynamic', flags: ['-O2'] });
  const empty = mkdtempSync(join(tmpdir(), 'dmalab-sysroot-'));
  assert.equal(await launchError({ program, sysroot: empty, workspace: empty }),
    `'program': ${program}: dynamic executable: its loader /lib/ld-linux-armhf.so.3 is in neither the sysroot (${empty}/lib/ld-linux-armhf.so.3) nor the workspace (${empty}/lib/ld-linux-armhf.so.3); give the sysroot of an ARM libc (Debian's libc6-armhf-cross: "sysroot": "/usr/arm-linux-gnueabihf") or link with -static`);
  assert.equal(await launchError({ program, sysroot: join(empty, 'nope') }), `'sysroot': ${join(empty, 'nope')}: no such directory`);
  const dc = await client();
  try {
    const exited = dc.waitForEvent('exited');
    await launchToEnd(dc, { program, sysroot: '/usr/arm-linux-gnueabihf', workspace: empty });
    assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, runQemu(program, [], ['-L', '/usr/arm-linux-gnueabihf']).status);
  } finally {
    await dc.stop();
  }
});

test('an attach request is refused (a session runs its own machine), not answered as if attached to nothing', async () => {
  const dc = await client();
  try {
    await dc.initializeRequest({ adapterID: 'dmalab', pathFormat: 'path' });
    await assert.rejects(dc.attachRequest({ program: memcpy } as DebugProtocol.AttachRequestArguments), { message: 'a dmalab session is launched ("request": "launch"): there is no running machine to attach to' });
    assert.deepEqual((await dc.threadsRequest()).body.threads, []);
  } finally {
    await dc.stop();
  }
});

test('invalid requests get error responses; the session goes on', async () => {
  const dc = await client();
  try {
    const stop = await launch(dc, { program: memcpy, stopOnEntry: true });
    await assert.rejects(dc.stackTraceRequest({ threadId: 999 }), /no thread 999/);
    await assert.rejects(dc.customRequest('readMemory', { memoryReference: 'nowhere', count: 4 }), /'nowhere' is not an address/);
    await assert.rejects(dc.variablesRequest({ variablesReference: 4242 }), /no variables 4242/);
    await assert.rejects(dc.evaluateRequest({ expression: '1 +', frameId: stop.threadId, context: 'repl' }), /expected an expression/);
    await assert.rejects(dc.setExceptionBreakpointsRequest({ filters: ['nosuch'] }), /no event filter 'nosuch'/);
    await assert.rejects(dc.customRequest('launch', { program: memcpy }), /already launched/);
    const bps = await dc.setBreakpointsRequest({ source: { path: join(root, 'README.md') }, breakpoints: [{ line: 1 }] });
    assert.equal(bps.body.breakpoints[0].verified, false);
    const step = await after(dc, dc.nextRequest({ threadId: stop.threadId }));
    assert.equal(step.frame.line, 10);
  } finally {
    await dc.stop();
  }
});

test('dmalab dap speaks the same protocol over stdio', async () => {
  const wrapper = programFile('dmalab-dap.sh', `exec "${process.execPath}" "${join(root, 'dist', 'cli.js')}" dap\n`);
  const dc = await client('sh', wrapper);
  try {
    const stop = await launch(dc, { program: memcpy }, () => dc.setBreakpointsRequest({ source: { path: memcpy }, breakpoints: [{ line: 17 }] }));
    assert.equal(stop.frame.line, 17);
  } finally {
    await dc.stop();
  }
});

test('a runaway program pauses at maxCycles; pause stops a running program', async () => {
  const spin = programFile('spin.pl330', '.channel 0x1000\n    DMALPFE\n        DMANOP\n    DMALPEND\n    DMAEND\n');
  const dc = await client();
  try {
    const budget = await launch(dc, { program: spin, maxCycles: 5000 });
    assert.equal(budget.stop.body.reason, 'pause');
    assert.match(budget.stop.body.description!, /ran 5000 cycles without stopping/);
    assert.ok([3, 4].includes(budget.frame.line));
  } finally {
    await dc.stop();
  }
  const dc2 = await client();
  try {
    const entry = await launch(dc2, { program: spin, stopOnEntry: true });
    const paused = dc2.waitForEvent('stopped');
    await dc2.continueRequest({ threadId: entry.threadId });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await dc2.pauseRequest({ threadId: entry.threadId });
    const stop = (await paused) as DebugProtocol.StoppedEvent;
    assert.equal(stop.body.reason, 'pause');
    assert.equal(stop.body.description, undefined);
  } finally {
    await dc2.stop();
  }
});
