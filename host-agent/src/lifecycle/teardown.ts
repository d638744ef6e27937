import { rm } from 'node:fs/promises';
import type { TartRunHandle } from '../tart/tart-cli';
import { errorMessage } from '../util/errors';
import type { LifecycleContext, RunnerState } from './context';
import { Interrupt } from './stage-failure';

/** Kills a `tart run` we no longer have a handle for (previous agent life), if tart still sees the VM running. */
async function killStrayRun(ctx: LifecycleContext, r: RunnerState): Promise<void> {
  if (r.runPid === undefined) return;
  const info = await ctx.deps.tart.get(r.record.name, { timeoutMs: 10_000 }).catch(() => undefined);
  if (info?.state !== 'running') return;
  try {
    process.kill(-r.runPid, 'SIGKILL');
    r.log.warn({ pid: r.runPid }, 'killed the tart run process group left by a previous agent');
  } catch {
    // Not ours any more, or gone.
  }
}

async function waitExited(handle: TartRunHandle, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = await Promise.race([handle.exited.then(() => true as const), timeout]);
  clearTimeout(timer);
  return done;
}

/**
 * Stop + delete the runner's VM, then mark it gone and free its slot. Runs on every exit path. A
 * failed teardown leaves the record in `tearing-down` (journaled), holding its slot, for the
 * reconciler to finish.
 */
export async function teardownRunner(ctx: LifecycleContext, r: RunnerState): Promise<void> {
  const name = r.record.name;
  ctx.enter(r, 'tearing-down');
  // From here on nothing waits for this runner's stages any more.
  if (!r.controller.signal.aborted) r.controller.abort(new Interrupt('canceled', 'tearing down'));
  r.session?.close();
  r.session = undefined;
  r.jitConfig = undefined;
  try {
    await ctx.deps.tart.stopAndDelete(name, {
      stopTimeoutSeconds: ctx.timing.stopTimeoutSeconds,
      deadlineMs: ctx.config.deadlines.teardownMs,
      onStopFailed: async () => {
        // tart-cli.md §6: if stop fails, kill the `tart run` process, then delete.
        if (r.run) r.run.kill('SIGKILL');
        else await killStrayRun(ctx, r);
      },
    });
    if (r.run && !(await waitExited(r.run, 5_000))) r.run.kill('SIGKILL');
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
  await rm(ctx.logFileOf(name), { force: true }).catch(() => undefined);
  r.finishedAt = ctx.clock.now();
  ctx.enter(r, 'gone');
  const rec = r.record;
  const status = rec.jobResult
    ? (rec.jobResult.toLowerCase() as 'succeeded' | 'failed' | 'canceled')
    : rec.failure?.reason === 'canceled' || rec.failure?.reason === 'agent-shutdown'
      ? 'canceled'
      : rec.failure
        ? 'failed'
        : 'no-job';
  if (r.countsAsJob) ctx.deps.observer.jobEnded(status);
  r.log.info({ jobResult: rec.jobResult, failure: rec.failure?.reason }, 'runner gone');
}
