/**
 * A starter that keeps pending demand honest whichever path started the runner (webhook, reconcile
 * pass, slot-free callback): a job that got a runner, or that someone else already handles, leaves
 * pending demand. Only `no_capacity` keeps it: that job is still waiting for a slot.
 */
import type { RunnerStarter } from '../start-runner';
import type { TrackedDemand } from './tracked-demand';

export function forgetPlacedJobs(demand: Pick<TrackedDemand, 'remove'>, start: RunnerStarter): RunnerStarter {
  return async (input) => {
    const result = await start(input);
    if (result.outcome !== 'no_capacity') await demand.remove(input.jobId);
    return result;
  };
}
