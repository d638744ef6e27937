/**
 * Reconcile `tart list` with what the agent knows, on start and on a timer (docs/architecture.md, "Crash safety"):
 * - a managed VM (name parses) whose record shows a job in progress, still running → adopted;
 * - any other managed VM without a live task → torn down (interrupted teardowns are finished,
 *   VMs without a record are orphans and reaped);
 * - a record without a task whose VM is gone → closed;
 * - a stopped spare clone that is not ours (a previous life's) → deleted without a record;
 * - names that do not parse are never touched.
 */
import type { RunnerRecord } from '../../../core/agent-api/contract';
import { isSpareVmName, parseName } from '../../../core/names';
import { errorMessage } from '../../../core/errors';
import { vmNameOf, type LifecycleContext, type RunnerState } from './context';

/** What reconcile needs from the service: how to start tasks on runners. */
export interface ReconcileActions {
  adopt(r: RunnerState): void;
  teardown(r: RunnerState): void;
  /** Deletes the VM of a runner already gone, without touching its record. */
  redelete(r: RunnerState): void;
  /** Builds an in-memory state for a VM found without a record; `running` as `tart list` says. */
  orphan(name: string, pool: string, running: boolean): RunnerState;
}

/** Found not running by `tart list`: no slot, and nothing to announce (no one waited for it). */
function markStopped(r: RunnerState): void {
  r.vmStopped = true;
  r.slotAnnounced = true;
}

const JOB_IN_PROGRESS: ReadonlySet<RunnerRecord['stage']> = new Set(['online', 'running']);

/** One reconcile pass. Never throws: a failed `tart list` is logged and retried next time. */
export async function reconcile(ctx: LifecycleContext, actions: ReconcileActions, options: { allowAdopt: boolean }): Promise<void> {
  let vms;
  try {
    vms = await ctx.deps.tart.list({ timeoutMs: 30_000 });
  } catch (error: unknown) {
    ctx.log.warn({ error: errorMessage(error) }, 'reconcile: tart list failed');
    return;
  }
  const present = new Map(vms.filter((vm) => parseName(vm.name) !== undefined).map((vm) => [vm.name, vm]));
  // A runner lives in a VM of its own name, or in the warm VM it took over.
  const byVm = new Map([...ctx.runners.values()].map((r) => [vmNameOf(r), r]));

  for (const vm of present.values()) {
    const r = byVm.get(vm.name);
    if (r?.task) continue;
    if (!r && (ctx.warm.owns(vm.name) || ctx.spares.owns(vm.name))) continue;
    if (!r) {
      const parsed = parseName(vm.name);
      if (!parsed) continue;
      if (isSpareVmName(vm.name) && vm.state !== 'running') {
        // A spare clone of a previous life (spares are not journaled): stopped, it holds no slot and
        // has no runner; deleted without a record. A fresh spare of the current image replaces it.
        ctx.log.info({ vm: vm.name }, 'reconcile: spare clone left by a previous agent life; deleting it');
        ctx.spares.reap(vm.name);
        continue;
      }
      ctx.log.warn({ runner: vm.name, state: vm.state }, 'reconcile: managed VM without a record; tearing it down');
      ctx.deps.observer.orphanReaped();
      actions.teardown(actions.orphan(vm.name, parsed.pool, vm.state === 'running'));
      continue;
    }
    if (r.record.stage === 'gone') {
      // Deleted as far as we knew, yet listed: usually a delete that finished after this list was
      // taken. Delete again, quietly: the record and the metrics already say gone.
      actions.redelete(r);
      continue;
    }
    if (options.allowAdopt && !r.teardownFailed && JOB_IN_PROGRESS.has(r.record.stage) && vm.state === 'running') {
      actions.adopt(r);
      continue;
    }
    // A VM that does not run holds no slot while it waits for (or retries) its delete.
    if (vm.state !== 'running') markStopped(r);
    if (r.record.stage !== 'tearing-down' && !r.record.failure) {
      ctx.fail(r, r.record.stage, 'agent-shutdown', `the agent restarted while the runner was ${r.record.stage}; VM torn down by the reconciler`);
    }
    actions.teardown(r);
  }

  // Records that still claim a VM the list does not show (and that no task owns).
  for (const r of ctx.runners.values()) {
    if (r.task || r.record.stage === 'gone' || present.has(vmNameOf(r))) continue;
    markStopped(r);
    if (r.record.stage !== 'tearing-down' && !r.record.failure) {
      // Only records from a previous agent life get here without a failure (live ones have a task).
      ctx.fail(r, r.record.stage, 'agent-shutdown', `the agent restarted while the runner was ${r.record.stage}; its VM no longer exists`);
    }
    actions.teardown(r);
  }
}
