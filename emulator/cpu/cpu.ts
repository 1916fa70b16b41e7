// The execution engine. Straight-line runs of instructions (blocks, ending at a control transfer, an SVC or the
// end of a 4 KiB page) are decoded once into arrays of handlers and cached per page; a write to a page with
// decoded code drops that page's blocks. IT blocks are resolved while decoding (only the IT instruction starts
// one, so each instruction's IT condition is static) and become ordinary conditional handlers.
import { isBlockEnd, whenCondition, type Handler } from './alu';
import { decodeArm } from './a32';
import { DENSE_STRIDE, denseArm, denseHandler, denseKeepsHandler, executeDense } from './dense';
import { denseThumb } from './dense-t32';
import { warmDenseForms } from './dense-warm';
import { MemoryFault, type CpuMemory } from './memory';
import { raiseUndefined } from './system-ops';
import { CpuState, type StopReason } from './state';
import { decodeThumb } from './t32';
import { enterTranslated, translateBlock, type Translated } from './translate';

const PAGE_SHIFT = 12;
const PAGE_SIZE = 1 << PAGE_SHIFT;
const OFFSET_MASK = PAGE_SIZE - 1;
/** Longest block (more would only delay reaching the budget and stop checks). */
const MAX_BLOCK = 48;
/**
 * Instructions a block runs interpreted before it is translated: V8 spends milliseconds compiling and optimizing a
 * translation (on its background threads too), which pays only for code that runs for a while.
 */
export const TRANSLATE_AFTER = 200_000;
/**
 * Longest block translated after TRANSLATE_AFTER instructions; a longer one waits in proportion to its length (until
 * it ran TRANSLATE_AFTER / TRANSLATE_SPAN times). V8's compiling grows with a function's length, while what a
 * translation saves grows with the instructions it runs: in a kernel's boot, translating its blocks of 9-48
 * instructions after 200,000 instructions cost V8 about 1 s of CPU on its threads for little gain.
 */
const TRANSLATE_SPAN = 8;
/**
 * Where loops go first (`translateLoopsSooner`), a block that branched back to its own start is translated after
 * TRANSLATE_AFTER / LOOP_SOONER instructions (1,000): cold, the interpreter runs a program's first instructions at
 * 5-10 MIPS (V8 has not optimized its handlers yet), a translation runs at 250 MIPS before V8 optimizes it and costs
 * 0.3-0.6 ms to make. The CRC benchmark's loops then leave the interpreter 10 ms sooner.
 */
const LOOP_SOONER = 200;

const NOT_VIEWED_U32 = new Uint32Array(0);
const NOT_VIEWED_I32 = new Int32Array(0);
const NOT_VIEWED_U8 = new Uint8Array(0);

export class Block {
  // The fields the engine reads on every run of a block come first, to share the host's cache lines: over a kernel's
  // tens of thousands of warm blocks, each line a block run touches is likely a miss.
  /** The block that ran after this one last time: its pc (+1 in Thumb state, as an int32), Cpu.codeGeneration then. */
  successor: Block | undefined = undefined;
  successorKey = -1;
  successorGeneration = -1;
  /** The successor before that one (a conditional branch goes two ways). */
  alternate: Block | undefined = undefined;
  alternateKey = -1;
  alternateGeneration = -1;
  /**
   * The decoder stopped at an unconditional branch: nothing after it runs interpreted in the pass that reached it,
   * but a translation goes on past it, to the code its loops branch back into (translate.ts).
   */
  truncated = false;
  readonly thumb: boolean;
  /** Instructions in the block (the length of `handlers`, read without touching that array). */
  instructionCount: number;
  /** Instructions the block ran interpreted, until it is translated. */
  interpreted = 0;
  /**
   * Its length, at least TRANSLATE_SPAN: the block waits TRANSLATE_AFTER * span / TRANSLATE_SPAN instructions for
   * its translation. An integer (a fraction here would change the blocks' shape once one appeared, and V8 would drop
   * the code that had seen the other).
   */
  translationSpan: number;
  /** The block's translation once it is hot. */
  translated: Translated | undefined = undefined;
  /**
   * The block's instructions in the dense form that `executeDense` runs (dense.ts, dense-t32.ts), at `denseAt` in a
   * chunk shared with the blocks decoded around it, after the block's start address.
   */
  dense: Int32Array;
  denseAt: number;
  // Replaced once, when a truncated block is decoded whole before its translation (`become`).
  handlers: readonly Handler[];
  /** The first instruction of the block at a debugger breakpoint (-1: none), as of Cpu.breakpointGeneration then. */
  breakpointIndex = -1;
  breakpointGeneration = -1;
  /** ITSTATE after the last instruction, when a page boundary cut an IT block. */
  endIt: number;
  /**
   * Where the block's other arrays lie in the buffer of `dense` (bytes): addresses, fall-throughs, R15 values,
   * encodings, then ITSTATE bytes. Each is viewed when first read: an ARM block runs from its dense form alone until
   * it faults, stops, is translated or meets a breakpoint, and five views a block were most of what decoding a
   * kernel's blocks allocated (the garbage collector copied them as the blocks aged).
   */
  private arraysAt: number;
  // Empty until viewed (a block has at least one instruction): a view of the same type from the start, so that the
  // fields keep their type and the blocks their shape (V8 drops the code that relies on either when they change).
  private addressesView: Uint32Array = NOT_VIEWED_U32;
  private fallthroughView: Uint32Array = NOT_VIEWED_U32;
  private pcValuesView: Int32Array = NOT_VIEWED_I32;
  private encodingsView: Uint32Array = NOT_VIEWED_U32;
  private itStatesView: Uint8Array = NOT_VIEWED_U8;

