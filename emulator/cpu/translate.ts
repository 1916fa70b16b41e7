// The translator: a hot block becomes one JavaScript function (`new Function`) that runs its instructions in order
// with the interpreter's protocol unrolled (the next PC and R15 as constants, the branch check after each), and loops
// in place while the block branches back to its own start. Each translated function has its own call sites, so V8
// sees every handler call as monomorphic and inlines the handlers' bodies; the common integer instructions are
// emitted as inline JavaScript (emit.ts) with their operands as constants. Exits: a branch out of the block, a stop
// (SVC, undefined instruction, BKPT, a system event such as an interrupt), the budget, a change of the code cache
// (self-modifying code, TLB maintenance) and faults (rethrown with the index of the faulting instruction, so the
// engine leaves exactly the state the interpreter would). A block of inline instructions only is pure code: it calls
// nothing, and leaves before an access its page cache misses (device, fault, uncached page, code written), which the
// engine then runs as the interpreter would.
import type { Handler } from './alu';
import type { CpuMemory } from './memory';
import { emitInstruction } from './emit';
import { PENDING_LOCALS, SETTLE, SETTLED, UNKNOWN, pendingFlags } from './translate-flags';

/** What a translated block returns to the engine: instructions retired; `exitIndex` says where in the block it left. */
export type Translated = (c: TranslationState, r: Int32Array, budget: number) => number;

/** The engine fields a translated block reads and writes besides the architectural state. */
export interface TranslationState {
  readonly mem: CpuMemory;
  next: number;
  stop: unknown;
  thumb: boolean;
  /** Bumped whenever decoded code is dropped: a looping block stops when its own code may have changed. */
  codeGeneration: number;
  /**
   * While the block runs, the index of the instruction accessing memory or calling its handler; when it has left,
   * the index after the last one executed (of the faulting one, after a fault).
   */
  exitIndex: number;
  /**
   * Instructions of earlier passes less the index the current pass entered at (`Cpu.retiredNow` adds exitIndex). A
   * block whose registers live in locals sets both only before it calls the memory (nothing else reads them).
   */
  passBase: number;
  /** Instructions retired before a fault, counting earlier passes of a looping block. */
  exitRetired: number;
}

/** The decoded block as the translator needs it. */
export interface TranslationInput {
  readonly handlers: readonly Handler[];
  readonly addresses: Uint32Array;
  readonly fallthrough: Uint32Array;
  readonly pcValues: Int32Array;
  readonly itStates: Uint8Array;
  /** Raw encodings (a 32-bit Thumb instruction as first << 16 | second), for the inline emitter. */
  readonly encodings: Uint32Array;
  readonly thumb: boolean;
}

/** Translations made so far, `pure` of them pure code (the benchmark and tests report it). */
export const translationStats = { blocks: 0, pure: 0, inlined: 0, called: 0 };

const REGISTER = /\br\[(\d+)\]/g;
/** A register the code assigns (not compares). */
const ASSIGNED = /\br\[(\d+)\] = (?!=)/g;
const FLAG_WRITE = /\bc\.[nzcv] = (?!=)/;
/** The emitter's single-register accesses (emit.ts loadStore): the address is always the constant `a`. */
const LOAD = /mem\.read(8|16|32)\(a\)/g;
const STORE = /mem\.write(8|16|32)\(a, ([^;]*)\);/g;
/** A memory call left as it is (its address is not `a`). */
const CALL = /mem\.(read|write)\d+\((?!a[,)])/;
/** On a miss path, after the memory's call: a device that stopped the CPU (an interrupt raised) makes the block leave
 * after the instruction (xd = 1), so that the engine takes the interrupt before the next one, as when it runs
 * instructions one at a time. */
const STOPPED = '(c.stop === null || (xd = 1))';
const EMPTY_PAGE = new Uint8Array(0);
const NO_VIEW = new DataView(new ArrayBuffer(0));

/** The cache arrays (memory.ts) a direct access reads, by reads and writes: tags, byte pages, views, offsets. */
const CACHE = { read: ['RT', 'RP', 'RV', 'RO'], write: ['WT', 'WP', 'WV', 'WO'] } as const;
const CACHE_FIELDS: Record<string, string> = {
  RT: 'readTags', RP: 'readPages', RV: 'readViews', RO: 'readOffsets', WT: 'writeTags', WP: 'writePages', WV: 'writeViews', WO: 'writeOffsets',
};

