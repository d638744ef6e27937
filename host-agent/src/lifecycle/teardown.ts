import { errorMessage } from '../../../core/errors';
import { deleteVm, stopVm, type VmHandle } from '../vm/vm-session';
import { Interrupt } from '../vm/stage-failure';
import { vmNameOf, type LifecycleContext, type RunnerState } from './context';
import { markVmStopped } from './vm-stopped';

/** How a runner ended, for `runner_jobs_total`. */
function endStatus(r: RunnerState): 'succeeded' | 'failed' | 'canceled' | 'no-job' {
  const rec = r.record;
  if (rec.jobResult) return rec.jobResult.toLowerCase() as 'succeeded' | 'failed' | 'canceled';
  if (rec.failure?.reason === 'canceled' || rec.failure?.reason === 'agent-shutdown') return 'canceled';
  return rec.failure ? 'failed' : 'no-job';
}

/** Records a failed teardown: the record stays in `tearing-down` (journaled) for the reconciler. */
function teardownFailed(ctx: LifecycleContext, r: RunnerState, what: string, error: unknown): void {
  r.teardownFailed = true;
  ctx.fail(r, 'tearing-down', 'teardown-failed', `could not ${what} VM ${vmNameOf(r)}: ${errorMessage(error)}`);
  r.log.error({ error: errorMessage(error), vmStopped: r.vmStopped }, 'teardown failed; the reconciler will retry');
  // `fail` moved the stage to `failed`; the VM still exists, so the record stays in teardown.
  ctx.enter(r, 'tearing-down');
}

/**
 * Stop, then delete the runner's VM, then mark it gone. Runs on every exit path. The slot is free as
 * soon as the VM has stopped (Apple's limit counts running VMs): warm capacity and the dispatcher
 * hear of it then, while the delete runs (in the bounded delete queue) within this same task, so
 * drain and shutdown still wait for it. A failed stop keeps the slot held; a failed delete does not.
 * Either way the record stays in `tearing-down` for the reconciler to finish.
 */
export async function teardownRunner(ctx: LifecycleContext, r: RunnerState): Promise<void> {
  const name = vmNameOf(r);
  ctx.enter(r, 'tearing-down');
  // From here on nothing waits for this runner's stages any more.
  if (!r.controller.signal.aborted) r.controller.abort(new Interrupt('canceled', 'tearing down'));
  r.session?.close();
  r.session = undefined;
  const vm: VmHandle = { name, run: r.run, runPid: r.runPid, logFile: ctx.logFileOf(name) };
  let missing: boolean;
  try {
    missing = (await stopVm(ctx.vm, vm)) === 'missing';
  } catch (error: unknown) {
    teardownFailed(ctx, r, 'stop', error);
    return;
  }
  markVmStopped(ctx, r);
  ctx.persist(r);
  try {
    if (missing) await deleteVm(ctx.vm, vm, { missing });
    else await ctx.deletes.run(() => deleteVm(ctx.vm, vm));
  } catch (error: unknown) {
    teardownFailed(ctx, r, 'delete', error);
    return;
  }
  r.teardownFailed = false;
  r.run = undefined;
  r.finishedAt = ctx.clock.now();
  ctx.enter(r, 'gone');
  if (r.countsAsJob) ctx.deps.observer.jobEnded(endStatus(r));
  r.log.info({ jobResult: r.record.jobResult, failure: r.record.failure?.reason }, 'runner gone');
}
