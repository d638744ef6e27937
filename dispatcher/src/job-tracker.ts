/**
 * Turns what the reconcile pass sees into job metrics, so they exist in poll-only mode too:
 * - queue wait from each job's `created_at`: a job queued at one pass and gone from the queue at the
 *   next has started (or was cancelled) between them; the `in_progress` webhook, where there is one,
 *   reports the exact time first, and each job is counted once;
 * - per-pool queue depth, oldest wait and our registrations (busy, idle);
 * - completed jobs from the agents' records (result and execution time), once per runner.
 * Every map is capped, so a flood of jobs cannot grow memory without bound.
 */
import type { RunnerRecord } from '../../core/agent-api/contract';
import type { QueuedJob } from './github/github-api';
import type { CompletedJobResult, DispatcherMetrics, PoolState } from './metrics-port';

const MAX_TRACKED = 10_000;

export interface PassView {
  now: number;
  /** Queued jobs with the pool that serves them. */
  queued: readonly { job: QueuedJob; pool: string }[];
  /** Our registrations with their pool. */
  runners: readonly { pool: string; status: string; busy: boolean }[];
  /** Every record the agents returned. */
  records: Iterable<RunnerRecord>;
}

export interface JobTracker {
  /** One reconcile pass's view of GitHub and the agents. */
  pass(view: PassView): void;
  /** An `in_progress` webhook: the exact wait. */
  started(jobId: number, pool: string, repository: string, waitSeconds: number): void;
}

/** A set that forgets its oldest entries beyond `cap`. */
function boundedSet<T>(cap: number): { has(v: T): boolean; add(v: T): void } {
  const items = new Set<T>();
  return {
    has: (v) => items.has(v),
    add(v) {
      items.add(v);
      if (items.size > cap) items.delete(items.values().next().value as T);
    },
  };
}

const RESULT: Record<NonNullable<RunnerRecord['jobResult']>, CompletedJobResult> = { Succeeded: 'succeeded', Failed: 'failed', Canceled: 'canceled' };

export function createJobTracker(deps: { metrics: DispatcherMetrics; pools: readonly { name: string }[] }): JobTracker {
  let waiting = new Map<number, { pool: string; repository: string; createdMs: number }>();
  const startedJobs = boundedSet<number>(MAX_TRACKED);
  const finishedRunners = boundedSet<string>(MAX_TRACKED);
  let primed = false;

  function started(jobId: number, pool: string, repository: string, waitSeconds: number): void {
    if (startedJobs.has(jobId) || !Number.isFinite(waitSeconds) || waitSeconds < 0) return;
    startedJobs.add(jobId);
    deps.metrics.jobStarted(pool, repository, waitSeconds);
  }

  function completions(records: Iterable<RunnerRecord>): void {
    for (const r of records) {
      if (r.jobResult === undefined || finishedRunners.has(r.name)) continue;
      finishedRunners.add(r.name);
      // The first pass after a start only learns what already ended: counting it again would
      // double every job a restart finds in the agents' lists.
      if (!primed) continue;
      const from = Date.parse(r.timestamps.running ?? '');
      const to = Date.parse(r.timestamps['tearing-down'] ?? r.timestamps.gone ?? '');
      const seconds = (to - from) / 1000;
      deps.metrics.jobCompleted(r.pool, RESULT[r.jobResult], Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined);
    }
  }

  return {
    started,
    pass(view) {
      const now = view.now;
      const next = new Map<number, { pool: string; repository: string; createdMs: number }>();
      for (const { job, pool } of view.queued) {
        if (next.size >= MAX_TRACKED) break;
        const createdMs = Date.parse(job.createdAt);
        if (Number.isFinite(createdMs)) next.set(job.id, { pool, repository: job.repo, createdMs });
      }
      for (const [id, w] of waiting) if (!next.has(id)) started(id, w.pool, w.repository, (now - w.createdMs) / 1000);
      waiting = next;

      const state = new Map<string, PoolState>(deps.pools.map((p) => [p.name, { queued: 0, oldestWaitSeconds: 0, registered: 0, busy: 0, idle: 0 }]));
      for (const w of next.values()) {
        const s = state.get(w.pool);
        if (!s) continue;
        s.queued++;
        s.oldestWaitSeconds = Math.max(s.oldestWaitSeconds, Math.max(0, (now - w.createdMs) / 1000));
      }
      for (const r of view.runners) {
        const s = state.get(r.pool);
        if (!s) continue;
        s.registered++;
        if (r.busy) s.busy++;
        else if (r.status === 'online') s.idle++;
      }
      for (const [pool, s] of state) deps.metrics.poolState(pool, s);
      completions(view.records);
      primed = true;
    },
  };
}
