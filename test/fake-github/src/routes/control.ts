import { Hono, type Context } from 'hono';
import type { FakeContext } from '../context';
import type { AppSeed, FakeGitHub, WebhookSeed } from '../create-fake-github';
import type { FaultSpec } from '../faults';
import type { PrimaryLimitConfig, SecondaryLimitConfig } from '../rate-limiter';
import type { RunSpec } from '../types';
import type { DeliveryRecord, WebhookFault } from '../webhook-sender';

const problem = (c: Context, status: 400 | 404, message: string): Response => c.json({ error: { code: status === 404 ? 'not_found' : 'bad_request', message } }, status);

/** Runs `fn`, turning a thrown Error into a 400 with its message. */
async function guarded(c: Context, fn: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (error: unknown) {
    return problem(c, 400, error instanceof Error ? error.message : String(error));
  }
}

const deliveryView = (d: DeliveryRecord): Record<string, unknown> => ({ ...d, body: undefined, payload: JSON.parse(d.body) as unknown });

/**
 * The test control API over HTTP (for a fake started as a separate process); the same operations as the
 * in-process `FakeGitHub` methods. Unauthenticated: the fake only ever listens on loopback.
 */
export function controlRoutes(ctx: FakeContext, fake: FakeGitHub): Hono {
  const app = new Hono();
  const body = async <T>(c: Context): Promise<T> => (await c.req.json()) as T;

  app.post('/runs', (c) => guarded(c, async () => c.json(fake.enqueueRun(await body<RunSpec>(c)), 201)));
  app.get('/runs/:id', (c) => {
    const run = fake.run(Number(c.req.param('id')));
    return run ? c.json(run) : problem(c, 404, `no run ${c.req.param('id')}`);
  });
  app.post('/runs/:id/cancel', (c) => guarded(c, () => { fake.cancelRun(Number(c.req.param('id'))); return c.body(null, 204); }));
  app.get('/jobs', (c) => c.json(fake.jobs()));
  app.get('/jobs/:id', (c) => {
    const job = fake.job(Number(c.req.param('id')));
    return job ? c.json(job) : problem(c, 404, `no job ${c.req.param('id')}`);
  });
  app.post('/jobs/:id/cancel', (c) => guarded(c, () => { fake.cancelJob(Number(c.req.param('id'))); return c.body(null, 204); }));
  app.post('/jobs/:id/approve', (c) => guarded(c, () => { fake.approveJob(Number(c.req.param('id'))); return c.body(null, 204); }));
  app.get('/runners', (c) => c.json(fake.runners().map((r) => ({ ...r, publicKeyPem: undefined, clientId: undefined }))));

  app.post('/orgs', (c) => guarded(c, async () => { fake.addOrg((await body<{ org: string }>(c)).org); return c.body(null, 204); }));
  app.post('/repos', (c) => guarded(c, async () => { fake.addRepo((await body<{ repo: string }>(c)).repo); return c.body(null, 204); }));
  app.post('/runner-groups', (c) => guarded(c, async () => { const b = await body<{ org: string; name: string }>(c); return c.json(fake.addRunnerGroup(b.org, b.name), 201); }));
  app.post('/tokens', (c) => guarded(c, async () => { const b = await body<{ token: string; login?: string; orgs?: string[] }>(c); fake.addToken(b.token, b.login, b.orgs); return c.body(null, 204); }));
  app.post('/apps', (c) => guarded(c, async () => { fake.addApp(await body<AppSeed>(c)); return c.body(null, 204); }));

  app.post('/webhooks', (c) => guarded(c, async () => c.json({ id: fake.addWebhook(await body<WebhookSeed>(c)) }, 201)));
  app.get('/deliveries', (c) => c.json(ctx.webhooks.deliveries().map(deliveryView)));
  app.post('/deliveries/:id/redeliver', (c) => guarded(c, async () => c.json(deliveryView(await ctx.webhooks.redeliver(Number(c.req.param('id')))))));
  app.post('/webhook-faults', (c) => guarded(c, async () => { ctx.webhooks.inject(await body<WebhookFault>(c)); return c.body(null, 204); }));

  app.post('/faults', (c) => guarded(c, async () => {
    const b = await body<Omit<FaultSpec, 'path'> & { path: string; count?: number | null }>(c);
    ctx.faults.add({ ...b, path: new RegExp(b.path), count: b.count === null ? Infinity : b.count ?? 1 });
    return c.body(null, 204);
  }));
  app.delete('/faults', (c) => { ctx.faults.clear(); return c.body(null, 204); });
  app.post('/rate-limits', (c) => guarded(c, async () => {
    const b = await body<{ primary?: Partial<PrimaryLimitConfig>; secondary?: Partial<SecondaryLimitConfig>; remaining?: { key: string; remaining: number }; forceSecondary?: { count: number; path?: string; method?: string } }>(c);
    Object.assign(ctx.limiter.primary, b.primary ?? {});
    Object.assign(ctx.limiter.secondary, b.secondary ?? {});
    if (b.remaining) ctx.limiter.setRemaining(b.remaining.key, b.remaining.remaining);
    if (b.forceSecondary) {
      const f = b.forceSecondary;
      ctx.limiter.forceSecondary({ count: f.count, ...(f.path ? { path: new RegExp(f.path) } : {}), ...(f.method ? { method: f.method } : {}) });
    }
    return c.body(null, 204);
  }));
  return app;
}
