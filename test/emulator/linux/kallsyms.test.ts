// The symbols of Debian's kernels recovered from their own kallsyms tables: 6.1 (the tables' addresses before
// kallsyms_num_syms, kallsyms_seqs_of_names between the markers and the token table) and 6.12. Plausible means: sorted,
// the functions the debugger's tests break on are there, and the code at a function symbol is a function's start
// (an APCS/AAPCS prologue: push {..., lr} or mov ip, sp) for nearly every traced function, with the Image's first byte
// at PAGE_OFFSET + TEXT_OFFSET; and the booted 6.1 kernel's own /proc/kallsyms agrees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { KallsymsError, type KernelSymbol, parseSystemMap, readKallsyms } from '../../../emulator/linux/kallsyms';
import { platformFromDtb } from '../../../emulator/machine/from-dtb';
import { bootKernel, imageTextOffset } from '../../../emulator/machine/linux-boot';
import { SystemMachine } from '../../../emulator/machine/system';
import { loadPlatformDtb } from '../../../scenarios/platform';
import { ZIMAGE, ZIMAGE_612, imageOf, initramfsWith } from '../../support/debian-kernel';

/** Debian's armhf kernels split the address space 3G/1G. */
const PAGE_OFFSET = 0xc0000000;

function isPrologue(word: number): boolean {
  return word >>> 16 === 0xe92d || word === 0xe1a0c00d; // stmdb sp!, {...} / mov ip, sp
}

function checkPlausible(image: Uint8Array, symbols: readonly KernelSymbol[]): void {
  assert.ok(symbols.length > 30_000, `${symbols.length} symbols`);
  for (let i = 1; i < symbols.length; i++) assert.ok(symbols[i].address >= symbols[i - 1].address, `sorted at ${symbols[i].name}`);
  const byName = new Map(symbols.map((s) => [s.name, s]));
  const base = PAGE_OFFSET + imageTextOffset(image);
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const word = (address: number): number => view.getUint32(address - base, true);
  for (const name of ['start_kernel', 'pl330_start_thread', 'pl330_tx_submit', 'arm_smmu_device_probe', 'panic']) {
    const symbol = byName.get(name);
    assert.ok(symbol, `${name} is a symbol`);
    assert.match(symbol.type, /^[tT]$/, `${name} is text`);
    assert.ok(isPrologue(word(symbol.address)), `${name} at 0x${symbol.address.toString(16)} starts with a prologue (0x${word(symbol.address).toString(16)})`);
  }
  // Compiler-generated functions mostly start with a prologue; hand-written assembly and leaf functions need none.
  const functions = symbols.filter((s) => /^[tT]$/.test(s.type) && s.address >= base && s.address < base + image.length && !/^(__|\$)/.test(s.name));
  const prologues = functions.filter((s) => isPrologue(word(s.address))).length;
  assert.ok(prologues / functions.length > 0.6, `${prologues} of ${functions.length} functions start with a prologue`);
}

test("Debian's 6.1 armmp-lpae Image: every symbol from its kallsyms tables", { skip: !existsSync(ZIMAGE) && `${ZIMAGE} is missing` }, () => {
  const image = imageOf(readFileSync(ZIMAGE));
  const symbols = readKallsyms(image);
  checkPlausible(image, symbols);
});

test("the booted 6.1 kernel's /proc/kallsyms (printed by a script in the initramfs) gives the same addresses", { skip: !existsSync(ZIMAGE) && `${ZIMAGE} is missing`, timeout: 900_000 }, () => {
  const image = imageOf(readFileSync(ZIMAGE));
  const decoded = new Map(readKallsyms(image).map((s) => [s.name, s]));
  const names = ['start_kernel', 'pl330_start_thread', 'pl330_tx_submit', 'arm_smmu_device_probe', 'panic'];
  const dtb = loadPlatformDtb(undefined, () => {});
  let console = '';
  const system = new SystemMachine(platformFromDtb(dtb), { cpus: 1, console: (byte) => { console += String.fromCharCode(byte); } });
  const script = ['#!/bin/sh', `grep -E ' (${names.join('|')})$' /proc/kallsyms | sed 's/^/== /'`, 'poweroff -f', ''].join('\n');
  bootKernel(system, { kernel: image, dtb, initrd: initramfsWith({ test: script }), bootargs: 'console=ttyAMA0 cryptomgr.notests=1' });
  assert.equal(system.run(2_000_000_000).kind, 'off', console);
  const printed = [...console.matchAll(/^== ([0-9a-f]{8}) ([tT]) (\S+)\r?$/gm)];
  assert.deepEqual(printed.map((m) => m[3]).sort(), [...names].sort(), console);
  for (const [, address, type, name] of printed) {
    assert.equal(decoded.get(name)?.address, Number.parseInt(address, 16), name);
    assert.equal(decoded.get(name)?.type, type, name);
  }
});

test("Debian's 6.12 armmp-lpae Image: every symbol from its kallsyms tables", { skip: !existsSync(ZIMAGE_612) && `${ZIMAGE_612} is missing` }, () => {
  const image = imageOf(readFileSync(ZIMAGE_612));
  checkPlausible(image, readKallsyms(image));
});

test('an image without kallsyms tables is one clear error', () => {
  assert.throws(() => readKallsyms(new Uint8Array(1 << 16).fill(0x5a)), (e: Error) => e instanceof KallsymsError && /no kallsyms tables/.test(e.message));
});

test('a System.map: symbols sorted by address; a bad line named by file:line:col', () => {
  const symbols = parseSystemMap('c1400c40 T start_kernel\nc0a045ac t pl330_start_thread\n\n', 'map');
  assert.deepEqual(symbols.map((s) => [s.name, s.address, s.type]), [['pl330_start_thread', 0xc0a045ac, 't'], ['start_kernel', 0xc1400c40, 'T']]);
  assert.throws(() => parseSystemMap('c1400c40 T start_kernel\nnot a symbol\n', 'map'), (e: Error) => e instanceof KallsymsError && e.message.startsWith('map:2:1: not a System.map line'));
});
