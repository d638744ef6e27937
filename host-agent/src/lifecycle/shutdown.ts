import type { RunnerStage } from '../../../core/agent-api/contract';
import { settlesWithin } from '../../../core/deadline';
import { Interrupt } from '../vm/stage-failure';
import type { LifecycleContext } from './context';

/** Runners without a job in progress: torn down at once on shutdown. */
const NO_JOB_YET: ReadonlySet<RunnerStage> = new Set(['requested', 'cloning', 'booting', 'ssh-ready', 'registering', 'online']);

/**
 * Shutdown of the lifecycle: runners without a job are torn down now, running jobs get until
 * `timeoutMs` to finish, then everything left is torn down too.
 */
export async function shutdownRunners(ctx: LifecycleContext, timeoutMs: number): Promise<void> {
  const liveTasks = (): Promise<void>[] => [...ctx.runners.values()].flatMap((r) => (r.task ? [r.task] : []));
  const abortAll = (why: (stage: RunnerStage) => string, only?: ReadonlySet<RunnerStage>): void => {
    for (const r of ctx.runners.values()) {
      if (r.task && (!only || only.has(r.record.stage))) r.controller.abort(new Interrupt('agent-shutdown', why(r.record.stage)));
    }
  };
  abortAll((stage) => `agent shutting down while the runner was ${stage}`, NO_JOB_YET);
  if (!(await settlesWithin(ctx.clock, timeoutMs, Promise.allSettled(liveTasks())))) {
    ctx.log.warn({ timeoutMs }, 'drain timeout: tearing down runners with jobs still running');
    abortAll((stage) => `agent shutting down after the drain timeout while the runner was ${stage}`);
    await settlesWithin(ctx.clock, ctx.config.deadlines.teardownMs + 5_000, Promise.allSettled(liveTasks()));
  }
}
