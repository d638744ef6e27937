import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { HttpMetrics } from '../metrics/create-metrics';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Count and time every request by route pattern. Requests that matched no handler (only the
 * wildcard middleware) are labelled `unmatched`, so scanners cannot mint label values. */
export function requestMetrics(http: HttpMetrics, now: () => number): MiddlewareHandler {
  return async (c, next) => {
    const started = now();
    try {
      await next();
    } finally {
      const pattern = routePath(c, -1);
      const route = pattern === '' || pattern.endsWith('*') ? 'unmatched' : pattern;
      const method = METHODS.has(c.req.method) ? c.req.method : 'other';
      http.observeRequest(method, route, c.res.status, Math.max(0, now() - started) / 1000);
    }
  };
}
