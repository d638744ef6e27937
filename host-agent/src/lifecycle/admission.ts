/**
 * Admission of a start request: refusals (draining, unknown pool, a name already used, no slot) and,
 * for an accepted one, how it gets its VM. A ready warm VM of the pool is claimed at once; without
 * one, a free slot means a cold start; with no free slot, a warm VM of another pool gives up its slot
 * (warm VMs never cause a 503), and the runner's `tart run` waits for that VM to stop. A cold start
 * takes the pool's spare clone when there is one of the current image, and skips `tart clone` and `tart set`.
 */
import { NO_SLOT_RETRY_AFTER_SECONDS, type StartRunnerRequest } from '../../../core/agent-api/contract';
import { nameBelongsTo } from '../../../core/names';
import { StartRejectedError } from '../service';
import type { LifecycleContext } from './context';
import type { Handoff } from './drive-runner';
import type { SpareVm } from '../spare/spare-clones';

export function admit(ctx: LifecycleContext, request: StartRunnerRequest, draining: boolean): Handoff {
  const { config } = ctx;
  if (draining) throw new StartRejectedError('draining', `host ${config.hostId} is draining and takes no new runners`);
  const pool = config.pools.find((p) => p.name === request.pool);
  if (!pool) {
    throw new StartRejectedError('unknown_pool', `pool '${request.pool}' is not configured on host ${config.hostId}; configured: ${config.pools.map((p) => p.name).join(', ')}`);
  }
  if (!nameBelongsTo(request.name, request.pool)) throw new StartRejectedError('unknown_pool', `runner name '${request.name}' must be tf-${request.pool}-<id> for pool '${request.pool}'`);
  if (ctx.runners.has(request.name)) throw new StartRejectedError('conflict', `runner '${request.name}' already exists on host ${config.hostId} (names are single-use)`);
  const warm = ctx.warm.claim(pool.name);
  if (warm) return { kind: 'warm', warm };
  if (ctx.warm.stateOf(pool).target > 0) ctx.deps.observer.warmHandoff(pool.name, 'miss');
  const slots = ctx.slots.counts();
  // Only once the runner is sure to start: a refused request must not use up the spare.
  const spare = (): { spare?: SpareVm } => {
    const vm = ctx.spares.take(pool, ctx.deps.poolImages?.currentOf(pool) ?? pool.image);
    return vm ? { spare: vm } : {};
  };
  if (slots.free > 0) return { kind: 'cold', ...spare() };
  const slotFreed = ctx.warm.evict(pool.name);
  if (slotFreed) {
    ctx.deps.observer.warmHandoff(pool.name, 'evicted');
    return { kind: 'cold-after', slotFreed, ...spare() };
  }
  throw new StartRejectedError('no_slot', `no free VM slot on host ${config.hostId}: ${slots.busy} busy, ${slots.suspect} suspect of ${slots.total}`, NO_SLOT_RETRY_AFTER_SECONDS);
}
