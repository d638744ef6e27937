import type { Clock } from './state';

/** Settings of the primary (hourly) limit. */
export interface PrimaryLimitConfig {
  /** Requests per hour per authenticated identity; default 5000. */
  limit: number;
  /** Requests per hour per unauthenticated client; default 60 (GitHub's). */
  anonymousLimit: number;
  /** Status of an exhausted primary limit: GitHub sends 403 or 429. */
  status: 403 | 429;
}

/** Settings of the secondary limits (GitHub: ≤ 100 concurrent, ≤ 900 points/min per endpoint). */
export interface SecondaryLimitConfig {
  /** Points per minute per identity per route (GET = 1, others = 5); 0 disables. Default 0. */
  pointsPerMinute: number;
  /** Concurrent requests per identity; 0 disables. Default 0. */
  maxConcurrent: number;
  /** Status of a secondary limit response: 403 (common) or 429. */
  status: 403 | 429;
  /** `retry-after` seconds sent with it; null sends none. Default 60. */
  retryAfterSeconds: number | null;
}

/** A forced secondary limit for the next `count` requests matching `path` (a regular expression on the path). */
export interface ForcedSecondary {
  count: number;
  path?: RegExp;
  method?: string;
}

/** Outcome of `check`: headers to send, and a limit hit if any. */
export interface RateDecision {
  headers: Record<string, string>;
  hit?: { status: 403 | 429; message: string; headers: Record<string, string> };
  release(): void;
}

/** GitHub's secondary limit message (Octokit's throttling plugin matches `/\bsecondary rate\b/i`). */
export const SECONDARY_MESSAGE = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID';

/** Primary and secondary rate limits of the fake, with GitHub's headers and messages. */
export interface RateLimiter {
  primary: PrimaryLimitConfig;
  secondary: SecondaryLimitConfig;
  /** Forces secondary limit responses (fault injection). */
  forceSecondary(forced: ForcedSecondary): void;
  /** Sets the remaining budget of an identity key (`pat:login`, `installation:ID`) for this window. */
  setRemaining(key: string, remaining: number): void;
  check(key: string, subject: string, method: string, path: string, routeKey: string, requestId: string, counts: boolean): RateDecision;
  /** Gives back one request of the current window (conditional requests answered 304). */
  refund(key: string): void;
  /** The `x-ratelimit-*` headers of an identity right now. */
  headers(key: string): Record<string, string>;
  /** Current usage of an identity (for `GET /rate_limit`). */
  usage(key: string): { limit: number; used: number; remaining: number; reset: number };
}

/** Creates a limiter with GitHub's defaults. */
export function createRateLimiter(clock: Clock, primary: Partial<PrimaryLimitConfig> = {}, secondary: Partial<SecondaryLimitConfig> = {}): RateLimiter {
  const windows = new Map<string, { start: number; used: number }>();
  const points = new Map<string, { start: number; points: number }>();
  const inflight = new Map<string, number>();
  const forced: ForcedSecondary[] = [];
  const limiter: RateLimiter = {
    primary: { limit: 5000, anonymousLimit: 60, status: 403, ...primary },
    secondary: { pointsPerMinute: 0, maxConcurrent: 0, status: 403, retryAfterSeconds: 60, ...secondary },
    forceSecondary(f) {
      forced.push({ ...f });
    },
    setRemaining(key, remaining) {
      const w = window(key);
      w.used = Math.max(0, limitOf(key) - remaining);
    },
    refund(key) {
      const w = window(key);
      w.used = Math.max(0, w.used - 1);
    },
    headers(key) {
      const u = limiter.usage(key);
      return { 'x-ratelimit-limit': String(u.limit), 'x-ratelimit-remaining': String(u.remaining), 'x-ratelimit-used': String(u.used), 'x-ratelimit-reset': String(u.reset), 'x-ratelimit-resource': 'core' };
    },
    usage(key) {
      const w = window(key);
      return { limit: limitOf(key), used: w.used, remaining: Math.max(0, limitOf(key) - w.used), reset: Math.ceil((w.start + 3_600_000) / 1000) };
    },
    check(key, subject, method, path, routeKey, requestId, counts) {
      const w = window(key);
      const exhausted = counts && w.used >= limitOf(key);
      if (counts && !exhausted) w.used++;
      const headers = limiter.headers(key);
      const current = (inflight.get(key) ?? 0) + 1;
      inflight.set(key, current);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        inflight.set(key, (inflight.get(key) ?? 1) - 1);
      };
      if (exhausted) {
        return { headers, release, hit: { status: limiter.primary.status, message: `API rate limit exceeded for ${subject}.`, headers: {} } };
      }
      const secondaryHit = (): RateDecision['hit'] => ({
        status: limiter.secondary.status,
        message: `${SECONDARY_MESSAGE} ${requestId}.`,
        headers: limiter.secondary.retryAfterSeconds === null ? {} : { 'retry-after': String(limiter.secondary.retryAfterSeconds) },
      });
      const f = forced.find((x) => x.count > 0 && (!x.path || x.path.test(path)) && (!x.method || x.method.toUpperCase() === method));
      if (f) {
        f.count--;
        if (f.count === 0) forced.splice(forced.indexOf(f), 1);
        return { headers, release, hit: secondaryHit() };
      }
      if (limiter.secondary.maxConcurrent > 0 && current > limiter.secondary.maxConcurrent) return { headers, release, hit: secondaryHit() };
      if (limiter.secondary.pointsPerMinute > 0) {
        const pk = `${key} ${routeKey}`;
        const now = clock.now();
        let p = points.get(pk);
        if (!p || now - p.start >= 60_000) {
          p = { start: now, points: 0 };
          points.set(pk, p);
        }
        const cost = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 1 : 5;
        if (p.points + cost > limiter.secondary.pointsPerMinute) return { headers, release, hit: secondaryHit() };
        p.points += cost;
      }
      return { headers, release };
    },
  };
  function limitOf(key: string): number {
    return key.startsWith('ip:') ? limiter.primary.anonymousLimit : limiter.primary.limit;
  }
  function window(key: string): { start: number; used: number } {
    const now = clock.now();
    let w = windows.get(key);
    if (!w || now - w.start >= 3_600_000) {
      w = { start: now, used: 0 };
      windows.set(key, w);
    }
    return w;
  }
  return limiter;
}
