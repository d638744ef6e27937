import { describe, expect, it } from 'vitest';
import { DeadlineError } from '../../core/deadline';
import { retry } from '../../core/retry';
import { createFakeClock } from '../fakes/fake-clock';

describe('retry', () => {
  it('retries with capped exponential full jitter until success', async () => {
    const clock = createFakeClock({ autoAdvance: true });
    const delays: number[] = [];
    let n = 0;
    const result = await retry(
      { what: 'thing', clock, maxAttempts: 10, deadlineMs: 60_000, baseDelayMs: 100, maxDelayMs: 400, random: () => 0.999, onRetry: (_e, _a, d) => delays.push(d) },
      async () => {
        n += 1;
        if (n < 5) throw new Error(`no ${n}`);
        return 'ok';
      },
    );
    expect(result).toBe('ok');
    expect(delays).toEqual([100, 200, 400, 400]);
  });

  it('stops at the deadline with an error naming the thing and the last failure', async () => {
    const clock = createFakeClock({ autoAdvance: true });
    const error = await retry({ what: 'SSH connect to x', clock, maxAttempts: 1_000, deadlineMs: 1_000, baseDelayMs: 300, maxDelayMs: 300, random: () => 1 }, async () => {
      throw new Error('ECONNREFUSED');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect(String(error)).toMatch(/SSH connect to x did not finish within 1000 ms: ECONNREFUSED/);
  });

  it('rethrows permanent errors and the last error when attempts run out', async () => {
    const clock = createFakeClock({ autoAdvance: true });
    let calls = 0;
    await expect(
      retry({ what: 't', clock, maxAttempts: 5, deadlineMs: 10_000, baseDelayMs: 1, maxDelayMs: 1, retryable: () => false }, async () => {
        calls += 1;
        throw new Error('auth');
      }),
    ).rejects.toThrow('auth');
    expect(calls).toBe(1);
    await expect(retry({ what: 't', clock, maxAttempts: 2, deadlineMs: 10_000, baseDelayMs: 1, maxDelayMs: 1 }, async () => Promise.reject(new Error('last')))).rejects.toThrow('last');
  });
});