  constructor(handlers: readonly Handler[], endIt: number, dense: Int32Array, denseAt: number, arraysAt: number, thumb: boolean) {
    this.thumb = thumb;
    this.instructionCount = handlers.length;
    this.translationSpan = Math.max(TRANSLATE_SPAN, handlers.length);
    this.dense = dense;
    this.denseAt = denseAt;
    this.handlers = handlers;
    this.endIt = endIt;
    this.arraysAt = arraysAt;
  }

  /** Address of each instruction. */
  get addresses(): Uint32Array {
    if (this.addressesView.length === 0) this.addressesView = new Uint32Array(this.dense.buffer, this.arraysAt, this.instructionCount);
    return this.addressesView;
  }

  /** Address of the instruction after each one: a handler that leaves `next` alone did not branch. */
  get fallthrough(): Uint32Array {
    if (this.fallthroughView.length === 0) this.fallthroughView = new Uint32Array(this.dense.buffer, this.arraysAt + 4 * this.instructionCount, this.instructionCount);
    return this.fallthroughView;
  }

  /** R15 as each instruction reads it (address + 8 in ARM state, + 4 in Thumb state). */
  get pcValues(): Int32Array {
    if (this.pcValuesView.length === 0) this.pcValuesView = new Int32Array(this.dense.buffer, this.arraysAt + 8 * this.instructionCount, this.instructionCount);
    return this.pcValuesView;
  }

  /** Raw encodings (a 32-bit Thumb instruction as first << 16 | second), for the translator. */
  get encodings(): Uint32Array {
    if (this.encodingsView.length === 0) this.encodingsView = new Uint32Array(this.dense.buffer, this.arraysAt + 12 * this.instructionCount, this.instructionCount);
    return this.encodingsView;
  }

  /** ITSTATE before each instruction (to restart in the middle of an IT block after a stop). */
  get itStates(): Uint8Array {
    if (this.itStatesView.length === 0) this.itStatesView = new Uint8Array(this.dense.buffer, this.arraysAt + 16 * this.instructionCount, this.instructionCount);
    return this.itStatesView;
  }

  /** Takes the instructions of `whole`, the same block decoded past its unconditional branches. */
  become(whole: Block): void {
    this.handlers = whole.handlers;
    this.endIt = whole.endIt;
    this.dense = whole.dense;
    this.denseAt = whole.denseAt;
    this.arraysAt = whole.arraysAt;
    this.instructionCount = whole.instructionCount;
    this.translationSpan = whole.translationSpan;
    this.addressesView = NOT_VIEWED_U32;
    this.fallthroughView = NOT_VIEWED_U32;
    this.pcValuesView = NOT_VIEWED_I32;
    this.encodingsView = NOT_VIEWED_U32;
    this.itStatesView = NOT_VIEWED_U8;
    this.truncated = false;
    this.breakpointGeneration = -1;
  }
}

/**
 * Unconditional branches, as [mask, value] of an A32 word with condition AL, a 16-bit T32 instruction, or a 32-bit
 * one (first << 16 | second): B, BL, BLX, BX, MOV PC, POP/LDM/LDR of the PC, TBB/TBH. The interpreter leaves a block
 * at the first taken branch, so decoding what follows one is only worth it for a translation.
 */
const ARM_BRANCHES = pairs([
  [0x0e000000, 0x0a000000], // B, BL
  [0x0fffffd0, 0x012fff10], // BX, BLX (register)
  [0x0fef0ff0, 0x01a0f000], // MOV PC, Rm
  [0x0e108000, 0x08108000], // LDM with the PC
  [0x0e10f000, 0x0410f000], // LDR PC, immediate offset
  [0x0e10f010, 0x0610f000], // LDR PC, register offset
]);
const THUMB16_BRANCHES = pairs([
  [0xf800, 0xe000], // B (T2)
  [0xff00, 0x4700], // BX, BLX (register)
  [0xff87, 0x4687], // MOV PC, Rm
  [0xff00, 0xbd00], // POP with the PC
]);
const THUMB32_BRANCHES = pairs([
  [0xf800d000, 0xf0009000], // B.W (T4)
  [0xf800d000, 0xf000d000], // BL
  [0xf800d000, 0xf000c000], // BLX (immediate)
  [0xffd08000, 0xe8908000], // LDMIA with the PC
  [0xffd08000, 0xe9108000], // LDMDB with the PC
  [0xfff0f000, 0xf8d0f000], // LDR PC, [Rn, #imm12]
  [0xfff0f800, 0xf850f800], // LDR PC, [Rn, #+/-imm8] (pre/post-indexed: POP)
  [0xfff0ffe0, 0xe8d0f000], // TBB, TBH
]);

