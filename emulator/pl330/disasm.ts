// Decoding and disassembly of PL330 microcode, derived from the instruction table. The output is assembler
// syntax: assembling it gives back the same bytes (invalid encodings are written as .byte with a comment).
import { formatCcr } from './ccr';
import { InstructionSpec, OPCODES, ThreadKind, readField } from './isa';

export interface DecodedInstruction {
  readonly address: number;
  readonly length: number;
  readonly bytes: Uint8Array;
  /** The instruction, when the encoding is valid. */
  readonly spec?: InstructionSpec;
  /** Field values of spec.operands, in order. */
  readonly operands: readonly number[];
  /** Why the bytes are not a valid instruction: undefined opcode, invalid operand or truncated. */
  readonly invalid?: string;
  /** 'undef' for an undefined opcode, 'operand' for an invalid operand (the two fault types). */
  readonly invalidKind?: 'undef' | 'operand' | 'truncated';
}

/** Decodes one instruction at bytes[offset]; address is where those bytes live. Never throws. */
export function decodeInstruction(bytes: Uint8Array, offset: number, address: number): DecodedInstruction {
  const available = bytes.length - offset;
  if (available <= 0) return { address, length: 0, bytes: new Uint8Array(0), operands: [], invalid: 'no bytes', invalidKind: 'truncated' };
  const byte0 = bytes[offset];
  const entry = OPCODES[byte0];
  const length = entry.spec?.length ?? entry.invalid?.length ?? 1;
  if (length > available) {
    return { address, length: available, bytes: bytes.subarray(offset, offset + available), operands: [], invalid: `truncated ${entry.spec?.mnemonic ?? 'instruction'} (${length} bytes, ${available} left)`, invalidKind: 'truncated' };
  }
  const raw = bytes.subarray(offset, offset + length);
  if (entry.invalid) return { address, length, bytes: raw, operands: [], invalid: entry.invalid.reason, invalidKind: 'operand' };
  const spec = entry.spec;
  if (!spec) return { address, length: 1, bytes: raw, operands: [], invalid: `undefined opcode 0x${hex2(byte0)}`, invalidKind: 'undef' };
  const operands = spec.operands.map((op) => readField(raw, 0, op.field));
  if (spec.reservedByte1 !== undefined && (raw[1] & spec.reservedByte1) !== 0) {
    return { address, length, bytes: raw, spec, operands, invalid: `${spec.mnemonic} with reserved bits set in byte 1 (0x${hex2(raw[1])})`, invalidKind: 'operand' };
  }
  const movReg = spec.operands.findIndex((o) => o.kind === 'movReg');
  if (movReg >= 0 && operands[movReg] > 2) {
    return { address, length, bytes: raw, spec, operands, invalid: `DMAMOV to register ${operands[movReg]} (only SAR, CCR, DAR exist)`, invalidKind: 'operand' };
  }
  return { address, length, bytes: raw, spec, operands };
}

const REGISTERS = ['SAR', 'CCR', 'DAR'];

/** Assembler text of one valid instruction; labelFor names a DMALPEND target address. */
export function formatInstruction(d: DecodedInstruction, labelFor: (address: number) => string = hexAddress): string {
  const spec = d.spec!;
  const parts: string[] = [];
  let movRegister = -1;
  spec.operands.forEach((op, k) => {
    const v = d.operands[k];
    switch (op.kind) {
      case 'addrReg': parts.push(v ? 'DAR' : 'SAR'); break;
      case 'movReg': movRegister = v; parts.push(REGISTERS[v] ?? `?${v}`); break;
      case 'imm16': parts.push(String(v)); break;
      case 'negImm16': parts.push(String(v - 0x10000)); break;
      case 'imm32': parts.push(movRegister === 1 ? formatCcr(v) ?? hexAddress(v) : hexAddress(v)); break;
      case 'channel': parts.push(`C${v}`); break;
      case 'periph': parts.push(`P${v}`); break;
      case 'event': parts.push(`E${v}`); break;
      case 'loopCounter':
        // Counted loop ends and DMALP name their counter; a forever end names it only when it is not the default LC1.
        if (!spec.forever || v === 0) parts.push(`LC${v}`);
        break;
      case 'loopCount': parts.push(String(v + 1)); break;
      case 'backJump':
        if (spec.forever) parts.push('forever');
        parts.push(labelFor(d.address - v));
        break;
      case 'nsFlag': if (v) parts.push('ns'); break;
      case 'invalidateFlag': if (v) parts.push('invalid'); break;
      case 'wfpKind': parts.push(v === 0 ? 'single' : v === 2 ? 'burst' : 'periph'); break;
    }
  });
  return parts.length ? `${spec.mnemonic} ${parts.join(', ')}` : spec.mnemonic;
}

export interface DisassemblyLine {
  readonly address: number;
  readonly bytes: Uint8Array;
  /** Assembler text (an instruction, or .byte for data that is not a valid instruction for this thread). */
  readonly text: string;
  /** Why the bytes were written as .byte, if they were. */
  readonly note?: string;
  /** A label defined at this address (a DMALPEND target). */
  readonly label?: string;
  readonly decoded: DecodedInstruction;
}

