/**
 * The dispatcher's HTTP app, in the agent's shape: a sub-app per resource (http/), one error
 * handler, one 404. Built by `createDispatcher(deps)`; runtimes (Node, Workers, Lambda) only adapt it.
 */
import { Hono, type Context } from 'hono';
import type { Registry } from 'prom-client';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import type { DispatcherConfig } from './config';
import { createDedupeStore, type DedupeStore } from './dedupe-store';
import type { GitHubApi } from './github/github-api';
import { errorHandler, notFound } from './http/error-handler';
import { createFleetSnapshot } from './fleet-snapshot';
import { fleetRoutes } from './http/fleet-routes';
import { opsRoutes } from './http/ops-routes';
import { statusRoutes } from './http/status-routes';
import { webhookRoutes } from './http/webhook-routes';
import { slotRoutes, SLOT_FREE_PATH } from './http/slot-routes';
import type { SlotAuth } from './http/slot-auth';
import type { Refill } from './demand/refill';
import type { TrackedDemand } from './demand/tracked-demand';
import { createJobTracker, type JobTracker } from './job-tracker';
import { createJobLog, type JobLog } from './status/job-log';
import type { DispatcherMetrics } from './metrics-port';
import type { Placer } from './placement';
import type { ReconcileAgent, Reconciler } from './reconciler';
import type { RunnerStarter } from './start-runner';
import type { WarmSizer } from './warm-sizer';

export interface DispatcherDeps {
  config: Pick<DispatcherConfig, 'webhook' | 'fleetToken' | 'pools' | 'verifyJobStatus'>;
  github: GitHubApi;
  startRunner: RunnerStarter;
  reconciler: Reconciler;
  placer: Placer;
  agents: ReadonlyMap<string, ReconcileAgent>;
  metrics: DispatcherMetrics;
  /** Counts each job's start once (webhook or reconcile pass, whichever sees it first); shared with
   * the reconciler. A dispatcher without one reports webhook starts on its own. */
  tracker?: JobTracker;
  /** Served on /metrics when given. */
  registry?: Registry;
  logger: Logger;
  clock: Clock;
  dedupe?: DedupeStore;
  /** What this instance has seen of queued and started jobs (the status page); one is made if absent. */
  jobLog?: JobLog;
  /** Do webhook work before answering (Lambda: nothing runs after the response). */
  inline?: boolean;
  /** A job found no free slot: the Node adapter schedules a reconcile pass soon. */
  onNoCapacity?: (pool: string) => void;
  /** A verified webhook delivery arrived. */
  onWebhook?: () => void;
  /** Counts queued jobs for automatic warm sizing. */
  warmSizer?: WarmSizer;
  /** Pending demand and its refill on slot-free callbacks; absent: no `POST /v1/slots/free`. */
  demand?: { pending: TrackedDemand; refill: Refill; auth: SlotAuth };
}

export interface Dispatcher {
  app: Hono;
  /** Resolves when all work started by webhooks so far has finished (shutdown, tests). */
  settled(): Promise<void>;
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const dedupe = deps.dedupe ?? createDedupeStore({ ttlMs: 6 * 3600_000, maxEntries: 50_000, now: () => deps.clock.now() });
  const pending = new Set<Promise<unknown>>();
  const jobLog = deps.jobLog ?? createJobLog({ now: () => deps.clock.now() });
  const tracker = deps.tracker ?? createJobTracker({ metrics: deps.metrics, pools: deps.config.pools });
  const fleetSnapshot = createFleetSnapshot(deps);
  // The status page polls every second per viewer: GitHub's listing is reused for 15 s there.
  const statusSnapshot = createFleetSnapshot({ ...deps, githubMaxAgeMs: 15_000 });

  /** Work that goes on after the response: tracked here, and kept alive by Workers' waitUntil. */
  function track(c: Context, work: Promise<unknown>): void {
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

  const app = new Hono();
  app.onError(errorHandler(deps.logger));
  app.notFound(notFound);
  app.route('/', opsRoutes(deps));
  const { demand, ...rest } = deps;
  app.route('/webhook', webhookRoutes({ ...rest, dedupe, track, tracker, jobLog, ...(demand ? { demand: demand.pending } : {}) }));
  if (demand) {
    app.route(
      SLOT_FREE_PATH,
      slotRoutes({ auth: demand.auth, refill: demand.refill, pools: deps.config.pools, refreshHost: (host) => deps.placer.refresh(host), logger: deps.logger, track, ...(deps.inline ? { inline: true } : {}) }),
    );
  }
  app.route('/v1/fleet', fleetRoutes({ fleetToken: deps.config.fleetToken, fleetSnapshot }));
  app.route('/status', statusRoutes({ fleetToken: deps.config.fleetToken, fleetSnapshot: statusSnapshot, jobLog, pools: deps.config.pools, clock: deps.clock }));

  return {
    app,
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
