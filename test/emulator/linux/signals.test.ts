// Signals of the user-mode Linux against qemu-arm -cpu cortex-a15: each program prints what its handlers, masks,
// interrupted waits and threads see, compiled as armhf Thumb-2, armhf ARM and armel; dmalab's output and exit status
// (128 + the signal that ended it) must be qemu-arm's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, VARIANTS, compile, runDmalab, runQemu, toolchainAvailable } from '../../support/toolchain';

const QEMU_CPU = ['-cpu', 'cortex-a15'];
const source = (name: string) => join(ROOT, 'test', 'emulator', 'linux', 'signal-programs', name);

/** What each program covers, and the status that ends it (the signal its last step raises). */
const PROGRAMS = [
  { file: 'handlers.c', what: 'actions, masks, pending sets, nested frames, SA_RESETHAND/SA_NODEFER, ignored signals', status: 128 + 10 },
  { file: 'interrupts.c', what: 'timers ending waits with EINTR or restarting them (SA_RESTART), pause, sigsuspend, sigtimedwait, sigaltstack, registers kept', status: 128 + 14 },
  { file: 'threads.c', what: 'signals between threads, process-wide kill, sigwait', status: 128 + 15 },
  { file: 'faults.c', what: 'handled SIGSEGV and SIGILL, a handler moving the PC, abort() with a handler', status: 128 + 6 },
  { file: 'timers.c', what: 'POSIX timers (SIGEV_SIGNAL with its value, periodic, absolute, SIGEV_THREAD) and signalfd', status: 0 },
];

/**
 * Where qemu-arm is not Linux, the test follows Linux (the expected line is rewritten): for an undefined instruction
 * Linux's SIGILL has si_code ILL_ILLOPC (1), qemu-arm's ILL_ILLOPN (2); qemu-arm ignores sigaltstack's SS_AUTODISARM,
 * with which Linux has no alternate stack while a handler runs on it, and gives it back at rt_sigreturn.
 */
function asOnLinux(qemuOutput: string): string {
  return qemuOutput
    .replace('undefined instruction: signal 4, si_code 2 (ILL_ILLOPC 1)', 'undefined instruction: signal 4, si_code 1 (ILL_ILLOPC 1)')
    .replace('SS_AUTODISARM: disabled in the handler: 0, on it: 1; after: autodisarm 0,', 'SS_AUTODISARM: disabled in the handler: 1, on it: 1; after: autodisarm 1,');
}

for (const variant of VARIANTS) {
  const skip = toolchainAvailable(variant) ? false : `${variant.compiler} or qemu-arm is not installed`;
  for (const { file, what, status } of PROGRAMS) {
    test(`signals: ${what} as on qemu-arm (${file}, ${variant.name})`, { skip }, () => {
      const program = compile(source(file), variant, ['-pthread']);
      const expected = runQemu(program, [], QEMU_CPU);
      const actual = runDmalab(program);
      assert.equal(expected.status, status, `qemu-arm's status: ${expected.stderr}`);
      assert.equal(actual.stdout, asOnLinux(expected.stdout));
      assert.equal(actual.status, status);
      if (status > 128) assert.match(actual.stderr, /^dmalab: .*: killed by SIG[A-Z0-9]+ \(/);
      else assert.equal(actual.stderr, '');
    });
  }
}
