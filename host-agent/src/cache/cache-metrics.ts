/**
 * Prometheus counters for the mirror, fed from its access log (follow-cache-log.ts).
 */
import { Counter, type Registry } from 'prom-client';
import { CACHE_RESULTS, type CacheLogEntry } from './parse-cache-log-line';

/** The mirror's counters and the one way to feed them. */
export interface CacheMetrics {
  requests: Counter<'result' | 'upstream'>;
  bytes: Counter<'result' | 'upstream'>;
  /** Responses the upstream made uncacheable by setting a cookie. */
  cookies: Counter<'upstream'>;
  /** Counts one parsed access-log line. */
  record(entry: CacheLogEntry): void;
}

/** Label for lines outside every configured mirror, or naming one the config no longer has: keeps
 * the label set bounded whatever the log contains. */
export const OTHER_UPSTREAM = 'other';

/**
 * Registers `runner_cache_requests_total{result,upstream}`,
 * `runner_cache_response_bytes_total{result,upstream}` and
 * `runner_cache_set_cookie_responses_total{upstream}` on `registry`. `upstreams` are the configured
 * mirror names (the only `upstream` label values besides `other`).
 */
export function createCacheMetrics(registry: Registry, upstreams: readonly string[]): CacheMetrics {
  const known = new Set(upstreams);
  const requests = new Counter({
    name: 'runner_cache_requests_total',
    help: 'Requests to the host pull-through mirror, by cache result (hit, miss, expired, stale, updating, revalidated, bypass, uncached) and mirror.',
    labelNames: ['result', 'upstream'] as const,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'runner_cache_response_bytes_total',
    help: 'Response body bytes the host mirror sent to VMs, by cache result and mirror.',
    labelNames: ['result', 'upstream'] as const,
    registers: [registry],
  });
  const cookies = new Counter({
    name: 'runner_cache_set_cookie_responses_total',
    help: 'Upstream responses that set a cookie and so were not stored by the host mirror, by mirror. A steady rate means a CDN cookie defeats the cache for that mirror.',
    labelNames: ['upstream'] as const,
    registers: [registry],
  });
  // Zero series for every result, so rate() and hit-ratio queries work before the first hit.
  for (const result of CACHE_RESULTS) for (const upstream of known) requests.labels({ result, upstream }).inc(0);
  return {
    requests,
    bytes,
    cookies,
    record(entry) {
      const upstream = known.has(entry.upstream) ? entry.upstream : OTHER_UPSTREAM;
      const labels = { result: entry.result, upstream };
      requests.labels(labels).inc();
      if (entry.bytes > 0) bytes.labels(labels).inc(entry.bytes);
      if (entry.setsCookie) cookies.labels({ upstream }).inc();
    },
  };
}
