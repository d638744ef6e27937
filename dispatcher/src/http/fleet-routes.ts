import { Hono, type MiddlewareHandler } from 'hono';
import type { FleetSnapshotSource } from '../fleet-snapshot';
import { HttpError } from './http-error';

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** Constant-time string comparison over digests (equal lengths whatever the input). */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i] as number);
  return diff === 0;
}

/** Bearer `fleetToken`, compared in constant time; 404 when no token is configured. */
export function requireFleetToken(token: string | undefined, route: string): MiddlewareHandler {
  return async (c, next) => {
    if (!token) throw new HttpError(404, 'not_found', `${route} needs fleetToken in the config`);
    const m = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '');
    if (!m || !(await safeEqual(m[1] as string, token))) throw new HttpError(401, 'unauthorized', 'Authorization must be Bearer <fleetToken>');
    await next();
  };
}

export interface FleetRouteDeps {
  fleetToken: string | undefined;
  fleetSnapshot: FleetSnapshotSource;
}

/** `GET /v1/fleet`: every host's state and runners, and our registrations as GitHub lists them. */
export function fleetRoutes(deps: FleetRouteDeps): Hono {
  return new Hono().use('*', requireFleetToken(deps.fleetToken, 'GET /v1/fleet')).get('/', async (c) => c.json(await deps.fleetSnapshot()));
}
