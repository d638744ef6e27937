import { Hono } from 'hono';

/** `GET /healthz`: liveness only, no auth, no dependencies (a wedged lifecycle shows in /v1/host). */
export function healthRoutes(): Hono {
  return new Hono().get('/healthz', (c) => c.json({ ok: true }));
}