/**
 * Loads of the PC and register branches, which may change the instruction set, in any condition: as for
 * ARM_BRANCHES (A32 data-processing into the PC and BLX immediate are tested apart, in mayExchange).
 */
const ARM_EXCHANGES = pairs([
  [0x0fffffd0, 0x012fff10], // BX, BLX (register)
  [0x0e108000, 0x08108000], // LDM with the PC
  [0x0e10f000, 0x0410f000], // LDR PC, immediate offset
  [0x0e10f010, 0x0610f000], // LDR PC, register offset
]);
const THUMB16_EXCHANGES = pairs([
  [0xff00, 0x4700], // BX, BLX (register)
  [0xff00, 0xbd00], // POP with the PC
]);
const THUMB32_EXCHANGES = pairs([
  [0xf800d000, 0xf000c000], // BLX (immediate)
  [0xffd08000, 0xe8908000], // LDMIA with the PC
  [0xffd08000, 0xe9108000], // LDMDB with the PC
  [0xfff0f000, 0xf8d0f000], // LDR PC, [Rn, #imm12] and literal
  [0xfff0f000, 0xf850f000], // LDR PC, [Rn, #+/-imm8], register offset and literal
]);

/** [mask, value] pairs as 32-bit integers, one after the other. */
function pairs(list: readonly (readonly [number, number])[]): Int32Array {
  return Int32Array.from(list.flat());
}

/** Whether an instruction (outside an IT block) always branches. */
function branchesAway(encoding: number, thumb: boolean): boolean {
  if (!thumb && encoding >>> 28 !== 0xe) return (encoding & 0xfe000000) === (0xfa000000 | 0); // BLX (immediate)
  const table = !thumb ? ARM_BRANCHES : encoding > 0xffff ? THUMB32_BRANCHES : THUMB16_BRANCHES;
  for (let i = 0; i < table.length; i += 2) if ((encoding & table[i]) === table[i + 1]) return true;
  return false;
}

/**
 * Whether an instruction may change the instruction set (BXWritePC, LoadWritePC, ALUWritePC in ARM state): a block
 * ends after it even where decoding goes on past branches. The engines see a taken branch by its target address
 * alone, and an exchange may target the very next address (an ARM word run on as if it were Thumb code).
 */
function mayExchange(encoding: number, thumb: boolean): boolean {
  if (!thumb) {
    if (encoding >>> 28 === 0xf) return (encoding & 0xfe000000) === (0xfa000000 | 0); // BLX (immediate)
    // Data-processing into the PC: not the miscellaneous space (opcode 10xx without S) nor multiplies and extra loads.
    if ((encoding & 0x0c00f000) === 0xf000 && (encoding & 0x01900000) !== 0x01000000 &&
      ((encoding & 0x02000000) !== 0 || (encoding & 0x90) !== 0x90)) return true;
  }
  const table = !thumb ? ARM_EXCHANGES : encoding > 0xffff ? THUMB32_EXCHANGES : THUMB16_EXCHANGES;
  for (let i = 0; i < table.length; i += 2) if ((encoding & table[i]) === table[i + 1]) return true;
  return false;
}

/** A debugger breakpoint reached: the instruction at the PC has not run. */
export const BREAKPOINT_HALT: StopReason = { kind: 'halt', detail: 'breakpoint' };

/**
 * Blocks of one 4 KiB page in one instruction set, indexed by the halfword (Thumb) or word (ARM) where they start:
 * a kernel's boot makes some 1,500 of these, and an ARM page's index is half the size (less for the garbage collector
 * to copy). An ARM block at an address that is not a word's (a debugger's PC) is decoded each time, never kept.
 */
export class CodePage {
  private readonly shift: number;
  private readonly blocks: (Block | undefined)[];

  constructor(thumb: boolean) {
    this.shift = thumb ? 1 : 2;
    this.blocks = new Array<Block | undefined>(PAGE_SIZE >>> this.shift).fill(undefined);
  }

  /** The block decoded at `pc` (in this page), if any. */
  blockAt(pc: number): Block | undefined {
    return (pc & ((1 << this.shift) - 1)) === 0 ? this.blocks[(pc & OFFSET_MASK) >>> this.shift] : undefined;
  }

  /** Keeps the block just decoded at `pc`; returns it. */
  add(pc: number, block: Block): Block {
    if ((pc & ((1 << this.shift) - 1)) === 0) this.blocks[(pc & OFFSET_MASK) >>> this.shift] = block;
    return block;
  }
}

/** Entries of the cache of decoded handlers; the state key of a Thumb instruction (ITSTATE in the low byte). */
const DECODED = 1 << 14;
const THUMB_STATE = 0x100;

/**
 * Int32s in a chunk of decoded blocks. A block's dense form and arrays go into the chunk being filled rather than a
 * buffer of their own: no allocation outside the heap per block, the chunk's array object stays in the host's
 * caches, and blocks decoded together lie together. A full chunk is left to the blocks in it (and to the garbage
 * collector once they are all dropped).
 */
const CHUNK = 1 << 16;

