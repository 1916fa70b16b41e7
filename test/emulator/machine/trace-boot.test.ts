// `dmalab boot --trace-out FILE`: Debian's 6.1 kernel (the Image and busybox initramfs of examples/guest/fetch.sh)
// boots on the VFIO_PLATFORM guide's platform with its DMA timeline streamed to a file. Checked against the
// trace-event format's rules and against the boot itself: Linux's AMBA bus reads each DMA-330's PrimeCell IDs and
// dma-pl330 its configuration registers, arm-smmu the MMU-400's ID registers, all on the cpu0 lane at the registers'
// addresses; the values read decode to what the drivers printed on the console, and each access's PC is a load
// (or a store) in the kernel's own code. Only the DMA devices' registers are on the lane (the default), and the
// platform-bus DMA-330, which no driver claims at boot, is never touched. A boot stopped by a signal leaves a
// complete file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fieldValue } from '../../../emulator/bus/registers';
import { CPU_PID } from '../../../emulator/machine/trace';
import { CR0_FIELDS, PL330_REGISTER_MAP } from '../../../emulator/pl330/registers';
import type { TraceDocument, TraceEvent } from '../../../emulator/trace/trace-events';
import { ROOT } from '../../support/toolchain';
import { formatProblems } from '../../support/trace-format';

const GUEST = join(ROOT, '.cache', 'guest', 'boot');
const IMAGE = join(GUEST, 'Image');
const INITRAMFS = join(GUEST, 'initramfs.cpio.gz');
const skip = existsSync(IMAGE) && existsSync(INITRAMFS) ? false : `${IMAGE} is missing (examples/guest/fetch.sh could not fetch Debian's kernel)`;
/** Where the Image runs: PAGE_OFFSET 0xc0000000 plus the 0x208000 text offset of Debian's multi-platform armmp kernels. */
const IMAGE_VIRTUAL = 0xc0208000;
const AMBA_DMACS = [0x2c0a1000, 0x2c0a2000, 0x2c0a3000];
const PLATFORM_DMAC = '2c0a0000.dma';
const SMMU = { name: '2b400000.iommu', base: 0x2b400000 };

/** ARM's single data transfer (LDR/STR/LDRB/STRB) and extra load/store (LDRH/STRH...) encodings: 'load', 'store' or
 * undefined for anything else. */
function transfer(word: number): 'load' | 'store' | undefined {
  const load = (word >>> 20) & 1 ? 'load' : 'store';
  if (((word >>> 26) & 3) === 1) return load;
  if (((word >>> 25) & 7) === 0 && (word & 0x90) === 0x90 && (word & 0x60) !== 0) return load;
  return undefined;
}

