/**
 * Cloudflare Workers: `fetch` serves the app (webhook work continues after the response through
 * `waitUntil`), `scheduled` (a Cron Trigger) runs one reconcile pass. One dispatcher per isolate,
 * built on first use from the `TARTFLEET_CONFIG` binding. No prom-client here: /metrics is absent
 * (use Workers analytics); everything else is the same app as on Node. Pending demand lives in the
 * `PendingDemandObject` Durable Object when the `PENDING_DEMAND` binding exists (wrangler.toml),
 * else in the isolate's memory.
 */
import type { ExecutionContext } from 'hono';
import { buildDispatcher, type BuiltDispatcher } from '../build-dispatcher';
import { errorMessage } from '../../../core/errors';
import { createConsoleLogger } from '../../../core/logger';

const consoleLogger = createConsoleLogger({ component: 'dispatcher' });
import { configFromEnv } from './env-config';
import { createDurableDemand, DEMAND_BINDING, type DurableObjectNamespaceLike } from '../demand/durable-demand';

export { PendingDemandObject } from '../demand/durable-demand';


let built: { env: unknown; dispatcher: BuiltDispatcher } | undefined;

function dispatcherFor(env: Record<string, unknown>): BuiltDispatcher {
  if (built?.env !== env) {
    const config = configFromEnv(env);
    const namespace = env[DEMAND_BINDING] as DurableObjectNamespaceLike | undefined;
    const demand = namespace ? createDurableDemand(namespace, { maxEntries: config.demand.maxEntries }) : undefined;
    built = { env, dispatcher: buildDispatcher({ config, logger: consoleLogger, ...(demand ? { demand } : {}) }) };
  }
  return built.dispatcher;
}

export default {
  async fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext): Promise<Response> {
    let dispatcher: BuiltDispatcher;
    try {
      dispatcher = dispatcherFor(env);
    } catch (error: unknown) {
      consoleLogger.error({ err: errorMessage(error) }, 'dispatcher not configured');
      return Response.json({ error: { code: 'internal', message: 'dispatcher is not configured; see the Worker logs' } }, { status: 500 });
    }
    return dispatcher.app.fetch(request, env, ctx);
  },

  async scheduled(_event: unknown, env: Record<string, unknown>, ctx: ExecutionContext): Promise<void> {
    const pass = dispatcherFor(env)
      .reconciler.reconcile()
      .then((report) => consoleLogger.info({ pools: report.pools, deleted: report.deleted.length }, 'scheduled reconcile'));
    ctx.waitUntil(pass);
    await pass;
  },
};
