import { describe, expect, it } from 'vitest';
import { createPlacer, type PlacementAgent } from '../../dispatcher/src/placement';
import { createFakeAgent } from '../fakes/fake-agent';
import { createFakeClock } from '../fakes/fake-clock';

function setup(agents: ReturnType<typeof createFakeAgent>[], random = () => 0.5, timeoutMs = 200) {
  const clock = createFakeClock();
  const map = new Map<string, PlacementAgent>(agents.map((a) => [a.client.baseUrl, a.client]));
  const placer = createPlacer({ agents: map, poolHosts: new Map([['macos', agents.map((a) => a.client.baseUrl)]]), clock, random, cacheMs: 1000, timeoutMs });
  return { placer, clock };
}

const req = (n: number) => ({ name: `tf-macos-j${n}a0`, pool: 'macos', labels: ['self-hosted', 'macos'], jitConfig: 'aGVsbG8=', jobId: n });

describe('placement', () => {
  it('chooses the host with the most free slots', async () => {
    const a = createFakeAgent('http://127.0.0.1:1', { total: 1 });
    const b = createFakeAgent('http://127.0.0.1:2', { total: 2 });
    const { placer } = setup([a, b]);
    const r = await placer.place(req(1));
    expect(r).toMatchObject({ placed: true, host: 'http://127.0.0.1:2' });
  });

  it('spreads a burst across hosts within one cache period and stops at capacity', async () => {
    const a = createFakeAgent('http://127.0.0.1:1');
    const b = createFakeAgent('http://127.0.0.1:2');
    const { placer } = setup([a, b]);
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => placer.place(req(n))));
    expect(results.filter((r) => r.placed)).toHaveLength(4);
    expect(a.started).toHaveLength(2);
    expect(b.started).toHaveLength(2);
    expect(results.filter((r) => !r.placed)[0]).toMatchObject({ placed: false, reason: 'no_capacity' });
    // GET /v1/host was asked once per host for the whole burst (cache).
    expect(a.hostCalls()).toBe(1);
  });

  it('prefers a host with a ready warm VM of the pool, then the most room (warm VMs of other pools give way)', async () => {
    const roomy = createFakeAgent('http://127.0.0.1:1', { total: 2 });
    const warm = createFakeAgent('http://127.0.0.1:2', { total: 2, warm: { macos: 1 } });
    const otherWarm = createFakeAgent('http://127.0.0.1:3', { total: 2, warm: { linux: 2 } });
    const { placer } = setup([roomy, warm, otherWarm]);
    expect(await placer.place(req(1))).toMatchObject({ placed: true, host: 'http://127.0.0.1:2' });
    // The warm VM is spoken for; the next runner goes to the host with the most room.
    expect(await placer.freeSlots('macos')).toBe(2 + 1 + 2);
    expect((await placer.place(req(2))).placed).toBe(true);
    expect(warm.started).toHaveLength(1);
  });

  it('breaks ties at random', async () => {
    const hostsChosen = new Set<string>();
    for (const seed of [0.1, 0.9]) {
      let i = 0;
      const a = createFakeAgent('http://127.0.0.1:1');
      const b = createFakeAgent('http://127.0.0.1:2');
      // a gets `seed`, b gets 1-seed: the lower draw wins the tie.
      const { placer } = setup([a, b], () => (i++ % 2 === 0 ? seed : 1 - seed));
      const r = await placer.place(req(1));
      if (r.placed) hostsChosen.add(r.host);
    }
    expect(hostsChosen.size).toBe(2);
  });

  it('skips a host that answers 503 and uses the next', async () => {
    const full = createFakeAgent('http://127.0.0.1:1', { total: 2, mode: 'no_slot' });
    const ok = createFakeAgent('http://127.0.0.1:2', { total: 1 });
    const { placer } = setup([full, ok]);
    const r = await placer.place(req(1));
    expect(r).toMatchObject({ placed: true, host: 'http://127.0.0.1:2' });
    expect(ok.started.map((s) => s.name)).toEqual(['tf-macos-j1a0']);
  });

  it('skips hosts that time out, are down or draining', async () => {
    const hang = createFakeAgent('http://127.0.0.1:1', { mode: 'hang' });
    const down = createFakeAgent('http://127.0.0.1:2', { mode: 'down' });
    const draining = createFakeAgent('http://127.0.0.1:3', { draining: true });
    const ok = createFakeAgent('http://127.0.0.1:4', { total: 1 });
    const { placer, clock } = setup([hang, down, draining, ok], Math.random, 100);
    const t0 = clock.now();
    const r = await clock.settle(placer.place(req(1)));
    expect(r).toMatchObject({ placed: true, host: 'http://127.0.0.1:4' });
    // The hanging host costs its timeout, no more.
    expect(clock.now() - t0).toBeLessThanOrEqual(100);
    expect(await placer.freeSlots('macos')).toBe(0);
  });

  it('reports no capacity when no host has room', async () => {
    const a = createFakeAgent('http://127.0.0.1:1', { mode: 'down' });
    const { placer } = setup([a]);
    expect(await placer.place(req(1))).toMatchObject({ placed: false, reason: 'no_capacity' });
  });

  it('asks again after the cache period', async () => {
    const a = createFakeAgent('http://127.0.0.1:1', { total: 1 });
    const { placer, clock } = setup([a]);
    await placer.place(req(1));
    expect(await placer.freeSlots('macos')).toBe(0);
    a.records.get('tf-macos-j1a0')!.stage = 'gone';
    clock.advance(1500);
    expect(await placer.freeSlots('macos')).toBe(1);
  });

  it('keeps a slot held while its runner is minted, even when the host is asked again meanwhile', async () => {
    const a = createFakeAgent('http://127.0.0.1:1', { total: 1 });
    const { placer, clock } = setup([a]);
    expect(await placer.reserve('macos')).toBe('http://127.0.0.1:1');
    // The host still says 1 free (nothing was posted yet); the hold must survive its fresh answer.
    clock.advance(1500);
    expect(await placer.reserve('macos')).toBeUndefined();
    expect(await placer.freeSlots('macos')).toBe(0);
    expect(a.hostCalls()).toBe(2);
    // A hold given back frees the slot again.
    placer.release('http://127.0.0.1:1');
    expect(await placer.freeSlots('macos')).toBe(1);
    const host = await placer.reserve('macos');
    expect(await placer.place(req(1), host)).toMatchObject({ placed: true, host: 'http://127.0.0.1:1' });
    // Accepted: the cached answer (asked before the POST) is debited, and no hold is left.
    expect(await placer.freeSlots('macos')).toBe(0);
    clock.advance(1500);
    expect(await placer.freeSlots('macos')).toBe(0);
    a.records.get('tf-macos-j1a0')!.stage = 'gone';
    clock.advance(1500);
    expect(await placer.freeSlots('macos')).toBe(1);
  });

  it('says a pool is called back only when every reachable host of it reports freed slots', async () => {
    const yes = createFakeAgent('http://127.0.0.1:1', { slotCallbacks: true });
    const no = createFakeAgent('http://127.0.0.1:2', { slotCallbacks: false });
    const down = createFakeAgent('http://127.0.0.1:3', { mode: 'down' });
    expect(await setup([yes, down]).placer.callsBack('macos')).toBe(true);
    expect(await setup([yes, no]).placer.callsBack('macos')).toBe(false);
    expect(await setup([down]).placer.callsBack('macos')).toBe(false);
  });
});
