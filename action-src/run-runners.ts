/**
 * Names and labels of the runners one workflow run owns. The label `tartfleet-<run_id>-<attempt>` is
 * unique to the run, so no other job can take these runners; the names `tf-<pool>-r<run>a<attempt>n<i>`
 * let `stop` find them again from another job, and do not parse as the dispatcher's job-derived names
 * (`j<job>a<attempt>`), so its reconciler never mistakes them for its own.
 */
import { RUNNER_NAME } from '../host-agent/src/api/contract';
import { runnerLabels } from '../dispatcher/src/pool-match';
import type { RunContext } from './inputs';

export function runLabel(ctx: RunContext): string {
  return `tartfleet-${ctx.runId}-${ctx.runAttempt}`;
}

export function runRunnerPrefix(pool: string, ctx: RunContext): string {
  return `tf-${pool}-r${ctx.runId}a${ctx.runAttempt}n`;
}

export function runRunnerName(pool: string, ctx: RunContext, index: number): string {
  const name = `${runRunnerPrefix(pool, ctx)}${index}`;
  if (!RUNNER_NAME.test(name)) throw new Error(`runner name '${name}' must match ${RUNNER_NAME}`);
  return name;
}

/** True for a runner this run created in this pool (the index part must be digits only). */
export function isRunRunner(name: string, pool: string, ctx: RunContext): boolean {
  const prefix = runRunnerPrefix(pool, ctx);
  return name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
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
