// The Linux user environment around the CPU: crash reports in words, and device files (the hook the VFIO model
// uses): ioctl, mmap of device registers on the bus, an eventfd the device signals while the process waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bus, type MmioDevice } from '../../../emulator/bus/bus';
import { rangeFrames } from '../../../emulator/linux/address-space';
import { parseElf } from '../../../emulator/linux/elf';
import { EBADF, EINVAL } from '../../../emulator/linux/errno';
import { EventFd, type DeviceFiles, type OpenFile } from '../../../emulator/linux/files';
import { LinuxProcess } from '../../../emulator/linux/process';
import { AT_HWCAP_VALUE, HWCAP } from '../../../emulator/linux/process';
import { Workspace } from '../../../emulator/linux/workspace';
import { objdumpAvailable, objdumpInstructions } from '../../support/objdump';
import { ROOT, VARIANTS, compile, runDmalab, runQemu, toolchainAvailable } from '../../support/toolchain';

const armhf = VARIANTS[0];
const skip = toolchainAvailable(armhf) ? false : 'the armhf cross compiler or qemu-arm is not installed';
const source = (name: string) => join(ROOT, 'test', 'emulator', 'linux', 'env-programs', name);

test('an undefined instruction stops the program with the PC, the instruction and the registers', { skip }, () => {
  const program = compile(source('faults.c'), armhf);
  const actual = runDmalab(program, ['undefined']);
  assert.equal(actual.stdout, 'fault: undefined\n');
  assert.match(actual.stderr, /undefined instruction 0x[0-9a-f]{4} at 0x[0-9a-f]{8} \(Thumb state\): permanently undefined/);
  assert.match(actual.stderr, / r0=0x[0-9a-f]{8} .* sp=0x[0-9a-f]{8} .* pc=0x[0-9a-f]{8}\ncpsr=0x[0-9a-f]{8} \(N=\d Z=\d C=\d V=\d, Thumb state\)/s);
  assert.equal(actual.status, runQemu(program, ['undefined']).status, 'SIGILL, as on qemu-arm');
  // The reported address holds the reported instruction.
  const [, encoding, address] = /undefined instruction 0x([0-9a-f]+) at 0x([0-9a-f]+)/.exec(actual.stderr)!;
  assert.equal(instructionAt(program, parseInt(address, 16)), parseInt(encoding, 16));
  assertReportedInstructionIsObjdumps(program, actual.stderr);
});

/** The report's `instruction at pc:` line reads as objdump's text of the instruction at the reported PC. */
function assertReportedInstructionIsObjdumps(program: string, report: string): void {
  if (!objdumpAvailable()) return;
  const [, pc] = / pc=0x([0-9a-f]{8})/.exec(report)!;
  const [, text] = /\ninstruction at pc: (.*)/.exec(report)!;
  assert.equal(text, objdumpInstructions(program).get(parseInt(pc, 16)));
}

/** The halfword at a virtual address of an executable, read from its file. */
function instructionAt(program: string, address: number): number {
  const bytes = readFileSync(program);
  const segment = parseElf(bytes).headers.find((h) => h.type === 1 && address >= h.vaddr && address < h.vaddr + h.filesz)!;
  return bytes.readUInt16LE(segment.offset + (address - segment.vaddr));
}

test('a bad memory access names the access and the address', { skip }, () => {
  const program = compile(source('faults.c'), armhf);
  const actual = runDmalab(program, ['memory']);
  assert.match(actual.stderr, /bad memory access at 0x[0-9a-f]{8} \(Thumb state\): write of 0x00000010: no mapping at this address/);
  assert.match(actual.stderr, /\ninstruction at pc: str/);
  assertReportedInstructionIsObjdumps(program, actual.stderr);
  assert.equal(actual.status, runQemu(program, ['memory']).status, 'SIGSEGV, as on qemu-arm');
});

test('with strict system calls, an unimplemented one stops the program with its name', { skip }, () => {
  const program = compile(source('faults.c'), armhf);
  const actual = runDmalab(program, ['syscall'], '', { strictSyscalls: true });
  assert.match(actual.stderr, /unknown system call inotify_init1 \(number 360\)/);
  assert.equal(actual.status, 128 + 31);
});

test('stdin reaches the program; end of input reads as end of file', { skip }, () => {
  const actual = runDmalab(compile(source('upper.c'), armhf), [], 'hello\nworld\n');
  assert.equal(actual.stdout, 'HELLO\nWORLD\n[12]\n');
});

test('directories: mkdir, then readdir lists the workspace entries with their types', { skip }, () => {
  const actual = runDmalab(compile(source('listdir.c'), armhf));
  assert.equal(actual.stdout, '../\n./\na.txt\nb.txt\nsub/\n');
  assert.equal(actual.status, 0);
});

