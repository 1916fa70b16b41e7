// Debian's kernel to /init on dmalab's system machine and on `qemu-system-arm -M vexpress-a15`, in the same run:
// the same kernel (the Image inside fetch.sh's armmp-lpae zImage), the same devicetree (bench/boot/vexpress-a15.dts,
// what both boards have), the same command line and an initramfs whose static /init prints one line and powers off.
// The finish line is that line on the console: QEMU's board has no power-off the devicetree could describe, so QEMU
// is killed when it appears and dmalab stops there. Wall and CPU time (the cores may be shared), best of BOOT_RUNS
// (default 3 for QEMU, 1 for dmalab, whose boot takes the longer). `BOOT_ZIMAGE=1` adds the zImage itself (fetch.sh's
// vmlinuz, loaded as it is by both): its decompressor runs 2 G instructions before the same kernel starts, so the row
// takes the longer and is opt-in.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import { platformFromDtb } from '../emulator/machine/from-dtb';
import { bootKernel, imageTextOffset } from '../emulator/machine/linux-boot';
import { SystemMachine } from '../emulator/machine/system';
import { loadPlatformDtb } from '../scenarios/platform';
import { ROOT, compile } from '../test/support/toolchain';

const GUEST = join(ROOT, '.cache', 'guest', 'boot');
const IMAGE = join(GUEST, 'Image');
const ZIMAGE = join(GUEST, 'vmlinuz');
const DTS = join(ROOT, 'bench', 'boot', 'vexpress-a15.dts');
const FINISH = 'dmalab-bench: /init reached';
const BOOTARGS = 'console=ttyAMA0 cryptomgr.notests=1';
const RAM_BASE = 0x80000000;
const runs = Number(process.env.BOOT_RUNS ?? 0);
const withZImage = process.env.BOOT_ZIMAGE === '1';

