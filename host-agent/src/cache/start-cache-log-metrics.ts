/**
 * The one call the agent makes when a `cache` section is configured: register the mirror counters
 * on its registry and keep them fed from nginx's access log until `stop()`.
 */
import type { Registry } from 'prom-client';
import type { CacheConfig } from './cache-config-schema';
import { createCacheMetrics, type CacheMetrics } from './cache-metrics';
import { followCacheLog } from './follow-cache-log';
import { resolveUpstreams } from './mirror-routes';
import { parseCacheLogLine } from './parse-cache-log-line';

export interface StartCacheLogMetricsOptions {
  registry: Registry;
  cache: Pick<CacheConfig, 'accessLog' | 'upstreams' | 'prefixes'>;
  /** How often the log is read; Prometheus scrapes rarely faster than every 15 s. */
  intervalMs?: number;
  /** Read problems (permissions, a log on a vanished volume); the agent logs them as warnings. */
  onError?(message: string): void;
}

/** Starts following `cache.accessLog` from its current end. */
export async function startCacheLogMetrics(options: StartCacheLogMetricsOptions): Promise<{ metrics: CacheMetrics; stop(): Promise<void> }> {
  const metrics = createCacheMetrics(
    options.registry,
    resolveUpstreams(options.cache).map((u) => u.name),
  );
  const follower = await followCacheLog({
    path: options.cache.accessLog,
    intervalMs: options.intervalMs ?? 5_000,
    onLine: (line) => {
      const entry = parseCacheLogLine(line);
      if (entry) metrics.record(entry);
    },
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return { metrics, stop: () => follower.stop() };
}
