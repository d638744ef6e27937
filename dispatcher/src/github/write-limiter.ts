import { systemClock, type Clock } from '../../../core/clock';

/**
 * A token bucket for GitHub writes, shaped like the Bottleneck group that
 * `@octokit/plugin-throttling` uses for them (`state.write.key(id).schedule(opts, fn)`).
 *
 * Why not the plugin's default: it allows one write per second per process, so a burst of 50 jobs
 * waits ≥ 50 s for JIT configs. GitHub's real ceiling for one endpoint is 900 points/min with a POST
 * worth 5 (docs/reference/github-api.md §4) = 180 generate-jitconfig calls a minute; we refill below that and allow a
 * small burst so the first runners of a burst start at once.
 */
export interface WriteLimiterOptions {
  /** Sustained writes per minute. */
  perMinute: number;
  /** Writes allowed back to back before the sustained rate applies. */
  burst: number;
  /** Real time unless a test injects its own. */
  clock?: Pick<Clock, 'now' | 'sleep'>;
}

export interface BottleneckGroupLike {
  key(id?: string): { schedule<T>(...args: unknown[]): Promise<T> };
}

export function createWriteLimiter(options: WriteLimiterOptions): BottleneckGroupLike & { acquire(): Promise<void> } {
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.now();
  const sleep = (ms: number): Promise<void> => clock.sleep(ms);
  const intervalMs = 60_000 / options.perMinute;
  const tau = Math.max(0, options.burst - 1) * intervalMs;
  // GCRA: `tat` is the theoretical arrival time of the next write; a write may go `tau` early.
  let tat = 0;

  async function acquire(): Promise<void> {
    const t = now();
    const base = Math.max(tat, t);
    const allowedAt = Math.max(t, base - tau);
    tat = base + intervalMs;
    if (allowedAt > t) await sleep(allowedAt - t);
  }

  const keyed = {
    async schedule<T>(...args: unknown[]): Promise<T> {
      // Bottleneck's signature is schedule([options,] fn, ...args).
      const fnIndex = typeof args[0] === 'function' ? 0 : 1;
      const fn = args[fnIndex] as (...a: unknown[]) => Promise<T>;
      await acquire();
      return fn(...args.slice(fnIndex + 1));
    },
  };
  return { key: () => keyed, acquire };
}

/**
 * A concurrency cap shaped like plugin-throttling's Bottleneck groups, for its `global` and `auth`
 * slots. Bottleneck's scheduler adds several milliseconds of timer hops to every request, a good part
 * of the webhook → runner-accepted budget; a plain semaphore gives the same protection (GitHub allows
 * 100 concurrent requests, docs/reference/github-api.md §4) without the hops.
 */
export function createConcurrencyLimiter(maxConcurrent: number): BottleneckGroupLike {
  let active = 0;
  const waiting: (() => void)[] = [];
  const keyed = {
    async schedule<T>(...args: unknown[]): Promise<T> {
      const fnIndex = typeof args[0] === 'function' ? 0 : 1;
      const fn = args[fnIndex] as (...a: unknown[]) => Promise<T>;
      if (active >= maxConcurrent) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      try {
        return await fn(...args.slice(fnIndex + 1));
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
  };
  return { key: () => keyed };
}

type FailedHandler = (error: unknown, info: { args: unknown[]; retryCount: number }) => unknown;

/**
 * The retry scheduler plugin-throttling uses (`state.retryLimiter`): run the request; when it fails,
 * ask the plugin's "failed" handler, which returns the wait in ms for a rate limit it wants retried
 * (it decides how often, through our onRateLimit/onSecondaryRateLimit). Same contract as Bottleneck's
 * `schedule` + `on('failed')`, without its scheduler hops on every request.
 */
export function createRetryScheduler(clock: Pick<Clock, 'sleep'> = systemClock) {
  const sleep = (ms: number): Promise<void> => clock.sleep(ms);
  const handlers: FailedHandler[] = [];
  return {
    on(event: string, handler: FailedHandler): void {
      if (event === 'failed') handlers.push(handler);
    },
    async schedule<T>(...args: unknown[]): Promise<T> {
      const fnIndex = typeof args[0] === 'function' ? 0 : 1;
      const fn = args[fnIndex] as (...a: unknown[]) => Promise<T>;
      const fnArgs = args.slice(fnIndex + 1);
      for (let retryCount = 0; ; retryCount++) {
        try {
          return await fn(...fnArgs);
        } catch (error: unknown) {
          let wait: unknown;
          for (const h of handlers) {
            const r = await h(error, { args: fnArgs, retryCount });
            if (typeof r === 'number') wait = r;
          }
          if (typeof wait !== 'number') throw error;
          await sleep(wait);
        }
      }
    },
  };
}
