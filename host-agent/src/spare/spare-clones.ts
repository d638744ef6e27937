/**
 * Spare clones (issue #16): per pool (`pools[].spareClones`, 0 to maxVms), stopped VMs already
 * cloned from the pool's current image and set up (CPU, memory, a fresh MAC), so a cold runner skips
 * `tart clone` and `tart set` and only boots one. Apple's 2-VM limit counts running VMs, so a stopped spare holds no slot; it
 * never boots on its own. A runner takes it at admission and the next one is cloned at once, in the
 * background, while that runner's job runs. One spare clone runs at a time (it competes with runners'
 * clones for the disk), none while the host drains or shuts down. A spare of an old image (rollout,
 * rollback) is deleted, and drain and shutdown delete them all. Spares are not journaled: a stopped
 * spare the reconciler finds that is not ours is one a previous life left, and is deleted (`reap`).
 */
import { randomBytes } from 'node:crypto';
import { withDeadline } from '../../../core/deadline';
import { errorMessage } from '../../../core/errors';
import { parseName, spareVmName } from '../../../core/names';
import type { PoolConfig } from '../config/schema';
import type { LifecycleContext } from '../lifecycle/context';
import { cloneVm, deleteVm } from '../vm/vm-session';

/** A stopped VM cloned from `image`, waiting for a runner of `pool`. */
export interface SpareVm {
  readonly name: string;
  readonly pool: string;
  readonly image: string;
}

export interface SpareClones {
  /** Takes the pool's oldest spare, synchronously (no other start can take it), when it was cloned
   * from `image`; spares of another image are deleted instead. Starts cloning the next one. */
  take(pool: PoolConfig, image: string): SpareVm | undefined;
  /** Whether the pool has a spare ready now (`GET /v1/host`). */
  ready(pool: string): boolean;
  /** Whether `vmName` is a spare this agent clones, keeps or deletes (not an orphan). */
  owns(vmName: string): boolean;
  /** Spares cloned or being cloned: pruning must keep their images. */
  names(): string[];
  /** Deletes a stopped spare a previous agent life left. */
  reap(vmName: string): void;
  /** Deletes spares of an old image, clones a missing one: cheap when nothing changes. */
  tick(): void;
  /** Stops cloning and deletes every spare (drain, shutdown); resolves when they are deleted. */
  retireAll(why: string): Promise<void>;
}

export interface SpareClonesDeps {
  ctx: LifecycleContext;
  /** No clones while draining or shutting down. */
  draining(): boolean;
}

/** Spare deletes tracked at once; beyond, a reaped spare waits for the reconciler's next pass. */
const MAX_DELETING = 16;

