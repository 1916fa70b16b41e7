// QEMU's PL330 (xilinx-zynq-a9 machine, DMAC at 0xF8003000) driven through qtest with no CPU running: a real
// reference for the differential tests. Facts: ../shared/reference/qemu-and-toolchains.md §1.
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';

export const QEMU_PL330_BASE = 0xf8003000;
/** RAM of the machine: 128 MiB at 0. */
export const QEMU_RAM_SIZE = 0x08000000;
/** GIC SPI numbers of the DMAC's outputs on this machine: irq_abort and events 0..7. */
export const QEMU_SPI_ABORT = 13;
export const QEMU_SPI_EVENTS = [14, 15, 16, 17, 40, 41, 42, 43];
const GIC_PATH = '/machine/unattached/device[3]/gic';
const QEMU = 'qemu-system-arm';

export class QemuTimeout extends Error {}

/** Every QEMU still running; killed when the test process exits, however it exits. */
const running = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function qemuAvailable(): boolean {
  return spawnSync(QEMU, ['--version'], { encoding: 'utf8' }).status === 0;
}

/** One QEMU process speaking qtest on stdin/stdout. Always close() it (a test's `after` hook). */
export class QemuPl330 {
  /** SPI numbers raised since the last clearIrqs(), in order. */
  readonly irqEvents: { spi: number; level: boolean }[] = [];
  private buffer = '';
  private waiting: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.receive(chunk));
    child.stderr.resume(); // QEMU's warnings about unconnected NICs
    running.add(child);
    child.on('exit', () => {
      running.delete(child);
      this.exited = true;
      this.waiting?.reject(new Error('QEMU exited'));
      this.waiting = undefined;
    });
  }

  static async start(): Promise<QemuPl330> {
    const child = spawn(QEMU, ['-M', 'xilinx-zynq-a9', '-nodefaults', '-display', 'none', '-S', '-qtest', 'stdio', '-qtest-log', '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const q = new QemuPl330(child);
    // The first answer waits for QEMU to start, which on a loaded machine takes seconds.
    await q.command(`irq_intercept_in ${GIC_PATH}`, 60_000);
    return q;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const irq = /^IRQ (raise|lower) (\d+)$/.exec(line);
      if (irq) {
        this.irqEvents.push({ spi: Number(irq[2]), level: irq[1] === 'raise' });
        continue;
      }
      const w = this.waiting;
      this.waiting = undefined;
      w?.resolve(line);
    }
  }

  /** Sends one qtest command and returns its reply; a timeout kills QEMU (it spins forever in DMALPFE loops). */
  command(line: string, timeoutMs = 20_000): Promise<string> {
    if (this.exited) return Promise.reject(new Error('QEMU is not running'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.close();
        reject(new QemuTimeout(`QEMU did not answer '${line}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        resolve: (reply) => {
          clearTimeout(timer);
          if (reply.startsWith('OK')) resolve(reply);
          else reject(new Error(`qtest '${line}': ${reply}`));
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.child.stdin.write(line + '\n');
    });
  }

  async writel(address: number, value: number, timeoutMs?: number): Promise<void> {
    await this.command(`writel 0x${address.toString(16)} 0x${(value >>> 0).toString(16)}`, timeoutMs);
  }

  async readl(address: number): Promise<number> {
    const reply = await this.command(`readl 0x${address.toString(16)}`);
    return Number(BigInt(reply.slice(3)) & 0xffffffffn);
  }

  async writeBytes(address: number, bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; at += 4096) {
      const chunk = bytes.subarray(at, at + 4096);
      await this.command(`write 0x${(address + at).toString(16)} ${chunk.length} 0x${Buffer.from(chunk).toString('hex')}`);
    }
  }

  async readBytes(address: number, length: number): Promise<Uint8Array> {
    const reply = await this.command(`read 0x${address.toString(16)} ${length}`);
    return new Uint8Array(Buffer.from(reply.slice(5), 'hex'));
  }

  /** A DMAC register by offset. */
  reg(offset: number): Promise<number> {
    return this.readl(QEMU_PL330_BASE + offset);
  }

  setReg(offset: number, value: number, timeoutMs?: number): Promise<void> {
    return this.writel(QEMU_PL330_BASE + offset, value, timeoutMs);
  }

  get running(): boolean {
    return !this.exited;
  }

  close(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
