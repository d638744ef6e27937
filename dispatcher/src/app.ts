/**
 * The dispatcher's HTTP app: `POST /webhook`, `GET /healthz`, `GET /metrics`, `GET /v1/fleet`.
 * Built by `createDispatcher(deps)`; runtimes (Node, Workers, Lambda) only adapt it.
 *
 * GitHub records a delivery as failed when it is not answered within 10 s and never redelivers it
 * (reference §3.1), so the webhook answers as soon as the delivery is judged and does the work
 * after responding where the runtime allows (`waitUntil` on Workers, a tracked promise on Node).
 */
import { Hono, type Context } from 'hono';
import type { Registry } from 'prom-client';
import type { Clock } from './clock';
import type { DispatcherConfig, PoolConfig } from './config';
import { createDedupeStore, type DedupeStore } from './dedupe-store';
import { errorMessage } from './errors';
import type { GitHubApi } from './github/github-api';
import type { Logger } from './logger';
import type { DispatcherMetrics, WebhookResult } from './metrics-port';
import type { Placer } from './placement';
import { matchPool } from './pool-match';
import type { ReconcileAgent, Reconciler } from './reconciler';
import { parseRunnerName } from './runner-name';
import type { RunnerStarter } from './start-runner';
import { deliveryJson, parseWorkflowJob, verifySignature, type WorkflowJobEvent } from './webhook';

/** Deliveries are small (a workflow_job payload is ~10 KB); GitHub caps them at 25 MB. */
const MAX_BODY_BYTES = 1_000_000;

export interface DispatcherDeps {
  config: Pick<DispatcherConfig, 'webhook' | 'fleetToken' | 'pools' | 'verifyJobStatus'>;
  github: GitHubApi;
  startRunner: RunnerStarter;
  reconciler: Reconciler;
  placer: Placer;
  agents: ReadonlyMap<string, ReconcileAgent>;
  metrics: DispatcherMetrics;
  /** Served on /metrics when given. */
  registry?: Registry;
  logger: Logger;
  clock: Clock;
  dedupe?: DedupeStore;
  /** Do webhook work before answering (Lambda: nothing runs after the response). */
  inline?: boolean;
  /** A job found no free slot: the Node adapter schedules a reconcile pass soon. */
  onNoCapacity?: () => void;
}

export interface Dispatcher {
  app: Hono;
  /** Resolves when all work started by webhooks so far has finished (shutdown, tests). */
  settled(): Promise<void>;
}

