// Polling with a deadline: the editor updates asynchronously (language server round trips, debug events), so tests
// wait for what a person would wait for, and a timeout names what never appeared.

/** Polls `probe` until it returns something other than false/undefined/null; throws if it throws or time runs out. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | false | undefined | null>, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== false && value !== undefined && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
