import { Hono } from 'hono';
import type { Health } from '../../../core/agent-api/contract';

/** `GET /healthz`: liveness only, no auth, no dependencies (a wedged lifecycle shows in /v1/host).
 * It names the hostId, which clients put in every signature (core/agent-api/auth.ts). */
export function healthRoutes(hostId: string): Hono {
  return new Hono().get('/healthz', (c) => c.json({ ok: true, hostId } satisfies Health));
}
