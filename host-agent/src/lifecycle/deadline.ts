import { DeadlineError } from '../util/errors';

/**
 * Runs `work` with a signal that aborts when `parent` aborts or `ms` pass, and settles as soon as
 * either happens even if `work` ignores its signal. A passed deadline becomes a DeadlineError naming
 * `what`; a parent abort rethrows the parent's reason.
 */
export async function withDeadline<T>(what: string, ms: number, parent: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  parent.throwIfAborted();
  const local = new AbortController();
  const timer = setTimeout(() => local.abort(new DeadlineError(what, ms)), Math.max(0, ms));
  const signal = AbortSignal.any([parent, local.signal]);
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
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    aborted.catch(() => undefined);
  }
}

/** Resolves when `signal` aborts (with its reason as the value), never rejects. */
export function whenAborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}
