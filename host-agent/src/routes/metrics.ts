import { Hono } from 'hono';
import type { Registry } from 'prom-client';

/** `GET /metrics`: the Prometheus exposition of this app's own registry. Outside /v1 and unsigned,
 * because Prometheus cannot sign; it carries no secrets and no unbounded labels. */
export function metricsRoutes(registry: Registry): Hono {
  return new Hono().get('/metrics', async (c) => {
    const body = await registry.metrics();
    return c.body(body, 200, { 'content-type': registry.contentType });
  });
}
