// Whole-machine snapshots of Debian's 6.1 kernel booting on the guide's platform (150 ms of guest time, into its
// initcalls): what a snapshot and a restore cost against copying the RAM the kernel touched, the RAM a snapshot
// holds after 10 ms more (pages copied on write) against that RAM, and a run with a checkpoint every 1 ms against the
// same run without (the debugger's reverse execution). Times are CPU time.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAGE_SIZE } from '../emulator/bus/memory';
import { Checkpoints } from '../emulator/machine/checkpoints';
import { platformFromDtb } from '../emulator/machine/from-dtb';
import { bootKernel } from '../emulator/machine/linux-boot';
import { SystemMachine } from '../emulator/machine/system';
import { loadPlatformDtb } from '../scenarios/platform';
import { ROOT } from '../test/support/toolchain';

const BOOT = join(ROOT, '.cache', 'guest', 'boot');
const MS = 1_000_000;

/** CPU seconds (user + system) of `body`: the machine is shared, wall time is noisy. */
function seconds(body: () => void): number {
  const before = process.cpuUsage();
  body();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

if (!existsSync(join(BOOT, 'Image')) || !existsSync(join(BOOT, 'initramfs.cpio.gz'))) {
  console.log(`skipped: ${BOOT}/Image or initramfs.cpio.gz missing (examples/guest/fetch.sh)`);
} else {
  const dtb = loadPlatformDtb(undefined, () => {});
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: () => {} });
  bootKernel(system, { kernel: readFileSync(join(BOOT, 'Image')), dtb, initrd: readFileSync(join(BOOT, 'initramfs.cpio.gz')), bootargs: 'console=ttyAMA0 cryptomgr.notests=1' });
  system.run(150 * MS);
  const memory = system.machine.bus.memory;
  const ramBytes = system.ram?.size ?? 0;
  const touched = memory.allocatedPages * PAGE_SIZE;
  const copy = new Uint8Array(touched);
  copy.fill(1); // its pages mapped before the copy is timed
  const copySeconds = seconds(() => { for (let i = 0; i < touched; i += PAGE_SIZE) copy.copyWithin(i, (i + PAGE_SIZE) % touched, ((i + PAGE_SIZE) % touched) + PAGE_SIZE); });
  const firstSeconds = seconds(() => system.snapshot());
  let snapshot = system.snapshot();
  const snapshotSeconds = seconds(() => { snapshot = system.snapshot(); });
  const restoreSeconds = seconds(() => system.restore(snapshot));
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const ms = (s: number) => `${(s * 1000).toFixed(2)} ms`;
  console.log(`RAM ${mib(ramBytes)}, ${mib(touched)} of it touched after 150 ms of boot; copying that: ${ms(copySeconds)}`);
  console.log(`snapshot: ${ms(snapshotSeconds)} (the first, which pages the RAM: ${ms(firstSeconds)}), ${(snapshotSeconds / copySeconds).toFixed(3)}x a copy of the touched RAM; ` +
    `restore: ${ms(restoreSeconds)}, ${(restoreSeconds / copySeconds).toFixed(3)}x`);

  // 10 ms on: the pages written since the snapshot are what it holds on its own.
  const plain = seconds(() => system.run(10 * MS));
  const held = memory.ownedPages * PAGE_SIZE;
  console.log(`a snapshot 10 ms later holds ${mib(held)} of its own (pages copied on write): ${(held / touched).toFixed(3)}x the touched RAM, ${(held / ramBytes).toFixed(4)}x the RAM`);

  // The same 10 ms again from the snapshot, with a checkpoint every 1 ms.
  system.restore(snapshot);
  const checkpoints = new Checkpoints(system, { interval: 1 * MS });
  const checkpointed = seconds(() => checkpoints.run(10 * MS));
  console.log(`10 ms with a checkpoint every 1 ms (${checkpoints.checkpoints.length} held, ${mib(checkpoints.bytes)}): ${(checkpointed / plain).toFixed(2)}x the time without (${ms(checkpointed)} vs ${ms(plain)})`);
  const retired = system.cpus[0].retired;
  const back = seconds(() => checkpoints.stepBack(0));
  if (system.cpus[0].retired !== retired - 1) throw new Error(`step back reached ${system.cpus[0].retired}, not ${retired - 1}`);
  console.log(`step back one instruction (restore the latest checkpoint, re-execute up to 1 ms): ${ms(back)}`);
}
