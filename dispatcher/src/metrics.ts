/**
 * Dispatcher metrics on an injected prom-client Registry (no global default registry). Label values
 * are bounded: pools, results, host URLs and repositories from config, GitHub route templates —
 * never job ids or runner names.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createGhaMetrics, type GhaMetricsOptions } from './gha-metrics';
import { WEBHOOK_RESULTS, type DispatcherMetrics } from './metrics-port';

export { WEBHOOK_RESULTS, noopMetrics, type DispatcherMetrics, type WebhookResult } from './metrics-port';

/** prom-client's Node metrics that `promtool check metrics` refuses (gauges named `_total`). */
const NOT_PROMTOOL_CLEAN = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** prom-client's process and Node metrics, minus the ones promtool flags. */
export function collectCleanDefaultMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of NOT_PROMTOOL_CLEAN) registry.removeSingleMetric(name);
}

/** Bounded `endpoint` label: Octokit's route template. Pagination requests carry the expanded URL,
 * so names and ids are folded back into placeholders; anything else left is `other`. */
export function endpointLabel(endpoint: string): string {
  const space = endpoint.indexOf(' ');
  const method = endpoint.slice(0, Math.max(0, space));
  const url = endpoint.slice(space + 1);
  const path = url
    .replace(/^https?:\/\/[^/]+/, '')
    .replace(/[?#].*$/, '')
    .replace(/^\/api\/v3(?=\/)/, '')
    .replace(/^\/orgs\/[^/{}]+/, '/orgs/{org}')
    .replace(/^\/repos\/[^/{}]+\/[^/{}]+/, '/repos/{owner}/{repo}')
    .replace(/\/\d+(?=\/|$)/g, '/{id}');
  return /^[A-Z]{3,7}$/.test(method) && /^\/[a-z0-9_/{}-]*$/.test(path) && path.length <= 120 ? `${method} ${path}` : 'other';
}

export function createMetrics(registry: Registry, options: GhaMetricsOptions = {}): DispatcherMetrics {
  const registers = [registry];
  const webhooks = new Counter({ name: 'dispatcher_webhooks_total', help: 'Webhook deliveries by result', labelNames: ['result'], registers });
  for (const r of WEBHOOK_RESULTS) webhooks.inc({ result: r }, 0);
  const mint = new Histogram({ name: 'dispatcher_jit_mint_duration_seconds', help: 'generate-jitconfig call duration', labelNames: ['pool', 'outcome'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers });
  const place = new Histogram({ name: 'dispatcher_placement_duration_seconds', help: 'Choosing a host and its accepting the runner', labelNames: ['pool', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3], registers });
  const deficit = new Gauge({ name: 'dispatcher_runner_deficit', help: 'Queued jobs minus runners starting or idle, per pool, after the last reconcile', labelNames: ['pool'], registers });
  const rate = new Gauge({ name: 'dispatcher_github_rate_limit_remaining', help: 'x-ratelimit-remaining from the last GitHub response', registers });
  const rateLimit = new Gauge({ name: 'dispatcher_github_rate_limit_limit', help: 'x-ratelimit-limit from the last GitHub response', registers });
  const ghRequests = new Counter({ name: 'dispatcher_github_requests_total', help: 'GitHub REST responses by route template and status', labelNames: ['endpoint', 'status'], registers });
  const wait = new Histogram({ name: 'runner_queue_wait_seconds', help: 'Job created to job in progress', labelNames: ['pool'], buckets: [1, 2, 5, 10, 15, 20, 30, 45, 60, 120, 300, 600], registers });
  const queued = new Gauge({ name: 'dispatcher_queued_jobs', help: 'Queued jobs whose labels the pool serves, at the last reconcile', labelNames: ['pool'], registers });
  const oldest = new Gauge({ name: 'dispatcher_oldest_queued_job_seconds', help: "Seconds the pool's oldest queued job has waited since created_at, at the last reconcile", labelNames: ['pool'], registers });
  const started = new Counter({ name: 'dispatcher_runners_started_total', help: 'Runners minted and accepted by a host', labelNames: ['pool', 'via'], registers });
  const deleted = new Counter({ name: 'dispatcher_registrations_deleted_total', help: 'Runner registrations deleted by the dispatcher', labelNames: ['reason'], registers });
  const unplaced = new Counter({ name: 'dispatcher_unplaced_total', help: 'Runner starts left for the reconciler because no host had room', labelNames: ['pool'], registers });
  const reconcile = new Histogram({ name: 'dispatcher_reconcile_duration_seconds', help: 'Reconcile pass duration', labelNames: ['outcome'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers });
  const discrepancies = new Gauge({ name: 'dispatcher_fleet_discrepancies', help: "Agents' runner records that do not match GitHub's registrations, after the last reconcile", labelNames: ['kind'], registers });
  const pending = new Gauge({ name: 'dispatcher_pending_demand', help: 'Queued jobs that found no free slot, waiting for a slot-free callback', labelNames: ['pool'], registers });
  const dropped = new Counter({ name: 'dispatcher_demand_dropped_total', help: 'Pending-demand entries dropped at its cap (the reconcile pass still finds those jobs)', registers });
  const gha = createGhaMetrics(registry, options);
  return {
    discrepancies: (kind, n) => discrepancies.set({ kind }, n),
    webhook: (result) => webhooks.inc({ result }),
    mintSeconds: (pool, outcome, s) => mint.observe({ pool, outcome }, s),
    placementSeconds: (pool, outcome, s) => place.observe({ pool, outcome }, s),
    deficit: (pool, v) => deficit.set({ pool }, v),
    rateLimitRemaining: (v) => rate.set(v),
    rateLimitLimit: (v) => rateLimit.set(v),
    githubRequest: (endpoint, status) => ghRequests.inc({ endpoint: endpointLabel(endpoint), status: String(status) }),
    jobStarted(pool, repository, s) {
      wait.observe({ pool }, s);
      gha.started(pool, repository, s);
    },
    jobCompleted: gha.jobCompleted,
    poolState(pool, s) {
      queued.set({ pool }, s.queued);
      oldest.set({ pool }, s.oldestWaitSeconds);
      gha.poolState(pool, s);
    },
    runnersStarted: (pool, via) => started.inc({ pool, via }),
    runnersDeleted: (reason) => deleted.inc({ reason }),
    unplaced: (pool) => unplaced.inc({ pool }),
    reconcile: (outcome, s) => reconcile.observe({ outcome }, s),
    pendingDemand: (pool, n) => pending.set({ pool }, n),
    demandDropped: (n) => dropped.inc(n),
  };
}
