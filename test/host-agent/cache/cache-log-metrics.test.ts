/**
 * runner_cache_requests_total{result} from the access log the real nginx writes: the counters say
 * what the requests did (miss, hit, bypass, refused), read by following the log file.
 */
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCacheMetrics } from '../../../host-agent/src/cache/cache-metrics';
import { followCacheLog, type CacheLogFollower } from '../../../host-agent/src/cache/follow-cache-log';
import { parseCacheLogLine } from '../../../host-agent/src/cache/parse-cache-log-line';
import { httpGet } from './helpers/http-get';
import { loopbackHost, makeTempDir, removeDir, startMirror, type Mirror } from './helpers/nginx-harness';
import { startUpstream, type UpstreamServer } from './helpers/upstream-server';

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (metric?.values as { value: number; labels: Record<string, string | number> }[] | undefined)?.find((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return value?.value ?? 0;
}

describe('cache metrics from the nginx access log', () => {
  let dir: string;
  let upstream: UpstreamServer;
  let mirror: Mirror;
  let follower: CacheLogFollower | undefined;

  beforeAll(async () => {
    dir = makeTempDir('tf-mirror-log-');
    upstream = await startUpstream({ host: loopbackHost() });
    mirror = await startMirror({ upstreams: [{ kind: 'npm', url: upstream.url }, { kind: 'homebrew-bottles', url: upstream.url }] }, { dir });
  });
  afterAll(async () => {
    await follower?.stop();
    await mirror?.stop();
    await upstream?.close();
    removeDir(dir);
  });

  it('counts misses, hits, bypasses, refused requests and cookie-setting responses per mirror, and the bytes sent', async () => {
    const registry = new Registry();
    const metrics = createCacheMetrics(registry, ['npm', 'homebrew']);
    const errors: string[] = [];
    follower = await followCacheLog({ path: mirror.accessLog, onLine: (l) => {
      const entry = parseCacheLogLine(l);
      if (entry) metrics.record(entry);
    }, intervalMs: 0, onError: (e) => errors.push(e) });
    const body = randomBytes(10_000);
    upstream.objects.set('/a/-/a-1.0.0.tgz', { body });
    upstream.objects.set('/tracked', { body: '{}', headers: { 'set-cookie': '__cf_bm=x; path=/' } });

    await httpGet(mirror.baseUrl, '/npm/a/-/a-1.0.0.tgz');
    await httpGet(mirror.baseUrl, '/npm/a/-/a-1.0.0.tgz');
    await httpGet(mirror.baseUrl, '/npm/a/-/a-1.0.0.tgz');
    await httpGet(mirror.baseUrl, '/npm/a/-/a-1.0.0.tgz', { headers: { authorization: 'Bearer t' } });
    await httpGet(mirror.baseUrl, '/npm/tracked');
    await httpGet(mirror.baseUrl, '/npm/tracked');
    await httpGet(mirror.baseUrl, '/homebrew/https://example.com/x.tar.gz');
    await httpGet(mirror.baseUrl, '/nothing-here');

    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      await follower.poll();
      if ((await metricValue(registry, 'runner_cache_requests_total', { result: 'uncached', upstream: 'other' })) >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }

    const count = (result: string, up: string): Promise<number> => metricValue(registry, 'runner_cache_requests_total', { result, upstream: up });
    expect(await count('miss', 'npm')).toBe(3);
    expect(await metricValue(registry, 'runner_cache_set_cookie_responses_total', { upstream: 'npm' })).toBe(2);
    expect(await count('hit', 'npm')).toBe(2);
    expect(await count('bypass', 'npm')).toBe(1);
    expect(await count('uncached', 'homebrew')).toBe(1);
    expect(await count('uncached', 'other')).toBe(1);
    expect(await count('stale', 'npm')).toBe(0);
    expect(await metricValue(registry, 'runner_cache_response_bytes_total', { result: 'hit', upstream: 'npm' })).toBe(20_000);
    expect(errors).toEqual([]);
    expect(await registry.metrics()).toContain('runner_cache_requests_total{result="hit",upstream="npm"} 2');
  });
});
