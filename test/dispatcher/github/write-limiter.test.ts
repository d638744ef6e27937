import { describe, expect, it } from 'vitest';
import { createConcurrencyLimiter, createRetryScheduler, createWriteLimiter } from '../../../dispatcher/src/github/write-limiter';

describe('write limiter', () => {
  it('lets a burst through, then holds to the per-minute rate', async () => {
    let t = 0;
    const waits: number[] = [];
    const limiter = createWriteLimiter({
      perMinute: 120,
      burst: 3,
      clock: {
        now: () => t,
        sleep: async (ms: number) => {
          waits.push(ms);
        },
      },
    });
    const starts: number[] = [];
    for (let i = 0; i < 8; i++) {
      await limiter.acquire();
      starts.push(t + (waits.length ? waits[waits.length - 1]! : 0));
      waits.length = 0;
    }
    // 120/min = one per 500 ms after three at once.
    expect(starts).toEqual([0, 0, 0, 500, 1000, 1500, 2000, 2500]);
    // Over any minute: never more than burst + rate.
    t = 60_000 * 10;
    waits.length = 0;
    for (let i = 0; i < 200; i++) await limiter.acquire();
    expect(Math.max(...waits)).toBeLessThanOrEqual(60_000 * (200 - 3) / 120 + 1);
  });

  it('acts as the Bottleneck group plugin-throttling expects', async () => {
    const limiter = createWriteLimiter({ perMinute: 6000, burst: 1 });
    const value = await limiter.key('x').schedule({ priority: 0 }, async (a: unknown) => `ran ${String(a)}`, 1);
    expect(value).toBe('ran 1');
    expect(await limiter.key('x').schedule(async () => 2)).toBe(2);
  });
});

describe('throttling plugin schedulers', () => {
  it('retries a failed request for as long as the failed handler returns a wait', async () => {
    const waits: number[] = [];
    const scheduler = createRetryScheduler({ sleep: async (ms: number) => void waits.push(ms) });
    let calls = 0;
    scheduler.on('failed', (_error, info) => (info.retryCount < 2 ? 1000 * (info.retryCount + 1) : undefined));
    await expect(
      scheduler.schedule(async (x: unknown) => {
        calls++;
        throw new Error(`rate limited ${String(x)}`);
      }, 'a'),
    ).rejects.toThrow('rate limited a');
    expect(calls).toBe(3);
    expect(waits).toEqual([1000, 2000]);
    expect(await scheduler.schedule(async (a: unknown, b: unknown) => `${String(a)}${String(b)}`, 1, 2)).toBe('12');
  });

  it('caps concurrency', async () => {
    const limiter = createConcurrencyLimiter(2).key();
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        limiter.schedule(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
  });
});
