/**
 * The RunnerService (host-agent/src/service.ts) over tart, SSH and the journal: slots, the
 * per-runner lifecycle tasks, the reconciler and shutdown. HTTP-free; the routes call it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { HostInfo, RunnerRecord } from '../../../core/agent-api/contract';
import { systemClock, type Timer } from '../../../core/clock';
import { WarmTargetError, type RunnerService } from '../service';
import { DEFAULT_TIMING, vmNameOf, type LifecycleContext, type RunnerServiceDeps, type RunnerState } from './context';
import { driveRunner } from './drive-runner';
import { reconcile } from './reconcile';
import { loadJournal, newRunnerState, own, pruneFinished, reconcileActions } from './runner-tasks';
import { shutdownRunners } from './shutdown';
import { createSlotBook, type SlotCounts } from './slots';
import { createDeleteQueue } from '../vm/delete-queue';
import { Interrupt } from '../vm/stage-failure';
import { createWarmPool, type WarmPool } from '../warm/warm-pool';
import { openWarmTargets } from '../warm/warm-targets';
import { createSpareClones, type SpareClones } from '../spare/spare-clones';
import { admit } from './admission';

export type { RunnerServiceDeps } from './context';

/** The service plus what the entrypoint and tests need beyond the HTTP seam. */
export interface LifecycleRunnerService extends RunnerService {
  /** Resolves when the start-up reconcile (journal vs `tart list`) has run. */
  readonly ready: Promise<void>;
  /** Runs a reconcile pass now. */
  reconcileNow(): Promise<void>;
  /** A pool's image was switched (rollout, rollback): warm VMs and spare clones of the old image go
   * now, not at the next beat, so a prune right after no longer sees them as users of it. */
  poolImageSwitched(): void;
  /** Takes one VM slot for a VM outside the runner lifecycle (an image smoke test); returns its
   * release, or undefined when no slot is free (or the host is draining). */
  reserveSlot(): (() => void) | undefined;
  /** VMs that are runners', warm or spare clones, with who uses each: their images must not be
   * pruned. */
  activeVms(): ReadonlyMap<string, string>;
  /** Slot counts now (what `GET /v1/host` reports as `slots`). */
  slotCounts(): SlotCounts;
}

const isoOf = (ms: number): string => new Date(ms).toISOString();
/** How often warm capacity looks at its targets, idle ages and refills (no tart call). */
const WARM_TICK_MS = 5_000;
/** Deletes that may wait for their turn; beyond, a teardown fails and the reconciler retries it. */
const MAX_WAITING_DELETES = 64;

/** Builds the lifecycle's shared context: stage moves, failures, the journal, counts. */
function createContext(deps: RunnerServiceDeps): LifecycleContext {
  const clock = deps.clock ?? systemClock;
  const config = deps.config;
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const logDir = path.join(config.stateDir, 'vm-logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const runners = new Map<string, RunnerState>();
  const ctx: LifecycleContext = {
    deps,
    config,
    clock,
    timing,
    log: deps.logger.child({ module: 'lifecycle' }),
    vm: { tart: deps.tart, shell: deps.shell, clock, config, sshPrivateKey: deps.sshPrivateKey, stopTimeoutSeconds: timing.stopTimeoutSeconds },
    runners,
    slots: createSlotBook({
      maxVms: config.maxVms,
      suspectTtlMs: timing.suspectTtlMs,
      clock,
      // Runners whose VM runs or is about to (cloning, waiting for an evicted warm VM's slot); a
      // stopped VM waiting for its delete holds none, unless it waits beyond the delete cap.
      busy: () => [...runners.values()].filter((r) => r.record.stage !== 'gone' && !r.vmStopped).length + ctx.deletes.waiting(),
      warm: () => ctx.warm.held(),
    }),
    // Set by createRunnerService right after: the warm pool and the spares work on this context.
    warm: undefined as unknown as WarmPool,
    spares: undefined as unknown as SpareClones,
    // As many deletes at once as VMs may run: deletes keep pace with the VMs that stop.
    deletes: createDeleteQueue({ concurrency: config.maxVms, maxWaiting: MAX_WAITING_DELETES, onWaitingShrunk: () => ctx.slotFreed() }),
    // Set by createRunnerService right after: it knows whether the host is draining.
    slotFreed: () => undefined,
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
        ctx.slots.markSuspect();
        ctx.log.error({ runner: r.record.name }, 'tart reported the VM limit while a slot looked free; slot marked suspect (a leaked VM slot? tart #1217)');
      }
      ctx.enter(r, 'failed');
    },
    persist(r) {
      void deps.journal.save({ record: r.record, runPid: r.runPid, ip: r.ip, ...(r.vmStopped ? { vmStopped: true } : {}) });
    },
    countsChanged() {
      const slots = ctx.slots.counts();
      deps.observer.vmsChanged([...runners.values()].filter((r) => r.record.stage !== 'gone').length, slots);
    },
    logFileOf: (name) => path.join(logDir, `${name}.log`),
  };
  return ctx;
}

