import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger';
import { noopMetrics } from '../../dispatcher/src/metrics';
import { createPlacer } from '../../dispatcher/src/placement';
import { createHostWatch, watchPlacements } from '../../dispatcher/src/host-watch';
import { createReconciler } from '../../dispatcher/src/reconciler';
import { createRunnerStarter } from '../../dispatcher/src/start-runner';
import { createFakeAgent } from '../fakes/fake-agent';
import { createFakeClock } from '../fakes/fake-clock';
import { createFakeGitHubApi } from '../fakes/fake-github-api';

const pools = [{ name: 'macos', labels: ['macos'], image: 'img', hosts: [], warm: { mode: 'fixed' as const, min: 0, max: 0 } }];
const settings = { intervalMs: 30_000, busyIntervalMs: 2_000, webhookIntervalMs: 180_000, offlineGraceMs: 60_000, hostGraceMs: 30_000, idleGraceMs: 120_000 };

function setup(total = 2) {
  const gh = createFakeGitHubApi();
  const agent = createFakeAgent('http://127.0.0.1:1', { total });
  const clock = createFakeClock({ autoAdvance: true });
  const agents = new Map([[agent.client.baseUrl, agent.client]]);
  const placer = createPlacer({ agents, poolHosts: new Map([['macos', [agent.client.baseUrl]]]), clock, cacheMs: 0, timeoutMs: 200 });
  const startRunner = createRunnerStarter({ github: gh.api, placer, metrics: noopMetrics, logger: silentLogger, clock });
  const reconciler = createReconciler({ github: gh.api, placer, startRunner, agents, pools, settings, agentTimeoutMs: 200, clock, logger: silentLogger, metrics: noopMetrics });
  return { gh, agent, clock, reconciler };
}

/** Two hosts; the starter tells the reconciler's host watch where it placed each runner. */
function twoHosts() {
  const gh = createFakeGitHubApi();
  const dead = createFakeAgent('http://127.0.0.1:1', { total: 2 });
  const live = createFakeAgent('http://127.0.0.1:2', { total: 2 });
  const clock = createFakeClock({ autoAdvance: true });
  const agents = new Map([dead, live].map((a) => [a.client.baseUrl, a.client] as const));
  const placer = createPlacer({ agents, poolHosts: new Map([['macos', [dead.client.baseUrl, live.client.baseUrl]]]), clock, cacheMs: 0, timeoutMs: 200 });
  const hosts = createHostWatch();
  const startRunner = watchPlacements(hosts, createRunnerStarter({ github: gh.api, placer, metrics: noopMetrics, logger: silentLogger, clock }));
  const reconciler = createReconciler({ github: gh.api, placer, startRunner, agents, pools, settings, agentTimeoutMs: 200, clock, logger: silentLogger, metrics: noopMetrics, hosts });
  return { gh, dead, live, clock, reconciler, startRunner };
}

