/**
 * Pending demand as its callers use it: adding and removing never fail the webhook or the pass that
 * asked (a store that is down is logged; the reconcile pass covers the job), every change updates
 * `dispatcher_pending_demand{pool}` for the configured pools, and drops at the cap are counted.
 */
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import type { DispatcherMetrics } from '../metrics-port';
import type { PendingDemand, PendingJob } from './pending-demand';

export interface TrackedDemand {
  /** Remember a job that found no slot; true when it is pending now and was not before. */
  add(job: PendingJob): Promise<boolean>;
  /** Forget a job (started, ended, or placed). */
  remove(jobId: number): Promise<void>;
  /** The oldest pending jobs of these pools; throws when the store does (the caller answers). */
  oldest(pools: readonly string[], limit: number): Promise<PendingJob[]>;
}

export function trackDemand(store: PendingDemand, deps: { metrics: Pick<DispatcherMetrics, 'pendingDemand' | 'demandDropped'>; pools: readonly { name: string }[]; logger: Logger }): TrackedDemand {
  const configured = deps.pools.map((p) => p.name);

  async function report(): Promise<void> {
    const counts = await store.counts();
    // Configured pools only: a file kept from an older config must not widen the label set.
    for (const pool of configured) deps.metrics.pendingDemand(pool, counts[pool] ?? 0);
  }

  return {
    async add(job) {
      try {
        const { added, dropped } = await store.add(job);
        if (dropped > 0) {
          deps.metrics.demandDropped(dropped);
          deps.logger.warn({ dropped }, 'pending demand is full: dropped its oldest jobs; the reconcile pass still finds them');
        }
        if (added || dropped > 0) await report();
        return added;
      } catch (error: unknown) {
        deps.logger.warn({ job: job.jobId, err: errorMessage(error) }, 'could not remember a job in pending demand; the reconcile pass will start it');
        return false;
      }
    },
    async remove(jobId) {
      try {
        if (await store.remove(jobId)) await report();
      } catch (error: unknown) {
        deps.logger.warn({ job: jobId, err: errorMessage(error) }, 'could not remove a job from pending demand; a slot-free callback may start a runner it no longer needs (removed as surplus)');
      }
    },
    oldest: (pools, limit) => store.oldest(pools, limit),
  };
}
