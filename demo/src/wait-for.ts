/**
 * Polls `check` until it returns a truthy value or the deadline passes (then throws naming `what`).
 * With no `intervalMs`, the wait between checks starts at 50 ms and grows by half each time up to
 * 400 ms: a condition that holds soon is seen soon, and a long wait does not spend the machine on
 * checks (many spawn a process, e.g. `tart list`, which costs a Node start-up each time). A given
 * `intervalMs` is kept as is.
 */
const FIRST_WAIT_MS = 50;
const MAX_WAIT_MS = 400;

export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000, intervalMs?: number): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let wait = intervalMs ?? FIRST_WAIT_MS;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error: unknown) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, Math.max(0, deadline - Date.now()) + 1)));
    if (intervalMs === undefined) wait = Math.min(MAX_WAIT_MS, Math.round(wait * 1.5));
  }
}