test('a dynamically linked program runs with the loader and libraries of the cross sysroot', { skip }, () => {
  const program = compile(join(ROOT, 'test', 'emulator', 'cpu', 'programs', 'strings.c'), { ...armhf, name: 'armhf-dynamic', flags: ['-O2'] });
  const expected = runQemu(program, [], ['-L', '/usr/arm-linux-gnueabihf']);
  const actual = runDmalab(program);
  assert.equal(actual.stderr, '');
  assert.equal(actual.stdout, expected.stdout);
  assert.equal(actual.status, expected.status);
});

/** A register file on the bus that signals a registered eventfd when started (write 1 to register 0). */
class TestDevice implements MmioDevice {
  readonly name = 'test-device';
  readonly registers = new Uint32Array(4).fill(0xa5a5a5a5);
  read(offset: number): number {
    return this.registers[offset >> 2];
  }
  write(offset: number, _size: number, value: number): void {
    this.registers[offset >> 2] = value;
  }
}

test('device files: ioctl, a new descriptor, mmap of device registers, DMA into a pinned buffer, an eventfd wait', { skip }, () => {
  const program = compile(source('device.c'), armhf);
  const bus = new Bus();
  bus.addRam(0x80000000, 0x10000000);
  const frames = rangeFrames(bus.memory, 0x80000000, 0x10000000);
  const device = new TestDevice();
  const DEVICE_BASE = 0x2c0a0000;
  bus.addDevice(DEVICE_BASE, 0x1000, device);
  let irq: EventFd | undefined;
  let dmaTarget = -1;
  let waits = 0;
  const testFile = (name: string): OpenFile => ({
    name,
    flags: 2,
    stat: () => ({ mode: 0o020600, size: 0, inode: 1 }),
    ioctl(request, arg, kernel) {
      switch (request) {
        case 0x3b64: return name === 'child' ? 9 : 7;
        case 0x3b6a: return kernel.installFile(testFile(kernel.readString(arg) ?? ''));
        case 0x3b71: {
          const page = kernel.pageOf(arg);
          dmaTarget = page ? page.physical + (arg & 0xfff) : -1;
          return page ? 0 : -EINVAL;
        }
        case 0x3b6e: {
          const file = kernel.file(arg);
          if (!(file instanceof EventFd)) return -EBADF;
          irq = file;
          return 0;
        }
        default: return -EINVAL;
      }
    },
    mmap: (_length, _prot, _flags, offset) => ({ physical: DEVICE_BASE + offset, io: true }),
  });
  const devices: DeviceFiles = { open: (path) => (path === '/dev/dmalab-test' ? testFile(path) : undefined) };
  let stdout = '';
  const proc = new LinuxProcess(readFileSync(program), {
    bus, frames, devices, workspace: new Workspace(ROOT), argv: ['/device'], env: [],
    stdout: (d) => { stdout += Buffer.from(d).toString(); }, stderr: (d) => { stdout += Buffer.from(d).toString(); },
    // The device acts when the process waits: the timeline's wait runs it.
    timeline: {
      now: 0,
      cpuPeriod: 1000,
      advanceTo() {},
      waitUntil(ready) {
        waits++;
        if (!irq || device.registers[0] !== 1 || dmaTarget < 0) return 'idle';
        const message = Buffer.from('written by DMA\0');
        bus.physicalWrite(dmaTarget, message, 0, message.length);
        device.registers[0] = 2;
        irq.signal(3n);
        return ready() ? 'ready' : 'idle';
      },
    },
  });
  const outcome = proc.run(5e7);
  assert.deepEqual(outcome, { kind: 'exit', status: 0 }, stdout);
  assert.equal(stdout, 'ioctl version 7\nchild descriptor 4 answers 9\nregister 1 reads 0x1234, register 2 reads 0xa5a5a5a5\n' +
    "read 8 count 3, register 0 now 0x2, buffer says 'written by DMA'\n");
  assert.equal(device.registers[1], 0x1234, 'the store went to the device on the bus');
  assert.ok(dmaTarget >= 0x80000000 && dmaTarget < 0x90000000, 'the pinned buffer is in the machine RAM');
  assert.equal(waits, 1, 'the read waited once for the device');
});

test('AT_HWCAP advertises VFPv3 and integer divide but not NEON, so glibc takes its VFP/integer paths', () => {
  assert.equal(AT_HWCAP_VALUE & 4096, 0);
  assert.equal(AT_HWCAP_VALUE & HWCAP.VFPv3, HWCAP.VFPv3);
  assert.equal(AT_HWCAP_VALUE & HWCAP.IDIVT, HWCAP.IDIVT);
});
