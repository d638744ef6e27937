/**
 * The tasks that own a runner: driving it, watching an adopted VM, tearing down. Exactly one task
 * owns a runner at a time, and every task ends in teardown, whatever happened before.
 */
import type { RunnerRecord } from '../../../core/agent-api/contract';
import { errorMessage } from '../../../core/errors';
import { StageFailure } from '../vm/stage-failure';
import { destroyVm } from '../vm/vm-session';
import { watchAdopted } from './adopt';
import { vmNameOf, type LifecycleContext, type RunnerState } from './context';
import type { ReconcileActions } from './reconcile';
import { teardownRunner } from './teardown';

const isoOf = (ms: number): string => new Date(ms).toISOString();

/** In-memory state for a record (new, or loaded from the journal). */
export function newRunnerState(ctx: LifecycleContext, record: RunnerRecord): RunnerState {
  return {
    record,
    pool: ctx.config.pools.find((p) => p.name === record.pool),
    controller: new AbortController(),
    task: undefined,
    run: undefined,
    vmExit: undefined,
    runPid: undefined,
    session: undefined,
    ip: undefined,
    log: ctx.log.child({ runner: record.name, pool: record.pool, stage: record.stage }),
    stageSince: ctx.clock.now(),
    teardownFailed: false,
    vmStopped: false,
    slotAnnounced: false,
    finishedAt: undefined,
    countsAsJob: true,
  };
}

/** Sets `task` as the runner's one task; clears it when it ends (unless another took over). */
function track(r: RunnerState, task: Promise<void>): void {
  r.task = task;
  void task.finally(() => {
    if (r.task === task) r.task = undefined;
  });
}

/** Runs `work` as the runner's one task, then tears down whatever happened. */
export function own(ctx: LifecycleContext, r: RunnerState, work: (() => Promise<void>) | undefined): void {
  track(
    r,
    (async () => {
      try {
        if (work) await work();
      } catch (error: unknown) {
        const failure =
          error instanceof StageFailure ? error : new StageFailure(r.record.stage, 'internal', `unexpected error: ${errorMessage(error)}`, { cause: error });
        ctx.fail(r, failure.stage, failure.reason, failure.message);
      }
      try {
        await teardownRunner(ctx, r);
      } catch (error: unknown) {
        r.teardownFailed = true;
        r.log.error({ error: errorMessage(error) }, 'teardown crashed; the reconciler will retry');
      }
    })(),
  );
}

/** What the reconciler may start on runners. */
export function reconcileActions(ctx: LifecycleContext): ReconcileActions {
  return {
    adopt(r) {
      r.record = { ...r.record, adopted: true };
      r.controller = new AbortController();
      r.log.info({ stage: r.record.stage }, 'adopting a VM whose job was in progress when the agent stopped');
      ctx.persist(r);
      ctx.countsChanged();
      own(ctx, r, () => watchAdopted(ctx, r));
    },
    teardown(r) {
      if (!r.task) own(ctx, r, undefined);
    },
    redelete(r) {
      if (r.task) return;
      track(
        r,
        ctx.deletes.run(() => destroyVm(ctx.vm, { name: vmNameOf(r) })).catch((error: unknown) => r.log.warn({ error: errorMessage(error) }, 'could not delete the VM of a runner already gone')),
      );
    },
    orphan(name, pool, running) {
      const now = isoOf(ctx.clock.now());
      const r = newRunnerState(ctx, { name, pool, labels: [], stage: 'tearing-down', timestamps: { 'tearing-down': now }, registrationLeftBehind: false, adopted: false });
      r.record = { ...r.record, failure: { stage: 'requested', reason: 'internal', message: `orphan VM ${name} found by the reconciler (no journal record)` } };
      r.countsAsJob = false;
      r.vmStopped = !running;
      r.slotAnnounced = true;
      ctx.runners.set(name, r);
      return r;
    },
  };
}

/** A previous life's journal: every record comes back; reconcile decides what happens to it. */
export function loadJournal(ctx: LifecycleContext): void {
  const entries = ctx.deps.journal.load();
  // Warm VMs of a previous life are torn down; one already taken over by a runner belongs to it.
  const served = new Set(entries.flatMap((e) => (e.record.vm ? [e.record.vm] : [])));
  ctx.warm.reap(entries.filter((e) => e.warm && !served.has(e.record.name)));
  for (const entry of entries) {
    if (entry.warm) {
      if (served.has(entry.record.name)) void ctx.deps.journal.remove(entry.record.name);
      continue;
    }
    const r = newRunnerState(ctx, entry.record);
    r.runPid = entry.runPid;
    r.ip = entry.ip;
    // Stopped in the previous life: no slot now, nothing to announce.
    r.vmStopped = entry.vmStopped === true;
    r.slotAnnounced = r.vmStopped;
    if (entry.record.stage === 'gone') r.finishedAt = Date.parse(entry.record.timestamps.gone ?? '') || ctx.clock.now();
    ctx.runners.set(entry.record.name, r);
  }
}

/** Forgets finished runners past the retention, in memory and in the journal. */
export function pruneFinished(ctx: LifecycleContext): void {
  const cutoff = ctx.clock.now() - ctx.timing.finishedRetentionMs;
  for (const [name, r] of ctx.runners) {
    if (r.record.stage === 'gone' && !r.task && (r.finishedAt ?? 0) < cutoff) {
      ctx.runners.delete(name);
      void ctx.deps.journal.remove(name);
    }
  }
}
