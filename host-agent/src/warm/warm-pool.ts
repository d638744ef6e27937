/**
 * Warm capacity with late binding: per pool, VMs cloned from the pool's current image, booted,
 * SSH-ready and health-checked, with no runner registration and no JIT config. A start request takes
 * one (`claim`) and hands it the JIT config at once; the pool is refilled in the background. Warm VMs
 * hold slots like any VM (the 2-VM macOS limit holds at every instant); a request for another pool
 * evicts the oldest one rather than being refused. They are recycled after an idle age or an image
 * switch, torn down on drain, and after a crash torn down (never adopted: a restarted agent could only
 * watch a `tart run` it did not start by polling, and a fresh warm VM costs one boot).
 */
import { randomBytes } from 'node:crypto';
import type { WarmState } from '../../../core/agent-api/contract';
import { withDeadline } from '../../../core/deadline';
import { errorMessage } from '../../../core/errors';
import { warmVmName } from '../../../core/names';
import { tartDirArgs } from '../cache/host-dirs';
import type { PoolConfig } from '../config/schema';
import type { JournalEntry } from '../journal/journal';
import type { LifecycleContext } from '../lifecycle/context';
import type { TartRunHandle } from '../tart/tart-cli';
import { bootVm, deleteVm, stopVm, type BootedVm } from '../vm/vm-session';
import type { WarmTargets } from './warm-targets';

/** One warm VM while the pool owns it. */
export interface WarmVm {
  readonly name: string;
  readonly pool: PoolConfig;
  readonly image: string;
  state: 'booting' | 'ready';
  /** When it started booting, then when it became ready (idle age counts from there). */
  since: number;
  readonly controller: AbortController;
  run?: TartRunHandle;
  vm?: BootedVm;
}

export interface WarmPool {
  /** Warm VMs holding a slot: booting, ready, and those still stopping (not those being deleted). */
  held(): number;
  stateOf(pool: PoolConfig): WarmState;
  setTarget(pool: PoolConfig, count: number, untilMs: number | undefined, source?: 'manual' | 'auto'): Promise<WarmState>;
  /** Takes a ready warm VM of `pool` out of the pool, synchronously (no other start can take it). */
  claim(pool: string): WarmVm | undefined;
  /** Is a claimed warm VM still alive (a quick command over its SSH session)? */
  alive(w: WarmVm): Promise<boolean>;
  /** Tears down a claimed warm VM that failed its probe; resolves once it no longer runs. */
  discard(w: WarmVm, why: string): Promise<void>;
  /** Retires the oldest warm VM of another pool (else a booting one of this pool) so a runner can have
   * its slot; resolves once that VM no longer runs. Undefined when there is none. */
  evict(pool: string): Promise<void> | undefined;
  /** Whether `vmName` is a warm VM this pool owns (or is still stopping or being deleted). */
  owns(vmName: string): boolean;
  /** Names of warm VMs (booting or ready): pruning must keep their images. */
  names(): string[];
  /** Tears down warm VMs a previous agent life left (from the journal). */
  reap(entries: readonly JournalEntry[]): void;
  /** Expires overrides, recycles idle or stale VMs, trims excess, refills: cheap when nothing changes. */
  tick(): void;
  /** Tears every warm VM down (drain, shutdown); resolves when all are deleted. */
  retireAll(why: string): Promise<void>;
}

export interface WarmPoolDeps {
  ctx: LifecycleContext;
  targets: WarmTargets;
  /** No refills while draining or shutting down. */
  draining(): boolean;
}

