import { describe, expect, it } from 'vitest';
import { createReadBudget } from '../../../dispatcher/src/github/read-budget';
import { createInstrumentedFetch, endpointOf } from '../../../dispatcher/src/github/instrumented-fetch';
import { createFakeClock } from '../../fakes/fake-clock';

describe('read budget', () => {
  it('lets reads take at most the configured share of what is left, and starts again in a new window', () => {
    const clock = createFakeClock({ start: 1_000_000_000_000 });
    const budget = createReadBudget({ share: 0.5, clock });
    expect(budget.allows()).toBe(true); // nothing known yet: the first answer tells
    const reset = 1_000_000_000 + 3600;
    let remaining = 10;
    budget.observe(remaining, reset);
    let reads = 0;
    while (budget.allows()) {
      budget.spent();
      budget.observe(--remaining, reset);
      reads++;
    }
    // 5 reads of the 10 that were left.
    expect(reads).toBe(5);
    expect(() => budget.assertRead('GET /orgs/{org}/actions/runners')).toThrow(/GET \/orgs\/\{org\}\/actions\/runners held back: reads have used 5 .* 5 requests remain; reads may take at most 50 % \(resets in 3600 s\)/);
    // Writes spent the rest: still no reads.
    budget.observe(1, reset);
    expect(budget.allows()).toBe(false);
    // A new window.
    budget.observe(5000, reset + 3600);
    expect(budget.allows()).toBe(true);
  });

  it('refuses a share outside (0, 1]', () => {
    expect(() => createReadBudget({ share: 0, clock: createFakeClock() })).toThrow(/share must be in \(0, 1\], got 0/);
  });
});

describe('instrumented fetch', () => {
  it('names endpoints by route template, whatever the ids and names', () => {
    expect(endpointOf('get', 'https://api.github.com/repos/acme/app/actions/runs/42/jobs?page=2')).toBe('GET /repos/{owner}/{repo}/actions/runs/{id}/jobs');
    expect(endpointOf('POST', 'https://ghes.example/api/v3/orgs/acme/actions/runners/generate-jitconfig')).toBe('POST /orgs/{org}/actions/runners/generate-jitconfig');
    expect(endpointOf('DELETE', 'http://127.0.0.1:9/orgs/acme/actions/runners/7')).toBe('DELETE /orgs/{org}/actions/runners/{id}');
  });

  it('gives every request a deadline, body included; a 304 spends nothing of the read budget', async () => {
    const clock = createFakeClock({ start: 1_000_000_000_000 });
    const budget = createReadBudget({ share: 0.5, clock });
    const headers = { 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': String(1_000_000_000 + 60) };
    let answer: 'hang' | 200 | 304 = 200;
    const f = createInstrumentedFetch({
      fetch: (_input, init) =>
        answer === 'hang'
          ? new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)))
          : Promise.resolve(new Response(answer === 200 ? '{}' : null, { status: answer, headers })),
      clock,
      timeoutMs: 10_000,
      budget,
      onRateLimit: () => {},
    });
    await f('http://gh/orgs/acme/actions/runners');
    answer = 304;
    await f('http://gh/orgs/acme/actions/runners');
    await f('http://gh/orgs/acme/actions/runners');
    // One counted read of the 4 left: a second is still within half.
    expect(budget.allows()).toBe(true);
    answer = 'hang';
    const hung = f('http://gh/orgs/acme/actions/runners/9', { method: 'DELETE' });
    await expect(clock.settle(hung)).rejects.toThrow(/GitHub DELETE \/orgs\/\{org\}\/actions\/runners\/\{id\}.*10000 ms/);
    // A body that stalls after the headers is under the same deadline.
    let stalled: ReadableStreamDefaultController<Uint8Array> | undefined;
    const slowFetch = createInstrumentedFetch({
      fetch: () => Promise.resolve(new Response(new ReadableStream<Uint8Array>({ start: (c) => { stalled = c; c.enqueue(new TextEncoder().encode('{"runn')); } }), { status: 200, headers })),
      clock,
      timeoutMs: 10_000,
      budget,
      onRateLimit: () => {},
    });
    await expect(clock.settle(slowFetch('http://gh/orgs/acme/actions/runners'))).rejects.toThrow(/10000 ms/);
    stalled?.close();
  });
});
