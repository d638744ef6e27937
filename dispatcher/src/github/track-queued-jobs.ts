/**
 * GitHub as the reconciler sees it, with every listing of queued jobs also told to the job tracker:
 * that is how the status page knows the queue in poll-only mode, and how it forgets jobs whose
 * webhooks it never saw start.
 */
import type { Clock } from '../../../core/clock';
import type { PoolConfig } from '../config';
import type { JobLog } from '../status/job-log';
import { matchPool } from '../pool-match';
import type { GitHubApi } from './github-api';

export function trackQueuedJobs(github: GitHubApi, tracker: Pick<JobLog, 'listed'>, pools: readonly Pick<PoolConfig, 'name' | 'labels'>[], clock: Pick<Clock, 'now'>): GitHubApi {
  // Delegated one by one (not spread): an implementation may keep its methods on a prototype.
  return {
    generateJitConfig: (input) => github.generateJitConfig(input),
    deleteRunner: (runnerId) => github.deleteRunner(runnerId),
    findRunnerByName: (name) => github.findRunnerByName(name),
    listRunners: () => github.listRunners(),
    getJobStatus: (repo, jobId) => github.getJobStatus(repo, jobId),
    rateLimitRemaining: () => github.rateLimitRemaining(),
    rateLimitLimit: () => github.rateLimitLimit?.(),
    async listQueuedJobs(wanted) {
      const listedAt = clock.now();
      // `wanted` keeps the reads cheap (runs none of our pools serve are not read again).
      const jobs = await github.listQueuedJobs(wanted);
      const served = jobs.flatMap((j) => {
        const pool = matchPool(pools, j.labels);
        const createdAt = Date.parse(j.createdAt);
        return pool ? [{ jobId: j.id, pool: pool.name, createdAt: Number.isFinite(createdAt) ? createdAt : listedAt }] : [];
      });
      tracker.listed(served, listedAt);
      return jobs;
    },
  };
}
