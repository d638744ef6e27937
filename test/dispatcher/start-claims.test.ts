import { describe, expect, it } from 'vitest';
import { claimStarts } from '../../dispatcher/src/start-claims';
import type { StartRunnerInput, StartRunnerResult } from '../../dispatcher/src/start-runner';
import { createFakeClock } from '../fakes/fake-clock';

const pool = { name: 'macos', labels: ['macos'] };

/** A starter whose starts finish when the test says so, recording what it was asked. */
function gated(outcome: StartRunnerResult['outcome'] = 'started') {
  const asked: StartRunnerInput[] = [];
  const open: (() => void)[] = [];
  const start = (input: StartRunnerInput) => {
    asked.push(input);
    return new Promise<StartRunnerResult>((resolve) => open.push(() => resolve({ outcome, name: `tf-macos-j${input.jobId}a${input.attempt}` })));
  };
  return { asked, start, finishAll: () => open.splice(0).forEach((f) => f()) };
}

describe('one start per job at a time', () => {
  it('answers duplicate, without starting, for a job whose start is in flight or just succeeded', async () => {
    const clock = createFakeClock();
    const inner = gated();
    const start = claimStarts(inner.start, { clock, ttlMs: 60_000 });
    const first = start({ pool, jobId: 5, attempt: 0, via: 'demand' });
    const second = await start({ pool, jobId: 5, attempt: 0, via: 'reconciler' });
    expect(second).toMatchObject({ outcome: 'duplicate' });
    expect(second.message).toMatch(/job 5/);
    inner.finishAll();
    expect((await first).outcome).toBe('started');
    clock.advance(59_000);
    expect((await start({ pool, jobId: 5, attempt: 0, via: 'reconciler' })).outcome).toBe('duplicate');
    expect(inner.asked).toHaveLength(1);
    // Past the claim's life the job may be started again (a pass that still sees it queued).
    clock.advance(2_000);
    const third = start({ pool, jobId: 5, attempt: 0, via: 'reconciler' });
    inner.finishAll();
    expect((await third).outcome).toBe('started');
    expect(inner.asked).toHaveLength(2);
  });

  it('lets a later attempt through: the earlier runner was spent', async () => {
    const clock = createFakeClock();
    const inner = gated();
    const start = claimStarts(inner.start, { clock });
    const first = start({ pool, jobId: 6, attempt: 0, via: 'webhook' });
    inner.finishAll();
    await first;
    const next = start({ pool, jobId: 6, attempt: 1, via: 'demand' });
    inner.finishAll();
    expect((await next).outcome).toBe('started');
    expect(inner.asked.map((i) => i.attempt)).toEqual([0, 1]);
  });

  it('forgets a start that placed nothing, so the job can be started again at once', async () => {
    const clock = createFakeClock();
    const inner = gated('no_capacity');
    const start = claimStarts(inner.start, { clock });
    const first = start({ pool, jobId: 7, attempt: 0, via: 'webhook' });
    inner.finishAll();
    expect((await first).outcome).toBe('no_capacity');
    const again = start({ pool, jobId: 7, attempt: 0, via: 'demand' });
    inner.finishAll();
    await again;
    expect(inner.asked).toHaveLength(2);
  });

  it('keeps at most maxEntries claims, the oldest going first', async () => {
    const clock = createFakeClock();
    const inner = gated();
    const start = claimStarts(inner.start, { clock, maxEntries: 2 });
    const runs = [1, 2, 3].map((jobId) => start({ pool, jobId, attempt: 0, via: 'webhook' }));
    inner.finishAll();
    await Promise.all(runs);
    // Job 1's claim was evicted; 3's is still held.
    expect((await start({ pool, jobId: 3, attempt: 0, via: 'reconciler' })).outcome).toBe('duplicate');
    const again = start({ pool, jobId: 1, attempt: 0, via: 'reconciler' });
    inner.finishAll();
    expect((await again).outcome).toBe('started');
  });
});
