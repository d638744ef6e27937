const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` (short CLI commands are synchronous; only `run` is event-driven). */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
