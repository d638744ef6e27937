/**
 * The RunnerService (host-agent/src/service.ts) over tart, SSH and the journal: slots, the
 * per-runner lifecycle tasks, the reconciler and shutdown. HTTP-free; the routes call it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { HostInfo, RunnerRecord, RunnerStage, StartRunnerRequest } from '../api/contract';
import { StartRejectedError, type RunnerService } from '../service';
import { parseVmName } from '../tart/vm-name';
import { systemClock } from '../util/clock';
import { errorMessage } from '../util/errors';
import { watchAdopted } from './adopt';
import { DEFAULT_TIMING, type LifecycleContext, type RunnerServiceDeps, type RunnerState } from './context';
import { driveRunner } from './drive-runner';
import { reconcile } from './reconcile';
import { Interrupt, StageFailure } from './stage-failure';
import { teardownRunner } from './teardown';

export type { RunnerServiceDeps } from './context';

/** The service plus what the entrypoint and tests need beyond the HTTP seam. */
export interface LifecycleRunnerService extends RunnerService {
  /** Resolves when the start-up reconcile (journal vs `tart list`) has run. */
  readonly ready: Promise<void>;
  /** Runs a reconcile pass now. */
  reconcileNow(): Promise<void>;
  /** Takes one VM slot for a VM outside the runner lifecycle (an image smoke test); returns its
   * release, or undefined when no slot is free (or the host is draining). */
  reserveSlot(): (() => void) | undefined;
}

const isoOf = (ms: number): string => new Date(ms).toISOString();

