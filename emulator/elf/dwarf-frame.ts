// Call frame information (.debug_frame, DWARF 2 to 4 CIEs and FDEs) and the ELF symbol table: enough to unwind an
// ARM user-mode stack frame by frame and name each frame's function. Written from the DWARF 4 specification,
// section 6.4 (call frame information), and the ELF32 symbol table layout.
import { ExidxTable } from './arm-exidx';
import { Reader, cString, elfSections } from './dwarf-line';

/** How the caller's value of a register is found: saved at CFA + offset, or unchanged. */
interface RegisterRule {
  readonly offset: number;
}

interface Rules {
  cfaRegister: number;
  cfaOffset: number;
  saved: Map<number, RegisterRule>;
}

interface Cie {
  readonly codeAlign: number;
  readonly dataAlign: number;
  readonly returnRegister: number;
  readonly instructions: [number, number];
}

interface Fde {
  readonly start: number;
  readonly end: number;
  readonly cie: Cie;
  readonly instructions: [number, number];
}

export interface FunctionSymbol {
  readonly name: string;
  readonly start: number;
  readonly size: number;
}

const SP = 13;
const LR = 14;
const PC = 15;
const MAX_FRAMES = 64;

export class FrameTable {
  private readonly fdes: Fde[] = [];
  /** Function symbols by start address (aliases: the name with fewest leading underscores first). */
  readonly functions: FunctionSymbol[] = [];
  /** Addresses of named functions and data objects (globals, statics), for expressions. */
  private readonly addresses = new Map<string, number>();
  /** Data object symbols (STT_OBJECT: globals, statics), in the symbol table's order. */
  readonly objects: { readonly name: string; readonly address: number }[] = [];
  private readonly exidx: ExidxTable;

  constructor(private readonly elf: Uint8Array) {
    this.exidx = new ExidxTable(elf);
    const sections = elfSections(elf);
    const frame = sections.get('.debug_frame');
    if (frame) this.readFrames(frame.offset, frame.size);
    const symtab = sections.get('.symtab');
    const strtab = sections.get('.strtab');
    if (symtab && strtab) {
      const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
      for (let at = symtab.offset; at + 16 <= symtab.offset + symtab.size; at += 16) {
        const type = elf[at + 12] & 0xf;
        if (type !== 1 && type !== 2) continue; // STT_OBJECT, STT_FUNC
        const name = cString(elf, strtab.offset + view.getUint32(at, true));
        const start = (view.getUint32(at + 4, true) & ~(type === 2 ? 1 : 0)) >>> 0; // bit 0 marks Thumb code
        if (name !== '' && !this.addresses.has(name)) this.addresses.set(name, start);
        if (type === 2) this.functions.push({ name, start, size: view.getUint32(at + 8, true) });
        else if (name !== '') this.objects.push({ name, address: start });
      }
      // Aliases share an address (printf, _IO_printf): the name with fewest leading underscores comes first.
      const underscores = (name: string): number => /^_*/.exec(name)![0].length;
      this.functions.sort((a, b) => a.start - b.start || underscores(a.name) - underscores(b.name));
    }
  }

  private readFrames(offset: number, size: number): void {
    const end = offset + size;
    const cies = new Map<number, Cie>();
    const r = new Reader(this.elf, offset, end);
    const pending: { cieOffset: number; start: number; range: number; instructions: [number, number] }[] = [];
    while (r.at + 4 <= end) {
      const entry = r.at;
      const length = r.u32();
      if (length === 0) continue;
      if (length >= 0xfffffff0) return; // 64-bit DWARF: not produced for 32-bit ARM
      const next = r.at + length;
      const id = r.u32();
      if (id === 0xffffffff) {
        const version = r.u8();
        const augmentation = r.string();
        if (augmentation !== '') {
          r.at = next; // vendor augmentations change the layout: such CIEs are skipped
          continue;
        }
        if (version >= 4) r.skip(2);
        const codeAlign = r.uleb();
        const dataAlign = r.sleb();
        const returnRegister = version === 1 ? r.u8() : r.uleb();
        cies.set(entry - offset, { codeAlign, dataAlign, returnRegister, instructions: [r.at, next] });
      } else {
        const start = r.u32();
        const range = r.u32();
        pending.push({ cieOffset: id, start, range, instructions: [r.at, next] });
      }
      r.at = next;
    }
    for (const p of pending) {
      const cie = cies.get(p.cieOffset);
      if (cie) this.fdes.push({ start: p.start, end: p.start + p.range, cie, instructions: p.instructions });
    }
  }

  /** The address of a function or data object by its symbol name. */
  symbol(name: string): number | undefined {
    return this.addresses.get(name);
  }

  /** The function whose code holds `address`. */
  functionAt(address: number): FunctionSymbol | undefined {
    let found: FunctionSymbol | undefined;
    for (const f of this.functions) {
      if (f.start > address) break;
      if (address < f.start + Math.max(f.size, 1) && (found === undefined || f.start > found.start)) found = f;
    }
    return found;
  }

