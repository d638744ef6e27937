import type { LifecycleContext, RunnerState } from './context';

/**
 * The runner's VM is not running any more (its `tart run` exited, or teardown's stop returned):
 * it holds no slot from now on (Apple's limit counts running VMs), the record says since when, and
 * the slot is announced once — warm capacity and the dispatcher may use it before the delete ends.
 */
export function markVmStopped(ctx: LifecycleContext, r: RunnerState): void {
  r.vmStopped = true;
  if (r.record.vmStoppedAt === undefined) r.record = { ...r.record, vmStoppedAt: new Date(ctx.clock.now()).toISOString() };
  if (!r.slotAnnounced) {
    r.slotAnnounced = true;
    ctx.slotFreed();
  }
}