export function createSpareClones(deps: SpareClonesDeps): SpareClones {
  const { ctx } = deps;
  const { clock } = ctx;
  const log = ctx.log.child({ module: 'spare' });
  /** The ready spares per pool, oldest first: one key per configured pool at most, each list at most
   * the pool's `spareClones` long. */
  const ready = new Map<string, SpareVm[]>();
  const readyOf = (pool: string): SpareVm[] => ready.get(pool) ?? [];
  const allReady = (): SpareVm[] => [...ready.values()].flat();
  /** The one clone in progress. */
  let cloning: { vm: SpareVm; controller: AbortController; done: Promise<void> } | undefined;
  /** Spares being deleted: still ours, so the reconciler leaves them alone. */
  const deleting = new Map<string, Promise<void>>();
  /** Per pool (configured pools only): no clone before this time (after a failed one). */
  const backoffUntil = new Map<string, number>();
  const currentOf = (p: PoolConfig): string => ctx.deps.poolImages?.currentOf(p) ?? p.image;

  /** Deletes a spare in the bounded delete queue (it is stopped: no slot waits for it). */
  function remove(vm: SpareVm, why: string): void {
    if (deleting.has(vm.name) || deleting.size >= MAX_DELETING) return;
    log.info({ vm: vm.name, pool: vm.pool, why }, 'deleting a spare clone');
    const done = ctx.deletes
      .run(() => deleteVm(ctx.vm, { name: vm.name }))
      .catch((error: unknown) => log.warn({ vm: vm.name, err: errorMessage(error) }, 'could not delete a spare clone; the reconciler will'))
      .finally(() => deleting.delete(vm.name));
    deleting.set(vm.name, done);
  }

  /** Clones the spare of the first pool that lacks one, unless a clone already runs. */
  function replenish(): void {
    if (cloning || deps.draining()) return;
    const now = clock.now();
    const p = ctx.config.pools.find((x) => readyOf(x.name).length < x.spareClones && (backoffUntil.get(x.name) ?? 0) <= now);
    if (!p) return;
    const name = spareVmName(p.name, randomBytes(5).toString('hex'));
    // Recorded as cloned from this image, so pruning keeps it while the clone runs.
    const vm: SpareVm = { name, pool: p.name, image: ctx.deps.poolImages?.imageFor(p, name) ?? p.image };
    const controller = new AbortController();
    const started = clock.now();
    const { cloneMs } = ctx.config.deadlines;
    const done = (async () => {
      try {
        // Set up too (CPU, memory, a fresh MAC: it boots once): the runner that takes it only boots it.
        await withDeadline(clock, `clone of spare ${name}`, cloneMs, controller.signal, (signal) => cloneVm(ctx.deps.tart, { name, image: vm.image, cpu: p.cpu, memoryMb: p.memoryMb }, signal, cloneMs));
      } catch (error: unknown) {
        cloning = undefined;
        // A clone canceled by drain or shutdown is no failure; a real one must not retry in a loop.
        if (!controller.signal.aborted) {
          backoffUntil.set(p.name, clock.now() + ctx.config.warm.retryBackoffMs);
          log.warn({ vm: name, pool: p.name, err: errorMessage(error) }, 'a spare clone failed; the pool clones again after a back-off');
        }
        // A clone cut short may have left the VM behind.
        remove(vm, 'its clone did not complete');
        replenish();
        return;
      }
      cloning = undefined;
      if (controller.signal.aborted || deps.draining()) remove(vm, 'the host drains or shuts down');
      else if (vm.image !== currentOf(p)) remove(vm, `the pool's image is now ${currentOf(p)}`);
      else {
        ready.set(p.name, [...readyOf(p.name), vm]);
        log.info({ vm: name, pool: p.name, seconds: (clock.now() - started) / 1000 }, 'spare clone ready');
      }
      replenish();
    })();
    cloning = { vm, controller, done };
  }

  return {
    take(p, image) {
      const list = readyOf(p.name);
      if (list.length === 0) return undefined;
      for (const vm of list.filter((x) => x.image !== image)) remove(vm, `the pool's image is now ${image}`);
      const [vm, ...rest] = list.filter((x) => x.image === image);
      ready.set(p.name, rest);
      // The next runner's spare is cloned now, while this one boots and runs its job.
      replenish();
      return vm;
    },
    ready: (pool) => readyOf(pool).length > 0,
    owns: (vmName) => cloning?.vm.name === vmName || deleting.has(vmName) || allReady().some((vm) => vm.name === vmName),
    names: () => [...allReady(), ...(cloning ? [cloning.vm] : [])].map((vm) => vm.name),
    reap(vmName) {
      remove({ name: vmName, pool: parseName(vmName)?.pool ?? '', image: '' }, 'left by a previous agent life');
    },
    tick() {
      for (const p of ctx.config.pools) {
        const list = readyOf(p.name);
        const stale = list.filter((vm) => vm.image !== currentOf(p));
        if (stale.length === 0) continue;
        ready.set(p.name, list.filter((vm) => vm.image === currentOf(p)));
        for (const vm of stale) remove(vm, `the pool's image is now ${currentOf(p)}`);
      }
      replenish();
    },
    async retireAll(why) {
      const inFlight = cloning;
      inFlight?.controller.abort(new Error(why));
      const all = allReady();
      ready.clear();
      for (const vm of all) remove(vm, why);
      await inFlight?.done;
      await Promise.all(deleting.values());
    },
  };
}