/** decodeBlock's working arrays (a block is copied out of them once decoded). */
const SCRATCH = {
  addresses: new Uint32Array(MAX_BLOCK + 4),
  fallthrough: new Uint32Array(MAX_BLOCK + 4),
  itStates: new Uint8Array(MAX_BLOCK + 4),
  encodings: new Uint32Array(MAX_BLOCK + 4),
  dense: new Int32Array((MAX_BLOCK + 4) * DENSE_STRIDE),
};

/** What executeDense is given for an ARM block's fall-throughs and R15 values: it computes them (nothing to view). */
const ARM_FALLTHROUGH = new Uint32Array(0);
const ARM_PC_VALUES = new Int32Array(0);

function advanceIt(it: number): number {
  return (it & 7) === 0 ? 0 : (it & 0xe0) | ((it << 1) & 0x1f);
}

export class Cpu extends CpuState {
  /**
   * Decoded pages by page number * 2 + 1 in Thumb state, + 0 in ARM state: one map, so that no lookup takes a path
   * the engine's optimized loop has not seen (a Thumb program's first ARM routine in libc deoptimized it).
   */
  private codePages = new Map<number, CodePage>();
  private chunk = new Int32Array(CHUNK);
  /** The chunk's bytes (for the blocks' ITSTATEs). */
  private chunkBytes = new Uint8Array(this.chunk.buffer);
  private chunkUsed = 0;
  /** Instructions retired since creation, up to the last return from `run`. */
  retired = 0;
  private denseFormOn = true;

  /**
   * Whether blocks run interpreted from their dense form (dense.ts); off, every instruction calls its handler:
   * the reference the dense form is tested against. Changing it drops the decoded code (blocks decoded for the
   * dense form have no handler for what it covers).
   */
  get denseForm(): boolean {
    return this.denseFormOn;
  }

  set denseForm(on: boolean) {
    this.denseFormOn = on;
    this.flushCodeCache();
  }
  /** Whether hot blocks run translated (translate.ts); off, every instruction goes through the interpreter. */
  translation = true;
  /** Instructions a block runs interpreted before it is translated (the tests lower it to translate more). */
  translateAfter = TRANSLATE_AFTER;
  /**
   * Whether a block that branched back to its own start when it last ran (a loop, likely to run on) is translated
   * after `translateAfter / LOOP_SOONER` instructions, whatever its length: a user program's hot loops then run
   * interpreted a shorter while (a kernel's blocks keep their wait).
   */
  translateLoopsSooner = false;
  /** Bumped whenever decoded code is dropped (a looping translated block checks it). */
  codeGeneration = 0;
  /** Where a translated block is or left (see TranslationState). */
  exitIndex = 0;
  exitRetired = 0;
  passBase = 0;
  /** The block executing and the instructions `run` retired before it (for `retiredNow` in mid-block). */
  private runBlock: Block | undefined;
  private runExecuted = 0;
  /** Whether `runBlock` runs translated (its progress is then in passBase and exitIndex). */
  private runTranslated = false;
  private breakpointSet: ReadonlySet<number> | undefined;
  private breakpointGeneration = 0;
  /** A breakpoint address `run` passes once if the PC is there when it starts (resuming from that breakpoint). */
  passBreakpointAt = -1;

  constructor(mem: CpuMemory) {
    super(mem);
  }

  private readonly invalidate = (pageNumber: number): void => {
    this.codeGeneration++;
    this.codePages.delete(pageNumber * 2);
    this.codePages.delete(pageNumber * 2 + 1);
  };

  /** Drops every decoded instruction (after the address space changed wholesale). */
  flushCodeCache(): void {
    this.codeGeneration++;
    this.codePages.clear();
  }

  /** The decoded block at pc (a system CPU keys its pages by physical page instead). */
  protected blockAt(pc: number, thumb: boolean): Block {
    const pageNumber = pc >>> PAGE_SHIFT;
    const key = pageNumber * 2 + (thumb ? 1 : 0);
    let page = this.codePages.get(key);
    if (page === undefined) {
      page = new CodePage(thumb);
      this.codePages.set(key, page);
      this.mem.watchCode(pageNumber, this.invalidate);
    }
    return page.blockAt(pc) ?? page.add(pc, this.decodeBlock(pc >>> 0, thumb));
  }

  /**
   * Instruction addresses where `run` stops before executing (a `halt` stop, the PC at the instruction): the
   * debugger's breakpoints. Checked once per block (a block holding one runs interpreted up to it); none costs a test
   * per block.
   */
  get breakpoints(): ReadonlySet<number> | undefined {
    return this.breakpointSet;
  }

  set breakpoints(addresses: ReadonlySet<number> | undefined) {
    this.breakpointSet = addresses === undefined || addresses.size === 0 ? undefined : addresses;
    this.breakpointGeneration++;
  }

  /** Index of the first instruction of `block` at a breakpoint, or -1. */
  private breakpointIn(block: Block, breakpoints: ReadonlySet<number>): number {
    if (block.breakpointGeneration !== this.breakpointGeneration) {
      block.breakpointGeneration = this.breakpointGeneration;
      block.breakpointIndex = block.addresses.findIndex((a) => breakpoints.has(a));
    }
    return block.breakpointIndex;
  }

  /** A system CPU checks VFP instructions against FPEXC/CPACR (they are UNDEFINED while disabled). */
  protected gateVfp = false;

