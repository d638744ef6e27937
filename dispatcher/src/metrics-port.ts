/** What the dispatcher reports; prom-client implements it in metrics.ts (Node), runtimes without it use
 * `noopMetrics`. Kept free of prom-client so the Workers bundle and the action do not pull it in. */
export const WEBHOOK_RESULTS = ['started', 'duplicate', 'ignored', 'unmatched', 'no_capacity', 'failed', 'bad_signature', 'malformed', 'disabled'] as const;
export type WebhookResult = (typeof WEBHOOK_RESULTS)[number];

export interface DispatcherMetrics {
  webhook(result: WebhookResult): void;
  mintSeconds(pool: string, outcome: 'ok' | 'conflict' | 'error', seconds: number): void;
  placementSeconds(pool: string, outcome: 'placed' | 'no_capacity' | 'uncertain', seconds: number): void;
  /** Runners a pool still needs after a reconcile pass. */
  deficit(pool: string, value: number): void;
  rateLimitRemaining(value: number): void;
  /** Job created → in progress, from `in_progress` webhooks. */
  queueWaitSeconds(pool: string, seconds: number): void;
  runnersStarted(pool: string, via: 'webhook' | 'reconciler'): void;
  runnersDeleted(reason: 'unplaced' | 'stale' | 'left_behind' | 'surplus'): void;
  unplaced(pool: string): void;
  reconcile(outcome: 'ok' | 'error', seconds: number): void;
  /** Agents' records vs GitHub's registrations after the last reconcile pass. */
  discrepancies(kind: 'vm_without_registration' | 'registration_without_vm', count: number): void;
  /** One HTTP request to GitHub: `endpoint` is the route template (`GET /repos/{owner}/{repo}/actions/runs`),
   * `status` the HTTP status, or `timeout`/`error`. */
  githubRequest(endpoint: string, status: string): void;
}

/** For runtimes without prom-client (or tests that do not look). */
export const noopMetrics: DispatcherMetrics = {
  webhook() {},
  mintSeconds() {},
  placementSeconds() {},
  deficit() {},
  rateLimitRemaining() {},
  queueWaitSeconds() {},
  runnersStarted() {},
  runnersDeleted() {},
  unplaced() {},
  reconcile() {},
  discrepancies() {},
  githubRequest() {},
};
