import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger';
import { forgetPlacedJobs } from '../../../dispatcher/src/demand/forget-placed';
import { createMemoryDemand } from '../../../dispatcher/src/demand/memory-demand';
import { createRefill } from '../../../dispatcher/src/demand/refill';
import { trackDemand } from '../../../dispatcher/src/demand/tracked-demand';
import { noopMetrics } from '../../../dispatcher/src/metrics';
import { createPlacer } from '../../../dispatcher/src/placement';
import { createReconciler } from '../../../dispatcher/src/reconciler';
import { createRunnerStarter } from '../../../dispatcher/src/start-runner';
import { createFakeAgent } from '../../fakes/fake-agent';
import { createFakeClock } from '../../fakes/fake-clock';
import { createFakeGitHubApi } from '../../fakes/fake-github-api';

const pools = [{ name: 'macos', labels: ['macos'], image: 'img', hosts: [], warm: { mode: 'fixed' as const, min: 0, max: 0 } }];
const settings = { intervalMs: 30_000, busyIntervalMs: 2_000, webhookIntervalMs: 180_000, offlineGraceMs: 60_000, hostGraceMs: 30_000, idleGraceMs: 120_000 };

describe('the reconcile pass and pending demand', () => {
  it('leaves the queued jobs it could not place in pending demand, and a freed slot takes them without another listing', async () => {
    const gh = createFakeGitHubApi();
    let listings = 0;
    for (const name of ['listQueuedJobs', 'listRunners'] as const) {
      const list = gh.api[name].bind(gh.api) as () => Promise<never>;
      (gh.api as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        listings += 1;
        return (list as (...a: unknown[]) => Promise<never>)(...args);
      };
    }
    const agent = createFakeAgent('http://127.0.0.1:1', { total: 1 });
    const clock = createFakeClock({ autoAdvance: true });
    const agents = new Map([[agent.client.baseUrl, agent.client]]);
    const placer = createPlacer({ agents, poolHosts: new Map([['macos', [agent.client.baseUrl]]]), clock, cacheMs: 0, timeoutMs: 200 });
    const store = createMemoryDemand();
    const demand = trackDemand(store, { metrics: noopMetrics, pools, logger: silentLogger });
    const startRunner = forgetPlacedJobs(demand, createRunnerStarter({ github: gh.api, placer, metrics: noopMetrics, logger: silentLogger, clock }));
    const reconciler = createReconciler({ github: gh.api, placer, startRunner, agents, pools, settings, agentTimeoutMs: 200, clock, logger: silentLogger, metrics: noopMetrics, demand });
    for (const id of [1, 2, 3]) gh.addJob(id, ['macos']);

    await clock.settle(reconciler.reconcile());
    // One slot: one runner, two jobs waiting.
    expect(agent.started.map((s) => s.name)).toHaveLength(1);
    const waiting = await store.oldest(['macos'], 10);
    expect(waiting).toHaveLength(2);
    expect(waiting.every((j) => j.repo && j.labels.includes('macos'))).toBe(true);

    const listingsBefore = listings;
    expect(listingsBefore).toBe(2);
    agent.state.total = 3;
    const refill = createRefill({ demand, startRunner, pools, logger: silentLogger });
    const { jobs, work } = await refill.take({ host: agent.client.baseUrl, pools: ['macos'], free: 2 });
    expect(jobs.map((j) => j.jobId).sort()).toEqual(waiting.map((j) => j.jobId).sort());
    expect(await clock.settle(work)).toBe(2);
    expect(agent.started).toHaveLength(3);
    expect(await store.counts()).toEqual({});
    expect(listings).toBe(listingsBefore);
  });

  it('asks for passes at the busy pace only while some host of the pool does not report freed slots', async () => {
    const report = async (slotCallbacks: boolean) => {
      const gh = createFakeGitHubApi();
      const agent = createFakeAgent('http://127.0.0.1:1', { total: 1, slotCallbacks });
      const clock = createFakeClock({ autoAdvance: true });
      const agents = new Map([[agent.client.baseUrl, agent.client]]);
      const placer = createPlacer({ agents, poolHosts: new Map([['macos', [agent.client.baseUrl]]]), clock, cacheMs: 0, timeoutMs: 200 });
      const demand = trackDemand(createMemoryDemand(), { metrics: noopMetrics, pools, logger: silentLogger });
      const startRunner = forgetPlacedJobs(demand, createRunnerStarter({ github: gh.api, placer, metrics: noopMetrics, logger: silentLogger, clock }));
      const reconciler = createReconciler({ github: gh.api, placer, startRunner, agents, pools, settings, agentTimeoutMs: 200, clock, logger: silentLogger, metrics: noopMetrics, demand });
      for (const id of [1, 2]) gh.addJob(id, ['macos']);
      return clock.settle(reconciler.reconcile());
    };
    const calledBack = await report(true);
    expect(calledBack.pools.macos).toMatchObject({ started: 1, waiting: 1 });
    // The waiting job is pending demand; the host's report of its freed slot starts it.
    expect(calledBack.needsMore).toBe(false);
    expect((await report(false)).needsMore).toBe(true);
  });
});
