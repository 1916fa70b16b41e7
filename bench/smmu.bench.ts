// SMMU cost: translations per second on TLB hits and misses, and a DMA-330 copy through the MMU-400 (VFIO mapping)
// compared with the same copy on a machine whose DMAC reaches memory directly.
import { Bus } from '../emulator/bus/bus';
import { Machine } from '../emulator/machine/machine';
import { debugGo, issueDebug } from '../emulator/pl330/debug';
import { StepLog, allocate, bindToVfio, bootHost, mapDma, openVfioDevice } from '../scenarios/vfio-session';
import { copyMicrocode } from '../scenarios/vfio-test-case-1';
import { MMU400_CONFIG } from '../emulator/smmu/config';
import { Smmu } from '../emulator/smmu/smmu';
import { VFIO_DMA_MAP_FLAGS } from '../emulator/vfio/uapi';
import { loadPlatform } from '../scenarios/platform';

function timed(label: string, count: number, unit: string, body: () => void): void {
  const start = process.hrtime.bigint();
  body();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label}: ${(count / seconds / 1e6).toFixed(2)} M${unit}/s (${(seconds * 1000).toFixed(1)} ms)`);
}

// Raw translations: one stage-1 bank, a 2 MiB region of 4 KiB pages.
const bus = new Bus();
bus.addRam(0, 2 ** 32);
const smmu = new Smmu(MMU400_CONFIG, bus);
const w = (off: number, v: number) => smmu.write(off, 4, v);
w(0x800, 0x80000001); // SMR0: stream 1
w(0xc00, 0); // S2CR0: translate via bank 0
w(0x1000, 1 << 16); // CBAR0: stage 1
const cb = 8 * 4096;
w(cb + 0x30, 0x80000000);
w(cb + 0x20, 0x100000);
w(cb + 0x00, 0x61);
w(0, 0x436);
bus.memory.write(0x100000, 4, 0x101003);
bus.memory.write(0x101000, 4, 0x102003);
for (let i = 0; i < 512; i++) bus.memory.write(0x102000 + i * 8, 4, (0x80000000 + i * 4096 + 0x443) >>> 0);
const master = { name: 'dma', streamId: 1 };
const N = 2_000_000;
let sink = 0;
timed('TLB hits', N, 'translations', () => {
  for (let i = 0; i < N; i++) sink += smmu.translate(master, (i & 511) * 4096, false, false);
});
timed('TLB misses (walk every time)', N / 10, 'translations', () => {
  for (let i = 0; i < N / 10; i++) {
    w(cb + 0x618, 0); // TLBIALL
    sink += smmu.translate(master, (i & 511) * 4096, false, false);
  }
});

// 1 MiB DMA copies through VFIO mappings (TLB hits after the first round), and without an SMMU; warmed up first.
const BYTES = 1024 * 1024;
const ROUNDS = 64;
const WARM_UP = 16;
const guide = loadPlatform();
const machine = new Machine(guide);
const log = new StepLog(() => {});
const { kernel, proc } = bootHost(machine, log);
const s = openVfioDevice(kernel, proc, '2c0a0000.dma', bindToVfio(kernel, proc, '2c0a0000.dma', log), log);
const src = allocate(s, BYTES, log), dst = allocate(s, BYTES, log), code = allocate(s, 4096, log);
mapDma(s, src, 0x10000000, BYTES, VFIO_DMA_MAP_FLAGS.READ);
mapDma(s, dst, 0x20000000, BYTES, VFIO_DMA_MAP_FLAGS.READ | VFIO_DMA_MAP_FLAGS.WRITE);
mapDma(s, code, 0x30000000, 4096, VFIO_DMA_MAP_FLAGS.READ);
proc.writeMemory(code, copyMicrocode(0x10000000, 0x20000000, BYTES));
const pattern = Uint8Array.from({ length: BYTES }, (_, i) => (i * 13 + 7) & 0xff);
proc.writeMemory(src, pattern);
const dmac = machine.dmacs[0].device;
const copies = (run: () => void, rounds: number) => () => {
  for (let r = 0; r < rounds; r++) run();
};
const throughSmmu = () => {
  issueDebug(dmac, debugGo(0, 0x30000000));
  machine.run({ maxCycles: 1e9 });
};
copies(throughSmmu, WARM_UP)();
timed(`DMA copy through the MMU-400 (${ROUNDS} x ${BYTES / 1024} KiB)`, ROUNDS * BYTES, 'B', copies(throughSmmu, ROUNDS));
if (Buffer.compare(proc.readMemory(dst, BYTES)!, pattern) !== 0 || dmac.register('CSR0') !== 0) throw new Error('the copy through the MMU-400 is wrong');
const plain = new Machine({ ...guide, smmus: [], dmacs: guide.dmacs.map((d) => ({ ...d, iommu: undefined })) });
const code2 = copyMicrocode(0x91000000, 0x92000000, BYTES);
plain.bus.physicalWrite(0x90000000, code2, 0, code2.length);
plain.bus.physicalWrite(0x91000000, pattern, 0, BYTES);
const direct = () => {
  issueDebug(plain.dmacs[0].device, debugGo(0, 0x90000000));
  plain.run({ maxCycles: 1e9 });
};
copies(direct, WARM_UP)();
timed(`DMA copy without an SMMU (${ROUNDS} x ${BYTES / 1024} KiB)`, ROUNDS * BYTES, 'B', copies(direct, ROUNDS));
const copied = new Uint8Array(BYTES);
plain.bus.physicalRead(0x92000000, copied, 0, BYTES);
if (Buffer.compare(copied, pattern) !== 0) throw new Error('the copy without an SMMU is wrong');
if (sink === 0.5) console.log(sink);
