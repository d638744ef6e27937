/**
 * Pending demand in process memory: tests, and Lambda, whose containers come and go (the reconcile
 * pass covers what a new container never saw; docs/deploy.md says so).
 */
import { checkMaxEntries, clampLimit, DEFAULT_MAX_PENDING, olderFirst, queryPools, type PendingDemand, type PendingJob } from './pending-demand';

export function createMemoryDemand(options: { maxEntries?: number } = {}): PendingDemand {
  const maxEntries = checkMaxEntries(options.maxEntries ?? DEFAULT_MAX_PENDING);
  const jobs = new Map<number, PendingJob>();

  /** The oldest entry; a linear scan, run only when the cap is reached. */
  function oldestEntry(): PendingJob | undefined {
    let oldest: PendingJob | undefined;
    for (const job of jobs.values()) if (!oldest || olderFirst(job, oldest) < 0) oldest = job;
    return oldest;
  }

  return {
    async add(job) {
      const pending = jobs.get(job.jobId);
      if (pending) {
        if ((job.attempt ?? 0) > (pending.attempt ?? 0)) pending.attempt = job.attempt;
        return { added: false, dropped: 0 };
      }
      jobs.set(job.jobId, { ...job, labels: [...job.labels] });
      let dropped = 0;
      while (jobs.size > maxEntries) {
        jobs.delete((oldestEntry() as PendingJob).jobId);
        dropped += 1;
      }
      return { added: jobs.has(job.jobId), dropped };
    },
    async remove(jobId) {
      return jobs.delete(jobId);
    },
    async oldest(pools, limit) {
      const n = clampLimit(limit, maxEntries);
      if (n === 0) return [];
      const wanted = new Set(queryPools(pools));
      return [...jobs.values()]
        .filter((j) => wanted.has(j.pool))
        .sort(olderFirst)
        .slice(0, n)
        .map((j) => ({ ...j, labels: [...j.labels] }));
    },
    async counts() {
      const out: Record<string, number> = {};
      for (const j of jobs.values()) out[j.pool] = (out[j.pool] ?? 0) + 1;
      return out;
    },
  };
}
