/**
 * Dispatcher metrics on an injected prom-client Registry (no global default registry). Label values
 * are bounded: pools, results, host URLs from config — never job ids or runner names.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { WEBHOOK_RESULTS, type DispatcherMetrics } from './metrics-port';

export { WEBHOOK_RESULTS, noopMetrics, type DispatcherMetrics, type WebhookResult } from './metrics-port';

export function createMetrics(registry: Registry): DispatcherMetrics {
  const registers = [registry];
  const webhooks = new Counter({ name: 'dispatcher_webhooks_total', help: 'Webhook deliveries by result', labelNames: ['result'], registers });
  for (const r of WEBHOOK_RESULTS) webhooks.inc({ result: r }, 0);
  const mint = new Histogram({ name: 'dispatcher_jit_mint_duration_seconds', help: 'generate-jitconfig call duration', labelNames: ['pool', 'outcome'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], registers });
  const place = new Histogram({ name: 'dispatcher_placement_duration_seconds', help: 'Choosing a host and its accepting the runner', labelNames: ['pool', 'outcome'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3], registers });
  const deficit = new Gauge({ name: 'dispatcher_runner_deficit', help: 'Queued jobs minus runners starting or idle, per pool, after the last reconcile', labelNames: ['pool'], registers });
  const rate = new Gauge({ name: 'dispatcher_github_rate_limit_remaining', help: 'x-ratelimit-remaining from the last GitHub response', registers });
  const wait = new Histogram({ name: 'runner_queue_wait_seconds', help: 'Job created to job in progress', labelNames: ['pool'], buckets: [1, 2, 5, 10, 15, 20, 30, 45, 60, 120, 300, 600], registers });
  const started = new Counter({ name: 'dispatcher_runners_started_total', help: 'Runners minted and accepted by a host', labelNames: ['pool', 'via'], registers });
  const deleted = new Counter({ name: 'dispatcher_registrations_deleted_total', help: 'Runner registrations deleted by the dispatcher', labelNames: ['reason'], registers });
  const unplaced = new Counter({ name: 'dispatcher_unplaced_total', help: 'Runner starts left for the reconciler because no host had room', labelNames: ['pool'], registers });
  const reconcile = new Histogram({ name: 'dispatcher_reconcile_duration_seconds', help: 'Reconcile pass duration', labelNames: ['outcome'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers });
  const discrepancies = new Gauge({ name: 'dispatcher_fleet_discrepancies', help: "Agents' runner records that do not match GitHub's registrations, after the last reconcile", labelNames: ['kind'], registers });
  const requests = new Counter({ name: 'dispatcher_github_requests_total', help: 'HTTP requests to GitHub by route template and status (304 = answered from our cache)', labelNames: ['endpoint', 'status'], registers });
  return {
    githubRequest: (endpoint, status) => requests.inc({ endpoint, status }),
    discrepancies: (kind, n) => discrepancies.set({ kind }, n),
    webhook: (result) => webhooks.inc({ result }),
    mintSeconds: (pool, outcome, s) => mint.observe({ pool, outcome }, s),
    placementSeconds: (pool, outcome, s) => place.observe({ pool, outcome }, s),
    deficit: (pool, v) => deficit.set({ pool }, v),
    rateLimitRemaining: (v) => rate.set(v),
    queueWaitSeconds: (pool, s) => wait.observe({ pool }, s),
    runnersStarted: (pool, via) => started.inc({ pool, via }),
    runnersDeleted: (reason) => deleted.inc({ reason }),
    unplaced: (pool) => unplaced.inc({ pool }),
    reconcile: (outcome, s) => reconcile.observe({ outcome }, s),
  };
}
