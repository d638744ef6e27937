/**
 * What the dispatcher has seen of jobs, for the status page: jobs seen queued (webhook `queued`
 * deliveries and each reconcile pass's listing, with GitHub's `created_at`) and the most recent job
 * starts (an `in_progress` delivery, or a runner record that reached `running`).
 *
 * It is memory, not state: bounded (`maxQueued`, `maxStarts`; the oldest entries go first), lost on a
 * restart and refilled by the next reconcile pass. On Workers each isolate has its own, so the page
 * shows what the isolate that answered has seen.
 */
import type { RunnerRecord } from '../../../core/agent-api/contract';
import { parseJobRunnerName } from '../../../core/names';

export interface QueuedEntry {
  jobId: number;
  pool: string;
  /** Epoch ms GitHub created the job. */
  createdAt: number;
  /** Epoch ms we last saw it queued. */
  seenAt: number;
}

export interface StartEntry {
  jobId: number;
  pool: string;
  /** Epoch ms the job started (in_progress) or its runner reached `running`. */
  startedAt: number;
  /** Epoch ms the job was created, when known; the start latency is measured from it. */
  createdAt?: number;
  /** Epoch ms its runner was requested from an agent, when known (a fallback origin for the latency). */
  requestedAt?: number;
  runner?: string;
  host?: string;
}

export interface JobLog {
  /** A job seen queued for `pool`. */
  queued(job: { jobId: number; pool: string; createdAt: number }): void;
  /** A reconcile pass's full listing of queued jobs (only those some pool serves), fetched at
   * `listedAt`: jobs seen queued before then and absent from it are no longer queued. */
  listed(jobs: readonly { jobId: number; pool: string; createdAt: number }[], listedAt: number): void;
  /** A job seen started. */
  started(start: StartEntry): void;
  /** A job seen completed (or cancelled) while we thought it queued. */
  completed(jobId: number): void;
  /** Harvest starts from runner records (their `running` timestamp). */
  sawRecords(host: string, records: readonly RunnerRecord[]): void;
  queuedJobs(): QueuedEntry[];
  /** Most recent first. */
  recentStarts(): StartEntry[];
}

export interface JobLogOptions {
  now: () => number;
  maxQueued?: number;
  maxStarts?: number;
}

/** Drop the oldest insertions beyond `cap` (a Map iterates in insertion order). */
function trim<K, V>(map: Map<K, V>, cap: number): void {
  for (const key of map.keys()) {
    if (map.size <= cap) return;
    map.delete(key);
  }
}

export function createJobLog(options: JobLogOptions): JobLog {
  const maxQueued = options.maxQueued ?? 1_000;
  const maxStarts = options.maxStarts ?? 50;
  const queued = new Map<number, QueuedEntry>();
  const starts = new Map<number, StartEntry>();

  function started(start: StartEntry): void {
    const q = queued.get(start.jobId);
    queued.delete(start.jobId);
    const before = starts.get(start.jobId);
    const createdAt = start.createdAt ?? before?.createdAt ?? q?.createdAt;
    const merged: StartEntry = { ...before, ...start, ...(createdAt !== undefined ? { createdAt } : {}) };
    // The earliest start wins (a webhook's started_at and a record's running timestamp are close).
    if (before) merged.startedAt = Math.min(before.startedAt, start.startedAt);
    starts.delete(start.jobId);
    starts.set(start.jobId, merged);
    trim(starts, maxStarts);
  }

  return {
    queued(job) {
      if (starts.has(job.jobId)) return;
      queued.delete(job.jobId);
      queued.set(job.jobId, { ...job, seenAt: options.now() });
      trim(queued, maxQueued);
    },
    listed(jobs, listedAt) {
      const present = new Set(jobs.map((j) => j.jobId));
      for (const [id, e] of queued) if (!present.has(id) && e.seenAt < listedAt) queued.delete(id);
      for (const j of jobs) if (!starts.has(j.jobId)) this.queued(j);
    },
    started,
    completed(jobId) {
      queued.delete(jobId);
    },
    sawRecords(host, records) {
      for (const r of records) {
        const running = r.timestamps.running;
        const jobId = r.jobId ?? parseJobRunnerName(r.name)?.jobId;
        if (jobId === undefined || running === undefined) continue;
        const startedAt = Date.parse(running);
        if (!Number.isFinite(startedAt)) continue;
        const requestedAt = Date.parse(r.timestamps.requested ?? '');
        const known = starts.get(jobId);
        // Already harvested from this runner: nothing new (keeps the order of starts stable).
        if (known?.runner === r.name && known?.host === host) continue;
        started({ jobId, pool: r.pool, startedAt, runner: r.name, host, ...(Number.isFinite(requestedAt) ? { requestedAt } : {}) });
      }
    },
    queuedJobs: () => [...queued.values()],
    recentStarts: () => [...starts.values()].sort((a, b) => b.startedAt - a.startedAt),
  };
}