  // Handlers decoded lately, by address, encoding and state (Thumb, ITSTATE): blocks overlap (one starts at every
  // branch target and return address), and a handler depends on nothing else, so overlapping blocks share them.
  private readonly decodedAddress = new Int32Array(DECODED).fill(1);
  private readonly decodedEncoding = new Int32Array(DECODED);
  private readonly decodedState = new Int16Array(DECODED);
  private readonly decodedHandlers: (Handler | undefined)[] = new Array<Handler | undefined>(DECODED).fill(undefined);

  private decoded(address: number, encoding: number, state: number): Handler | undefined {
    const slot = (address >>> 1) & (DECODED - 1);
    return this.decodedAddress[slot] === (address | 0) && this.decodedEncoding[slot] === (encoding | 0) && this.decodedState[slot] === state
      ? this.decodedHandlers[slot] : undefined;
  }

  private keepDecoded(address: number, encoding: number, state: number, handler: Handler): Handler {
    const slot = (address >>> 1) & (DECODED - 1);
    this.decodedAddress[slot] = address;
    this.decodedEncoding[slot] = encoding;
    this.decodedState[slot] = state;
    this.decodedHandlers[slot] = handler;
    return handler;
  }

  private decodeArmHandler(word: number, address: number): Handler {
    const handler = decodeArm(word, address);
    return this.gateVfp && isVfpArm(word) ? vfpGate(handler, word) : handler;
  }

  /** A 16-bit (second < 0) or 32-bit Thumb instruction's handler, made conditional inside an IT block. */
  private decodeThumbHandler(first: number, second: number, address: number, itBefore: number): Handler {
    let handler: Handler;
    if (second >= 0) {
      handler = decodeThumb(first, second, address, itBefore !== 0);
      if (this.gateVfp && isVfpThumb(first, second)) handler = vfpGate(handler, (first << 16) | second);
    } else if ((first & 0xff00) === 0xbf00 && (first & 0xf) !== 0 && itBefore === 0) handler = nopHandler;
    else handler = decodeThumb(first, -1, address, itBefore !== 0);
    return itBefore !== 0 ? whenCondition(itBefore >>> 4, handler) : handler;
  }

  /** Decodes the block at `start`: up to its first unconditional branch, or `whole` (as far as a block goes). */
  protected decodeBlock(start: number, thumb: boolean, whole = false): Block {
    const handlers: Handler[] = [];
    const { addresses, fallthrough, itStates, encodings, dense } = SCRATCH;
    // A Thumb block may end past MAX_BLOCK (to finish an IT block): at most 4 more instructions.
    let count = 0;
    const pageEnd = ((start & ~OFFSET_MASK) >>> 0) + PAGE_SIZE;
    let address = start;
    let it = thumb ? this.it : 0;
    let truncated = false;
    while (address < pageEnd) {
      let handler: Handler;
      let size = 4;
      let ends = false;
      const itBefore = it;
      if (thumb) {
        const first = this.mem.fetch16(address);
        let second = -1;
        if ((first & 0xf800) >= 0xe800) {
          if (address + 2 >= pageEnd && handlers.length > 0) break;
          second = this.mem.fetch16((address + 2) >>> 0);
        } else size = 2;
        const encoding = second < 0 ? first : (first << 16) | second;
        encodings[count] = encoding;
        // IT: the following instructions decode as conditional ones; nothing happens at run time.
        const startsIt = second < 0 && (first & 0xff00) === 0xbf00 && (first & 0xf) !== 0 && it === 0;
        const state = THUMB_STATE | itBefore;
        const offset = count * DENSE_STRIDE;
        const covered = this.denseFormOn && denseThumb(first, second, address, itBefore, dense, offset);
        if (covered && !denseKeepsHandler(dense, offset)) handler = this.decoded(address, encoding, state) ?? denseOnly;
        else {
          handler = this.decoded(address, encoding, state) ?? this.keepDecoded(address, encoding, state, this.decodeThumbHandler(first, second, address, itBefore));
          if (!covered) denseHandler(handler, dense, offset);
        }
        if (startsIt) it = first & 0xff;
        else {
          ends = second < 0 && (first & 0xff00) === 0xdf00;
          if (itBefore !== 0) it = advanceIt(itBefore);
        }
      } else {
        const word = this.mem.fetch32(address) >>> 0;
        encodings[count] = word;
        const offset = count * DENSE_STRIDE;
        // What the dense form covers gets no handler until a translation needs it (`withHandlers`): most of a
        // kernel's decoding and allocation went to closures the dense form never calls. VFP instructions (gated or
        // not) stay handlers.
        const covered = this.denseFormOn && denseArm(word, address, dense, offset);
        if (covered && !denseKeepsHandler(dense, offset)) handler = this.decoded(address, word, 0) ?? denseOnly;
        else {
          handler = this.decoded(address, word, 0) ?? this.keepDecoded(address, word, 0, this.decodeArmHandler(word, address));
          if (!covered) denseHandler(handler, dense, offset);
        }
        ends = (word & 0x0f000000) === 0x0f000000 && word >>> 28 !== 0xf;
      }
      if (isBlockEnd(handler) || mayExchange(encodings[count], thumb)) ends = true;
      else if (!whole && itBefore === 0 && branchesAway(encodings[count], thumb)) ends = truncated = true;
      handlers.push(handler);
      addresses[count] = address;
      fallthrough[count] = address + size;
      itStates[count] = itBefore;
      count++;
      address += size;
      if (ends || (count >= MAX_BLOCK && it === 0)) break;
    }
    const block = this.blockFromScratch(start, handlers, it, thumb);
    block.truncated = truncated && address < pageEnd && count < MAX_BLOCK;
    return block;
  }