describe('reconciler', () => {
  it('starts a runner for each matching queued job up to free slots and leaves other jobs alone', async () => {
    const { gh, agent, reconciler } = setup(2);
    gh.addJob(1, ['self-hosted', 'macos']);
    gh.addJob(2, ['macos']);
    gh.addJob(3, ['macos']);
    gh.addJob(4, ['ubuntu-latest']);
    const r = await reconciler.reconcile();
    expect(r.pools.macos).toMatchObject({ queued: 3, supply: 0, deficit: 3, started: 2, waiting: 1 });
    expect(r.needsMore).toBe(true);
    // Oldest first.
    expect(agent.started.map((s) => s.name)).toEqual(['tf-macos-j1a0', 'tf-macos-j2a0']);
    expect(gh.calls.some((c) => c.includes('j4'))).toBe(false);
  });

  it('counts runners starting or idle as supply, so a second pass starts nothing new', async () => {
    const { gh, agent, reconciler } = setup(4);
    gh.addJob(1, ['macos']);
    gh.addJob(2, ['macos']);
    await reconciler.reconcile();
    gh.byName('tf-macos-j1a0')!.status = 'online';
    const r = await reconciler.reconcile();
    expect(r.pools.macos).toMatchObject({ queued: 2, supply: 2, deficit: 0, started: 0 });
    expect(agent.started).toHaveLength(2);
  });

  it('uses the next attempt when a job’s earlier runner was taken by another job', async () => {
    const { gh, agent, reconciler } = setup(4);
    gh.addJob(1, ['macos']);
    await reconciler.reconcile();
    // Runner j1a0 took some other job; job 1 is still queued.
    gh.byName('tf-macos-j1a0')!.busy = true;
    gh.byName('tf-macos-j1a0')!.status = 'online';
    await reconciler.reconcile();
    expect(agent.started.map((s) => s.name)).toEqual(['tf-macos-j1a0', 'tf-macos-j1a1']);
  });

  it('never reuses a runner name: finished VMs the agents remember count as used attempts', async () => {
    const { gh, agent, reconciler } = setup(4);
    gh.addJob(1, ['macos']);
    // j1a0 ran some other job and is gone from GitHub; the agent still has its record.
    agent.records.set('tf-macos-j1a0', { name: 'tf-macos-j1a0', pool: 'macos', labels: [], stage: 'gone', timestamps: {}, registrationLeftBehind: false, adopted: false });
    await reconciler.reconcile();
    expect(agent.started.map((s) => s.name)).toEqual(['tf-macos-j1a1']);
  });

  it('deletes an offline registration with no VM behind it after the grace period only', async () => {
    const { gh, clock, reconciler } = setup(0);
    gh.runners.set(5, { id: 5, name: 'tf-macos-j9a0', status: 'offline', busy: false, labels: [] });
    gh.runners.set(6, { id: 6, name: 'someone-elses-runner', status: 'offline', busy: false, labels: [] });
    expect((await reconciler.reconcile()).deleted).toEqual([]);
    clock.advance(59_000);
    expect((await reconciler.reconcile()).deleted).toEqual([]);
    clock.advance(2_000);
    const r = await reconciler.reconcile();
    expect(r.deleted).toEqual([{ runner: 'tf-macos-j9a0', reason: 'stale' }]);
    expect(r.discrepancies).toContainEqual({ kind: 'registration_without_vm', runner: 'tf-macos-j9a0' });
    expect(gh.runners.has(6)).toBe(true);
  });

  it('keeps an offline registration whose VM is still booting, and deletes one the agent reports left behind', async () => {
    const { gh, agent, clock, reconciler } = setup(2);
    gh.runners.set(5, { id: 5, name: 'tf-macos-j1a0', status: 'offline', busy: false, labels: [] });
    gh.runners.set(6, { id: 6, name: 'tf-macos-j2a0', status: 'offline', busy: false, labels: [] });
    agent.records.set('tf-macos-j1a0', { name: 'tf-macos-j1a0', pool: 'macos', labels: [], stage: 'booting', timestamps: {}, registrationLeftBehind: false, adopted: false });
    agent.records.set('tf-macos-j2a0', { name: 'tf-macos-j2a0', pool: 'macos', labels: [], stage: 'gone', timestamps: {}, registrationLeftBehind: true, adopted: false, failure: { stage: 'booting', reason: 'boot-timeout', message: 'x' } });
    clock.advance(600_000);
    const r = await reconciler.reconcile();
    expect(r.deleted).toEqual([{ runner: 'tf-macos-j2a0', reason: 'left_behind' }]);
    expect(gh.runners.has(5)).toBe(true);
  });

  it('stops counting a registration on a silent host as supply after the host grace, starts its job elsewhere, and never lets that host hold back clean-up', async () => {
    const { gh, dead, live, clock, reconciler } = twoHosts();
    gh.addJob(1, ['macos']);
    gh.addJob(2, ['macos']);
    gh.runners.set(5, { id: 5, name: 'tf-macos-j1a0', status: 'offline', busy: false, labels: [] });
    dead.records.set('tf-macos-j1a0', { name: 'tf-macos-j1a0', pool: 'macos', labels: [], stage: 'registering', timestamps: {}, registrationLeftBehind: false, adopted: false });
    // Someone else's leftover that no agent knows.
    gh.runners.set(6, { id: 6, name: 'tf-macos-j9a0', status: 'offline', busy: false, labels: [] });
    expect((await reconciler.reconcile()).pools.macos).toMatchObject({ queued: 2, supply: 2, started: 0 });

    dead.state.mode = 'down';
    const t0 = clock.now();
    const held = await reconciler.reconcile();
    expect(held.pools.macos).toMatchObject({ supply: 2, started: 0 });
    // Within the host grace: look again soon.
    expect(held.needsMore).toBe(true);
    clock.advance(30_000);
    const moved = await reconciler.reconcile();
    expect(moved.unreachableHosts).toEqual([dead.client.baseUrl]);
    expect(moved.pools.macos).toMatchObject({ queued: 2, supply: 1, started: 1 });
    expect(live.started.map((r) => r.name)).toEqual(['tf-macos-j1a1']);

    // Past the offline grace both stale registrations go, the silent host notwithstanding.
    clock.advance(t0 + 60_000 - clock.now());
    const cleaned = await reconciler.reconcile();
    expect(cleaned.deleted.map((d) => d.runner).sort()).toEqual(['tf-macos-j1a0', 'tf-macos-j9a0']);
    expect(cleaned.discrepancies).toContainEqual({ kind: 'registration_without_vm', runner: 'tf-macos-j1a0', host: dead.client.baseUrl });
    expect(dead.canceled).toEqual([]);

    // The host answers again: the runners whose registrations went while it was silent are cancelled
    // there, once (the one no agent knew might have been there too; an unknown name is a 404).
    dead.state.mode = 'ok';
    await reconciler.reconcile();
    await reconciler.reconcile();
    expect([...dead.canceled].sort()).toEqual(['tf-macos-j1a0', 'tf-macos-j9a0']);
    expect(live.canceled).toEqual([]);
  });

  it('knows the host of a runner a webhook just placed, before any pass saw it there', async () => {
    const { gh, dead, live, clock, reconciler, startRunner } = twoHosts();
    gh.addJob(3, ['macos']);
    live.state.mode = 'no_slot';
    expect(await startRunner({ pool: pools[0]!, jobId: 3, attempt: 0, via: 'webhook' })).toMatchObject({ outcome: 'started', host: dead.client.baseUrl });
    dead.state.mode = 'down';
    live.state.mode = 'ok';
    expect((await reconciler.reconcile()).pools.macos).toMatchObject({ supply: 1, started: 0 });
    clock.advance(30_000);
    expect((await reconciler.reconcile()).pools.macos).toMatchObject({ supply: 0, started: 1 });
    expect(live.started.map((r) => r.name)).toEqual(['tf-macos-j3a1']);
  });

  it('removes idle runners beyond demand after the idle grace, deregistering before tearing down', async () => {
    const { gh, agent, clock, reconciler } = setup(2);
    gh.runners.set(5, { id: 5, name: 'tf-macos-j1a0', status: 'online', busy: false, labels: [] });
    agent.records.set('tf-macos-j1a0', { name: 'tf-macos-j1a0', pool: 'macos', labels: [], stage: 'online', timestamps: {}, registrationLeftBehind: false, adopted: false });
    expect((await reconciler.reconcile()).deleted).toEqual([]);
    clock.advance(121_000);
    const r = await reconciler.reconcile();
    expect(r.deleted).toEqual([{ runner: 'tf-macos-j1a0', reason: 'surplus' }]);
    expect(agent.canceled).toEqual(['tf-macos-j1a0']);
  });

  it('reports a VM starting without a registration', async () => {
    const { agent, reconciler } = setup(2);
    agent.records.set('tf-macos-j3a0', { name: 'tf-macos-j3a0', pool: 'macos', labels: [], stage: 'booting', timestamps: {}, registrationLeftBehind: false, adopted: false });
    const r = await reconciler.reconcile();
    expect(r.discrepancies).toEqual([{ kind: 'vm_without_registration', runner: 'tf-macos-j3a0', host: 'http://127.0.0.1:1' }]);
  });
});
