/**
 * `POST /webhook`: GitHub's `workflow_job` deliveries. GitHub records a delivery as failed when it is
 * not answered within 10 s and never redelivers it (docs/reference/github-api.md §3.1), so the route
 * answers as soon as the delivery is judged and does the work after responding where the runtime
 * allows (`waitUntil` on Workers, a tracked promise on Node; Lambda works inline).
 *
 * Hostile input is refused as early as it can be: an unsigned delivery before its body is read, an
 * oversized one while it is read (never buffered past the limit), a badly signed one before JSON.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Clock } from '../../../core/clock';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import type { DispatcherConfig, PoolConfig } from '../config';
import type { DedupeStore } from '../dedupe-store';
import type { GitHubApi } from '../github/github-api';
import type { JobTracker } from '../job-tracker';
import type { JobLog } from '../status/job-log';
import type { DispatcherMetrics, WebhookResult } from '../metrics-port';
import { matchPool } from '../pool-match';
import type { WarmSizer } from '../warm-sizer';
import type { RunnerStarter } from '../start-runner';
import { deliveryJson, parseWorkflowJob, verifySignature, type WorkflowJobEvent } from '../webhook';
import { DispatcherError } from '../errors';
import { HttpError } from './http-error';
import type { TrackedDemand } from '../demand/tracked-demand';
import { parseJobRunnerName } from '../../../core/names';

/** How long a swapped job may take to be claimed by another of our runners before it is pending again. */
export const REQUEUE_SETTLE_MS = 1_000;

/** GitHub caps deliveries at 25 MB; a workflow_job payload is ~10 KB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const SIGNATURE_HEADER = 'x-hub-signature-256';

export interface WebhookRouteDeps {
  config: Pick<DispatcherConfig, 'webhook' | 'pools' | 'verifyJobStatus'>;
  github: Pick<GitHubApi, 'getJobStatus'>;
  startRunner: RunnerStarter;
  metrics: DispatcherMetrics;
  /** Where an `in_progress` delivery reports the job's queue wait. */
  tracker: Pick<JobTracker, 'started'>;
  logger: Logger;
  clock: Clock;
  dedupe: DedupeStore;
  /** Do the work before answering (Lambda: nothing runs after the response). */
  inline?: boolean;
  /** A job found no free slot: the Node adapter schedules a reconcile pass soon. */
  onNoCapacity?: (pool: string) => void;
  /** A verified `workflow_job` delivery arrived (the loop slows its safety-net passes). */
  onWebhook?: () => void;
  /** Tracks work started after the response. */
  track(c: Context, work: Promise<unknown>): void;
  /** Counts queued jobs for automatic warm sizing. */
  warmSizer?: WarmSizer;
  /** Remembers jobs seen queued and started, for the status page. */
  jobLog?: Pick<JobLog, 'queued' | 'started' | 'completed'>;
  /** Jobs that found no slot wait here for a slot-free callback; started or ended jobs leave. */
  demand?: Pick<TrackedDemand, 'add' | 'remove'>;
}

/** Epoch ms of an ISO time from a payload, or undefined. */
function epochMs(iso: string | null | undefined): number | undefined {
  const ms = Date.parse(iso ?? '');
  return Number.isFinite(ms) ? ms : undefined;
}

type Accepted = { status: 200 | 202; result: WebhookResult | 'accepted'; message?: string };

const refuse = (status: 400 | 401 | 404 | 413, result: WebhookResult, message: string): HttpError =>
  new HttpError(status, status === 401 ? 'unauthorized' : status === 404 ? 'not_found' : status === 413 ? 'payload_too_large' : 'bad_request', message, result);