  /** The CFA rule and saved registers at `pc`, or undefined where no FDE covers it or a rule is not supported. */
  private rulesAt(pc: number): Rules | undefined {
    const fde = this.fdes.find((f) => pc >= f.start && pc < f.end);
    if (!fde) return undefined;
    const rules: Rules = { cfaRegister: SP, cfaOffset: 0, saved: new Map() };
    if (!this.execute(fde.cie.instructions, fde.cie, rules, undefined, Infinity, pc)) return undefined;
    const initial = new Map(rules.saved);
    if (!this.execute(fde.instructions, fde.cie, rules, initial, fde.start, pc)) return undefined;
    return rules;
  }

  /** Runs CFA instructions until the location passes `pc`; false on an instruction this unwinder does not do. */
  private execute(range: [number, number], cie: Cie, rules: Rules, initial: Map<number, RegisterRule> | undefined, location: number, pc: number): boolean {
    const r = new Reader(this.elf, range[0], range[1]);
    const stack: Rules[] = [];
    const advance = (delta: number): boolean => {
      location += delta * cie.codeAlign;
      return location > pc;
    };
    while (!r.done) {
      const op = r.u8();
      const high = op & 0xc0;
      const low = op & 0x3f;
      if (high === 0x40) {
        if (advance(low)) return true;
        continue;
      }
      if (high === 0x80) {
        rules.saved.set(low, { offset: r.uleb() * cie.dataAlign });
        continue;
      }
      if (high === 0xc0) {
        restore(rules, initial, low);
        continue;
      }
      switch (op) {
        case 0x00: break;
        case 0x01: location = r.u32(); if (location > pc) return true; break;
        case 0x02: if (advance(r.u8())) return true; break;
        case 0x03: if (advance(r.u16())) return true; break;
        case 0x04: if (advance(r.u32())) return true; break;
        case 0x05: rules.saved.set(r.uleb(), { offset: r.uleb() * cie.dataAlign }); break;
        case 0x06: restore(rules, initial, r.uleb()); break;
        case 0x07: case 0x08: rules.saved.delete(r.uleb()); break;
        case 0x0a: stack.push({ ...rules, saved: new Map(rules.saved) }); break;
        case 0x0b: { const saved = stack.pop(); if (saved) Object.assign(rules, saved); break; }
        case 0x0c: rules.cfaRegister = r.uleb(); rules.cfaOffset = r.uleb(); break;
        case 0x0d: rules.cfaRegister = r.uleb(); break;
        case 0x0e: rules.cfaOffset = r.uleb(); break;
        case 0x11: rules.saved.set(r.uleb(), { offset: r.sleb() * cie.dataAlign }); break;
        case 0x12: rules.cfaRegister = r.uleb(); rules.cfaOffset = r.sleb() * cie.dataAlign; break;
        case 0x13: rules.cfaOffset = r.sleb() * cie.dataAlign; break;
        default: return false; // register-to-register and expression rules
      }
    }
    return true;
  }

  /** The program counters of the call stack, innermost first: each caller's is its return address. Frames with
   * .debug_frame information are unwound by it, others (the C library's) by the EHABI index table. */
  unwind(registers: ArrayLike<number>, pc: number, read32: (address: number) => number): number[] {
    let regs = Array.from({ length: 16 }, (_, i) => registers[i] >>> 0);
    regs[PC] = pc;
    const pcs = [pc];
    for (let depth = 1; depth < MAX_FRAMES; depth++) {
      // A caller's PC is a return address: the call is the instruction before it.
      const at = depth === 1 ? regs[PC] : regs[PC] - 1;
      const caller = this.callerByCfi(regs, at, read32) ?? (depth === 1 && this.functionAt(at)?.start === at ? atEntry(regs) : this.exidx.unwind(regs, at, read32));
      if (!caller || caller[PC] === 0 || (caller[SP] === regs[SP] && caller[PC] === regs[PC])) break;
      regs = caller;
      pcs.push(regs[PC]);
    }
    return pcs;
  }

  private callerByCfi(regs: readonly number[], at: number, read32: (address: number) => number): number[] | undefined {
    const rules = this.rulesAt(at);
    if (!rules) return undefined;
    const cfa = (regs[rules.cfaRegister] + rules.cfaOffset) >>> 0;
    const caller = [...regs];
    try {
      for (const [register, rule] of rules.saved) caller[register] = read32((cfa + rule.offset) >>> 0) >>> 0;
    } catch {
      return undefined; // a corrupt stack ends the walk
    }
    caller[SP] = cfa;
    caller[PC] = (caller[LR] & ~1) >>> 0;
    return caller;
  }
}

/** The caller at a function's first instruction: nothing pushed yet, the return address still in LR. (The EHABI
 * table describes the function after its prologue, so it cannot be used there.) */
function atEntry(regs: readonly number[]): number[] {
  const caller = [...regs];
  caller[PC] = (regs[LR] & ~1) >>> 0;
  return caller;
}

function restore(rules: Rules, initial: Map<number, RegisterRule> | undefined, register: number): void {
  const rule = initial?.get(register);
  if (rule) rules.saved.set(register, rule);
  else rules.saved.delete(register);
}