export interface DisassembleOptions {
  readonly base?: number;
  /** The thread the code runs on; by default a manager if it has manager-only instructions and no channel-only. */
  readonly thread?: ThreadKind;
}

export interface Disassembly {
  readonly base: number;
  readonly thread: ThreadKind;
  readonly lines: readonly DisassemblyLine[];
}

export function disassemble(bytes: Uint8Array, options: DisassembleOptions = {}): Disassembly {
  const base = (options.base ?? 0) >>> 0;
  const decoded: DecodedInstruction[] = [];
  for (let off = 0; off < bytes.length;) {
    const d = decodeInstruction(bytes, off, base + off);
    decoded.push(d);
    off += Math.max(1, d.length);
  }
  const thread = options.thread ?? guessThread(decoded);
  const starts = new Set(decoded.map((d) => d.address));
  const targets = new Set<number>();
  for (const d of decoded) {
    if (d.spec && !d.invalid && d.spec.operation === 'LPEND') {
      const jump = d.operands[d.spec.operands.findIndex((o) => o.kind === 'backJump')];
      if (starts.has(d.address - jump)) targets.add(d.address - jump);
    }
  }
  const labelFor = (a: number): string => (targets.has(a) ? loopLabel(a) : hexAddress(a));
  const unnested = unnestedLoops(decoded, thread);
  const lines = decoded.map((d, i): DisassemblyLine => {
    const label = targets.has(d.address) ? loopLabel(d.address) : undefined;
    if (d.invalid || !d.spec) return { address: d.address, bytes: d.bytes, text: byteDirective(d.bytes), note: d.invalid, label, decoded: d };
    if (!d.spec.threads.includes(thread)) {
      return { address: d.address, bytes: d.bytes, text: byteDirective(d.bytes), note: `${formatInstruction(d, labelFor)} (${d.spec.threads.join('/')} only)`, label, decoded: d };
    }
    if (unnested.has(i)) return { address: d.address, bytes: d.bytes, text: byteDirective(d.bytes), note: `${formatInstruction(d, labelFor)} (outside the loop nesting the assembler accepts)`, label, decoded: d };
    return { address: d.address, bytes: d.bytes, text: formatInstruction(d, labelFor), label, decoded: d };
  });
  return { base, thread, lines };
}

/**
 * The loop instructions the assembler would refuse where they stand (its loop checks: a DMALP whose counter an
 * enclosing loop holds, a DMALP never closed, a DMALPEND naming another counter than the open loop's, or ending a
 * counted loop as a forever one). They are written as .byte so that the text always reassembles to the same bytes.
 * Writing one as .byte changes the nesting around it, so the check repeats until nothing changes.
 */
function unnestedLoops(decoded: readonly DecodedInstruction[], thread: ThreadKind): Set<number> {
  const refused = new Set<number>();
  const counterOf = (d: DecodedInstruction): number => d.operands[d.spec!.operands.findIndex((o) => o.kind === 'loopCounter')] ?? 0;
  for (let changed = true; changed;) {
    changed = false;
    const open: number[] = [];
    decoded.forEach((d, i) => {
      if (refused.has(i) || d.invalid || !d.spec || !d.spec.threads.includes(thread)) return;
      if (d.spec.operation === 'LP') {
        if (open.some((k) => counterOf(decoded[k]) === counterOf(d))) {
          refused.add(i);
          changed = true;
        } else open.push(i);
      } else if (d.spec.operation === 'LPEND' && open.length > 0) {
        if (d.spec.forever || counterOf(d) !== counterOf(decoded[open[open.length - 1]])) {
          refused.add(i);
          changed = true;
        } else open.pop();
      }
    });
    for (const k of open) {
      refused.add(k);
      changed = true;
    }
  }
  return refused;
}

/** Text that assembles back to the same bytes: a section directive, labels, instructions with address and bytes. */
export function formatDisassembly(dis: Disassembly): string {
  const out = [`.${dis.thread} ${hexAddress(dis.base)}`];
  for (const line of dis.lines) {
    if (line.label) out.push(`${line.label}:`);
    const bytes = Array.from(line.bytes, hex2).join(' ');
    const comment = `; ${hexAddress(line.address)}: ${bytes}${line.note ? `  ${line.note}` : ''}`;
    out.push(`    ${line.text.padEnd(44)} ${comment}`);
  }
  return out.join('\n') + '\n';
}

function guessThread(decoded: readonly DecodedInstruction[]): ThreadKind {
  let manager = false;
  let channel = false;
  for (const d of decoded) {
    if (!d.spec || d.invalid) continue;
    if (d.spec.threads.length === 1) {
      if (d.spec.threads[0] === 'manager') manager = true;
      else channel = true;
    }
  }
  return manager && !channel ? 'manager' : 'channel';
}

function byteDirective(bytes: Uint8Array): string {
  return `.byte ${Array.from(bytes, (b) => `0x${hex2(b)}`).join(', ')}`;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

export function hexAddress(a: number): string {
  return `0x${(a >>> 0).toString(16).padStart(8, '0')}`;
}

function loopLabel(a: number): string {
  return `L_${(a >>> 0).toString(16).padStart(8, '0')}`;
}
