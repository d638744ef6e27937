import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger';
import { DispatcherError } from '../../dispatcher/src/errors';
import { startReconcileLoop } from '../../dispatcher/src/reconcile-loop';
import type { ReconcileReport } from '../../dispatcher/src/reconciler';
import { createFakeClock } from '../fakes/fake-clock';

const settings = { intervalMs: 30_000, busyIntervalMs: 2_000, webhookIntervalMs: 180_000, offlineGraceMs: 60_000, hostGraceMs: 30_000, idleGraceMs: 60_000 };
const quiet: ReconcileReport = { pools: {}, deleted: [], discrepancies: [], unreachableHosts: [], needsMore: false };

function loopWith(outcome: () => Promise<ReconcileReport>) {
  const clock = createFakeClock({ start: 0 });
  const passes: number[] = [];
  const loop = startReconcileLoop(
    {
      reconcile: () => {
        passes.push(clock.now());
        return outcome();
      },
    },
    settings,
    silentLogger,
    clock,
  );
  return { clock, passes, loop };
}

describe('reconcile loop', () => {
  it('passes every interval when no webhooks arrive, every webhookInterval while they do, and speeds up again when they stop', async () => {
    const { clock, passes, loop } = loopWith(async () => quiet);
    await clock.tick(90_000);
    expect(passes).toEqual([0, 30_000, 60_000, 90_000]);
    // Webhooks every 10 s from 90 s to 500 s.
    for (let t = 0; t < 410_000; t += 10_000) {
      loop.noteWebhook();
      await clock.tick(10_000);
    }
    expect(passes.filter((t) => t > 90_000 && t <= 500_000)).toEqual([270_000, 450_000]);
    // Last webhook at 490 s: the next pass one interval after it, then the regular pace.
    await clock.tick(100_000);
    expect(passes.filter((t) => t > 500_000)).toEqual([520_000, 550_000, 580_000]);
    await loop.stop();
  });

  it('a pass held back by the read budget waits a regular interval; a busy fleet still gets busy passes', async () => {
    let mode: 'budget' | 'busy' = 'budget';
    const { clock, passes, loop } = loopWith(async () => {
      if (mode === 'budget') throw new DispatcherError('github_read_budget', 'held back', true);
      return { ...quiet, needsMore: true };
    });
    await clock.tick(60_000);
    expect(passes).toEqual([0, 30_000, 60_000]);
    mode = 'busy';
    await clock.tick(30_000);
    loop.noteWebhook();
    await clock.tick(5_000);
    expect(passes.slice(3)).toEqual([90_000, 92_000, 94_000]);
    await loop.stop();
  });
});