export function webhookRoutes(deps: WebhookRouteDeps): Hono {
  const maxBytes = deps.config.webhook?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const { dedupe } = deps;

  /** GitHub's view of the job; with the read budget spent, the webhook's own word: minting comes
   * first, and a runner for a job that started meanwhile is removed as surplus by the reconciler. */
  async function verifiedStatus(repo: string, jobId: number): Promise<string | undefined> {
    try {
      return await deps.github.getJobStatus(repo, jobId);
    } catch (error: unknown) {
      if (!(error instanceof DispatcherError && error.code === 'github_read_budget')) throw error;
      deps.logger.warn({ job: jobId }, 'GitHub read budget spent: starting a runner without re-checking the job');
      return 'queued';
    }
  }

  /** The work for one queued job, after the response where possible. */
  async function handleQueued(event: WorkflowJobEvent, pool: PoolConfig): Promise<WebhookResult> {
    const job = event.workflow_job;
    const jobKey = `job:${job.id}:queued`;
    try {
      // Checked only once a slot is held: a job that waits for one is not read from GitHub.
      const stillWanted = async (): Promise<boolean> => {
        const status = await verifiedStatus(event.repository.full_name, job.id);
        if (status !== 'queued') deps.logger.info({ job: job.id, status }, 'job no longer queued; nothing to start');
        return status === 'queued';
      };
      const r = await deps.startRunner({ pool, jobId: job.id, attempt: 0, via: 'webhook', ...(deps.config.verifyJobStatus ? { stillWanted } : {}) });
      if (r.outcome === 'not_wanted') return 'ignored';
      if (r.outcome === 'no_capacity') {
        await deps.demand?.add({ jobId: job.id, repo: event.repository.full_name, runId: job.run_id, pool: pool.name, labels: job.labels, createdAt: epochMs(job.created_at) ?? deps.clock.now() });
        // Still the safety net for an agent that never calls back.
        deps.onNoCapacity?.(pool.name);
      }
      if (r.outcome === 'failed') dedupe.release(jobKey);
      return r.outcome === 'uncertain' ? 'started' : r.outcome;
    } catch (error: unknown) {
      dedupe.release(jobKey);
      deps.logger.error({ job: job.id, err: errorMessage(error) }, 'starting a runner for a queued job failed; the reconciler will retry');
      return 'failed';
    }
  }

  /**
   * GitHub gives a queued job to any idle runner whose labels match, not to the runner minted for
   * it: when `tf-<pool>-j<Y>a<n>` takes job X, job Y (still queued unless it progressed too) has
   * lost its runner. It goes back to pending demand, so the next freed slot starts one for it
   * instead of the reconcile pass minutes later. Only the runner's name is known of Y, so the entry
   * borrows X's repository, run and created time (informational; the refill needs pool and id), and
   * the next attempt: the lower name stays registered to the runner that took X.
   * Y is often taken by X's own runner a moment later (runners come online out of queue order), so
   * the check waits REQUEUE_SETTLE_MS first; if Y's in_progress comes later still, the refill has
   * started one surplus runner, which takes another queued job or is removed as idle by the
   * reconcile pass.
   */
  async function requeueSwapped(event: WorkflowJobEvent): Promise<void> {
    const job = event.workflow_job;
    const own = job.runner_name ? parseJobRunnerName(job.runner_name) : undefined;
    if (!own || own.jobId === job.id) return;
    await deps.clock.sleep(REQUEUE_SETTLE_MS);
    if (dedupe.has(`job:${own.jobId}:progressed`)) return;
    const pool = deps.config.pools.find((p) => p.name === own.pool);
    if (!pool || !deps.demand) return;
    const added = await deps.demand.add({ jobId: own.jobId, repo: event.repository.full_name, runId: job.run_id, pool: pool.name, labels: job.labels, createdAt: epochMs(job.created_at) ?? deps.clock.now(), attempt: own.attempt + 1 });
    if (added) deps.logger.info({ job: own.jobId, runner: job.runner_name, took: job.id }, "a job's runner took another job; the job is pending again");
  }

  /** What a verified `workflow_job` delivery asks for. */
  async function judgeEvent(c: Context, event: WorkflowJobEvent): Promise<Accepted> {
    deps.onWebhook?.();
    const delivery = c.req.header('x-github-delivery');
    if (delivery !== undefined && !dedupe.claim(`delivery:${delivery}`)) return { status: 200, result: 'duplicate' };
    const job = event.workflow_job;
    const pool = matchPool(deps.config.pools, job.labels);
    if (event.action === 'in_progress' || event.action === 'completed') {
      dedupe.claim(`job:${job.id}:progressed`);
      if (event.action === 'in_progress' && pool && job.created_at && job.started_at) {
        const wait = (Date.parse(job.started_at) - Date.parse(job.created_at)) / 1000;
        deps.tracker.started(job.id, pool.name, event.repository.full_name, wait);
      }
      const createdAt = epochMs(job.created_at);
      const startedAt = epochMs(job.started_at);
      if (event.action === 'in_progress' && pool && startedAt !== undefined) deps.jobLog?.started({ jobId: job.id, pool: pool.name, startedAt, ...(createdAt !== undefined ? { createdAt } : {}) });
      if (event.action === 'completed') deps.jobLog?.completed(job.id);
      if (deps.demand) {
        const gone = Promise.all([deps.demand.remove(job.id), event.action === 'in_progress' ? requeueSwapped(event) : undefined]);
        if (deps.inline) await gone;
        else deps.track(c, gone);
      }
      return { status: 202, result: 'ignored' };
    }
    if (event.action !== 'queued') return { status: 202, result: 'ignored' };
    if (!pool) return { status: 202, result: 'unmatched', message: 'no pool serves these labels; left alone' };
    // Delivered out of order after the job already started or ended.
    if (dedupe.has(`job:${job.id}:progressed`)) return { status: 200, result: 'ignored', message: 'job already in progress or completed' };
    if (!dedupe.claim(`job:${job.id}:queued`)) return { status: 200, result: 'duplicate' };
    deps.warmSizer?.arrived(pool.name, job.id, Date.parse(job.created_at ?? ''));
    deps.jobLog?.queued({ jobId: job.id, pool: pool.name, createdAt: epochMs(job.created_at) ?? deps.clock.now() });
    const work = handleQueued(event, pool).then((result) => deps.metrics.webhook(result));
    if (deps.inline) await work;
    else deps.track(c, work);
    return { status: 202, result: 'accepted' };
  }

  /** Signature, event and shape of a delivery whose body passed the size limit. */
  async function judge(c: Context): Promise<Accepted> {
    const secrets = deps.config.webhook?.secrets ?? [];
    let body: string;
    try {
      body = await c.req.text();
    } catch (error: unknown) {
      if (error instanceof HttpError) throw error;
      throw refuse(400, 'malformed', 'delivery could not be read');
    }
    if (!(await verifySignature(secrets, body, c.req.header(SIGNATURE_HEADER)))) {
      throw refuse(401, 'bad_signature', 'X-Hub-Signature-256 must be sha256=<HMAC of the body> under the webhook secret');
    }
    const event = c.req.header('x-github-event');
    if (!event || !/^[a-z_]{1,64}$/.test(event)) throw refuse(400, 'malformed', `X-GitHub-Event must name an event, got '${event ?? ''}'`);
    if (event === 'ping') return { status: 200, result: 'ignored' };
    if (event !== 'workflow_job') return { status: 202, result: 'ignored', message: `event '${event}' is not handled` };
    const json = deliveryJson(body, c.req.header('content-type'));
    if (json === undefined) throw refuse(400, 'malformed', 'form-encoded delivery must carry a payload field');
    const parsed = parseWorkflowJob(json);
    if (!parsed.ok) throw refuse(400, 'malformed', parsed.problem);
    return judgeEvent(c, parsed.event);
  }

  return new Hono()
    .use('*', async (c, next) => {
      await next();
      // A refused delivery counts by its result too (the app's error handler rendered it).
      if (c.error instanceof HttpError && c.error.webhookResult) deps.metrics.webhook(c.error.webhookResult);
    })
    .post(
    '/',
    async (c, next) => {
      // Before a byte of the body is read: webhooks off, or a delivery nobody signed.
      if (!deps.config.webhook) throw refuse(404, 'disabled', 'webhooks are not configured (poll-only mode)');
      if (!/^sha256=[0-9a-f]{64}$/.test(c.req.header(SIGNATURE_HEADER) ?? '')) {
        throw refuse(401, 'bad_signature', 'X-Hub-Signature-256 must be sha256=<HMAC of the body> under the webhook secret');
      }
      await next();
    },
    bodyLimit({
      maxSize: maxBytes,
      onError: () => {
        throw refuse(413, 'malformed', `body must be at most ${maxBytes} bytes`);
      },
    }),
    async (c) => {
      let outcome: Accepted;
      try {
        outcome = await judge(c);
      } catch (error: unknown) {
        if (!(error instanceof HttpError)) deps.logger.warn({ err: errorMessage(error) }, 'unreadable webhook delivery');
        throw error instanceof HttpError ? error : refuse(400, 'malformed', 'delivery could not be read');
      }
      if (outcome.result !== 'accepted') deps.metrics.webhook(outcome.result);
      return c.json({ result: outcome.result, ...(outcome.message ? { message: outcome.message } : {}) }, outcome.status);
    },
  );
}