/** A load of `size` from page offset `offset` (a byte from the page, a halfword or word through the view). */
function loaded(size: number, page: string, view: string, base: string, offset: string): string {
  return size === 1 ? `${page}[${offset}]` : `${view}.get${size === 2 ? 'Uint16' : 'Int32'}(${base} + ${offset}, true)`;
}

function stored(size: number, page: string, view: string, base: string, offset: string, value: string): string {
  return size === 1 ? `${page}[${offset}] = ${value};` : `${view}.set${size === 2 ? 'Uint16' : 'Int32'}(${base} + ${offset}, ${value}, true);`;
}

/** Whether the access of `size` at `a` lies within its page (wider ones crossing a page take the memory's path). */
function withinPage(size: number): string {
  return size > 1 ? ` && (a & 4095) < ${4097 - size}` : '';
}

/**
 * In a block whose registers live in locals, each instruction's loads or stores keep their own copy of a page cache
 * entry (tag t<k>; the page p<k> for bytes, else its buffer's view d<k> and offset q<k>; xe is the epoch they hold
 * for): a hit is an access in the block's own code; a miss takes the entry from the memory's cache when it holds
 * the page, else calls the memory (which may fill its cache, translate, fault or reach a device, so the
 * instruction's index and the pass are recorded first) and takes the entry again. A change of the page cache (only
 * a call of the memory makes one) or a stop makes the block leave after that instruction (xd = 1): the next call
 * starts with every copy empty. Dropping them all where it happens instead would make each miss path assign every
 * site's tag, and V8 compile such functions twice as long.
 */
function directAccesses(code: string, index: number, sites: boolean[]): string {
  let site = -1;
  // One site per instruction (an LDM's words are all words).
  const siteOf = (size: number): number => (site < 0 ? (site = sites.push(size > 1) - 1) : site);
  const take = (k: number, size: number, [, pages, views, offsets]: readonly string[]): string =>
    size === 1 ? `p${k} = ${pages}[xs & 1023]` : `d${k} = ${views}[xs & 1023], q${k} = ${offsets}[xs & 1023]`;
  const hit = (k: number, size: number, cache: readonly string[]): string =>
    `(t${k} === (xs = a >>> 12) || (${cache[0]}[xs & 1023] === xs && (t${k} = xs, ${take(k, size, cache)}, true)))${withinPage(size)}`;
  const refresh = (k: number, size: number, cache: readonly string[]): string => `xe === mem.cacheEpoch || (xe = mem.cacheEpoch, xd = 1), ${STOPPED}, ` +
    `xs = a >>> 12, t${k} = ${cache[0]}[xs & 1023] === xs ? (${take(k, size, cache)}, xs) : -1`;
  const enter = `c.exitIndex = ${index}, c.passBase = done - e`;
  return code.replace(LOAD, (_, bits: string) => {
    const size = Number(bits) / 8, k = siteOf(size);
    const value = loaded(size, `p${k}`, `d${k}`, `q${k}`, '(a & 4095)');
    return `(${hit(k, size, CACHE.read)} ? ${value} : (${enter}, xv = mem.read${bits}(a), ${refresh(k, size, CACHE.read)}, xv))`;
  }).replace(STORE, (_, bits: string, value: string) => {
    const size = Number(bits) / 8, k = siteOf(size);
    const store = stored(size, `p${k}`, `d${k}`, `q${k}`, '(a & 4095)', value);
    return `if (${hit(k, size, CACHE.write)}) { ${store} } else { ${enter}; mem.write${bits}(a, ${value}); ${refresh(k, size, CACHE.write)}; }`;
  });
}

/**
 * In a block whose accesses are not direct, each load or store reads the memory's page cache as the memory's own
 * access would (its arrays loaded when the function starts), and calls the memory on a miss only: no call per
 * access (V8 inlines only so many of them into a function), and the instruction's index is recorded on the miss
 * path only (the pass's base is kept current where a pass starts), and a stop there leaves after the instruction.
 */
