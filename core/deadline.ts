/**
 * Deadlines on the injected clock: bounded waits that settle as soon as their time is up, even when
 * the work ignores its signal.
 */
import type { Clock } from './clock';
import { errorMessage, TartfleetError } from './errors';

/** A wait that ran past its deadline. `what` names the thing waited for. */
export class DeadlineError extends TartfleetError {
  override readonly name = 'DeadlineError';
  constructor(
    readonly what: string,
    readonly deadlineMs: number,
    cause?: unknown,
  ) {
    super('deadline', `${what} did not finish within ${deadlineMs} ms${cause === undefined ? '' : `: ${errorMessage(cause)}`}`, { retryable: true, cause });
  }
}

/** An AbortSignal that aborts with a DeadlineError after `ms` on `clock`; `cancel` stops the timer. */
export function deadlineSignal(clock: Clock, what: string, ms: number): { signal: AbortSignal; cancel(): void } {
  const controller = new AbortController();
  const timer = clock.setTimer(ms, () => controller.abort(new DeadlineError(what, ms)));
  return { signal: controller.signal, cancel: () => timer.cancel() };
}

/**
 * Runs `work` with a signal that aborts when `parent` aborts or `ms` pass on `clock`, and settles as
 * soon as either happens even if `work` ignores its signal. A passed deadline rejects with a
 * DeadlineError naming `what`; a parent abort rejects with the parent's reason.
 */
export async function withDeadline<T>(clock: Clock, what: string, ms: number, parent: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  parent?.throwIfAborted();
  const local = deadlineSignal(clock, what, ms);
  const signal = parent ? AbortSignal.any([parent, local.signal]) : local.signal;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(signal), aborted]);
  } catch (error: unknown) {
    if (signal.aborted) throw signal.reason;
    throw error;
  } finally {
    local.cancel();
    if (onAbort) signal.removeEventListener('abort', onAbort);
    aborted.catch(() => undefined);
  }
}

/** `promise`, or a DeadlineError after `ms`, whichever comes first (the promise is not canceled). */
export function raceDeadline<T>(clock: Clock, what: string, ms: number, promise: Promise<T>): Promise<T> {
  return withDeadline(clock, what, ms, undefined, () => promise);
}

/** True when `promise` settled within `ms`, false when the time ran out first. Never rejects. */
export async function settlesWithin(clock: Clock, ms: number, promise: Promise<unknown>): Promise<boolean> {
  return raceDeadline(clock, 'settle', ms, promise.then(() => true, () => true)).catch(() => false);
}

/** Resolves when `signal` aborts (with its reason as the value), never rejects. */
export function whenAborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}