test("boot --trace-out: the 6.1 kernel's probes of the DMA-330s and the MMU-400 on the cpu0 lane, at their registers' addresses, with the values the drivers printed", { skip, timeout: 600_000 }, () => {
  const out = join(mkdtempSync(join(tmpdir(), 'dmalab-trace-boot-')), 'boot.json');
  // To a little past the drivers' probes and /init (about 0.53 s of guest time).
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'dmalab'), 'boot', '--kernel', IMAGE, '--initrd', INITRAMFS, '--append', 'console=ttyAMA0 cryptomgr.notests=1', '--cpus', '1', '--max-seconds', '0.56', '--trace-out', out], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 124, r.stderr);
  const console = r.stdout;
  assert.match(console, /Run \/init as init process/, console);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as TraceDocument;
  assert.deepEqual(formatProblems(doc), []);
  const events = doc.traceEvents.filter((e) => e.ph !== 'M');
  assert.deepEqual([doc.otherData.events, doc.otherData.dropped, Math.round(Number(doc.otherData.picoseconds) / 1e9)], [events.length, 0, 560]);
  const lanes = doc.traceEvents.filter((e) => e.name === 'thread_name' && e.pid === CPU_PID).map((e) => [e.tid, e.args!.name]);
  assert.deepEqual(lanes, [[1, 'cpu0']]);

  const accesses = doc.traceEvents.filter((e) => e.pid === CPU_PID && e.cat === 'register');
  assert.ok(accesses.every((e) => e.tid === 1 && e.ph === 'i'), 'every access on the cpu0 lane');
  assert.ok(accesses.every((e) => e.args!.device === SMMU.name || /^2c0a[1-3]000\.dma$/.test(String(e.args!.device))), 'only the DMA devices, and not the platform DMA-330');
  assert.ok(!accesses.some((e) => e.args!.device === PLATFORM_DMAC));
  for (let i = 1; i < accesses.length; i++) assert.ok(accesses[i].ts >= accesses[i - 1].ts, 'one CPU: in time order');

  // Each access's PC holds a load (a read) or a store (a write) of the kernel's own code.
  const image = readFileSync(IMAGE);
  for (const e of accesses) {
    const offset = Number(e.args!.pc) - IMAGE_VIRTUAL;
    assert.ok(offset >= 0 && offset + 4 <= image.length, `${e.name}: pc ${e.args!.pc} in the kernel`);
    assert.equal(transfer(image.readUInt32LE(offset)), e.name.startsWith('read') ? 'load' : 'store', `${e.name} at pc ${e.args!.pc}`);
  }

  const reads = (device: string, register: string): TraceEvent[] => accesses.filter((e) => e.args!.device === device && e.args!.register === register && e.name.startsWith('read'));
  const value = (e: TraceEvent): number => Number(e.args!.value);
  for (const base of AMBA_DMACS) {
    const device = `${base.toString(16)}.dma`;
    // The AMBA bus's identification: PERIPH_ID0-3 and PCELL_ID0-3 at 0xfe0-0xffc, one byte each.
    const id = (prefix: string) => [0, 1, 2, 3].reduce((word, n) => {
      const [read] = reads(device, `${prefix}_${n}`);
      assert.ok(read, `${device} ${prefix}_${n} read`);
      assert.equal(Number(read.args!.address), base + PL330_REGISTER_MAP.named(`${prefix}_${n}`)!.offset);
      return (word | (value(read) << (8 * n))) >>> 0;
    }, 0);
    assert.equal(id('pcell_id'), 0xb105f00d, `${device}: the PrimeCell ID`);
    assert.equal(id('periph_id') & 0xfffff, 0x41330, `${device}: ARM's part 0x330`);
    // dma-pl330's configuration reads: what it printed comes from them.
    for (const register of ['CRD', 'CR0', 'CR3', 'CR4']) {
      const read = reads(device, register)[0];
      assert.ok(read, `${device} ${register} read`);
      assert.equal(Number(read.args!.address), base + PL330_REGISTER_MAP.named(register)!.offset);
    }
    const cr0 = value(reads(device, 'CR0')[0]);
    const printed = new RegExp(`dma-pl330 ${device.replace('.', '\\.')}: \\tDBUFF-\\d+x\\d+bytes Num_Chans-(\\d+) Num_Peri-(\\d+) Num_Events-(\\d+)`).exec(console);
    assert.ok(printed, `${device}: the driver's summary\n${console}`);
    assert.deepEqual([fieldValue(cr0, CR0_FIELDS.num_chnls) + 1, fieldValue(cr0, CR0_FIELDS.num_periph_req) + 1, fieldValue(cr0, CR0_FIELDS.num_events) + 1], printed.slice(1).map(Number));
    assert.ok(reads(device, 'pcell_id_3')[0].ts < reads(device, 'CR0')[0].ts, 'the bus identifies the device before its driver probes');
  }

  // arm-smmu reads sIDR0-2; NUMSMRG (sIDR0[7:0]) and NUMCB (sIDR1[7:0]) are what it printed.
  for (const n of [0, 1, 2]) {
    const [read] = reads(SMMU.name, `sIDR${n}`);
    assert.ok(read, `sIDR${n} read`);
    assert.equal(Number(read.args!.address), SMMU.base + 0x20 + 4 * n);
  }
  const smrGroups = Number(/stream matching with (\d+) register groups/.exec(console)?.[1]);
  const contextBanks = Number(/(\d+) context banks/.exec(console)?.[1]);
  assert.deepEqual([value(reads(SMMU.name, 'sIDR0')[0]) & 0xff, value(reads(SMMU.name, 'sIDR1')[0]) & 0xff], [smrGroups, contextBanks]);
  // Then it gives each DMA-330's stream a context bank: CBn.SCTLR written with M (translation on).
  const sctlrWrites = accesses.filter((e) => /^CB\d\.SCTLR$/.test(String(e.args!.register)) && e.name.startsWith('write') && (value(e) & 1) === 1);
  assert.equal(new Set(sctlrWrites.map((e) => e.args!.register)).size, AMBA_DMACS.length);
});

test('boot --trace-out stopped by SIGTERM: dmalab ends the file, a valid trace up to the signal, and exits with 143', { skip, timeout: 120_000 }, async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'dmalab-trace-boot-')), 'stopped.json');
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'dmalab'), 'boot', '--kernel', IMAGE, '--initrd', INITRAMFS, '--cpus', '1', '--trace-out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Once the boot runs (the file begun), well before it ends.
  for (let i = 0; i < 200 && !(existsSync(out) && statSync(out).size > 0); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  child.kill('SIGTERM');
  assert.equal(await exited, 143, stderr);
  assert.match(stderr, /^dmalab boot: SIGTERM after \d+\.\d{3} s of guest time\n$/);
  const doc = JSON.parse(readFileSync(out, 'utf8')) as TraceDocument;
  assert.deepEqual(formatProblems(doc), []);
  const seconds = Number(/after (\S+) s/.exec(stderr)![1]);
  assert.ok(seconds > 0 && seconds < 0.3, `stopped early in the boot (${seconds} s)`);
  assert.equal(Math.round(Number(doc.otherData.picoseconds) / 1e9), Math.round(seconds * 1000));
});
