import { Hono, type MiddlewareHandler } from 'hono';
import type { ReconcileAgent } from '../reconciler';
import { errorMessage } from '../../../core/errors';
import { parseJobRunnerName } from '../../../core/names';
import type { GitHubApi } from '../github/github-api';
import type { Placer } from '../placement';
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
  placer: Pick<Placer, 'snapshot'>;
  github: Pick<GitHubApi, 'listRunners' | 'rateLimitRemaining'>;
  agents: ReadonlyMap<string, Pick<ReconcileAgent, 'listRunners'>>;
}

/** `GET /v1/fleet`: every host's state and runners, and our registrations as GitHub lists them. */
export function fleetRoutes(deps: FleetRouteDeps): Hono {
  return new Hono().use('*', requireFleetToken(deps.fleetToken, 'GET /v1/fleet')).get('/', async (c) => {
    const [hosts, runners, records] = await Promise.all([
      deps.placer.snapshot(),
      deps.github.listRunners().catch((error: unknown) => ({ error: errorMessage(error) })),
      Promise.all(
        [...deps.agents.entries()].map(async ([host, agent]) => {
          try {
            return { host, runners: await agent.listRunners() };
          } catch (error: unknown) {
            return { host, error: errorMessage(error) };
          }
        }),
      ),
    ]);
    const ours = Array.isArray(runners) ? runners.filter((r) => parseJobRunnerName(r.name)) : runners;
    return c.json({
      hosts: hosts.map((h) => ({ ...h, runners: records.find((r) => r.host === h.host)?.runners ?? [] })),
      github: { runners: ours, rateLimitRemaining: deps.github.rateLimitRemaining() ?? null },
    });
  });
}