/** Builds the service, loads the journal and starts reconciling (at once, then every interval). */
export function createRunnerService(deps: RunnerServiceDeps): LifecycleRunnerService {
  const ctx = createContext(deps);
  const { config, clock, log } = ctx;
  let draining = false;
  let shuttingDown = false;
  let tartVersion: string | null = null;
  /** Names `tart list` showed at the last reconcile (local VMs and OCI images). */
  let presentImages = new Set<string>();
  const imageOf = (p: (typeof config.pools)[number]): string => deps.poolImages?.currentOf(p) ?? p.image;
  const actions = reconcileActions(ctx);
  ctx.warm = createWarmPool({ ctx, targets: openWarmTargets({ stateDir: config.stateDir, clock, logger: log }), draining: () => draining || shuttingDown });
  ctx.spares = createSpareClones({ ctx, draining: () => draining || shuttingDown });
  /** Warm VMs and spare clones catch up with targets, images and drain state (no tart call). */
  const tickCapacity = (): void => {
    ctx.warm.tick();
    ctx.spares.tick();
  };
  ctx.slotFreed = () => {
    ctx.countsChanged();
    // Warm capacity first: the dispatcher hears of what is left after the refill.
    ctx.warm.tick();
    if (!draining && !shuttingDown) deps.slotFreed?.();
  };
  loadJournal(ctx);

  async function refreshHostFacts(): Promise<void> {
    try {
      tartVersion = await deps.tart.version({ timeoutMs: 10_000 });
      presentImages = new Set((await deps.tart.listAll({ timeoutMs: 30_000 })).map((vm) => vm.name));
    } catch (error: unknown) {
      log.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not read tart version or images');
    }
  }

  let reconciling: Promise<void> | undefined;
  function reconcileNow(): Promise<void> {
    reconciling ??= (async () => {
      try {
        await reconcile(ctx, actions, { allowAdopt: !shuttingDown });
        pruneFinished(ctx);
        tickCapacity();
        await refreshHostFacts();
        ctx.countsChanged();
      } finally {
        reconciling = undefined;
      }
    })();
    return reconciling;
  }
  const ready = reconcileNow();
  let timer: Timer | undefined;
  const schedule = (): void => {
    timer = clock.setTimer(config.reconcileIntervalMs, () => void reconcileNow().finally(() => !shuttingDown && schedule()), { unref: true });
  };
  schedule();
  // Warm capacity's own beat: override expiry, idle age and refills need no tart call; spares of
  // a switched image go and a failed spare clone is retried on it too.
  let warmTimer: Timer | undefined;
  const warmBeat = (): void => {
    warmTimer = clock.setTimer(WARM_TICK_MS, () => {
      tickCapacity();
      if (!shuttingDown) warmBeat();
    }, { unref: true });
  };
  void ready.then(() => !shuttingDown && (tickCapacity(), warmBeat()));

  return {
    ready,
    reconcileNow,

    activeVms: () =>
      new Map([
        ...ctx.warm.names().map((vm) => [vm, `warm VM ${vm}`] as const),
        ...ctx.spares.names().map((vm) => [vm, `spare clone ${vm}`] as const),
        // Last: a warm VM or spare a runner took is named by the runner.
        ...[...ctx.runners.values()].filter((r) => r.record.stage !== 'gone').map((r) => [vmNameOf(r), `runner ${r.record.name}`] as const),
      ]),

    slotCounts: () => ctx.slots.counts(),

    reserveSlot() {
      if (draining || shuttingDown) return undefined;
      const release = ctx.slots.reserve();
      if (!release) return undefined;
      ctx.countsChanged();
      return () => {
        release();
        ctx.countsChanged();
      };
    },

    start(request) {
      const handoff = admit(ctx, request, draining || shuttingDown);
      const record: RunnerRecord = {
        name: request.name,
        pool: request.pool,
        labels: [...request.labels],
        ...(request.jobId === undefined ? {} : { jobId: request.jobId }),
        stage: 'requested',
        timestamps: { requested: isoOf(clock.now()) },
        registrationLeftBehind: false,
        adopted: false,
        // A warm VM or a spare clone serves the runner under its own name (teardown deletes that one).
        ...(handoff.kind === 'warm' ? { vm: handoff.warm.name } : handoff.spare ? { vm: handoff.spare.name } : {}),
      };
      const r = newRunnerState(ctx, record);
      ctx.runners.set(record.name, r);
      deps.observer.stageEntered(record.pool, 'requested', undefined, 0);
      ctx.persist(r);
      ctx.countsChanged();
      r.log.info({ labels: record.labels, jobId: record.jobId }, 'runner requested');
      const accepted = structuredClone(r.record);
      own(ctx, r, () => driveRunner(ctx, r, request.jitConfig, handoff));
      return accepted;
    },

    list: () => [...ctx.runners.values()].map((r) => structuredClone(r.record)),

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
      log.info({}, 'draining: no new runners; warm VMs torn down, spare clones deleted');
      void ctx.warm.retireAll('the host is draining');
      void ctx.spares.retireAll('the host is draining');
    },

    poolImageSwitched: tickCapacity,

    resume() {
      if (shuttingDown) return;
      draining = false;
      log.info({}, 'resumed: taking runners');
      tickCapacity();
    },

    async setWarmTarget(name, count, untilMs, source = 'manual') {
      const pool = config.pools.find((p) => p.name === name);
      if (!pool) throw new WarmTargetError('pool', `pool must be one of ${config.pools.map((p) => p.name).join(', ')} (configured on host ${config.hostId}), got '${name}'`);
      if (count > config.maxVms) throw new WarmTargetError('count', `count must be at most ${config.maxVms} (the host's slots), got ${count}`);
      if (untilMs !== undefined && untilMs <= clock.now()) throw new WarmTargetError('until', `until must be in the future, got ${new Date(untilMs).toISOString()}`);
      return ctx.warm.setTarget(pool, count, untilMs, source);
    },

    async hostInfo(): Promise<HostInfo> {
      return {
        id: config.hostId,
        version: deps.version,
        tartVersion,
        slots: ctx.slots.counts(),
        draining: draining || shuttingDown,
        slotCallbacks: config.dispatcher !== undefined,
        pools: config.pools.map((p) => {
          const w = ctx.warm.stateOf(p);
          return { name: p.name, image: imageOf(p), labels: [...p.labels], warm: p.warm, warmTarget: w.target, ...(w.until ? { warmUntil: w.until } : {}), warmReady: w.ready, warmBooting: w.booting, spare: ctx.spares.ready(p.name) };
        }),
        // Each pool's current image, when present: a rollout's switch shows at once.
        images: [...new Set(config.pools.map(imageOf))].filter((image) => presentImages.has(image)),
      };
    },

    async shutdown(timeoutMs) {
      shuttingDown = true;
      draining = true;
      timer?.cancel();
      warmTimer?.cancel();
      await reconciling?.catch(() => undefined);
      await Promise.all([shutdownRunners(ctx, timeoutMs), ctx.warm.retireAll('the agent is shutting down'), ctx.spares.retireAll('the agent is shutting down')]);
      await deps.journal.flush();
      log.info({}, 'lifecycle stopped');
    },
  };
}
