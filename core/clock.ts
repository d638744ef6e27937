/**
 * Time as a dependency. Every deadline, timer and wait in the project goes through a Clock, so tests
 * drive them with a fake one (test/fakes/fake-clock.ts) instead of waiting in real time.
 */

/** A pending timer; `cancel` is idempotent. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` (never synchronously). `unref`: the timer alone does not keep a
   * Node process alive (background housekeeping). */
  setTimer(ms: number, fn: () => void, options?: { unref?: boolean }): Timer;
  /** Resolves after `ms`; rejects with the signal's reason when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** `sleep` over any clock's `setTimer`: clock implementations share it. */
export function sleepOn(setTimer: Clock['setTimer'], ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = setTimer(Math.max(0, ms), () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type Handle = { unref?: () => unknown };

/** The real clock (works in Node, Workers and the action runtime). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn, options) {
    const handle = setTimeout(fn, Math.max(0, ms)) as unknown as Handle;
    if (options?.unref) handle.unref?.();
    return { cancel: () => clearTimeout(handle as unknown as ReturnType<typeof setTimeout>) };
  },
  sleep: (ms, signal) => sleepOn(systemClock.setTimer, ms, signal),
};