function cachedAccesses(code: string, index: number): string {
  const hit = (tags: string, size: number): string => `${tags}[(xs = a >>> 12) & 1023] === xs${withinPage(size)}`;
  const entry = ([, pages, views, offsets]: readonly string[]): string[] => [`${pages}[xs & 1023]`, `${views}[xs & 1023]`, `${offsets}[xs & 1023]`];
  return code.replace(LOAD, (_, bits: string) => {
    const size = Number(bits) / 8;
    const [page, view, base] = entry(CACHE.read);
    return `(${hit('RT', size)} ? ${loaded(size, page, view, base, '(a & 4095)')} : (c.exitIndex = ${index}, xv = mem.read${bits}(a), ${STOPPED}, xv))`;
  }).replace(STORE, (_, bits: string, value: string) => {
    const size = Number(bits) / 8;
    const [page, view, base] = entry(CACHE.write);
    return `if (${hit('WT', size)}) { ${stored(size, page, view, base, '(a & 4095)', value)} } else { c.exitIndex = ${index}; mem.write${bits}(a, ${value}); ${STOPPED}; }`;
  });
}

/** A statement loading `mem.readN(a)` (the emitter's loads, emit.ts: at most one per statement). */
const LOAD_STATEMENT = /(?<=[{;] )([^;{}]*?)mem\.read(8|16|32)\(a\)([^;{}]*;)/g;

/**
 * The accesses of pure code (see translateBlock), or undefined where the code calls the memory otherwise: a hit in
 * the memory's page cache is an access in the code, with `sites` (a block that loops) through the instruction's
 * own copy of the entry (tag t<k>; the page p<k> for bytes, else the view d<k> and offset q<k>), taken from the cache
 * when it holds the page; a miss runs `miss`, which leaves before the instruction, its loads and stores done
 * anew by the engine (a store that hit before the miss of the next one, STM's, writes RAM the same value again).
 */
function pureAccesses(code: string, miss: string, sites?: boolean[]): string | undefined {
  let site = -1;
  // One site per instruction (an LDM's words are all words).
  const siteOf = (size: number): number | undefined => (sites === undefined ? undefined : site < 0 ? (site = sites.push(size > 1) - 1) : site);
  const hit = (size: number, [tags, pages, views, offsets]: readonly string[], k: number | undefined): string => {
    if (k === undefined) return `${tags}[(xs = a >>> 12) & 1023] === xs${withinPage(size)}`;
    const take = size === 1 ? `p${k} = ${pages}[xs & 1023]` : `d${k} = ${views}[xs & 1023], q${k} = ${offsets}[xs & 1023]`;
    return `(t${k} === (xs = a >>> 12) || (${tags}[xs & 1023] === xs && (t${k} = xs, ${take}, true)))${withinPage(size)}`;
  };
  const entry = ([, pages, views, offsets]: readonly string[], k: number | undefined): [string, string, string] =>
    (k === undefined ? [`${pages}[xs & 1023]`, `${views}[xs & 1023]`, `${offsets}[xs & 1023]`] : [`p${k}`, `d${k}`, `q${k}`]);
  const pure = code.replace(LOAD_STATEMENT, (_, before: string, bits: string, after: string) => {
    const size = Number(bits) / 8, k = siteOf(size);
    return `if (!(${hit(size, CACHE.read, k)})) ${miss} ${before}${loaded(size, ...entry(CACHE.read, k), '(a & 4095)')}${after}`;
  }).replace(STORE, (_, bits: string, value: string) => {
    const size = Number(bits) / 8, k = siteOf(size);
    return `if (${hit(size, CACHE.write, k)}) { ${stored(size, ...entry(CACHE.write, k), '(a & 4095)', value)} } else ${miss}`;
  });
  return pure.includes('mem.') ? undefined : pure.replaceAll('c.next =', 'nx =').replaceAll('c.thumb =', 'th =');
}

/**
 * Runs a translation. Every translation is entered through this one call site, which has called two different
 * functions before the first translation runs (often enough for V8 to record them: it keeps no record of a
 * function's first calls): V8 then compiles it as a call of any function. Had it seen one translation only, the
 * engine's loop, optimized with that call inlined, would be deoptimized and optimized again (running slower
 * meanwhile) when a second one became hot.
 */
export function enterTranslated(translated: Translated, c: TranslationState, r: Int32Array, budget: number): number {
  return translated(c, r, budget);
}

let entryGeneric = false;

function makeEntryGeneric(c: TranslationState, r: Int32Array): void {
  entryGeneric = true;
  const idle = [(): number => 0, (): number => 0];
  for (let i = 0; i < 256; i++) enterTranslated(idle[i & 1], c, r, 0);
}

export function translateBlock(block: TranslationInput): Translated {
  if (!entryGeneric) makeEntryGeneric(undefined as unknown as TranslationState, new Int32Array(0));
  const { handlers, addresses, fallthrough, pcValues, itStates, encodings, thumb } = block;
  const start = addresses[0];
  // Instructions a branch may continue at without leaving: the engine would run the block decoded there, whose
  // instructions are these same ones when ITSTATE is 0 there (as it is after a branch).
  const indexOf = new Map<number, number>();
  addresses.forEach((address, j) => { if (itStates[j] === 0) indexOf.set(address, j); });
  const emitted = Array.from(encodings, (encoding, i) => emitInstruction(encoding, thumb, itStates[i], pcValues[i], fallthrough[i]));
  const targets = new Set<number>();
  // A block with a loop is translated up to its last backward branch: what follows runs once per loop, as a block
  // of its own (leaving after any instruction is what the engine does at the end of its budget too). A loop that
  // starts further in is left to the block the engine decodes at its head: each function holds at most one loop
  // nest's head, so V8 compiles it faster (on threads whose CPU time counts too) and keeps its locals in registers.
  const targetIndex = emitted.map((e) => (e?.target === undefined ? undefined : indexOf.get(e.target)));
  let length = handlers.length;
  targetIndex.forEach((j, i) => {
    if (j === undefined) return;
    targets.add(j);
    if (j <= i) length = i + 1;
  });
  targetIndex.forEach((j, i) => { if (j !== undefined && j > 0 && j <= i && j < length) length = j; });
  // Cut there, the block ends at its last branch back to its start, if it has one: what followed the loop would
  // run once per loop too, and code that never ran before V8 optimized the function would make it deoptimize.
  let lastLoop = -1;
  targetIndex.forEach((j, i) => { if (j === 0 && i < length) lastLoop = i; });
  if (lastLoop >= 0) length = lastLoop + 1;
  for (const j of targets) if (j >= length) targets.delete(j);
  // Where the only branch target inside is the start, every pass enters there: no dispatch on the entry index.
  const straight = [...targets].every((j) => j === 0);
  // In a block the emitter covers entirely, the registers and flags live in locals (r3, fz...), written back to
  // the CpuState when it leaves; where a handler runs, writing them back and reading them again around each call
  // would cost more than it saves, so such blocks use the CpuState's.
  const inline = emitted.slice(0, length).every((e) => e !== undefined);
  // Each call of the function starts with every access site's page copy empty, so the direct accesses pay only where
  // the function loops; a block run once per call (most of a kernel's) calls the memory, whose cache costs less.
  const direct = inline && targetIndex.some((j, i) => j !== undefined && j <= i && i < length);
  // Pure code (inline, its memory accesses all through the page cache): a miss leaves before the instruction, so
  // that nothing the block calls can fault, stop the CPU, drop decoded code or change the page cache. Its exits and
  // loops then check only the budget, and no rarely taken path touches an object or calls a function: the first run
  // of one (a page first met, an exit first taken) would make V8 deoptimize the function and compile it again.
  const pure = inline && emitted.slice(0, length).every((e) => pureAccesses(e!.code, '') !== undefined);
  const locals = new Set<number>();
  if (inline) for (const e of emitted.slice(0, length)) for (const match of e!.code.matchAll(REGISTER)) locals.add(Number(match[1]));
  const registers = [...locals].sort((x, y) => x - y);
  // Only what the block may change is written back: each call pays for its write-back, and many calls leave early.
  const written = new Set<number>();
  let setsFlags = false;
  if (inline) {
    for (const e of emitted.slice(0, length)) {
      for (const match of e!.code.matchAll(ASSIGNED)) written.add(Number(match[1]));
      if (FLAG_WRITE.test(e!.code)) setsFlags = true;
    }
  }
  const writeBack = !inline ? '' : [...registers.filter((n) => written.has(n)).map((n) => `r[${n}] = r${n};`),
    setsFlags ? `${SETTLE} c.n = fn; c.z = fz; c.c = fc; c.v = fv;` : ''].join(' ');
  const lines: string[] = [];
  const used: number[] = [];
  // Whether the pass's end is reached only by falling through the last instruction (its branches handled inside).
  let fallsOut = false;
  /** Each direct access site: whether it is a halfword or word one (a view) or a byte one (the page). */
  const sites: boolean[] = [];
  let cached = false;
  // What fk holds (translate-flags.ts): at a branch target inside, what the branch left.
  let flags = SETTLED;
  for (let i = 0; i < length; i++) {
    if (targets.has(i)) {
      lines.push(`case ${i}:`);
      flags = UNKNOWN;
    }
    // Every exit goes through the epilogue after the loop, `left` instructions into the pass.
    const leave = `{ left = ${i + 1}; break pass; }`;
    const instruction = emitted[i];
    if (instruction !== undefined) {
      translationStats.inlined++;
      let code = instruction.code;
      if (inline) ({ code, state: flags } = pendingFlags(code.replace(REGISTER, 'r$1'), flags));
      if (pure) code = pureAccesses(code, `{ nx = ${addresses[i]}; left = ${i}; break pass; }`, direct ? sites : undefined)!;
      else if (direct) code = directAccesses(code, i, sites);
      else if (instruction.mayFault) {
        const before = code;
        code = cachedAccesses(code, i);
        if (code !== before) cached = true;
      }
      // A memory call left in the code (LDM, LDRD...) records where it is; a direct or cached access does so on a
      // miss.
      const calls = !pure && instruction.mayFault && CALL.test(code);
      const nextIs = pure ? 'nx =' : 'c.next =';
      if (calls) lines.push(inline && direct ? `c.exitIndex = ${i}; c.passBase = done - e;` : `c.exitIndex = ${i};`);
      // The last instruction leaves through the loop check below, with next = where it goes: set after it when
      // only a direct branch of its own leaves otherwise (a loop's closing branch stores nothing when it is taken).
      const last = i === length - 1;
      const nextAfter = last && inline && !instruction.code.includes('c.next');
      if (nextAfter) fallsOut = true;
      if (last && !nextAfter) lines.push(`${nextIs} ${fallthrough[i]};`);
      const exit = last && !nextAfter ? '' : leave;
      const j = instruction.target === undefined ? undefined : indexOf.get(instruction.target);
      // `e` is where this pass entered the block: i + 1 - e instructions of it have retired after instruction i.
      // A direct branch leaves with next = its target, or continues at it inside the block.
      const next = instruction.target === undefined ? '' : `${nextIs} ${instruction.target}; `;
      const enter = `${straight ? '' : ` e = at = ${j};`}${(inline && direct) || pure ? '' : ' c.passBase = done - e;'}`;
      const unchanged = pure ? '' : 'c.stop === null && c.codeGeneration === generation && ';
      const taken = j !== undefined && j < length
        ? `if (${unchanged}done + ${i + 1 + length - j} - e <= budget) { done += ${i + 1} - e;${enter} continue; } ${next}${exit}`
        : `${next}${exit}`;
      lines.push(code.replaceAll('EXIT', taken));
      if (code.includes('xd = 1')) lines.push(`if (xd !== 0) { c.next = ${fallthrough[i]}; ${leave} }`);
      else if (calls) lines.push(`if (c.stop !== null) { c.next = ${fallthrough[i]}; ${leave} }`);
      if (nextAfter) lines.push(`${nextIs} ${fallthrough[i]};`);
      continue;
    }
    translationStats.called++;
    used.push(i);
    // The interpreter's protocol: next = fallthrough and R15 = address + 8/4 before the handler; a changed next
    // (a branch, or a stop) ends the block.
    lines.push(`c.exitIndex = ${i}; c.next = ${fallthrough[i]}; r[15] = ${pcValues[i]}; h${i}(c);`);
    if (i < length - 1) lines.push(`if (c.next !== ${fallthrough[i]} || c.stop !== null) ${leave}`);
  }
  // Looping in place is what the engine would do next: pc = start, ITSTATE = 0, the same block (unless its code
  // was dropped). Only a block that starts outside an IT block may loop; one whose last instruction branches back
  // itself never gets here with next = start (code that never runs would make V8 deoptimize the function there).
  const loops = itStates[0] === 0 && !fallsOut;
  // The cache arrays the accesses read, loaded once per call.
  const code = lines.join('\n');
  const arrays = Object.keys(CACHE_FIELDS).filter((name) => new RegExp(`\\b${name}\\[`).test(code));
  const loopsBack = pure
    ? `    if (nx === ${start} && th === ${thumb} && done + ${2 * length} - e <= budget) { done += ${length} - e;${straight ? '' : ' e = at = 0;'} continue; }`
    : `    if (c.next === ${start} && c.stop === null && c.thumb === ${thumb} && c.codeGeneration === generation && done + ${2 * length} - e <= budget) { done += ${length} - e;${straight ? '' : ' e = at = 0;'}${inline && direct ? '' : ' c.passBase = done;'} continue; }`;
  const siteLocals = sites.map((wide, k) => (wide ? `t${k} = -1, d${k} = NO_VIEW, q${k} = 0` : `t${k} = -1, p${k} = EMPTY`));
  const passes = [
    '  pass: for (;;) {',
    straight ? '    {' : '    switch (at) {',
    straight ? '' : '    case 0:',
    ...lines.filter((line) => line !== 'case 0:').map((line) => `    ${line}`),
    '    }',
    loops ? loopsBack : '',
    `    left = ${length};`,
    '    break;',
    '  }',
  ];
  const body = pure ? [
    `let done = 0, e = 0, at = 0, left = 0, nx = 0, th = ${thumb}, xs = 0;`,
    `let ${[...registers.map((n) => `r${n} = r[${n}]`), `fn = c.n, fz = c.z, fc = c.c, fv = c.v, ${PENDING_LOCALS}`].join(', ')};`,
    arrays.length > 0 ? `const mem = c.mem, ${arrays.map((name) => `${name} = mem.${CACHE_FIELDS[name]}`).join(', ')};` : '',
    sites.length > 0 ? `let ${siteLocals.join(', ')};` : '',
    ...passes,
    writeBack,
    `c.next = nx;${/\bth = /.test(code) ? ' c.thumb = th;' : ''}`,
    'c.passBase = done - e;',
    // A miss at the first instruction leaves it to the engine, having run nothing.
    'if (left > 0) r[15] = pcs[left - 1];',
    'c.exitIndex = left;',
    'return done + left - e;',
  ] : [
    'const generation = c.codeGeneration;',
    'const mem = c.mem;',
    'let done = 0, e = 0, at = 0, left = 0;',
    'c.passBase = 0;',
    inline ? `let ${[...registers.map((n) => `r${n} = r[${n}]`), `fn = c.n, fz = c.z, fc = c.c, fv = c.v, ${PENDING_LOCALS}`].join(', ')};` : '',
    arrays.length > 0 ? `const ${arrays.map((name) => `${name} = mem.${CACHE_FIELDS[name]}`).join(', ')};` : '',
    cached ? 'let xs = 0, xv = 0, xd = 0;' : '',
    sites.length > 0 ? `let xs = 0, xv = 0, xd = 0, xe = mem.cacheEpoch, ${siteLocals.join(', ')};` : '',
    'try {',
    ...passes,
    '} catch (error) {',
    // A fault leaves the locals as the instructions before the faulting one left them.
    `  ${writeBack}`,
    '  r[15] = pcs[c.exitIndex];',
    '  c.exitRetired = done + c.exitIndex - e;',
    '  throw error;',
    '}',
    writeBack,
    'r[15] = pcs[left - 1];',
    'c.exitIndex = left;',
    'return done + left - e;',
  ];
  const names = used.map((i) => `h${i}`);
  const source = `return function block_${start.toString(16)}(c, r, budget) {\n${body.filter((line) => line !== '').join('\n')}\n};`;
  translationStats.blocks++;
  if (pure) translationStats.pure++;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the translator's output is generated code
  return new Function('pcs', 'EMPTY', 'NO_VIEW', ...names, source)(pcValues, EMPTY_PAGE, NO_VIEW, ...used.map((i) => handlers[i])) as Translated;
}
