// Near misses of a name: the assembler's mnemonics, the CLI's commands and options, the debugger's launch attributes.

/** Edits (insert, delete, substitute, swap two neighbours) between two words, stopping early past `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}

/**
 * The one name `word` is most likely a slip for: the single candidate nearest it, within a third of its length in
 * edits (at least one), or none when nothing is that near or two are equally near. Each candidate is
 * [name, ...other spellings it answers to] (`asm` answers to `assemble`).
 */
export function closestName(word: string, candidates: readonly (readonly string[])[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = limit + 1;
  let tie = false;
  for (const [name, ...others] of candidates) {
    const distance = Math.min(...[name, ...others].map((spelling) => editDistance(lower, spelling.toLowerCase(), limit)));
    if (distance < bestDistance) [best, bestDistance, tie] = [name, distance, false];
    else if (distance === bestDistance && name !== best) tie = true;
  }
  return tie ? undefined : best;
}