type Outcome = { status: 200 | 202 | 400 | 401 | 404 | 413; result: WebhookResult | 'accepted'; message?: string };

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** Constant-time string comparison over digests (equal lengths whatever the input). */
async function safeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i] as number);
  return diff === 0;
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const dedupe = deps.dedupe ?? createDedupeStore({ ttlMs: 6 * 3600_000, maxEntries: 50_000, now: () => deps.clock.now() });
  const pending = new Set<Promise<unknown>>();
  const app = new Hono();

  /** The work for one queued job, after the response where possible. */
  async function handleQueued(event: WorkflowJobEvent, pool: PoolConfig): Promise<WebhookResult> {
    const job = event.workflow_job;
    const jobKey = `job:${job.id}:queued`;
    try {
      if (deps.config.verifyJobStatus) {
        const status = await deps.github.getJobStatus(event.repository.full_name, job.id);
        if (status !== 'queued') {
          deps.logger.info({ job: job.id, status }, 'job no longer queued; nothing to start');
          return 'ignored';
        }
      }
      const r = await deps.startRunner({ pool, jobId: job.id, attempt: 0, via: 'webhook' });
      if (r.outcome === 'no_capacity') deps.onNoCapacity?.();
      if (r.outcome === 'failed') dedupe.release(jobKey);
      return r.outcome === 'uncertain' ? 'started' : r.outcome;
    } catch (error: unknown) {
      dedupe.release(jobKey);
      deps.logger.error({ job: job.id, err: errorMessage(error) }, 'starting a runner for a queued job failed; the reconciler will retry');
      return 'failed';
    }
  }

  function runAfterResponse(c: Context, work: Promise<unknown>): void {
    let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
    try {
      ctx = c.executionCtx;
    } catch {
      ctx = undefined;
    }
    const tracked = work.finally(() => pending.delete(tracked));
    pending.add(tracked);
    ctx?.waitUntil(tracked);
  }

  async function judge(c: Context): Promise<Outcome> {
    const secrets = deps.config.webhook?.secrets;
    if (!secrets) return { status: 404, result: 'disabled', message: 'webhooks are not configured (poll-only mode)' };
    const length = Number(c.req.header('content-length') ?? '0');
    if (length > MAX_BODY_BYTES) return { status: 413, result: 'malformed', message: `body must be at most ${MAX_BODY_BYTES} bytes, got ${length}` };
    const body = await c.req.text();
    if (body.length > MAX_BODY_BYTES) return { status: 413, result: 'malformed', message: `body must be at most ${MAX_BODY_BYTES} bytes, got ${body.length}` };
    if (!(await verifySignature(secrets, body, c.req.header('x-hub-signature-256')))) {
      return { status: 401, result: 'bad_signature', message: 'X-Hub-Signature-256 must be sha256=<HMAC of the body> under the webhook secret' };
    }
    const event = c.req.header('x-github-event');
    if (!event || !/^[a-z_]{1,64}$/.test(event)) return { status: 400, result: 'malformed', message: `X-GitHub-Event must name an event, got '${event ?? ''}'` };
    if (event === 'ping') return { status: 200, result: 'ignored' };
    if (event !== 'workflow_job') return { status: 202, result: 'ignored', message: `event '${event}' is not handled` };
    const json = deliveryJson(body, c.req.header('content-type'));
    if (json === undefined) return { status: 400, result: 'malformed', message: 'form-encoded delivery must carry a payload field' };
    const parsed = parseWorkflowJob(json);
    if (!parsed.ok) return { status: 400, result: 'malformed', message: parsed.problem };
    const delivery = c.req.header('x-github-delivery');
    if (delivery !== undefined && !dedupe.claim(`delivery:${delivery}`)) return { status: 200, result: 'duplicate' };

    const ev = parsed.event;
    const job = ev.workflow_job;
    const pool = matchPool(deps.config.pools, job.labels);
    if (ev.action === 'in_progress' || ev.action === 'completed') {
      dedupe.claim(`job:${job.id}:progressed`);
      if (ev.action === 'in_progress' && pool && job.created_at && job.started_at) {
        const wait = (Date.parse(job.started_at) - Date.parse(job.created_at)) / 1000;
        if (Number.isFinite(wait) && wait >= 0) deps.metrics.queueWaitSeconds(pool.name, wait);
      }
      return { status: 202, result: 'ignored' };
    }
    if (ev.action !== 'queued') return { status: 202, result: 'ignored' };
    if (!pool) return { status: 202, result: 'unmatched', message: 'no pool serves these labels; left alone' };
    // Delivered out of order after the job already started or ended.
    if (dedupe.has(`job:${job.id}:progressed`)) return { status: 200, result: 'ignored', message: 'job already in progress or completed' };
    if (!dedupe.claim(`job:${job.id}:queued`)) return { status: 200, result: 'duplicate' };

    const work = handleQueued(ev, pool).then((result) => deps.metrics.webhook(result));
    if (deps.inline) await work;
    else runAfterResponse(c, work);
    return { status: 202, result: 'accepted' };
  }

  app.post('/webhook', async (c) => {
    let outcome: Outcome;
    try {
      outcome = await judge(c);
    } catch (error: unknown) {
      deps.logger.warn({ err: errorMessage(error) }, 'unreadable webhook delivery');
      outcome = { status: 400, result: 'malformed', message: 'delivery could not be read' };
    }
    if (outcome.result !== 'accepted') deps.metrics.webhook(outcome.result);
    if (outcome.status >= 400) {
      const code = outcome.status === 401 ? 'unauthorized' : outcome.status === 404 ? 'not_found' : outcome.status === 413 ? 'payload_too_large' : 'bad_request';
      return c.json(errorBody(code, outcome.message ?? outcome.result), outcome.status);
    }
    return c.json({ result: outcome.result, ...(outcome.message ? { message: outcome.message } : {}) }, outcome.status);
  });

  app.get('/healthz', (c) => c.json({ ok: true }));

  app.get('/metrics', async (c) => {
    if (!deps.registry) return c.json(errorBody('not_found', 'metrics are not enabled in this runtime'), 404);
    const remaining = deps.github.rateLimitRemaining();
    if (remaining !== undefined) deps.metrics.rateLimitRemaining(remaining);
    return c.text(await deps.registry.metrics(), 200, { 'content-type': deps.registry.contentType });
  });

  app.get('/v1/fleet', async (c) => {
    const token = deps.config.fleetToken;
    if (!token) return c.json(errorBody('not_found', 'GET /v1/fleet needs fleetToken in the config'), 404);
    const auth = c.req.header('authorization') ?? '';
    const m = /^Bearer (.+)$/i.exec(auth);
    if (!m || !(await safeEqual(m[1] as string, token))) return c.json(errorBody('unauthorized', 'Authorization must be Bearer <fleetToken>'), 401);
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
    const ours = Array.isArray(runners) ? runners.filter((r) => parseRunnerName(r.name)) : runners;
    return c.json({
      hosts: hosts.map((h) => ({ ...h, runners: records.find((r) => r.host === h.host)?.runners ?? [] })),
      github: { runners: ours, rateLimitRemaining: deps.github.rateLimitRemaining() ?? null },
    });
  });

  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((error, c) => {
    deps.logger.error({ err: errorMessage(error), path: c.req.path }, 'request failed');
    return c.json(errorBody('internal', 'internal error'), 500);
  });

  return {
    app,
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