/** Builds the service, loads the journal and starts reconciling (at once, then every interval). */
export function createRunnerService(deps: RunnerServiceDeps): LifecycleRunnerService {
  const clock = deps.clock ?? systemClock;
  const config = deps.config;
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const log = deps.logger.child({ module: 'lifecycle' });
  const logDir = path.join(config.stateDir, 'vm-logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  let draining = false;
  let shuttingDown = false;
  let tartVersion: string | null = null;
  /** Names `tart list` showed at the last reconcile (local VMs and OCI images). */
  let presentImages = new Set<string>();
  /** Slots held by VMs outside the runner lifecycle (smoke tests). */
  let reserved = 0;
  const imageOf = (p: (typeof config.pools)[number]): string => deps.poolImages?.currentOf(p) ?? p.image;

  const ctx: LifecycleContext = {
    deps,
    config,
    clock,
    timing,
    log,
    runners: new Map(),
    suspects: [],
    enter(r, stage) {
      const now = clock.now();
      const previous = r.record.stage;
      r.record = { ...r.record, stage, timestamps: { ...r.record.timestamps, [stage]: isoOf(now) } };
      r.log = r.log.child({ stage });
      deps.observer.stageEntered(r.record.pool, stage, previous, (now - r.stageSince) / 1000);
      r.stageSince = now;
      r.log.info({ from: previous }, `runner ${stage}`);
      ctx.persist(r);
      ctx.countsChanged();
    },
    fail(r, stage, reason, message) {
      if (r.record.failure) {
        r.log.warn({ reason, error: message }, 'further failure after the first one');
        return;
      }
      const reachedOnline = r.record.timestamps.online !== undefined;
      r.record = { ...r.record, failure: { stage, reason, message }, registrationLeftBehind: !reachedOnline };
      deps.observer.failed(stage, reason);
      r.log.warn({ failedStage: stage, reason, error: message }, 'runner failed');
      if (reason === 'vm-limit') {
        ctx.suspects.push(clock.now());
        ctx.suspects.splice(0, Math.max(0, ctx.suspects.length - config.maxVms));
        log.error({ runner: r.record.name }, 'tart reported the VM limit while a slot looked free; slot marked suspect (a leaked VM slot? tart #1217)');
      }
      ctx.enter(r, 'failed');
    },
    persist(r) {
      void deps.journal.save({ record: r.record, runPid: r.runPid, ip: r.ip });
    },
    countsChanged() {
      const slots = slotCounts();
      deps.observer.vmsChanged(slots.busy, { busy: slots.busy, warm: 0, free: slots.free, suspect: slots.suspect });
    },
    busySlots() {
      let busy = reserved;
      for (const r of ctx.runners.values()) if (r.record.stage !== 'gone') busy += 1;
      return busy;
    },
    logFileOf(name) {
      return path.join(logDir, `${name}.log`);
    },
  };

  function slotCounts(): { total: number; busy: number; free: number; suspect: number } {
    const now = clock.now();
    while (ctx.suspects.length > 0 && (ctx.suspects[0] ?? 0) + timing.suspectTtlMs <= now) ctx.suspects.shift();
    const busy = ctx.busySlots();
    const suspect = Math.min(ctx.suspects.length, Math.max(0, config.maxVms - busy));
    return { total: config.maxVms, busy, suspect, free: Math.max(0, config.maxVms - busy - suspect) };
  }

  function newState(record: RunnerRecord, jitConfig: string | undefined): RunnerState {
    return {
      record,
      pool: config.pools.find((p) => p.name === record.pool),
      jitConfig,
      controller: new AbortController(),
      task: undefined,
      run: undefined,
      vmExit: undefined,
      runPid: undefined,
      session: undefined,
      ip: undefined,
      log: log.child({ runner: record.name, pool: record.pool, stage: record.stage }),
      stageSince: clock.now(),
      teardownFailed: false,
      finishedAt: undefined,
      countsAsJob: true,
    };
  }

  /** Runs `work` as the runner's one task, then tears down whatever happened. */
  function own(r: RunnerState, work: (() => Promise<void>) | undefined): void {
    const task = (async () => {
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
    })();
    r.task = task;
    void task.finally(() => {
      if (r.task === task) r.task = undefined;
    });
  }

  const actions = {
    adopt(r: RunnerState) {
      r.record = { ...r.record, adopted: true };
      r.controller = new AbortController();
      r.log.info({ stage: r.record.stage }, 'adopting a VM whose job was in progress when the agent stopped');
      ctx.persist(r);
      ctx.countsChanged();
      own(r, () => watchAdopted(ctx, r));
    },
    teardown(r: RunnerState) {
      if (r.task) return;
      own(r, undefined);
    },
    redelete(r: RunnerState) {
      if (r.task) return;
      const task = ctx.deps.tart
        .stopAndDelete(r.record.name, { stopTimeoutSeconds: timing.stopTimeoutSeconds, deadlineMs: config.deadlines.teardownMs })
        .catch((error: unknown) => r.log.warn({ error: errorMessage(error) }, 'could not delete the VM of a runner already gone'));
      r.task = task;
      void task.finally(() => {
        if (r.task === task) r.task = undefined;
      });
    },
    orphan(name: string, pool: string) {
      const now = isoOf(clock.now());
      const r = newState({ name, pool, labels: [], stage: 'tearing-down', timestamps: { 'tearing-down': now }, registrationLeftBehind: false, adopted: false }, undefined);
      r.record = { ...r.record, failure: { stage: 'requested', reason: 'internal', message: `orphan VM ${name} found by the reconciler (no journal record)` } };
      r.countsAsJob = false;
      ctx.runners.set(name, r);
      return r;
    },
  };

  // A previous life's journal: every record comes back; reconcile decides what happens to it.
  for (const entry of deps.journal.load()) {
    const r = newState(entry.record, undefined);
    r.runPid = entry.runPid;
    r.ip = entry.ip;
    if (entry.record.stage === 'gone') r.finishedAt = Date.parse(entry.record.timestamps.gone ?? '') || clock.now();
    ctx.runners.set(entry.record.name, r);
  }

  function pruneFinished(): void {
    const cutoff = clock.now() - timing.finishedRetentionMs;
    for (const [name, r] of ctx.runners) {
      if (r.record.stage === 'gone' && !r.task && (r.finishedAt ?? 0) < cutoff) {
        ctx.runners.delete(name);
        void deps.journal.remove(name);
      }
    }
  }

  async function refreshHostFacts(): Promise<void> {
    try {
      tartVersion = await deps.tart.version({ timeoutMs: 10_000 });
      const present = new Set((await deps.tart.listAll({ timeoutMs: 30_000 })).map((vm) => vm.name));
      presentImages = present;
    } catch (error: unknown) {
      log.warn({ error: errorMessage(error) }, 'could not read tart version or images');
    }
  }

  let reconciling: Promise<void> | undefined;
  function reconcileNow(): Promise<void> {
    reconciling ??= (async () => {
      try {
        await reconcile(ctx, actions, { allowAdopt: !shuttingDown });
        pruneFinished();
        await refreshHostFacts();
        ctx.countsChanged();
      } finally {
        reconciling = undefined;
      }
    })();
    return reconciling;
  }
  const ready = reconcileNow();
  const timer = setInterval(() => void reconcileNow(), config.reconcileIntervalMs);
  timer.unref();

  const liveTasks = (): Promise<void>[] => [...ctx.runners.values()].flatMap((r) => (r.task ? [r.task] : []));

  async function settle(tasks: Promise<void>[], ms: number): Promise<boolean> {
    let timeout: NodeJS.Timeout | undefined;
    const done = await Promise.race([Promise.allSettled(tasks).then(() => true), new Promise<boolean>((resolve) => (timeout = setTimeout(() => resolve(false), ms)))]);
    clearTimeout(timeout);
    return done;
  }

  return {
    ready,
    reconcileNow,

    reserveSlot() {
      if (draining || shuttingDown || slotCounts().free <= 0) return undefined;
      reserved += 1;
      ctx.countsChanged();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        reserved -= 1;
        ctx.countsChanged();
      };
    },

    start(request: StartRunnerRequest) {
      if (draining || shuttingDown) throw new StartRejectedError('draining', `host ${config.hostId} is draining and takes no new runners`);
      const pool = config.pools.find((p) => p.name === request.pool);
      if (!pool) throw new StartRejectedError('unknown_pool', `pool '${request.pool}' is not configured on host ${config.hostId}; configured: ${config.pools.map((p) => p.name).join(', ')}`);
      const parsed = parseVmName(request.name);
      if (parsed?.pool !== request.pool) {
        throw new StartRejectedError('unknown_pool', `runner name '${request.name}' must be tf-${request.pool}-<id> for pool '${request.pool}'`);
      }
      if (ctx.runners.has(request.name)) throw new StartRejectedError('conflict', `runner '${request.name}' already exists on host ${config.hostId} (names are single-use)`);
      const slots = slotCounts();
      if (slots.free <= 0) {
        throw new StartRejectedError(
          'no_slot',
          `no free VM slot on host ${config.hostId}: ${slots.busy} busy, ${slots.suspect} suspect of ${slots.total}`,
          timing.retryAfterSeconds,
        );
      }
      const now = clock.now();
      const record: RunnerRecord = {
        name: request.name,
        pool: request.pool,
        labels: [...request.labels],
        ...(request.jobId === undefined ? {} : { jobId: request.jobId }),
        stage: 'requested',
        timestamps: { requested: isoOf(now) },
        registrationLeftBehind: false,
        adopted: false,
      };
      const r = newState(record, request.jitConfig);
      ctx.runners.set(record.name, r);
      deps.observer.stageEntered(record.pool, 'requested', undefined, 0);
      ctx.persist(r);
      ctx.countsChanged();
      r.log.info({ labels: record.labels, jobId: record.jobId }, 'runner requested');
      const accepted = structuredClone(r.record);
      own(r, () => driveRunner(ctx, r));
      return accepted;
    },

    list() {
      return [...ctx.runners.values()].map((r) => structuredClone(r.record));
    },

    get(name) {
      const r = ctx.runners.get(name);
      return r ? structuredClone(r.record) : undefined;
    },

    async cancel(name) {
      const r = ctx.runners.get(name);
      if (!r) return false;
      if (r.record.stage === 'gone') return true;
      r.controller.abort(new Interrupt('canceled', `canceled by request while ${r.record.stage}`));
      if (!r.task) actions.teardown(r);
      await r.task;
      return true;
    },

    drain() {
      draining = true;
      log.info({}, 'draining: no new runners');
    },

    resume() {
      if (shuttingDown) return;
      draining = false;
      log.info({}, 'resumed: taking runners');
    },

    async hostInfo(): Promise<HostInfo> {
      const slots = slotCounts();
      return {
        id: config.hostId,
        version: deps.version,
        tartVersion,
        slots: { total: slots.total, busy: slots.busy, warm: 0, free: slots.free, suspect: slots.suspect },
        draining: draining || shuttingDown,
        pools: config.pools.map((p) => ({ name: p.name, image: imageOf(p), labels: [...p.labels], warm: p.warm })),
        // Each pool's current image, when present: a rollout's switch shows at once.
        images: [...new Set(config.pools.map(imageOf))].filter((image) => presentImages.has(image)),
      };
    },

    async shutdown(timeoutMs) {
      shuttingDown = true;
      draining = true;
      clearInterval(timer);
      await reconciling?.catch(() => undefined);
      // Runners without a job in progress are torn down now; running jobs get until the timeout.
      const noJobYet: ReadonlySet<RunnerStage> = new Set(['requested', 'cloning', 'booting', 'ssh-ready', 'registering', 'online']);
      for (const r of ctx.runners.values()) {
        if (r.task && noJobYet.has(r.record.stage)) r.controller.abort(new Interrupt('agent-shutdown', `agent shutting down while the runner was ${r.record.stage}`));
      }
      if (!(await settle(liveTasks(), timeoutMs))) {
        log.warn({ timeoutMs }, 'drain timeout: tearing down runners with jobs still running');
        for (const r of ctx.runners.values()) {
          if (r.task) r.controller.abort(new Interrupt('agent-shutdown', `agent shutting down after the drain timeout while the runner was ${r.record.stage}`));
        }
        await settle(liveTasks(), config.deadlines.teardownMs + 5_000);
      }
      await deps.journal.flush();
      log.info({}, 'lifecycle stopped');
    },
  };
}