/** A newc cpio archive of /dev, /dev/console (so the kernel gives /init its console) and /init. */
function initramfs(init: Uint8Array): Uint8Array {
  const parts: Buffer[] = [];
  let ino = 1;
  const entry = (name: string, mode: number, data: Uint8Array = new Uint8Array(0), rdev: [number, number] = [0, 0]): void => {
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], name.length + 1, 0];
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}${name}\0`, 'latin1');
    const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
    parts.push(header, pad(header.length), Buffer.from(data), pad(data.length));
  };
  entry('dev', 0o040755);
  entry('dev/console', 0o020600, undefined, [5, 1]);
  entry('init', 0o100755, init);
  entry('TRAILER!!!', 0);
  return gzipSync(Buffer.concat(parts));
}

/** A legacy U-Boot image header around the Image: QEMU's `-kernel` loads it at its TEXT_OFFSET (a raw Image would
 * go to RAM + 0x10000, where an Image built for 0x208000 cannot find its physical offset) and boots it as Linux. */
function uImage(image: Uint8Array, load: number): Uint8Array {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x27051956, 0);
  header.writeUInt32BE(image.length, 12);
  header.writeUInt32BE(load, 16);
  header.writeUInt32BE(load, 20);
  header.writeUInt32BE(crc32(image), 24);
  header.writeUInt8(5, 28); // OS: Linux
  header.writeUInt8(2, 29); // architecture: ARM
  header.writeUInt8(2, 30); // type: kernel
  header.write('Debian armmp-lpae Image', 32, 'latin1');
  header.writeUInt32BE(crc32(header), 4);
  return Buffer.concat([header, image]);
}

interface Timing {
  readonly seconds: number;
  /** CPU seconds (user + system, every thread): the fairer figure when other work shares the cores. */
  readonly cpuSeconds: number;
}

/** CPU seconds a running process has used so far (all its threads), from /proc. */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  // After the command name: utime and stime are fields 14 and 15 (in clock ticks, 100 Hz).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** QEMU from its start to the finish line on its console. */
function qemuBoot(kernel: string, initrd: string, dtb: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('qemu-system-arm', ['-M', 'vexpress-a15', '-m', '256M', '-nodefaults', '-display', 'none', '-serial', 'stdio',
      '-no-reboot', '-kernel', kernel, '-initrd', initrd, '-dtb', dtb, '-append', BOOTARGS], { stdio: ['ignore', 'pipe', 'ignore'] });
    let console = '';
    let seconds = 0;
    let cpuSeconds = 0;
    child.stdout.on('data', (data: Buffer) => {
      console += data.toString('latin1');
      if (seconds === 0 && console.includes(FINISH)) {
        seconds = Number(process.hrtime.bigint() - started) / 1e9;
        cpuSeconds = processCpuSeconds(child.pid!);
        child.kill('SIGKILL');
      }
    });
    const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', () => {
      clearTimeout(limit);
      if (seconds > 0) resolve({ seconds, cpuSeconds });
      else reject(new Error(`qemu-system-arm did not reach /init:\n${console.slice(-2000)}`));
    });
  });
}

/** dmalab's machine from the devicetree to the finish line, and the instructions it retired. */
function dmalabBoot(kernel: Uint8Array, initrd: Uint8Array, dtb: Uint8Array): Timing & { instructions: number } {
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let console = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { console += String.fromCharCode(byte); } });
  bootKernel(system, { kernel, dtb, initrd, bootargs: BOOTARGS });
  // In steps of 10 ms of guest time, up to 10 s of it.
  for (let step = 0; step < 1000 && !console.includes(FINISH); step++) {
    const outcome = system.run(10_000_000);
    if (outcome.kind !== 'time-limit' && !console.includes(FINISH)) throw new Error(`dmalab stopped before /init: ${JSON.stringify(outcome)}\n${console.slice(-2000)}`);
  }
  if (!console.includes(FINISH)) throw new Error(`dmalab did not reach /init in 10 s of guest time:\n${console.slice(-2000)}`);
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6, instructions: system.cpus[0].retired };
}

async function main(): Promise<void> {
  const qemu = spawnSync('qemu-system-arm', ['--version']).status === 0;
  if (!existsSync(IMAGE) || !qemu) {
    console.log(`skipped: ${existsSync(IMAGE) ? 'qemu-system-arm missing' : `${IMAGE} missing (examples/guest/fetch.sh)`}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'dmalab-boot-bench-'));
  try {
    const init = readFileSync(compile(join(ROOT, 'bench', 'boot', 'init.c'), { name: 'init', compiler: 'arm-linux-gnueabihf-gcc', flags: ['-O2', '-static'] }));
    const initrd = initramfs(init);
    const dtb = loadPlatformDtb(DTS);
    writeFileSync(join(dir, 'initrd'), initrd);
    writeFileSync(join(dir, 'dtb'), dtb);
    const image = new Uint8Array(readFileSync(IMAGE));
    writeFileSync(join(dir, 'uImage'), uImage(image, RAM_BASE + imageTextOffset(image)));
    const rows: [string, string, Uint8Array][] = [['Image', join(dir, 'uImage'), image]];
    if (withZImage) {
      if (existsSync(ZIMAGE)) rows.push(['zImage', ZIMAGE, new Uint8Array(readFileSync(ZIMAGE))]);
      else console.log(`zImage row skipped: ${ZIMAGE} missing (examples/guest/fetch.sh)`);
    }
    console.log(`wall time from start to /init's line, best of ${runs || 3} (QEMU) and ${runs || 1} (dmalab); load average ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
    for (const [name, qemuKernel, kernel] of rows) {
      let qemu: Timing = { seconds: Infinity, cpuSeconds: Infinity };
      for (let i = 0; i < (runs || 3); i++) {
        const run = await qemuBoot(qemuKernel, join(dir, 'initrd'), join(dir, 'dtb'));
        if (run.seconds < qemu.seconds) qemu = run;
      }
      let best: Timing & { instructions: number } = { seconds: Infinity, cpuSeconds: Infinity, instructions: 0 };
      for (let i = 0; i < (runs || 1); i++) {
        const run = dmalabBoot(kernel, initrd, dtb);
        if (run.seconds < best.seconds) best = run;
      }
      console.log(`Debian 6.1 armmp-lpae ${name} to /init: dmalab ${best.seconds.toFixed(2)} s (CPU ${best.cpuSeconds.toFixed(2)} s; ` +
        `${(best.instructions / 1e9).toFixed(3)} G instructions, ${(best.instructions / best.seconds / 1e6).toFixed(1)} MIPS with the MMU on, ` +
        `${(best.instructions / best.cpuSeconds / 1e6).toFixed(1)} per CPU second); ` +
        `qemu-system-arm -M vexpress-a15 ${qemu.seconds.toFixed(2)} s (CPU ${qemu.cpuSeconds.toFixed(2)} s); ` +
        `dmalab/qemu ${(best.seconds / qemu.seconds).toFixed(1)}x wall, ${(best.cpuSeconds / qemu.cpuSeconds).toFixed(1)}x CPU (target <= 3x)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