  /**
   * The block of `handlers` decoded into SCRATCH, its arrays in the chunk being filled. A method apart from the
   * decoding loop, called once per block: V8 (in run-elf, cli/launcher.ts) does not compile it into `decodeBlock`,
   * whose optimized code it then compiles in about half the time (the typed arrays' constructors are much of its graph).
   */
  private blockFromScratch(start: number, handlers: Handler[], it: number, thumb: boolean): Block {
    const count = handlers.length;
    const { addresses, fallthrough, itStates, encodings, dense } = SCRATCH;
    // The block's arrays go into the chunk being filled: [start, dense form], addresses, fall-throughs, R15
    // values, encodings, then the ITSTATE bytes.
    const denseLength = 1 + count * DENSE_STRIDE;
    const length = denseLength + 4 * count + ((count + 3) >> 2);
    if (this.chunkUsed + length > CHUNK) {
      this.chunk = new Int32Array(CHUNK);
      this.chunkBytes = new Uint8Array(this.chunk.buffer);
      this.chunkUsed = 0;
    }
    const chunk = this.chunk, at = this.chunkUsed;
    this.chunkUsed += length;
    const denseAt = at + 1;
    chunk[at] = start;
    for (let i = 0; i < count * DENSE_STRIDE; i++) chunk[denseAt + i] = dense[i];
    const arrays = at + denseLength;
    const pcOffset = thumb ? 4 : 8;
    for (let i = 0; i < count; i++) {
      chunk[arrays + i] = addresses[i];
      chunk[arrays + count + i] = fallthrough[i];
      chunk[arrays + 2 * count + i] = addresses[i] + pcOffset;
      chunk[arrays + 3 * count + i] = encodings[i];
      this.chunkBytes[4 * (arrays + 4 * count) + i] = itStates[i];
    }
    return new Block(handlers, it, chunk, denseAt, 4 * arrays, thumb);
  }

