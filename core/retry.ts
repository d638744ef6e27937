import type { Clock } from './clock';
import { DeadlineError } from './deadline';
import { errorMessage } from './errors';

/** Options for `retry`. Every retry loop in the agent is bounded by both a count and a deadline. */
export interface RetryOptions {
  /** What is being attempted, for error messages (`SSH connect to 127.0.0.5:22`). */
  what: string;
  clock: Clock;
  /** Give up after this many attempts (the first one counts). */
  maxAttempts: number;
  /** Give up when the next attempt would start after `clock.now() + deadlineMs` from the first call. */
  deadlineMs: number;
  /** First delay; doubles each attempt up to `maxDelayMs`, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Return false for errors that retrying cannot fix (the error is rethrown at once). */
  retryable?: (error: unknown) => boolean;
  signal?: AbortSignal;
  /** Called before each wait; for logging. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Source of randomness for the jitter, [0, 1). Injected so tests are deterministic. */
  random?: () => number;
}

/**
 * Runs `attempt` until it resolves, it throws a non-retryable error, the attempts run out or the
 * deadline passes. The attempt gets the remaining time so it can bound its own wait. Full jitter
 * (delay = random × min(max, base × 2^n)) keeps several VMs from hammering in lockstep.
 */
export async function retry<T>(options: RetryOptions, attempt: (remainingMs: number, attemptNo: number) => Promise<T>): Promise<T> {
  const { clock, random = Math.random } = options;
  const deadline = clock.now() + options.deadlineMs;
  let lastError: unknown;
  for (let n = 1; n <= options.maxAttempts; n += 1) {
    options.signal?.throwIfAborted();
    const remaining = deadline - clock.now();
    if (remaining <= 0) break;
    try {
      return await attempt(remaining, n);
    } catch (error: unknown) {
      lastError = error;
      if (options.signal?.aborted) throw error;
      if (options.retryable && !options.retryable(error)) throw error;
      // Out of attempts: the last error says best what went wrong.
      if (n === options.maxAttempts) throw error;
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (n - 1));
      const delay = Math.min(Math.round(random() * ceiling), Math.max(0, deadline - clock.now()));
      options.onRetry?.(error, n, delay);
      await clock.sleep(delay, options.signal);
    }
  }
  throw new DeadlineError(options.what, options.deadlineMs, lastError === undefined ? undefined : new Error(errorMessage(lastError), { cause: lastError }));
}
