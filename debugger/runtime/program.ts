// A .pl330 source as the debugger sees it: assembled programs and the two-way map between instruction addresses
// and source lines (from the assembler's `instructions`), and the loops for stepping out.
import type { Pl330Config } from '../../emulator/pl330/config';
import { AssembleResult, AssembledInstruction, LoopInfo, assemble } from '../../server/pl330/assembler';
import { assembleSource } from '../../server/pl330/program-load';
import { decodeInstruction, disassemble, formatDisassembly, hexAddress } from '../../emulator/pl330/disasm';
import { UserError } from './launch';

/** The most microcode a listing shows from a channel's start (it ends at the first DMAEND). */
const MAX_LISTING_BYTES = 4096;

export interface SourceLocation {
  readonly line: number;
  readonly col: number;
  readonly endCol: number;
}

/** How many diagnostics a refused launch lists before it counts the rest (as the CLI's commands). */
const MAX_LISTED_DIAGNOSTICS = 50;

export class DebugProgram {
  private readonly byAddress = new Map<number, AssembledInstruction>();
  private readonly byLine = new Map<number, AssembledInstruction>();
  /** Lines holding an instruction, ascending (0-based). */
  private readonly lines: number[];

  /** `text`: the source of a listing, which is in no file (the client asks for it by reference). */
  private constructor(readonly path: string, readonly assembly: AssembleResult, readonly text?: string) {
    for (const insn of assembly.instructions) {
      this.byAddress.set(insn.address, insn);
      if (!this.byLine.has(insn.line)) this.byLine.set(insn.line, insn);
    }
    this.lines = [...this.byLine.keys()].sort((a, b) => a - b);
  }

  /** Assembles `text`; errors refuse the launch with every diagnostic at file:line:col. */
  static load(path: string, text: string, config: Partial<Pl330Config>): { program: DebugProgram; warnings: string[] } {
    const { assembly, messages, errorCount } = assembleSource(path, text, { config });
    if (errorCount > 0) {
      const more = messages.length > MAX_LISTED_DIAGNOSTICS ? [`... and ${messages.length - MAX_LISTED_DIAGNOSTICS} more`] : [];
      throw new UserError([`${path}: ${errorCount} error(s):`, ...messages.slice(0, MAX_LISTED_DIAGNOSTICS), ...more].join('\n'));
    }
    if (assembly.programs.length === 0) throw new UserError(`${path}: no program to run (no instruction assembled)`);
    return { program: new DebugProgram(path, assembly), warnings: [...messages] };
  }

  /**
   * Microcode found in memory (written by a scenario) as a source: its disassembly, which assembles back to the
   * same bytes, so lines, loops and labels work as in a .pl330 file. `name` is the listing's pseudo file name.
   */
  static listing(name: string, bytes: Uint8Array, base: number, config: Partial<Pl330Config>): DebugProgram {
    const text = formatDisassembly(disassemble(bytes, { base, thread: 'channel' }));
    return new DebugProgram(name, assemble(text, { config }), text);
  }

  /** The microcode at `pc` in memory as `read` fetches it, from there to its first DMAEND, as a listing named
   * `microcode-ADDRESS.pl330`. */
  static fromMemory(read: (address: number, length: number) => Uint8Array, pc: number, config: Partial<Pl330Config>): DebugProgram {
    const bytes = read(pc, MAX_LISTING_BYTES);
    let length = 0;
    while (length < bytes.length) {
      const d = decodeInstruction(bytes, length, pc + length);
      length += Math.max(1, d.length);
      if (d.spec?.operation === 'END' && !d.invalid) break;
    }
    return DebugProgram.listing(`microcode-${hexAddress(pc).slice(2)}.pl330`, bytes.subarray(0, length), pc, config);
  }

  /** No code yet (a scenario before it starts a channel). */
  static empty(name: string): DebugProgram {
    return new DebugProgram(name, assemble('', {}), '');
  }

  /** The source position of the instruction at an address, if one was assembled there. */
  locate(address: number): SourceLocation | undefined {
    return this.byAddress.get(address >>> 0);
  }

  instructionAt(address: number): AssembledInstruction | undefined {
    return this.byAddress.get(address >>> 0);
  }

  /** The instruction a breakpoint on `line` (0-based) binds to: that line's, else the next line's with one. */
  bindLine(line: number): AssembledInstruction | undefined {
    const exact = this.byLine.get(line);
    if (exact) return exact;
    const next = this.lines.find((l) => l > line);
    return next === undefined ? undefined : this.byLine.get(next);
  }

  /** The innermost loop whose body holds `address`. */
  loopAround(address: number): LoopInfo | undefined {
    let best: LoopInfo | undefined;
    for (const loop of this.assembly.loops) {
      if (loop.endAddress === undefined || address < loop.bodyStart || address > loop.endAddress) continue;
      if (!best || loop.bodyStart >= best.bodyStart) best = loop;
    }
    return best;
  }

  /** Value of an assembler label or constant (hovers and expressions). */
  symbol(name: string): number | undefined {
    return this.assembly.symbols.get(name)?.value;
  }

  /** Start addresses of assembled instructions, ascending (the disassembly walks backwards over them). */
  instructionStarts(): number[] {
    return [...this.byAddress.keys()].sort((a, b) => a - b);
  }
}