export function createWarmPool(deps: WarmPoolDeps): WarmPool {
  const { ctx, targets } = deps;
  const { clock } = ctx;
  const log = ctx.log.child({ module: 'warm' });
  const vms = new Map<string, WarmVm>();
  /** Warm VMs being stopped: they still run, so they still hold their slots. */
  const stopping = new Map<string, Promise<void>>();
  /** Stopped warm VMs waiting for (or in) their delete: no slot, but still ours (not orphans). */
  const deleting = new Map<string, Promise<void>>();
  /** Per pool: no refill before this time (after a failed boot). */
  const backoffUntil = new Map<string, number>();

  const inPool = (pool: string) => [...vms.values()].filter((w) => w.pool.name === pool);
  const report = (): void => {
    for (const p of ctx.config.pools) {
      const mine = inPool(p.name);
      ctx.deps.observer.warmChanged(p.name, mine.filter((w) => w.state === 'ready').length, mine.filter((w) => w.state === 'booting').length);
    }
    ctx.countsChanged();
  };
  const journal = (w: WarmVm, stage: 'booting' | 'ssh-ready'): void => {
    const record = { name: w.name, pool: w.pool.name, labels: [], stage, timestamps: { [stage]: new Date(clock.now()).toISOString() }, registrationLeftBehind: false, adopted: false };
    void ctx.deps.journal.save({ record, ...(w.run?.pid === undefined ? {} : { runPid: w.run.pid }), warm: { image: w.image } });
  };

  /** Deletes a stopped warm VM in the bounded delete queue; its journal entry goes after. */
  function remove(w: WarmVm, missing: boolean): void {
    const vm = { name: w.name, logFile: ctx.logFileOf(w.name) };
    const done = (missing ? deleteVm(ctx.vm, vm, { missing }) : ctx.deletes.run(() => deleteVm(ctx.vm, vm)))
      .then(() => void ctx.deps.journal.remove(w.name))
      .catch((error: unknown) => log.warn({ vm: w.name, err: errorMessage(error) }, 'could not delete a warm VM; the reconciler will'))
      .finally(() => deleting.delete(w.name));
    deleting.set(w.name, done);
  }

  /** Removes `w` from the pool and stops its VM, then deletes it in the background. Resolves once the
   * VM no longer runs: that is when its slot is free (a runner waiting for it may start its VM). */
  function retire(w: WarmVm, why: string): Promise<void> {
    const existing = stopping.get(w.name);
    if (existing) return existing;
    if (deleting.has(w.name)) return Promise.resolve();
    vms.delete(w.name);
    if (!w.controller.signal.aborted) w.controller.abort(new Error(why));
    w.vm?.session.close();
    log.info({ vm: w.name, pool: w.pool.name, why }, 'retiring a warm VM');
    const stopped = stopVm(ctx.vm, { name: w.name, run: w.run })
      .then(
        (result) => remove(w, result === 'missing'),
        // Its slot is released anyway: the reconciler finds the VM without an owner and reaps it,
        // counting it as busy while `tart list` shows it running.
        (error: unknown) => log.warn({ vm: w.name, err: errorMessage(error) }, 'could not stop a warm VM; the reconciler will'),
      )
      .finally(() => {
        stopping.delete(w.name);
        report();
        ctx.slotFreed();
      });
    stopping.set(w.name, stopped);
    report();
    return stopped;
  }

  function boot(p: PoolConfig): void {
    const name = warmVmName(p.name, randomBytes(5).toString('hex'));
    const image = ctx.deps.poolImages?.imageFor(p, name) ?? p.image;
    const bootStarted = clock.now();
    const w: WarmVm = { name, pool: p, image, state: 'booting', since: bootStarted, controller: new AbortController() };
    vms.set(name, w);
    journal(w, 'booting');
    report();
    const spec = { name, image, cpu: p.cpu, memoryMb: p.memoryMb, runArgs: tartDirArgs(p.dirs), logFile: ctx.logFileOf(name) };
    void (async () => {
      try {
        const vm = await bootVm(ctx.vm, spec, w.controller.signal, { started: (run) => (w.run = run) });
        w.vm = vm;
        if (!(await pool.alive(w))) throw new Error('the health check over SSH failed');
        if (vms.get(name) !== w) return;
        w.state = 'ready';
        w.since = clock.now();
        journal(w, 'ssh-ready');
        // A warm VM that dies while waiting is replaced, not handed to a job.
        vm.stopped.addEventListener('abort', () => vms.get(name) === w && void retire(w, 'the warm VM stopped'), { once: true });
        log.info({ vm: name, pool: p.name, seconds: (w.since - bootStarted) / 1000 }, 'warm VM ready');
        report();
      } catch (error: unknown) {
        if (vms.get(name) !== w) return;
        backoffUntil.set(p.name, clock.now() + ctx.config.warm.retryBackoffMs);
        log.warn({ vm: name, pool: p.name, err: errorMessage(error) }, 'a warm VM failed to boot; the pool refills after a back-off');
        void retire(w, 'boot failed');
      }
    })();
  }

  function fill(): void {
    if (deps.draining()) return;
    for (const p of ctx.config.pools) {
      if ((backoffUntil.get(p.name) ?? 0) > clock.now()) continue;
      for (let have = inPool(p.name).length; have < targets.of(p).target; have++) {
        if (ctx.slots.counts().free <= 0) return;
        boot(p);
      }
    }
  }

  /** Oldest first: the one that has waited (or idled) longest goes first. */
  const oldest = (list: WarmVm[]): WarmVm | undefined => [...list].sort((a, b) => a.since - b.since)[0];

  const pool: WarmPool = {
    held: () => vms.size + stopping.size,
    stateOf(p) {
      const t = targets.of(p);
      const mine = inPool(p.name);
      return { pool: p.name, baseline: t.baseline, target: t.target, ...(t.auto === undefined ? {} : { auto: t.auto }), ...(t.until ? { until: t.until } : {}), ready: mine.filter((w) => w.state === 'ready').length, booting: mine.filter((w) => w.state === 'booting').length };
    },
    async setTarget(p, count, untilMs, source = 'manual') {
      await targets.set(p, count, untilMs, source);
      log.info({ pool: p.name, count, source, until: untilMs === undefined ? undefined : new Date(untilMs).toISOString() }, 'warm target set');
      pool.tick();
      return pool.stateOf(p);
    },
    claim(name) {
      const w = oldest(inPool(name).filter((v) => v.state === 'ready'));
      if (!w) return undefined;
      vms.delete(w.name);
      report();
      return w;
    },
    async alive(w) {
      const vm = w.vm;
      if (!vm || vm.stopped.aborted) return false;
      try {
        const r = await withDeadline(clock, `liveness probe of ${w.name}`, ctx.config.warm.probeTimeoutMs, vm.stopped, (signal) => vm.session.exec('true', { signal }));
        return r.exitCode === 0;
      } catch {
        return false;
      }
    },
    discard: (w, why) => retire(w, why),
    evict(name) {
      const victim = oldest([...vms.values()].filter((w) => w.pool.name !== name)) ?? oldest(inPool(name).filter((w) => w.state === 'booting'));
      return victim ? retire(victim, `evicted for a runner of pool '${name}'`) : undefined;
    },
    owns: (vmName) => vms.has(vmName) || stopping.has(vmName) || deleting.has(vmName),
    names: () => [...vms.keys()],
    reap(entries) {
      for (const e of entries) {
        const p = ctx.config.pools.find((x) => x.name === e.record.pool);
        if (!p) continue;
        const w: WarmVm = { name: e.record.name, pool: p, image: e.warm?.image ?? p.image, state: 'booting', since: clock.now(), controller: new AbortController() };
        vms.set(w.name, w);
        void retire(w, 'left by a previous agent life');
      }
    },
    tick() {
      void targets
        .expire()
        .then((changed) => changed && pool.tick())
        .catch((error: unknown) => log.warn({ err: errorMessage(error) }, 'could not save the expiry of a warm override; the next save writes it'));
      const now = clock.now();
      for (const w of [...vms.values()]) {
        const current = ctx.deps.poolImages?.currentOf(w.pool) ?? w.pool.image;
        if (w.image !== current) void retire(w, `the pool's image is now ${current}`);
        else if (w.state === 'ready' && now - w.since >= ctx.config.warm.maxIdleMs) void retire(w, 'idle past warm.maxIdleMs');
      }
      for (const p of ctx.config.pools) {
        const excess = inPool(p.name).length - targets.of(p).target;
        for (let i = 0; i < excess; i++) {
          const w = oldest(inPool(p.name).filter((v) => v.state === 'booting')) ?? oldest(inPool(p.name));
          if (w) void retire(w, 'above the warm target');
        }
      }
      fill();
    },
    async retireAll(why) {
      await Promise.all([...[...vms.values()].map((w) => retire(w, why)), ...stopping.values()]);
      // Drain and shutdown wait for the deletes too (stops done above have queued theirs).
      await Promise.all(deleting.values());
    },
  };
  return pool;
}
