/**
 * `POST /v1/slots/free`: an agent says it has free slots, so pending demand (queued jobs that found
 * no slot) gets runners now instead of at the next reconcile pass. The wire contract, which the
 * agent is written to:
 *
 * - body (≤ 4 KiB) `{ "hostId": string, "free": integer 0..64, "pools": string[] (≤ 64) }`;
 * - signed like every agent request (core/agent-api/auth.ts) with that host's runner secret, for
 *   the hostId `tartfleet-dispatcher`, method POST, path `/v1/slots/free`;
 * - answered `202 { "placed": n }`: n pending jobs were taken to be started (on that host first);
 *   their runners start after the answer (inline on Lambda). No GitHub listing is made.
 *
 * Refused in the webhook's order: unsigned before the body is read, oversized while it is read,
 * badly signed before it is judged; then a bad shape is a 400 naming the field.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../../core/agent-api/auth';
import { poolNameSchema } from '../../../core/agent-api/contract';
import type { Logger } from '../../../core/logger';
import type { PoolConfig } from '../config';
import type { Refill } from '../demand/refill';
import { HttpError } from './http-error';
import type { SlotAuth } from './slot-auth';

/** The callback's body cap; a real one is under 200 bytes. */
export const MAX_SLOT_BODY_BYTES = 4 * 1024;
export const SLOT_FREE_PATH = '/v1/slots/free';

const hostIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'hostId must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$');
export const slotsFreeSchema = z.object({
  hostId: hostIdSchema,
  free: z.number().int('free must be an integer').min(0, 'free must be 0..64').max(64, 'free must be 0..64'),
  pools: z.array(poolNameSchema).max(64, 'pools must name at most 64 pools'),
});
export type SlotsFree = z.infer<typeof slotsFreeSchema>;

export interface SlotRouteDeps {
  auth: SlotAuth;
  refill: Refill;
  pools: readonly PoolConfig[];
  /** Tell the placer to ask this host again: its cached slot count is older than this news. */
  refreshHost(host: string): void;
  logger: Logger;
  inline?: boolean;
  track(c: Context, work: Promise<unknown>): void;
}

const unauthorized = (detail: string) => new HttpError(401, 'unauthorized', `POST ${SLOT_FREE_PATH} must be signed with the host's runner secret for hostId 'tartfleet-dispatcher' (${detail})`);

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `'${value.slice(0, 70)}'`;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}

/** Parses the body or throws a 400 naming the field, what it must be and what came. */
function parseBody(text: string): SlotsFree {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad_request', 'body must be JSON {hostId, free, pools}');
  }
  const parsed = slotsFreeSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  const field = issue.path.join('.') || '(body)';
  let got: unknown = json;
  for (const key of issue.path) got = typeof got === 'object' && got !== null ? (got as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  throw new HttpError(400, 'bad_request', `${field}: ${issue.message}, got ${describe(got)}`);
}

/** The hostId the body claims, read leniently: it only picks which secret to try first. */
function claimedHostId(text: string): string | undefined {
  try {
    const id = (JSON.parse(text) as { hostId?: unknown } | null)?.hostId;
    return typeof id === 'string' && hostIdSchema.safeParse(id).success ? id : undefined;
  } catch {
    return undefined;
  }
}

export function slotRoutes(deps: SlotRouteDeps): Hono {
  const poolsOf = (hosts: readonly string[]): Set<string> => new Set(deps.pools.filter((p) => p.hosts.some((h) => hosts.includes(h.url.replace(/\/+$/, '')))).map((p) => p.name));

  return new Hono().post(
    '/',
    async (c, next) => {
      if (!c.req.header(SIGNATURE_HEADER) || !c.req.header(TIMESTAMP_HEADER) || !c.req.header(NONCE_HEADER)) throw unauthorized(`missing ${SIGNATURE_HEADER}, ${TIMESTAMP_HEADER} or ${NONCE_HEADER}`);
      await next();
    },
    bodyLimit({
      maxSize: MAX_SLOT_BODY_BYTES,
      onError: () => {
        throw new HttpError(413, 'payload_too_large', `body must be at most ${MAX_SLOT_BODY_BYTES} bytes`);
      },
    }),
    async (c) => {
      const text = await c.req.text();
      const caller = await deps.auth.verify(claimedHostId(text), {
        method: c.req.method,
        path: SLOT_FREE_PATH,
        body: text,
        timestamp: c.req.header(TIMESTAMP_HEADER),
        nonce: c.req.header(NONCE_HEADER),
        signature: c.req.header(SIGNATURE_HEADER),
      });
      if (!caller.ok) throw unauthorized(caller.reason);
      const body = parseBody(text);
      // The pools this host serves, as the dispatcher's config has it, and as the agent says.
      const served = poolsOf(caller.host !== undefined ? [caller.host] : caller.hosts);
      const pools = body.pools.filter((p) => served.has(p));
      if (caller.host !== undefined) deps.refreshHost(caller.host);
      const { jobs, work } = await deps.refill.take({ ...(caller.host !== undefined ? { host: caller.host } : {}), pools, free: body.free });
      if (deps.inline) await work;
      else deps.track(c, work);
      deps.logger.debug({ hostId: body.hostId, host: caller.host, free: body.free, taken: jobs.length }, 'slot-free callback');
      return c.json({ placed: jobs.length }, 202);
    },
  );
}
