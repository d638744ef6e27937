/**
 * Names and labels of the runners one workflow run owns. The label `tartfleet-<run_id>-<attempt>` is
 * unique to the run, so no other job can take these runners; the names (core/names.ts) let `stop`
 * find them again from another job, and do not parse as the dispatcher's job-derived names, so its
 * reconciler never mistakes them for its own.
 */
import { isRunRunnerName, runRunnerName } from '../core/names';
import { runnerLabels } from '../dispatcher/src/pool-match';
import type { RunContext } from './run-context';

export function runLabel(ctx: RunContext): string {
  return `tartfleet-${ctx.runId}-${ctx.runAttempt}`;
}

/** The run's `index`-th runner in `pool`. */
export function runRunner(pool: string, ctx: RunContext, index: number): string {
  return runRunnerName(pool, ctx.runId, ctx.runAttempt, index);
}

/** True for a runner this run created in this pool. */
export function isRunRunner(name: string, pool: string, ctx: RunContext): boolean {
  return isRunRunnerName(name, pool, ctx.runId, ctx.runAttempt);
}

/** `self-hosted`, the run label, then the extra labels, without duplicates (case-insensitive). */
export function runLabels(ctx: RunContext, extra: readonly string[]): string[] {
  return runnerLabels({ labels: [runLabel(ctx), ...extra] });
}

/** What the main step saves about each runner for cleanup. */
export interface SavedRunner {
  name: string;
  runnerId: number;
  host?: string;
}