  /** Runs up to `budget` instructions or until something stops it (`this.stop`); returns how many ran. */
  run(budget: number): number {
    if (this.retired !== 0 && this.denseFormOn) warmDenseForms(this);
    const r = this.r;
    let executed = 0;
    let previous: Block | undefined;
    const pass = this.passBreakpointAt;
    this.passBreakpointAt = -1;
    // What translationDue reads, for the chain's copy of it.
    const loopsSooner = this.translateLoopsSooner, after = this.translateAfter, loopAfter = after / LOOP_SOONER;
    while (executed < budget && this.stop === null) {
      // Chaining: the block that just ran remembers the two that followed it last, valid while no decoded code was
      // dropped (a change of the translation regime in system mode comes with a stop, which ends this loop).
      const key = (this.pc + (this.thumb ? 1 : 0)) | 0; // signed: a small integer in the blocks' fields, not a boxed number
      let block: Block;
      if (previous !== undefined && previous.successorKey === key && previous.successorGeneration === this.codeGeneration) {
        block = previous.successor!;
      } else if (previous !== undefined && previous.alternateKey === key && previous.alternateGeneration === this.codeGeneration) {
        block = previous.alternate!;
      } else {
        try {
          block = this.blockAt(this.pc | 0, this.thumb); // signed: unboxed across the call
        } catch (error) {
          if (!(error instanceof MemoryFault)) throw error;
          this.next = this.pc;
          this.stop = { kind: 'fault', address: error.address >>> 0, access: error.access, detail: error.reason, cause: error };
          break;
        }
        if (previous !== undefined) {
          previous.alternate = previous.successor;
          previous.alternateKey = previous.successorKey;
          previous.alternateGeneration = previous.successorGeneration;
          previous.successor = block;
          previous.successorKey = key;
          previous.successorGeneration = this.codeGeneration;
        }
      }
      previous = block;
      const handlers = block.handlers;
      // A breakpoint in the block: run up to it (interpreted), or stop there; the one resumed from runs once.
      let length = block.instructionCount;
      if (this.breakpointSet !== undefined) {
        const at = this.breakpointIn(block, this.breakpointSet);
        if (at === 0 && (executed > 0 || this.pc !== pass)) {
          this.stop = BREAKPOINT_HALT;
          break;
        }
        if (at >= 0) length = at === 0 ? 1 : at;
      }
      this.runBlock = block;
      this.runExecuted = executed;
      if (this.translation && length === block.instructionCount && budget - executed >= length && (block.translated !== undefined || this.translationDue(block))) {
        const ran = this.runBlockTranslated(block, budget - executed);
        // Decoded whole for its translation instead (its length changed): looked up again, to be checked anew.
        if (ran < 0) previous = undefined;
        // After a fault, `stop` ends the loop. Both ways pass the same sites: V8 optimizes this loop long before the
        // boot's first translation, and each site first met then would throw its code away once more.
        executed += ran < 0 ? 0 : ran;
        // A translation that left before its first instruction (an access its page cache misses, translate.ts):
        // the block runs interpreted this once.
        if (ran !== 0 || this.stop !== null) continue;
      }
      this.runTranslated = false;
      const count = Math.min(length, budget - executed);
      const dense = this.denseFormOn;
      let i = 0;
      try {
        if (dense) {
          i = executeDense(this, block.dense, block.denseAt, handlers, block.dense[block.denseAt - 1], count,
            block.thumb ? block.fallthrough : ARM_FALLTHROUGH, block.thumb ? block.pcValues : ARM_PC_VALUES);
          // A chain: while the block that follows is the one remembered and would run interpreted and whole, it runs
          // from here, without the rest of this loop's work per block (breakpoints: none is set).
          // A Thumb block cut inside an IT block by its page's end leaves the rest to the engine (ITSTATE).
          while (this.stop === null && this.breakpointSet === undefined && block.endIt === 0) {
            const key = (this.next + (this.thumb ? 1 : 0)) | 0;
            let following: Block;
            if (block.successorKey === key && block.successorGeneration === this.codeGeneration) following = block.successor!;
            else if (block.alternateKey === key && block.alternateGeneration === this.codeGeneration) following = block.alternate!;
            else break;
            if (budget - executed - i < following.instructionCount) break;
            // One due for its translation goes back to the loop above. translationDue's test is made here, inline on
            // every step: its call, made only past the least wait, would first run when the boot's first block came
            // near its turn, long after V8 optimized this loop, and throw that code away (as every path first taken
            // late does); breaking at the least wait instead sent a third of a boot's chain steps back to the loop.
            if (this.translation && (following.translated !== undefined ||
              (loopsSooner && following.successor === following ? following.interpreted >= loopAfter
                : following.interpreted * TRANSLATE_SPAN >= after * following.translationSpan))) break;
            executed += i;
            block.interpreted += i;
            previous = block = following;
            this.runBlock = following;
            this.runExecuted = executed;
            i = executeDense(this, following.dense, following.denseAt, following.handlers, following.dense[following.denseAt - 1],
              following.instructionCount, following.thumb ? following.fallthrough : ARM_FALLTHROUGH, following.thumb ? following.pcValues : ARM_PC_VALUES);
          }
        } else {
          const { fallthrough, pcValues } = block;
          for (; i < count; i++) {
            const next = fallthrough[i];
            this.next = next;
            r[15] = pcValues[i];
            handlers[i](this);
            // A branch changed `next`; so do stops (undefined instruction, BKPT), and an SVC always ends its block. A
            // device accessed may have stopped the CPU (an interrupt raised): taken before the next instruction.
            if (this.next !== next || this.stop !== null) {
              i++;
              break;
            }
          }
        }
      } catch (error) {
        if (!(error instanceof MemoryFault)) throw error;
        // executeDense left `next` at the faulting instruction's fall-through.
        if (dense) i = this.executingIndex(block);
        r[15] = block.pcValues[i];
        this.faultAt(block, i, error);
        executed += i;
        break;
      }
      executed += i;
      block.interpreted += i;
      this.leaveBlock(block, i);
    }
    if (this.stop?.kind === 'fault') this.pc = this.next;
    this.runBlock = undefined;
    this.retired += executed;
    return executed;
  }

  /**
   * Whether a block has run interpreted long enough to be translated: longer blocks wait in proportion, except a loop
   * where `translateLoopsSooner` is set, whose translation ends at its branch back to its start (translate.ts).
   */
  private translationDue(block: Block): boolean {
    if (this.translateLoopsSooner && block.successor === block) return block.interpreted >= this.translateAfter / LOOP_SOONER;
    return block.interpreted * TRANSLATE_SPAN >= this.translateAfter * block.translationSpan;
  }

  private missPathsExercised = false;

  /**
   * Runs `block` translated (translating it the first time), at most `budget` instructions; returns how many retired,
   * or -1 when a truncated block was decoded whole instead, nothing run. A fault stops the CPU at the faulting
   * instruction. A method of its own, called about once per call of `run` for a hot loop: V8 (in run-elf,
   * cli/launcher.ts) compiles it apart from the interpreter's loop, which it then compiles without this path's
   * exception handler.
   */
  private runBlockTranslated(block: Block, budget: number): number {
    const translated = block.translated ?? (block.translated = this.translate(block));
    if (translated === undefined) return -1;
    this.runTranslated = true;
    let executed: number;
    try {
      executed = enterTranslated(translated, this, this.r, budget);
    } catch (error) {
      if (!(error instanceof MemoryFault)) throw error;
      this.faultAt(block, this.exitIndex, error);
      return this.exitRetired;
    }
    this.leaveBlock(block, this.exitIndex);
    return executed;
  }

