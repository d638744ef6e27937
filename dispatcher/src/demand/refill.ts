/**
 * Event-driven refill: an agent reported free slots, so the oldest pending jobs of the pools it
 * serves get runners now, on that host first (the placer falls back to the others when it refuses),
 * through the one start-a-runner use case. No GitHub listing is involved: pending demand already
 * says which jobs wait. A job that again finds no slot stays pending; any other outcome removes it
 * (forget-placed.ts).
 */
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import type { PoolConfig } from '../config';
import type { RunnerStarter } from '../start-runner';
import type { PendingJob } from './pending-demand';
import type { TrackedDemand } from './tracked-demand';

export interface RefillDeps {
  demand: TrackedDemand;
  /** Wrapped by forgetPlacedJobs, so placed jobs leave pending demand. */
  startRunner: RunnerStarter;
  pools: readonly PoolConfig[];
  logger: Logger;
}

export interface FreedSlots {
  /** Host URL (config) to start on first; absent: normal placement. */
  host?: string;
  /** Pools whose jobs may take the slots (already limited to what the host serves). */
  pools: readonly string[];
  free: number;
}

export interface Refill {
  /** Takes up to `free` pending jobs (none that another refill is starting) and returns them with
   * the work that starts their runners; `work` resolves to the number started and never rejects. */
  take(slots: FreedSlots): Promise<{ jobs: PendingJob[]; work: Promise<number> }>;
}

export function createRefill(deps: RefillDeps): Refill {
  // Jobs a refill is starting right now: a second callback meanwhile must not start them twice.
  // Bounded by the starts in flight (at most `free` ≤ 64 per callback).
  const starting = new Set<number>();
  const poolByName = new Map(deps.pools.map((p) => [p.name, p]));

  async function start(job: PendingJob, host: string | undefined): Promise<boolean> {
    const pool = poolByName.get(job.pool);
    try {
      if (!pool) {
        // Pending from an older config: no pool serves it any more.
        await deps.demand.remove(job.jobId);
        return false;
      }
      const r = await deps.startRunner({ pool, jobId: job.jobId, attempt: job.attempt ?? 0, via: 'demand', ...(host !== undefined ? { preferHost: host } : {}) });
      return r.outcome === 'started';
    } catch (error: unknown) {
      deps.logger.warn({ job: job.jobId, pool: job.pool, err: errorMessage(error) }, 'starting a runner for a pending job failed; it stays for the next callback or pass');
      return false;
    } finally {
      starting.delete(job.jobId);
    }
  }

  return {
    async take({ host, pools, free }) {
      if (free <= 0 || pools.length === 0) return { jobs: [], work: Promise.resolve(0) };
      const candidates = await deps.demand.oldest(pools, free + starting.size);
      const jobs = candidates.filter((j) => !starting.has(j.jobId)).slice(0, free);
      for (const j of jobs) starting.add(j.jobId);
      const work = Promise.all(jobs.map((j) => start(j, host))).then((done) => {
        const started = done.filter(Boolean).length;
        if (jobs.length > 0) deps.logger.info({ host, taken: jobs.length, started }, 'refilled freed slots from pending demand');
        return started;
      });
      return { jobs, work };
    },
  };
}
