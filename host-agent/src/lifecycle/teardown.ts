import { errorMessage } from '../../../core/errors';
import { destroyVm } from '../vm/vm-session';
import { Interrupt } from '../vm/stage-failure';
import { vmNameOf, type LifecycleContext, type RunnerState } from './context';

/** How a runner ended, for `runner_jobs_total`. */
function endStatus(r: RunnerState): 'succeeded' | 'failed' | 'canceled' | 'no-job' {
  const rec = r.record;
  if (rec.jobResult) return rec.jobResult.toLowerCase() as 'succeeded' | 'failed' | 'canceled';
  if (rec.failure?.reason === 'canceled' || rec.failure?.reason === 'agent-shutdown') return 'canceled';
  return rec.failure ? 'failed' : 'no-job';
}

/**
 * Stop + delete the runner's VM, then mark it gone and free its slot. Runs on every exit path. A
 * failed teardown leaves the record in `tearing-down` (journaled), holding its slot, for the
 * reconciler to finish.
 */
export async function teardownRunner(ctx: LifecycleContext, r: RunnerState): Promise<void> {
  const name = vmNameOf(r);
  ctx.enter(r, 'tearing-down');
  // From here on nothing waits for this runner's stages any more.
  if (!r.controller.signal.aborted) r.controller.abort(new Interrupt('canceled', 'tearing down'));
  r.session?.close();
  r.session = undefined;
  try {
    await destroyVm(ctx.vm, { name, run: r.run, runPid: r.runPid, logFile: ctx.logFileOf(name) });
  } catch (error: unknown) {
    r.teardownFailed = true;
    ctx.fail(r, 'tearing-down', 'teardown-failed', `could not delete VM ${name}: ${errorMessage(error)}`);
    r.log.error({ error: errorMessage(error) }, 'teardown failed; the reconciler will retry');
    // `fail` moved the stage to `failed`; the VM still exists, so the record stays in teardown.
    ctx.enter(r, 'tearing-down');
    return;
  }
  r.teardownFailed = false;
  r.run = undefined;
  r.finishedAt = ctx.clock.now();
  ctx.enter(r, 'gone');
  if (r.countsAsJob) ctx.deps.observer.jobEnded(endStatus(r));
  r.log.info({ jobResult: r.record.jobResult, failure: r.record.failure?.reason }, 'runner gone');
  // A slot is free: warm capacity may refill it.
  ctx.warm.tick();
}
