import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { GitHubApi } from '../github/github-api';
import { reportRateLimit, type DispatcherMetrics } from '../metrics-port';
import { HttpError } from './http-error';

/** `GET /healthz` (liveness, no auth) and `GET /metrics` (Prometheus; absent where the runtime has
 * no prom-client). */
export function opsRoutes(deps: { registry?: Registry; github: Pick<GitHubApi, 'rateLimitRemaining' | 'rateLimitLimit'>; metrics: DispatcherMetrics }): Hono {
  return new Hono()
    .get('/healthz', (c) => c.json({ ok: true }))
    .get('/metrics', async (c) => {
      if (!deps.registry) throw new HttpError(404, 'not_found', 'metrics are not enabled in this runtime');
      reportRateLimit(deps.github, deps.metrics);
      return c.text(await deps.registry.metrics(), 200, { 'content-type': deps.registry.contentType });
    });
}
