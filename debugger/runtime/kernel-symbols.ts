// A kernel's symbols as the debugger uses them: function breakpoints by name, frames and disassembly named
// `symbol+0xoffset`. They come from the user's System.map or vmlinux when the launch names one, else from the
// kernel image's own kallsyms tables.
import { FrameTable } from '../../emulator/elf/dwarf-frame';
import { isElf } from '../../emulator/linux/elf';
import { KallsymsError, type KernelSymbol, parseSystemMap, readKallsyms } from '../../emulator/linux/kallsyms';
import { isZImage } from '../../emulator/machine/linux-boot';
import type { KernelCode } from './kernel-unwind';
import { UserError } from './launch';

/** Past the last symbol, an address is still inside it up to this far (kallsyms gives no sizes). */
const LAST_SYMBOL_REACH = 0x10000;

export class KernelSymbols {
  /** Text symbols by address (ascending). */
  private readonly text: readonly KernelSymbol[];
  private readonly byName = new Map<string, number[]>();

  constructor(symbols: readonly KernelSymbol[], readonly origin: string) {
    // Of aliases (rest_init and __noinstr_text_end), the name with fewest leading underscores is found: it sorts last.
    const underscores = (name: string): number => /^_*/.exec(name)![0].length;
    this.text = symbols.filter((s) => /^[tTwW]$/.test(s.type)).sort((a, b) => a.address - b.address || underscores(b.name) - underscores(a.name));
    for (const s of symbols) {
      const list = this.byName.get(s.name) ?? [];
      if (!list.includes(s.address)) list.push(s.address);
      this.byName.set(s.name, list);
    }
  }

  /** No symbols (a zImage without `symbols`): only addresses. */
  static none(origin: string): KernelSymbols {
    return new KernelSymbols([], origin);
  }

  /**
   * From `symbols` (a System.map or an ELF vmlinux) when given, else the kernel image's kallsyms. A zImage's tables are
   * compressed inside it: without `symbols` its session has no names (`warn` says so).
   */
  static load(kernel: Uint8Array, kernelPath: string, symbols: { path: string; bytes: Uint8Array } | undefined, warn: (line: string) => void): KernelSymbols {
    try {
      if (symbols) {
        if (isElf(symbols.bytes)) {
          const table = new FrameTable(symbols.bytes);
          if (table.functions.length === 0) throw new UserError(`'symbols': ${symbols.path} has no function symbols (a stripped vmlinux?)`);
          return new KernelSymbols(elfSymbols(table), symbols.path);
        }
        return new KernelSymbols(parseSystemMap(Buffer.from(symbols.bytes).toString('latin1'), symbols.path), symbols.path);
      }
      if (isElf(kernel)) return new KernelSymbols(elfSymbols(new FrameTable(kernel)), kernelPath);
      if (isZImage(kernel)) {
        warn(`${kernelPath} is a zImage, whose kallsyms tables are compressed: no kernel symbols (give the decompressed Image, or 'symbols': a System.map or vmlinux)`);
        return KernelSymbols.none(kernelPath);
      }
      return new KernelSymbols(readKallsyms(kernel), `${kernelPath} (kallsyms)`);
    } catch (error) {
      if (error instanceof KallsymsError) throw new UserError(`'${symbols ? 'symbols' : 'kernel'}': ${error.message}`);
      throw error;
    }
  }

  get size(): number {
    return this.byName.size;
  }

  /** The start of every function, ascending. */
  functionAddresses(): number[] {
    return this.text.map((s) => s.address);
  }

  /** Every address named `name` (static functions of several files may share one). */
  addresses(name: string): readonly number[] {
    return this.byName.get(name) ?? [];
  }

  /** The function holding `address`, the offset into it and where the next one starts. */
  functionAt(address: number): { name: string; address: number; offset: number; end: number } | undefined {
    const text = this.text;
    let low = 0, high = text.length - 1, found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (text[mid].address <= address) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    if (found < 0) return undefined;
    const symbol = text[found];
    if (found === text.length - 1 && address - symbol.address >= LAST_SYMBOL_REACH) return undefined;
    const end = found + 1 < text.length ? text[found + 1].address : symbol.address + LAST_SYMBOL_REACH;
    return { name: symbol.name, address: symbol.address, offset: address - symbol.address, end };
  }

  /** `pl330_start_thread+0x1c`, or undefined outside every function. */
  describe(address: number): string | undefined {
    const f = this.functionAt(address >>> 0);
    return f && (f.offset === 0 ? f.name : `${f.name}+0x${f.offset.toString(16)}`);
  }

  /** A return address as a caller's frame names it (as Linux's backtraces do): in the function holding the call
   * before it, which may end there (a call to a function that does not return), at its offset from that function. */
  describeReturn(address: number): string | undefined {
    const f = this.functionAt((address - 1) >>> 0);
    return f && `${f.name}+0x${(address - f.address).toString(16)}`;
  }

  /** Where code is and where functions start, for the unwinding (without symbols: anywhere). */
  get code(): KernelCode {
    return { functionStart: (a) => this.functionAt(a)?.address, holds: (a) => this.text.length === 0 || this.functionAt(a) !== undefined };
  }

  /** Whether a function starts at `address` (the disassembly labels it). */
  startsAt(address: number): string | undefined {
    const f = this.functionAt(address >>> 0);
    return f && f.offset === 0 ? f.name : undefined;
  }
}

/** An ELF's functions (text) and data objects (`jiffies`: what data breakpoints and expressions name). */
function elfSymbols(table: FrameTable): KernelSymbol[] {
  return [...table.functions.map((f) => ({ name: f.name, type: 'T', address: f.start })), ...table.objects.map((o) => ({ name: o.name, type: 'D', address: o.address }))];
}