  /**
   * A hot block's translation; the first one exercises the memory's miss paths, which translations call. A truncated
   * block is decoded whole first, and translated when it is due again at its new length: done here, in a method
   * that V8 compiles on its own, the first whole decoding no longer deoptimizes `run`.
   */
  private translate(block: Block): Translated | undefined {
    if (block.truncated) {
      this.decodeWhole(block);
      return undefined;
    }
    if (!this.missPathsExercised) {
      this.missPathsExercised = true;
      try {
        this.mem.exerciseMissPaths?.();
      } catch (error) {
        if (!(error instanceof MemoryFault)) throw error; // a page the accesses may no longer reach: nothing exercised
      }
    }
    return translateBlock(this.withHandlers(block));
  }

  /** `block` with a handler for each of its instructions (what the dense form covers had none). */
  private withHandlers(block: Block): Block {
    if (!block.handlers.includes(denseOnly)) return block;
    block.handlers = block.handlers.map((handler, i) => {
      if (handler !== denseOnly) return handler;
      const word = block.encodings[i], address = block.addresses[i];
      if (!block.thumb) return this.decoded(address, word, 0) ?? this.keepDecoded(address, word, 0, this.decodeArmHandler(word, address));
      const state = THUMB_STATE | block.itStates[i];
      const first = word > 0xffff ? word >>> 16 : word, second = word > 0xffff ? word & 0xffff : -1;
      return this.decoded(address, word, state) ?? this.keepDecoded(address, word, state, this.decodeThumbHandler(first, second, address, block.itStates[i]));
    });
    return block;
  }

  /** A hot truncated block, about to be translated, decoded again past its unconditional branches. */
  private decodeWhole(block: Block): void {
    try {
      block.become(this.decodeBlock(block.addresses[0], block.thumb, true));
    } catch (error) {
      if (!(error instanceof MemoryFault)) throw error;
      block.truncated = false; // what follows cannot be fetched: the translation ends where the block does
    }
  }

  /** The instruction at `index` of `block` faulted: it stays the current one. */
  private faultAt(block: Block, index: number, error: MemoryFault): void {
    this.next = block.addresses[index];
    this.it = block.itStates[index];
    this.stop = { kind: 'fault', address: error.address >>> 0, access: error.access, detail: error.reason, cause: error };
  }

  /** After `executed` instructions of `block` ran: the PC and ITSTATE of what comes next. */
  private leaveBlock(block: Block, executed: number): void {
    // An instruction that stopped the CPU (undefined, BKPT) stays the current one.
    const stop = this.stop as StopReason | null; // handlers may have set it
    if (stop !== null && stop.kind !== 'svc' && stop.kind !== 'system') this.next = block.addresses[executed - 1];
    this.pc = this.next;
    // Leaving inside an IT block (budget, SVC, page end): the rest of it is decoded from this state. An ARM block's
    // ITSTATEs are all 0.
    if (!block.thumb) this.it = 0;
    else this.it = executed < block.handlers.length ? block.itStates[executed] : this.pc === block.fallthrough[executed - 1] ? block.endIt : 0;
  }

  /**
   * Instructions retired so far, counting the `run` in progress: a device access in the middle of a block asks, to
   * know the CPU's instant. The instruction executing is the one whose fallthrough `next` holds (set before its
   * handler runs; a handler changes it only after its memory accesses).
   */
  get retiredNow(): number {
    const block = this.runBlock;
    if (block === undefined) return this.retired;
    if (this.runTranslated) return this.retired + this.runExecuted + this.passBase + this.exitIndex;
    return this.retired + this.runExecuted + this.executingIndex(block);
  }

  /** The address of the instruction executing (outside `run`, of the next one): which instruction a device access
   * in mid-block came from. */
  get pcNow(): number {
    const block = this.runBlock;
    if (block === undefined) return this.pc;
    return block.addresses[this.runTranslated ? this.exitIndex : this.executingIndex(block)];
  }

  /** Index in `block`, run by the interpreter, of the instruction executing. */
  private executingIndex(block: Block): number {
    const index = block.fallthrough.indexOf(this.next);
    return index < 0 ? block.handlers.length - 1 : index;
  }
}

const nopHandler: Handler = () => {};

/** In a block decoded for the dense form, the place of the handlers it does not need (never called). */
const denseOnly: Handler = () => {
  throw new Error('internal error: an instruction decoded for the dense form ran by its handler');
};

/** A VFP data-processing, load/store or transfer instruction (not VMRS/VMSR of FPSID, FPEXC or MVFRn). */
function isVfpArm(word: number): boolean {
  if (word >>> 28 === 0xf || (word & 0x0e00) !== 0x0a00) return false;
  const top = (word >>> 24) & 0xf;
  if (top < 0xc || top > 0xe) return false;
  if ((word & 0x0fe00f10) === 0x0ee00a10) return ((word >>> 16) & 0xf) === 1; // VMRS/VMSR: only FPSCR is gated
  return true;
}

function isVfpThumb(first: number, second: number): boolean {
  return (first & 0xef00) >= 0xec00 && (first & 0xef00) <= 0xee00 && isVfpArm((0xe << 28) | ((first & 0x0fff) << 16) | second);
}

function vfpGate(handler: Handler, encoding: number): Handler {
  return (c) => {
    if (c.vfpEnabled) handler(c);
    else raiseUndefined(c, encoding, 4, 'VFP is disabled (FPEXC.EN = 0 or CPACR denies cp10/cp11)');
  };
}
