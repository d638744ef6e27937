/** What the dispatcher reports; prom-client implements it in metrics.ts (Node), runtimes without it use
 * `noopMetrics`. Kept free of prom-client so the Workers bundle and the action do not pull it in. */
import type { GitHubApi } from './github/github-api';

export const WEBHOOK_RESULTS = ['started', 'duplicate', 'ignored', 'unmatched', 'no_capacity', 'failed', 'bad_signature', 'malformed', 'disabled'] as const;
export type WebhookResult = (typeof WEBHOOK_RESULTS)[number];

export type CompletedJobResult = 'succeeded' | 'failed' | 'canceled';

export interface PoolState {
  /** Queued jobs whose labels this pool serves. */
  queued: number;
  /** Seconds the oldest of them has waited since `created_at` (0 when none). */
  oldestWaitSeconds: number;
  /** Our registrations of this pool, online or not. */
  registered: number;
  /** Of them, running a job. */
  busy: number;
  /** Of them, online and waiting for a job. */
  idle: number;
}

export interface DispatcherMetrics {
  webhook(result: WebhookResult): void;
  mintSeconds(pool: string, outcome: 'ok' | 'conflict' | 'error', seconds: number): void;
  placementSeconds(pool: string, outcome: 'placed' | 'no_capacity' | 'uncertain', seconds: number): void;
  /** Runners a pool still needs after a reconcile pass. */
  deficit(pool: string, value: number): void;
  rateLimitRemaining(value: number): void;
  /** x-ratelimit-limit from the last GitHub response (the budget `remaining` is a share of). */
  rateLimitLimit(value: number): void;
  /** One GitHub REST response; `endpoint` is the route template (`GET /repos/{owner}/{repo}/…`). */
  githubRequest(endpoint: string, status: number): void;
  /** A job left the queue (in progress), once per job: queue wait from its `created_at`. `repository`
   * is only used when the configured repositories bound it. */
  jobStarted(pool: string, repository: string, waitSeconds: number): void;
  /** A runner's job ended, once per runner, with the runner's result and how long the job ran. */
  jobCompleted(pool: string, result: CompletedJobResult, executionSeconds: number | undefined): void;
  /** Per pool after each reconcile pass: GitHub's queue and our registrations. */
  poolState(pool: string, state: PoolState): void;
  runnersStarted(pool: string, via: 'webhook' | 'reconciler' | 'demand'): void;
  runnersDeleted(reason: 'unplaced' | 'stale' | 'left_behind' | 'surplus'): void;
  unplaced(pool: string): void;
  reconcile(outcome: 'ok' | 'error', seconds: number): void;
  /** Agents' records vs GitHub's registrations after the last reconcile pass. */
  discrepancies(kind: 'vm_without_registration' | 'registration_without_vm', count: number): void;
  /** Queued jobs waiting in pending demand for a slot-free callback, per pool. */
  pendingDemand(pool: string, count: number): void;
  /** Pending-demand entries dropped to stay within its cap (the reconcile pass still finds them). */
  demandDropped(count: number): void;
}

/** For runtimes without prom-client (or tests that do not look). */
export const noopMetrics: DispatcherMetrics = {
  webhook() {},
  mintSeconds() {},
  placementSeconds() {},
  deficit() {},
  rateLimitRemaining() {},
  rateLimitLimit() {},
  githubRequest() {},
  jobStarted() {},
  jobCompleted() {},
  poolState() {},
  runnersStarted() {},
  runnersDeleted() {},
  unplaced() {},
  reconcile() {},
  discrepancies() {},
  pendingDemand() {},
  demandDropped() {},
};

/** Copies the last seen rate-limit headers into the gauges (called per reconcile and per scrape). */
export function reportRateLimit(github: Pick<GitHubApi, 'rateLimitRemaining' | 'rateLimitLimit'>, metrics: DispatcherMetrics): void {
  const remaining = github.rateLimitRemaining();
  if (remaining !== undefined) metrics.rateLimitRemaining(remaining);
  const limit = github.rateLimitLimit?.();
  if (limit !== undefined) metrics.rateLimitLimit(limit);
}

/** The repositories that bound the `repository` label: the configured list, or the one repository. */
export function configuredRepositories(github: { repo?: string | undefined; repos?: readonly string[] | undefined }): readonly string[] | undefined {
  return github.repos ?? (github.repo === undefined ? undefined : [github.repo]);
}
